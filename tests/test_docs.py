"""The documentation: the site builds with --strict, its generated reference covers the code,
and the README's two commands are the ones CI runs.

`mkdocs build --strict` fails on a broken link, a missing page, a nav entry without a file, a
field of the recipe or problem models without a meaning (the hook in docs/hooks/), or an API
object mkdocstrings cannot find; so this test is the docs' CI check (no separate step in .ci/run).
"""

from __future__ import annotations

import logging
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = "pip install -e . && codesynth quickstart"
TEST_CMD = 'pip install -e ".[test]" && python -m pytest -q'


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
         "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**__import__("os").environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    problems = [ln for ln in proc.stderr.splitlines() if ln.startswith(("WARNING", "ERROR"))]
    assert proc.returncode == 0, "mkdocs build --strict failed:\n" + "\n".join(problems or [proc.stderr[-3000:]])
    return out


def _text(html_file: Path) -> str:
    return re.sub(r"<[^>]+>", " ", html_file.read_text(encoding="utf-8"))


def _keys(model: type[BaseModel]) -> set[str]:
    """Every key a file of `model` may hold, nested sections included."""
    keys, todo, seen = set(), [model], set()
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        for name, f in m.model_fields.items():
            if not f.exclude:
                keys.add(name)
            for t in (f.annotation, *getattr(f.annotation, "__args__", ())):
                for a in (t, *getattr(t, "__args__", ())):
                    if isinstance(a, type) and issubclass(a, BaseModel):
                        todo.append(a)
    return keys


def test_site_builds_strict_with_every_page(site):
    for page in ["index.html", "getting-started/index.html", "concepts/index.html", "guides/synth/index.html",
                 "guides/verify/index.html", "sandbox/index.html", "reference/cli/index.html",
                 "reference/recipe/index.html", "reference/python-api/index.html", "extending/index.html",
                 "topics/index.html", "changelog/index.html", "performance/index.html"]:
        assert (site / page).is_file(), page


def test_recipe_reference_lists_every_key_the_recipe_reads(site):
    from codesynth.pipeline.synth import Recipe

    text = _text(site / "reference" / "recipe" / "index.html")
    keys = _keys(Recipe)
    assert {"prompt_per_mtok", "completion_per_mtok", "base_url", "rounds", "timeout_s"} <= keys
    missing = sorted(k for k in keys if not re.search(rf"\b{re.escape(k)}\b", text))
    assert not missing, f"recipe keys missing from the reference: {missing}"


def test_problem_reference_lists_every_field(site):
    from codesynth.models import Candidate, Problem

    text = _text(site / "reference" / "formats" / "index.html")
    missing = sorted(k for k in _keys(Problem) | _keys(Candidate) if not re.search(rf"\b{re.escape(k)}\b", text))
    assert not missing, missing


def test_cli_reference_is_generated_from_click(site):
    from codesynth.cli import cli

    text = _text(site / "reference" / "cli" / "index.html")
    for name, cmd in cli.commands.items():
        assert f"codesynth {name}" in text, name
        for p in cmd.params:
            for opt in getattr(p, "opts", []):
                if opt.startswith("--"):
                    assert opt in text, f"{name} {opt}"


def test_api_reference_renders_docstrings(site):
    html = (site / "reference" / "python-api" / "index.html").read_text(encoding="utf-8")
    assert "register_backend" in html and "trl_reward_func" in html
    assert 'class="doc doc-object doc-function"' in html


def test_readme_commands_are_the_ones_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    lines = [ln.strip() for b in blocks for ln in b.splitlines()]
    assert QUICKSTART in lines and TEST_CMD in lines
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    m = re.search(r"^TEST_CMD=(.+)$", ci, re.M)
    assert m, ".ci/run has no TEST_CMD"
    assert shlex.split(m.group(1))[0] == TEST_CMD
    assert 'bash -c "$TEST_CMD"' in ci


def test_readme_is_short_and_its_links_resolve():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 180
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme):
        if "://" not in target:
            assert (ROOT / target).exists(), f"README links to {target}, which does not exist"


class _Undocumented(BaseModel):
    documented: int = Field(default=1, description="Has a meaning.")
    bare: int = 0


def test_reference_hook_flags_a_field_without_meaning(caplog):
    sys.path.insert(0, str(ROOT / "docs" / "hooks"))
    try:
        import generated_reference
    finally:
        sys.path.remove(str(ROOT / "docs" / "hooks"))
    with caplog.at_level(logging.WARNING, logger="mkdocs.hooks.generated_reference"):
        table = generated_reference.tables(f"{__name__}._Undocumented", set())
    assert "| `documented` | integer | `1` |  | Has a meaning. |" in table
    assert any("_Undocumented.bare has no description" in r.getMessage() for r in caplog.records)
