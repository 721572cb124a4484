"""Leaving the container as it was found after every program: stragglers killed (a janitor
under the program's uid), scratch and /dev/shm reset."""

from __future__ import annotations

import os
import signal

import context
import spawn
import waiting


def scan_stragglers(ctx: context.Ctx) -> list[int]:
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


def scratch_dirty(ctx: context.Ctx) -> bool:
    try:
        if os.listdir(ctx.scratch) != [context.SCRATCH_WORK] or os.listdir(ctx.work):
            return True
        st = os.lstat(ctx.work)
        if ctx.privileged and (st.st_uid != ctx.cand_uid or (st.st_mode & 0o7777) != 0o755):
            return True
        return bool(ctx.privileged and os.path.isdir("/dev/shm") and os.listdir("/dev/shm"))
    except OSError:
        return True


def janitor(ctx: context.Ctx, uid: int | None) -> None:
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
    waiting.reap(pid)


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


def _reset_scratch(ctx: context.Ctx) -> None:
    for name in os.listdir(ctx.scratch):
        _rm_tree(os.path.join(ctx.scratch, name))
    os.mkdir(ctx.work, 0o755)
    os.chmod(ctx.work, 0o755)
    if ctx.privileged and os.path.isdir("/dev/shm"):  # only inside our own container
        for name in os.listdir("/dev/shm"):
            _rm_tree(os.path.join("/dev/shm", name))


def reap_all() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def cleanup(ctx: context.Ctx) -> bool:
    """Leave the container as we found it. Returns True if anything had to be fixed."""
    spawn.spare_ready(ctx)
    reap_all()
    anomaly = False
    stray = scan_stragglers(ctx)
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
                    waiting.kill_group(pid)
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                reap_all()
                stray = scan_stragglers(ctx)
                if not stray:
                    break
        for uid in uids & {ctx.cand_uid, ctx.tester_uid, ctx.compiler_uid}:
            janitor(ctx, uid)
        reap_all()
        swept = ctx.cand_uid in uids or not ctx.privileged
    else:
        swept = False
    if scratch_dirty(ctx):
        janitor(ctx, ctx.cand_uid)
        swept = True
    if swept and ctx.spare is not None:
        # The next candidate was forked before this sweep: killed by it, or sitting in the
        # scratch directory it just replaced. Fork another one.
        sp, ctx.spare = ctx.spare, None
        sp.discard(ctx)
    return anomaly
