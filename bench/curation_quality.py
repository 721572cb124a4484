"""Recall and false-positive rate of each curation filter, per class, on the corpora of tests/.

    python bench/curation_quality.py                 # the held-out half (1) of the decontam corpus
    python bench/curation_quality.py --half 0        # the half the thresholds were tuned on
    python bench/curation_quality.py --filters decontam --show-misses

decontam: tests/corpus_contamination.py (rule families over HumanEval and an MBPP-format file,
split by item; clean look-alikes). dedup: tests/corpus_dedup.py. privacy: tests/corpus_privacy.py
(seeds are the halves: --half 0 measures seeds 7/3, --half 1 seeds 11/13). Each class prints
planted (or clean) records and how many were dropped; recall is asked to be >= 0.9, the
false-positive rate <= 0.1.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def table(name: str, records, dropped: set[str], planted: set[str]) -> bool:
    got: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in records:
        c = got[r.metadata["class"]]
        c[0] += r.id in dropped
        c[1] += 1
    ok = True
    print(f"\n{name}: class, dropped/total, rate")
    for cls in sorted(got, key=lambda c: (c not in planted, c)):
        d, n = got[cls]
        kind = "recall" if cls in planted else "FPR"
        good = d / n >= 0.9 if cls in planted else d / n <= 0.1
        ok &= good
        print(f"  {cls:28s} {d:4d}/{n:<4d} {kind} {d / n:.2f}{'' if good else '  <-- misses the target'}")
    return ok


def decontam(half: int, show: bool) -> bool:
    from corpus_contamination import SOLUTION_FAMILIES, corpus
    from corpus_decontam import MBPP_LOOKALIKE

    from codesynth.verifiers.curation.decontam import DecontamConfig, decontaminate

    os.environ["CODESYNTH_MBPP"] = str(MBPP_LOOKALIKE)
    recs = corpus(half)
    full = [r for r in recs if r.metadata["planted"] is None or r.metadata["class"] in SOLUTION_FAMILIES]
    nosol = [r for r in recs if r not in full]
    t = time.perf_counter()
    _, rep = decontaminate(full, DecontamConfig())
    _, rep2 = decontaminate(nosol, DecontamConfig(check_solution=False))
    print(f"decontam over {len(recs)} records in {time.perf_counter() - t:.1f} s; notes: {rep.note or '-'}")
    drops = rep.drops + rep2.drops
    if show:
        for d in drops:
            r = next(x for x in recs if x.id == d.id)
            if r.metadata["planted"] is None:
                print("  FALSE POSITIVE", d.id, d.detail["matches"])
        hit = {d.id for d in drops}
        for r in recs:
            if r.metadata["planted"] and r.id not in hit:
                print("  MISSED", r.id, "|", r.instruction[:150].replace("\n", " "))
    planted = {r.metadata["class"] for r in recs if r.metadata["planted"]}
    return table("decontam", recs, {d.id for d in drops}, planted)


def dedup(half: int, show: bool) -> bool:
    from corpus_dedup import CLASSES, corpus

    from codesynth.verifiers.curation.dedup import DedupConfig
    from codesynth.verifiers.curation.dedup import dedup as run

    recs = corpus(seed=(3, 13)[half])
    _, rep = run(recs, DedupConfig())
    return table("dedup", recs, {d.id for d in rep.drops}, set(CLASSES))


def privacy(half: int, show: bool) -> bool:
    from corpus_privacy import PLANTED, corpus

    from codesynth.verifiers.curation.privacy import privacy_filter

    recs = corpus(per_class=20, seed=(7, 11)[half])
    _, rep = privacy_filter([r.model_copy(deep=True) for r in recs])
    if show:
        for d in rep.drops:
            r = next(x for x in recs if x.id == d.id)
            if not r.metadata["planted"]:
                print("  FALSE POSITIVE", d.id, d.detail["findings"])
    return table("privacy", recs, {d.id for d in rep.drops}, set(PLANTED))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--half", type=int, choices=(0, 1), default=1)
    ap.add_argument("--filters", default="decontam,dedup,privacy")
    ap.add_argument("--show-misses", action="store_true")
    a = ap.parse_args()
    ok = True
    for name in a.filters.split(","):
        ok &= {"decontam": decontam, "dedup": dedup, "privacy": privacy}[name](a.half, a.show_misses)
    print("\nall classes on target" if ok else "\nsome classes miss the target")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
