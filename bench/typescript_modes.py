"""TypeScript's compile modes in the pool: `check` (tsc) against `strip` (esbuild), one run.

    python bench/typescript_modes.py [--programs 12] [--rounds 3] [--workers 1] [--json FILE]

Every program is a distinct data-form solution (a different constant in a comment, so every
one is a compile, no cache hit), judged on the same tests in both modes by the same pool (a
real DockerBackend on the toolchain image). Rounds alternate the order of the modes, as the
machine is shared. Reported per mode: the median compile time the container measured, the
median wall time per program (compile + run + transport), programs/s; and the ratios
check/strip, median over rounds (the worst round shown too). Every program must pass in both
modes or the run is INVALID.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from codesynth.models import Candidate, Limits, Problem, Status  # noqa: E402
from codesynth.sandbox.backend import build_request  # noqa: E402

LIM = Limits(timeout_s=20, memory_mb=512, compile_timeout_s=180)
PROBLEM = {"id": "bench/ts", "prompt": "sum of squares",
           "signature": {"name": "f", "params": [{"name": "xs", "type": "list[int]"}], "returns": "int"},
           "tests": [{"call": [[1, 2, 3]], "expect": 14}, {"call": [[]], "expect": 0}, {"call": [[-4]], "expect": 16}]}
PROGRAM = """// variant {i}
function f(xs: number[]): number {{
    let total = 0;
    for (const x of xs) total += x * x;
    return total;
}}
"""


def run_mode(pool, mode: str, programs: list[str], tag: str) -> dict:
    problem = Problem.model_validate({**PROBLEM, "metadata": {"language_mode": mode}})
    compile_s, wall, bad = [], [], 0
    t0 = time.perf_counter()
    for i, prog in enumerate(programs):
        cand = Candidate(candidate_id=f"{tag}-{mode}-{i}", problem_id=problem.id, solution=prog, language="typescript")
        s = time.perf_counter()
        r = pool.execute(build_request(problem, cand, LIM))
        wall.append(time.perf_counter() - s)
        if r.status is not Status.passed or r.compile_cached:
            bad += 1
            print(f"  {mode} #{i}: {r.status.value} {r.error_type} {r.error_message} cached={r.compile_cached}")
        compile_s.append(r.compile_s or 0.0)
    total = time.perf_counter() - t0
    return {"mode": mode, "compile_p50_s": statistics.median(compile_s), "wall_p50_s": statistics.median(wall),
            "programs_per_s": len(programs) / total, "bad": bad}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--programs", type=int, default=12)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()

    from codesynth.sandbox.docker import lang_image
    from codesynth.sandbox.docker.backend import DockerBackend

    image = lang_image.ensure_image({"typescript"}, build="toolchains")
    pool = DockerBackend(workers=a.workers, limits=LIM, image=image, run_id=f"benchts{os.getpid()}",
                         languages={"typescript"})
    pool.start()
    rounds = []
    try:
        for k in range(a.rounds):
            order = ("check", "strip") if k % 2 == 0 else ("strip", "check")
            res = {}
            for mode in order:
                programs = [PROGRAM.format(i=f"{k}-{mode}-{i}-{os.getpid()}") for i in range(a.programs)]
                res[mode] = run_mode(pool, mode, programs, f"r{k}")
            rounds.append(res)
            c, s = res["check"], res["strip"]
            print(f"round {k + 1} ({' then '.join(order)}): compile p50 check {c['compile_p50_s']:.3f}s "
                  f"strip {s['compile_p50_s']:.3f}s; programs/s check {c['programs_per_s']:.2f} "
                  f"strip {s['programs_per_s']:.2f}")
    finally:
        pool.close()
    invalid = any(r[m]["bad"] for r in rounds for m in r)
    ratios = [r["check"]["compile_p50_s"] / max(r["strip"]["compile_p50_s"], 1e-6) for r in rounds]
    speed = [r["strip"]["programs_per_s"] / r["check"]["programs_per_s"] for r in rounds]
    summary = {"programs": a.programs, "rounds": rounds, "compile_ratio_median": statistics.median(ratios),
               "compile_ratio_worst": min(ratios), "throughput_ratio_median": statistics.median(speed),
               "throughput_ratio_worst": min(speed), "valid": not invalid, "loadavg": os.getloadavg()}
    print(f"check/strip compile time: {summary['compile_ratio_median']:.1f}x median "
          f"(worst round {summary['compile_ratio_worst']:.1f}x); strip/check programs/s: "
          f"{summary['throughput_ratio_median']:.1f}x (worst {summary['throughput_ratio_worst']:.1f}x); "
          f"load average {summary['loadavg'][0]:.1f}" + ("" if not invalid else "  INVALID (a program failed)"))
    if a.json:
        a.json.write_text(json.dumps(summary, indent=1))
    return 1 if invalid else 0


if __name__ == "__main__":
    raise SystemExit(main())
