"""Starting candidate processes: forked per request or, normally, by the zygote ahead of time (a
spare, waiting for its program while the host reads the previous answer)."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys

import candidate
import child
import context
import exits
import waiting
import wire
import zygote


def fork_candidate(ctx: context.Ctx, req: dict, program: str, fds: dict[int, int]) -> int:
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
            os.execv(sys.executable, [sys.executable, "-I", os.path.join(context.HARNESS_DIR, "candidate.py"),
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
    zygote forks it (`via_zygote`): then only the zygote can waiting.reap it.
    """

    def __init__(self, pid: int, prog_w: int, out_r: int, err_r: int, chan_t: socket.socket, via_zygote: bool):
        self.pid, self.prog_w, self.out_r, self.err_r, self.chan_t = pid, prog_w, out_r, err_r, chan_t
        self.via_zygote = via_zygote

    def discard(self, ctx: context.Ctx) -> None:
        waiting.kill_group(self.pid)
        reap_candidate(ctx, self.pid, self.via_zygote)
        ctx.protected.discard(self.pid)
        for fd in (self.prog_w, self.out_r, self.err_r):
            os.close(fd)
        self.chan_t.close()


def reap_candidate(ctx: context.Ctx, pid: int, via_zygote: bool) -> int | None:
    if not via_zygote:
        return waiting.reap(pid)
    spare_ready(ctx)  # its answer would come first
    if ctx.zygote is not None:
        try:
            return ctx.zygote.wait(pid)
        except OSError:
            lose_zygote(ctx)
    return None


def lose_zygote(ctx: context.Ctx) -> None:
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
    # Its children are ours now (subreaper): hygiene.reap_all collects them.
    ctx.protected.discard(ctx.zombie)
    ctx.zombie = 0


def prefork(ctx: context.Ctx) -> None:
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
            pid = -1  # the zygote forks while we carry on; see spare_ready
        except OSError:
            lose_zygote(ctx)
    if not pid:
        pid = os.fork()
        if pid == 0:
            zygote.run_spare(ctx, fds)
        ctx.protected.add(pid)
    for fd in (prog_r, out_w, err_w):
        os.close(fd)
    chan_c.close()
    ctx.spare = Spare(pid, prog_w, out_r, err_r, chan_t, pid == -1)


def spare_ready(ctx: context.Ctx) -> None:
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
    lose_zygote(ctx)


def take_spare(ctx: context.Ctx, req: dict, program: str) -> Spare | None:
    spare_ready(ctx)
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
    except OSError:  # it was killed while waiting (a hygiene.janitor pass): fork as usual
        sp.prog_w = os.open(os.devnull, os.O_RDONLY)
        sp.discard(ctx)
        return None
