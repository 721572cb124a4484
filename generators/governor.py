"""Adaptive concurrency for a model endpoint: as many requests in flight as maximize
completions per second, with a bounded queue in front of the endpoint.

A served model (vLLM, SGLang, TGI, llama.cpp's server) answers fastest with a queue in front
of its batch: a slot that frees up takes the next request at once instead of waiting a round
trip for us to send one. Latency alone cannot tell that queue from overload (both make replies
slower), so this governor judges by throughput, in the manner of TCP Vegas and Netflix's
gradient limiters:

- `base`: the no-load latency, the lowest window median seen (a median of a window, never one
  reply: an endpoint whose latency varies anyway must not set it by one lucky reply).
- Per window of replies (at least `MIN_WINDOW`, or `limit` of them), the completion rate `rate`.
  By Little's law the endpoint is serving `busy = rate * base` at once; the rest of what is in
  flight, `queued = limit - busy`, waits in its queue.
- Slow start: double the limit every window until a queue appears (`queued` above `alpha`),
  so a short run does not spend itself ramping up. Jitter cannot stall it: the judge is a
  window's rate and median, not a single slow reply.
- Then keep the queue bounded: grow by a quarter while it is short (below `alpha`: more in
  flight still raises throughput, as a continuous-batching server's batch with room does), go
  back to `busy + beta` when it is over twice `beta` (only latency grows), hold in between.
  `busy` is held at its peak and let down slowly, so a window whose rate dips (jitter, or our
  own host busy verifying) cannot start a spiral of smaller limits and lower rates.
- Congestion (a 429, a 5xx, a timeout: the client had to retry) halves the limit at once, at
  most once per round trip (the replies to requests sent before a cut say nothing about the
  new limit), and `Retry-After` pauses new requests for that long. After a cut it grows by one
  a window: the endpoint has said where its edge is.
- Never above `ceiling` (`max_concurrency`), never below 1; a fixed limit (`--concurrency`)
  is kept as given and only honours `Retry-After`.

Every change is kept with its reason (the first and the latest `KEEP_DECISIONS // 2`) and
summarized by `summary()`: the `--json` report and the progress line show what was decided and why.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import deque

from pydantic import BaseModel, Field

#: Replies judged together (or `limit` of them, when more are in flight).
MIN_WINDOW = 8
#: Queue kept in front of the endpoint, as a share of what it serves at once (and at least
#: `MIN_QUEUE`): below ALPHA grow, above BETA shrink.
ALPHA = 0.5
BETA = 1.0
MIN_QUEUE = 2
#: A queue this much longer than BETA (as a share of `busy`) ends slow start with a cut back.
OVERSHOOT = 2.0
#: `busy` is held at its peak, decaying by this factor a window.
PEAK_DECAY = 0.95
#: Decisions kept for the summary (the first ones and the latest).
KEEP_DECISIONS = 40


class Decision(BaseModel):
    t_s: float = Field(description="Seconds since the governor started.")
    limit: int
    reason: str


class GovernorSummary(BaseModel):
    """What the governor decided, for `--json` and the run's report."""

    mode: str = Field(description="'adaptive' or 'fixed' (--concurrency).")
    limit: int = Field(description="Requests allowed in flight at the end.")
    max_limit: int
    ceiling: int
    phase: str = Field(description="'slow start', 'steady' or 'fixed' at the end.")
    base_latency_s: float | None = Field(default=None, description="No-load latency (lowest window median).")
    rate_per_s: float | None = Field(default=None, description="Completions/s in the last window.")
    endpoint_busy: float | None = Field(default=None, description="Requests the endpoint served at once (rate x base).")
    cuts: int = Field(default=0, description="Halvings on 429/5xx/timeouts.")
    paused_s: float = Field(default=0.0, description="Time new requests waited on Retry-After.")
    decisions: list[Decision] = Field(default_factory=list)


