"""Throughput of `codesynth serve` over HTTP against the in-process pool, in one run.

    python bench/serve_throughput.py [--workers N] [--rounds 3] [--samples 10] [--concurrency 64] [--json FILE]

The same machine runs both: an in-process DockerBackend and a `codesynth serve` subprocess with
its own pool of the same size (both idle while the other is measured; rounds interleave them).

  verify     the 164 HumanEval canonical programs against their tests (trusted: the set's own):
             in-process, one thread per worker, vs one `POST /v1/verify` batch (NDJSON stream)
  run_code   the 164 x --samples (1,640) HumanEval programs as plain scripts (program + tests +
             check(entry_point)), one per request: in-process plain runs (one thread per worker)
             vs `POST /run_code` at --concurrency requests in flight (aiohttp)
  latency    one tiny program at a time (`print(1)`), 200 times each, alternating: p50 of the
             HTTP round trip (keep-alive) minus the p50 of an in-process `execute`: what HTTP adds

Every program must pass (status Success / passed), else the method is reported INVALID.
Targets (issue 11): /v1/verify >= 0.8x in-process; p50 added latency <= 2 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp
import requests

from codesynth.importers import import_humaneval
from codesynth.models import Candidate, Limits
from codesynth.sandbox.backend import ExecRequest, build_request
from codesynth.sandbox.docker.backend import DockerBackend

ROOT = Path(__file__).resolve().parents[1]


def log(*a: object) -> None:
    print(*a, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scripts(problems) -> list[str]:
    return [p.reference_solution + "\n\n" + p.tests + f"\n\ncheck({p.entry_point})\n" for p in problems]


# --------------------------------------------------------------------------- in-process


def inproc_verify(backend, pairs) -> tuple[float, int]:
    # The same requests /v1/verify builds (trust_tests=True: the problem set's own tests).
    reqs = [build_request(p, c, backend.limits, trusted_tests=True) for p, c in pairs]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(backend.capacity) as ex:
        res = list(ex.map(backend.execute, reqs))
    return time.perf_counter() - t0, sum(r.passed for r in res)


def inproc_runs(backend, progs: list[str]) -> tuple[float, int]:
    reqs = [ExecRequest(candidate_id=f"r{i}", problem_id="bench", kind="run", program=s, limits=backend.limits)
            for i, s in enumerate(progs)]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(backend.capacity) as ex:
        res = list(ex.map(backend.execute, reqs))
    return time.perf_counter() - t0, sum(r.passed for r in res)


# --------------------------------------------------------------------------- over HTTP


def http_verify(url: str, problems, cands) -> tuple[float, int]:
    body = json.dumps({"problems": [p.model_dump() for p in problems],
                       "candidates": [c.model_dump() for c in cands], "trust_tests": True})
    t0 = time.perf_counter()
    passed = 0
    with requests.post(url + "/v1/verify", data=body, headers={"Content-Type": "application/json"},
                       stream=True, timeout=600) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if line:
                passed += json.loads(line)["result"]["status"] == "passed"
    return time.perf_counter() - t0, passed


async def _run_code_all(url: str, progs: list[str], concurrency: int, timeout_s: float) -> int:
    sem = asyncio.Semaphore(concurrency)
    conn = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=conn) as s:
        async def one(code: str) -> bool:
            async with sem:
                async with s.post(url + "/run_code", json={"code": code, "language": "python",
                                                           "run_timeout": timeout_s}) as r:
                    if r.status != 200:
                        return False
                    return (await r.json())["status"] == "Success"

        return sum(await asyncio.gather(*(one(c) for c in progs)))


def http_runs(url: str, progs: list[str], concurrency: int, timeout_s: float) -> tuple[float, int]:
    t0 = time.perf_counter()
    ok = asyncio.run(_run_code_all(url, progs, concurrency, timeout_s))
    return time.perf_counter() - t0, ok


def latencies(backend, url: str, n: int) -> tuple[list[float], list[float]]:
    """Alternate one in-process execute and one HTTP round trip (keep-alive), so that load on
    the shared machine hits both alike."""
    req = ExecRequest(candidate_id="l", problem_id="bench", kind="run", program="print(1)\n", limits=backend.limits)
    inproc, http = [], []
    with requests.Session() as s:
        for _ in range(n):
            t0 = time.perf_counter()
            backend.execute(req)
            inproc.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            r = s.post(url + "/run_code", json={"code": "print(1)\n"}, timeout=30)
            http.append(time.perf_counter() - t0)
            assert r.json()["run_result"]["stdout"] == "1\n"
    return inproc, http


def start_server(workers: int, timeout_s: float, *extra: str) -> tuple[subprocess.Popen, str]:
    """`codesynth serve` in a subprocess (`extra`: more options), once it answers."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "codesynth.cli", "serve", "--port", str(port), "--workers", str(workers),
         "--memory", "512", "--queue-size", "100000", "--queue-timeout", "600", *extra],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 180
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read().strip()}")
        try:
            if requests.get(url + "/v1/ping", timeout=2).ok:
                return proc, url
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not answer in 180 s")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--samples", type=int, default=10, help="copies of each program for run_code (164 x N)")
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--latency-n", type=int, default=200)
    ap.add_argument("--json", default=None, help="write the results here too")
    args = ap.parse_args(argv)

    problems = import_humaneval()
    cands = [Candidate(candidate_id=f"c{i}", problem_id=p.id, solution=p.reference_solution)
             for i, p in enumerate(problems)]
    pairs = list(zip(problems, cands, strict=True))
    progs = scripts(problems) * args.samples
    limits = Limits(timeout_s=10, memory_mb=512, output_bytes=8 << 20)

    log(f"starting the in-process pool and a `codesynth serve` subprocess, {args.workers} workers each")
    backend = DockerBackend(workers=args.workers, limits=limits, run_id=f"bench{os.getpid()}")
    backend.start()
    proc, url = start_server(args.workers, limits.timeout_s)
    rows: dict[str, list[tuple[float, int]]] = {k: [] for k in ("verify_inproc", "verify_http", "run_inproc",
                                                               "run_http")}
    try:
        # warm both (first sight of each test text, connection set-up)
        inproc_verify(backend, pairs)
        http_verify(url, problems, cands)
        for r in range(args.rounds):
            rows["verify_inproc"].append(inproc_verify(backend, pairs))
            rows["verify_http"].append(http_verify(url, problems, cands))
            rows["run_inproc"].append(inproc_runs(backend, progs))
            rows["run_http"].append(http_runs(url, progs, args.concurrency, limits.timeout_s))
            log(f"round {r + 1}/{args.rounds}: " + ", ".join(
                f"{k} {len(progs if k.startswith('run') else pairs) / v[-1][0]:.0f}/s" for k, v in rows.items()))
        lat_in, lat_http = latencies(backend, url, args.latency_n)
    finally:
        proc.terminate()
        proc.wait(60)
        backend.close()

    def median_rate(key: str, n: int) -> tuple[float, bool]:
        walls = [w for w, _ in rows[key]]
        valid = all(ok == n for _, ok in rows[key])
        return n / statistics.median(walls), valid

    out = {"workers": args.workers, "concurrency": args.concurrency, "rounds": args.rounds}
    for key, n in (("verify_inproc", len(pairs)), ("verify_http", len(pairs)), ("run_inproc", len(progs)),
                   ("run_http", len(progs))):
        rate, valid = median_rate(key, n)
        out[key] = {"programs": n, "programs_per_s": round(rate, 1), "all_correct": valid}
    out["verify_ratio"] = round(out["verify_http"]["programs_per_s"] / out["verify_inproc"]["programs_per_s"], 3)
    out["run_code_ratio"] = round(out["run_http"]["programs_per_s"] / out["run_inproc"]["programs_per_s"], 3)
    p50_in, p50_http = statistics.median(lat_in) * 1e3, statistics.median(lat_http) * 1e3
    out["latency_ms"] = {"inproc_p50": round(p50_in, 3), "http_p50": round(p50_http, 3),
                         "added_p50": round(p50_http - p50_in, 3)}
    out["targets"] = {"verify_ratio>=0.8": out["verify_ratio"] >= 0.8,
                      "added_p50<=2ms": out["latency_ms"]["added_p50"] <= 2.0}

    print(f"{'method':<32} {'programs':>9} {'programs/s':>11}  correct")
    for key, label in (("verify_inproc", "verify, in-process pool"), ("verify_http", "verify, POST /v1/verify"),
                       ("run_inproc", "plain runs, in-process pool"),
                       ("run_http", f"POST /run_code x{args.concurrency} in flight")):
        m = out[key]
        print(f"{label:<32} {m['programs']:>9} {m['programs_per_s']:>11.1f}  "
              f"{'yes' if m['all_correct'] else 'INVALID'}")
    print(f"/v1/verify vs in-process: {out['verify_ratio']:.2f}x   /run_code vs in-process: {out['run_code_ratio']:.2f}x")
    print(f"latency p50: in-process {p50_in:.2f} ms, HTTP {p50_http:.2f} ms, added {p50_http - p50_in:.2f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    return 0 if all(out[k]["all_correct"] for k in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
