"""Generation at the endpoint's speed: `generate solutions --verify` against the raw client, one run.

A local OpenAI-compatible endpoint (Starlette + uvicorn, a subprocess of its own) answers every
request with the canonical HumanEval solution of the problem it is asked about, plus a comment
naming the sample's seed, so each of the 1,640 samples (164 problems x n=10) is a distinct
program (no dedup or cache of ours can flatter us). Each scenario in the same run:

fast     the endpoint answers at once. On a small machine the endpoint, the client and the
         sandbox then all compete for the same cores, so besides
         - raw: the raw `openai.AsyncOpenAI` client at several concurrencies (the best counts:
           where the endpoint saturates), measured before and after ours (the better counts),
         - ours: `generate_solutions(..., n=10, verify=True)` at default settings (adaptive
           concurrency, default sandbox workers, an empty response cache, the sandbox pool's
           start included), every completion verified as it arrives,
         it measures the two halves alone on the same 1,640 programs:
         - gen: `generate_solutions(..., verify=False)` (an empty cache),
         - verify: `verify_candidates` on the programs gen wrote (the pool's start included),
         The CPU-bound ceiling is what the halves allow together when each alone keeps the cores
         busy (so their times add): 1,640 / (gen wall + verify wall). Ours is reported against raw
         AND against that ceiling (above 1x: a half left cores idle that the overlap used). The CPU
         the machine spent in each phase (/proc/stat, every process, other users' too) is in the JSON.
Endpoint scenarios (the default set: `latency,batching,ratelimit`), each against the raw client
at concurrency 64 (`--raw-concurrency`), measured before and after ours (the better counts):
latency    the endpoint takes 50-200 ms a request (uniform, seeded by the request's seed) and
           serves at most --max-batch (16) at once, the rest queue, as a server's batch does.
batching   continuous batching: a request takes 50-200 ms x (1 + 0.5 x batch/64), batch up to 64
           (capacity grows with load, latency rises gently).
ratelimit  429 with Retry-After: 1 above --rate requests/s (a token bucket); no raw baseline (the
           raw client would fail): no request may be lost, and only a few percent retried.
Ours is `generate_solutions(..., n=10, verify=True)` at default settings; the floor is >= 0.9x the
raw client in latency and batching. Each scenario also runs ours without --verify (the governor
alone against the raw client) and then verifies the same programs alone: if that is not well above
the endpoint's rate (a loaded machine), the line says HOST-BOUND, since then the host's sandbox
capacity, not generation, decides.

Every endpoint scenario also meters each phase's CPU by party (`CpuMeter`: the endpoint process,
this process with its docker CLI children, our containers' cgroups) and prints CPU ms per
completion and the ceiling the machine's cores allow at that cost (cores / the sum); under
0.9x raw it says the floor is PHYSICALLY OUT OF REACH here, whatever the scheduling.

Prints completions/s, the ratios, how far the adaptive concurrency grew; exits 1 if a completion
got no verdict. Shared machines are noisy: the load average is printed with each scenario.

    python bench/generate_throughput.py [--n 10] [--scenarios fast,latency,batching,ratelimit] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

SERVER = textwrap.dedent('''
    import asyncio, json, random, sys, time
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    import uvicorn

    port, answers_path, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    lo_ms, hi_ms, max_batch, growth, rate = map(float, sys.argv[4:9])
    answers = json.load(open(answers_path))  # problem prompt -> canonical program
    batch = asyncio.Semaphore(int(max_batch)) if max_batch > 0 else None
    served = 0  # requests in the batch now
    bucket, refill = max(1.0, rate / 10), time.monotonic()  # 429 mode: a token bucket of `rate`/s
    counts = {"ok": 0, "429": 0}

    def admit():
        global bucket, refill
        now = time.monotonic()
        bucket, refill = min(max(1.0, rate / 10), bucket + (now - refill) * rate), now
        if bucket < 1:
            return False
        bucket -= 1
        return True

    async def models(request):
        return JSONResponse({"object": "list", "data": [{"id": "bench-model", "object": "model"}]})

    async def stats(request):
        return JSONResponse(counts)

    async def chat(request):
        global served
        body = await request.json()
        text = body["messages"][-1]["content"]
        seed = body.get("seed", 0)
        if mode == "ratelimit" and not admit():
            counts["429"] += 1
            return JSONResponse({"error": {"message": "rate limited", "type": "rate_limit"}}, status_code=429,
                                headers={"Retry-After": "1"})
        code = next((c for prompt, c in answers.items() if prompt in text), "pass")
        code += f"\\n\\n# sample {seed}\\n"  # every sample a distinct program
        if hi_ms > 0:
            delay = random.Random(seed * 7919 + len(text)).uniform(lo_ms, hi_ms) / 1000
            if batch is not None:
                async with batch:  # the rest queue, as in a server's batch queue
                    served += 1
                    try:
                        # continuous batching: each step of a bigger batch takes a little longer
                        await asyncio.sleep(delay * (1 + growth * served / max_batch))
                    finally:
                        served -= 1
            else:
                await asyncio.sleep(delay)
        counts["ok"] += 1
        content = "```python\\n" + code + "```"
        return JSONResponse({"id": "x", "object": "chat.completion", "created": int(time.time()),
                             "model": body.get("model"), "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content}}],
                             "usage": {"prompt_tokens": len(text) // 4, "completion_tokens": len(code) // 4}})

    app = Starlette(routes=[Route("/v1/models", models), Route("/stats", stats),
                            Route("/v1/chat/completions", chat, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning", access_log=False)
''')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(problems, tmp: Path, latency_ms: tuple[float, float], max_batch: int, mode: str = "slots",
                 growth: float = 0.0, rate: float = 0.0) -> tuple[subprocess.Popen, str]:
    answers = {p.prompt: p.prompt + p.metadata["canonical_solution"] for p in problems}
    (tmp / "answers.json").write_text(json.dumps(answers))
    (tmp / "server.py").write_text(SERVER)
    port = free_port()
    argv = [sys.executable, str(tmp / "server.py"), str(port), str(tmp / "answers.json"), mode,
            str(latency_ms[0]), str(latency_ms[1]), str(max_batch), str(growth), str(rate)]
    proc = subprocess.Popen(argv)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, url
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("the bench endpoint did not start")


def cpu_busy_s() -> float:
    """Seconds of CPU the whole machine has spent busy (every core, every process)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds each party spent during a phase, from the kernel's own accounting (other users of
    a shared machine do not count, so this stays meaningful at any load):

    - `endpoint`: the bench endpoint's process (/proc/PID/stat),
    - `ours`: this process: the client, the governor, the pipeline and the sandbox pool's host side
      (the supervisor clients, scoring, records), plus the `docker` CLI children it waited for,
    - `containers`: the sandbox containers this process started (label codesynth.owner=host:PID),
      from their cgroups' cpuacct.usage, sampled every 0.2 s while they live (a container's last
      fraction of a sampling period before its removal is missed: the pool is idle by then).
    """

    CGROUP = Path("/sys/fs/cgroup/cpuacct/docker")

    def __init__(self, endpoint_pid: int | None):
        import resource
        import socket
        import threading

        self._res, self._pid = resource, endpoint_pid
        self._owner = f"{socket.gethostname()}:{os.getpid()}"
        self._mine: dict[str, int] = {}  # container id -> latest cpuacct.usage (ns)
        self._foreign: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _proc_s(self, pid: int | None) -> float:
        if pid is None:
            return 0.0
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def _self_s(self) -> float:
        me, kids = self._res.getrusage(self._res.RUSAGE_SELF), self._res.getrusage(self._res.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    def _owned(self, cid: str) -> bool:
        try:
            cfg = json.loads(Path(f"/var/lib/docker/containers/{cid}/config.v2.json").read_text())
            return (cfg.get("Config", {}).get("Labels") or {}).get("codesynth.owner") == self._owner
        except (OSError, ValueError):
            return False

    def _sample(self) -> None:
        while True:
            try:
                ids = [d.name for d in self.CGROUP.iterdir() if d.is_dir()]
            except OSError:
                ids = []
            for cid in ids:
                if cid in self._foreign:
                    continue
                if cid not in self._mine and not self._owned(cid):
                    self._foreign.add(cid)
                    continue
                try:
                    self._mine[cid] = int((self.CGROUP / cid / "cpuacct.usage").read_text())
                except (OSError, ValueError):
                    pass
            if self._stop.wait(0.2):
                return

    def __enter__(self) -> CpuMeter:
        self._t0, self._end0, self._self0 = time.monotonic(), self._proc_s(self._pid), self._self_s()
        self._thread.start()
        time.sleep(0.05)  # the first sample: containers already up count from here
        self._c0 = dict(self._mine)
        return self

    def __exit__(self, *exc) -> None:
        self.wall_s = time.monotonic() - self._t0
        self.endpoint_s = self._proc_s(self._pid) - self._end0
        self.ours_s = self._self_s() - self._self0
        self._stop.set()
        self._thread.join()
        self.containers_s = sum(v - self._c0.get(k, 0) for k, v in self._mine.items()) / 1e9

    def per_completion_ms(self, n: int) -> dict[str, float]:
        parts = {"endpoint": self.endpoint_s, "ours": self.ours_s, "containers": self.containers_s}
        out = {k: round(1000 * v / n, 3) for k, v in parts.items()}
        out["total"] = round(1000 * sum(parts.values()) / n, 3)
        return out


def ceiling_per_s(cpu_ms: dict[str, float], cores: int) -> float:
    """Completions/s the cores allow when every party's CPU per completion is what was measured."""
    return round(1000 * cores / cpu_ms["total"], 1) if cpu_ms["total"] > 0 else float("inf")


