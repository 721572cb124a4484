"""codesynth.verifiers: verdicts -> rewards, filters, datasets, exports, trainer adapters.

Modules (import what you need; this package imports nothing heavy up front):

- `scoring`    the one scoring path: reply -> candidate -> request -> judged result -> reward
               (`score`, `score_many`, `ascore_many`, `judge`); every entry point uses it
- `settings`   execution settings (fingerprinted) apart from run options
- `rewards`    the reward-scheme registry, failure categories, feedback (`make_reward`)
- `outputs`    dataset records, exports, cards, reports, pass@k (see its __init__)
- `curate`     the curation pipeline and its report; filters in `dedup`, `complexity`,
               `decontam`, `agreement`, `mutation`
- `adapters`   one module per trainer (trl, verl, openrlhf, ray_data) and their registry
               (`verl_reward.py`, `openrlhf_reward.py` are the files to point trainers at);
               `pool` is their shared warm backend
- `time_limits` per-problem time limits from the reference's own run (`--timeout auto`)
"""
