"""The in-container supervisor: a fork-server that runs one program at a time.

Host <-> supervisor: the host writes request frames to our stdin (4-byte length + JSON
header, then the program bytes, then the test bytes) and reads one JSON line per
request from our stdout. Those two descriptors belong to this process only; children
get fresh ones, and run under other uids, so nothing a candidate does can write here.

Per function request:
  1. the candidate C (candidate uid) is already waiting: the zygote forked it before the
     tests were read (zygote.py), so C's memory never holds them; we send it the program;
  2. read the tests into a reusable buffer, hand them and C's channel to the tester T
     (tester uid; long-lived for trusted tests, else forked per program), zero the buffer;
  3. T drives the tests, calling into C over a socketpair; T reports to us on a socket;
  4. we enforce the time limit (C's CPU time, the wall clock as a net: cputime.py) and the
     output cap, kill C's process group, ask the
     zygote for the next C, answer the host, then sweep stragglers and clean scratch.
stdin/stdout requests fork one C per case from here; the host compares outputs.
"""

from __future__ import annotations

import errno
import functools
import gc
import json
import os
import select
import signal
import socket
import sys
import time
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import candidate  # noqa: E402
import child  # noqa: E402
import cputime  # noqa: E402
import exits  # noqa: E402
import wire  # noqa: E402
import zygote  # noqa: E402

# Kept small on purpose until the zygote is forked (see main); the modules candidates
# commonly import are loaded after that, in both processes.

TAIL = 4096
SCRATCH_WORK = "work"
HARNESS_DIR = os.path.dirname(os.path.abspath(__file__))


class Ctx:
    def __init__(self, args):
        self.privileged = args.supervisor_uid is not None
        self.supervisor_uid = args.supervisor_uid
        self.tester_uid = args.tester_uid
        self.cand_uid = args.candidate_uid
        self.compiler_uid = args.compiler_uid  # other languages' compile step (langrun.py)
        self.scratch = args.scratch
        self.work = os.path.join(self.scratch, SCRATCH_WORK)
        self.devnull = os.open(os.devnull, os.O_RDWR)
        self.protected = set()
        self.tests_buf = bytearray()
        self.served = 0
        self.tester: TesterServer | None = None
        self.spare: Spare | None = None
        self.deferred_reap: list[int] = []
        self.zygote: zygote.Zygote | None = None
        # A killed zygote-forked candidate: protected from straggler scans until the zygote,
        # which reaps it before forking the next one, has answered.
        self.zombie = 0
        self.pending_anomaly = False
        self.oom_count = oom_kills()  # refreshed after any kill; read only on the death path


# --------------------------------------------------------------------------- child setup


def _child_env(ctx: Ctx) -> None:
    os.environ.clear()
    os.environ.update(
        PATH="/usr/local/bin:/usr/bin:/bin", HOME=ctx.work, TMPDIR=ctx.work, LANG="C.UTF-8",
        PYTHONIOENCODING="utf-8", PYTHONDONTWRITEBYTECODE="1",
    )


def _fork_candidate(ctx: Ctx, req: dict, program: str, fds: dict[int, int]) -> int:
    leave = exits.leave  # a local taken before the program runs: see exits.py
    pid = os.fork()
    if pid:
        return pid
    rc = 70
    try:
        child.enter(ctx, ctx.cand_uid, fds, req["limits"], int(req["limits"]["pids"]) if ctx.privileged else 0)
        if req.get("fresh"):
            # Pristine interpreter: program arrives on fd 4 so it never sits in argv/env.
            r, w = os.pipe()
            if r != 4:
                os.dup2(r, 4)
                os.close(r)
            os.set_inheritable(4, True)
            pid2 = os.fork()
            if pid2 == 0:  # feeder: writes the program then exits
                os.close(4)
                wire.send_frame(w, program.encode())
                leave(0)
            os.close(w)
            os.execv(sys.executable, [sys.executable, "-I", os.path.join(HARNESS_DIR, "candidate.py"),
                                      req["kind"]])
        if req["kind"] == "function":
            candidate.serve_function(program, 3)
            rc = 0
        else:
            rc = candidate.run_script(program, 3)
    except BaseException:  # noqa: BLE001
        rc = 70
    finally:
        leave(rc)


class Spare:
    """A candidate process forked ahead of time, set up and waiting for its program.

    Forking while the host is busy with the previous answer takes the fork off the
    request's critical path. It is forked after the previous request is over, from a
    process that never decoded any tests, so it holds nothing secret either. Normally the
    zygote forks it (`via_zygote`): then only the zygote can reap it.
    """

    def __init__(self, pid: int, prog_w: int, out_r: int, err_r: int, chan_t: socket.socket, via_zygote: bool):
        self.pid, self.prog_w, self.out_r, self.err_r, self.chan_t = pid, prog_w, out_r, err_r, chan_t
        self.via_zygote = via_zygote

    def discard(self, ctx: Ctx) -> None:
        _kill_group(self.pid)
        _reap_candidate(ctx, self.pid, self.via_zygote)
        ctx.protected.discard(self.pid)
        for fd in (self.prog_w, self.out_r, self.err_r):
            os.close(fd)
        self.chan_t.close()