def timed(fn):
    """(result, wall s, machine CPU s) of fn()."""
    c0, t0 = cpu_busy_s(), time.monotonic()
    out = fn()
    return out, time.monotonic() - t0, cpu_busy_s() - c0


async def raw_client(url: str, messages: list, concurrency: int) -> float:
    import openai

    client = openai.AsyncOpenAI(base_url=url, api_key="EMPTY", max_retries=0)
    sem = asyncio.Semaphore(concurrency)

    async def one(m, i):
        async with sem:
            r = await client.chat.completions.create(model="bench-model", messages=m, temperature=0.8,
                                                     top_p=0.95, max_tokens=512, seed=i % 10)
            return r.choices[0].message.content

    t0 = time.monotonic()
    out = await asyncio.gather(*(one(m, i) for i, m in enumerate(messages)))
    wall = time.monotonic() - t0
    await client.close()
    assert all(out)
    return len(messages) / wall


def raw_rates(url: str, msgs: list, concurrencies: list[int]) -> dict[int, float]:
    return {c: asyncio.run(raw_client(url, msgs, c)) for c in concurrencies}


def ours(problems, url: str, tmp: Path, name: str, n: int, verify: bool):
    """generate_solutions at default settings (fresh cache, fresh run dir): (report, client, wall, cpu)."""
    from codesynth.config import EndpointConfig, SamplingParams
    from codesynth.generators.cache import ResponseCache
    from codesynth.generators.client import ChatClient
    from codesynth.pipeline import VerifyConfig
    from codesynth.pipeline.generate import generate_solutions

    client = ChatClient(EndpointConfig(base_url=url, model="bench-model"), SamplingParams(),
                        ResponseCache(tmp / f"cache-{name}"))  # defaults: adaptive concurrency
    rep, wall, cpu = timed(lambda: generate_solutions(problems, client, tmp / name, n=n, verify=verify,
                                                      config=VerifyConfig(progress=False)))
    return rep, client, wall, cpu


