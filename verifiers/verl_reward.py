"""The file to point verl at:

    custom_reward_function.path=<this file>   custom_reward_function.name=compute_score

(or `compute_score_batch` with `reward_model.reward_manager=batch`). verl loads it by
path; the functions live in `codesynth.verifiers.adapters`.
"""

from codesynth.verifiers.adapters import compute_score, compute_score_batch

__all__ = ["compute_score", "compute_score_batch"]
