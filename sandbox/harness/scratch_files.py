"""Files into and out of a plain run's working directory (run as the candidate's uid).

Pure stdlib, inside the container. Paths are relative to the working directory and never
leave it; reads follow no final symlink and take regular files only (a FIFO must not hang
us), up to a total size.
"""

from __future__ import annotations

import base64
import os
import stat


def _inside(work: str, path: str) -> str | None:
    full = os.path.normpath(os.path.join(work, path))
    return full if full.startswith(work.rstrip("/") + "/") else None


def put(work: str, files: dict[str, str]) -> dict:
    for path, b64 in files.items():
        full = _inside(work, path)
        if full is None:
            return {"error": f"file path {path!r} leaves the working directory"}
        os.makedirs(os.path.dirname(full), exist_ok=True)
        fd = os.open(full, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(base64.b64decode(b64 or ""))
    return {"ok": True}


def get(work: str, paths: list[str], max_bytes: int) -> dict:
    files: dict[str, str] = {}
    missing: list[str] = []
    left = max_bytes
    truncated = False
    for path in paths:
        full = _inside(work, path)
        real = os.path.realpath(full) if full else ""
        if not real.startswith(os.path.realpath(work) + "/"):  # a symlink out is not the program's file
            missing.append(path)
            continue
        try:
            fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
        except OSError:
            missing.append(path)
            continue
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                missing.append(path)
                continue
            data = fh.read(left + 1)
        if len(data) > left:
            truncated = True
            missing.append(path)
            continue
        left -= len(data)
        files[path] = base64.b64encode(data).decode("ascii")
    return {"files": files, "missing": missing, "truncated": truncated}