def _reap_candidate(ctx: Ctx, pid: int, via_zygote: bool) -> int | None:
    if not via_zygote:
        return _reap(pid)
    _spare_ready(ctx)  # its answer would come first
    if ctx.zygote is not None:
        try:
            return ctx.zygote.wait(pid)
        except OSError:
            _lose_zygote(ctx)
    return None


def _lose_zygote(ctx: Ctx) -> None:
    """The zygote died (it never runs candidate code, so this is our bug): fork directly."""
    z, ctx.zygote = ctx.zygote, None
    if z is not None:
        ctx.protected.discard(z.pid)
        try:
            os.kill(z.pid, signal.SIGKILL)
        except OSError:
            pass
        z.close()
        ctx.pending_anomaly = True
    # Its children are ours now (subreaper): _reap_all collects them.
    ctx.protected.discard(ctx.zombie)
    ctx.zombie = 0


def _prefork(ctx: Ctx) -> None:
    if ctx.spare is not None:
        return
    prog_r, prog_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    chan_c, chan_t = socket.socketpair()
    fds = [prog_r, out_w, err_w, chan_c.fileno()]
    pid = 0
    if ctx.zygote is not None:
        try:
            ctx.zygote.request_spare(fds, ctx.zombie)
            pid = -1  # the zygote forks while we carry on; see _spare_ready
        except OSError:
            _lose_zygote(ctx)
    if not pid:
        pid = os.fork()
        if pid == 0:
            zygote.run_spare(ctx, fds)
        ctx.protected.add(pid)
    for fd in (prog_r, out_w, err_w):
        os.close(fd)
    chan_c.close()
    ctx.spare = Spare(pid, prog_w, out_r, err_r, chan_t, pid == -1)


def _spare_ready(ctx: Ctx) -> None:
    """Collect the pid of a spare the zygote was asked for (before anything scans or uses it)."""
    sp = ctx.spare
    if sp is None or sp.pid != -1:
        return
    try:
        sp.pid = ctx.zygote.spare_pid() if ctx.zygote is not None else 0
    except OSError:
        sp.pid = 0
    # The zygote reaped the killed candidate before it forked this one.
    ctx.protected.discard(ctx.zombie)
    ctx.zombie = 0
    if sp.pid > 0:
        ctx.protected.add(sp.pid)
        return
    ctx.spare = None
    for fd in (sp.prog_w, sp.out_r, sp.err_r):
        os.close(fd)
    sp.chan_t.close()
    _lose_zygote(ctx)


def _take_spare(ctx: Ctx, req: dict, program: str) -> Spare | None:
    _spare_ready(ctx)
    sp, ctx.spare = ctx.spare, None
    if sp is None:
        return None
    ctx.protected.discard(sp.pid)
    try:
        wire.send_frame(sp.prog_w, json.dumps({"limits": req["limits"]}).encode())
        wire.send_frame(sp.prog_w, program.encode())
        os.close(sp.prog_w)
        sp.prog_w = -1
        return sp
    except OSError:  # it was killed while waiting (a janitor pass): fork as usual
        sp.prog_w = os.open(os.devnull, os.O_RDONLY)
        sp.discard(ctx)
        return None


# --------------------------------------------------------------------------- I/O helpers


class Capture:
    """Reads a child's output pipe, keeping a bounded head (for comparisons) and tail."""

    def __init__(self, fd: int, keep_all: int = 0):
        self.fd = fd
        self.total = 0
        self.keep_all = keep_all
        self.head = bytearray()
        self.tail = bytearray()
        os.set_blocking(fd, False)

    def pump(self) -> bool:
        """Read what is available; return False at EOF."""
        while True:
            try:
                b = os.read(self.fd, 65536)
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not b:
                return False
            self.total += len(b)
            if len(self.head) < self.keep_all:
                self.head += b[: self.keep_all - len(self.head)]
            self.tail += b
            if len(self.tail) > 2 * TAIL:
                del self.tail[:-TAIL]

    def tail_text(self) -> str:
        return bytes(self.tail[-TAIL:]).decode("utf-8", "replace")


