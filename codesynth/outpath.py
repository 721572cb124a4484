"""Output paths checked before any work starts: one line naming the path, exit 5.

A run that computes for minutes and then cannot write its first record wastes the
minutes; a read-only or full file system should say so at once. Root ignores permission
bits, so the check is a real write (a probe file created and removed), not os.access.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from codesynth.errors import OutputError


def _why(e: OSError) -> str:
    return e.strerror or str(e)


def _probe(d: Path, shown: Path, option: str) -> None:
    """Create and remove a file in the nearest existing ancestor of `d` (nothing is left behind)."""
    base = d
    while not base.exists() and base != base.parent:
        base = base.parent
    if not base.is_dir():
        raise OutputError(f"{option} {shown}: {base} is not a directory")
    try:
        fd, probe = tempfile.mkstemp(prefix=".codesynth-probe-", dir=base)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise OutputError(f"{option} {shown}: not writable ({_why(e)})") from None


def writable_dir(path: str | os.PathLike, option: str = "--out") -> Path:
    """Prove a file can be written in directory `path` (or where it would be created)."""
    d = Path(path)
    if d.exists() and not d.is_dir():
        raise OutputError(f"{option} {d}: exists and is not a directory")
    _probe(d, d, option)
    return d


def writable_file(path: str | os.PathLike, option: str = "--out") -> Path:
    """Prove `path` can be written: its directory takes new files (we write temp + rename)."""
    p = Path(path)
    if p.is_dir():
        raise OutputError(f"{option} {p}: is a directory, expected a file path")
    _probe(p.parent, p, option)
    return p
