"""One function request: the candidate serves calls, the tester drives the tests, the
supervisor enforces the limits and answers with the tester's report."""

from __future__ import annotations

import json
import os
import socket
import time

import context
import cputime
import explain
import host_channel
import spawn
import testers
import waiting


def run_function(ctx: context.Ctx, req: dict, program: str, tests_len: int) -> dict:
    limits = req["limits"]
    t0 = time.monotonic()
    limit = float(limits["timeout_s"])
    deadline = t0 + cputime.hard_wall_limit(limit)  # the bound on any run: the verdict is on CPU time
    oom_before = ctx.oom_count
    sp = None if req.get("fresh") else spawn.take_spare(ctx, req, program)
    if sp is not None:
        c_pid, out_r, err_r, chan_t = sp.pid, sp.out_r, sp.err_r, sp.chan_t
    else:
        chan_c, chan_t = socket.socketpair()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        c_pid = spawn.fork_candidate(ctx, req, program, {0: ctx.devnull, 1: out_w, 2: err_w, 3: chan_c.fileno()})
        os.close(out_w)
        os.close(err_w)
        chan_c.close()
    # Only now do the tests enter this process, and only into a buffer we wipe.
    view = host_channel.read_tests(ctx, tests_len)
    tsrv = testers.send_tests(ctx, req, view, chan_t, limits)
    view[:] = bytes(len(view))
    view.release()
    chan_t.close()

    caps = [waiting.Capture(out_r), waiting.Capture(err_r)]
    clock = cputime.CpuClock(c_pid, limit, t0, cputime.wall_limit(limit))
    if tsrv is None:
        how, report_bytes = "tester", b""
    else:
        how, report_bytes, _ = waiting.wait_loop(deadline, caps, int(limits["output_bytes"]), tsrv.ctrl, framed=True,
                                          cpu=clock)
        if how == "timeout" or (how == "done" and req.get("measure_cpu")):
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
    waiting.kill_group(c_pid)
    if how != "done":
        testers.stop_tester(ctx)  # stuck in (or between) tests: never reuse it
        ctx.oom_count = explain.oom_kills()
    if c_status is None and how == "done" and b'"ProcessDied"' in report_bytes:
        c_status = spawn.reap_candidate(ctx, c_pid, via_zygote)  # it died on its own; its status says how
    elif c_status is None and via_zygote:
        ctx.zombie = c_pid  # the zygote reaps it
        ctx.protected.add(c_pid)
    if via_zygote:
        # The next candidate: the zygote forks it while we answer and clean up.
        spawn.prefork(ctx)
    elif c_status is None:
        ctx.deferred_reap.append(c_pid)  # after the answer is sent: off the critical path
    # The candidate flushes its output before every reply, so what matters is already
    # buffered: one non-blocking pass, no waiting for the killed process to close its pipes.
    waiting.drain(caps, int(limits["output_bytes"]), budget=0.0 if how == "done" else 0.05)
    for fd in (out_r, err_r):
        os.close(fd)

    exit_code, sig = waiting.decode_status(c_status)
    resp = {"stdout_tail": caps[0].tail_text(), "stderr_tail": caps[1].tail_text(),
            "exit_code": exit_code, "signal": sig, "duration_s": round(duration, 6)}
    if req.get("measure_cpu"):
        resp["cpu_s"] = round(clock.used_s, 4)
    if how in ("timeout", "cpu", "idle"):
        resp.update(explain.time_verdict(how, clock.used_s, limits, oom_before, ctx.oom_count))
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
        testers.stop_tester(ctx)
        report = None
    if c_status is not None and os.WIFSIGNALED(c_status):
        ctx.oom_count = explain.oom_kills()
    if not isinstance(report, dict):
        # The tester runs under a uid the candidate cannot touch: losing it is our failure.
        testers.stop_tester(ctx)
        resp.update(status="sandbox_error", error_type="TesterDied",
                    error_message="the test process died without a report")
        return resp
    resp.update({k: report.get(k) for k in ("status", "tests_total", "tests_passed", "tests", "error_type",
                                            "error_message", "traceback")})
    if report.get("error_type") == "MemoryError":
        resp["status"] = "memory_exceeded"
    elif report.get("status") == "crashed" and report.get("error_type") == "ProcessDied":
        cpu_s = ctx.zygote.last_cpu_s if via_zygote and ctx.zygote is not None else None
        resp.update(explain.explain_death(c_status, limits, oom_before, cpu_s))
    return resp
