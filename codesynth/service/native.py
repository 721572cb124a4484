"""The native batch API's request and response shapes (pydantic: served as OpenAPI)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from codesynth.models import Candidate, ExecutionResult, Limits, Problem, RewardRecord
from codesynth.verifiers.scoring import DEFAULT_SCHEME


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VerifyRequest(_Strict):
    """Candidates against problems (sent along, or ids of the set the server preloaded)."""

    problems: list[Problem] = Field(default_factory=list)
    candidates: list[Candidate] = Field(min_length=1)
    limits: Limits | None = Field(default=None, description="Within the server's; default: the server's.")
    timeout_auto: bool | None = Field(default=None, description="Each problem's time limit from its reference "
                                      "solution's own run (4 x its CPU time, 1 s at least, limits.timeout_s at most), "
                                      "as `verify --timeout auto`; default: the server's `--timeout`.")
    reward_scheme: str = DEFAULT_SCHEME
    trust_tests: bool = Field(default=False, description="The sent problems' tests are your own code (not "
                              "model-written): they may run in the long-lived tester. Preloaded sets always are.")


class VerifyLine(_Strict):
    """One NDJSON line of /v1/verify's answer, in completion order."""

    result: ExecutionResult
    reward: RewardRecord


class ScoreRequest(_Strict):
    """TRL's reward-function call (or verl's batch), as JSON: completions plus the dataset
    columns aligned with them; each row's problem comes from `problem_id` (a preloaded set),
    else `problem` (a Problem JSON, see `adapters.problem_spec`), else `tests` (+ `entry_point`)."""

    completions: list[Any] = Field(min_length=1, description="Strings, message dicts or conversations.")
    prompts: list[Any] | None = None
    problem_id: list[str] | None = None
    problem: list[Any] | None = None
    tests: list[Any] | None = None
    entry_point: list[str | None] | None = None
    reward_scheme: str = DEFAULT_SCHEME
    limits: Limits | None = None
    timeout_auto: bool | None = Field(default=None, description="Each problem's time limit from its reference "
                                      "solution's own run (4 x its CPU time, 1 s at least, limits.timeout_s at most), "
                                      "as `verify --timeout auto`; default: the server's `--timeout`.")


class ScoreResponse(_Strict):
    rewards: list[float | None] = Field(description="None (TRL: ignore the row) where the sandbox itself failed.")
    records: list[RewardRecord]


class OpenRLHFRequest(BaseModel):
    # OpenRLHF's remote reward model call; it may add keys of its own.
    model_config = ConfigDict(extra="ignore")

    query: list[str]
    prompts: list[str]
    labels: list[Any]
    reward_scheme: str | None = Field(default=None, description="Any registered reward scheme; default: "
                                      "the one every scoring path uses (binary).")
    timeout_auto: bool | None = Field(default=None, description="Each problem's time limit from its reference "
                                      "solution's own run (4 x its CPU time, 1 s at least, limits.timeout_s at most), "
                                      "as `verify --timeout auto`; default: the server's `--timeout`.")


class OpenRLHFResponse(_Strict):
    rewards: list[float]
    scores: list[float]
    extra_logs: dict[str, list[float]]