def _wait_loop(deadline: float, caps: list[Capture], cap_bytes: int, done_fd: int | None,
               done_pid: int | None = None, framed: bool = False,
               cpu: cputime.CpuClock | None = None) -> tuple[str, bytes, int | None]:
    """Pump outputs until `done_fd` hits EOF (or `done_pid` exits), the deadline, the cap, or
    (with `cpu`) the program's CPU budget.

    Returns (how, report_bytes, exit_status) with how in {"done", "exited", "timeout", "cpu",
    "idle", "output"} ("timeout": the wall-clock deadline; "cpu", "idle": see cputime.py);
    exit_status is set when we reaped
    `done_pid` here (its CPU time, children included, is then in LAST_EXIT_CPU_S).
    """
    report = bytearray()
    open_caps = {c.fd: c for c in caps}
    if done_fd is not None:
        os.set_blocking(done_fd, False)
    pidfd = None
    if done_pid is not None and hasattr(os, "pidfd_open"):
        try:
            pidfd = os.pidfd_open(done_pid)  # readable when the child exits: no polling latency
        except OSError:
            pidfd = None
    try:
        while True:
            if sum(c.total for c in caps) > cap_bytes:
                return "output", bytes(report), None
            if done_pid is not None:
                try:
                    pid, st, ru = os.wait4(done_pid, os.WNOHANG)
                except ChildProcessError:
                    pid, st, ru = done_pid, None, None
                if pid:
                    global LAST_EXIT_CPU_S
                    LAST_EXIT_CPU_S = (ru.ru_utime + ru.ru_stime) if ru is not None else 0.0
                    return "exited", bytes(report), st
            now = time.monotonic()
            remaining = deadline - now
            if remaining <= 0:
                return "timeout", bytes(report), None
            if cpu is not None:
                stop = cpu.expired(now)
                if stop is not None:
                    return stop, bytes(report), None
                remaining = min(remaining, max(0.0, cpu.next_check - now))
            fds = list(open_caps)
            if done_fd is not None:
                fds.append(done_fd)
            if pidfd is not None:
                fds.append(pidfd)
            step = remaining if (done_pid is None or pidfd is not None) else min(remaining, 0.005)
            try:
                ready, _, _ = select.select(fds, [], [], step)
            except InterruptedError:
                continue
            for fd in ready:
                if fd == pidfd:
                    continue  # loop top reaps it
                if fd == done_fd:
                    try:
                        b = os.read(done_fd, 65536)
                    except BlockingIOError:
                        continue
                    if not b:
                        return ("tester" if framed else "done"), bytes(report), None
                    report += b
                    # A long-lived peer does not close: one length-prefixed frame is the answer.
                    if framed and len(report) >= 4 and len(report) >= 4 + int.from_bytes(report[:4], "big"):
                        return "done", bytes(report), None
                    continue
                if not open_caps[fd].pump():
                    del open_caps[fd]
    finally:
        if pidfd is not None:
            os.close(pidfd)
        if framed and done_fd is not None:
            os.set_blocking(done_fd, True)


LAST_EXIT_CPU_S = 0.0


def _drain(caps: list[Capture], cap_bytes: int, budget: float = 0.05) -> None:
    """After the kill: collect what is still buffered, but never wait on a stray holder."""
    end = time.monotonic() + budget
    live = list(caps)
    first = True
    while live and (first or time.monotonic() < end) and sum(c.total for c in caps) <= cap_bytes:
        first = False
        ready, _, _ = select.select([c.fd for c in live], [], [], max(0.0, end - time.monotonic()))
        if not ready:
            break
        live = [c for c in live if c.fd not in ready or c.pump()]


def _reap(pid: int) -> int | None:
    try:
        _, status = os.waitpid(pid, 0)
        return status
    except ChildProcessError:
        return None


def _kill_group(pid: int) -> None:
    if pid <= 0:  # never killpg(0): that is our own group
        return
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _decode_status(status: int | None) -> tuple[int | None, int | None]:
    if status is None:
        return None, None
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    return os.WEXITSTATUS(status), None


# --------------------------------------------------------------------------- hygiene


def _scan_stragglers(ctx: Ctx) -> list[int]:
    """Processes left behind by a program.

    In a container every pid we did not find at start-up is one. Locally we may only
    look at our own children: as subreaper, every orphaned descendant lands there.
    """
    me = os.getpid()
    if not ctx.privileged:
        out = []
        try:
            for tid in os.listdir(f"/proc/{me}/task"):
                with open(f"/proc/{me}/task/{tid}/children") as fh:
                    out += [int(x) for x in fh.read().split()]
        except OSError:
            pass
        return [p for p in out if p not in ctx.protected]
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            pid = int(name)
            if pid != me and pid not in ctx.protected:
                out.append(pid)
    return out


def _scratch_dirty(ctx: Ctx) -> bool:
    try:
        if os.listdir(ctx.scratch) != [SCRATCH_WORK] or os.listdir(ctx.work):
            return True
        st = os.lstat(ctx.work)
        if ctx.privileged and (st.st_uid != ctx.cand_uid or (st.st_mode & 0o7777) != 0o755):
            return True
        return bool(ctx.privileged and os.path.isdir("/dev/shm") and os.listdir("/dev/shm"))
    except OSError:
        return True


def _janitor(ctx: Ctx, uid: int | None) -> None:
    """Fork a helper under `uid` that kills every process of that uid and resets scratch."""
    pid = os.fork()
    if pid == 0:
        rc = 0
        try:
            if ctx.privileged and uid is not None:
                import privileges

                privileges.become_unprivileged(uid, ctx.supervisor_uid)
                for _ in range(1000):  # a fork bomb may still be forking: repeat until none is left
                    try:
                        os.kill(-1, signal.SIGKILL)
                    except ProcessLookupError:
                        break
            if uid == ctx.cand_uid or not ctx.privileged:
                _reset_scratch(ctx)
        except BaseException:  # noqa: BLE001
            rc = 1
        os._exit(rc)
    _reap(pid)


