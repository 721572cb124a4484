"""Make the objects alive at start-up immortal, so forks stop copying their pages.

Every Py_INCREF/Py_DECREF writes to the object. After a fork each such write copies a
whole 4 KiB page (in the child, and in the supervisor while a child shares its pages),
and on a VM a page fault costs microseconds. CPython 3.12+ never writes the reference
count of an immortal object (PEP 683), so marking the start-up heap immortal once keeps
those pages shared: the pre-fork-server use the PEP was written for.

Only objects without finalizers are marked (they are never freed afterwards); files,
sockets and generators keep normal reference counting.
"""

from __future__ import annotations

import ctypes
import gc
import sys
import types

_IMMORTAL = 0xFFFFFFFF  # low 32 bits all set: immortal on 64-bit CPython 3.12-3.14


def supported() -> bool:
    return (
        sys.implementation.name == "cpython"
        and (3, 12) <= sys.version_info[:2] <= (3, 14)
        and sys.maxsize > 2**32
        and getattr(sys, "_is_gil_enabled", lambda: True)()
    )


def _has_finalizer(tp: type, cache: dict) -> bool:
    got = cache.get(tp)
    if got is None:
        got = cache[tp] = hasattr(tp, "__del__")
    return got


def immortalize() -> int:
    """Mark everything reachable from the GC's lists immortal; return how many objects."""
    if not supported():
        return 0
    refcnt = ctypes.c_uint32
    code_t = types.CodeType
    frame_t = types.FrameType
    cache: dict = {}
    stack = gc.get_objects()
    n = 0
    while stack:
        o = stack.pop()
        cell = refcnt.from_address(id(o))
        # Already immortal (static objects, or visited): writing would only dirty its page.
        if cell.value & 0x80000000:
            continue
        tp = type(o)
        if tp is frame_t or _has_finalizer(tp, cache):
            continue
        cell.value = _IMMORTAL
        n += 1
        if tp is code_t:
            # Only stored attributes: co_code, co_varnames and friends build new objects.
            stack += (o.co_consts, o.co_names, o.co_filename, o.co_name, o.co_qualname,
                      o.co_linetable, o.co_exceptiontable)
        else:
            stack += gc.get_referents(o)
    return n
