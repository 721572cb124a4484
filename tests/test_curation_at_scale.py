"""The streamed curation path (verifiers/curation/at_scale.py) decides exactly as the in-memory
filters: on a few thousand records (every planted corpus of the curation tests, plus the
bench's generated records with their copies, secrets and disguised HumanEval solutions,
shuffled so that rank order is not file order), dedup -> privacy -> decontam in memory and
`curate_file` on the same file give equal reports (every drop, reason and detail, every stat)
and equal output files."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import numpy as np
import pytest

from codesynth.errors import InputError
from codesynth.jsonl import read_models, write_models
from codesynth.models import DatasetRecord
from codesynth.verifiers.curation.at_scale import curate_file
from codesynth.verifiers.curation.decontam import DecontamConfig, decontaminate
from codesynth.verifiers.curation.dedup import DedupConfig, MinHasher, dedup
from codesynth.verifiers.curation.privacy import PrivacyConfig, privacy_filter

ROOT = Path(__file__).resolve().parent.parent


def _bench():
    """bench/curation_scale.py: its generator of realistic records is the one the benchmark uses."""
    spec = importlib.util.spec_from_file_location("curation_scale", ROOT / "bench" / "curation_scale.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def corpus() -> list[DatasetRecord]:
    from corpus_contamination import corpus as contamination
    from corpus_dedup import corpus as copies
    from corpus_privacy import corpus as leaks

    recs = [*copies(seed=3), *leaks(per_class=20, seed=7), *contamination(half=1, limit=6)]
    recs += _bench().curation_records(2000, seed=5)[0]
    random.Random(1).shuffle(recs)
    assert len({r.id for r in recs}) == len(recs)
    return recs


def in_memory(path: Path, out: Path, cfgs) -> list:
    recs = read_models(path, DatasetRecord)
    reports = []
    for fn, cfg in zip((dedup, privacy_filter, decontaminate), cfgs, strict=True):
        recs, rep = fn(recs, cfg)
        reports.append(rep)
    write_models(out, recs)
    return reports


def same(tmp_path: Path, records: list[DatasetRecord], cfgs, workers: int = 2) -> list:
    src = tmp_path / "dataset.jsonl"
    write_models(src, records)
    old = in_memory(src, tmp_path / "old.jsonl", cfgs)
    new = curate_file(src, tmp_path / "new.jsonl", *cfgs, workers=workers, chunk=97)
    for a, b in zip(old, new, strict=True):
        assert a.model_dump() == b.model_dump(), a.name
    assert (tmp_path / "old.jsonl").read_bytes() == (tmp_path / "new.jsonl").read_bytes()
    return new


def test_streamed_path_decides_as_the_filters_do(tmp_path, corpus, monkeypatch):
    from corpus_decontam import MBPP_LOOKALIKE

    monkeypatch.setenv("CODESYNTH_MBPP", str(MBPP_LOOKALIKE))
    cfgs = (DedupConfig(scope="global"), PrivacyConfig(), DecontamConfig(check_meaning=False))
    dd, pv, dc = same(tmp_path, corpus, cfgs)
    # every kind of decision happened, so the equality above compared something
    assert dd.reasons["exact_duplicate"] >= 50 and dd.reasons["near_duplicate"] >= 100
    assert pv.reasons["privacy"] >= 100
    assert dc.stats["benchmarks"] == ["humaneval", "mbpp"] and dc.dropped >= 150
    assert {"solution", "tests"} <= set(dc.stats["hits_by_check"])


def test_streamed_path_per_problem_scope_and_redaction(tmp_path, corpus):
    # scope=problem (copies only within a problem), privacy redacting in place (decontamination
    # sees the redacted records, the output holds them), one worker
    cfgs = (DedupConfig(), PrivacyConfig(mode="redact"), DecontamConfig(benchmarks=["humaneval"], check_meaning=False))
    dd, pv, _ = same(tmp_path, corpus[:1200], cfgs, workers=1)
    assert dd.reasons.get("near_duplicate") and pv.stats["records_flagged"] > 20 and pv.dropped == 0
    assert "<REDACTED:" in (tmp_path / "new.jsonl").read_text()


def test_streamed_path_with_meaning_and_disabled_filters(tmp_path, corpus):
    from codesynth.embeddings import available

    if not available():
        pytest.skip("the embedding model (codesynth[semantic]) is not installed")
    from corpus_contamination import corpus as contamination

    recs = contamination(half=1, limit=1) + [r for r in corpus if r.id.startswith("r")][:30]
    cfgs = (DedupConfig(enabled=False), PrivacyConfig(mode="report"), DecontamConfig(benchmarks=["humaneval"]))
    dd, _, dc = same(tmp_path, recs, cfgs, workers=1)  # one worker: one more model load, not two
    assert not dd.enabled and dc.stats["meaning_checked"]
    assert any(m["field"].startswith("meaning") for d in dc.drops for m in d.detail["matches"])


def test_batched_signatures_are_datasketchs():
    hasher = MinHasher(64)
    rng = random.Random(2)
    sets = [{"".join(rng.choice("ab c") for _ in range(rng.randint(1, 9))) for _ in range(rng.randint(0, 90))}
            for _ in range(150)]  # fmt: skip
    assert (hasher.signatures(sets) == np.array([hasher.minhash(s).hashvalues for s in sets])).all()


def test_bad_input_is_one_line_naming_the_line(tmp_path):
    rec = DatasetRecord(id="a", problem_id="p", candidate_id="c", instruction="i", solution="x = 1\n", tests="")
    src = tmp_path / "d.jsonl"
    src.write_text(rec.model_dump_json() + "\n\n" + rec.model_dump_json() + "\n")
    with pytest.raises(InputError, match=r"d\.jsonl:3: duplicate record id 'a' \(first at line 1\)"):
        curate_file(src, tmp_path / "o.jsonl", workers=1, decontam_cfg=DecontamConfig(enabled=False))
    src.write_text(rec.model_dump_json() + "\n{\"id\": \n")
    with pytest.raises(InputError, match=r"d\.jsonl:2: invalid JSON"):
        curate_file(src, tmp_path / "o.jsonl", workers=1, decontam_cfg=DecontamConfig(enabled=False))
    src.write_text('{"id": "a"}\n')
    with pytest.raises(InputError, match=r"d\.jsonl:1: .*problem_id"):
        curate_file(src, tmp_path / "o.jsonl", workers=1, decontam_cfg=DecontamConfig(enabled=False))
    with pytest.raises(InputError, match="file not found"):
        curate_file(tmp_path / "nope.jsonl", tmp_path / "o.jsonl")
    assert not (tmp_path / "o.jsonl").exists()


def test_curate_stream_is_the_in_memory_command_for_its_three_filters(tmp_path, corpus):
    """`codesynth curate FILE --stream` keeps what `codesynth curate FILE` keeps with only dedup,
    privacy and decontamination on, and its report says which filters it did not run."""
    import json

    from helpers import run_cli

    src = tmp_path / "dataset.jsonl"
    # a bare dataset file is read by candidate id (the bench's records share them, a run's do not)
    write_models(src, [r.model_copy(update={"candidate_id": r.id}) for r in corpus[:800]])
    common = ("--dedup-scope", "global", "--privacy", "drop", "--benchmark", "humaneval",
              "--filter", "decontam:check_meaning=false")  # meaning: test_streamed_path_with_meaning...
    off = ("--no-complexity", "--no-agreement", "--no-mutation")
    mem = run_cli("curate", str(src), "--out", str(tmp_path / "mem.jsonl"), *common, *off, "--json", timeout=600)
    assert mem.returncode == 0, mem.stderr
    res = run_cli("curate", str(src), "--out", str(tmp_path / "str.jsonl"), *common, "--stream", "--workers", "2",
                  "--json", timeout=600)
    assert res.returncode == 0, res.stderr
    a, b = json.loads(mem.stdout), json.loads(res.stdout)
    assert b["input_records"] == 800 and b["output_records"] == a["output_records"] < 800
    ran = {f["name"]: f for f in b["filters"] if f["enabled"]}
    assert set(ran) == {"dedup", "privacy", "decontam"}
    assert all(f["note"] == "not run by --stream" for f in b["filters"] if f["name"] not in ran)
    for f in a["filters"]:
        if f["name"] in ran:
            assert f["drops"] == ran[f["name"]]["drops"], f["name"]
    ids = [json.loads(x)["id"] for x in (tmp_path / "str.jsonl").read_text().splitlines()]
    assert ids == [json.loads(x)["id"] for x in (tmp_path / "mem.jsonl").read_text().splitlines()]
    assert json.loads((tmp_path / "str.jsonl.report.json").read_text())["output_records"] == len(ids)
    # the semantic filter cannot stream: one line, exit code of bad input
    bad = run_cli("curate", str(src), "--out", str(tmp_path / "x.jsonl"), "--stream", "--semantic-dedup")
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0 and "semantic" in bad.stderr, bad.stderr