def _rm_tree(path: str) -> None:
    import shutil

    try:
        os.chmod(path, 0o700)
    except OSError:
        pass
    for root, dirs, _ in os.walk(path):
        for d in dirs:
            try:
                os.chmod(os.path.join(root, d), 0o700)
            except OSError:
                pass
    shutil.rmtree(path, ignore_errors=True)
    if os.path.lexists(path):
        try:
            os.unlink(path)
        except OSError:
            pass


def _reset_scratch(ctx: Ctx) -> None:
    for name in os.listdir(ctx.scratch):
        _rm_tree(os.path.join(ctx.scratch, name))
    os.mkdir(ctx.work, 0o755)
    os.chmod(ctx.work, 0o755)
    if ctx.privileged and os.path.isdir("/dev/shm"):  # only inside our own container
        for name in os.listdir("/dev/shm"):
            _rm_tree(os.path.join("/dev/shm", name))


def _reap_all() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _cleanup(ctx: Ctx) -> bool:
    """Leave the container as we found it. Returns True if anything had to be fixed."""
    _spare_ready(ctx)
    _reap_all()
    anomaly = False
    stray = _scan_stragglers(ctx)
    if stray:
        anomaly = True
        uids = set()
        for pid in stray:
            try:
                uids.add(os.stat(f"/proc/{pid}").st_uid)
            except OSError:
                pass
        if not ctx.privileged:
            # Never kill(-1) here: locally that would be every process of the user.
            for _ in range(100):
                for pid in stray:
                    _kill_group(pid)
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                _reap_all()
                stray = _scan_stragglers(ctx)
                if not stray:
                    break
        for uid in uids & {ctx.cand_uid, ctx.tester_uid, ctx.compiler_uid}:
            _janitor(ctx, uid)
        _reap_all()
        swept = ctx.cand_uid in uids or not ctx.privileged
    else:
        swept = False
    if _scratch_dirty(ctx):
        _janitor(ctx, ctx.cand_uid)
        swept = True
    if swept and ctx.spare is not None:
        # The next candidate was forked before this sweep: killed by it, or sitting in the
        # scratch directory it just replaced. Fork another one.
        sp, ctx.spare = ctx.spare, None
        sp.discard(ctx)
    return anomaly


# --------------------------------------------------------------------------- requests


def _read_request(ctx: Ctx) -> tuple[dict, str, int] | None:
    try:
        hdr = json.loads(wire.recv_frame(0))
    except wire.ChannelClosed:
        return None
    program = wire.read_exact(0, int(hdr["program_len"])).decode("utf-8", "replace")
    return hdr, program, int(hdr.get("tests_len", 0))


def _read_tests(ctx: Ctx, n: int) -> memoryview:
    if len(ctx.tests_buf) < n:
        ctx.tests_buf = bytearray(max(n, 2 * len(ctx.tests_buf)))
    view = memoryview(ctx.tests_buf)[:n]
    wire.read_exact_into(0, view)  # type: ignore[arg-type]
    return view


TESTER_MAX_RUNS = 500  # a fresh tester now and then: fragmentation, caches, anything slow to leak


class TesterServer:
    def __init__(self, pid: int, sock: socket.socket):
        self.pid, self.sock, self.ctrl = pid, sock, sock.fileno()
        self.runs = 0


def _start_tester(ctx: Ctx, limits: dict) -> TesterServer:
    leave = exits.leave  # the tests run in this child: its way out is bound first (exits.py)
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            ours.close()
            # Long-lived: no CPU rlimit (each program's wall deadline is enforced here instead).
            child.enter(ctx, ctx.tester_uid, {0: ctx.devnull, 1: ctx.devnull, 2: ctx.devnull, 3: theirs.fileno()},
                         limits, 16 if ctx.privileged else 0, cpu_limit=False)
            import tester

            tester.serve(3)
        except BaseException:  # noqa: BLE001
            code = 70
        finally:
            leave(code)
    theirs.close()
    ctx.protected.add(pid)
    return TesterServer(pid, ours)


def _stop_tester(ctx: Ctx) -> None:
    t = ctx.tester
    if t is None:
        return
    ctx.tester = None
    _kill_group(t.pid)
    _reap(t.pid)
    ctx.protected.discard(t.pid)
    t.sock.close()


def _send_tests(ctx: Ctx, req: dict, tests: memoryview, chan_t: socket.socket, limits: dict) -> TesterServer | None:
    """Hand the tests and the channel to the candidate over to the tester server."""
    header = json.dumps({"id": req.get("id"), "entry_point": req.get("entry_point"), "names": req.get("names"),
                         "trusted": bool(req.get("trusted_tests")), "tests_len": len(tests)}).encode()
    head = len(header).to_bytes(4, "big") + header
    for _ in range(2):
        if ctx.tester is None:
            ctx.tester = _start_tester(ctx, limits)
        t = ctx.tester
        try:
            socket.send_fds(t.sock, [head], [chan_t.fileno()])
            t.sock.sendall(tests)
            t.runs += 1
            return t
        except OSError:
            _stop_tester(ctx)  # it died (e.g. a janitor pass): start a new one and resend
    return None


