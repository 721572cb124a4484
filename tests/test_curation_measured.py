"""Each curation filter measured on corpora of planted cases and look-alike clean records, per
class (recall >= 0.9 on every planted class, false-positive rate <= 0.1 on the clean ones).

The corpora are built by tests/corpus_*.py in the product's DatasetRecord format, from seeds:
disguised HumanEval problems and an MBPP-format benchmark of our own (decontamination),
planted copies of every disguise class (near-duplicates), planted secrets and PII of every
class (privacy), each with clean records that look like them.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from corpus_privacy import CLEAN, PLANTED
from corpus_privacy import corpus as privacy_corpus

from codesynth.models import DatasetRecord
from codesynth.verifiers.curation.privacy import PrivacyConfig, privacy_filter

MIN_RECALL, MAX_FPR = 0.9, 0.1


def rates(records: list[DatasetRecord], dropped: set[str]) -> dict[str, tuple[int, int]]:
    """class -> (dropped, total)."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in records:
        c = out[r.metadata["class"]]
        c[1] += 1
        c[0] += r.id in dropped
    return {k: (a, b) for k, (a, b) in out.items()}


def check_rates(records, dropped, planted: set[str], clean: set[str]) -> None:
    got = rates(records, dropped)
    assert planted | clean == set(got), "every class of the corpus is measured"
    low = {c: got[c] for c in planted if got[c][0] / got[c][1] < MIN_RECALL}
    noisy = {c: got[c] for c in clean if got[c][0] / got[c][1] > MAX_FPR}
    assert low == {} and noisy == {}, (low, noisy)
    pooled_fp = sum(got[c][0] for c in clean) / sum(got[c][1] for c in clean)
    assert pooled_fp <= MAX_FPR


@pytest.mark.parametrize("seed", [7, 11])
def test_privacy_recall_and_false_positives_per_class(seed):
    recs = privacy_corpus(per_class=20, seed=seed)
    kept, rep = privacy_filter([r.model_copy(deep=True) for r in recs])
    dropped = {d.id for d in rep.drops}
    check_rates(recs, dropped, set(PLANTED), set(CLEAN))
    # the report says what was removed and why, never the value itself
    assert rep.reasons == {"privacy": len(dropped)} and all(d.detail["findings"] for d in rep.drops)
    text = rep.model_dump_json()
    for r in recs:
        if r.id in dropped and r.metadata["class"] in ("aws_key", "card", "iban", "ssn"):
            value = r.solution if "def f(x)" not in r.solution else r.tests if "f(1)" not in r.tests else r.instruction
            assert value not in text


def test_privacy_redact_mode_removes_the_values_and_keeps_the_records():
    recs = [r for r in privacy_corpus(per_class=5, seed=3) if r.metadata["planted"]]
    kept, rep = privacy_filter([r.model_copy(deep=True) for r in recs], PrivacyConfig(mode="redact"))
    assert len(kept) == len(recs) and rep.dropped == 0
    again, rep2 = privacy_filter([r.model_copy(deep=True) for r in kept], PrivacyConfig(mode="report"))
    assert rep2.stats["records_flagged"] <= len(recs) // 10  # what is left is (nearly) clean
    assert all("<REDACTED:" in (r.instruction + r.solution + r.tests) for r in kept)


# --------------------------------------------------------------------------- decontamination

#: items per disguise family measured here (the whole held-out half: bench/curation_quality.py)
PER_FAMILY = 12


