"""The zygote: the process that forks function candidates, apart from the supervisor.

A fork shares every page of the parent with the child; while the child lives, each page
either side writes is copied, and on a VM a page fault costs microseconds. Forking
candidates from the supervisor made the supervisor pay that on every page its request
handling touched, once per program. The zygote does nothing but fork, so the
supervisor's pages stay its own, and the zygote's heap is immortalized and frozen once,
so the candidate copies few pages too.

Protocol (Unix socketpair with the supervisor, same uid; candidates never see it):
  b"f" + reap_pid(4) with fds [prog_r, out_w, err_w, chan_c]: reap reap_pid (if non-zero,
      a candidate the supervisor has killed), then fork a spare candidate on those fds and
      answer its pid (4 bytes);
  b"w" + pid(4): reap pid (killed or dead) and answer its wait status (4 bytes, signed) and
      the CPU time it used (4 bytes, milliseconds), so a death can be explained (which limit).
EOF on the socket: exit.
"""

from __future__ import annotations

import gc
import json
import os
import socket
import sys

import candidate
import child
import exits
import immortal
import wire

# Modules candidates commonly import; every fork inherits them for free.
PRELOAD = (
    "math", "itertools", "collections", "functools", "re", "heapq", "bisect", "string", "typing",
    "random", "statistics", "fractions", "decimal", "json", "copy", "operator", "datetime",
    "hashlib", "dataclasses", "enum", "array", "cmath", "textwrap", "unicodedata", "traceback",
)


def preload() -> None:
    for name in PRELOAD:
        try:
            __import__(name)
        except ImportError:  # pragma: no cover - a trimmed base image
            pass


def run_spare(ctx, fds: list[int], leave=exits.leave) -> None:
    """In the forked child: become the candidate, wait for the limits and the program, serve.
    `leave` is bound before the program runs, so rebinding os._exit cannot send this child
    back into the zygote's loop (exits.py)."""
    rc = 70
    try:
        prog_r, out_w, err_w, chan_c = fds
        child.enter(ctx, ctx.cand_uid, {0: ctx.devnull, 1: out_w, 2: err_w, 3: chan_c, 4: prog_r}, None, 0)
        hdr = json.loads(wire.recv_frame(4))
        program = wire.recv_frame(4).decode("utf-8", "replace")
        os.close(4)
        lim = hdr["limits"]
        child.limits(lim, int(lim["pids"]) if ctx.privileged else 0)
        candidate.serve_function(program, 3)
        rc = 0
    except BaseException:  # noqa: BLE001
        rc = 70
    finally:
        leave(rc)


def _wait(pid: int) -> tuple[int, int]:
    try:
        _, st, ru = os.wait4(pid, 0)
        return st, min(int((ru.ru_utime + ru.ru_stime) * 1000), 0xFFFFFFFF)
    except ChildProcessError:
        return -1, 0


def serve(ctx, sock: socket.socket) -> None:
    leave = exits.leave
    preload()
    try:
        candidate.warm()
    except Exception:  # noqa: BLE001 - only a speed-up
        pass
    immortal.immortalize()
    gc.freeze()
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(sock, 8, 4)
        except OSError:
            msg, fds = b"", []
        if len(msg) < 5:
            os._exit(0)
        pid = int.from_bytes(msg[1:5], "big")
        if msg[:1] == b"w":
            st, cpu_ms = _wait(pid)
            sock.sendall(st.to_bytes(4, "big", signed=True) + cpu_ms.to_bytes(4, "big"))
            continue
        if pid:
            _wait(pid)  # first: the next candidate must never see the last one, even dying
        new = 0
        if len(fds) == 4:
            new = os.fork()
            if new == 0:
                try:
                    sock.close()
                    run_spare(ctx, fds)
                finally:
                    leave(70)  # never back into this loop, whatever the program did
        for fd in fds:
            os.close(fd)
        sock.sendall(new.to_bytes(4, "big"))


def start(ctx) -> tuple[int, socket.socket]:
    """Fork the zygote from the (still small) supervisor; returns (pid, our end)."""
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        try:
            ours.close()
            # Stdin/stdout may be the host's pipes (local backend): never hold those.
            os.dup2(ctx.devnull, 0)
            os.dup2(ctx.devnull, 1)
            serve(ctx, theirs)
        except BaseException:  # noqa: BLE001
            pass
        os._exit(0)
    theirs.close()
    return pid, ours


class Zygote:
    """The supervisor's handle on the zygote."""

    def __init__(self, ctx):
        self.pid, self.sock = start(ctx)

    def request_spare(self, fds: list[int], reap: int = 0) -> None:
        """Ask for a spare on `fds` (after reaping `reap`); its pid comes from spare_pid()."""
        socket.send_fds(self.sock, [b"f" + reap.to_bytes(4, "big")], fds)

    def spare_pid(self) -> int:
        return int.from_bytes(self._answer(), "big")

    def wait(self, pid: int) -> int | None:
        """Reap `pid` (killed or dead); its wait status (its CPU time: `last_cpu_s`).
        No spare request may be pending."""
        self.sock.sendall(b"w" + pid.to_bytes(4, "big"))
        ans = self._answer(8)
        st = int.from_bytes(ans[:4], "big", signed=True)
        self.last_cpu_s = int.from_bytes(ans[4:], "big") / 1000 if st >= 0 else None
        return None if st < 0 else st

    last_cpu_s: float | None = None

    def _answer(self, n: int = 4) -> bytes:
        try:
            return wire.read_exact(self.sock.fileno(), n)
        except wire.ChannelClosed as e:
            raise OSError(f"zygote: {e}") from None

    def close(self) -> None:
        try:
            self.sock.close()
        finally:
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit("the zygote is started by supervisor.py")
