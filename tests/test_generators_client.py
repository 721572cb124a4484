"""The chat client against a scripted OpenAI-compatible server: real openai client, real HTTP."""

from __future__ import annotations

import os
import queue
import random
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from scripted_server import Reply, ScriptedServer, last_user

from codesynth.config import EndpointConfig, SamplingParams
from codesynth.errors import EndpointError
from codesynth.generators.cache import ResponseCache
from codesynth.generators.client import ChatClient, ChatRequest

MSGS = [{"role": "user", "content": "write add"}]


@pytest.fixture
def server():
    s = ScriptedServer().start()
    yield s
    s.stop()


def make_client(server: ScriptedServer, cache_dir=None, **kw) -> ChatClient:
    ep = dict(
        base_url=server.base_url, model="scripted-model", backoff_s=0.01, max_backoff_s=0.05, timeout_s=5
    )
    ep.update(kw)
    return ChatClient(EndpointConfig(**ep), SamplingParams(), ResponseCache(cache_dir) if cache_dir else None)


def test_completion_text_and_token_usage(server):
    server.push("```python\ndef add(a, b):\n    return a + b\n```")
    c = make_client(server)
    comp = c.complete(MSGS)
    assert "def add" in comp.text
    assert comp.finish_reason == "stop"
    assert comp.completion_tokens == 9 and comp.prompt_tokens == 2  # words, as the server counts
    assert c.usage.requests == 1 and c.usage.completion_tokens == 9 and c.usage.prompt_tokens == 2
    assert c.usage.busy_s > 0 and c.usage.tokens_per_s > 0
    # the sampling parameters reached the server, with the per-sample seed
    body = server.requests[0]
    assert body["model"] == "scripted-model" and body["temperature"] == 0.8 and body["seed"] == 0
    server.push("again")
    c.complete(MSGS, sample_index=3)
    assert server.requests[1]["seed"] == 3


@pytest.mark.parametrize(
    "failure",
    [
        Reply(status=429, headers={"Retry-After": "0"}),
        Reply(status=500),
        Reply(status=503),
        Reply(body=b"this is not json"),
        Reply(body=b'{"choices": []}'),
        Reply(body=b'{"choices": [{"index": 0, "finish_reason": "stop"}]}'),
        Reply(body=b"[1, 2, 3]"),
    ],
    ids=["429", "500", "503", "not-json", "no-choices", "no-message", "json-list"],
)
def test_transient_failures_are_retried(server, failure):
    server.push(failure, failure, "ok then")
    c = make_client(server)
    comp = c.complete(MSGS)
    assert comp.text == "ok then"
    assert len(server.requests) == 3
    assert c.usage.retries == 2 and c.usage.requests == 1


def test_timeout_is_retried_then_succeeds(server):
    server.push(Reply(content="too late", delay=1.5), "in time")
    c = make_client(server, timeout_s=0.5)
    assert c.complete(MSGS).text == "in time"
    assert c.usage.retries == 1


def test_persistent_failure_is_one_clear_endpoint_error(server):
    server.push(*[Reply(status=500)] * 3)
    c = make_client(server, max_retries=2)
    with pytest.raises(EndpointError) as ei:
        c.complete(MSGS)
    msg = str(ei.value)
    assert server.base_url in msg and "3 attempts" in msg and "500" in msg and "\n" not in msg
    assert len(server.requests) == 3


def test_timeouts_exhausted(server):
    server.push(*[Reply(content="x", delay=1.0)] * 2)
    c = make_client(server, timeout_s=0.3, max_retries=1)
    with pytest.raises(EndpointError, match=r"no reply within 0\.3s"):
        c.complete(MSGS)


def test_dead_endpoint_names_url_and_cause():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens once closed
    c = ChatClient(
        EndpointConfig(base_url=f"http://127.0.0.1:{port}/v1", model="m", backoff_s=0.01, max_retries=1)
    )
    with pytest.raises(EndpointError) as ei:
        c.check()
    msg = str(ei.value)
    assert f"http://127.0.0.1:{port}/v1" in msg and "refused" in msg.lower() and "\n" not in msg
    with pytest.raises(EndpointError, match="refused"):
        c.complete(MSGS)


def test_unknown_model_is_reported_with_served_models(server):
    c = make_client(server, model="gpt-nonexistent")
    with pytest.raises(EndpointError) as ei:
        c.check()
    assert "gpt-nonexistent" in str(ei.value) and "scripted-model" in str(ei.value)
    # without the up-front check, the server's 404 gives the same kind of error
    with pytest.raises(EndpointError, match="gpt-nonexistent.*not found"):
        c.complete(MSGS)


def test_model_resolved_from_endpoint_when_not_given(server):
    c = make_client(server, model=None)
    assert c.check() == "scripted-model"
    two = ScriptedServer(models=("a", "b")).start()
    try:
        with pytest.raises(EndpointError, match="pass --model"):
            make_client(two, model=None).check()
    finally:
        two.stop()


