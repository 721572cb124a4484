"""Compiled and interpreted languages other than Python: compile once (cached), run per case.

The host sends, per request, the source files (a JSON object as the program bytes) and a
"lang" header: the compile command, the run command, limits. Here:

  1. the cache key is computed from the files and the compile command (not taken from the
     host), and `/cache/k<key>` is looked up: n samples of the same code compile once;
  2. on a miss a compile child runs under the *compiler* uid (neither the candidate's nor
     the tester's) with its own time/memory limits: it writes the files into a fresh
     directory of the cache, runs the compiler there, keeps its trimmed message, and renames
     the directory into place (failures are cached too);
  3. each stdin case forks a child that takes the candidate's uid, the same rlimits as a
     Python candidate, and execs the run command (`{dir}` = the cache entry, which the
     candidate can read and execute but not write: the tmpfs belongs to the compiler uid).
     Data-form tests get a results pipe on fd 3; the host compares what arrives there.

Time is judged as for Python programs (cputime.py): the cases of a request share one budget
of the program's own CPU time (every thread of the JVM, V8 or the Go runtime counts), the
wall clock being a safety net for idle programs; the compile step gets the same rule with
its own limit, so a busy machine turns neither into a time-out.

Straggler sweep, scratch reset and anomaly handling are the supervisor's (hygiene.py,
waiting.py), as for Python programs. Nothing here judges an answer.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import signal
import time

import cputime
import explain
import host_channel
import hygiene
import waiting

CACHE = "/cache"
RSS_POLL_S = 0.01  # how often a running program's resident memory is read
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
MSG_CHARS = 64 * 1024  # compiler output kept (the host trims it further for feedback)
MAX_ENTRIES = 400  # cache entries kept per container before the oldest half is dropped


def cache_key(files: dict[str, str], compile_argv: list[str] | None) -> str:
    h = hashlib.sha256(json.dumps([compile_argv, sorted(files.items())]).encode("utf-8"))
    return h.hexdigest()[:32]


def _fill(argv: list[str], subst: dict[str, str], sources: list[str]) -> list[str]:
    out: list[str] = []
    for a in argv:
        if a == "{sources}":
            out += sources
            continue
        for k, v in subst.items():
            a = a.replace("{" + k + "}", v)
        out.append(a)
    return out


def _rlimits(mem_mb: int, cpu_s: float, fsize_mb: int, nofile: int, nproc: int, address_space: bool) -> None:
    pairs = [(resource.RLIMIT_CPU, int(cpu_s) + 2), (resource.RLIMIT_FSIZE, fsize_mb << 20),
             (resource.RLIMIT_NOFILE, nofile), (resource.RLIMIT_CORE, 0)]
    if address_space:
        pairs.append((resource.RLIMIT_AS, mem_mb << 20))
    if nproc:
        pairs.append((resource.RLIMIT_NPROC, nproc))
    for res, val in pairs:
        try:
            resource.setrlimit(res, (val, val))
        except (ValueError, OSError):
            pass


def _exec(argv: list[str], env: dict[str, str]) -> None:
    path = argv[0]
    if "/" not in path:
        path = shutil.which(path, path=env.get("PATH", "/usr/bin:/bin")) or path
    os.execve(path, argv, env)


# --------------------------------------------------------------------------- compile


def _evict() -> None:
    """Keep the cache tmpfs from filling: drop the oldest half when it is large or fullish.

    Oldest by creation: only the compiler uid may touch the entries, so a hit cannot refresh them.
    """
    try:
        # A build directory still here is a compile that was killed (one compile at a time).
        for n in os.listdir(CACHE):
            if n.startswith("t"):
                shutil.rmtree(os.path.join(CACHE, n), ignore_errors=True)
        names = [n for n in os.listdir(CACHE) if n.startswith("k")]
        st = os.statvfs(CACHE)
        full = st.f_blocks and st.f_bavail < st.f_blocks * 0.3
    except OSError:
        return
    if len(names) < MAX_ENTRIES and not full:
        return
    names.sort(key=lambda n: os.stat(os.path.join(CACHE, n)).st_mtime)
    for n in names[: max(1, len(names) // 2)]:
        shutil.rmtree(os.path.join(CACHE, n), ignore_errors=True)


def _compile_child(lang: dict, files: dict[str, str], key: str, out_fd: int) -> int:
    """In the compiler-uid child: build into a temp dir, rename it to the cache entry."""
    _evict()
    tmp = os.path.join(CACHE, f"t{key}-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    os.mkdir(tmp, 0o755)
    for name, text in files.items():
        with open(os.path.join(tmp, name), "w", encoding="utf-8") as fh:
            fh.write(text)
    for src, dest in lang.get("seed", []):
        dest = dest.replace("{cache}", CACHE)
        if os.path.isdir(src) and not os.path.exists(dest):
            part = f"{dest}.{os.getpid()}"
            shutil.copytree(src, part, symlinks=True)
            os.rename(part, dest)
    os.makedirs(os.path.join(tmp, ".tmp"), exist_ok=True)
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": tmp, "TMPDIR": os.path.join(tmp, ".tmp"),
           "LANG": "C.UTF-8"}
    env.update({k: v.replace("{cache}", CACHE) for k, v in (lang.get("compile_env") or {}).items()})
    if lang.get("syntax_check") == "python":
        ok, msg = _python_syntax(tmp, sorted(files))
        return _store(tmp, key, ok, msg, 0 if ok else 1)  # python3 exits 1 on a SyntaxError
    argv = _fill(lang["compile"], {"dir": tmp, "cache": CACHE}, sorted(files))
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.chdir(tmp)
            os.dup2(w, 1)
            os.dup2(w, 2)
            for fd in (r, w, out_fd):
                os.close(fd)
            _exec(argv, env)
        except BaseException:  # noqa: BLE001
            os.write(2, f"cannot run {argv[0]}\n".encode())
        os._exit(127)
    os.close(w)
    msg = bytearray()
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        if len(msg) < MSG_CHARS:
            msg += b[: MSG_CHARS - len(msg)]
    _, status = os.waitpid(pid, 0)
    ok = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    if not ok and os.WIFSIGNALED(status):
        # Killed (CPU limit, out of memory): a limit, not a verdict on the code; never cached.
        os.write(out_fd, json.dumps({"signal": os.WTERMSIG(status), "message": msg.decode("utf-8", "replace")})
                 .encode())
        shutil.rmtree(tmp, ignore_errors=True)
        return 3
    return _store(tmp, key, ok, bytes(msg), os.WEXITSTATUS(status))


def _python_syntax(tmp: str, names: list[str]) -> tuple[bool, bytes]:
    """Python's compile step is a syntax check: done in this child (already the compiler uid,
    under the compile limits) it costs no interpreter start. Same interpreter, same flags as
    `python3 -I -c compile(...)`: no inherited __future__ flags, warnings as python3 prints them."""
    import traceback
    import warnings

    out = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        try:
            for name in names:
                with open(os.path.join(tmp, name), encoding="utf-8") as fh:
                    compile(fh.read(), name, "exec", dont_inherit=True)
            ok = True
        except Exception as e:  # noqa: BLE001 - whatever makes python3 exit 1 there (RecursionError too)
            out += traceback.format_exception_only(type(e), e)
            ok = False
    warns = [warnings.formatwarning(w.message, w.category, w.filename, w.lineno, "") for w in caught]
    return ok, "".join(warns + out).encode("utf-8", "replace")[:MSG_CHARS]


def _store(tmp: str, key: str, ok: bool, msg: bytes, code: int) -> int:
    """Keep the message and the outcome, and rename the build into its cache entry."""
    shutil.rmtree(os.path.join(tmp, ".tmp"), ignore_errors=True)
    with open(os.path.join(tmp, "message"), "wb") as fh:
        fh.write(msg)
    with open(os.path.join(tmp, "ok" if ok else "failed"), "w") as fh:
        fh.write(str(code))  # the compiler's exit code: a plain run reports it
    entry = os.path.join(CACHE, f"k{key}")
    shutil.rmtree(entry, ignore_errors=True)
    os.rename(tmp, entry)
    return 0


def _compile(ctx, lang: dict, files: dict[str, str], key: str) -> dict:
    """Run the compile child; returns {"how": ..., ...} (the entry exists iff how == "built")."""
    lim = lang["compile_limits"]
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        rc = 2
        try:
            import child

            child.enter(ctx, ctx.compiler_uid, {0: ctx.devnull, 1: ctx.devnull, 2: ctx.devnull, 3: w}, None, 0)
            os.umask(0o022)
            _rlimits(int(lim["memory_mb"]), float(lim["timeout_s"]), int(lim["cache_mb"]), 1024,
                     int(lim["pids"]) if ctx.privileged else 0, bool(lang.get("compile_address_space")))
            rc = _compile_child(lang, files, key, 3)
        except BaseException as e:  # noqa: BLE001
            try:
                os.write(3, json.dumps({"error": f"{type(e).__name__}: {e}"}).encode())
            except OSError:
                pass
        os._exit(rc)
    os.close(w)
    t0 = time.monotonic()
    cap = waiting.Capture(r, keep_all=MSG_CHARS)
    budget = float(lim["timeout_s"])
    clock = cputime.CpuClock(pid, budget, t0, cputime.wall_limit(budget))
    how, _, status = waiting.wait_loop(t0 + cputime.hard_wall_limit(budget), [cap], 1 << 30, None, done_pid=pid,
                                       cpu=clock)
    waiting.kill_group(pid)
    if how != "exited":
        status = waiting.reap(pid)
    waiting.drain([cap], 1 << 30)
    os.close(r)
    took = round(time.monotonic() - t0, 6)
    info: dict = {}
    if cap.head:
        try:
            info = json.loads(bytes(cap.head).decode("utf-8", "replace"))
        except ValueError:
            info = {}
    if how in ("timeout", "cpu", "idle"):
        return {"how": "timeout", "duration_s": took, "timeout_kind": "cpu" if how == "cpu" else "wall"}
    code, sig = waiting.decode_status(status)
    if code == 0:
        return {"how": "built", "duration_s": took}
    if code == 3 or sig is not None:
        now = explain.oom_kills()
        oom = sig == signal.SIGKILL or info.get("signal") == signal.SIGKILL
        oom = oom and (now is None or ctx.oom_count is None or now > ctx.oom_count)
        ctx.oom_count = now
        return {"how": "memory" if oom or "out of memory" in info.get("message", "").lower() else "killed",
                "duration_s": took, "message": info.get("message", ""), "signal": info.get("signal") or sig}
    return {"how": "internal", "duration_s": took, "message": info.get("error", f"compile helper exit {code}")}


# --------------------------------------------------------------------------- run


def _fork_run(ctx, lang: dict, argv: list[str], fds: dict[int, int], limits: dict) -> int:
    pid = os.fork()
    if pid:
        return pid
    try:
        import child

        child.enter(ctx, ctx.cand_uid, fds, None, 0)
        # The memory limit itself is the resident-set watchdog in _wait (the same for every
        # runtime: the JVM, V8 and Go reserve far more address space than they use); native
        # code also gets an address-space cap, with headroom so the watchdog speaks first.
        _rlimits(2 * int(limits["memory_mb"]) + 256, float(limits["timeout_s"]), int(limits["scratch_mb"]),
                 int(limits["open_files"]), int(limits["pids"]) if ctx.privileged else 0,
                 bool(lang.get("address_space")))
        env = dict(os.environ)
        env.update(lang.get("run_env") or {})
        _exec(argv, env)
    except BaseException:  # noqa: BLE001
        pass
    os._exit(127)


def run(ctx, req: dict, program: str, tests_len: int) -> dict:
    lang = req["lang"]
    limits = req["limits"]
    if tests_len:
        host_channel.read_tests(ctx, tests_len)[:] = bytes(tests_len)
    if ctx.compiler_uid is None and ctx.privileged:
        return {"status": "sandbox_error", "error_type": "NoCompilerUid",
                "error_message": "this container was started without --compiler-uid"}
    if not os.path.isdir(CACHE) or not os.access(CACHE, os.X_OK):
        return {"status": "sandbox_error", "error_type": "NoCache",
                "error_message": f"{CACHE} is missing: not a toolchain container"}
    files = json.loads(program)
    key = cache_key(files, lang.get("compile"))
    entry = os.path.join(CACHE, f"k{key}")
    t0 = time.monotonic()
    compile_info: dict = {"cached": True, "duration_s": 0.0}
    if lang.get("compile") and not os.path.isdir(entry):
        got = _compile(ctx, lang, files, key)
        compile_info = {"cached": False, "duration_s": got["duration_s"]}
        if got["how"] != "built":
            return {"status": "compile_failed", "how": got["how"], "compile": compile_info,
                    "message": got.get("message", ""), "signal": got.get("signal"),
                    "timeout_kind": got.get("timeout_kind"),
                    "duration_s": round(time.monotonic() - t0, 6)}
    elif not lang.get("compile"):
        return {"status": "sandbox_error", "error_type": "NoCompile", "error_message": "no compile step"}
    try:
        failed = os.path.exists(os.path.join(entry, "failed"))
        with open(os.path.join(entry, "message"), "rb") as fh:
            message = fh.read(MSG_CHARS).decode("utf-8", "replace")
        with open(os.path.join(entry, "failed" if failed else "ok")) as fh:
            code = fh.read().strip()
    except OSError as e:
        return {"status": "sandbox_error", "error_type": "CacheEntry", "error_message": f"cache entry: {e}"}
    if failed:
        return {"status": "compile_failed", "how": "error", "compile": compile_info, "message": message,
                "exit_code": int(code) if code.isdigit() else 1, "duration_s": round(time.monotonic() - t0, 6)}
    argv = _fill(lang["run"], {"dir": entry, "mem": str(int(limits["memory_mb"]))}, sorted(files))
    resp = _run_cases(ctx, lang, argv, req, limits)
    resp["compile"] = compile_info
    resp["compile_message"] = message[-4000:]
    return resp


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE_KB
    except (OSError, ValueError, IndexError):
        return 0


def _wait(deadline: float, caps: list, cap: int, pid: int, limit_kb: int,
          clock: cputime.CpuClock) -> tuple[str, int | None, int]:
    """The supervisor's wait loop in short slices, reading the program's resident memory in
    between: over the limit, it is killed and the answer is "memory". `clock` stops it on its
    CPU time ("cpu") or idle time ("idle"); `deadline` is the hard wall-clock bound."""
    peak = 0
    while True:
        how, _, status = waiting.wait_loop(min(deadline, time.monotonic() + RSS_POLL_S), caps, cap, None,
                                           done_pid=pid, cpu=clock)
        if how != "timeout":
            return how, status, peak
        peak = max(peak, _rss_kb(pid))
        if peak > limit_kb:
            waiting.kill_group(pid)
            return "memory", waiting.reap(pid), peak
        if time.monotonic() >= deadline:
            return "timeout", None, peak


def _run_cases(ctx, lang: dict, argv: list[str], req: dict, limits: dict) -> dict:
    t0 = time.monotonic()
    limit = float(limits["timeout_s"])
    deadline = t0 + cputime.hard_wall_limit(limit)  # the bound on all cases together: the verdict is on CPU time
    spent = 0.0  # CPU seconds of the cases that ended: one budget for the whole request
    cap = int(limits["output_bytes"])
    results_fd = bool(lang.get("results_fd"))
    plain = req.get("kind") == "run"  # a plain run (/run_code) returns stderr whole, not just its tail
    cases = []
    status = "ok"
    extra: dict = {}

    def fork(fds: dict[int, int]) -> int:
        return _fork_run(ctx, lang, argv, {**fds, 3: fds[3] if results_fd else ctx.devnull}, limits)

    for i, stdin_text in enumerate(req["inputs"]):
        c_pid, caps, c0 = waiting.start_case(fork, stdin_text.encode("utf-8"), cap, whole_stderr=plain, side_keep=cap)
        clock = cputime.CpuClock(c_pid, limit - spent, c0, cputime.wall_limit(limit))
        how, c_status, rss_kb = _wait(deadline, caps, cap, c_pid, int(limits["memory_mb"]) << 10, clock)
        if how == "exited":
            spent += waiting.LAST_EXIT_CPU_S
        elif how == "timeout":
            clock.used_s = cputime.group_times(c_pid)[0]  # before the kill
        exit_code, sig, oom = waiting.end_case(ctx, c_pid, how, c_status, caps, cap)
        if how == "memory":
            oom, how = True, "exited"
        case = {**waiting.case_record(caps, exit_code, sig, c0, oom), "max_rss_kb": rss_kb}
        if results_fd:
            case["results"] = bytes(caps[2].head).decode("utf-8", "replace")
        if plain:
            case["stderr"], case["stderr_bytes"] = bytes(caps[1].head).decode("utf-8", "replace"), caps[1].total
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
