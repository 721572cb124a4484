"""Framing for the harness's pipes. Pure stdlib: this file runs inside the container.

Two channels use it:
- host <-> supervisor: length-prefixed frames (4-byte big-endian length + payload);
- tester <-> candidate: the same frames carrying `marshal` payloads. marshal only
  serialises exact built-in types (a subclass of int with a custom __eq__ is
  rejected), which is what keeps a candidate from faking equality in the tester.
"""

from __future__ import annotations

import marshal
import os
import struct

# Bindings that shadow `builtins`: a program replacing builtins.len in its process changes nothing here.
from builtins import (  # noqa: UP029
    Exception,
    TypeError,
    bytearray,
    len,
    memoryview,
    min,
    tuple,
    type,
)

_LEN = struct.Struct(">I")
# Bound at import: a candidate that replaces os.read/os.write in its own process does not
# change how the harness talks (it can only break its own channel).
_read, _readv, _write = os.read, os.readv, os.write
MAX_FRAME = 256 << 20


class ChannelClosed(Exception):
    """The peer closed the pipe (or died)."""


def read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        b = _read(fd, min(n, 1 << 20))
        if not b:
            raise ChannelClosed("peer closed the channel")
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


def read_exact_into(fd: int, buf: bytearray) -> None:
    """Read len(buf) bytes straight into a caller-owned buffer (no intermediate copies)."""
    view = memoryview(buf)
    got = 0
    while got < len(buf):
        n = _readv(fd, [view[got:]])
        if n == 0:
            raise ChannelClosed("peer closed the channel")
        got += n


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = _write(fd, view)
        view = view[n:]


def send_frame(fd: int, payload: bytes) -> None:
    write_all(fd, _LEN.pack(len(payload)) + payload)


class FrameTooLarge(ChannelClosed):
    """The peer announced a frame above the limit (its own failure)."""

    def __init__(self, n: int, limit: int):
        super().__init__(f"a message of {n} bytes (the limit is {limit})")
        self.size = n


def recv_frame(fd: int, limit: int = MAX_FRAME) -> bytes:
    (n,) = _LEN.unpack(read_exact(fd, 4))
    if n > limit:
        raise FrameTooLarge(n, limit)
    return read_exact(fd, n)


_PLAIN = (type(None), bool, int, float, complex, str, bytes, tuple, list, set, frozenset, dict)


def check_plain(value, depth: int = 0) -> None:
    """Reject anything marshal can carry that is not a plain data value (e.g. code objects)."""
    t = type(value)
    if t not in _PLAIN:
        raise TypeError(f"value of type {t.__name__} cannot cross the sandbox boundary")
    if depth > 200:
        raise TypeError("value nested too deeply")
    if t in (tuple, list, set, frozenset):
        for v in value:
            check_plain(v, depth + 1)
    elif t is dict:
        for k, v in value.items():
            check_plain(k, depth + 1)
            check_plain(v, depth + 1)


dumps = marshal.dumps


def loads_plain(data: bytes):
    obj = marshal.loads(data)
    check_plain(obj)
    return obj