def test_bad_request_is_recorded_not_fatal(server):
    server.push(Reply(status=400), "fine")
    c = make_client(server)
    bad = c.complete(MSGS)
    assert bad.text == "" and bad.request_error and "400" in bad.request_error
    assert c.complete(MSGS, sample_index=1).text == "fine"
    assert c.usage.rejected == 1


def test_auth_failure_is_fatal(server):
    server.push(Reply(status=401))
    with pytest.raises(EndpointError, match="OPENAI_API_KEY"):
        make_client(server).complete(MSGS)


def test_null_content_is_an_empty_reply(server):
    server.push(Reply(content=None))
    assert make_client(server).complete(MSGS).text == ""


def test_cache_hit_costs_no_request_and_survives_a_new_client(server, tmp_path):
    server.responder = lambda body: f"reply to seed {body['seed']}"
    c = make_client(server, cache_dir=tmp_path)
    a = c.complete(MSGS, sample_index=0)
    b = c.complete(MSGS, sample_index=1)
    assert (a.text, b.text) == ("reply to seed 0", "reply to seed 1")
    assert len(server.requests) == 2
    again = c.complete(MSGS, sample_index=1)
    assert again.cached and again.text == b.text and len(server.requests) == 2
    # another process (a resumed run) reads the same directory
    fresh = make_client(server, cache_dir=tmp_path)
    assert fresh.complete(MSGS, sample_index=0).text == a.text
    assert len(server.requests) == 2 and fresh.usage.cache_hits == 1 and fresh.usage.requests == 0
    # anything that changes the completion changes the key
    fresh.complete([{"role": "user", "content": "other"}], sample_index=0)
    ChatClient(fresh.endpoint, SamplingParams(temperature=0.2), fresh.cache).complete(MSGS, sample_index=0)
    assert len(server.requests) == 4
    assert len(ResponseCache(tmp_path)) == 4
    assert not list(tmp_path.rglob(".tmp-*"))


def test_failed_requests_are_not_cached(server, tmp_path):
    server.push(Reply(status=400))
    c = make_client(server, cache_dir=tmp_path)
    assert c.complete(MSGS).request_error
    server.push("now it works")
    assert c.complete(MSGS).text == "now it works"


def test_map_bounds_concurrency_and_returns_every_request(server):
    def slow(body):
        return Reply(content=f"answer {last_user(body)}", delay=0.2)

    server.responder = slow
    c = make_client(server, concurrency=3)
    reqs = [ChatRequest(messages=[{"role": "user", "content": f"q{i}"}], tag=i) for i in range(9)]
    out = list(c.map(reqs))
    assert sorted(r.tag for r, _ in out) == list(range(9))
    assert all(comp.text == f"answer q{r.tag}" for r, comp in out)
    assert 2 <= server.max_in_flight <= 3


def test_map_raises_endpoint_error_and_stops(server):
    lock = threading.Lock()
    seen = []

    def fail_on_third(body):
        with lock:
            seen.append(1)
            return Reply(status=500) if len(seen) == 3 else "ok"

    server.responder = fail_on_third
    c = make_client(server, concurrency=1, max_retries=0)
    reqs = (ChatRequest(messages=[{"role": "user", "content": f"q{i}"}], tag=i) for i in range(50))
    got = []
    with pytest.raises(EndpointError):
        for r, _ in c.map(reqs):
            got.append(r.tag)
    assert got == [0, 1]
    assert len(server.requests) == 3  # nothing queued behind the failure was sent


def test_adaptive_concurrency_grows_on_a_fast_endpoint_and_backs_off_on_429(server):
    capacity = 6  # the endpoint serves this many at once and answers 429 to the rest
    lock = threading.Lock()

    def limited(body):
        with lock:
            if server.in_flight > capacity:
                return Reply(status=429)
        return Reply(content="ok", delay=0.02)

    server.responder = limited
    c = make_client(server, max_concurrency=32, max_retries=6)  # concurrency unset: adaptive
    reqs = [ChatRequest(messages=[{"role": "user", "content": f"q{i}"}], tag=i) for i in range(300)]
    out = list(c.map(reqs))
    assert sorted(r.tag for r, _ in out) == list(range(300)) and all(comp.text == "ok" for _, comp in out)
    assert server.max_in_flight > 4  # it grew past where it started
    assert c.usage.retries > 0  # it met the endpoint's limit...
    assert c.governor.limit <= 2 * capacity  # ...and settled near it instead of at the ceiling


def test_fixed_concurrency_stays_fixed(server):
    server.responder = lambda body: Reply(content="ok", delay=0.01)
    c = make_client(server, concurrency=2)
    list(c.map(ChatRequest(messages=[{"role": "user", "content": f"q{i}"}]) for i in range(40)))
    assert server.max_in_flight <= 2 and c.governor.limit == 2


