"""The adaptive concurrency against a real aiohttp endpoint on 127.0.0.1 that behaves like a
served model: a fixed number of batch slots (the rest queue), jittery latency, 429s with
Retry-After. The real `openai` client speaks to it through ChatClient.map. Behaviour, not timings."""

from __future__ import annotations

import asyncio
import itertools
import random
import threading
import time

from aiohttp import web

from codesynth.config import EndpointConfig, SamplingParams
from codesynth.generators.client import ChatClient, ChatRequest


class ModelEndpoint:
    """`slots` requests served at once, each 40-120 ms (seeded by the request's seed); the rest
    queue. A 429 with `Retry-After` goes to: more than `refuse_above` in the server at once,
    requests above `rate` a second (a token bucket of a tenth of a second), and every request in
    the first `refuse_for_s` seconds after the first one (an endpoint that wants silence)."""

    def __init__(self, slots: int, refuse_above: int | None = None, retry_after: float = 1.0,
                 rate: float | None = None, refuse_for_s: float = 0.0):  # fmt: skip
        self.slots_n, self.refuse_above, self.retry_after = slots, refuse_above, retry_after
        self.rate, self.refuse_for_s = rate, refuse_for_s
        self.bucket, self.refilled = max(1.0, (rate or 0) / 10), time.monotonic()
        self.in_server = self.max_in_server = 0
        self.arrivals: list[float] = []  # monotonic times chat requests arrived (429s included)
        self.refusals: list[float] = []  # when each 429 was sent
        self.by_question: dict[str, list[tuple[float, bool]]] = {}  # question -> (arrival, refused)
        self.answered = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _refuse(self, now: float) -> bool:
        if self.refuse_above is not None and self.in_server >= self.refuse_above:
            return True
        if now - self.arrivals[0] < self.refuse_for_s:
            return True
        if self.rate is not None:
            self.bucket = min(max(1.0, self.rate / 10), self.bucket + (now - self.refilled) * self.rate)
            self.refilled = now
            if self.bucket < 1:
                return True
            self.bucket -= 1
        return False

    async def _chat(self, request: web.Request) -> web.Response:
        body = await request.json()
        now = time.monotonic()
        self.arrivals.append(now)
        refused = self._refuse(now)
        self.by_question.setdefault(body["messages"][-1]["content"], []).append((now, refused))
        if refused:
            self.refusals.append(now)
            return web.json_response({"error": {"message": "slow down", "type": "rate_limit"}}, status=429,
                                     headers={"Retry-After": f"{self.retry_after:g}"})  # fmt: skip
        self.in_server += 1
        self.max_in_server = max(self.max_in_server, self.in_server)
        try:
            async with self._slots:
                await asyncio.sleep(random.Random(body.get("seed", 0) * 31 + len(str(body))).uniform(0.04, 0.12))
        finally:
            self.in_server -= 1
        self.answered += 1
        return web.json_response({
            "id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "ok"}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1},
        })  # fmt: skip

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._slots = asyncio.Semaphore(self.slots_n)
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        self.runner = web.AppRunner(app, access_log=None)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        self.loop.run_forever()

    def __enter__(self) -> ModelEndpoint:
        self._thread.start()
        assert self._ready.wait(30)
        return self

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(30)

    def client(self, **kw) -> ChatClient:
        ep = dict(base_url=f"http://127.0.0.1:{self.port}/v1", model="m", backoff_s=0.05, max_backoff_s=5,
                  timeout_s=30, max_retries=8)  # fmt: skip
        ep.update(kw)
        return ChatClient(EndpointConfig(**ep), SamplingParams())


def requests(n: int) -> list[ChatRequest]:
    return [ChatRequest(messages=[{"role": "user", "content": f"q{i}"}], sample_index=i, tag=i) for i in range(n)]


def run(client: ChatClient, n: int) -> list:
    out = list(client.map(requests(n)))
    assert sorted(r.tag for r, _ in out) == list(range(n))  # every request answered once: nothing lost
    assert all(c.text == "ok" for _, c in out)
    return out


def test_it_grows_past_the_slot_count_and_keeps_a_queue_in_front_of_a_batching_endpoint():
    slots = 8
    with ModelEndpoint(slots) as ep:
        c = ep.client()  # defaults: adaptive, from 8 up to 64
        run(c, 400)
    s = c.governor.summary()
    # Queueing at the endpoint is not overload: it settled with more in flight than the endpoint
    # serves at once, so a freed slot never waits a round trip for the next request...
    assert s.limit > slots and ep.max_in_server > slots
    # ...but a bounded queue: not the ceiling, where latency would grow for nothing.
    assert s.limit < s.ceiling and s.cuts == 0
    assert s.endpoint_busy is not None and s.endpoint_busy <= slots * 1.5
    assert s.decisions[0].reason == "start" and any("slow start" in d.reason for d in s.decisions)


