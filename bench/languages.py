"""Per language: verifying the shipped multilingual references through the pool vs a bare loop.

    python bench/languages.py [--languages all|cpp,rust,...] [--workers N] [--samples 10]
                              [--rounds 3] [--min-seconds 4] [--no-pin] [--no-warm] [--json FILE]

For every language, on the reference solutions of problem_sets/multilang.jsonl (23 programs):

  bare     a loop with no sandbox and no cache: per program, write the files, run the compiler in
           a subprocess, run each test case in a subprocess, compare on the host. It runs in one
           plain container of the same toolchain image (the host lacks some toolchains, and the
           same compiler versions make the comparison fair), `--workers` threads, no CPU limit
           (the pool: `--workers` containers of one CPU each; the same 2 cores either way). It
           runs each language's plain compile command: the same compiler and code-generation
           flags as the pool, without the pool's speed-only options (C++'s precompiled headers,
           `compile_speedups` in specs.py); `bare+` is the same loop given those options too.
  cold     the pool (DockerBackend, warm hardened containers) on containers started for this
           round (their warm spare up before timing starts): every program compiles (cache misses).
  samples  the pool, `--samples` copies of every program (n samples of the same code, as in
           pass@k or RL): compiled once per container, then cache hits.

The machine is shared, so bare and cold run `--rounds` times in alternating order, and each pass
repeats the programs (as distinct sources, so still every one a compile) until a bare pass takes
about `--min-seconds`; the ratios are medians of the per-round ratios, the worst round shown too.
`--warm` also measures, for node and the JVM, a fresh process per case against a warm runtime
(bench/warm_runtimes.py): the pool does not keep runtimes warm, and this says what that costs.

Reported: programs/s, p50 per-program wall, p50 overhead (per-program wall minus the time the
compile and run themselves took: for the pool the container's own measurements, so overhead is
transport + forks + sandbox set-up), the compile cache hit rate of `samples`, and the ratios
against `bare`. Every method must get every program right or it is reported INVALID.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from codesynth.languages import names as language_names  # noqa: E402
from codesynth.models import Candidate, Limits, Status  # noqa: E402
from codesynth.problems import load_problems  # noqa: E402
from codesynth.sandbox.backend import build_request  # noqa: E402
from codesynth.sandbox.languages import spec  # noqa: E402
from codesynth.sandbox.languages.programs import call_input, files_for, lang_header  # noqa: E402

LIM = Limits(timeout_s=20, memory_mb=512, compile_timeout_s=180)

# The bare loop, run by python3 inside one container: jobs on stdin, timings and outputs on stdout.
BARE = r'''
import json, os, shutil, subprocess, sys, tempfile, threading, time
jobs = json.load(sys.stdin)
out = [None] * len(jobs)
lock = threading.Lock()
nxt = [0]
def fill(argv, d, files, mem):
    r = []
    for a in argv:
        if a == "{sources}":
            r += sorted(files)
        else:
            r.append(a.replace("{dir}", d).replace("{cache}", "/scratch").replace("{mem}", str(mem)))
    return r
def one(j):
    t0 = time.monotonic()
    d = tempfile.mkdtemp(dir="/scratch")
    for n, t in j["files"].items():
        open(os.path.join(d, n), "w").write(t)
    h = j["lang"]
    env = dict(os.environ, HOME=d, TMPDIR=d)
    env.update({k: v.replace("{cache}", "/scratch") for k, v in (h.get("compile_env") or {}).items()})
    for src, dest in h.get("seed", []):
        dest = dest.replace("{cache}", "/scratch")
        with lock:
            if not os.path.exists(dest):
                shutil.copytree(src, dest)
    c = subprocess.run(fill(h["compile"], d, j["files"], 512), cwd=d, env=env, capture_output=True)
    t1 = time.monotonic()
    runs = []
    if c.returncode == 0:
        for inp in j["inputs"]:
            r3, w3 = os.pipe()
            # the results pipe becomes the child's fd 3, as in the pool
            p = subprocess.Popen(fill(h["run"], d, j["files"], 512), cwd=d, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(3,),
                                 preexec_fn=lambda w=w3: os.dup2(w, 3), env=env)
            os.close(w3)
            so, se = p.communicate(inp.encode())
            chunks = []
            while True:
                b = os.read(r3, 1 << 16)
                if not b:
                    break
                chunks.append(b)
            res = b"".join(chunks).decode("utf-8", "replace")
            os.close(r3)
            runs.append({"stdout": so.decode("utf-8", "replace"), "results": res, "exit_code": p.returncode,
                         "stderr": se.decode("utf-8", "replace")[-500:]})
    shutil.rmtree(d, ignore_errors=True)
    return {"compile_rc": c.returncode, "compile_s": t1 - t0, "run_s": time.monotonic() - t1,
            "wall_s": time.monotonic() - t0, "runs": runs, "msg": c.stdout.decode()[-300:] + c.stderr.decode()[-300:]}
def worker():
    while True:
        with lock:
            i = nxt[0]; nxt[0] += 1
        if i >= len(jobs):
            return
        try:
            out[i] = one(jobs[i])
        except Exception:
            import traceback
            out[i] = {"error": traceback.format_exc()[-800:]}
ts = [threading.Thread(target=worker) for _ in range(int(os.environ.get("WORKERS", "2")))]
t0 = time.monotonic()
for t in ts: t.start()
for t in ts: t.join()
json.dump({"wall_s": time.monotonic() - t0, "jobs": out}, sys.stdout)
'''


def programs(problems, lang):
    return [(p, p.references()[lang]) for p in problems if lang in p.references()]


def distinct_copies(items, lang, copies, salt):
    """`copies` of every program, each made a distinct source by a trailing comment: every one
    is a compile (a cache miss), the work of each the same as the original's."""
    mark = spec(lang).comment
    return [(p, f"{sol.rstrip()}\n{mark} {salt} copy {k}\n") for k in range(copies) for p, sol in items]