def run_function(ctx: Ctx, req: dict, program: str, tests_len: int) -> dict:
    limits = req["limits"]
    t0 = time.monotonic()
    limit = float(limits["timeout_s"])
    deadline = t0 + cputime.hard_wall_limit(limit)  # the bound on any run: the verdict is on CPU time
    oom_before = ctx.oom_count
    sp = None if req.get("fresh") else _take_spare(ctx, req, program)
    if sp is not None:
        c_pid, out_r, err_r, chan_t = sp.pid, sp.out_r, sp.err_r, sp.chan_t
    else:
        chan_c, chan_t = socket.socketpair()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        c_pid = _fork_candidate(ctx, req, program, {0: ctx.devnull, 1: out_w, 2: err_w, 3: chan_c.fileno()})
        os.close(out_w)
        os.close(err_w)
        chan_c.close()
    # Only now do the tests enter this process, and only into a buffer we wipe.
    view = _read_tests(ctx, tests_len)
    tsrv = _send_tests(ctx, req, view, chan_t, limits)
    view[:] = bytes(len(view))
    view.release()
    chan_t.close()

    caps = [Capture(out_r), Capture(err_r)]
    clock = cputime.CpuClock(c_pid, limit, t0, cputime.wall_limit(limit))
    if tsrv is None:
        how, report_bytes = "tester", b""
    else:
        how, report_bytes, _ = _wait_loop(deadline, caps, int(limits["output_bytes"]), tsrv.ctrl, framed=True,
                                          cpu=clock)
        if how == "timeout":
            clock.used_s = cputime.group_times(c_pid)[0]  # before the kill: what it did till the bound
    duration = time.monotonic() - t0
    # Did the candidate die on its own (OOM kill, signal) before we stop it? (Only our own
    # children can be asked without waiting; the zygote's are asked on the death path.)
    via_zygote = sp is not None and sp.via_zygote
    c_status = None
    if not via_zygote:
        try:
            pid, st = os.waitpid(c_pid, os.WNOHANG)
            if pid:
                c_status = st
        except ChildProcessError:
            pass
    _kill_group(c_pid)
    if how != "done":
        _stop_tester(ctx)  # stuck in (or between) tests: never reuse it
        ctx.oom_count = oom_kills()
    if c_status is None and how == "done" and b'"ProcessDied"' in report_bytes:
        c_status = _reap_candidate(ctx, c_pid, via_zygote)  # it died on its own; its status says how
    elif c_status is None and via_zygote:
        ctx.zombie = c_pid  # the zygote reaps it
        ctx.protected.add(c_pid)
    if via_zygote:
        # The next candidate: the zygote forks it while we answer and clean up.
        _prefork(ctx)
    elif c_status is None:
        ctx.deferred_reap.append(c_pid)  # after the answer is sent: off the critical path
    # The candidate flushes its output before every reply, so what matters is already
    # buffered: one non-blocking pass, no waiting for the killed process to close its pipes.
    _drain(caps, int(limits["output_bytes"]), budget=0.0 if how == "done" else 0.05)
    for fd in (out_r, err_r):
        os.close(fd)

    exit_code, sig = _decode_status(c_status)
    resp = {"stdout_tail": caps[0].tail_text(), "stderr_tail": caps[1].tail_text(),
            "exit_code": exit_code, "signal": sig, "duration_s": round(duration, 6)}
    if how in ("timeout", "cpu", "idle"):
        resp.update(_time_verdict(how, clock.used_s, limits, oom_before, ctx.oom_count))
        return resp
    if how == "output":
        resp.update(status="output_exceeded", error_type="OutputLimit",
                    error_message=f"wrote more than {limits['output_bytes']} bytes of output")
        return resp
    try:
        report = json.loads(report_bytes[4:].decode("utf-8")) if len(report_bytes) > 4 else None
    except ValueError:
        report = None
    if isinstance(report, dict) and report.get("id") != req.get("id"):
        _stop_tester(ctx)
        report = None
    if c_status is not None and os.WIFSIGNALED(c_status):
        ctx.oom_count = oom_kills()
    if not isinstance(report, dict):
        # The tester runs under a uid the candidate cannot touch: losing it is our failure.
        _stop_tester(ctx)
        resp.update(status="sandbox_error", error_type="TesterDied",
                    error_message="the test process died without a report")
        return resp
    resp.update({k: report.get(k) for k in ("status", "tests_total", "tests_passed", "tests", "error_type",
                                            "error_message", "traceback")})
    if report.get("error_type") == "MemoryError":
        resp["status"] = "memory_exceeded"
    elif report.get("status") == "crashed" and report.get("error_type") == "ProcessDied":
        cpu_s = ctx.zygote.last_cpu_s if via_zygote and ctx.zygote is not None else None
        resp.update(_explain_death(c_status, limits, oom_before, cpu_s))
    return resp


_OOM_FILES = ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control")


def oom_kills() -> int | None:
    """The container cgroup's OOM-kill counter (cgroup v2 or v1), if readable."""
    for path in _OOM_FILES:
        try:
            with open(path) as fh:
                for line in fh:
                    k, _, v = line.partition(" ")
                    if k == "oom_kill":
                        return int(v)
        except (OSError, ValueError):
            continue
    return None


