"""The curation filter registry from outside the package: the toy filter of
docs/extending/filters.md, installed as a plugin (an entry point in a dist-info on the path, as
pip would leave it), used from the real CLI and from a recipe, in subprocesses."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import ROOT

from codesynth.errors import InputError
from codesynth.models import DatasetRecord
from codesynth.verifiers.curation.curate import CurateConfig
from codesynth.verifiers.curation.registry import parse_filter_option, registered

PAGE = ROOT / "docs" / "extending" / "filters.md"


def _plugin(tmp: Path) -> Path:
    """The page's example module, installed as the `codesynth.filters` entry point `short_solutions`."""
    code = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)[-1]
    site = tmp / "site"
    (site / "toy_filters").mkdir(parents=True)
    (site / "toy_filters" / "__init__.py").write_text("")
    (site / "toy_filters" / "short.py").write_text(code)
    info = site / "toy_filters-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-filters\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[codesynth.filters]\nshort_solutions = toy_filters.short\n")
    return site


SHORT = "def f(x):\n    y = x + 1\n    return y * 2\n"  # not trivial (complexity keeps it), but short


def _dataset(path: Path) -> Path:
    recs = [DatasetRecord(id=f"p{i}::c", problem_id=f"p{i}", candidate_id=f"p{i}::c", instruction=f"Task {i}.",
                          solution=sol, tests="assert True\n")
            for i, sol in enumerate([SHORT,
                                     "def g(xs):\n    total = 0\n    for x in xs:\n        total += x * x\n    return total\n"])]
    path.write_text("".join(r.model_dump_json() + "\n" for r in recs))
    return path


def _env(site: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
    env.pop("CODESYNTH_CONFIG", None)
    return env


def test_the_page_example_is_used_from_the_cli(tmp_path):
    site, data = _plugin(tmp_path), _dataset(tmp_path / "dataset.jsonl")
    out = tmp_path / "curated.jsonl"
    args = [sys.executable, "-m", "codesynth.cli", "curate", str(data), "--out", str(out), "--backend", "local",
            "--no-decontam", "--no-mutation", "--json"]
    p = subprocess.run([*args, "--filter", "short_solutions:min_chars=60"], capture_output=True, text=True,
                       env=_env(site), cwd=tmp_path, timeout=600)
    assert p.returncode == 0, p.stderr
    rep = json.loads(p.stdout)
    toy = next(f for f in rep["filters"] if f["name"] == "short_solutions")
    assert toy["enabled"] and toy["dropped"] == 1 and toy["reasons"] == {"too_short": 1}
    assert toy["drops"][0]["detail"] == {"chars": len(SHORT), "min_chars": 60}
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["p1::c"]
    assert rep["config"]["short_solutions"] == {"enabled": True, "min_chars": 60}
    # registered but not named: its config's default (off) applies, and the report says so
    p = subprocess.run(args, capture_output=True, text=True, env=_env(site), cwd=tmp_path, timeout=600)
    toy = next(f for f in json.loads(p.stdout)["filters"] if f["name"] == "short_solutions")
    assert p.returncode == 0 and not toy["enabled"] and toy["dropped"] == 0
    # a bad option or an unknown filter: one line, the documented input-error exit code
    for bad, said in (("short_solutions:min_chars=-1", "min_chars"), ("short_solutions:nope=1", "no option 'nope'"),
                      ("no_such_filter", "unknown curation filter 'no_such_filter'")):
        p = subprocess.run([*args, "--filter", bad], capture_output=True, text=True, env=_env(site), cwd=tmp_path,
                           timeout=600)
        assert p.returncode == 2 and said in p.stderr and "Traceback" not in p.stderr, p.stderr
        assert len(p.stderr.strip().splitlines()) == 1


def test_the_page_example_is_used_from_a_recipe(tmp_path):
    site, data = _plugin(tmp_path), _dataset(tmp_path / "dataset.jsonl")
    recipe = tmp_path / "r.toml"
    recipe.write_text(textwrap.dedent("""
        name = "toy"
        [seeds]
        problems = "none.jsonl"
        [curate]
        decontam = false
        mutation = false
        [curate.filters.short_solutions]
        enabled = true
        min_chars = 60
        [curate.filters.strength]
        min_tnr = 0.5
    """))
    script = textwrap.dedent(f"""
        import json
        from codesynth.pipeline.curation import curate_run
        from codesynth.pipeline.synth import curate_config, load_recipe
        cfg = curate_config(load_recipe({str(recipe)!r}))
        rep = curate_run({str(data)!r}, {str(tmp_path / 'out.jsonl')!r}, cfg, backend="local")
        print(json.dumps({{f.name: [f.enabled, f.dropped] for f in rep.filters}}))
    """)
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=_env(site),
                       cwd=tmp_path, timeout=600)
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout.strip().splitlines()[-1])
    assert got["short_solutions"] == [True, 1] and got["strength"] == [True, 0] and got["decontam"][0] is False
    # an unknown filter in a recipe fails when the recipe loads, in one line
    recipe.write_text(recipe.read_text().replace("short_solutions]", "shortt_solutions]"))
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=_env(site),
                       cwd=tmp_path, timeout=600)
    assert p.returncode != 0 and "unknown curation filter 'shortt_solutions'" in p.stderr


def test_builtins_are_registered_like_plugins_and_configured_from_the_registry():
    specs = registered()
    assert list(specs)[:8] == ["dedup", "semantic", "privacy", "complexity", "decontam", "strength", "agreement",
                               "mutation"]
    cfg = CurateConfig()
    assert set(cfg.model_dump()) == {"weights", "limits", *specs}
    assert parse_filter_option('decontam:benchmarks=["humaneval"],threshold=0.6') == (
        "decontam", {"enabled": True, "benchmarks": ["humaneval"], "threshold": 0.6})
    with pytest.raises(InputError, match="unknown curation filter"):
        parse_filter_option("nope")


def test_export_drops_private_records_by_default_and_says_which(tmp_path):
    data = tmp_path / "d.jsonl"
    leak = "AKIA" + "QX7RZ4TWBV2MLK9D"
    recs = [DatasetRecord(id="a::c", problem_id="a", candidate_id="a::c", instruction="Add.",
                          solution="def add(a, b):\n    return a + b\n", tests="assert add(1, 2) == 3\n"),
            DatasetRecord(id="b::c", problem_id="b", candidate_id="b::c", instruction="Key.",
                          solution=f'KEY = "{leak}"\ndef key():\n    return KEY\n', tests="assert key()\n")]
    data.write_text("".join(r.model_dump_json() + "\n" for r in recs))
    out = tmp_path / "o.jsonl"
    p = subprocess.run([sys.executable, "-m", "codesynth.cli", "export", str(data), "--format", "openai",
                        "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    assert "privacy: dropped b::c (secret:AWS Access Key)" in p.stdout and leak not in p.stdout
    assert "wrote 1 record(s)" in p.stdout and leak not in out.read_text()
    p = subprocess.run([sys.executable, "-m", "codesynth.cli", "export", str(data), "--format", "openai",
                        "--out", str(out), "--privacy", "redact"], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0 and "wrote 2 record(s)" in p.stdout and leak not in out.read_text()
    assert "<REDACTED:secret:AWS Access Key>" in out.read_text()