def bare_jobs(items, lang, speedups=False):
    jobs = []
    for p, sol in items:
        calls = p.kind == "calls"
        files, main_class = files_for(lang, sol, p.signature if calls else None)
        hdr = lang_header(lang, main_class, LIM, results_fd=calls, speedups=speedups)
        inputs = [call_input(p.signature, p.tests)] if calls else [c.input for c in p.tests]
        jobs.append({"files": files, "lang": hdr, "inputs": inputs, "main_class": main_class})
    return jobs


def bare_correct(p, job_out, lang) -> bool:
    """Judge the bare loop's outputs with the pool's own host-side comparisons."""
    from codesynth.models import parse_type
    from codesynth.sandbox.languages.drivers import parse_results, values_equal
    from codesynth.sandbox.languages.verdict import outputs_match

    if "error" in job_out:
        print(f"bare loop: {p.id}: {job_out['error']}", file=sys.stderr)
        return False
    if job_out["compile_rc"] != 0:
        return False
    if p.kind == "calls":
        lines = parse_results(job_out["runs"][0]["results"])
        ret = parse_type(p.signature.returns)
        return len(lines) == len(p.tests) and all(k == "ok" and values_equal(ret, c.expect, v)
                                                  for (k, v), c in zip(lines, p.tests, strict=True))
    return all(r["exit_code"] == 0 and outputs_match(c.output, r["stdout"], p.compare)
               for r, c in zip(job_out["runs"], p.tests, strict=True))


def run_bare(image, items, lang, workers, speedups=False):
    jobs = bare_jobs(items, lang, speedups)
    cmd = ["docker", "run", "--rm", "-i", "--network", "none", "--read-only", "--tmpfs", "/scratch:exec,size=1g",
           # our labels: an interrupted bench leaves nothing `codesynth sandbox clean` does not find
           "--label", "codesynth=1", "--label", "codesynth.run=bench-bare",
           "--label", f"codesynth.owner={socket.gethostname()}:{os.getpid()}", "-e", f"WORKERS={workers}",
           "-w", "/scratch", image, "python3", "-c", BARE]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, input=json.dumps(jobs), capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise SystemExit(f"bare loop failed: {proc.stderr[-1000:]}")
    got = json.loads(proc.stdout)
    ok = all(bare_correct(p, o, lang) for (p, _), o in zip(items, got["jobs"], strict=True))
    if not ok:
        raise SystemExit(f"bare loop: {lang}: not every program passed (see above): INVALID")
    walls = [o["wall_s"] for o in got["jobs"]]
    return {"n": len(items), "wall_s": got["wall_s"], "container_s": time.monotonic() - t0 - got["wall_s"],
            "programs_per_s": len(items) / got["wall_s"], "p50_ms": 1000 * statistics.median(walls),
            "p50_overhead_ms": 1000 * statistics.median(o["wall_s"] - o["compile_s"] - o["run_s"] for o in got["jobs"]),
            "valid": ok}


