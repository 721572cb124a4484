"""The tester server (the tester uid): started once for trusted tests, handed each program's
tests and its channel to the candidate."""

from __future__ import annotations

import json
import os
import socket

import child
import context
import exits
import waiting

TESTER_MAX_RUNS = 500  # a fresh tester now and then: fragmentation, caches, anything slow to leak


class TesterServer:
    def __init__(self, pid: int, sock: socket.socket):
        self.pid, self.sock, self.ctrl = pid, sock, sock.fileno()
        self.runs = 0


def start_tester(ctx: context.Ctx, limits: dict) -> TesterServer:
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


def stop_tester(ctx: context.Ctx) -> None:
    t = ctx.tester
    if t is None:
        return
    ctx.tester = None
    waiting.kill_group(t.pid)
    waiting.reap(t.pid)
    ctx.protected.discard(t.pid)
    t.sock.close()


def send_tests(ctx: context.Ctx, req: dict, tests: memoryview, chan_t: socket.socket, limits: dict) -> TesterServer | None:
    """Hand the tests and the channel to the candidate over to the tester server."""
    header = json.dumps({"id": req.get("id"), "entry_point": req.get("entry_point"), "names": req.get("names"),
                         "pytest": bool(req.get("pytest")),
                         "trusted": bool(req.get("trusted_tests")), "tests_len": len(tests),
                         "private_lines": req.get("private_lines")}).encode()
    head = len(header).to_bytes(4, "big") + header
    for _ in range(2):
        if ctx.tester is None:
            ctx.tester = start_tester(ctx, limits)
        t = ctx.tester
        try:
            socket.send_fds(t.sock, [head], [chan_t.fileno()])
            t.sock.sendall(tests)
            t.runs += 1
            return t
        except OSError:
            stop_tester(ctx)  # it died (e.g. a hygiene.janitor pass): start a new one and resend
    return None
