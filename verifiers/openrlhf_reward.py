"""The file to point OpenRLHF at: `--remote_rm_url /path/to/openrlhf_reward.py` (python-file mode
calls `reward_func(queries, prompts, labels)`). The code lives in
`codesynth.verifiers.adapters.openrlhf`; set `CODESYNTH_PROBLEMS=PATH` so labels that are problem
ids load the problems with their private tests.
"""

from codesynth.verifiers.adapters.openrlhf import items, label_problem, response_text, result, reward_func

__all__ = ["items", "label_problem", "response_text", "result", "reward_func"]
