"""Export formats and importers are registries (issue 18): a toy of each, registered from
outside the package by an entry point, works from the real CLI; the docs' examples are the code run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import ROOT, run_cli

from codesynth.jsonl import write_models
from codesynth.models import DatasetRecord

RECORDS = [
    DatasetRecord(id="p/add::c1", problem_id="p/add", candidate_id="c1", instruction="Write add(a, b).",
                  solution="def add(a, b):\n    return a + b\n", tests="assert add(1, 2) == 3\n",
                  entry_point="add"),
    DatasetRecord(id="p/neg::c2", problem_id="p/neg", candidate_id="c2", instruction="Write neg(a).",
                  solution="def neg(a):\n    return -a\n", tests="assert neg(1) == -1\n", entry_point="neg"),
]


def page_code(page: str, lang: str = "python") -> str:
    """The first fenced `lang` block of a docs page that is a whole module (has a docstring)."""
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    blocks = re.findall(rf"```{lang}\n(.*?)```", text, re.S)
    return next(b for b in blocks if b.startswith('"""'))


def install_plugin(site: Path, module: str, code: str, group: str, entry: str) -> None:
    """A package as pip leaves it: the module plus a dist-info whose entry_points.txt names it."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(code, encoding="utf-8")
    info = site / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[{group}]\n{entry}\n", encoding="utf-8")


@pytest.fixture
def data(tmp_path, monkeypatch) -> Path:
    """A dataset, and the export format of docs/extending/export-formats.md installed as a package."""
    code = page_code("extending/export-formats.md")
    install_plugin(tmp_path / "site", "my_formats", code, "codesynth.exports", "completion = my_formats:write_completion")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "site"))
    data = tmp_path / "dataset.jsonl"
    write_models(data, RECORDS)
    return data


def test_an_export_format_from_a_package_works_from_the_cli(tmp_path, data):

    help_ = run_cli("export", "--help")
    assert "completion" in help_.stdout  # the help lists what the registry holds

    out = tmp_path / "data.jsonl"
    r = run_cli("export", str(data), "--format", "completion", "--out", str(out), "--system", "Be brief.")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert rows == [{"prompt": "Be brief.\n\nWrite add(a, b).",
                     "completion": "```python\ndef add(a, b):\n    return a + b\n```"},
                    {"prompt": "Be brief.\n\nWrite neg(a).", "completion": "```python\ndef neg(a):\n    return -a\n```"}]
    assert (tmp_path / "data.jsonl.README.md").is_file()

    # the format's extensions are enforced before anything is read
    bad = run_cli("export", str(data), "--format", "completion", "--out", str(tmp_path / "x.parquet"))
    assert bad.returncode == 2 and "--format completion writes a .jsonl file" in bad.stderr
    assert not (tmp_path / "x.parquet").exists()


def test_an_unknown_format_lists_the_registered_ones(tmp_path, data):
    r = run_cli("export", str(data), "--format", "nope", "--out", str(tmp_path / "o.jsonl"))
    assert r.returncode == 2
    assert "Invalid value for '--format': unknown export format 'nope'" in r.stderr
    assert "completion" in r.stderr and "parquet" in r.stderr and "Traceback" not in r.stderr


def test_an_importer_from_a_package_works_from_the_cli(tmp_path, monkeypatch):
    code = page_code("extending/importers.md")
    install_plugin(tmp_path / "site", "my_importers", code, "codesynth.importers",
                   "shown-hidden = my_importers:load_shown_hidden")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "site"))
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        json.dumps({"id": "1", "prompt": "Write add(a, b).", "entry_point": "add", "shown": ["assert add(1, 2) == 3"],
                    "hidden": ["assert add(-1, 1) == 0", "assert add(0, 0) == 0"],
                    "solution": "def add(a, b):\n    return a + b\n"}) + "\n"
        + json.dumps({"id": "2", "prompt": "Write neg(a).", "entry_point": "neg", "shown": ["assert neg(1) == -1"],
                      "solution": "def neg(a):\n    return -a\n"}) + "\n", encoding="utf-8")

    listing = run_cli("problems", "import", "--help")
    assert "shown-hidden" in listing.stdout and "mbpp" in listing.stdout
    help_ = run_cli("problems", "import", "shown-hidden", "--help")
    assert "--prefix" in help_.stdout and "Put this before every problem id." in help_.stdout

    out = tmp_path / "problems.jsonl"
    r = run_cli("problems", "import", "shown-hidden", str(rows), "--out", str(out), "--prefix", "x")
    assert r.returncode == 0, r.stderr
    got = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(p["id"], p["tests"], p["private_tests"]) for p in got] == [
        ("x/1", "assert add(1, 2) == 3\n", "assert add(-1, 1) == 0\nassert add(0, 0) == 0\n"),
        ("x/2", "assert neg(1) == -1\n", None)]
    assert run_cli("problems", "validate", str(out)).returncode == 0

    # a bad row is one line naming file:line and the field, exit 2
    rows.write_text(json.dumps({"id": "3", "prompt": "p", "entry_point": "f", "shown": "assert f()"}) + "\n")
    bad = run_cli("problems", "import", "shown-hidden", str(rows), "--out", str(tmp_path / "b.jsonl"))
    assert bad.returncode == 2 and f"{rows}:1: field 'shown': expected a list of strings" in bad.stderr
    assert "Traceback" not in bad.stderr
