"""Many tests per program: 200-case CodeContests-style problems in C++ and Python, through the
pool against a bare compile-and-run loop, in one run.

    python bench/many_tests.py [--programs 4] [--cases 200] [--workers 2] [--rounds 2] [--json FILE]

Each program reads `n` and `n` integers and prints their sum and maximum (every case a new
input, of 1 to 300 numbers); every program is a distinct source, so each one compiles.

  bare     no sandbox, no cache: per program, write the files, run the compiler in a subprocess,
           run each case in a subprocess, compare on the host (bench/languages.py's loop, in one
           plain container of the same toolchain image: the same compiler and Python versions,
           `--workers` threads);
  pool     `execute_many` over the DockerBackend (`--workers` warm hardened containers): compiled
           once per container, the 200 cases in batches across the workers (sandbox/case_batches.py);
  unbatched  the same pool, each program's cases all on one worker (backend.execute directly).

Reported per language and method: programs/s, cases/s, and the ratio to bare measured in the same
round (the median over `--rounds` rounds, run in alternating order: the machine is shared). Every
method must get every program right (judged by the pool's own comparisons), else INVALID.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import languages as bare_bench  # noqa: E402  (bench/languages.py: the bare loop)

from codesynth.models import Candidate, IOCase, Limits, Problem, Status  # noqa: E402
from codesynth.sandbox.backend import build_request  # noqa: E402
from codesynth.sandbox.executor import execute_many  # noqa: E402

# Generous: the bench measures throughput, a shared machine must not turn it into time-outs.
LIM = Limits(timeout_s=120, memory_mb=512, compile_timeout_s=300)
SOURCES = {
    "cpp": "#include <cstdio>\nint main() { int n; if (scanf(\"%d\", &n) != 1) return 1; long long s = 0, m = -1e18;\n"
           "  for (int i = 0; i < n; i++) { long long x; scanf(\"%lld\", &x); s += x; if (x > m) m = x; }\n"
           "  printf(\"%lld %lld\\n\", s, m); }\n",
    "python": "import sys\ndef main():\n    d = sys.stdin.read().split()\n    n = int(d[0])\n"
              "    xs = list(map(int, d[1:1 + n]))\n    print(sum(xs), max(xs))\nmain()\n",
}
COMMENT = {"cpp": "//", "python": "#"}


def problem(lang: str, cases: int, seed: int) -> Problem:
    rnd = random.Random(seed)
    tests = []
    for _ in range(cases):
        xs = [rnd.randint(-10**9, 10**9) for _ in range(rnd.randint(1, 300))]
        tests.append(IOCase(input=f"{len(xs)}\n{' '.join(map(str, xs))}\n", output=f"{sum(xs)} {max(xs)}\n"))
    return Problem(id=f"many/{lang}", prompt="sum and max", tests=tests, language=lang)


def items(lang: str, p: Problem, programs: int, salt: str) -> list[tuple[Problem, str]]:
    return [(p, f"{SOURCES[lang]}{COMMENT[lang]} {salt} program {k}\n") for k in range(programs)]


def run_pool(pool, its, lang, batched: bool, tag: str) -> dict:
    jobs = [(i, build_request(p, Candidate(candidate_id=f"{tag}-{i}", problem_id=p.id, solution=sol, language=lang),
                              LIM)) for i, (p, sol) in enumerate(its)]
    t0 = time.monotonic()
    if batched:
        res = [r for _, r in execute_many(pool, jobs, ordered=True)]
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(pool.capacity) as ex:
            res = list(ex.map(lambda j: pool.execute(j[1]), jobs))
    wall = time.monotonic() - t0
    bad = [(r.status.value, r.error_message) for r in res if r.status is not Status.passed]
    cases = sum(len(p.tests) for p, _ in its)
    return {"wall_s": wall, "programs_per_s": len(its) / wall, "cases_per_s": cases / wall, "valid": not bad,
            "failures": bad[:2]}


def run_bare(image, its, lang, workers) -> dict:
    r = bare_bench.run_bare(image, its, lang, workers)
    cases = sum(len(p.tests) for p, _ in its)
    return {"wall_s": r["wall_s"], "programs_per_s": len(its) / r["wall_s"], "cases_per_s": cases / r["wall_s"],
            "valid": r["valid"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--programs", type=int, default=4, help="programs per language (distinct sources)")
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()

    from codesynth.sandbox.docker import lang_image
    from codesynth.sandbox.docker.backend import DockerBackend

    langs = ("cpp", "python")
    image = lang_image.ensure_image(set(langs), build="toolchains")
    pool = DockerBackend(workers=a.workers, limits=LIM, image=image, languages=set(langs), run_id="bench-many")
    pool.start()
    pool.wait_spares()
    out: dict = {"image": image, "workers": a.workers, "cases": a.cases, "programs": a.programs, "languages": {}}
    try:
        for lang in langs:
            p = problem(lang, a.cases, seed=7)
            rows = []
            for rnd in range(a.rounds):
                row = {}
                order = ["bare", "pool", "unbatched"] if rnd % 2 == 0 else ["unbatched", "pool", "bare"]
                for m in order:
                    its = items(lang, p, a.programs, f"{m}{rnd}{time.time_ns()}")
                    row[m] = run_bare(image, its, lang, a.workers) if m == "bare" else \
                        run_pool(pool, its, lang, batched=m == "pool", tag=f"{m}{rnd}")
                rows.append(row)
            res = {}
            for m in ("bare", "pool", "unbatched"):
                res[m] = {k: statistics.median(r[m][k] for r in rows) for k in ("programs_per_s", "cases_per_s")}
                res[m]["valid"] = all(r[m]["valid"] for r in rows)
                if m != "bare":
                    res[m]["vs_bare"] = statistics.median(r[m]["cases_per_s"] / r["bare"]["cases_per_s"] for r in rows)
            out["languages"][lang] = res
            print(f"{lang}: {a.programs} programs x {a.cases} cases, {a.workers} workers, {a.rounds} rounds")
            for m, v in res.items():
                ratio = f"  {v['vs_bare']:.2f}x bare" if "vs_bare" in v else ""
                print(f"  {m:<10} {v['programs_per_s']:7.2f} programs/s {v['cases_per_s']:9.1f} cases/s{ratio}"
                      f"{'' if v['valid'] else '  INVALID'}")
                if not v["valid"]:
                    for r in rows:
                        print(f"    {r[m].get('failures')}")
    finally:
        pool.close()
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
