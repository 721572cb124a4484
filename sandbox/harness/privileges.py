"""Capabilities and uid switching for the supervisor (Linux only, via libc).

The supervisor starts as root with only CAP_SETUID, CAP_SETGID and CAP_KILL in its
bounding set, becomes an unprivileged uid that keeps exactly those three, and forks
candidates and testers under *other* uids with no capabilities at all. Different uids
are what stop a candidate from signalling, ptracing or reading the fds of the
supervisor and the tester.
"""

from __future__ import annotations

import ctypes
import os

PR_SET_DUMPABLE = 4
PR_SET_KEEPCAPS = 8
PR_SET_CHILD_SUBREAPER = 36
CAP_KILL, CAP_SETGID, CAP_SETUID = 5, 6, 7
_V3 = 0x20080522

_libc = ctypes.CDLL(None, use_errno=True)


class _Hdr(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _Data(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def prctl(option: int, arg: int) -> None:
    if _libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"prctl({option}) failed: {os.strerror(e)}")


def capget() -> tuple[int, int]:
    hdr, data = _Hdr(_V3, 0), (_Data * 2)()
    if _libc.capget(ctypes.byref(hdr), data) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return data[0].effective | (data[1].effective << 32), data[0].permitted | (data[1].permitted << 32)


def capset(mask: int) -> None:
    hdr, data = _Hdr(_V3, 0), (_Data * 2)()
    data[0].effective = data[0].permitted = mask & 0xFFFFFFFF
    data[1].effective = data[1].permitted = mask >> 32
    if _libc.capset(ctypes.byref(hdr), data) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"capset failed: {os.strerror(e)}")


SUPERVISOR_CAPS = (1 << CAP_KILL) | (1 << CAP_SETGID) | (1 << CAP_SETUID)


def become_supervisor(uid: int) -> None:
    """root (3 caps) -> real and effective `uid`, keeping the 3 caps; non-dumpable; subreaper.

    The saved uid stays 0 on purpose: when a forked child then sets all three of its uids
    to an unprivileged one, the kernel clears all its capabilities by itself (capabilities(7),
    "effect of user ID changes"), so the hot path needs no capset call (and no ctypes).
    A candidate cannot use this: it never runs as the supervisor, and cannot signal or trace
    it across uids.
    """
    prctl(PR_SET_KEEPCAPS, 1)
    os.setgroups([])
    os.setresgid(uid, uid, 0)
    os.setresuid(uid, uid, 0)
    capset(SUPERVISOR_CAPS)
    prctl(PR_SET_KEEPCAPS, 0)
    prctl(PR_SET_DUMPABLE, 0)
    prctl(PR_SET_CHILD_SUBREAPER, 1)


def become_unprivileged(uid: int, supervisor_uid: int) -> None:
    """In a forked child: switch every uid to `uid`; the kernel drops all capabilities.

    Checked without ctypes: with a capability left, switching back would succeed.
    A change of effective uid also makes the process non-dumpable (suid_dumpable 0).
    """
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    try:
        os.setresuid(supervisor_uid, supervisor_uid, supervisor_uid)
    except PermissionError:
        return
    raise OSError("privilege drop did not take effect")