def fast_scenario(problems, msgs, tmp: Path, args) -> dict:
    from codesynth.jsonl import read_models
    from codesynth.models import Candidate
    from codesynth.pipeline import VerifyConfig, verify_candidates
    from codesynth.rundir import read_run

    total = len(msgs)
    proc, url = start_server(problems, tmp, (0, 0), 0)
    try:
        concs = [int(c) for c in args.concurrencies.split(",")]
        raw = raw_rates(url, msgs, concs)
        rep, client, wall, cpu = ours(problems, url, tmp, "ours", args.n, verify=True)
        verified = len(read_run(tmp / "ours").results)
        _, _, gen_wall, gen_cpu = ours(problems, url, tmp, "gen", args.n, verify=False)
        best_c = max(raw, key=raw.get)
        raw_after = raw_rates(url, msgs, [best_c])[best_c]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    cands = read_models(tmp / "gen" / "candidates.jsonl", Candidate)
    assert len({c.solution for c in cands}) == total, "the bench endpoint must give distinct programs"
    summary, ver_wall, ver_cpu = timed(lambda: verify_candidates(problems, cands, tmp / "verify",
                                                                 VerifyConfig(progress=False)))
    ceiling_wall = gen_wall + ver_wall  # each half alone keeps the cores busy: together their times add
    raw_best = max(raw[best_c], raw_after)
    rate = total / wall
    return {
        "raw_completions_per_s": {str(c): round(v, 1) for c, v in raw.items()},
        "raw_best": {"concurrency": best_c, "before": round(raw[best_c], 1), "after": round(raw_after, 1),
                     "completions_per_s": round(raw_best, 1)},
        "gen_alone": {"completions_per_s": round(total / gen_wall, 1), "wall_s": round(gen_wall, 2),
                      "cpu_s": round(gen_cpu, 2)},
        "verify_alone": {"programs_per_s": round(total / ver_wall, 1), "wall_s": round(ver_wall, 2),
                         "cpu_s": round(ver_cpu, 2), "passed": summary.passed},
        "cpu_bound_ceiling_per_s": round(total / ceiling_wall, 1),
        "ours": {"completions_per_s": round(rate, 1), "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                 "verified": verified, "passed": rep.counts.get("passed"),
                 "concurrency_reached": client.governor.limit},
        "ratio_vs_raw": round(rate / raw_best, 3),
        "ratio_vs_cpu_ceiling": round(wall and ceiling_wall / wall, 3),
        "load_avg": os.getloadavg(),
    }


