"""The one executor: many requests through a backend, in parallel, streamed.

Every caller (verify, the generation modes, mutants, agreement probes, adapters, the
service) runs its programs through `execute_many`. Jobs are pulled lazily from the
iterable, so a caller can feed requests while a model is still writing them (generation
never waits for a batch to fill) and millions never sit in memory.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

from codesynth.models import ExecutionResult
from codesynth.sandbox import checking
from codesynth.sandbox.backend import Backend, BackendClosed, ExecRequest

K = TypeVar("K")

_END = object()


def execute_many(
    backend: Backend,
    jobs: Iterable[tuple[K, ExecRequest]],
    *,
    ordered: bool = False,
    workers: int | None = None,
) -> Iterator[tuple[K, ExecutionResult]]:
    """Execute `(key, request)` jobs on `backend`; yield `(key, result)`.

    `ordered=False` yields in completion order (what a run directory wants: each record
    lands as soon as it exists); `ordered=True` in the order of `jobs`. An exception from
    a job, or from the `jobs` iterable itself (e.g. the model endpoint failing while it
    writes the candidates), is raised in the consumer. When the consumer stops early or
    is interrupted, no new program is started.
    """
    it = iter(jobs)
    pull = threading.Lock()
    done: queue.Queue = queue.Queue()
    stop = threading.Event()
    index = iter(range(1 << 62))

    def take() -> tuple[int, K, ExecRequest] | None:
        with pull:  # an iterator (often a generator) is advanced by one thread at a time
            if stop.is_set():
                return None
            try:
                key, req = next(it)
            except StopIteration:
                return None
            return next(index), key, req

    def worker() -> None:
        try:
            while not stop.is_set():
                job = take()
                if job is None:
                    return
                i, key, req = job
                try:
                    res = checking.execute(backend, req)  # case batches across the pool, then the checker
                except BackendClosed:
                    return
                done.put((i, key, res))
        except BaseException as e:  # noqa: BLE001 - handed to the consumer thread
            stop.set()
            done.put((-1, None, e))
        finally:
            done.put(_END)

    width = max(1, workers or backend.capacity)
    threads = [threading.Thread(target=worker, daemon=True, name=f"codesynth-exec-{i}") for i in range(width)]
    for t in threads:
        t.start()
    live = width
    pending: dict[int, tuple[K, ExecutionResult]] = {}
    expect = 0
    try:
        while live:
            try:
                item = done.get(timeout=0.2)
            except queue.Empty:
                continue
            if item is _END:
                live -= 1
                continue
            i, key, res = item
            if isinstance(res, BaseException):
                raise res
            if not ordered:
                yield key, res
                continue
            pending[i] = (key, res)
            while expect in pending:
                yield pending.pop(expect)
                expect += 1
        # Ordered: a job lost to BackendClosed leaves a gap; what follows it still counts.
        for i in sorted(pending):
            yield pending[i]
    finally:
        stop.set()