def run_pool(pool, items, lang, copies, workers, tag):
    reqs = []
    for i, (p, sol) in enumerate(items):
        for k in range(copies):
            c = Candidate(candidate_id=f"{tag}-{i}-{p.id}-{k}", problem_id=p.id, solution=sol, language=lang)
            reqs.append(build_request(p, c, LIM))
    out = [None] * len(reqs)
    lock, nxt = threading.Lock(), [0]

    def worker():
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= len(reqs):
                return
            t = time.monotonic()
            r = pool.execute(reqs[i])
            out[i] = (r, time.monotonic() - t)

    ts = [threading.Thread(target=worker) for _ in range(workers)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.monotonic() - t0
    res = [r for r, _ in out]
    bad = [(r.candidate_id, r.status.value, r.error_message) for r in res if r.status is not Status.passed]
    compiled = [r for r in res if r.compile_cached is not None]  # Python stdin/stdout has no compile step
    hits = sum(1 for r in compiled if r.compile_cached)
    return {"n": len(res), "wall_s": wall, "programs_per_s": len(res) / wall,
            "p50_ms": 1000 * statistics.median(t for _, t in out),
            "p50_overhead_ms": 1000 * statistics.median(t - (r.compile_s or 0) - r.duration_s for r, t in out),
            "cache_hit_rate": hits / len(compiled) if compiled else None, "valid": not bad, "failures": bad[:3]}


def start_pool(image, langs, lang, workers, pin, tag):
    from codesynth.sandbox.docker.backend import DockerBackend

    pool = DockerBackend(workers=workers, limits=LIM, image=image, languages=set(langs), run_id=f"bench-{lang}-{tag}",
                         pin_cpus=pin)
    pool.start()
    # The warm spare boots in the background after start(): not part of any timed pass.
    pool.wait_spares()
    return pool


def med(rows, *path):
    vals = []
    for r in rows:
        for k in path:
            r = r[k]
        vals.append(r)
    return statistics.median(vals)


def measure_language(image, langs, lang, items, a):
    """`--rounds` rounds of (bare, cold) in alternating order, each cold pass on fresh containers,
    then the x`--samples` pass; ratios are medians of per-round ratios (the machine is shared:
    alternating and repeating keeps a load swing from landing on one side only)."""
    has_speedups = bool(spec(lang).compile_speedups)
    rounds = []
    samples = samples_bare = None
    # An untimed probe of the bare loop (it also brings the toolchain into the page cache for
    # both sides) sizes the cold passes: at least --min-seconds of work, so that a load blip
    # on this shared machine is a small part of a pass.
    probe = run_bare(image, items, lang, a.workers)
    copies = max(1, min(8, math.ceil(a.min_seconds / probe["wall_s"])))
    samples_items = items
    for r in range(a.rounds):
        items = distinct_copies(samples_items, lang, copies, f"round {r}")
        got = {"copies": copies}
        for what in (("bare", "cold") if r % 2 == 0 else ("cold", "bare")):
            print(f"{lang}: round {r + 1}/{a.rounds}: {what} ...", file=sys.stderr, flush=True)
            if what == "bare":
                got["bare"] = run_bare(image, items, lang, a.workers)
                if has_speedups:  # the same loop given the pool's speed-only compile options
                    got["bare_speedups"] = run_bare(image, items, lang, a.workers, speedups=True)
                continue
            pool = start_pool(image, langs, lang, a.workers, a.pin, f"r{r}")
            try:
                got["cold"] = run_pool(pool, items, lang, 1, a.workers, f"cold{r}")
                if samples is None:
                    print(f"{lang}: pool x{a.samples} ...", file=sys.stderr, flush=True)
                    samples = run_pool(pool, samples_items, lang, a.samples, a.workers, "samples")
            finally:
                pool.close()
        got["cold_vs_bare"] = got["cold"]["programs_per_s"] / got["bare"]["programs_per_s"]
        if has_speedups:
            got["cold_vs_bare_speedups"] = got["cold"]["programs_per_s"] / got["bare_speedups"]["programs_per_s"]
        if samples_bare is None:  # programs/s of the bare loop do not depend on repeats
            samples_bare = got["bare"]
        rounds.append(got)
    row = {"language": lang, "rounds": rounds, "samples": samples,
           "bare_programs_per_s": med(rounds, "bare", "programs_per_s"),
           "cold_programs_per_s": med(rounds, "cold", "programs_per_s"),
           "bare_p50_ms": med(rounds, "bare", "p50_ms"),
           "cold_p50_overhead_ms": med(rounds, "cold", "p50_overhead_ms"),
           "cold_vs_bare": med(rounds, "cold_vs_bare"),
           "cold_vs_bare_min": min(g["cold_vs_bare"] for g in rounds),
           "cold_vs_bare_speedups": med(rounds, "cold_vs_bare_speedups") if has_speedups else None,
           "samples_vs_bare": samples["programs_per_s"] / samples_bare["programs_per_s"],
           "valid": all(g["bare"]["valid"] and g["cold"]["valid"] for g in rounds) and samples["valid"]}
    print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()
                      if "_vs_" in k}), file=sys.stderr)
    return row


