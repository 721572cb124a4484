"""Trainer adapters: one module per trainer, each exposing what its trainer loads, all built on
the one scoring path (`codesynth.verifiers.scoring`).

| name       | module                                   | what the trainer loads                          |
|------------|------------------------------------------|-------------------------------------------------|
| trl        | `codesynth.verifiers.adapters.trl`       | `trl_reward_func(problems)`, `to_trl_rows`      |
| verl       | `codesynth.verifiers.adapters.verl`      | `compute_score`, `compute_score_batch` (file: `verifiers/verl_reward.py`), `to_verl_rows` |
| openrlhf   | `codesynth.verifiers.adapters.openrlhf`  | `reward_func` (file: `verifiers/openrlhf_reward.py`) |
| ray_data   | `codesynth.verifiers.adapters.ray_data`  | `verify_dataset(ds, pool, problems)`            |
| trl_environment | `codesynth.verifiers.adapters.trl_environment` | `trl_environment(problems)`: an `environment_factory` (RLEF episodes) |
| skyrl      | `codesynth.verifiers.adapters.skyrl`     | `register_skyrl()`: the `codesynth_rlef` SkyRL-gym text environment |
| prime_verifiers | `codesynth.verifiers.adapters.prime_verifiers` | Prime Intellect `verifiers` v1: `CodeTaskset`, `CodeEnv`, `ChatHarness` (the package `codesynth_rlef`) |

A new trainer is one new module plus `register_adapter` (or the `codesynth.trainer_adapters`
entry-point group, `name = "package.module"`); `adapter_names()` lists them all
(docs/extending/trainer-adapters.md). The names below stay importable from here, as before.
"""

from __future__ import annotations

from types import ModuleType

from codesynth.registry import Registry
from codesynth.verifiers.adapters.specs import load_problem_index, problem_from_spec, problem_spec
from codesynth.verifiers.adapters.trl import to_trl_rows, trl_reward_func
from codesynth.verifiers.adapters.verl import compute_score, compute_score_batch, to_verl_rows
from codesynth.verifiers.scoring import Completion, candidate_for, completion_text, score, score_many
from codesynth.verifiers.time_limits import AUTO_FACTOR, AUTO_FLOOR_S, AUTO_NO_REFERENCE_S, auto_time_limit

#: adapter name -> module path (built-ins by path, so one adapter's trainer is never imported for another)
_adapters: Registry[ModuleType] = Registry("codesynth.trainer_adapters", "trainer adapter", {
    "trl": "codesynth.verifiers.adapters.trl",
    "verl": "codesynth.verifiers.adapters.verl",
    "openrlhf": "codesynth.verifiers.adapters.openrlhf",
    "ray_data": "codesynth.verifiers.adapters.ray_data",
    "trl_environment": "codesynth.verifiers.adapters.trl_environment",
    "skyrl": "codesynth.verifiers.adapters.skyrl",
    "prime_verifiers": "codesynth.verifiers.adapters.prime_verifiers",
})


def register_adapter(name: str, module: str) -> None:
    """Make the adapter module `module` (an import path) listed and loadable as `name`."""
    _adapters.register(name, module)


def adapter_names() -> list[str]:
    return _adapters.names()


def load_adapter(name: str) -> ModuleType:
    """The adapter module registered as `name` (ValueError naming the registered ones)."""
    return _adapters.get(name)


def completion_candidate(problem, completion, index: int = 0, origin: str = "adapter"):
    """The Candidate a completion stands for (kept name; see `scoring.candidate_for`)."""
    return candidate_for(problem, completion, index, origin)


_candidate = completion_candidate

__all__ = [
    "AUTO_FACTOR", "AUTO_FLOOR_S", "AUTO_NO_REFERENCE_S", "Completion", "adapter_names", "auto_time_limit",
    "candidate_for", "completion_candidate", "completion_text", "compute_score", "compute_score_batch",
    "load_adapter", "load_problem_index", "problem_from_spec", "problem_spec", "register_adapter", "score",
    "score_many", "to_trl_rows", "to_verl_rows", "trl_reward_func",
]
