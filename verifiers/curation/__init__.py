"""Curation: the filters between a verified run and a dataset, one module each.

`registry` holds the filter registry (`@register_filter`, the `codesynth.filters` entry points);
`curate` runs the registered filters in order and writes the report. The built-in filters:
`dedup` (exact and near-duplicates on one canonical code form, `canonical`), `semantic`
(instructions by meaning), `privacy` (secrets and personal data), `complexity`, `decontam`
(benchmark contamination by code, test cases, meaning and n-grams; `benchmarks`, `cases`),
`strength` (a floor on the suite's measured TNR), `agreement`, and mutation testing
(`mutation_step`, over `verifiers/suites/mutation.py`).
"""