def measure_warm(image, problems, lang):
    """Fresh process per case vs a warm runtime (bench/warm_runtimes.py): node and the JVM only."""
    import warm_runtimes

    items = programs(problems, lang)
    print(f"{lang}: warm-runtime measurement ...", file=sys.stderr, flush=True)
    got = warm_runtimes.measure(image, bare_jobs(items, lang), lang)
    return warm_runtimes.summarize(
        got, lambda i, runs: bare_correct(items[i][0], {"compile_rc": 0, "runs": runs}, lang))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--languages", default="all")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--samples", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3, help="bare/cold rounds per language (medians reported)")
    ap.add_argument("--min-seconds", type=float, default=4.0,
                    help="repeat the programs (as distinct sources) until a bare pass takes about this long")
    ap.add_argument("--pin", action=argparse.BooleanOptionalAction, default=True,
                    help="the pool's default: one core per container")
    ap.add_argument("--warm", action=argparse.BooleanOptionalAction, default=True,
                    help="also measure warm node / JVM runtimes against a fresh process per case")
    ap.add_argument("--json", dest="json_out", default=None)
    a = ap.parse_args()
    from codesynth.sandbox.docker import lang_image

    langs = list(language_names()) if a.languages == "all" else [x.strip() for x in a.languages.split(",")]
    for lang in langs:
        spec(lang)
    problems = load_problems(ROOT / "problem_sets" / "multilang.jsonl")
    image = lang_image.ensure_image(set(langs), build="toolchains")
    load0 = os.getloadavg()
    rows = [measure_language(image, langs, lang, programs(problems, lang), a) for lang in langs]
    warm = {lang: measure_warm(image, problems, lang) for lang in langs
            if a.warm and lang in ("javascript", "typescript", "java")}
    print(f"| language | bare programs/s | pool cold programs/s | pool x{a.samples} programs/s | cold vs bare "
          f"(worst of {a.rounds}) | cold vs bare, both with the pool's compile options | x{a.samples} vs bare | "
          f"p50 overhead pool cold (ms) | p50 bare (ms) | cache hit rate x{a.samples} |")
    print("|" + "---|" * 10)
    for r in rows:
        inval = "" if r["valid"] else " INVALID"
        same = f"{r['cold_vs_bare_speedups']:.2f}x" if r["cold_vs_bare_speedups"] else "(same)"
        print(f"| {r['language']}{inval} | {r['bare_programs_per_s']:.2f} | {r['cold_programs_per_s']:.2f} | "
              f"{r['samples']['programs_per_s']:.1f} | {r['cold_vs_bare']:.2f}x ({r['cold_vs_bare_min']:.2f}x) | "
              f"{same} | {r['samples_vs_bare']:.1f}x | {r['cold_p50_overhead_ms']:.1f} | {r['bare_p50_ms']:.0f} | "
              f"{r['samples']['cache_hit_rate'] or 0:.2f} |")
    if warm:
        print()
        print("| runtime | cases | fresh process p50 per case (ms) | warm runtime p50 per case (ms) | "
              "warm vs fresh, total | both right |")
        print("|---|---|---|---|---|---|")
        for lang, w in warm.items():
            how = "JVM, class loader per case" if lang == "java" else "node, vm context per case"
            print(f"| {lang} ({how}) | {w['cases']} | {w['fresh_p50_ms']:.1f} | {w['warm_p50_ms']:.1f} | "
                  f"{w['speedup']:.1f}x | {w['fresh_valid'] and w['warm_valid']} |")
    cpu = ""
    try:
        cpu = next(ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    meta = {"machine": platform.platform(), "cpu": cpu, "cores": os.cpu_count(), "workers": a.workers,
            "samples": a.samples, "rounds": a.rounds, "pin": a.pin, "image": image,
            "load_avg_start": load0, "load_avg_end": os.getloadavg()}
    print(json.dumps(meta), file=sys.stderr)
    if a.json_out:
        Path(a.json_out).write_text(json.dumps({"meta": meta, "rows": rows, "warm": warm}, indent=1))


if __name__ == "__main__":
    main()