def _time_verdict(how: str, cpu_s: float, limits: dict, oom_before: int | None, oom_after: int | None) -> dict:
    """A program stopped on time (`how`: "cpu", its CPU budget; "idle", the wall-clock net for
    sleepers; "timeout", the hard wall-clock bound).
    An out-of-memory kill during the run decides first: a memory bomb slowed down by a busy
    machine is still a memory bomb."""
    if oom_before is not None and oom_after is not None and oom_after > oom_before:
        return {"status": "memory_exceeded", "error_type": "Killed", "cpu_s": round(cpu_s, 3),
                "error_message": f"killed by the out-of-memory killer (limit {limits['memory_mb']} MB)"}
    limit = float(limits["timeout_s"])
    if how == "cpu":
        msg = f"used {cpu_s:.2f} s of CPU time; the limit is {limit:g} s"
    elif how == "idle":
        msg = (f"idle (sleeping or blocked) for {cputime.wall_limit(limit):g} s of wall-clock time, the safety net "
               f"of a {limit:g} s CPU time limit (it had used {cpu_s:.2f} s of CPU)")
    else:
        msg = (f"still running after {cputime.hard_wall_limit(limit):g} s of wall-clock time, the bound of a "
               f"{limit:g} s CPU time limit however busy the machine (it had used {cpu_s:.2f} s of CPU)")
    return {"status": "timeout", "error_type": "Timeout", "error_message": msg,
            "timeout_kind": "cpu" if how == "cpu" else "wall", "cpu_s": round(cpu_s, 3)}


def _explain_death(status: int | None, limits: dict, oom_before: int | None = None,
                   cpu_s: float | None = None) -> dict:
    code, sig = _decode_status(status)
    cpu_limit = int(limits["timeout_s"]) + 2  # child.limits: the soft CPU limit
    if sig == signal.SIGKILL:
        after = oom_kills()
        if oom_before is None or after is None or after > oom_before:
            return {"status": "memory_exceeded", "error_type": "Killed",
                    "error_message": f"killed by the out-of-memory killer (limit {limits['memory_mb']} MB)"}
        if cpu_s is not None and cpu_s >= cpu_limit:
            return {"status": "timeout", "error_type": "CPUTimeLimit",
                    "error_message": f"killed at the CPU time limit ({cpu_limit} s; it ignored SIGXCPU)"}
        used = f"{cpu_s:.2f} s of CPU of {cpu_limit} s, " if cpu_s is not None else ""
        return {"status": "crashed", "error_type": "SIGKILL",
                "error_message": "killed by signal SIGKILL, sent by the program itself or a process it started: "
                                 f"no limit of the sandbox was reached ({used}no out-of-memory kill, "
                                 "the sandbox kills a program only at its CPU time limit or its wall-clock safety net)"}
    if sig in (signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT):
        name = signal.Signals(sig).name
        return {"status": "crashed", "error_type": name,
                "error_message": f"killed by signal {name} (a crash in C code; an allocation refused by the "
                                 f"{limits['memory_mb']} MB address-space limit can end this way)"}
    if sig == signal.SIGXCPU:
        return {"status": "timeout", "error_type": "CPUTimeLimit", "error_message": "exceeded the CPU time limit"}
    if sig == signal.SIGXFSZ:
        return {"status": "crashed", "error_type": "FileSizeLimit", "error_message": "exceeded the file size limit"}
    if sig is not None:
        return {"status": "crashed", "error_type": signal.Signals(sig).name,
                "error_message": f"killed by signal {signal.Signals(sig).name}"}
    if code is not None:
        return {"status": "failed", "error_type": "EarlyExit",
                "error_message": f"the program exited (code {code}) before the tests finished"}
    return {}