def test_an_endpoint_that_rejects_every_request_is_an_error_not_a_weak_model(server):
    server.responder = lambda body: Reply(status=400)
    c = make_client(server, concurrency=2)
    reqs = (ChatRequest(messages=[{"role": "user", "content": f"q{i}"}]) for i in range(100))
    with pytest.raises(EndpointError, match=r"rejected every request \(8 of 8\): HTTP 400"):
        list(c.map(reqs))
    assert len(server.requests) < 20  # it stopped, it did not send all 100
    few = (ChatRequest(messages=[{"role": "user", "content": f"f{i}"}]) for i in range(3))
    with pytest.raises(EndpointError, match=r"rejected every request \(3 of 3\)"):
        list(c.map(few))


def test_map_runs_ahead_of_a_slow_consumer(server):
    """A consumer busy elsewhere (a sandbox still starting) does not stop generation."""
    server.responder = lambda body: Reply(content=f"answer {last_user(body)}", delay=0.02)
    c = make_client(server, concurrency=2)
    it = c.map(ChatRequest(messages=[{"role": "user", "content": f"q{i}"}], tag=i) for i in range(30))
    first = next(it)
    deadline = time.monotonic() + 60
    while server.replied < 30 and time.monotonic() < deadline:
        time.sleep(0.01)  # not pulling from `it`
    assert server.replied == 30 and server.max_in_flight <= 2
    rest = [first, *it]
    assert sorted(r.tag for r, _ in rest) == list(range(30)) and len(server.requests) == 30


def test_early_break_sends_nothing_more_and_keeps_what_was_in_flight(server, tmp_path):
    server.responder = lambda body: Reply(content="ok", delay=0.3)
    c = make_client(server, cache_dir=tmp_path, concurrency=3)
    for _ in c.map(ChatRequest(messages=[{"role": "user", "content": f"q{i}"}]) for i in range(50)):
        break  # the generator is closed here, requests still in flight
    deadline = time.monotonic() + 30
    while (server.in_flight or len(ResponseCache(tmp_path)) < server.replied) and time.monotonic() < deadline:
        time.sleep(0.02)
    sent = len(server.requests)
    assert 3 <= sent <= 6  # the first three, and those started as they came back
    time.sleep(1.0)  # room for requests that should not come (three more every 0.3 s if it went on)
    assert len(server.requests) == sent
    c.cache.flush()
    assert len(ResponseCache(tmp_path)) == server.replied == sent  # every reply paid for is kept


def test_adaptive_concurrency_fills_a_batch_limit_despite_jittery_latency(server):
    """An endpoint serving `batch` at once, each in 40-160 ms: a single slow reply is not a
    sign of queueing, so the governor still grows to where the endpoint is full."""
    batch = 8
    slots = threading.BoundedSemaphore(batch)

    def batched(body):
        with slots:  # the rest wait their turn, as in a server's batch queue
            time.sleep(random.Random(body["seed"]).uniform(0.04, 0.16))
        return "ok"

    server.responder = batched
    c = make_client(server, max_concurrency=64)
    reqs = [ChatRequest(messages=[{"role": "user", "content": f"q{i}"}], sample_index=i) for i in range(240)]
    assert len(list(c.map(reqs))) == 240
    assert c.governor.limit >= batch and server.max_in_flight >= batch


def test_ctrl_c_stops_a_generate_run_at_once_and_keeps_its_replies(server, tmp_path):
    from helpers import PROBLEM_SETS, ROOT

    replies = 0
    lock = threading.Lock()

    def answer(body):
        nonlocal replies
        with lock:
            replies += 1
            slow = replies > 3
        return Reply(content="```python\ndef f():\n    return 1\n```", delay=20.0 if slow else 0.0)

    server.responder = answer
    cache = tmp_path / "cache"
    proc = subprocess.Popen(
        [sys.executable, "-m", "codesynth.cli", "generate", "solutions", str(PROBLEM_SETS / "basic.jsonl"),
         "--n", "4", "--out", str(tmp_path / "o"), "--base-url", server.base_url, "--model", "scripted-model",
         "--cache-dir", str(cache), "--concurrency", "4"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("CODESYNTH_")},
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while server.in_flight < 4 and time.monotonic() < deadline:
        time.sleep(0.02)  # three answered, four more waiting on the 20 s replies
    assert server.in_flight == 4
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=15)  # well before any slow reply
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    assert server.replied == 3 and len(ResponseCache(cache)) == 3  # the three replies received are kept


def test_map_takes_requests_from_an_iterator_that_waits_on_the_results(server):
    """Repair turns stream into each other: the next request exists only once a reply is judged.
    A request iterator that blocks must not stall the requests already in flight."""
    server.responder = lambda body: f"answer {last_user(body)}"
    c = make_client(server, concurrency=4)
    todo: queue.Queue = queue.Queue()
    todo.put("q0")

    def requests():
        while (m := todo.get()) is not None:
            yield ChatRequest(messages=[{"role": "user", "content": m}])

    got: list[str] = []

    def consume() -> None:
        for _, comp in c.map(requests()):
            got.append(comp.text)
            todo.put(f"q{len(got)}" if len(got) < 10 else None)

    t = threading.Thread(target=consume, daemon=True)
    t.start()
    t.join(60)
    assert not t.is_alive(), f"map stalled after {len(got)} replies"
    assert got == [f"answer q{i}" for i in range(10)]
