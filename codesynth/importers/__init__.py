"""Problem sets from other formats: one module per source, one registry (`registry.py`).

Built-in: `humaneval`, `mbpp`, `multipl-e`, `codesynth` (our own JSONL). A package adds a format
through the `codesynth.importers` entry-point group; see docs/extending/importers.md. Each
importer fills `tests` with what its source shows a model (public) and `private_tests` with the
rest; a source that shows nothing leaves the split to the default rule (no private_tests). Every error names the file, the line and the field at fault, as an InputError.
"""

from __future__ import annotations

from .humaneval import default_humaneval_path, docstring_asserts, import_humaneval
from .mbpp import import_mbpp
from .multipl_e import (
    MultiplEImport,
    Skipped,
    Unconvertible,
    assert_case,
    convert_multipl_e,
    import_multipl_e,
    load_solutions_map,
    multipl_e_import,
    python_signature,
)
from .registry import Imported, Importer, get_importer, import_problems, importer, importer_names

__all__ = ["Imported", "Importer", "MultiplEImport", "Skipped", "Unconvertible", "assert_case", "convert_multipl_e",
           "default_humaneval_path", "docstring_asserts", "get_importer", "import_humaneval", "import_mbpp",
           "import_multipl_e", "import_problems", "importer", "importer_names", "load_solutions_map",
           "multipl_e_import", "python_signature"]
