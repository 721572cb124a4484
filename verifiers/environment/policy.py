"""The feedback-and-reward policy of a code episode: RLEF's by default.

RLEF (Gehring et al., ICML 2025): up to 3 model turns; after each, feedback from the public tests
only ("Your code failed the following tests:" then one line per failure: the input, the expected
and the actual output, or the error, or "Execution took too long.", or "Out of memory."); the
episode stops when the public tests pass or the turns run out; the final program is judged on
public and private tests: +1 / -1, and -0.2 for a reply with no valid code (the `rlef` reward
scheme of codesynth.verifiers.rewards). Any registered reward scheme may replace it, and
codesynth's own feedback (`rewards.feedback`) RLEF's.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from codesynth.models import ExecutionResult, Status, TestOutcome
from codesynth.verifiers.rewards import FEEDBACK_CHARS, get_scheme
from codesynth.verifiers.rewards import feedback as codesynth_feedback

RLEF_HEADER = "Your code failed the following tests:"
TOO_LONG = "Execution took too long."
OUT_OF_MEMORY = "Out of memory."
TOO_MUCH_OUTPUT = "Printed too much output."
NO_CODE = "Your reply contained no code."
#: One failure line is cut here: a huge expected value must not crowd out the others.
LINE_CHARS = 400


class Policy(BaseModel):
    """How an episode goes: its turn budget, its feedback, its final reward."""

    model_config = ConfigDict(extra="forbid")

    max_turns: int = Field(default=3, ge=1, le=100, description="Model turns at most (RLEF: 3).")
    scheme: str = Field(default="rlef", description="Reward scheme of the final program (any registered one, "
                        "NAME:key=value,... or a JSON file); RLEF's +1 / -1 / -0.2 by default.")
    feedback: Literal["rlef", "codesynth"] = Field(
        default="rlef", description="rlef: one line per public failure; codesynth: the reward record's feedback.")

    @field_validator("scheme")
    @classmethod
    def _known_scheme(cls, v: str) -> str:
        get_scheme(v)  # an unknown scheme is an error when the policy is made, not at the first reward
        return v

    def feedback_for(self, public_result: ExecutionResult) -> str:
        """What the model is told after a turn, from its verdict on the public tests only."""
        if self.feedback == "codesynth":
            return codesynth_feedback(public_result)
        return rlef_feedback(public_result)


def rlef_feedback(result: ExecutionResult, limit: int = FEEDBACK_CHARS) -> str:
    """RLEF's feedback on a verdict of public tests: "" when they passed."""
    if result.status is Status.passed:
        return ""
    lines = [failure_line(o) for o in result.tests if not o.passed]
    if result.status is Status.timeout:
        lines.append(TOO_LONG)
    elif result.status is Status.memory_exceeded:
        lines.append(OUT_OF_MEMORY)
    elif result.status is Status.output_exceeded:
        lines.append(TOO_MUCH_OUTPUT)
    elif result.error_type == "NoCode":
        lines.append(NO_CODE)
    elif not lines or result.status in (Status.error, Status.crashed):
        # the program did not load, or died outside any one test: its error is the failure
        lines.append(_one_line(f"{result.error_type or 'Error'}: {result.error_message or ''}".strip(" :")))
    text = RLEF_HEADER + "\n" + "\n".join(f"- {ln}" for ln in lines)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def failure_line(outcome: TestOutcome) -> str:
    """One failed test on one line: what ran (input or assert), then expected and actual, or the error."""
    name, msg = outcome.name, (outcome.message or "").strip()
    where, sep, src = name.partition(": ")
    if sep and where.split(":")[0] in ("tests", "check"):
        name = src  # `tests:12: assert f(1) == 2`: the line number means nothing to the model
    first = msg.splitlines()[0].strip() if msg else ""
    if msg and (first.startswith("input:") or name.startswith(first.removesuffix("..."))):
        text = msg  # the message already says what ran (an io case's input, an assert's source)
    elif msg:
        text = f"{name}: {msg}"
    else:
        text = f"{name}: failed"
    return _one_line(text)


def _one_line(text: str) -> str:
    out = "; ".join(p.strip() for p in text.splitlines() if p.strip())
    return out if len(out) <= LINE_CHARS else out[: LINE_CHARS - 3] + "..."
