"""On-disk cache of chat completions, so a re-run or a resumed run never pays twice.

One SQLite database per cache directory (WAL mode), written by a background thread in
batched transactions: a reply is handed to `put` and the request path goes on at once
(a file per reply cost more than a fast endpoint's reply itself). SQLite gives the rest:
a kill leaves each transaction whole or absent (never half an entry), several processes
share one directory under SQLite's own locking, and a reader sees what another process
committed a moment ago.

What a SIGKILL can lose is the batch not yet committed (replies of the last ~10-20 ms;
they are bought again on resume, like the requests that were in flight).
Ctrl-C, SIGTERM and a normal exit flush first (`flush`, also run at interpreter exit).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import sqlite3
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from pydantic import BaseModel

DB_NAME = "responses.sqlite3"
#: How long the writer waits for more replies to join a transaction.
LINGER_S = 0.01


class CachedReply(BaseModel):
    text: str
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model: str | None = None


def cache_key(
    endpoint: str, model: str, messages: list[dict[str, str]], params: dict[str, Any], index: int
) -> str:
    """Hash of everything that determines a completion (the sample index included)."""
    blob = json.dumps(
        {"endpoint": endpoint, "model": model, "messages": messages, "params": params, "index": index},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """Thread-safe; `put` returns at once, `get` sees every `put` of this process at once."""

    def __init__(self, directory: str | os.PathLike):
        self.dir = Path(directory)
        self._lock = threading.Lock()  # guards the batches and the reading connection
        self._changed = threading.Condition(self._lock)
        self._pending: dict[str, bytes] = {}  # put, not yet being committed
        self._writing: dict[str, bytes] = {}  # being committed now (still readable from here)
        self._reader: sqlite3.Connection | None = None
        self._writer: threading.Thread | None = None
        self._pid = os.getpid()
        self._error: BaseException | None = None
        self._hurry = False  # someone waits in flush(): commit without lingering
        # Caches written before the database existed: one JSON file per key, read on a miss.
        self._legacy = self.dir.is_dir() and any(self.dir.glob("??/*.json"))
        _open_caches.add(self)

    # ------------------------------------------------------------------ reading
    def get(self, key: str) -> CachedReply | None:
        with self._lock:
            self._after_fork()
            raw = self._pending.get(key) or self._writing.get(key)
            if raw is None and self._db_exists():
                row = self._read_db().execute("SELECT reply FROM replies WHERE key = ?", (key,)).fetchone()
                raw = row[0] if row else None
        if raw is None and self._legacy:
            raw = _read_legacy(self.dir / key[:2] / f"{key}.json")
        if raw is None:
            return None
        try:
            return CachedReply.model_validate_json(raw)
        except ValueError:
            return None  # a damaged legacy entry is just a miss; the fresh reply replaces it

    def __len__(self) -> int:
        """Entries committed by any process, plus this one's not yet committed."""
        with self._lock:
            self._after_fork()
            db = self._read_db().execute("SELECT count(*) FROM replies").fetchone()[0] if self._db_exists() else 0
            return db + len(self._pending.keys() - self._writing.keys()) + len(self._writing)

    # ------------------------------------------------------------------ writing
    def put(self, key: str, reply: CachedReply) -> None:
        raw = reply.model_dump_json().encode("utf-8")
        with self._lock:
            self._after_fork()
            if self._error is not None:
                raise OSError(f"response cache {self.dir} cannot be written: {self._error}")
            wake = not self._pending  # the writer waits only while nothing is pending
            self._pending[key] = raw
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_loop, daemon=True, name="codesynth-cache")
                self._writer.start()
            if wake:
                self._changed.notify_all()

    def flush(self) -> None:
        """Return once every reply put so far is committed (or the writer has failed)."""
        with self._lock:
            self._hurry = True
            self._changed.notify_all()  # cut the writer's linger short
            while (self._pending or self._writing) and self._error is None and self._writer_alive():
                self._changed.wait(0.5)
            self._hurry = False

    def _write_loop(self) -> None:
        # Whatever arrived while the last transaction ran goes into the next one: batches grow
        # with the rate, and a lone reply is committed at once.
        try:
            conn = _connect(self.dir)
            while True:
                with self._lock:
                    while not self._pending:
                        self._changed.wait()
                    if not self._hurry:
                        # Let a few more replies join this transaction: one commit for many,
                        # and one wake-up of this thread, instead of one per reply.
                        self._changed.wait(LINGER_S)
                    self._writing, self._pending = self._pending, {}
                    batch = list(self._writing.items())
                with conn:  # one transaction: the batch lands whole or not at all
                    conn.executemany("INSERT OR REPLACE INTO replies (key, reply) VALUES (?, ?)", batch)
                with self._lock:
                    self._writing = {}
                    self._changed.notify_all()
        except (sqlite3.Error, OSError) as e:
            with self._lock:
                self._error = e
                self._pending.update(self._writing)  # still served to this process's readers
                self._writing = {}
                self._changed.notify_all()

    # ------------------------------------------------------------------ the database
    def _db_exists(self) -> bool:
        return self._reader is not None or (self.dir / DB_NAME).exists()

    def _read_db(self) -> sqlite3.Connection:
        if self._reader is None:
            self._reader = _connect(self.dir)
        return self._reader

    def _writer_alive(self) -> bool:
        return self._writer is not None and self._writer.is_alive()

    def _after_fork(self) -> None:
        # A forked child inherits neither the writer thread nor a usable connection.
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._reader, self._writer, self._pending, self._writing = None, None, {}, {}


def _connect(directory: Path) -> sqlite3.Connection:
    directory.mkdir(parents=True, exist_ok=True)
    # timeout: another process's commit holds the write lock for milliseconds; wait, do not fail.
    conn = sqlite3.connect(directory / DB_NAME, timeout=60, check_same_thread=False, isolation_level=None)
    # WAL: readers never wait for a writer, and a commit is an append, not a rewrite.
    # synchronous=NORMAL: no fsync per commit; a kill of the process loses nothing committed,
    # a power loss at worst the last commits (replies bought again).
    _prepare(conn)
    conn.isolation_level = "DEFERRED"  # `with conn:` is then one transaction
    return conn


def _prepare(conn: sqlite3.Connection, wait_s: float = 60.0) -> None:
    """WAL mode (a property of the file, so set only when it is missing), synchronous=NORMAL and
    the table. Switching to WAL takes an exclusive lock, and SQLite answers a lock request that
    could deadlock (two connections upgrading at once: the writer thread creating the database,
    a reader opening it) with "database is locked" at once, without the busy timeout; seen in
    `bench/generate_throughput.py`. So a locked setup is retried, up to `wait_s`."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, reply BLOB NOT NULL)")
            return
        except sqlite3.OperationalError as e:
            if ("locked" not in str(e) and "busy" not in str(e)) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _read_legacy(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


_open_caches: weakref.WeakSet[ResponseCache] = weakref.WeakSet()


@atexit.register
def _flush_all() -> None:
    # A run that ends (normally, by Ctrl-C or by SIGTERM turned into an exception) keeps
    # every reply it received.
    for cache in list(_open_caches):
        try:
            cache.flush()
        except Exception:  # noqa: BLE001 - nothing useful to do at exit
            pass
