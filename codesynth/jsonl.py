"""JSONL reading with file:line errors, and whole-record appends that survive a kill."""

from __future__ import annotations

import errno
import gzip
import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from codesynth.errors import InputError, OutputError

M = TypeVar("M", bound=BaseModel)


def open_bytes(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return open(path, "rb")


def json_error_text(e: json.JSONDecodeError) -> str:
    """'invalid JSON (<what> at column N)'; json's own messages may end in 'at' already."""
    msg = e.msg[:-3] if e.msg.endswith(" at") else e.msg
    return f"invalid JSON ({msg} at column {e.colno})"


def decode_line(raw: bytes, where: str) -> str:
    """One line of a UTF-8 text file, or an InputError naming `where` (file:line) and the byte."""
    if raw.startswith(b"\x1f\x8b"):
        raise InputError(f"{where}: gzip-compressed data in a file not named .gz; rename it to end in .gz")
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise InputError(f"{where}: binary data (NUL byte at column {nul + 1}); expected UTF-8 JSON text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(
            f"{where}: not UTF-8 text (byte 0x{raw[e.start]:02x} at column {e.start + 1}); "
            "save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)"
        ) from None


def readable(path: str | os.PathLike) -> Path:
    """`path` as a Path, or an InputError if there is no file to read there."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found")
    if p.is_dir():
        raise InputError(f"{p}: is a directory, expected a JSONL file")
    return p


def iter_json_lines(path: str | os.PathLike) -> Iterator[tuple[int, dict]]:
    """Yield (line_number, object) for each non-blank line; raise InputError naming file:line."""
    p = readable(path)
    try:
        with open_bytes(p) as fh:
            # Bytes in, decoded line by line: an encoding error still names its line.
            for lineno, raw in enumerate(fh, 1):
                line = decode_line(raw, f"{p}:{lineno}")
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line.rstrip("\r\n"))  # a line end inside a string is no control character
                except json.JSONDecodeError as e:
                    raise InputError(f"{p}:{lineno}: {json_error_text(e)}") from None
                if not isinstance(obj, dict):
                    raise InputError(f"{p}:{lineno}: expected a JSON object, got {type(obj).__name__}")
                yield lineno, obj
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise InputError(f"{p}: cannot read ({e})") from None


def describe_validation_error(err: ValidationError) -> str:
    """Every problem of a pydantic error, as 'field 'x': what was expected; field 'y': ...'."""
    errs = err.errors()
    # Union fields (tests: code or cases) report one error per branch: say each field's problem once.
    by_top: dict[object, list] = {}
    for e in errs:
        by_top.setdefault(e["loc"][0] if e["loc"] else None, []).append(e)
    parts = []
    for top, group in by_top.items():
        first = group[0]
        if top == "tests" and first["type"] != "missing":
            value = first.get("input")
            if value == [] or (isinstance(value, str) and not value.strip()):
                parts.append("field 'tests': is empty (give test code, or at least one case)")
            else:
                parts.append("field 'tests': expected test code (a string), a list of {input, output} cases "
                             "or a list of {call, expect} cases")
            continue
        seen = set()
        for e in group:  # a union field's branches share a location: its first error says it
            if str(e["loc"]) not in seen:
                seen.add(str(e["loc"]))
                parts.append(_one_problem(e))
    return "; ".join(parts)


def _one_problem(e: dict) -> str:
    loc = ".".join(str(x) for x in e["loc"]) or "(record)"
    msg = e["msg"].removeprefix("Value error, ")
    if e["type"] == "missing":
        msg = "required field is missing"
    elif e["type"] == "extra_forbidden":
        msg = "unknown field"
    return f"field '{loc}': {msg}"


def read_models(path: str | os.PathLike, model: type[M]) -> list[M]:
    out: list[M] = []
    for lineno, obj in iter_json_lines(path):
        try:
            out.append(model.model_validate(obj))
        except ValidationError as e:
            raise InputError(f"{path}:{lineno}: {describe_validation_error(e)}") from None
    return out


def read_unique(path: str | os.PathLike, model: type[M], what: str,
                check: Callable[[Any], str | None] | None = None) -> list[M]:
    """The `model` records of a file whose records are named by a unique `id` (problems, dataset
    records): a record that does not validate, that `check` refuses (its reason), or whose id
    repeats is an InputError naming file:line."""
    out: list[M] = []
    first: dict[str, int] = {}
    for lineno, obj in iter_json_lines(path):
        try:
            m = model.model_validate(obj)
        except ValidationError as e:
            raise InputError(f"{path}:{lineno}: {describe_validation_error(e)}") from None
        why = check(m) if check else None
        if why:
            raise InputError(f"{path}:{lineno}: {what} '{m.id}': {why}")
        if m.id in first:
            raise InputError(f"{path}:{lineno}: duplicate {what} id '{m.id}' (first at line {first[m.id]})")
        first[m.id] = lineno
        out.append(m)
    return out


class JsonlWriter:
    """Append-only JSONL file where every record lands whole or not at all.

    Each record is one `os.write` of a complete line on an O_APPEND descriptor: once
    written it is in the kernel and survives any kill of this process; fsync (for power
    loss) happens in batches and on close. `repair_tail` drops a partial last line left
    by a crash mid-write (e.g. a full disk).
    """

    def __init__(self, path: str | os.PathLike, fsync_every: int = 256):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            repair_tail(self.path)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as e:
            raise OutputError(f"{self.path}: cannot write ({write_error_text(self.path, e)})") from None
        self._fsync_every = max(1, fsync_every)
        self._pending = 0

    def write(self, record: BaseModel | dict) -> None:
        data = record.model_dump_json() if isinstance(record, BaseModel) else json.dumps(record)
        line = (data + "\n").encode("utf-8")
        try:
            n = os.write(self._fd, line)
            if n != len(line):  # short write: disk full; undo so the file stays whole
                raise OSError(errno.ENOSPC, "No space left on device (short write)")
        except OSError as e:
            repair_tail(self.path)
            # Not bad input (exit 2): the output failed (exit 5); every whole record before it stays.
            raise OutputError(
                f"{self.path}: cannot append record ({e.strerror or e}); the records written before it are kept"
            ) from None
        self._pending += 1
        if self._pending >= self._fsync_every:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            try:
                os.fsync(self._fd)
            except OSError as e:
                raise OutputError(f"{self.path}: cannot write ({write_error_text(self.path, e)})") from None
            self._pending = 0

    def close(self) -> None:
        if self._fd >= 0:
            self.flush()
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def repair_tail(path: Path) -> None:
    """Truncate a trailing partial line (no final newline) left by a crash."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with open(path, "rb+") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 1))
        if fh.read(1) == b"\n":
            return
        # Walk back to the last newline.
        pos = size
        chunk = 4096
        while pos > 0:
            start = max(0, pos - chunk)
            fh.seek(start)
            buf = fh.read(pos - start)
            idx = buf.rfind(b"\n")
            if idx >= 0:
                fh.truncate(start + idx + 1)
                return
            pos = start
        fh.truncate(0)


def write_lines(p: Path, lines: Iterable[str]) -> None:
    """Write a whole file as a temp file + fsync + rename: readers see the old file or the new one."""
    tmp = p.with_name(p.name + ".tmp")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as fh:
            for line in lines:
                fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except OSError as e:
        _drop(tmp)
        raise OutputError(f"{p}: cannot write ({write_error_text(p, e)})") from None


def write_models(path: str | os.PathLike, records) -> None:
    """Write a whole JSONL file atomically (temp file + rename)."""
    write_lines(Path(path), ((r.model_dump_json() if isinstance(r, BaseModel) else json.dumps(r)) + "\n"
                                   for r in records))


def drop_records(path: str | os.PathLike, key: str, values: set[str]) -> int:
    """Rewrite a JSONL file atomically without the records whose `key` is in `values`;
    every other line is kept byte for byte. Returns how many records were dropped."""
    p = Path(path)
    if not p.exists() or not values:
        return 0
    repair_tail(p)
    kept: list[str] = []
    dropped = 0
    with open(p, encoding="utf-8") as fh:
        for line in fh:
            try:
                gone = json.loads(line).get(key) in values
            except (ValueError, AttributeError):
                gone = False  # not ours to judge: the readers name a bad line
            dropped += gone
            if not gone:
                kept.append(line)
    if dropped:
        write_lines(p, kept)
    return dropped


def write_json(path: str | os.PathLike, obj) -> None:
    """Write one JSON document atomically."""
    text = obj.model_dump_json(indent=2) if isinstance(obj, BaseModel) else json.dumps(obj, indent=2)
    write_lines(Path(path), [text + "\n"])



def write_error_text(path: Path, e: OSError) -> str:
    """Why writing `path` failed, in words: mkdir under a file says "File exists", which misleads."""
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                return f"{parent} is not a directory"
            break
    return e.strerror or str(e)


def _drop(tmp: Path) -> None:
    """Remove a half-written temp file (a full disk must not keep the space it took)."""
    try:
        tmp.unlink()
    except OSError:
        pass
