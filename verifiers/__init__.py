"""codesynth.verifiers: verdicts -> rewards, filters, datasets, exports, trainer adapters.

Modules (import what you need; this package imports nothing heavy up front):

- `rewards`    reward schemes, failure categories, feedback (`make_reward`)
- `metrics`    pass@k
- `dataset`    passing program -> DatasetRecord
- `curation/`  the curation filters, one module each, registered by name (`curation.registry`:
               decorator + `codesynth.filters` entry points), run by `curation.curate`;
               mutation testing itself lives in `mutation`
- `exports`    OpenAI / Alpaca / ShareGPT / Parquet
- `report`     dataset quality report
- `adapters`   `score`, `score_many`, TRL and verl reward functions (`verl_reward` is the
               file to point verl at); `pool` is their shared warm backend
"""
