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
