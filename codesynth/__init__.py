"""codesynth: verified code data from LLMs.

Library API (the CLI is a thin shell over these):

    from codesynth import load_problems, verify
    summary = verify("problem_sets/basic.jsonl", out="runs/x")
"""

from __future__ import annotations

__version__ = "0.1.0"

from codesynth.models import (
    Candidate,
    DatasetRecord,
    ExecutionResult,
    Limits,
    Problem,
    RewardRecord,
    RunSummary,
    Status,
)
from codesynth.problems import load_problems


def __getattr__(name: str):
    # The pipeline pulls in docker/tqdm; import it only when asked for.
    if name in ("verify", "verify_candidates", "VerifyConfig"):
        from codesynth import pipeline

        return getattr(pipeline, name)
    raise AttributeError(name)


__all__ = [
    "Candidate",
    "DatasetRecord",
    "ExecutionResult",
    "Limits",
    "Problem",
    "RewardRecord",
    "RunSummary",
    "Status",
    "load_problems",
    "VerifyConfig",
    "verify",
    "verify_candidates",
]
