"""The file to point verl at:

    custom_reward_function.path=<this file>   custom_reward_function.name=compute_score

(or `compute_score_batch` with `reward_model.reward_manager=batch`). verl loads it by
path; the functions live in `codesynth.verifiers.adapters.verl`. Rows from `to_verl_rows`
name their problem: pass `custom_reward_function.reward_kwargs.problems=PATH` (or set
`CODESYNTH_PROBLEMS=PATH`) so it is loaded with its private tests.
"""

from codesynth.verifiers.adapters import compute_score, compute_score_batch

__all__ = ["compute_score", "compute_score_batch"]