#: The realistic endpoints: (what it is, server mode, max batch, latency growth at a full batch, 429 rate).
ENDPOINTS = {
    "latency": ("{lo:g}-{hi:g} ms, {max_batch} served at once, the rest queue", "slots", None, 0.0, 0.0),
    "batching": ("continuous batching: {lo:g}-{hi:g} ms x (1 + 0.5 x batch/64), batch up to 64", "slots", 64, 0.5, 0.0),
    "ratelimit": ("{lo:g}-{hi:g} ms, 429 + Retry-After: 1 above {rate:g} requests/s", "ratelimit", 0, 0.0, None),
}


def endpoint_scenario(problems, msgs, tmp: Path, args, name: str) -> dict:
    """Ours at defaults against the raw client at concurrency 64 (before and after ours: the
    better counts), on an endpoint with real latency. The 429 endpoint has no raw baseline (the
    raw client would fail on the first 429): there, no request may be lost and few retried."""
    from codesynth.pipeline import VerifyConfig, verify_candidates
    from codesynth.rundir import read_run

    lo, hi = (float(x) for x in args.latency_ms.split(","))
    what, mode, max_batch, growth, rate = ENDPOINTS[name]
    max_batch = args.max_batch if max_batch is None else max_batch
    rate = args.rate if rate is None else rate
    total = len(msgs)
    cores = os.cpu_count() or 1
    proc, url = start_server(problems, tmp, (lo, hi), max_batch, mode, growth, rate)
    raw: dict[str, float] = {}
    cpu: dict[str, CpuMeter] = {}
    try:
        if mode != "ratelimit":
            with CpuMeter(proc.pid) as cpu["raw"]:
                raw["before"] = asyncio.run(raw_client(url, msgs, args.raw_concurrency))
        with CpuMeter(proc.pid) as cpu["ours"]:
            rep, client, wall, _ = ours(problems, url, tmp, f"ours-{name}", args.n, verify=True)
        verified = len(read_run(tmp / f"ours-{name}").results)
        # The same without verification: the governor against the raw client, whatever the host's
        # sandbox capacity (on a loaded machine verification, not generation, can be the limit).
        with CpuMeter(proc.pid) as cpu["gen"]:
            _, gen_client, gen_wall, _ = ours(problems, url, tmp, f"gen-{name}", args.n, verify=False)
        if mode != "ratelimit":
            raw["after"] = asyncio.run(raw_client(url, msgs, args.raw_concurrency))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    rate_ours = total / wall
    # The host's verification capacity right now (the same programs, alone): below the endpoint's
    # rate, this scenario is host-bound after all (a loaded machine), and the line says so.
    cands = list(read_run(tmp / f"ours-{name}").candidates.values())
    with CpuMeter(None) as cpu["verify"]:
        _, ver_wall, _ = timed(lambda: verify_candidates(problems, cands, tmp / "verify", VerifyConfig(progress=False)))
    gov = client.governor.summary()
    per = {k: m.per_completion_ms(total) for k, m in cpu.items()}
    out = {
        "endpoint": what.format(lo=lo, hi=hi, max_batch=max_batch, rate=rate),
        "ours": {"completions_per_s": round(rate_ours, 1), "wall_s": round(wall, 2),
                 "verified": verified, "passed": rep.counts.get("passed"), "retries": client.usage.retries,
                 "requests": client.usage.requests, "concurrency_end": gov.limit, "concurrency_max": gov.max_limit,
                 "cuts": gov.cuts, "governor": gov.model_dump()},
        "gen_only": {"completions_per_s": round(total / gen_wall, 1), "retries": gen_client.usage.retries,
                     "concurrency_end": gen_client.governor.limit, "concurrency_max": gen_client.governor.max_limit},
        "verify_alone_programs_per_s": round(total / ver_wall, 1),
        # CPU ms per completion of each party in each phase, and what the cores allow at that cost.
        "cpu_ms_per_completion": per,
        "cpu_ceiling_per_s": {k: ceiling_per_s(v, cores) for k, v in per.items() if k != "verify"},
        "load_avg": os.getloadavg(),
    }
    if raw:
        raw_best = max(raw.values())
        out["raw"] = {"concurrency": args.raw_concurrency, **{k: round(v, 1) for k, v in raw.items()},
                      "completions_per_s": round(raw_best, 1)}
        out["ratio_vs_raw"] = round(rate_ours / raw_best, 3)
        out["gen_only_ratio_vs_raw"] = round(total / gen_wall / raw_best, 3)
        out["host_bound"] = total / ver_wall < 1.25 * raw_best
        # The floor is physically out of reach when the cores cannot run 0.9x raw's completions/s
        # at the CPU each one costs with verification (endpoint + ours + containers).
        out["floor_reachable"] = out["cpu_ceiling_per_s"]["ours"] >= 0.9 * raw_best
    else:
        out["ratio_vs_rate_limit"] = round(rate_ours / rate, 3)
        out["gen_only_ratio_vs_rate_limit"] = round(total / gen_wall / rate, 3)
        out["retried_share"] = round(client.usage.retries / total, 4)
        out["gen_only_retried_share"] = round(gen_client.usage.retries / total, 4)
    return out