def run_io(ctx: Ctx, req: dict, program: str, tests_len: int) -> dict:
    limits = req["limits"]
    if tests_len:
        _read_tests(ctx, tests_len)[:] = bytes(tests_len)
    t0 = time.monotonic()
    limit = float(limits["timeout_s"])
    deadline = t0 + cputime.hard_wall_limit(limit)  # the bound on all cases together: the verdict is on CPU time
    spent = 0.0
    cap = int(limits["output_bytes"])
    cases = []
    status = "ok"
    extra: dict = {}
    for i, stdin_text in enumerate(req["inputs"]):
        data = stdin_text.encode("utf-8")
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        st_r, st_w = os.pipe()
        c0 = time.monotonic()
        c_pid = _fork_candidate(ctx, req, program, {0: in_r, 1: out_w, 2: err_w, 3: st_w})
        for fd in (in_r, out_w, err_w, st_w):
            os.close(fd)
        _feed(in_w, data)
        # A plain run (the service's /run_code) returns stderr too, not just its tail.
        caps = [Capture(out_r, keep_all=cap), Capture(err_r, keep_all=cap if req["kind"] == "run" else 0),
                Capture(st_r)]
        # Completion is "the direct child exited"; a grandchild holding the pipe must not stall us.
        clock = cputime.CpuClock(c_pid, limit - spent, c0, cputime.wall_limit(limit))
        how, _, c_status = _wait_loop(deadline, caps, cap, None, done_pid=c_pid, cpu=clock)
        if how == "exited":
            spent += LAST_EXIT_CPU_S
        elif how == "timeout":
            clock.used_s = cputime.group_times(c_pid)[0]  # before the kill
        _kill_group(c_pid)
        if how != "exited":
            _reap(c_pid)
        _drain(caps, cap)
        for fd in (out_r, err_r, st_r):
            os.close(fd)
        exit_code, sig = _decode_status(c_status)
        oom = False
        if sig is not None or how in ("timeout", "cpu", "idle"):
            now = oom_kills()
            oom = sig == signal.SIGKILL and (now is None or ctx.oom_count is None or now > ctx.oom_count)
            ctx.oom_count = now
        err_info = None
        if caps[2].head or caps[2].tail:
            try:
                err_info = wire.loads_plain(bytes(caps[2].tail)[4:])
            except Exception:  # noqa: BLE001 - whatever the program wrote there is not ours to trust
                err_info = None
        case = {"stdout": bytes(caps[0].head).decode("utf-8", "replace"), "stdout_bytes": caps[0].total,
                "stderr_tail": caps[1].tail_text(), "exit_code": exit_code, "signal": sig,
                "duration_s": round(time.monotonic() - c0, 6), "oom": oom}
        if req["kind"] == "run":
            case["stderr"], case["stderr_bytes"] = bytes(caps[1].head).decode("utf-8", "replace"), caps[1].total
        if isinstance(err_info, tuple) and len(err_info) == 2:
            case["error_type"], case["error_message"] = str(err_info[0]), str(err_info[1])
        cases.append(case)
        if how in ("timeout", "cpu", "idle"):
            status = "timeout"
            tv = _time_verdict(how, spent + clock.used_s, limits, None, None)
            extra = {"timeout_kind": tv["timeout_kind"], "cpu_s": tv["cpu_s"], "timeout_message": tv["error_message"]}
        elif how == "output":
            status = "output_exceeded"
        if status != "ok":
            break
        if i + 1 < len(req["inputs"]):
            _cleanup(ctx)
    return {"status": status, "cases": cases, "duration_s": round(time.monotonic() - t0, 6), **extra}


def _feed(fd: int, data: bytes) -> None:
    """Write stdin without blocking forever on a program that never reads it."""
    if len(data) <= 65536:
        try:
            os.write(fd, data)
        except OSError:
            pass
        os.close(fd)
        return
    pid = os.fork()  # large input: a tiny writer process, killed and reaped after the request
    if pid == 0:
        try:
            wire.write_all(fd, data)
        except OSError:
            pass
        os._exit(0)
    os.close(fd)
    _FEEDERS.append(pid)


_FEEDERS: list[int] = []


# --------------------------------------------------------------------------- plain runs


def run_plain(ctx: Ctx, req: dict, program: str, tests_len: int, run=None) -> dict:
    """One run of a program on one stdin, with files put into its working directory first
    and the requested ones read back after (the service's SandboxFusion-style /run_code).

    The file jobs run as the candidate's uid, outside the program's time: its limits count
    from its own start, as for every other kind. `run`: what runs the program (run_io for
    Python; langrun's compile-then-run for other languages).
    """
    spec = json.loads(bytes(_read_tests(ctx, tests_len)).decode("utf-8")) if tests_len else {}
    if spec.get("files"):
        put = _as_candidate_uid(ctx, {"op": "put", "files": spec["files"]})
        if put.get("error"):
            return {"status": "ok", "cases": [], "setup_error": put["error"], "duration_s": 0.0}
    resp = (run or run_io)(ctx, req, program, 0)
    if spec.get("fetch"):
        got = _as_candidate_uid(ctx, {"op": "get", "paths": spec["fetch"], "max": int(spec.get("fetch_max", 0))})
        resp["files"] = got.get("files") or {}
        resp["missing_files"] = got.get("missing") or [p for p in spec["fetch"] if p not in resp["files"]]
        resp["files_truncated"] = bool(got.get("truncated"))
    return resp


