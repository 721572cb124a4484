"""codesynth.verifiers: verdicts -> rewards, filters, datasets, exports, trainer adapters.

Modules (import what you need; this package imports nothing heavy up front):

- `scoring`    the one scoring path: reply -> candidate -> request -> judged result -> reward
               (`score`, `score_many`, `ascore_many`, `judge`); every entry point uses it
- `settings`   execution settings (fingerprinted) apart from run options
- `rewards`    the reward-scheme registry, failure categories, feedback (`make_reward`)
- `outputs`    dataset records, exports, cards, reports, pass@k (see its __init__)
- `curation/`  the curation filters, one module each, registered by name (`curation.registry`:
               decorator + `codesynth.filters` entry points), run by `curation.curate`;
               mutation testing itself lives in `mutation`
- `adapters`   one module per trainer (trl, verl, openrlhf, ray_data) and their registry
               (`verl_reward.py`, `openrlhf_reward.py` are the files to point trainers at);
               `pool` is their shared warm backend
- `time_limits` per-problem time limits from the reference's own run (`--timeout auto`)
"""
