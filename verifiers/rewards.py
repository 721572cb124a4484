"""From an ExecutionResult to a RewardRecord: category, feedback, reward.

Reward schemes (see the README's reward section):

- ``binary``  : 1.0 if every test passed, else 0.0.
- ``partial`` : 1.0 if passed, else the fraction of tests passed where tests are
  countable (assert-style tests and stdin/stdout cases), else 0.0 (and 0.0 for a sandbox
  error: those counts are our infrastructure's, not the program's).
- ``shaped``  : 1.0 if passed, else a fixed value per failure category (a syntax
  error is worse than a wrong answer), plus ``partial_weight`` x fraction passed.
- ``rlef``    : RLEF's (Gehring et al., ICML 2025): +1 if passed, -0.2 for a reply with no valid
  code (none extracted, or it does not parse), else -1.

A scheme is named by a string: a registered name (``binary``, ``partial``, ``shaped`` or one a
user registered), ``NAME:key=value,...`` (override any field, e.g. ``shaped:timeout=-0.5,partial_weight=0.3``),
or a path to a JSON file holding a ``RewardScheme``.

Schemes are a registry (docs/extending/reward-schemes.md): a formula is a function
``(result, scheme) -> float`` registered with ``@register_reward_scheme("name")`` or through the
``codesynth.reward_schemes`` entry-point group (``name = "package.module:function"``); the
built-in three are registered the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from codesynth.errors import InputError
from codesynth.models import Candidate, ExecutionResult, FailureCategory, RewardRecord, Status
from codesynth.registry import Registry

FEEDBACK_CHARS = 1200

_LOAD_ERRORS = {"SyntaxError", "IndentationError", "TabError"}

#: Default per-category rewards of the `shaped` scheme: code that loads and runs but is
#: wrong is closer to right than code that does not parse. Infrastructure failures
#: score 0 (not the candidate's fault, and not its merit either).
DEFAULT_SHAPED: dict[FailureCategory, float] = {
    FailureCategory.no_code: -1.0,
    FailureCategory.syntax_error: -0.8,
    FailureCategory.runtime_error: -0.4,
    FailureCategory.crashed: -0.4,
    FailureCategory.timeout: -0.3,
    FailureCategory.memory: -0.3,
    FailureCategory.output: -0.3,
    FailureCategory.wrong_answer: 0.0,
    FailureCategory.sandbox_error: 0.0,
}


class RewardScheme(BaseModel):
    """A configurable reward scheme. `kind` picks the formula; the rest tunes it."""

    model_config = ConfigDict(extra="forbid")

    name: str = "binary"
    kind: str = Field(default="binary", description="The registered formula (binary, partial, shaped, ...).")
    pass_reward: float = 1.0
    fail_reward: float = Field(default=0.0, description="binary/partial: reward of a failure with no credit.")
    category_rewards: dict[FailureCategory, float] = Field(default_factory=lambda: dict(DEFAULT_SHAPED))
    partial_weight: float = Field(
        default=0.5, description="shaped: weight of the fraction of tests passed added to a failure's reward."
    )

    @field_validator("kind")
    @classmethod
    def _registered(cls, v: str) -> str:
        _formula(v)  # raises, naming the registered schemes
        return v


# --------------------------------------------------------------------------- the registry

#: A reward formula: the verdict (public and private tests together) and the scheme's settings in,
#: a float out. A pure function: the same verdict always earns the same reward.
Formula = Callable[[ExecutionResult, RewardScheme], float]

_formulas: Registry[Formula] = Registry("codesynth.reward_schemes", "reward scheme")


def register_reward_scheme(name: str) -> Callable[[Formula], Formula]:
    """Decorator: make `fn` the formula of scheme `name` (`--reward-scheme name`, `scheme="name"`)."""
    return _formulas.decorator(name)


def reward_scheme_names() -> list[str]:
    return _formulas.names()


def _formula(kind: str) -> Formula:
    return _formulas.get(kind)


def get_scheme(spec: str) -> RewardScheme:
    """Resolve a scheme spec (registered name, `name:k=v,...`, or JSON file path)."""
    spec = spec.strip()
    if spec in _formulas:
        return _named_scheme(spec)
    base, sep, _ = spec.partition(":")
    if sep and base in _formulas:
        return _inline_scheme(spec)
    return _file_scheme(spec)


@lru_cache(maxsize=64)  # one object per name: make_reward runs once per candidate
def _named_scheme(name: str) -> RewardScheme:
    return RewardScheme(name=name, kind=name)


@lru_cache(maxsize=64)  # parsed once per spec: make_reward runs once per candidate
def _inline_scheme(spec: str) -> RewardScheme:
    base, _, overrides = spec.partition(":")
    data = RewardScheme(name=base, kind=base).model_dump()
    cats = dict(data["category_rewards"])
    for item in filter(None, (x.strip() for x in overrides.split(","))):
        key, eq, value = item.partition("=")
        if not eq:
            raise InputError(f"reward scheme '{spec}': expected key=value, got '{item}'")
        try:
            num = float(value)
        except ValueError:
            raise InputError(f"reward scheme '{spec}': '{key}' needs a number, got '{value}'") from None
        key = key.strip()
        if key in FailureCategory.__members__:
            cats[FailureCategory(key)] = num
        elif key in ("pass_reward", "fail_reward", "partial_weight"):
            data[key] = num
        else:
            valid = ", ".join([*FailureCategory.__members__, "pass_reward", "fail_reward", "partial_weight"])
            raise InputError(f"reward scheme '{spec}': unknown key '{key}' (valid: {valid})")
    data["category_rewards"] = cats
    data["name"] = spec
    return RewardScheme.model_validate(data)


def _file_scheme(spec: str) -> RewardScheme:
    path = Path(spec)
    if path.suffix == ".json" or path.exists():
        if not path.is_file():
            raise InputError(f"{path}: reward scheme file not found")
        st = path.stat()
        return _read_scheme_file(str(path), st.st_mtime_ns, st.st_size)
    raise InputError(
        f"unknown reward scheme '{spec}' (use one of {', '.join(reward_scheme_names())}, "
        "NAME:key=value,... or a JSON file)"
    )


@lru_cache(maxsize=16)  # keyed by mtime and size too: an edited file is read again
def _read_scheme_file(spec: str, mtime_ns: int, size: int) -> RewardScheme:
    path = Path(spec)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        scheme = RewardScheme.model_validate(data)
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{e.lineno}: invalid JSON ({e.msg})") from None
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise InputError(f"{path}: reward scheme field '{loc}': {first['msg']}") from None
    return scheme


def failure_category(result: ExecutionResult) -> FailureCategory | None:
    s = result.status
    if s is Status.passed:
        return None
    if s is Status.timeout:
        return FailureCategory.timeout
    if s is Status.memory_exceeded:
        return FailureCategory.memory
    if s is Status.output_exceeded:
        return FailureCategory.output
    if s is Status.sandbox_error:
        return FailureCategory.sandbox_error
    if s is Status.crashed:
        return FailureCategory.crashed
    if result.error_type == "NoCode":
        return FailureCategory.no_code
    if s is Status.error and (result.error_type or "").startswith("Compile"):
        return FailureCategory.compile_error
    if result.error_type in _LOAD_ERRORS:
        return FailureCategory.syntax_error
    if s is Status.error:
        return FailureCategory.runtime_error
    # failed: an assertion or a wrong output is a wrong answer; an exception in the code is a runtime error
    if result.error_type in (None, "AssertionError", "WrongAnswer"):
        return FailureCategory.wrong_answer
    return FailureCategory.runtime_error


def feedback(result: ExecutionResult, limit: int = FEEDBACK_CHARS) -> str:
    """A short message a model can act on: the first failing test and the error."""
    if result.status is Status.passed:
        return ""
    parts: list[str] = []
    if result.status is Status.timeout:
        parts.append(f"Timed out after {result.limits.timeout_s:g}s (infinite loop or too slow).")
    elif result.status is Status.memory_exceeded:
        parts.append(f"Exceeded the memory limit of {result.limits.memory_mb} MB.")
    elif result.status is Status.output_exceeded:
        parts.append(f"Printed more than {result.limits.output_bytes} bytes of output.")
    # Only a public test is ever named; a private one is counted, never shown (codesynth.test_split).
    first_fail = next((t for t in result.tests if not t.passed and not t.private), None)
    if first_fail is not None:
        parts.append(_failed_test(first_fail.name, first_fail.message))
    hidden = sum(1 for t in result.tests if t.private and not t.passed)
    if hidden and not (result.error_message or "").startswith(HIDDEN_PREFIX):
        parts.append(hidden_failures(hidden))
    if result.error_type or result.error_message:
        msg = f"{result.error_type or 'Error'}: {result.error_message or ''}".strip()
        if not first_fail or (first_fail.message or "") not in msg:
            parts.append(msg)
    # A compiler's first error is the one to fix (later ones often follow from it): its message
    # keeps its head; a traceback keeps its tail (where the exception was raised).
    cut = _head if (result.error_type or "").startswith("Compile") else _tail
    if result.traceback and result.status in (Status.error, Status.failed):
        parts.append(cut(result.traceback, limit // 2))
    if result.tests_total:
        parts.append(f"{result.tests_passed or 0}/{result.tests_total} tests passed.")
    text = "\n".join(p for p in parts if p)
    return cut(text, limit) if len(text) > limit else text


HIDDEN_PREFIX = "Failed"


def hidden_failures(n: int) -> str:
    """What a model is told of private failures: how many, nothing else."""
    return f"{HIDDEN_PREFIX} {n} hidden test{'s' if n != 1 else ''} (their content is not shown)."


def _failed_test(name: str, message: str | None) -> str:
    """'Failed test: <name>' and its message, the assert printed once.

    A test's name is `where:line: <assert source>` and an instrumented assert's message
    starts with that same source; say where in the header and let the message show it."""
    if not message:
        return f"Failed test: {name}"
    where, sep, src = name.partition(": ")
    if sep and src and message.startswith(src.removesuffix("...")):
        return f"Failed test: {where}\n{message}"
    return f"Failed test: {name}\n{message}"


def _head(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 3] + "..."


def _tail(s: str, n: int) -> str:
    return s if len(s) <= n else "..." + s[-(n - 3) :]


def partial_credit(result: ExecutionResult) -> float | None:
    # a sandbox error is our infrastructure failing: its counts say nothing about the program
    if result.tests_total and result.status is not Status.sandbox_error:
        return min(1.0, max(0.0, (result.tests_passed or 0) / result.tests_total))
    return None


def compute_reward(result: ExecutionResult, scheme: RewardScheme) -> float:
    """The scalar reward of one result under `scheme` (its registered formula)."""
    return float(_formula(scheme.kind)(result, scheme))


@register_reward_scheme("binary")
def binary(result: ExecutionResult, scheme: RewardScheme) -> float:
    """pass_reward if every test passed, else fail_reward."""
    return scheme.pass_reward if result.status is Status.passed else scheme.fail_reward


@register_reward_scheme("partial")
def partial(result: ExecutionResult, scheme: RewardScheme) -> float:
    """pass_reward if passed, else fail_reward plus the fraction of tests passed of the way up."""
    if result.status is Status.passed:
        return scheme.pass_reward
    pc = partial_credit(result) or 0.0
    return scheme.fail_reward + (scheme.pass_reward - scheme.fail_reward) * pc


@register_reward_scheme("shaped")
def shaped(result: ExecutionResult, scheme: RewardScheme) -> float:
    """pass_reward if passed, else a value per failure category plus partial_weight x fraction passed."""
    if result.status is Status.passed:
        return scheme.pass_reward
    cat = failure_category(result)
    base = scheme.category_rewards.get(cat, DEFAULT_SHAPED.get(cat, 0.0)) if cat else 0.0
    # Partial credit only where the program loaded and its tests ran (status `failed`).
    bonus = scheme.partial_weight * (partial_credit(result) or 0.0) if result.status is Status.failed else 0.0
    return base + bonus


#: RLEF's rewards of a failure: a reply without valid code, any other failure.
RLEF_INVALID, RLEF_FAIL = -0.2, -1.0


@register_reward_scheme("rlef")
def rlef(result: ExecutionResult, scheme: RewardScheme) -> float:
    """pass_reward (+1) if passed; -0.2 for no valid code (none extracted, or it does not parse); else -1."""
    if result.status is Status.passed:
        return scheme.pass_reward
    invalid = failure_category(result) in (FailureCategory.no_code, FailureCategory.syntax_error)
    return RLEF_INVALID if invalid else RLEF_FAIL


def make_reward(
    result: ExecutionResult, candidate: Candidate, scheme: str | RewardScheme = "binary"
) -> RewardRecord:
    """One reward record per candidate, passing or not."""
    sch = scheme if isinstance(scheme, RewardScheme) else get_scheme(scheme)
    passed = result.status is Status.passed
    pc = partial_credit(result)
    return RewardRecord(
        problem_id=result.problem_id,
        candidate_id=result.candidate_id,
        reward=compute_reward(result, sch),
        passed=passed,
        partial_credit=1.0 if passed and pc is not None else pc,
        failure_category=failure_category(result),
        feedback=feedback(result),
        status=result.status,
        scheme=sch.name,
        duration_s=result.duration_s,
        origin=candidate.origin,
    )
