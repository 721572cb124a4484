"""The warm container pool under hostile programs and infrastructure failures.

Complements tests/test_harness.py (which covers verdict tricks, forged results, fork bomb,
module-level daemon, scratch privacy, writes outside scratch): here are the traps of issue 3
that need the pool's own machinery (wall-clock deadline, recycling, retry on a fresh
container), each followed by an honest program that must still pass.

Every backend here has its own run id, so `docker ps --filter label=codesynth.run=<id>`
sees exactly its containers. One worker per pool: "the next program" then runs in the
same container unless the pool recycled it, which is what the cleanup tests need.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from helpers import container_processes, leftover_processes, run_containers, settle

from codesynth.models import IOCase, Limits, Status
from codesynth.sandbox.backend import ExecRequest
from codesynth.sandbox.docker.backend import DockerBackend

pytestmark = pytest.mark.docker

CHECK = "def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(2) == 3\n"
HONEST = "def inc(x):\n    return x + 1\n"
LIM = Limits(timeout_s=2, memory_mb=256)
SECRET = f"codesynth-host-secret-{secrets.token_hex(8)}"


def fn(backend, program: str, tests: str = CHECK, limits: Limits = LIM, **kw):
    return backend.execute(
        ExecRequest(
            candidate_id="c",
            problem_id="p",
            kind="function",
            program=program,
            tests=tests,
            entry_point="inc",
            limits=limits,
            **kw,
        )
    )


def io(backend, program: str, cases: list[IOCase], limits: Limits = LIM, **kw):
    return backend.execute(
        ExecRequest(
            candidate_id="c", problem_id="p", kind="io", program=program, cases=cases, limits=limits, **kw
        )
    )


def assert_serves(backend) -> None:
    """The pool still gives an honest program its right verdict, first time."""
    r = fn(backend, HONEST)
    assert r.status is Status.passed, (r.status, r.error_type, r.error_message)
    assert (r.tests_passed, r.tests_total, r.attempts) == (2, 2, 1)
    bad = fn(backend, "def inc(x):\n    return x\n")
    assert bad.status is Status.failed and bad.tests_passed == 0








def make_pool(image: str, tag: str, **kw) -> DockerBackend:
    b = DockerBackend(workers=1, limits=LIM, image=image, run_id=f"pytest-{tag}-{secrets.token_hex(3)}", **kw)
    b.start()
    return b


@pytest.fixture(scope="module")
def pool(runner_image):
    # Set on the host before the containers start: nothing inside may ever see it.
    os.environ["CODESYNTH_POOL_TEST_SECRET"] = SECRET
    b = make_pool(runner_image, "pool")
    try:
        yield b
    finally:
        b.close()
        os.environ.pop("CODESYNTH_POOL_TEST_SECRET", None)


@pytest.fixture(scope="module")
def idle_uids(pool) -> set[int]:
    """uids of the processes an idle pool container runs (init, supervisor)."""
    uids: set[int] = set()
    for cid in settle(pool.run_id, 2):
        uids |= {u for u, _ in container_processes(cid)}
    assert uids, "docker top showed no process in the pool's containers"
    return uids


# ----------------------------------------------------------------------------- deadlines


@pytest.mark.parametrize(
    "program",
    [
        # The whole loop runs inside one C call: no bytecode boundary for a signal handler.
        "def inc(x):\n    return sum(range(10 ** 12))\n",
        # Catastrophic backtracking, also one C call.
        "import re\ndef inc(x):\n    return x + 1 if re.match(r'(a+)+$', 'a' * 64 + 'b') else x + 1\n",
        # Blocks without using CPU: a CPU-time rlimit alone would never fire.
        "import threading\ndef inc(x):\n    threading.Event().wait()\n    return x + 1\n",
    ],
    ids=["sum-range", "regex-backtracking", "blocking-wait"],
)
def test_loop_inside_a_c_call_times_out(pool, program):
    r = fn(pool, program)
    assert r.status is Status.timeout, (r.status, r.error_type, r.error_message)
    assert_serves(pool)


def test_ignored_and_blocked_termination_signals_still_time_out(pool):
    prog = (
        "import signal\n"
        "for s in (signal.SIGTERM, signal.SIGALRM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):\n"
        "    signal.signal(s, signal.SIG_IGN)\n"
        "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGALRM, signal.SIGINT})\n"
        "def inc(x):\n"
        "    signal.alarm(0)\n"
        "    while True:\n"
        "        pass\n"
    )
    r = fn(pool, prog)
    assert r.status is Status.timeout, (r.status, r.error_type, r.error_message)
    assert_serves(pool)


# ----------------------------------------------------------------------------- resources


@pytest.mark.parametrize(
    "program",
    [
        "def inc(x):\n    b = bytearray()\n    while True:\n        b += b'x' * (1 << 20)\n",
        "def inc(x):\n    keep = []\n    while True:\n        keep.append(' ' * (1 << 20))\n",
    ],
    ids=["bytearray-growth", "list-of-strings"],
)
def test_memory_bomb_by_growth(pool, program):
    r = fn(pool, program)
    assert r.status is Status.memory_exceeded, (r.status, r.error_type, r.error_message)
    assert_serves(pool)


def test_disk_fill_of_scratch_is_not_a_pass_and_is_gone_for_the_next_program(pool):
    fill = (
        "import os\n"
        "def inc(x):\n"
        "    for i in range(10 ** 6):\n"  # files below the per-file limit, until the tmpfs is full
        "        with open('fill%d' % i, 'wb') as f:\n"
        "            for _ in range(8):\n"
        "                f.write(b'x' * (1 << 20))\n"
        "    return x + 1\n"
    )
    r = fn(pool, fill)
    assert r.status not in (Status.passed, Status.sandbox_error), (r.status, r.error_message)
    assert r.status is Status.failed and r.error_type == "OSError", (r.status, r.error_type, r.error_message)
    # The next program starts in an empty scratch dir with the space available again.
    probe = (
        "import os\n"
        "EMPTY = not os.listdir('.')\n"
        f"N = {(LIM.scratch_mb // 2) << 20}\n"
        "with open('big', 'wb') as f:\n"
        "    f.write(b'y' * N)\n"
        "OK = EMPTY and os.path.getsize('big') == N\n"
        "def inc(x):\n"
        "    return x + 1 if OK else -1\n"
    )
    r = fn(pool, probe)
    assert r.status is Status.passed, (r.status, r.error_type, r.error_message, r.tests)
    assert_serves(pool)


def test_shared_memory_files_do_not_reach_the_next_program(pool):
    writer = (
        "def inc(x):\n"
        "    try:\n"
        "        open('/dev/shm/left-behind', 'w').write('42')\n"
        "    except OSError:\n"
        "        pass\n"
        "    return x + 1\n"
    )
    reader = "import os\ndef inc(x):\n    return x + 1 if not os.path.exists('/dev/shm/left-behind') else 0\n"
    assert fn(pool, writer).status is Status.passed
    assert fn(pool, reader).status is Status.passed


def test_gigabyte_stdout_flood_is_cut(pool):
    # 1 GiB in 1 MiB writes, then the right answer. With a long deadline, only the output cap
    # can stop it: had the flood gone through, this program would pass.
    flood = (
        "import os, sys\n"
        "def inc(x):\n"
        "    chunk = b'x' * (1 << 20)\n"
        "    for _ in range(1024):\n"
        "        os.write(1, chunk)\n"
        "    return x + 1\n"
    )
    r = fn(pool, flood, limits=Limits(timeout_s=60, memory_mb=256))
    assert r.status is Status.output_exceeded, (r.status, r.error_type, r.error_message)
    assert len(r.stdout_tail) <= 64 * 1024
    assert_serves(pool)


def test_stderr_flood_and_io_flood_are_cut(pool):
    err_flood = "import sys\nsys.stderr.write('e' * (1 << 24))\ndef inc(x):\n    return x + 1\n"
    r = fn(pool, err_flood, limits=Limits(timeout_s=60, memory_mb=256))
    assert r.status is Status.output_exceeded, (r.status, r.error_type, r.error_message)
    io_flood = "import os\nwhile True:\n    os.write(1, b'3\\n' * 32768)\n"
    r = io(pool, io_flood, [IOCase(input="1 2\n", output="3\n")], limits=Limits(timeout_s=60))
    assert r.status is Status.output_exceeded, (r.status, r.error_type, r.error_message)
    assert_serves(pool)


# ----------------------------------------------------------------------------- processes


def test_orphaned_children_are_reaped_so_pids_never_run_out(pool):
    # Each run leaves 40 exited grandchildren re-parented away from the candidate (20 per call).
    # Unreaped, they would exhaust the container's pid limit (pids + overhead < 8 * 40) within
    # a few programs and honest programs would start failing.
    orphans = (
        "import os\n"
        "def inc(x):\n"
        "    for _ in range(20):\n"
        "        pid = os.fork()\n"
        "        if pid == 0:\n"
        "            if os.fork() == 0:\n"
        "                os._exit(0)\n"
        "            os._exit(0)\n"
        "        os.waitpid(pid, 0)\n"
        "    return x + 1\n"
    )
    for _ in range(8):
        r = fn(pool, orphans, limits=Limits(timeout_s=10, memory_mb=256))
        assert r.status is Status.passed, (r.status, r.error_type, r.error_message)
    assert_serves(pool)


DAEMON_IO = (
    "import os, signal, sys, time\n"
    "a, b = map(int, input().split())\n"
    "print(a + b, flush=True)\n"
    "if os.fork() == 0:\n"
    "    os.setsid()\n"
    "    if os.fork() == 0:\n"
    "        for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):\n"
    "            signal.signal(s, signal.SIG_IGN)\n"
    "        time.sleep(120)\n"  # holds stdout/stderr open the whole time
    "    os._exit(0)\n"
)


def test_double_forked_daemon_holding_stdout_neither_stalls_nor_survives(pool, idle_uids):
    # Completion is "the program exited": the daemon still holding the output pipe must
    # not turn a correct answer into a timeout (deadline 5 s, daemon sleeps 120 s).
    cases = [IOCase(input="1 2\n", output="3\n"), IOCase(input="4 5\n", output="9\n")]
    r = io(pool, DAEMON_IO, cases, limits=Limits(timeout_s=5))
    assert r.status is Status.passed, (r.status, r.error_type, r.error_message, r.tests)
    daemon_in_call = (
        "import os, time\n"
        "def inc(x):\n"
        "    if os.fork() == 0:\n"
        "        os.setsid()\n"
        "        if os.fork() == 0:\n"
        "            time.sleep(120)\n"
        "        os._exit(0)\n"
        "    return x + 1\n"
    )
    assert fn(pool, daemon_in_call, limits=Limits(timeout_s=5)).status is Status.passed
    # From the host: no process of a program's uid is left in any container of the pool.
    ids = settle(pool.run_id, 2)
    assert len(ids) <= 2, ids
    for cid in ids:
        left = leftover_processes(container_processes(cid))
        assert not left, f"leftover processes in {cid}: {left}"
    assert_serves(pool)


# ----------------------------------------------------------------------------- reach


def test_no_process_environment_leaks_host_env_or_harness_secrets(pool):
    prog = (
        "import os\n"
        "def inc(x):\n"
        f"    secret = {SECRET!r}.encode()\n"
        "    for pid in [p for p in os.listdir('/proc') if p.isdigit()] + ['self']:\n"
        "        for what in ('environ', 'cmdline'):\n"
        "            try:\n"
        "                data = open('/proc/%s/%s' % (pid, what), 'rb').read()\n"
        "            except OSError:\n"
        "                continue\n"
        "            if secret in data:\n"
        "                return -1\n"
        "            if what == 'environ' and pid not in ('self', str(os.getpid())):\n"
        "                return -2\n"  # another process's environment must be unreadable
        "    return x + 1\n"
    )
    r = fn(pool, prog)
    assert r.status is Status.passed, (r.status, r.tests)
    assert_serves(pool)


def test_network_attempts_fail_and_reach_nothing_on_the_host(pool):
    # A listener on the host's loopback: the container has its own (empty) network namespace,
    # so nothing may arrive here. Only 127.0.0.1 and the reserved 192.0.2.1 are used.
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.2)
    port = srv.getsockname()[1]
    accepted: list = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(srv.accept())
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    prog = (
        "import os, socket\n"
        "def attempts():\n"
        "    ok = []\n"
        # The host's listener (its loopback is not the container's); no outside address is
        # ever a target: isolation is shown by the interfaces and routes below.
        f"    try:\n"
        f"        socket.create_connection(('127.0.0.1', {port}), timeout=0.5).close()\n"
        "        ok.append('host')\n"
        "    except OSError:\n"
        "        pass\n"
        "    routes = open('/proc/net/route').read().splitlines()[1:]\n"
        "    if routes:\n"
        "        ok.append(('routes', routes))\n"
        "    for fam, proto in ((socket.AF_INET, socket.IPPROTO_ICMP), (socket.AF_PACKET, 0)):\n"
        "        try:\n"
        "            socket.socket(fam, socket.SOCK_RAW, proto).close()\n"  # needs CAP_NET_RAW
        "            ok.append(('raw', fam))\n"
        "        except OSError:\n"
        "            pass\n"
        "    ifaces = sorted(os.listdir('/sys/class/net')) if os.path.isdir('/sys/class/net') else []\n"
        "    if [i for i in ifaces if i != 'lo']:\n"
        "        ok.append(ifaces)\n"
        "    return ok\n"
        "def inc(x):\n"
        "    got = attempts()\n"
        "    print(got)\n"
        "    return x + 1 if not got else -1\n"
    )
    try:
        r = fn(pool, prog, limits=Limits(timeout_s=10, memory_mb=256))
    finally:
        stop.set()
        t.join()
        srv.close()
    assert r.status is Status.passed, (r.status, r.stdout_tail, r.tests)
    assert accepted == []
    assert_serves(pool)


# ----------------------------------------------------------------------------- recycling


def test_recycles_after_n_programs_with_right_verdicts(runner_image):
    b = make_pool(runner_image, "recycle", recycle_after=5)
    try:
        # Each program names its container (the hostname is the container id) on stdout.
        tag = "import socket\nprint('HOST=' + socket.gethostname())\n"
        hosts = []
        for i in range(17):
            good = i % 3 != 0
            r = fn(b, tag + (HONEST if good else "def inc(x):\n    return x * 2\n"))
            assert r.status is (Status.passed if good else Status.failed), (i, r.status, r.error_message)
            assert r.tests_passed == (2 if good else 1) and r.attempts == 1
            hosts.append(re.search(r"HOST=(\w+)", r.stdout_tail).group(1))
        assert b.stats["recycled"] >= 3, b.stats
        # One container per run of five programs, in order: 5 + 5 + 5 + 2.
        runs = [hosts[i : i + 5] for i in range(0, len(hosts), 5)]
        assert all(len(set(run)) == 1 for run in runs), hosts
        assert len({run[0] for run in runs}) == len(runs), hosts
        # Retired containers are really gone: only the worker and its spare remain.
        assert len(settle(b.run_id, 2)) <= 2
    finally:
        b.close()
    assert run_containers(b.run_id) == []


# ----------------------------------------------------------------------------- infrastructure failures


def test_container_killed_mid_run_is_retried_on_a_fresh_one(runner_image):
    b = make_pool(runner_image, "kill")
    try:
        idle = set()
        for cid in settle(b.run_id, 2):
            idle |= {u for u, _ in container_processes(cid)}
        slow = "import time\ndef inc(x):\n    if x == 1:\n        time.sleep(3)\n    return x + 1\n"
        box: dict = {}
        t = threading.Thread(target=lambda: box.setdefault("r", fn(b, slow, limits=Limits(timeout_s=20))))
        t.start()
        # The busy container is the one running a process of a program's uid.
        victim = None
        end = time.monotonic() + 15
        while victim is None and time.monotonic() < end and t.is_alive():
            for cid in run_containers(b.run_id):
                if any(u not in idle for u, _ in container_processes(cid)):
                    victim = cid
                    break
        assert victim, "never saw the program running"
        subprocess.run(["docker", "kill", victim], capture_output=True, timeout=60, check=True)
        t.join(60)
        r = box["r"]
        assert r.status is Status.passed, (r.status, r.error_type, r.error_message)
        assert r.attempts == 2 and (r.tests_passed, r.tests_total) == (2, 2)
        assert b.stats["retries"] >= 1
        assert victim not in run_containers(b.run_id)

        assert_serves(b)
    finally:
        b.close()
    assert run_containers(b.run_id) == []


def test_every_container_killed_between_programs_the_next_program_still_gets_its_verdict(runner_image):
    b = make_pool(runner_image, "killall")
    try:
        assert fn(b, HONEST).status is Status.passed
        end = time.monotonic() + 30  # the spare warms in the background
        while len(ids := run_containers(b.run_id)) < 2 and time.monotonic() < end:
            time.sleep(0.2)
        assert len(ids) == 2, ids  # the worker's container and the warm spare
        # What an engine restart does: every container of the pool dies at once.
        subprocess.run(["docker", "kill", *ids], capture_output=True, timeout=60)
        r = fn(b, HONEST)
        assert r.status is Status.passed and r.attempts == 2, (r.status, r.attempts, r.error_message)
        assert_serves(b)
    finally:
        b.close()
    assert run_containers(b.run_id) == []


# ----------------------------------------------------------------------------- local backend


def test_local_backend_gives_right_verdicts_and_says_it_is_not_isolated(capsys):
    from codesynth.sandbox.local.backend import LocalBackend

    b = LocalBackend(workers=1)
    with pytest.warns(UserWarning, match="NOT an isolation boundary"):
        b.start()
    try:
        assert "NOT an isolation boundary" in capsys.readouterr().err
        r = fn(b, HONEST)
        assert r.status is Status.passed and (r.tests_passed, r.tests_total) == (2, 2)
        r = fn(b, "def inc(x):\n    return x + 1 if x < 2 else 0\n")
        assert r.status is Status.failed and (r.tests_passed, r.tests_total) == (1, 2)
        assert (
            fn(b, "def inc(x):\n    while True:\n        pass\n", limits=Limits(timeout_s=1)).status
            is Status.timeout
        )
        r = io(b, "a, b = map(int, input().split())\nprint(a + b)\n", [IOCase(input="1 2", output="3")])
        assert r.status is Status.passed
        assert r.backend == "local"
    finally:
        b.close()


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two cores")
def test_each_worker_container_is_pinned_to_its_own_core_even_after_recycling(runner_image):
    b = DockerBackend(workers=2, limits=LIM, image=runner_image, run_id=f"pytest-pin-{secrets.token_hex(3)}",
                      recycle_after=3)
    b.start()
    cores = sorted(os.sched_getaffinity(0))[:2]
    try:
        for i in range(10):  # recycles: spares (started unpinned) get promoted and pinned
            assert fn(b, HONEST).status is Status.passed, i
        assert b.stats["recycled"] >= 2, b.stats
        end = time.monotonic() + 20
        while True:
            ids = settle(b.run_id, 3)
            out = subprocess.run(["docker", "inspect", "-f", "{{.HostConfig.CpusetCpus}}", *ids],
                                 capture_output=True, text=True, timeout=60).stdout.split()
            if sorted(out) == [str(c) for c in cores] or time.monotonic() > end:
                break
            time.sleep(0.3)
        # Two busy containers on two different cores; the idle spare is not pinned.
        assert sorted(out) == [str(c) for c in cores], out
    finally:
        b.close()


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def test_zygote_killed_between_programs_costs_no_verdict(runner_image):
    b = make_pool(runner_image, "zygote")
    try:
        assert fn(b, HONEST).status is Status.passed
        killed = 0
        for cid in settle(b.run_id, 2):
            init = subprocess.run(["docker", "inspect", "-f", "{{.State.Pid}}", cid], capture_output=True,
                                  text=True, timeout=60).stdout.strip()
            for sup in _children(int(init)):  # docker-init -> supervisor -> zygote (same uid)
                for child in _children(sup):
                    if os.stat(f"/proc/{child}").st_uid == os.stat(f"/proc/{sup}").st_uid:
                        os.kill(child, signal.SIGKILL)
                        killed += 1
        assert killed >= 1, "found no zygote"
        for i in range(6):
            r = fn(b, HONEST)
            assert r.status is Status.passed and r.attempts == 1 and (r.tests_passed, r.tests_total) == (2, 2), (
                i, r.status, r.error_type, r.error_message)
            bad = fn(b, "def inc(x):\n    return x\n")
            assert bad.status is Status.failed and bad.tests_passed == 0, (i, bad.status, bad.error_message)
        assert b.stats["recycled"] >= 1, b.stats  # losing the zygote retires the container
    finally:
        b.close()
    assert run_containers(b.run_id) == []


def test_a_pool_allowed_two_cpus_per_program_is_not_pinned_to_one(runner_image):
    b = DockerBackend(workers=1, limits=Limits(cpus=2), image=runner_image,
                      run_id=f"pytest-nopin-{secrets.token_hex(3)}")
    b.start()
    try:
        assert fn(b, HONEST).status is Status.passed
        ids = run_containers(b.run_id)
        out = subprocess.run(["docker", "inspect", "-f", "{{.HostConfig.CpusetCpus}}|{{.HostConfig.NanoCpus}}", *ids],
                             capture_output=True, text=True, timeout=60).stdout.split()
        assert out and all(o == "|2000000000" for o in out), out
    finally:
        b.close()
