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
  quadruple it while there is no queue at all (`queued` within `IDLE_QUEUE` of `busy`: every
  request in flight was served at once), so a short run does not spend itself ramping up. A
  queue by Little's law does not end it while the rate still grows with the limit (at least by
  the square root of the limit's growth): a continuous-batching server's latency rises as its
  batch fills, and throughput grows with it (Vegas-style: grow while throughput grows). Jitter
  cannot stall it: the judge is a window's rate and median, not a single slow reply.
- Then keep the queue bounded: grow by a quarter while it is short (below `alpha`: more in
  flight still raises throughput, as a continuous-batching server's batch with room does), go
  back to `busy + beta` when it is over twice `beta` (only latency grows), hold in between.
  `busy` is held at its peak and let down slowly, so a window whose rate dips (jitter, or our
  own host busy verifying) cannot start a spiral of smaller limits and lower rates.
- A 429 (a rate limit) is answered on the rate, AIMD-style, as a rate-limited API wants: new
  requests are paced at `RATE_CUT` of the pace (the first time: of the rate the endpoint
  admitted lately), the limit on requests in flight shrinks by a quarter the first time only
  (a rate limit is not a capacity problem), and the pace climbs back towards `RATE_RECOVER` of
  the rate at the cut within about a second, then probes above it by `RATE_PROBE` a second,
  doubling each second no 429 comes, so it settles just under the endpoint's rate instead of
  collapsing.
  The refused request's retry waits `Retry-After` (the client's backoff); new requests are
  paused for `Retry-After` only when a retry that waited it, sent after a cut, is refused again
  within twice `Retry-After` of the cut (the cut did not suffice: the endpoint wants silence).