def test_it_never_exceeds_the_ceiling_or_a_fixed_concurrency():
    with ModelEndpoint(slots=100) as ep:  # room for everything: only our cap holds it back
        c = ep.client(max_concurrency=12)
        run(c, 300)
        assert ep.max_in_server <= 12 and c.governor.max_limit == 12  # it found the room, up to the cap
        ep.max_in_server = 0
        fixed = ep.client(concurrency=5)
        run(fixed, 100)
        assert ep.max_in_server <= 5 and fixed.governor.summary().mode == "fixed"
        assert all(d.limit == 5 for d in fixed.governor.summary().decisions)


def retries_waited(ep: ModelEndpoint) -> list[float]:
    """For every refused request, how long until it came again."""
    waits = []
    for visits in ep.by_question.values():
        waits += [b[0] - a[0] for a, b in itertools.pairwise(visits) if a[1]]
    return waits


def test_a_429_paces_the_requests_the_retry_waits_for_retry_after_and_nothing_is_lost():
    with ModelEndpoint(slots=100, refuse_above=10, retry_after=1.5) as ep:
        c = ep.client()
        run(c, 300)
    s = c.governor.summary()
    assert ep.refusals and c.usage.retries >= len(ep.refusals)  # every 429 was retried, none lost
    # Each refused request came again only after the endpoint's Retry-After (the client's clock
    # starts a little after the server's: a small margin).
    waits = retries_waited(ep)
    assert len(waits) == len(ep.refusals) and min(waits) >= 1.5 - 0.05
    # The 429 was answered on the rate: a pace, cut on the 429, and the limit in flight cut once.
    assert s.rate_cuts >= 1 and s.rate_limit_per_s is not None
    assert any(d.reason.startswith("429: paced at") for d in s.decisions)
    assert "429: paced" in s.last_reason or s.decisions[-1].reason == s.last_reason
    # It settled instead of hammering the edge: few requests refused (the ramp finds the edge once).
    assert len(ep.refusals) <= 0.15 * 300


def test_a_rate_limited_endpoint_gets_paced_just_under_its_rate_with_few_retries():
    rate = 60.0
    with ModelEndpoint(slots=100, rate=rate, retry_after=1.0) as ep:
        c = ep.client()
        run(c, 360)
    s = c.governor.summary()
    assert s.rate_limit_per_s is not None and s.rate_cuts >= 1
    # Not collapsed: every cut answered a 429 (never halved as overload), the limit in flight was
    # cut by a quarter at most once more than the pace (a 429 before any reply was admitted has
    # no rate to pace by: only the limit can say less then)
    assert s.limit >= 2 and s.rate_cuts <= s.cuts <= s.rate_cuts + 1
    assert not any("halved" in d.reason for d in s.decisions)
    assert c.usage.retries <= 0.1 * 360  # few retried (the ramp's overshoot, a few probes)


def test_an_endpoint_that_keeps_refusing_after_the_cut_gets_silence_for_retry_after():
    with ModelEndpoint(slots=100, refuse_for_s=2.0, retry_after=1.0) as ep:
        c = ep.client()
        run(c, 60)
    s = c.governor.summary()
    # The cut did not help (it refused what was sent after it too): new requests waited.
    assert s.paused_s > 0 and any("Retry-After" in d.reason for d in s.decisions)
    assert min(retries_waited(ep)) >= 1.0 - 0.05


def test_generate_shows_what_the_governor_decided(tmp_path):
    """`generate solutions --json` carries the governor's summary; the text summary names it."""
    import json
    import os
    import subprocess
    import sys

    from helpers import PROBLEM_SETS

    env = {k: v for k, v in os.environ.items() if not k.startswith("CODESYNTH_")}
    with ModelEndpoint(slots=4) as ep:
        common = ["generate", "solutions", str(PROBLEM_SETS / "basic.jsonl"), "--limit", "6", "--n", "8",
                  "--base-url", f"http://127.0.0.1:{ep.port}/v1", "--model", "m", "--no-cache"]  # fmt: skip
        r = subprocess.run([sys.executable, "-m", "codesynth.cli", *common, "--out", str(tmp_path / "a"), "--json"],
                           capture_output=True, text=True, timeout=300, env=env)  # fmt: skip
        assert r.returncode == 0, r.stderr
        g = json.loads(r.stdout)["governor"]
        assert g["mode"] == "adaptive" and 1 <= g["limit"] <= g["ceiling"] == 64
        assert g["decisions"][0]["reason"] == "start" and g["max_limit"] >= g["decisions"][0]["limit"]
        assert json.loads((tmp_path / "a" / "generation_solutions.json").read_text())["governor"] == g
        ep.max_in_server = 0
        r = subprocess.run([sys.executable, "-m", "codesynth.cli", *common, "--out", str(tmp_path / "b"),
                            "--concurrency", "3"], capture_output=True, text=True, timeout=300, env=env)  # fmt: skip
        assert r.returncode == 0, r.stderr
        assert "concurrency: fixed, 3 in flight at the end (max 3, ceiling 3)" in r.stdout
        assert ep.max_in_server <= 3
