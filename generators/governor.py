"""Adaptive concurrency for a model endpoint: AIMD with slow start, as TCP does it.

Start moderate. Judge a window of replies at a time (at least `MIN_WINDOW`, so one slow
reply of an endpoint whose latency varies anyway says nothing): while the window's median
latency stays near the best window's, allow more in flight, doubling at first (slow start:
a short run must not spend itself ramping up; the doubling that overshoots is taken back),
by one after the first sign of trouble.
On congestion (a 429, a 5xx, a timeout: the client had to retry) halve (multiplicative
decrease). Latency well above the best means requests now queue at the endpoint: more in
flight would add waiting, not throughput, so the limit holds. An endpoint that is fast and
idle is driven to `ceiling`; one that throttles settles just below where it starts refusing;
one with a batch limit settles just above it, with no tuning by the user.
"""

from __future__ import annotations

import statistics
import threading
import time

#: Replies judged together (or `limit` of them, when more are in flight).
MIN_WINDOW = 8
#: A window whose median latency exceeds best * QUEUEING + SLACK_S is taken as queueing.
QUEUEING = 1.5
SLACK_S = 0.01


class Governor:
    def __init__(self, start: int, ceiling: int, fixed: bool = False):
        self.ceiling = max(1, ceiling)
        self.limit = max(1, min(start, self.ceiling))
        self.fixed = fixed
        self._lock = threading.Lock()
        self._window: list[float] = []
        self._best: float | None = None  # lowest window median seen
        self._slow_start = True
        self._since = 0.0  # when the limit last changed: a limit is judged by requests sent under it

    def record(self, latency_s: float, congested: bool) -> None:
        if self.fixed:
            return
        with self._lock:
            if congested:
                self._set(max(1, self.limit // 2))
                self._slow_start = False
                return
            if time.monotonic() - latency_s < self._since:
                return  # sent under the previous limit: says nothing about this one
            self._window.append(latency_s)
            if len(self._window) < max(MIN_WINDOW, self.limit):
                return
            typical = statistics.median(self._window)
            self._window = []
            self._best = typical if self._best is None else min(self._best, typical)
            if typical > QUEUEING * self._best + SLACK_S:
                if self._slow_start:  # the doubling overshot: back to the last limit that was fine
                    self._set(max(1, self.limit // 2))
                    self._slow_start = False
                return
            self._set(min(self.ceiling, 2 * self.limit if self._slow_start else self.limit + 1))

    def _set(self, limit: int) -> None:
        self.limit = limit
        self._window = []
        self._since = time.monotonic()
