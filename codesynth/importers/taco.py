"""TACO: APPS's format (`input_output` with or without `fn_name`, `solutions` as JSON) with more
fields (`name`, `source`, `tags`, `skill_types`, `time_limit`, `memory_limit`), kept in
metadata. Rows carry no id: a problem is `taco/<row number>` (its line in the file)."""

from __future__ import annotations

from pathlib import Path

from .apps import apps_problem
from .registry import Imported, importer
from .rows import convert


@importer("taco")
def load_taco(source: Path, options: None) -> Imported:
    """TACO rows (JSONL, JSON or Parquet): stdin/stdout or call-based (fn_name) problems."""

    def make(row: dict, where: str):
        row = {**row, "_row": where.rpartition(":")[2]}
        return apps_problem(row, where, prefix="taco", id_field="_row")

    return convert(source, make)
