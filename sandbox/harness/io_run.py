"""stdin/stdout requests (one candidate per case, the host compares outputs) and plain runs
(files in, one run, files out: the service's /run_code)."""

from __future__ import annotations

import json
import os
import select
import signal
import time

import context
import cputime
import explain
import host_channel
import hygiene
import spawn
import waiting
import wire


def run_io(ctx: context.Ctx, req: dict, program: str, tests_len: int) -> dict:
    limits = req["limits"]
    if tests_len:
        host_channel.read_tests(ctx, tests_len)[:] = bytes(tests_len)
    t0 = time.monotonic()
    limit = float(limits["timeout_s"])
    deadline = t0 + cputime.hard_wall_limit(limit)  # the bound on all cases together: the verdict is on CPU time
    spent = 0.0
    cap = int(limits["output_bytes"])
    cases = []
    status = "ok"
    extra: dict = {}
    for i, stdin_text in enumerate(req["inputs"]):
        # A plain run (the service's /run_code) returns stderr too, not just its tail.
        c_pid, caps, c0 = waiting.start_case(lambda fds: spawn.fork_candidate(ctx, req, program, fds),
                                             stdin_text.encode("utf-8"), cap, whole_stderr=req["kind"] == "run")
        # Completion is "the direct child exited"; a grandchild holding the pipe must not stall us.
        clock = cputime.CpuClock(c_pid, limit - spent, c0, cputime.wall_limit(limit))
        how, _, c_status = waiting.wait_loop(deadline, caps, cap, None, done_pid=c_pid, cpu=clock)
        if how == "exited":
            spent += waiting.LAST_EXIT_CPU_S
        elif how == "timeout":
            clock.used_s = cputime.group_times(c_pid)[0]  # before the kill
        exit_code, sig, oom = waiting.end_case(ctx, c_pid, how, c_status, caps, cap)
        err_info = None
        if caps[2].head or caps[2].tail:
            try:
                err_info = wire.loads_plain(bytes(caps[2].tail)[4:])
            except Exception:  # noqa: BLE001 - whatever the program wrote there is not ours to trust
                err_info = None
        case = waiting.case_record(caps, exit_code, sig, c0, oom)
        if req["kind"] == "run":
            case["stderr"], case["stderr_bytes"] = bytes(caps[1].head).decode("utf-8", "replace"), caps[1].total
        if isinstance(err_info, tuple) and len(err_info) == 2:
            case["error_type"], case["error_message"] = str(err_info[0]), str(err_info[1])
        cases.append(case)
        if how in ("timeout", "cpu", "idle"):
            status = "timeout"
            tv = explain.time_verdict(how, spent + clock.used_s, limits, None, None)
            extra = {"timeout_kind": tv["timeout_kind"], "cpu_s": tv["cpu_s"], "timeout_message": tv["error_message"]}
        elif how == "output":
            status = "output_exceeded"
        if status != "ok":
            break
        if i + 1 < len(req["inputs"]):
            hygiene.cleanup(ctx)
    if req.get("measure_cpu"):
        extra.setdefault("cpu_s", round(spent, 4))
    return {"status": status, "cases": cases, "duration_s": round(time.monotonic() - t0, 6), **extra}


def run_plain(ctx: context.Ctx, req: dict, program: str, tests_len: int, run=None) -> dict:
    """One run of a program on one stdin, with files put into its working directory first
    and the requested ones read back after (the service's SandboxFusion-style /run_code).

    The file jobs run as the candidate's uid, outside the program's time: its limits count
    from its own start, as for every other kind. `run`: what runs the program (run_io for
    Python; langrun's compile-then-run for other languages).
    """
    spec = json.loads(bytes(host_channel.read_tests(ctx, tests_len)).decode("utf-8")) if tests_len else {}
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


def _as_candidate_uid(ctx: context.Ctx, job: dict) -> dict:
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
    waiting.reap(pid)
    try:
        return json.loads(bytes(data)) if data else {"error": "the file helper died"}
    except ValueError:
        return {"error": "the file helper's answer was cut short"}
