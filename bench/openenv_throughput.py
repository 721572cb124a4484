"""Episodes per second and feedback latency of `codesynth serve --env` (the OpenEnv WebSocket
server) against the in-process environment, in one run.

    python bench/openenv_throughput.py [--workers N] [--rounds 3] [--concurrency 64] [--problems 164] [--json FILE]

The same machine runs both: the library's environment (`code_environment`, awaited episodes)
over an in-process DockerBackend, and a `codesynth serve --env` subprocess with its own pool of
the same size played by `openenv`'s `GenericEnvClient`, --concurrency episodes in flight on
each side (both idle while the other is measured; rounds interleave them).

Every episode is the same script on both sides, over HumanEval (its docstring examples public,
`check` private): turn 1 a wrong program (it raises: feedback from the public tests), turn 2
the canonical solution (public tests pass: the final verdict on all tests). The episode's
observations must be equal on both sides (feedback, done, reward), else the round is INVALID.

  episodes/s       episodes finished per second (median of the rounds)
  feedback p50/p95 a step's latency (reply sent -> observation back), milliseconds
Floor (issue 20): over the WebSocket >= 0.8x in-process episodes/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from openenv import GenericEnvClient
from serve_throughput import log, start_server

from codesynth.importers import import_humaneval
from codesynth.models import Limits
from codesynth.pipeline.environment import code_environment
from codesynth.sandbox.docker.backend import DockerBackend

ROOT = Path(__file__).resolve().parents[1]


def script(problem) -> list[str]:
    # fails fast (a `return None` can send a suite's loop spinning until the time limit)
    wrong = f"```python\ndef {problem.entry_point}(*args, **kwargs):\n    raise NotImplementedError\n```\n"
    return [wrong, f"```python\n{problem.reference_solution}```\n"]


def seen(obs: dict, reward, done) -> tuple:
    return obs.get("feedback"), done, reward


async def _bounded(n: int, jobs):
    sem = asyncio.Semaphore(n)

    async def one(job):
        async with sem:
            return await job()

    return await asyncio.gather(*(one(j) for j in jobs))


async def _steps(p, step, lat: list[float]) -> list[tuple]:
    """The script of `p`, one reply a turn through `step` (reply -> (observation dict, reward, done))."""
    out = []
    for reply in script(p):
        t0 = time.perf_counter()
        obs, reward, done = await step(reply)
        lat.append(time.perf_counter() - t0)
        out.append(seen(obs, reward, done))
        if done:
            break
    return out


async def _inproc(env, problems, concurrency: int) -> tuple[float, list, list[float]]:
    lat: list[float] = []

    async def episode(p):
        ep = env.episode(p.id)
        await ep.areset()

        async def step(reply):
            o = await ep.astep(reply)
            return o.model_dump(), o.reward, o.done

        return await _steps(p, step, lat)

    t0 = time.perf_counter()
    res = await _bounded(concurrency, [lambda p=p: episode(p) for p in problems])
    return time.perf_counter() - t0, res, lat


async def _served(base: str, problems, concurrency: int) -> tuple[float, list, list[float]]:
    lat: list[float] = []

    async def episode(p):
        async with GenericEnvClient(base_url=base, message_timeout_s=600) as env:
            await env.reset(task_id=p.id)

            async def step(reply):
                r = await env.step({"code": reply})
                return r.observation, r.reward, r.done

            return await _steps(p, step, lat)

    t0 = time.perf_counter()
    res = await _bounded(concurrency, [lambda p=p: episode(p) for p in problems])
    return time.perf_counter() - t0, res, lat


def pct(xs: list[float], q: float) -> float:
    return statistics.quantiles(xs, n=100)[q - 1] * 1e3 if len(xs) > 1 else xs[0] * 1e3


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--problems", type=int, default=164, help="the first N HumanEval problems")
    ap.add_argument("--json", default=None, help="write the results here too")
    args = ap.parse_args(argv)

    problems = import_humaneval()[: args.problems]
    limits = Limits(timeout_s=10, memory_mb=512, output_bytes=8 << 20)
    tmp = Path(tempfile.mkdtemp(prefix="openenv-bench-"))
    env_file = tmp / "humaneval.jsonl"
    env_file.write_text("".join(p.model_dump_json() + "\n" for p in problems))

    log(f"starting the in-process pool and a `codesynth serve --env` subprocess, {args.workers} workers each")
    backend = DockerBackend(workers=args.workers, limits=limits, run_id=f"bench{os.getpid()}")
    backend.start()
    env = code_environment(problems, backend=backend, limits=limits)
    proc, url = start_server(args.workers, limits.timeout_s, "--env", str(env_file), "--env-sessions",
                             str(args.concurrency))
    base = url + "/openenv"
    rows: dict[str, list] = {"inproc": [], "served": []}
    valid = True
    try:
        asyncio.run(_inproc(env, problems[:8], 8))  # warm both (first sight of each test text, imports)
        asyncio.run(_served(base, problems[:8], 8))
        for r in range(args.rounds):
            a = asyncio.run(_inproc(env, problems, args.concurrency))
            b = asyncio.run(_served(base, problems, args.concurrency))
            valid &= a[1] == b[1]
            rows["inproc"].append(a)
            rows["served"].append(b)
            log(f"round {r + 1}/{args.rounds}: in-process {len(problems) / a[0]:.1f} episodes/s, "
                f"WebSocket {len(problems) / b[0]:.1f} episodes/s, same answers: {a[1] == b[1]}")
    finally:
        proc.terminate()
        proc.wait(60)
        backend.close()

    out: dict = {"workers": args.workers, "concurrency": args.concurrency, "rounds": args.rounds,
                 "episodes": len(problems), "same_answers": valid,
                 "steps": sum(len(e) for e in rows["inproc"][0][1]),
                 "solved": sum(e[-1][2] == 1.0 for e in rows["inproc"][0][1])}
    for key in rows:
        lat = [x for _, _, ls in rows[key] for x in ls]
        out[key] = {"episodes_per_s": round(len(problems) / statistics.median(w for w, _, _ in rows[key]), 2),
                    "feedback_p50_ms": round(pct(lat, 50), 1), "feedback_p95_ms": round(pct(lat, 95), 1)}
    out["ratio"] = round(out["served"]["episodes_per_s"] / out["inproc"]["episodes_per_s"], 3)
    out["floor_0.8x"] = out["ratio"] >= 0.8

    print(f"{'side':<34} {'episodes/s':>10} {'feedback p50':>13} {'p95':>9}")
    for key, label in (("inproc", "in-process environment"), ("served", f"WebSocket x{args.concurrency} sessions")):
        m = out[key]
        print(f"{label:<34} {m['episodes_per_s']:>10.2f} {m['feedback_p50_ms']:>10.1f} ms {m['feedback_p95_ms']:>6.1f} ms")
    print(f"WebSocket vs in-process: {out['ratio']:.2f}x (floor 0.8x: {'met' if out['floor_0.8x'] else 'NOT met'}); "
          f"{out['episodes']} episodes, {out['steps']} steps, {out['solved']} solved; same answers: "
          f"{'yes' if valid else 'NO (INVALID)'}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    return 0 if valid else 1


if __name__ == "__main__":
    sys.exit(main())
