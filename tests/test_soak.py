"""Soak: 10,000 programs through one warm pool, every verdict checked, nothing accumulating.

Checked every 1,000 programs, with the pool idle: the run's containers (never more than
workers + spares once retired ones are gone), the processes inside each container (no
process of a program's uid, no zombie, no growth), and on the host this process's RSS,
open descriptors and child processes (bounded growth).
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass

import pytest
from helpers import container_processes, leftover_processes, run_containers, settle

from codesynth.models import ExecutionResult, IOCase, Limits, Status
from codesynth.sandbox.backend import ExecRequest
from codesynth.sandbox.docker.backend import DockerBackend

pytestmark = pytest.mark.docker

N = 10_000
BATCH = 1_000
WORKERS = 2
SPARES = 1
LIM = Limits(timeout_s=10, memory_mb=256)
LIM_TIMEOUT = Limits(timeout_s=1, memory_mb=256)

CHECK = (
    "def check(candidate):\n"
    "    assert candidate(1) == 2\n"
    "    assert candidate(2) == 3\n"
    "    assert candidate(-5) == -4\n"
)


@dataclass(frozen=True)
class Kind:
    name: str
    program: str
    status: Status
    passed: int | None  # tests_passed expected (of 3 for function programs)
    error_type: str | None = None
    io: bool = False
    short_timeout: bool = False  # run at timeout_s=1

    @property
    def limits(self) -> Limits:
        return LIM_TIMEOUT if self.short_timeout else LIM


KINDS = {
    "pass": Kind("pass", "def inc(x):\n    return x + 1\n", Status.passed, 3),
    "pass-heavier": Kind(
        "pass-heavier",
        "import collections, re\n"
        "def inc(x):\n"
        "    c = collections.Counter(re.findall(r'\\w', 'abc' * 50))\n"
        "    return x + 1 + sum(c.values()) - 150\n",
        Status.passed,
        3,
    ),
    "wrong": Kind("wrong", "def inc(x):\n    return x + 1 if x > 0 else 0\n", Status.failed, 2),
    "raises": Kind("raises", "def inc(x):\n    raise ValueError('no')\n", Status.failed, 0, "ValueError"),
    "syntax": Kind("syntax", "def inc(x)\n    return x + 1\n", Status.error, None, "SyntaxError"),
    # Passes only if nothing of an earlier program is visible: no process of this uid but
    # itself, an empty scratch directory.
    "probe": Kind(
        "probe",
        "import os\n"
        "MINE = [p for p in os.listdir('/proc') if p.isdigit() and int(p) != os.getpid()\n"
        "        and os.stat('/proc/' + p).st_uid == os.getuid()]\n"
        "CLEAN = not MINE and not os.listdir('.')\n"
        "open('left-over', 'w').write('x')\n"
        "def inc(x):\n"
        "    return x + 1 if CLEAN else -1\n",
        Status.passed,
        3,
    ),
    "daemon": Kind(
        "daemon",
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(600)\n"
        "    os._exit(0)\n"
        "def inc(x):\n"
        "    return x + 1\n",
        Status.passed,
        3,
    ),
    "io": Kind("io", "a, b = map(int, input().split())\nprint(a + b)\n", Status.passed, 2, io=True),
    "io-wrong": Kind(
        "io-wrong", "a, b = map(int, input().split())\nprint(a - b)\n", Status.failed, 0, io=True
    ),
    "timeout": Kind(
        "timeout",
        "def inc(x):\n    while True:\n        pass\n",
        Status.timeout,
        None,
        "Timeout",
        short_timeout=True,
    ),
}
IO_CASES = [IOCase(input="1 2\n", output="3\n"), IOCase(input="-5 5\n", output="0\n")]


def kind_of(i: int) -> Kind:
    """A fixed, interleaved mix: mostly passing, a fifth failing, a few timeouts and daemons."""
    if i % 1000 == 500:
        return KINDS["timeout"]  # 10 in all
    if i % 500 == 250:
        return KINDS["daemon"]  # 20 in all
    return KINDS[
        ("pass", "pass", "pass-heavier", "wrong", "raises", "probe", "io", "pass", "io-wrong", "syntax")[
            i % 10
        ]
    ]


def request(i: int) -> ExecRequest:
    k = kind_of(i)
    if k.io:
        return ExecRequest(
            candidate_id=f"c{i}",
            problem_id=k.name,
            kind="io",
            program=k.program,
            cases=IO_CASES,
            limits=k.limits,
        )
    return ExecRequest(
        candidate_id=f"c{i}",
        problem_id=k.name,
        kind="function",
        program=k.program,
        tests=CHECK,
        entry_point="inc",
        limits=k.limits,
    )


def verdict_problem(i: int, r: ExecutionResult) -> str | None:
    k = kind_of(i)
    if r.candidate_id != f"c{i}":
        return f"#{i}: result for {r.candidate_id}"
    if r.status is not k.status:
        return f"#{i} {k.name}: {r.status.value} ({r.error_type}: {(r.error_message or '')[:200]}), want {k.status.value}"
    if k.passed is not None and r.tests_passed != k.passed:
        return f"#{i} {k.name}: tests_passed {r.tests_passed}, want {k.passed}"
    if k.error_type and r.error_type != k.error_type:
        return f"#{i} {k.name}: error_type {r.error_type}, want {k.error_type}"
    if r.attempts != 1:
        return f"#{i} {k.name}: needed {r.attempts} attempts (no infrastructure failure was injected)"
    return None


# ----------------------------------------------------------------------------- observations








def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def host_children() -> int:
    n = 0
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/children") as f:
                n += len(f.read().split())
        except OSError:
            pass
    return n


@dataclass
class Checkpoint:
    done: int
    containers: int
    procs_per_container: list[int]
    foreign: list  # processes of a program's uid, or zombies
    rss_mb: float
    fds: int
    children: int


def checkpoint(done: int, run_id: str, idle_uids: set[int]) -> Checkpoint:
    ids = settle(run_id, WORKERS + SPARES, include_stopped=True)
    # A leak stays; a spare candidate still being forked when `docker top` looks (state R on a
    # loaded machine) is gone a moment later: look again for a while before calling it a leftover.
    end = time.monotonic() + 15
    while True:
        procs, foreign = [], []
        for cid in ids:
            rows = container_processes(cid)
            procs.append(len(rows))
            foreign += [(cid, u, st) for u, st in leftover_processes(rows)]
        if not foreign or time.monotonic() > end:
            break
        time.sleep(0.5)
    return Checkpoint(
        done, len(ids), procs, foreign, rss_mb(), len(os.listdir("/proc/self/fd")), host_children()
    )


# ----------------------------------------------------------------------------- the soak


@pytest.fixture(scope="module")
def soak_pool(runner_image):
    b = DockerBackend(
        workers=WORKERS,
        limits=LIM,
        image=runner_image,
        spares=SPARES,
        run_id=f"pytest-soak-{secrets.token_hex(3)}",
    )
    b.start()
    try:
        yield b
    finally:
        b.close()
    assert run_containers(b.run_id, include_stopped=True) == [], "containers left after close()"


def test_ten_thousand_programs_without_leaks(soak_pool):
    b = soak_pool
    idle_uids: set[int] = set()
    for cid in settle(b.run_id, WORKERS + SPARES):
        idle_uids |= {u for u, _ in container_processes(cid)}
    assert idle_uids, "docker top showed no process in the pool's containers"

    problems: list[str] = []
    counts: Counter = Counter()
    lock = threading.Lock()
    checkpoints: list[Checkpoint] = []
    t0 = time.monotonic()
    for start in range(0, N, BATCH):
        it = iter(range(start, min(start + BATCH, N)))

        def worker(it=it) -> None:
            while True:
                with lock:
                    i = next(it, None)
                if i is None:
                    return
                r = b.execute(request(i))
                bad = verdict_problem(i, r)
                with lock:
                    counts[(kind_of(i).name, r.status.value)] += 1
                    if bad:
                        problems.append(bad)

        threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        checkpoints.append(checkpoint(start + BATCH, b.run_id, idle_uids))
    wall = time.monotonic() - t0
    rate = N / wall
    report = "\n".join(str(c) for c in checkpoints)
    print(f"soak: {N} programs in {wall:.1f} s ({rate:.0f} programs/s), stats {b.stats}\n{report}")

    assert not problems, f"{len(problems)} wrong verdicts, first: {problems[:10]}"
    assert sum(counts.values()) == N
    assert counts[("timeout", "timeout")] == 10 and counts[("daemon", "passed")] == 20
    assert b.stats["recycled"] >= 10, b.stats  # at least every timeout forced a fresh container
    assert b.stats["retries"] == 0, b.stats
    for c in checkpoints:
        assert c.containers <= WORKERS + SPARES, f"extra containers at {c.done}: {c}"
        assert not c.foreign, f"leftover processes at {c.done}: {c.foreign}"
    # Process count per container: what an idle container runs, never more.
    first = checkpoints[0]
    assert max(max(c.procs_per_container, default=0) for c in checkpoints) <= max(
        first.procs_per_container
    ), report
    # Host side: memory, descriptors and child processes bounded (warm-up excluded).
    assert checkpoints[-1].rss_mb - first.rss_mb < 100, report
    assert checkpoints[-1].fds - first.fds < 20, report
    assert checkpoints[-1].children <= first.children + WORKERS + SPARES, report
