"""Adaptive concurrency for a model endpoint: AIMD, as TCP does it.

Start moderate; after a window of requests that came back without congestion and with
latency near the best seen, allow one more in flight (additive increase); on a sign of
congestion (a 429, a 5xx, a timeout: the client had to retry) halve (multiplicative
decrease). An endpoint that is fast and idle is driven to `ceiling`; one that throttles
settles just below where it starts refusing, with no tuning by the user.
"""

from __future__ import annotations

import threading


class Governor:
    def __init__(self, start: int, ceiling: int, fixed: bool = False):
        self.ceiling = max(1, ceiling)
        self.limit = max(1, min(start, self.ceiling))
        self.fixed = fixed
        self._lock = threading.Lock()
        self._ok_in_window = 0
        self._best_latency: float | None = None

    def record(self, latency_s: float, congested: bool) -> None:
        if self.fixed:
            return
        with self._lock:
            if congested:
                self.limit = max(1, self.limit // 2)
                self._ok_in_window = 0
                return
            if latency_s > 0:
                best = self._best_latency
                self._best_latency = latency_s if best is None else min(best, latency_s)
                # Latency well above the best seen means requests now queue at the endpoint:
                # more in flight would only add waiting, not throughput.
                if latency_s > 2.0 * self._best_latency + 0.05:
                    self._ok_in_window = 0
                    return
            self._ok_in_window += 1
            if self._ok_in_window >= self.limit and self.limit < self.ceiling:
                self.limit += 1
                self._ok_in_window = 0
