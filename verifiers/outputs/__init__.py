"""What a run hands to people and trainers: dataset records, exports (a registry of formats),
dataset cards, the quality report (JSON and HTML) and pass@k.

- `dataset`      passing program -> DatasetRecord
- `metrics`      pass@k
- `formats`      the export-format registry (`@export_format`, entry point `codesynth.exports`)
- `exports`      the built-in formats and `export()`
- `cards`        dataset cards
- `report`, `report_html`   the quality report
"""