- A 5xx or a timeout (overload) halves the limit at once and `Retry-After` pauses new requests.
- Either acts on a refusal only if its request was sent after the last cut (older ones say
  nothing about the new limits; at most one cut per round trip for those without a send time).
  After a cut the limit grows by one a window: the endpoint has said where its edge is.
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
#: In slow start, a window whose queue is at most this share of `busy` (none, up to jitter)
#: quadruples the limit instead of doubling it.
IDLE_QUEUE = 0.1
#: A queue this much longer than BETA (as a share of `busy`) ends slow start with a cut back.
OVERSHOOT = 2.0
#: `busy` is held at its peak, decaying by this factor a window.
PEAK_DECAY = 0.95
#: Decisions kept for the summary (the first ones and the latest).
KEEP_DECISIONS = 40
#: On a 429: pace new requests at this share of the rate the endpoint admitted in the last
#: `RATE_HORIZON_S`; the limit in flight is multiplied by LIMIT_CUT_429 (5xx/timeouts: halved).
RATE_CUT = 0.9
RATE_HORIZON_S = 0.5
LIMIT_CUT_429 = 0.75
#: After a rate cut the pacing rate closes its gap to RATE_RECOVER x the admitted rate at the
#: cut within about a second, then probes upward by RATE_PROBE (a share) a second, doubling
#: every second no 429 comes (a first cut measured during a ramp is low, and the endpoint's
#: rate may grow), as slow start does.
RATE_RECOVER = 0.97
RATE_PROBE = 0.02
#: Requests the pacing lets go at once (a share of a second at the pacing rate): feeder jitter
#: must not lose rate, a burst must not trip the endpoint's bucket.
PACING_BURST_S = 0.02
#: A 429 to a request sent this soon after a cut says nothing about the new pace yet.
PACE_GRACE_S = 0.1
#: The probe's doublings stop here (16 x RATE_PROBE: a third more a second).
PROBE_DOUBLINGS = 4.0
#: The pace stays within this factor of the rate reached (once the cut is a horizon old).
PACE_HEADROOM = 1.25


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
    cuts: int = Field(default=0, description="Cuts of the limit on 429/5xx/timeouts.")
    rate_limit_per_s: float | None = Field(
        default=None, description="The pace of new requests set after a 429 (None: not paced).")
    rate_cuts: int = Field(default=0, description="Cuts of that pace on 429s.")
    paused_s: float = Field(default=0.0, description="Time new requests waited on Retry-After.")
    last_reason: str = Field(default="", description="Why the limit (or the pace) last moved.")
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
        self._grown_from = 0  # the limit before the last change
        self._last_window: tuple[int, float] | None = None  # (the limit it ran under, its rate)
        self._busy: float | None = None
        self._slow_start = not fixed
        self._since = self._t0  # when the limit last changed: a limit is judged by requests sent under it
        self._cut_at = -1.0  # when the limit was last cut (one cut per round trip)
        self._paused_until = 0.0
        # Pacing (after a 429): the rate, the rate admitted when it was cut, and a token bucket.
        self.rate_limit: float | None = None
        self.rate_cuts = 0
        self._ok: deque[float] = deque()  # when replies arrived, for the rate admitted lately
        self._rate_at_cut = 0.0
        self._rate_cut_at = -1.0
        self._recovered_at: float | None = None  # when the pace got back to just under the cut's rate
        self._grown_at = self._t0
        self._tokens = 1.0
        self._filled_at = self._t0
        self._decide(self.limit, "fixed (--concurrency)" if fixed else "start")

    # ------------------------------------------------------------------ signals
    def congested(self, retry_after_s: float | None = None, sent_at: float | None = None,
                  rate_limited: bool = False, retry: bool = False) -> None:
        """A request sent at `sent_at` (monotonic) met a 429 (`rate_limited`), a 5xx or a timeout;
        called as it happens, before the client's retry (which waits `retry_after_s` itself).
        `retry`: the request was a retry (it had already waited its backoff)."""
        now = time.monotonic()
        with self._lock:
            last_cut = max(self._cut_at, self._rate_cut_at)
            if sent_at is not None:
                # Sent under the current limits: they are still too high. A 429 comes back at once,
                # so one sent just after a cut met a bucket the cut had no time to refill yet.
                fresh = sent_at > last_cut + (PACE_GRACE_S if rate_limited else 0.0)
            else:  # one cut per round trip: requests in flight at a cut were sent under the old limit
                fresh = now - last_cut >= max(self._base or 0.0, 0.05)
            # A 429 pauses everyone only when a cut did not suffice; overload pauses at once.
            # A retry that waited Retry-After, sent after a cut and refused again soon after it: the
            # endpoint wants silence (a new request refused then is a burst, for the pace to answer).
            insisting = retry and fresh and last_cut >= 0 and now - last_cut <= 2 * max(retry_after_s or 0.0, 1.0)
            if retry_after_s and (self.fixed or not rate_limited or insisting):
                self._pause(now, retry_after_s)
            if self.fixed or not fresh:
                return
            self._slow_start = False
            if rate_limited:
                self._cut_rate(now, retry_after_s)
            else:
                self._cut_at = now
                self.cuts += 1
                why = "5xx/timeout: halved" + (f", paused {retry_after_s:g}s (Retry-After)" if retry_after_s else "")
                self._set(max(1, self.limit // 2), why)
            if self._busy is not None:  # the endpoint said it serves fewer of ours than we thought
                self._busy = min(self._busy, float(self.limit))

    def _pause(self, now: float, retry_after_s: float) -> None:
        until = now + min(retry_after_s, 60.0)
        if until > self._paused_until:
            self.paused_s += until - max(now, self._paused_until)
            self._paused_until = until

    def _admitted(self, now: float) -> float | None:
        """Replies a second over the last RATE_HORIZON_S, or in the latest window if that was
        more (a rate still ramping up is underestimated by any average), None before any."""
        while self._ok and self._ok[0] < now - RATE_HORIZON_S:
            self._ok.popleft()
        if not self._ok:
            return None
        return max(len(self._ok) / max(min(RATE_HORIZON_S, now - self._t0), 0.05), self._rate or 0.0)

    def _cut_rate(self, now: float, retry_after_s: float | None) -> None:
        admitted = self._admitted(now)
        self._rate_cut_at = self._cut_at = now
        self.cuts += 1
        # The first 429 ends a ramp that overshot; later ones are the pace's to answer (a
        # smaller limit in flight would only hold the pace back once it recovers).
        limit = max(1, int(self.limit * LIMIT_CUT_429)) if self.rate_limit is None else self.limit
        paused = f", paused {retry_after_s:g}s (Retry-After)" if self._paused_until > now else ""
        if admitted is None:  # nothing admitted yet: only the limit in flight can say less
            self._set(limit, f"429: limit cut{paused}")
            return
        # AIMD on the pace itself (a host busy elsewhere, or a Retry-After pause, may have kept the
        # rate below it lately: a 429 then came from a burst, not from the average; the pace never
        # grows far above what is reached, `_grow_rate`); the first time, on what was admitted.
        at = admitted if self.rate_limit is None else self.rate_limit
        rate = RATE_CUT * at
        self.rate_limit, self._rate_at_cut, self._grown_at, self._recovered_at = rate, at, now, None
        self._tokens = min(self._tokens, 1.0)
        self.rate_cuts += 1
        self._set(limit, f"429: paced at {rate:.1f}/s ({RATE_CUT:g} x {at:.1f}/s; {admitted:.1f}/s admitted){paused}")

    def record(self, latency_s: float, congested: bool = False) -> None:
        """A reply arrived after `latency_s` (`congested`: it took a retry, already reported)."""
        now = time.monotonic()
        with self._lock:
            self._ok.append(now)  # admitted, retried or not
            if self.rate_limit is not None:
                self._grow_rate(now)
            elif len(self._ok) > 64:
                self._admitted(now)  # drops what is older than the horizon
            if congested or now - latency_s < self._since:
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
            # the rate under the previous limit (slow start: did doubling the limit raise it?)
            last, self._last_window, self._rate = self._last_window, (self.limit, rate), rate
            before = last[1] if last and last[0] == self._grown_from else None
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
                if queued <= IDLE_QUEUE * cap:
                    # every request in flight was being served with room to spare: the endpoint is far
                    # from its edge, and a short run must not spend itself ramping up two by two
                    self._grow(4 * self.limit, f"slow start: no queue at all, quadrupled {where}")
                    return
                if queued <= alpha:
                    self._grow(2 * self.limit, f"slow start: no queue yet, doubled {where}")
                    return
                if before and self._grown_from and rate >= before * (self.limit / self._grown_from) ** 0.5:
                    # a queue by Little's law, yet the rate grew with the limit: the endpoint's batch
                    # is still filling (latency rises with it), not waiting in line; keep doubling
                    self._grow(2 * self.limit, f"slow start: the rate grew with the limit, doubled {where}")
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

    def _grow_rate(self, now: float) -> None:
        # Additive increase in time, not per reply: back quickly to just under where the endpoint
        # refused, then a slow probe above it (the endpoint's rate may have grown).
        assert self.rate_limit is not None
        dt, self._grown_at = now - self._grown_at, now
        target = RATE_RECOVER * self._rate_at_cut
        if self.rate_limit < 0.99 * target:
            self.rate_limit += (target - self.rate_limit) * min(1.0, dt)
        else:
            self._recovered_at = self._recovered_at or now
            self.rate_limit *= 1 + RATE_PROBE * 2 ** min(PROBE_DOUBLINGS, now - self._recovered_at) * dt
        # A pace nobody reaches (the limit in flight or the endpoint decide) must not grow on
        # unused: it would be a burst later, and the next cut, of the pace, would not bite.
        admitted = self._admitted(now)
        if admitted is not None and now - max(self._rate_cut_at, self._paused_until) > RATE_HORIZON_S:
            self.rate_limit = min(self.rate_limit, max(target, PACE_HEADROOM * admitted))

    # ------------------------------------------------------------------ for the feeder
    def pause_left(self) -> float:
        """Seconds new requests must still wait (Retry-After), 0 if none."""
        return max(0.0, self._paused_until - time.monotonic())

    def send_wait(self) -> float:
        """Seconds until the next new request may go: Retry-After, then the pace (0: now)."""
        now = time.monotonic()
        with self._lock:
            if self._paused_until > now:
                return self._paused_until - now
            if self.rate_limit is None:
                return 0.0
            burst = max(1.0, PACING_BURST_S * self.rate_limit)
            self._tokens = min(burst, self._tokens + (now - self._filled_at) * self.rate_limit)
            self._filled_at = now
            return 0.0 if self._tokens >= 1.0 else (1.0 - self._tokens) / self.rate_limit

    def sent(self) -> None:
        """The feeder sent a new request (it takes one token of the pace)."""
        if self.rate_limit is not None:
            with self._lock:
                self._tokens -= 1.0

    def summary(self) -> GovernorSummary:
        with self._lock:
            return GovernorSummary(
                mode="fixed" if self.fixed else "adaptive", limit=self.limit, max_limit=self.max_limit,
                ceiling=self.ceiling,
                phase="fixed" if self.fixed else ("slow start" if self._slow_start else "steady"),
                base_latency_s=None if self._base is None else round(self._base, 4),
                rate_per_s=None if self._rate is None else round(self._rate, 1),
                endpoint_busy=None if self._busy is None else round(self._busy, 1),
                cuts=self.cuts, rate_cuts=self.rate_cuts, paused_s=round(self.paused_s, 2),
                rate_limit_per_s=None if self.rate_limit is None else round(self.rate_limit, 1),
                last_reason=self._last.reason, decisions=self._first + list(self._latest),
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
        self._grown_from = self.limit
        self.limit = limit
        self.max_limit = max(self.max_limit, limit)
        self._latencies, self._window_t0 = [], None
        self._since = time.monotonic()
        self._decide(limit, why)

    def _decide(self, limit: int, why: str) -> None:
        d = self._last = Decision(t_s=round(time.monotonic() - self._t0, 3), limit=limit, reason=why)
        (self._first if len(self._first) < KEEP_DECISIONS // 2 else self._latest).append(d)

    def status(self, in_flight: int) -> str:
        """The progress line's part: in flight / the limit (phase), completions/s, the pace if
        any, and why the limit last moved (its reason up to the numbers)."""
        rate = f"{self._rate:.0f}/s" if self._rate is not None else "-"
        phase = "fixed" if self.fixed else ("slow start" if self._slow_start else "steady")
        paused = f", paused {self.pause_left():.0f}s" if self.pause_left() > 0 else ""
        pace = f", paced {self.rate_limit:.0f}/s" if self.rate_limit is not None else ""
        why = self._last.reason.split(" (", 1)[0]
        return f"in flight {in_flight}/{self.limit} ({phase}{paused}), {rate}{pace}; {why}"