def print_endpoint(name: str, r: dict, total: int) -> None:
    o = r["ours"]
    print(f"[{name}] endpoint: {r['endpoint']}")
    if "raw" in r:
        print(f"[{name}] raw openai.AsyncOpenAI at c={r['raw']['concurrency']}: {r['raw']['completions_per_s']:.0f}/s "
              f"(before {r['raw']['before']:.0f} / after {r['raw']['after']:.0f})")
    print(f"[{name}] codesynth generate solutions --verify (defaults): {o['completions_per_s']:.0f}/s, "
          f"{o['wall_s']:.1f} s, {o['verified']}/{total} verified, {o['retries']} retries, concurrency "
          f"{o['concurrency_end']} at the end (max {o['concurrency_max']}, {o['cuts']} cuts)")
    g = r["gen_only"]
    print(f"[{name}] the same without --verify: {g['completions_per_s']:.0f}/s, {g['retries']} retries, concurrency "
          f"{g['concurrency_end']} at the end (max {g['concurrency_max']})"
          + (f", {r['gen_only_ratio_vs_raw']:.2f}x raw" if "raw" in r else ""))
    cpu, ceil = r["cpu_ms_per_completion"], r["cpu_ceiling_per_s"]
    for phase, what in (("raw", "raw client"), ("ours", "ours --verify"), ("gen", "ours, no --verify"),
                        ("verify", "verify alone")):
        if phase in cpu:
            c = cpu[phase]
            print(f"[{name}] CPU ms/completion, {what}: endpoint {c['endpoint']:.2f} + ours {c['ours']:.2f} + "
                  f"containers {c['containers']:.2f} = {c['total']:.2f}"
                  + (f" -> ceiling on {os.cpu_count()} cores {ceil[phase]:.0f}/s" if phase in ceil else ""))
    if "raw" in r:
        bound = (" HOST-BOUND: verification alone cannot keep up with the endpoint on this machine now"
                 if r["host_bound"] else "")
        print(f"[{name}] ratio vs raw: {r['ratio_vs_raw']:.2f}x (floor 0.9x); verify alone "
              f"{r['verify_alone_programs_per_s']:.0f}/s  (load avg {r['load_avg'][0]:.1f}){bound}")
        if not r["floor_reachable"]:
            print(f"[{name}] PHYSICALLY OUT OF REACH here: 0.9x raw = {0.9 * r['raw']['completions_per_s']:.0f}/s "
                  f"> the cores' ceiling at the CPU a verified completion costs, {ceil['ours']:.0f}/s")
    else:
        print(f"[{name}] vs the rate limit: {r['ratio_vs_rate_limit']:.2f}x; retried {100 * r['retried_share']:.1f}% "
              f"of requests, lost {total - o['verified']}; without --verify {r['gen_only_ratio_vs_rate_limit']:.2f}x, "
              f"retried {100 * r['gen_only_retried_share']:.1f}%  (load avg {r['load_avg'][0]:.1f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10, help="samples per problem (164 problems)")
    ap.add_argument("--scenarios", default="latency,batching,ratelimit", help="any of fast,latency,batching,ratelimit")
    ap.add_argument("--raw-concurrency", type=int, default=64, help="the raw client's concurrency (endpoint scenarios)")
    ap.add_argument("--rate", type=float, default=100, help="ratelimit scenario: requests/s answered before 429s")
    ap.add_argument("--concurrencies", default="8,16,32,64", help="raw client concurrencies tried (fast)")
    ap.add_argument("--latency-ms", default="50,200", help="latency scenario: per-request latency range")
    ap.add_argument("--max-batch", type=int, default=16, help="latency scenario: requests served at once")
    ap.add_argument("--json", dest="json_out", default=None)
    args = ap.parse_args()

    # Imported now, so no phase's CPU accounting pays for an import.
    import codesynth.generators.client  # noqa: F401
    import codesynth.pipeline.generate  # noqa: F401
    from codesynth.generators.prompts import solution_messages
    from codesynth.importers import import_humaneval

    problems = import_humaneval()
    msgs = [solution_messages(p) for p in problems for _ in range(args.n)]
    total = len(msgs)
    result: dict = {"requests": total, "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="codesynth-genbench-") as td:
        scenarios = args.scenarios.split(",")
        if "fast" in scenarios:
            (Path(td) / "fast").mkdir()
            f = result["fast"] = fast_scenario(problems, msgs, Path(td) / "fast", args)
            o = f["ours"]
            print(f"[fast] raw openai.AsyncOpenAI: {', '.join(f'c={c}: {v:.0f}/s' for c, v in f['raw_completions_per_s'].items())}"
                  f" (best c={f['raw_best']['concurrency']}: {f['raw_best']['completions_per_s']:.0f}/s, "
                  f"before {f['raw_best']['before']:.0f} / after {f['raw_best']['after']:.0f})")
            print(f"[fast] generation alone: {f['gen_alone']['completions_per_s']:.0f}/s ({f['gen_alone']['cpu_s']:.1f} "
                  f"CPU s); verify alone: {f['verify_alone']['programs_per_s']:.0f}/s ({f['verify_alone']['cpu_s']:.1f} "
                  f"CPU s); CPU-bound ceiling on {result['cores']} cores: {f['cpu_bound_ceiling_per_s']:.0f}/s")
            print(f"[fast] codesynth generate solutions --verify (defaults): {o['completions_per_s']:.0f}/s, "
                  f"{o['wall_s']:.1f} s, {o['verified']}/{total} verified, {o['passed']} passed, concurrency "
                  f"{o['concurrency_reached']}")
            print(f"[fast] ratio vs raw: {f['ratio_vs_raw']:.2f}x; vs the CPU-bound ceiling: "
                  f"{f['ratio_vs_cpu_ceiling']:.2f}x  (load avg {f['load_avg'][0]:.1f})")
        for name in ENDPOINTS:
            if name in scenarios:
                (Path(td) / name).mkdir()
                result[name] = endpoint_scenario(problems, msgs, Path(td) / name, args, name)
                print_endpoint(name, result[name], total)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=2))
    short = [k for k in ("fast", *ENDPOINTS) if k in result and result[k]["ours"]["verified"] != total]
    if short:
        sys.exit(f"not every completion was verified in: {', '.join(short)}")


if __name__ == "__main__":
    main()