class Governor:
    """Thread-safe: `record` from the event loop, `limit`/`pause_left` from the feeder."""

    def __init__(self, start: int, ceiling: int, fixed: bool = False):
        self.ceiling = max(1, ceiling)
        self.limit = max(1, min(start, self.ceiling))
        self.fixed = fixed
        self.max_limit = self.limit
        self.cuts = 0
        self.paused_s = 0.0
        self._first: list[Decision] = []  # how it found the endpoint's capacity
        self._latest: deque[Decision] = deque(maxlen=KEEP_DECISIONS // 2)  # where it is now
        self._t0 = time.monotonic()
        self._lock = threading.Lock()
        self._latencies: list[float] = []
        self._window_t0: float | None = None  # the first reply judged in this window
        self._base: float | None = None
        self._rate: float | None = None
        self._busy: float | None = None
        self._slow_start = not fixed
        self._since = self._t0  # when the limit last changed: a limit is judged by requests sent under it
        self._cut_at = -1.0  # when the limit was last cut (one cut per round trip)
        self._paused_until = 0.0
        self._decide(self.limit, "fixed (--concurrency)" if fixed else "start")

    # ------------------------------------------------------------------ signals
    def congested(self, retry_after_s: float | None = None) -> None:
        """A request met a 429/5xx/timeout (called as it happens, before the client's retry)."""
        now = time.monotonic()
        with self._lock:
            if retry_after_s:
                until = now + min(retry_after_s, 60.0)
                if until > self._paused_until:
                    self.paused_s += until - max(now, self._paused_until)
                    self._paused_until = until
            if self.fixed:
                return
            # One cut per round trip: requests in flight when we cut were sent under the old limit.
            rtt = self._base or 0.0
            if now - self._cut_at < max(rtt, 0.05):
                return
            self._cut_at = now
            self.cuts += 1
            self._slow_start = False
            why = "429/5xx/timeout: halved" + (f", paused {retry_after_s:g}s (Retry-After)" if retry_after_s else "")
            self._set(max(1, self.limit // 2), why)
            if self._busy is not None:  # the endpoint said it serves fewer of ours than we thought
                self._busy = min(self._busy, float(self.limit))

    def record(self, latency_s: float, congested: bool = False) -> None:
        """A reply arrived after `latency_s` (`congested`: it took a retry, already reported)."""
        if congested:
            return
        now = time.monotonic()
        with self._lock:
            if now - latency_s < self._since:
                return  # sent under the previous limit: says nothing about this one
            if self._window_t0 is None:
                self._window_t0 = now
            self._latencies.append(latency_s)
            if len(self._latencies) < max(MIN_WINDOW, self.limit):
                return
            span = now - self._window_t0
            # Replies after the window's first one, over the time they took: the completion rate.
            rate = (len(self._latencies) - 1) / span if span > 0 else None
            typical = statistics.median(self._latencies)
            self._latencies, self._window_t0 = [], None
            self._base = typical if self._base is None else min(self._base, typical)
            if rate is None:
                return
            self._rate = rate
            # What the endpoint serves at once, held at its peak and let down slowly: a window
            # whose rate dips (jitter, or our own host busy verifying) must not shrink the limit,
            # which would lower the rate and shrink it again.
            busy = rate * self._base
            self._busy = busy if self._busy is None else max(busy, PEAK_DECAY * self._busy)
            cap = self._busy
            queued = self.limit - cap
            alpha, beta = max(MIN_QUEUE, ALPHA * cap), max(2 * MIN_QUEUE, BETA * cap)
            if self.fixed:
                return  # measured for the progress line and the summary, never acted on
            where = f"(rate {rate:.1f}/s, endpoint busy {cap:.1f}, queued {queued:.1f})"
            if self._slow_start:
                if queued <= alpha:
                    self._grow(2 * self.limit, f"slow start: no queue yet, doubled {where}")
                    return
                self._slow_start = False
                if queued > beta + OVERSHOOT * cap:  # the doubling overshot by far: take it back
                    self._set(max(1, round(cap + beta)), f"slow start overshot: cut to busy + queue {where}")
                else:
                    self._decide(self.limit, f"slow start ends: a queue formed {where}")
                return
            if queued < alpha:
                step = 1 if self.cuts else max(1, self.limit // 4)
                self._grow(self.limit + step, f"short queue: grew {where}")
            elif queued > 2 * beta:  # only latency grows with more in flight: bound the queue
                self._set(max(1, round(cap + beta)), f"long queue: shrank {where}")

    # ------------------------------------------------------------------ for the feeder
    def pause_left(self) -> float:
        """Seconds new requests must still wait (Retry-After), 0 if none."""
        return max(0.0, self._paused_until - time.monotonic())

    def summary(self) -> GovernorSummary:
        with self._lock:
            return GovernorSummary(
                mode="fixed" if self.fixed else "adaptive", limit=self.limit, max_limit=self.max_limit,
                ceiling=self.ceiling,
                phase="fixed" if self.fixed else ("slow start" if self._slow_start else "steady"),
                base_latency_s=None if self._base is None else round(self._base, 4),
                rate_per_s=None if self._rate is None else round(self._rate, 1),
                endpoint_busy=None if self._busy is None else round(self._busy, 1),
                cuts=self.cuts, paused_s=round(self.paused_s, 2), decisions=self._first + list(self._latest),
            )  # fmt: skip

    # ------------------------------------------------------------------ inside
    def _grow(self, limit: int, why: str) -> None:
        limit = min(self.ceiling, limit)
        if limit == self.limit:
            if self._slow_start:  # nothing left to find at the ceiling
                self._slow_start = False
                self._decide(limit, "slow start ends: at the ceiling (max_concurrency)")
            return
        self._set(limit, why)

    def _set(self, limit: int, why: str) -> None:
        self.limit = limit
        self.max_limit = max(self.max_limit, limit)
        self._latencies, self._window_t0 = [], None
        self._since = time.monotonic()
        self._decide(limit, why)

    def _decide(self, limit: int, why: str) -> None:
        d = Decision(t_s=round(time.monotonic() - self._t0, 3), limit=limit, reason=why)
        (self._first if len(self._first) < KEEP_DECISIONS // 2 else self._latest).append(d)

    def status(self, in_flight: int) -> str:
        """The progress line's part: in flight, completions/s, the limit and its phase."""
        rate = f"{self._rate:.0f}/s" if self._rate is not None else "-"
        phase = "fixed" if self.fixed else ("slow start" if self._slow_start else "steady")
        paused = f", paused {self.pause_left():.0f}s" if self.pause_left() > 0 else ""
        return f"in flight {in_flight}/{self.limit} ({phase}{paused}), {rate}"