def _as_candidate_uid(ctx: Ctx, job: dict) -> dict:
    """Do a scratch-file job in a child under the candidate's uid: the files it puts are the
    program's own, and reading back reaches nothing the program itself could not."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        rc = 0
        try:
            os.close(r)
            os.dup2(ctx.devnull, 0)  # never hold the host channel under the candidate's uid
            os.dup2(ctx.devnull, 1)
            if ctx.privileged:
                import privileges

                privileges.become_unprivileged(ctx.cand_uid, ctx.supervisor_uid)
            import scratch_files

            if job["op"] == "put":
                out = scratch_files.put(ctx.work, job["files"])
            else:
                out = scratch_files.get(ctx.work, job["paths"], job["max"])
        except BaseException as e:  # noqa: BLE001 - reported, never fatal
            out, rc = {"error": f"{type(e).__name__}: {e}"}, 1
        try:
            wire.write_all(w, json.dumps(out).encode())
        except OSError:
            rc = 1
        os._exit(rc)
    os.close(w)
    data = bytearray()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([r], [], [], max(0.0, deadline - time.monotonic()))
        b = os.read(r, 1 << 20) if ready else b""
        if not b:
            break
        data += b
    os.close(r)
    try:
        os.kill(pid, signal.SIGKILL)  # only if it hung (it exits as soon as it has written)
    except OSError:
        pass
    _reap(pid)
    try:
        return json.loads(bytes(data)) if data else {"error": "the file helper died"}
    except ValueError:
        return {"error": "the file helper's answer was cut short"}


def serve(ctx: Ctx) -> None:
    out = 1
    hello = {"ready": True, "pid": os.getpid(), "uid": os.getuid(), "privileged": ctx.privileged,
             "python": sys.version.split()[0]}
    _prefork(ctx)
    wire.write_all(out, (json.dumps(hello) + "\n").encode())
    while True:
        got = _read_request(ctx)
        if got is None:
            return
        req, program, tests_len = got
        try:
            if req.get("lang"):  # another language: compile (cached) and run, see langrun.py
                import langrun

                sup = sys.modules[__name__]
                if req["kind"] == "run":  # files in, compile + one run, files out: as for Python
                    resp = run_plain(ctx, req, program, tests_len, run=functools.partial(langrun.run, sup))
                else:
                    resp = langrun.run(sup, ctx, req, program, tests_len)
            elif req["kind"] == "function":
                resp = run_function(ctx, req, program, tests_len)
            elif req["kind"] == "run":
                resp = run_plain(ctx, req, program, tests_len)
            else:
                resp = run_io(ctx, req, program, tests_len)
        except Exception as e:  # noqa: BLE001 - report, never die silently
            resp = {"status": "sandbox_error", "error_type": type(e).__name__, "error_message": f"supervisor: {e}"}
        for pid in _FEEDERS:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            _reap(pid)
        _FEEDERS.clear()
        # Stragglers found after the previous answer count against this container now.
        resp["anomaly"] = ctx.pending_anomaly or resp.get("status") in ("timeout", "memory_exceeded", "crashed")
        ctx.served += 1
        resp["id"] = req.get("id")
        resp["served"] = ctx.served
        wire.write_all(out, (json.dumps(resp) + "\n").encode())
        # While the host digests this answer: reap, sweep, and fork the next candidate. The
        # next request is read only after this, so no program ever starts in a dirty container.
        for pid in ctx.deferred_reap:
            _reap(pid)
        ctx.deferred_reap.clear()
        ctx.pending_anomaly = _cleanup(ctx)
        if ctx.tester is not None and ctx.tester.runs >= TESTER_MAX_RUNS:
            _stop_tester(ctx)
        _prefork(ctx)


def _args(argv: list[str]) -> types.SimpleNamespace:
    """`--name value` pairs. The backends are the only callers (argparse would sit in every fork)."""
    opts: dict = {"supervisor_uid": None, "tester_uid": None, "candidate_uid": None, "compiler_uid": None,
                  "scratch": "/scratch", "connect": None}
    it = iter(argv)
    for arg in it:
        key = arg[2:].replace("-", "_")
        value = next(it, None)
        if not arg.startswith("--") or key not in opts or value is None:
            raise SystemExit(f"supervisor: bad argument {arg!r} (expected --{key.replace('_', '-')} VALUE)")
        opts[key] = int(value) if key.endswith("_uid") else value
    return types.SimpleNamespace(**opts)


def _load_rest() -> None:
    """What only the supervisor and its direct forks (tester, io and fresh candidates) use."""
    import tester  # noqa: F401 - the tester server runs in a fork of this process

    zygote.preload()


def main(argv: list[str] | None = None) -> None:
    args = _args(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    ctx = Ctx(args)
    if ctx.privileged:
        import privileges

        privileges.become_supervisor(args.supervisor_uid)
    else:
        try:
            import privileges

            privileges.prctl(privileges.PR_SET_CHILD_SUBREAPER, 1)
        except OSError:
            pass
    os.makedirs(ctx.scratch, exist_ok=True)
    # Children inherit this environment as is: setting it per fork costs page faults.
    _child_env(ctx)
    if not os.path.isdir(ctx.work) or _scratch_dirty(ctx):
        _janitor(ctx, ctx.cand_uid)
    # The zygote is forked while this process is still small, and before the host's
    # socket exists here, so it never holds that.
    ctx.zygote = zygote.Zygote(ctx)
    if args.connect:
        # A direct socket to the host: no relay through the engine on the hot path. The host
        # accepts exactly one connection (ours, before any candidate runs), then unlinks it.
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(args.connect)
        os.dup2(sock.fileno(), 0)
        os.dup2(sock.fileno(), 1)
        sock.close()
    ctx.protected = set(_scan_stragglers(ctx))
    _load_rest()
    # Everything loaded so far is shared with the tester and any direct fork; keep the
    # collector off it so they do not copy pages just to scan them.
    gc.freeze()
    serve(ctx)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
    except OSError as e:
        if e.errno != errno.EPIPE:
            raise
