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
import gc
import json
import os
import signal
import socket
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import context  # noqa: E402
import function_run  # noqa: E402
import host_channel  # noqa: E402
import hygiene  # noqa: E402
import io_run  # noqa: E402
import spawn  # noqa: E402
import testers  # noqa: E402
import waiting  # noqa: E402
import wire  # noqa: E402
import zygote  # noqa: E402

# Kept small on purpose until the zygote is forked (see main); the modules candidates
# commonly import are loaded after that, in both processes.


def serve(ctx: context.Ctx) -> None:
    out = 1
    hello = {"ready": True, "pid": os.getpid(), "uid": os.getuid(), "privileged": ctx.privileged,
             "python": sys.version.split()[0]}
    spawn.prefork(ctx)
    wire.write_all(out, (json.dumps(hello) + "\n").encode())
    while True:
        got = host_channel.read_request(ctx)
        if got is None:
            return
        req, program, tests_len = got
        try:
            if req.get("lang"):  # another language: compile (cached) and run, see langrun.py
                import langrun

                if req["kind"] == "run":  # files in, compile + one run, files out: as for Python
                    resp = io_run.run_plain(ctx, req, program, tests_len, run=langrun.run)
                else:
                    resp = langrun.run(ctx, req, program, tests_len)
            elif req["kind"] == "function":
                resp = function_run.run_function(ctx, req, program, tests_len)
            elif req["kind"] == "run":
                resp = io_run.run_plain(ctx, req, program, tests_len)
            else:
                resp = io_run.run_io(ctx, req, program, tests_len)
        except Exception as e:  # noqa: BLE001 - report, never die silently
            resp = {"status": "sandbox_error", "error_type": type(e).__name__, "error_message": f"supervisor: {e}"}
        for pid in waiting.FEEDERS:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            waiting.reap(pid)
        waiting.FEEDERS.clear()
        # Stragglers found after the previous answer count against this container now.
        resp["anomaly"] = ctx.pending_anomaly or resp.get("status") in ("timeout", "memory_exceeded", "crashed")
        ctx.served += 1
        resp["id"] = req.get("id")
        resp["served"] = ctx.served
        wire.write_all(out, (json.dumps(resp) + "\n").encode())
        # While the host digests this answer: waiting.reap, sweep, and fork the next candidate. The
        # next request is read only after this, so no program ever starts in a dirty container.
        for pid in ctx.deferred_reap:
            waiting.reap(pid)
        ctx.deferred_reap.clear()
        ctx.pending_anomaly = hygiene.cleanup(ctx)
        if ctx.tester is not None and ctx.tester.runs >= testers.TESTER_MAX_RUNS:
            testers.stop_tester(ctx)
        spawn.prefork(ctx)


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
    ctx = context.Ctx(args)
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
    context.child_env(ctx)
    if not os.path.isdir(ctx.work) or hygiene.scratch_dirty(ctx):
        hygiene.janitor(ctx, ctx.cand_uid)
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
    ctx.protected = set(hygiene.scan_stragglers(ctx))
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
