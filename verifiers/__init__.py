"""codesynth.verifiers: verdicts -> rewards, filters, datasets, exports, trainer adapters.

Modules (import what you need; this package imports nothing heavy up front):

- `scoring`    the one scoring path: reply -> candidate -> request -> judged result -> reward
               (`score`, `score_many`, `ascore_many`, `judge`); every entry point uses it
- `settings`   execution settings (fingerprinted) apart from run options
- `rewards`    the reward-scheme registry, failure categories, feedback (`make_reward`)
- `metrics`    pass@k
- `dataset`    passing program -> DatasetRecord
- `curate`     the curation pipeline and its report; filters in `dedup`, `complexity`,
               `decontam`, `agreement`, `mutation`
- `exports`    OpenAI / Alpaca / ShareGPT / Parquet
- `report`     dataset quality report
- `adapters`   one module per trainer (trl, verl, openrlhf, ray_data) and their registry
               (`verl_reward.py`, `openrlhf_reward.py` are the files to point trainers at);
               `pool` is their shared warm backend
"""
