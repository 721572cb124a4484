"""codesynth.verifiers: verdicts -> rewards, filters, datasets, exports, trainer adapters.

Modules (import what you need; this package imports nothing heavy up front):

- `rewards`    reward schemes, failure categories, feedback (`make_reward`)
- `outputs`    dataset records, exports, cards, reports, pass@k (see its __init__)
- `curate`     the curation pipeline and its report; filters in `dedup`, `complexity`,
               `decontam`, `agreement`, `mutation`
- `adapters`   `score`, `score_many`, TRL and verl reward functions (`verl_reward` is the
               file to point verl at); `pool` is their shared warm backend
"""
