"""Admission control: at most `capacity` programs run; a bounded number wait; a request that
cannot start within its budget is refused (HTTP 504) instead of being charged the wait.

The backend's own time limits start when the program starts, so queueing never turns into
a false time-out. Counters and Prometheus metrics live here too: they describe the queue.
"""

from __future__ import annotations

import asyncio
import collections
import time
from concurrent.futures import ThreadPoolExecutor

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from codesynth.models import ExecutionResult
from codesynth.sandbox.backend import Backend, ExecRequest


class Overloaded(Exception):
    """No worker became free within the request's budget (or the queue is full)."""


class Admission:
    def __init__(self, backend: Backend, max_queue: int):
        self.backend = backend
        self.capacity = backend.capacity
        self.max_queue = max_queue
        self._sem: asyncio.Semaphore | None = None
        # One thread per worker: a program holding a slot always has a thread to run on.
        self._threads = ThreadPoolExecutor(max_workers=self.capacity, thread_name_prefix="codesynth-serve")
        self.waiting = 0
        self.running = 0
        self.started = time.monotonic()
        self._recent: collections.deque[float] = collections.deque(maxlen=100_000)
        self.registry = CollectorRegistry()
        r = self.registry
        self.m_requests = Counter("codesynth_requests", "HTTP requests by endpoint and status code",
                                  ["endpoint", "code"], registry=r)
        self.m_programs = Counter("codesynth_programs", "Programs executed, by codesynth status", ["status"], registry=r)
        self.m_rejected = Counter("codesynth_rejected", "Programs refused by admission control", ["reason"], registry=r)
        self.m_wait = Histogram("codesynth_queue_wait_seconds", "Time a program waited for a worker", registry=r,
                                buckets=(0.001, 0.005, 0.02, 0.1, 0.5, 1, 2, 5, 10, 30))
        self.m_run = Histogram("codesynth_program_seconds", "A program's own run time", registry=r,
                               buckets=(0.001, 0.005, 0.02, 0.1, 0.5, 1, 2, 5, 10, 30))
        Gauge("codesynth_queue_depth", "Programs waiting for a worker", registry=r).set_function(lambda: self.waiting)
        Gauge("codesynth_in_flight", "Programs running", registry=r).set_function(lambda: self.running)
        Gauge("codesynth_workers", "Workers (warm containers)", registry=r).set_function(lambda: self.capacity)

    def _semaphore(self) -> asyncio.Semaphore:
        if self._sem is None:  # created on the server's event loop
            self._sem = asyncio.Semaphore(self.capacity)
        return self._sem

    async def run(self, req: ExecRequest, budget: float | None, bounded: bool = True) -> tuple[ExecutionResult, float]:
        """Execute `req` once a worker is free; return (result, seconds waited).

        `budget` None waits as long as it takes (batch items, which keep at most `capacity`
        waiting each); `bounded` requests count against the queue size.
        """
        sem = self._semaphore()
        if bounded and self.waiting >= self.max_queue:
            self.m_rejected.labels("queue_full").inc()
            raise Overloaded(f"the queue is full ({self.max_queue} requests waiting for {self.capacity} workers)")
        t0 = time.monotonic()
        self.waiting += 1
        try:
            if budget is None:
                await sem.acquire()
            else:
                await asyncio.wait_for(sem.acquire(), budget)
        except asyncio.TimeoutError:
            self.m_rejected.labels("queue_timeout").inc()
            raise Overloaded(f"no worker became free within {budget:g}s ({self.capacity} workers busy)") from None
        finally:
            self.waiting -= 1
        waited = time.monotonic() - t0
        self.m_wait.observe(waited)
        self.running += 1

        def release(_=None) -> None:
            self.running -= 1
            sem.release()

        fut = asyncio.get_running_loop().run_in_executor(self._threads, self.backend.execute, req)
        try:
            res = await asyncio.shield(fut)
        except asyncio.CancelledError:
            # The caller went away, the program did not: its worker is free only when it ends.
            fut.add_done_callback(release)
            raise
        except BaseException:
            release()
            raise
        release()
        self.m_programs.labels(res.status.value).inc()
        self.m_run.observe(res.duration_s)
        self._recent.append(time.monotonic())
        return res, waited

    def stats(self) -> dict:
        now = time.monotonic()
        last = [t for t in self._recent if now - t <= 60.0]
        window = min(60.0, now - self.started) or 1.0

        def total(counter) -> dict[str, float]:
            return {s.labels.get("status") or s.labels.get("reason") or "": s.value
                    for m in counter.collect() for s in m.samples if s.name.endswith("_total")}

        return {
            "workers": self.capacity, "running": self.running, "queued": self.waiting, "queue_size": self.max_queue,
            "programs_per_second_60s": round(len(last) / window, 2), "programs": total(self.m_programs),
            "rejected": total(self.m_rejected), "uptime_s": round(now - self.started, 1),
            "backend": {k: v for k, v in getattr(self.backend, "stats", {}).items()},
        }

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)
