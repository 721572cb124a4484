"""codesynth's own problem sets (JSONL of Problem records), as an importer like the others."""

from __future__ import annotations

from pathlib import Path

from codesynth.problems import load_problems

from .registry import Imported, importer


@importer("codesynth")
def load_native(source: Path, options: None) -> Imported:
    """A codesynth problem set (JSONL), checked as `problems validate` checks it."""
    return Imported(load_problems(source))
