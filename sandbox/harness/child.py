"""Set-up shared by every forked child (candidate, tester, zygote spare): session, uid,
exactly the given fds, rlimits, working directory. Nothing here allocates much: the
fewer pages a fresh fork touches, the fewer it copies."""

from __future__ import annotations

import os
import resource
import signal


def limits(lim: dict, nproc: int, cpu_limit: bool = True) -> None:
    mem = int(lim["memory_mb"]) << 20
    cpu = int(lim["timeout_s"]) + 2 if cpu_limit else resource.RLIM_INFINITY
    for res, val in (
        (resource.RLIMIT_AS, mem),
        (resource.RLIMIT_CPU, cpu),
        (resource.RLIMIT_FSIZE, int(lim["scratch_mb"]) << 20),
        (resource.RLIMIT_NOFILE, int(lim["open_files"])),
        (resource.RLIMIT_NPROC, nproc),
        (resource.RLIMIT_CORE, 0),
    ):
        if res == resource.RLIMIT_NPROC and not nproc:
            continue  # per-uid: only meaningful when the child has a uid of its own
        # CPU: the soft limit sends SIGXCPU (reported as the CPU time limit); the hard one, a
        # second later, SIGKILLs a program that ignores it (explained by its CPU time).
        hard = val + 1 if res == resource.RLIMIT_CPU and val != resource.RLIM_INFINITY else val
        try:
            resource.setrlimit(res, (val, hard))
        except (ValueError, OSError):
            pass


def enter(ctx, uid: int | None, fds: dict[int, int], lim: dict | None, nproc: int,
          cpu_limit: bool = True) -> None:
    """Own session, `uid` (all capabilities gone), exactly `fds`, limits, cwd = scratch."""
    os.setsid()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    if ctx.privileged and uid is not None:
        import privileges

        privileges.become_unprivileged(uid, ctx.supervisor_uid)
    # Move the wanted fds out of the way first, then into place: a target may be a source.
    staged = {}
    for target, src in fds.items():
        staged[target] = os.dup(src)
    for target, src in staged.items():
        os.dup2(src, target, inheritable=True)
    os.closerange(max(fds) + 1, 1 << 16)
    if lim is not None:
        limits(lim, nproc, cpu_limit)
    try:
        os.chdir(ctx.work)
    except OSError:
        os.chdir("/")
