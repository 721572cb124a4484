"""The response cache on disk: whole entries after a kill, several processes on one directory,
nothing lost at a normal exit. Real processes, real SIGKILL, the real SQLite file."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

from codesynth.generators.cache import DB_NAME, CachedReply, ResponseCache

WRITER = textwrap.dedent('''
    import sys
    from codesynth.generators.cache import CachedReply, ResponseCache
    cache = ResponseCache(sys.argv[1])
    tag, start, count = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    for i in range(start, start + count):
        # big enough that a commit spans many pages, so a kill can land in the middle of one
        cache.put(f"{tag}-{i}", CachedReply(text=f"reply {tag} {i} " + "x" * 3000, completion_tokens=i))
    print("done", flush=True)
    # no flush(): a normal exit must commit what was put
''')


def writer(tmp_path, tag: str, start: int, count: int) -> subprocess.Popen:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    return subprocess.Popen([sys.executable, str(script), str(tmp_path / "cache"), tag, str(start), str(count)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def assert_whole(cache: ResponseCache, tag: str, upto: int) -> int:
    """Every entry present is exactly what was put; returns how many are present."""
    present = 0
    for i in range(upto):
        got = cache.get(f"{tag}-{i}")
        if got is not None:
            assert got.text == f"reply {tag} {i} " + "x" * 3000 and got.completion_tokens == i
            present += 1
    return present


def test_put_is_served_at_once_and_committed_for_other_readers(tmp_path):
    a = ResponseCache(tmp_path)
    assert a.get("k") is None and len(a) == 0 and not (tmp_path / DB_NAME).exists()  # a read creates nothing
    a.put("k", CachedReply(text="hello", model="m"))
    assert a.get("k").text == "hello"  # before the writer thread has committed it
    a.flush()
    b = ResponseCache(tmp_path)
    assert b.get("k").text == "hello" and len(b) == 1
    a.put("k", CachedReply(text="newer"))  # a key put again replaces the entry
    a.flush()
    assert b.get("k").text == "newer" and len(b) == 1


def test_a_normal_exit_commits_everything_put(tmp_path):
    p = writer(tmp_path, "w", 0, 300)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert assert_whole(ResponseCache(tmp_path / "cache"), "w", 300) == 300


def test_sigkill_mid_run_leaves_whole_entries_and_a_usable_cache(tmp_path):
    p = writer(tmp_path, "k", 0, 200_000)
    cache = ResponseCache(tmp_path / "cache")
    deadline = time.monotonic() + 60
    while len(cache) < 2000 and time.monotonic() < deadline:
        time.sleep(0.01)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    assert p.returncode == -signal.SIGKILL
    after = ResponseCache(tmp_path / "cache")
    n = len(after)
    assert 2000 <= n < 200_000
    # what is there is whole, and it is a prefix: a batch is committed entirely or not at all
    assert assert_whole(after, "k", n) == n and after.get(f"k-{n}") is None
    conn = sqlite3.connect(tmp_path / "cache" / DB_NAME)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    # and the next run writes on top of it
    p2 = writer(tmp_path, "k", n, 100)
    assert p2.wait(timeout=60) == 0
    assert assert_whole(ResponseCache(tmp_path / "cache"), "k", n + 100) == n + 100


def test_processes_sharing_a_directory_lose_nothing(tmp_path):
    # three writers at once (one of them rewriting keys another writes), a reader watching
    procs = [writer(tmp_path, "a", 0, 400), writer(tmp_path, "b", 0, 400), writer(tmp_path, "a", 200, 400)]
    reader = ResponseCache(tmp_path / "cache")
    seen = []
    while any(p.poll() is None for p in procs):
        seen.append(len(reader))
        time.sleep(0.02)
    for p in procs:
        out, err = p.communicate()
        assert p.returncode == 0, err
    assert assert_whole(reader, "a", 600) == 600 and assert_whole(reader, "b", 400) == 400
    assert len(reader) == 1000
    assert seen == sorted(seen)  # another process's commits show up as they land


def test_a_cache_from_before_the_database_is_still_read(tmp_path):
    key = "ab" + "0" * 62
    (tmp_path / "ab").mkdir()
    (tmp_path / "ab" / f"{key}.json").write_text(CachedReply(text="old reply").model_dump_json())
    cache = ResponseCache(tmp_path)
    assert cache.get(key).text == "old reply" and cache.get("ab" + "1" * 62) is None


def test_opening_waits_out_a_lock_sqlite_refuses_at_once(tmp_path):
    # SQLite answers a lock request that could deadlock (two connections switching the new file
    # to WAL at once) with "database is locked" immediately, whatever the busy timeout: opening
    # the cache then must wait for the lock, not fail (a zero busy timeout makes every lock so).
    import threading

    import pytest

    from codesynth.generators.cache import _prepare

    def locked(name: str) -> sqlite3.Connection:
        (tmp_path / name).mkdir()
        holder = sqlite3.connect(tmp_path / name / DB_NAME, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN EXCLUSIVE")  # a new file, not yet WAL: readers are locked out too
        return holder

    holder = locked("c")
    threading.Timer(0.3, lambda: holder.execute("COMMIT")).start()
    conn = sqlite3.connect(tmp_path / "c" / DB_NAME, timeout=0, isolation_level=None)
    t0 = time.monotonic()
    _prepare(conn)
    assert time.monotonic() - t0 >= 0.25
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    holder = locked("d")  # a lock that stays is still an error, after the wait
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _prepare(sqlite3.connect(tmp_path / "d" / DB_NAME, timeout=0, isolation_level=None), wait_s=0.2)
    holder.execute("COMMIT")