def test_decontamination_recall_and_false_positives_on_the_held_out_half(monkeypatch):
    """Every rule family of tests/corpus_contamination.py on the items of the half the thresholds
    were NOT tuned on (half 1), and every clean look-alike of that half."""
    from corpus_contamination import CLEAN, FAMILIES, SOLUTION_FAMILIES, corpus
    from corpus_decontam import MBPP_LOOKALIKE

    from codesynth.verifiers.curation.decontam import DecontamConfig, decontaminate

    monkeypatch.setenv("CODESYNTH_MBPP", str(MBPP_LOOKALIKE))
    recs = corpus(half=1, limit=PER_FAMILY)
    assert {r.metadata["planted"].split("/")[0] for r in recs if r.metadata["planted"]} == {"HumanEval", "mbpp"}
    # families that model an independently written solution are measured without the code check
    full = [r for r in recs if r.metadata["planted"] is None or r.metadata["class"] in SOLUTION_FAMILIES]
    nosol = [r for r in recs if r not in full]
    kept, rep = decontaminate(full, DecontamConfig())
    assert rep.note == "" and rep.stats["benchmarks"] == ["humaneval", "mbpp"] and rep.stats["meaning_checked"]
    kept2, rep2 = decontaminate(nosol, DecontamConfig(check_solution=False))
    drops = rep.drops + rep2.drops
    check_rates(recs, {d.id for d in drops}, set(FAMILIES), set(CLEAN))
    # every hit names the benchmark item and its evidence; the item is the disguised one (or one
    # whose tests are the same cases: HumanEval/7 and /29 share theirs)
    for d in drops:
        src = next(r for r in recs if r.id == d.id).metadata["planted"]
        if src is None:
            continue  # a false positive (counted above)
        assert all(m["benchmark"] in ("humaneval", "mbpp") and m["item"] and m["evidence"] for m in d.detail["matches"])
        named = {f"{m['benchmark']}/{m['item']}" if m["benchmark"] == "mbpp" else m["item"] for m in d.detail["matches"]}
        assert src in named or named <= {"HumanEval/7", "HumanEval/29"}, (d.id, src, named)
    # the combined evidence is what catches the paraphrases: meaning backed by behaviour
    # (own tests may still share a case or two with the item: those are caught by the tests)
    para = [d for d in rep2.drops if d.id.startswith("paraphrase_only/")]
    fields = [{m["field"] for m in d.detail["matches"]} for d in para]
    assert sum(any(f.startswith("meaning") for f in fs) for fs in fields) >= 0.8 * len(para)
    assert any("meaning+behaviour" in fs for fs in fields)


def test_decontamination_cutoff_and_missing_mbpp_is_said(monkeypatch, tmp_path):
    from codesynth.verifiers.curation.decontam import DecontamConfig, decontaminate

    monkeypatch.delenv("CODESYNTH_MBPP", raising=False)
    bench = tmp_path / "dated.jsonl"
    bench.write_text(
        '{"id": "old", "prompt": "Return the sum of the squares of the odd numbers in a list.", '
        '"solution": "def f(xs):\\n    return sum(x * x for x in xs if x % 2)\\n", "date": "2021-03-01"}\n'
        '{"id": "new", "prompt": "Return the list of prime factors of n in increasing order.", '
        '"solution": "def g(n):\\n    out, d = [], 2\\n    while d * d <= n:\\n        while n % d == 0:\\n'
        '            out.append(d)\\n            n //= d\\n        d += 1\\n    if n > 1:\\n            out.append(n)\\n'
        '    return out\\n", "date": "2025-01-10"}\n')
    from codesynth.models import DatasetRecord

    old = DatasetRecord(id="a::c", problem_id="a", candidate_id="c", instruction="Sum odd squares.",
                        solution="def h(v):\n    return sum(y * y for y in v if y % 2)\n", tests="assert h([1]) == 1\n")
    cfg = DecontamConfig(benchmarks=[str(bench), "mbpp"], check_meaning=False)
    kept, rep = decontaminate([old], cfg)
    assert rep.dropped == 1 and "CODESYNTH_MBPP" in rep.note  # mbpp missing: said, not silent
    kept, rep = decontaminate([old], DecontamConfig.model_validate({**cfg.model_dump(), "since": "2024-01-01"}))
    assert rep.dropped == 0 and rep.stats["benchmark_items"] == 1  # only items dated on/after the cutoff


# --------------------------------------------------------------------------- near-duplicates


def test_near_duplicates_recall_and_false_positives_per_class():
    from corpus_dedup import CLASSES, CLEAN_CLASSES, corpus

    from codesynth.verifiers.curation.dedup import DedupConfig, dedup

    recs = corpus(seed=3)
    kept, rep = dedup(recs, DedupConfig())
    dropped = {d.id for d in rep.drops}
    check_rates(recs, dropped, set(CLASSES), set(CLEAN_CLASSES))
    by_id = {r.id: r for r in recs}
    for d in rep.drops:  # each copy is dropped as a copy of its own base
        assert by_id[d.detail["duplicate_of"]].metadata["planted"] is None
        assert by_id[d.detail["duplicate_of"]].problem_id == by_id[d.id].problem_id
    # across problems: the 164 different HumanEval programs and the independent solutions stay apart
    distinct = [r for r in recs if r.metadata["class"] in ("distinct_program", "independent_solution")]
    kept, rep = dedup(distinct, DedupConfig(scope="global"))
    assert rep.dropped <= MAX_FPR * len(distinct), rep.drops
