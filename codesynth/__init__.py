"""codesynth: verified code data from LLMs.

Library API (the CLI is a thin shell over these):

    from codesynth import load_problems, verify
    summary = verify("problem_sets/basic.jsonl", out="runs/x")
"""

from __future__ import annotations

__version__ = "0.1.0"

# Running from a source checkout without installing: let `codesynth.sandbox` etc.
# resolve to the top-level folders the design card keeps them in.
import os as _os

_root = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if _os.path.isfile(_os.path.join(_root, "pyproject.toml")) and _os.path.isfile(
    _os.path.join(_root, "sandbox", "__init__.py")
):
    __path__.append(_root)  # type: ignore[name-defined]

from codesynth.models import (  # noqa: E402
    Candidate,
    DatasetRecord,
    ExecutionResult,
    Limits,
    Problem,
    RewardRecord,
    RunSummary,
    Status,
)
from codesynth.problems import load_problems  # noqa: E402


def __getattr__(name: str):
    # The orchestration pulls in docker/tqdm; import it only when asked for.
    if name in ("verify", "verify_candidates"):
        from codesynth import run

        return getattr(run, name)
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
    "verify",
    "verify_candidates",
]
