"""Waiting for a child and reading its pipes: the output caps, the time limits
(cputime.py), reaping and killing its process group."""

from __future__ import annotations

import os
import select
import signal
import time

import cputime
import explain
import wire

TAIL = 4096


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


def wait_loop(deadline: float, caps: list[Capture], cap_bytes: int, done_fd: int | None,
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


def drain(caps: list[Capture], cap_bytes: int, budget: float = 0.05) -> None:
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


def reap(pid: int) -> int | None:
    try:
        _, status = os.waitpid(pid, 0)
        return status
    except ChildProcessError:
        return None


def kill_group(pid: int) -> None:
    if pid <= 0:  # never killpg(0): that is our own group
        return
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def decode_status(status: int | None) -> tuple[int | None, int | None]:
    if status is None:
        return None, None
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    return os.WEXITSTATUS(status), None


def feed(fd: int, data: bytes) -> None:
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
    FEEDERS.append(pid)


FEEDERS: list[int] = []


def end_case(ctx, pid: int, how: str, status: int | None, caps: list[Capture], cap: int) -> tuple[int | None, int | None, bool]:
    """After a one-case process (stdin/stdout case, plain run, another language's run): kill
    its group, reap it unless it exited, collect what it wrote, close its pipes. Returns its
    (exit code, signal, whether the OOM killer struck while it ran: it died by SIGKILL, or it
    was stopped on time while the cgroup's OOM counter went up)."""
    kill_group(pid)
    if how != "exited":
        reap(pid)
    drain(caps, cap)
    for c in caps:
        os.close(c.fd)
    exit_code, sig = decode_status(status)
    oom = False
    stopped = how in ("timeout", "cpu", "idle")
    if sig is not None or stopped:
        now = explain.oom_kills()
        rose = now is not None and ctx.oom_count is not None and now > ctx.oom_count
        oom = (sig == signal.SIGKILL and (now is None or ctx.oom_count is None or rose)) or (stopped and rose)
        ctx.oom_count = now
    return exit_code, sig, oom


def case_record(caps: list[Capture], exit_code: int | None, sig: int | None, started: float, oom: bool) -> dict:
    """What the host gets for one case: stdout (whole, up to the cap), the stderr tail, how it ended."""
    return {"stdout": bytes(caps[0].head).decode("utf-8", "replace"), "stdout_bytes": caps[0].total,
            "stderr_tail": caps[1].tail_text(), "exit_code": exit_code, "signal": sig,
            "duration_s": round(time.monotonic() - started, 6), "oom": oom}


def start_case(fork, stdin: bytes, cap: int, whole_stderr: bool, side_keep: int = 0) -> tuple[int, list[Capture], float]:
    """Start a one-case process: `fork(fds)` starts it on fds {0: stdin, 1: stdout, 2: stderr,
    3: a side pipe (an error report, data-form results)} and returns its pid; its stdin is fed
    without blocking on a program that never reads it. Returns (pid, captures of stdout,
    stderr and the side pipe, start time)."""
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    side_r, side_w = os.pipe()
    started = time.monotonic()
    pid = fork({0: in_r, 1: out_w, 2: err_w, 3: side_w})
    for fd in (in_r, out_w, err_w, side_w):
        os.close(fd)
    feed(in_w, stdin)
    caps = [Capture(out_r, keep_all=cap), Capture(err_r, keep_all=cap if whole_stderr else 0),
            Capture(side_r, keep_all=side_keep)]
    return pid, caps, started
