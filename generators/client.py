"""One chat client for every OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp, Ollama).

On one event-loop thread, the async HTTP client `openai` is built on (httpx) POSTs the chat
completions' JSON (the `openai` client's own per-request machinery cost about as much CPU
again as the HTTP itself: CPU that verification on the same cores needs; measured by
bench/generate_throughput.py), and the `openai` client lists the models. We own the policy
around them: retries with backoff on 429/5xx/timeouts/malformed replies, bounded (adaptive)
concurrency, the response cache, token accounting, and one clear `EndpointError` when the
endpoint is dead or the model unknown.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import queue
import random
import threading
import time
import weakref
from collections.abc import Coroutine, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import openai
from pydantic import BaseModel

from codesynth.config import EndpointConfig, SamplingParams
from codesynth.errors import EndpointError
from codesynth.generators.budget import Budget
from codesynth.generators.cache import CachedReply, ResponseCache, cache_key
from codesynth.generators.governor import Governor

# The HTTP library the installed `openai` is built on (httpx, or its successor httpx2 in openai
# 3), its async client class being public as `openai.DefaultAsyncHttpxClient`: the same
# transport, defaults and exceptions whichever it is (the two differ several-fold in CPU).
httpx = importlib.import_module(openai.DefaultAsyncHttpxClient.__mro__[1].__module__.partition(".")[0])

Messages = list[dict[str, str]]
T = TypeVar("T")


class Completion(BaseModel):
    text: str
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False
    latency_s: float = 0.0
    #: Set when the endpoint refused this one request (HTTP 400, e.g. prompt too long):
    #: the run goes on and the sample is recorded as producing no code.
    request_error: str | None = None


@dataclass
class ChatRequest:
    messages: Messages
    sample_index: int = 0
    #: Anything the caller wants handed back with the completion (problem, turn, ...).
    tag: Any = None
    sampling: SamplingParams | None = None


@dataclass
class UsageStats:
    requests: int = 0  # completions fetched over HTTP (successful)
    cache_hits: int = 0
    retries: int = 0
    rejected: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    busy_s: float = 0.0  # wall time during which at least one request was in flight
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _in_flight: int = 0
    _busy_since: float = 0.0

    def _begin(self) -> None:
        with self._lock:
            if self._in_flight == 0:
                self._busy_since = time.monotonic()
            self._in_flight += 1

    def _end(self) -> None:
        with self._lock:
            self._in_flight -= 1
            if self._in_flight == 0:
                self.busy_s += time.monotonic() - self._busy_since

    def _add(self, **kw: int) -> None:
        with self._lock:
            for k, v in kw.items():
                setattr(self, k, getattr(self, k) + v)

    @property
    def tokens_per_s(self) -> float:
        return self.completion_tokens / self.busy_s if self.busy_s > 0 else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "requests": self.requests,
            "cache_hits": self.cache_hits,
            "retries": self.retries,
            "rejected": self.rejected,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "generation_s": round(self.busy_s, 3),
            "tokens_per_s": round(self.tokens_per_s, 2),
        }


#: Adaptive concurrency starts here (`EndpointConfig.concurrency = None`): one round trip of 8
#: replies makes the first window (from 4 it took two); an endpoint with fewer slots queues the rest for
#: that one window, and the window's queue ends slow start there.
ADAPTIVE_START = 8
#: This many refused requests and not one answered: stop, naming the endpoint's message.
REJECT_ALL_AFTER = 8


class _Malformed(Exception):
    pass


class _Status(Exception):
    """The endpoint answered an HTTP error status."""

    def __init__(self, status: int, message: str, retry_after: float | None):
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


class _Cancelled(Exception):
    """The map() that issued this request has stopped; nobody wants the reply."""


class ChatClient:
    """Thread-safe. Every request runs on one event-loop thread of the client's (the async
    `openai` client): `map` keeps up to `endpoint.concurrency` in flight (adaptive when unset)
    without a thread each, so a fast endpoint is not held back by the client's own overhead."""

    def __init__(
        self,
        endpoint: EndpointConfig,
        sampling: SamplingParams | None = None,
        cache: ResponseCache | None = None,
    ):
        if not endpoint.base_url:
            raise EndpointError("no endpoint base_url configured")
        self.endpoint = endpoint
        self.sampling = sampling or SamplingParams()
        self.cache = cache
        self.usage = UsageStats()
        self.governor: Governor | None = None  # the latest map()'s, told of congestion as it happens
        self.budget: Budget | None = None  # a spending cap, checked before each paid request
        self.url = endpoint.base_url.rstrip("/")
        self._model = endpoint.model
        self._model_lock = threading.Lock()
        self._io: _EventLoop | None = None
        self._io_lock = threading.Lock()

    def _loop(self) -> _EventLoop:
        with self._io_lock:
            if self._io is None or self._io.pid != os.getpid():  # a forked child starts its own
                self._io = _EventLoop(self.url, self.endpoint)
                weakref.finalize(self, self._io.close).atexit = False
            return self._io

    def close(self) -> None:
        """Stop the client's event-loop thread and its connections (also done when it is collected)."""
        with self._io_lock:
            if self._io is not None:
                self._io.close()
                self._io = None
        if self.cache is not None:
            self.cache.flush()

    # ------------------------------------------------------------------ model
    def list_models(self) -> list[str] | None:
        """Model ids the endpoint serves; None when it has no /models route."""
        io = self._loop()

        async def ids() -> list[str]:
            page = await io.oa.with_options(timeout=min(self.endpoint.timeout_s, 30.0)).models.list()
            return [m.id for m in page.data]

        try:
            return io.run(ids())
        except openai.NotFoundError:
            return None
        except openai.APITimeoutError:
            raise EndpointError(f"endpoint {self.url} did not answer within the timeout") from None
        except openai.APIConnectionError as e:
            raise EndpointError(f"cannot reach endpoint {self.url}: {_cause(e)}") from None
        except (openai.AuthenticationError, openai.PermissionDeniedError) as e:
            raise EndpointError(
                f"endpoint {self.url} refused our key ({_status_msg(e)}); set ${self.endpoint.api_key_env}"
            ) from None
        except openai.APIStatusError as e:
            raise EndpointError(f"endpoint {self.url} failed listing models: {_status_msg(e)}") from None
        except (ValueError, AttributeError, TypeError) as e:
            raise EndpointError(
                f"endpoint {self.url} sent a malformed model list ({type(e).__name__})"
            ) from None

    def check(self) -> str:
        """Fail fast on a dead endpoint or an unknown model; return the model name to use."""
        models = self.list_models()
        with self._model_lock:
            if self._model is None:
                if not models:
                    raise EndpointError(f"endpoint {self.url} does not list its models; pass --model")
                if len(models) > 1:
                    raise EndpointError(
                        f"endpoint {self.url} serves {len(models)} models ({', '.join(models[:5])}...); pass --model"
                    )
                self._model = models[0]
            elif models is not None and self._model not in models:
                raise EndpointError(
                    f"model '{self._model}' not found at {self.url} (it serves: {', '.join(models[:10]) or 'nothing'})"
                )
            return self._model

    @property
    def model(self) -> str:
        if self._model is None:
            return self.check()
        return self._model

    # ------------------------------------------------------------------ one completion
    def complete(self, messages: Messages, sample_index: int = 0, sampling: SamplingParams | None = None) -> Completion:
        """One completion (through the cache), from any thread; the reply is in the cache on return."""
        model = self.model  # resolved here: the event loop must not wait on itself
        io = self._loop()
        comp, _ = io.run(self._complete(io, model, messages, sample_index, sampling))
        if self.cache is not None and not comp.cached:
            self.cache.flush()
        return comp

    async def _complete(
        self, io: _EventLoop, model: str, messages: Messages, sample_index: int,
        sampling: SamplingParams | None, stop: asyncio.Event | None = None,
    ) -> tuple[Completion, bool]:
        """The completion and whether it took a retry (a sign of congestion for the governor)."""
        params = (sampling or self.sampling).for_sample(sample_index)
        key = None
        if self.cache is not None:
            key = cache_key(self.endpoint.identity(), model, messages, params, sample_index)
            hit = self.cache.get(key)
            if hit is not None:
                self.usage._add(cache_hits=1)
                return Completion(cached=True, **hit.model_dump(exclude={"model"})), False
        if self.budget is not None:
            self.budget.check(self.usage)
        comp, retried = await self._request(io, model, messages, params, stop)
        if key is not None and comp.request_error is None:
            # Handed to the cache's writer thread: no file work on the request path.
            self.cache.put(key, CachedReply(model=model, **comp.model_dump(include=set(CachedReply.model_fields))))  # type: ignore[union-attr]
        return comp, retried

    async def _request(
        self, io: _EventLoop, model: str, messages: Messages, params: dict[str, Any],
        stop: asyncio.Event | None = None,
    ) -> tuple[Completion, bool]:
        """The retry policy (the one place it lives): backoff on 429/5xx/timeouts/malformed replies,
        one EndpointError when the endpoint is dead, the key refused or the model unknown."""
        ep = self.endpoint
        last = ""
        for attempt in range(ep.max_retries + 1):
            if stop is not None and stop.is_set():
                raise _Cancelled()
            if attempt:
                self.usage._add(retries=1)
            delay: float | None = None
            t0 = time.monotonic()
            self.usage._begin()
            try:
                text, finish, pt, ct = _parse(await _post(io.http, {"model": model, "messages": messages, **params}))
            except _Status as e:
                if e.status == 429:
                    last, delay = f"rate limited (429): {e.message}", e.retry_after
                    self._congested(delay, t0, rate_limited=True, retry=attempt > 0)
                elif e.status in (401, 403):
                    raise EndpointError(
                        f"endpoint {self.url} refused our key ({e.message}); set ${ep.api_key_env}"
                    ) from None
                elif e.status == 404:
                    raise EndpointError(f"model '{model}' not found at {self.url}: {e.message}") from None
                elif e.status in (400, 422):
                    # This request only (prompt too long, bad parameter for this model): record, go on.
                    self.usage._add(rejected=1)
                    return Completion(text="", request_error=f"HTTP {e.status}: {e.message}"), attempt > 0
                elif e.status < 500 and e.status not in (408, 409):
                    raise EndpointError(f"endpoint {self.url} answered HTTP {e.status}: {e.message}") from None
                else:
                    last = f"HTTP {e.status}: {e.message}"
                    self._congested(e.retry_after, t0)
            except httpx.TimeoutException:
                last = f"no reply within {ep.timeout_s:g}s"
                self._congested(None, t0)
            except httpx.TransportError as e:
                last = f"connection failed: {_cause(e)}"
            except httpx.RequestError as e:  # a body it cannot decode, a redirect loop
                last = f"malformed reply ({type(e).__name__})"
            except (_Malformed, ValueError, AttributeError, TypeError) as e:
                last = f"malformed reply ({e if isinstance(e, _Malformed) else type(e).__name__})"
            else:
                self.usage._add(requests=1, prompt_tokens=pt, completion_tokens=ct)
                comp = Completion(text=text, finish_reason=finish, prompt_tokens=pt, completion_tokens=ct,
                                  latency_s=time.monotonic() - t0)  # fmt: skip
                return comp, attempt > 0
            finally:
                self.usage._end()
            if attempt < ep.max_retries:
                await _pause(self._backoff(attempt, delay), stop)
        raise EndpointError(f"endpoint {self.url} failed after {ep.max_retries + 1} attempts: {last}")

    def status(self) -> str:
        """For a progress line: requests in flight, the concurrency limit, completions/s."""
        return self.governor.status(self.usage._in_flight) if self.governor is not None else ""

    def _congested(self, retry_after: float | None, sent_at: float, rate_limited: bool = False,
                   retry: bool = False) -> None:  # fmt: skip
        # At once, not when the retry finally succeeds: the governor cuts while the endpoint is
        # still refusing (and may hold back new requests, not only this one's retry).
        if self.governor is not None:
            self.governor.congested(None if retry_after is None else min(self.endpoint.max_backoff_s, retry_after),
                                    sent_at, rate_limited, retry)  # fmt: skip

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        ep = self.endpoint
        # Jitter spreads out requests that were throttled together; never earlier than the
        # endpoint's Retry-After (it said when it will take requests again).
        delay = min(ep.max_backoff_s, ep.backoff_s * (2**attempt)) * (0.75 + 0.5 * random.random())
        return max(delay, min(ep.max_backoff_s, retry_after) * (1 + 0.25 * random.random())) if retry_after else delay

    # ------------------------------------------------------------------ many completions
    def map(self, requests: Iterable[ChatRequest]) -> Iterator[tuple[ChatRequest, Completion]]:
        """Complete every request, `concurrency` at a time, yielding in completion order.

        Requests are pulled lazily (by a feeder thread of this map's, as room frees up; the
        iterator may block waiting for work), so a caller can stream millions. Generation runs ahead of a slow consumer (a sandbox
        still starting, verification behind) by up to `READ_AHEAD` finished completions.
        The first EndpointError stops the rest and is raised; finished completions are
        already in the cache, so a rerun resumes from there. When the caller goes away
        (error, Ctrl-C, early break) no new request or retry starts; requests already
        sent still land in the cache (the endpoint is paying for them), nobody waits for them.
        """
        ep = self.endpoint
        gov = Governor(ep.concurrency or ADAPTIVE_START, ep.concurrency or ep.max_concurrency,
                       fixed=ep.concurrency is not None)
        self.governor = gov
        model = self.model  # resolved here: the event loop must not wait on itself
        io = self._loop()
        pump = _Pump(self, io, model, iter(requests), gov)
        pump.feeder.start()
        try:
            while True:
                try:
                    item = pump.out.get(timeout=0.5)
                except queue.Empty:
                    if not io.thread.is_alive():
                        raise EndpointError(f"the client's event loop for {self.url} stopped") from None
                    continue
                if item is _END:
                    if self.cache is not None:
                        self.cache.flush()
                    return
                if isinstance(item, BaseException):
                    raise item
                pump.taken()
                yield item
        finally:
            pump.close()


#: Finished completions a map() may hold that its caller has not taken yet.
READ_AHEAD = 256
_END = object()


class _Pump:
    """One map()'s requests: a feeder thread pulls them (a request iterator may block, waiting
    for work another stage hands over, and the event loop must never block), the event loop
    keeps `governor.limit` at the endpoint, completions reach the caller's thread through `out`.

    Each counter has one writer: `sent` the feeder, `launched`/`finished`/`produced` the loop,
    `consumed` the caller; `room` wakes the feeder when one of them changes."""

    def __init__(self, client: ChatClient, io: _EventLoop, model: str, requests: Iterator[ChatRequest],
                 gov: Governor):  # fmt: skip
        self.client, self.io, self.model, self.requests, self.gov = client, io, model, requests, gov
        self.out: queue.SimpleQueue = queue.SimpleQueue()  # (request, completion), an error, or _END
        self.stop = asyncio.Event()  # the caller has gone: no new attempt, no retry
        self.tasks: set[asyncio.Task] = set()  # the loop keeps only weak references to tasks
        self.room = threading.Condition()
        self.sent = self.launched = self.finished = self.produced = self.consumed = 0
        self.answered = self.rejected = 0
        self.first_error = ""
        self.exhausted = self.over = False
        self.feeder = threading.Thread(target=self._feed, daemon=True, name="codesynth-llm-feed")

    # ------------------------------------------------------------------ the feeder thread
    def _feed(self) -> None:
        call = self.io.loop.call_soon_threadsafe
        while True:
            with self.room:
                while not self.over:
                    if self.sent - self.finished >= self.gov.limit or self.produced - self.consumed >= READ_AHEAD:
                        self.room.wait(0.5)
                    elif (wait := self.gov.send_wait()) > 0:  # Retry-After, or the pace after a 429
                        self.room.wait(min(0.5, wait))
                    else:
                        break
            if self.over:
                return
            try:
                req = next(self.requests)
            except StopIteration:
                call(self._exhausted)
                return
            except BaseException as e:  # noqa: BLE001 - the caller's iterator failed: the caller's error
                call(self._end, e)
                return
            if self.over:
                return
            self.sent += 1
            self.gov.sent()
            call(self._launch, req)

    def _wake_feeder(self) -> None:
        with self.room:
            self.room.notify()

    # ------------------------------------------------------------------ the caller's thread
    def taken(self) -> None:
        self.consumed += 1
        self._wake_feeder()

    def close(self) -> None:
        self.over = True
        self._wake_feeder()
        if self.io.thread.is_alive():
            self.io.loop.call_soon_threadsafe(self.stop.set)

    # ------------------------------------------------------------------ the event loop
    def _launch(self, req: ChatRequest) -> None:
        self.launched += 1
        task = self.io.loop.create_task(self._one(req))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _exhausted(self) -> None:
        self.exhausted = True
        self._check_end()

    def _check_end(self) -> None:
        if self.exhausted and self.finished == self.launched and not self.over:
            self._end(self._rejected_all() if self.answered and self.rejected == self.answered else _END)

    async def _one(self, req: ChatRequest) -> None:
        try:
            comp, retried = await self.client._complete(
                self.io, self.model, req.messages, req.sample_index, req.sampling, self.stop
            )
        except _Cancelled:
            self._done()
            return
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            self._done()
            self._end(e)
            return
        if not comp.cached:
            self.gov.record(comp.latency_s, congested=retried)
        if not self.over:  # else it is in the cache and nobody is waiting for it
            self._deliver(req, comp)
        self._done()

    def _deliver(self, req: ChatRequest, comp: Completion) -> None:
        self.answered += 1
        if comp.request_error is not None:
            self.rejected += 1
            self.first_error = self.first_error or comp.request_error
            if self.rejected == self.answered == REJECT_ALL_AFTER:
                # Every request so far was refused: that is a configuration error (wrong
                # model, parameters the endpoint does not take), not a weak model.
                self._end(self._rejected_all())
                return
        self.produced += 1
        self.out.put((req, comp))

    def _done(self) -> None:
        self.finished += 1
        self._wake_feeder()
        self._check_end()

    def _rejected_all(self) -> EndpointError:
        return EndpointError(f"endpoint {self.client.url} rejected every request "
                             f"({self.rejected} of {self.answered}): {self.first_error}")  # fmt: skip

    def _end(self, item: object) -> None:
        if not self.over:
            self.over = True
            self.out.put(item)
            self._wake_feeder()


class _EventLoop:
    """An asyncio loop on a daemon thread, with the HTTP clients bound to it: `http` (httpx) for
    chat completions, `oa` (the `openai` client, made on first use) for the model list."""

    def __init__(self, url: str, endpoint: EndpointConfig):
        self.pid = os.getpid()
        self.url, self.endpoint = url, endpoint
        self._oa: openai.AsyncOpenAI | None = None
        # Connections: as many as the governor lets fly (it, not the pool, bounds them); timeouts
        # as the openai client sets them (each phase, read included, within timeout_s).
        keep = max(endpoint.concurrency or 0, endpoint.max_concurrency)
        self.http = openai.DefaultAsyncHttpxClient(
            base_url=url + "/", timeout=endpoint.timeout_s,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=keep),
            headers={"Authorization": f"Bearer {endpoint.api_key()}", "Content-Type": "application/json",
                     "Accept": "application/json"},
        )  # fmt: skip
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="codesynth-llm")
        self.thread.start()

    @property
    def oa(self) -> openai.AsyncOpenAI:
        if self._oa is None:
            # Retries are ours (the client's own would hide them from accounting and backoff).
            self._oa = openai.AsyncOpenAI(base_url=self.url, api_key=self.endpoint.api_key(), max_retries=0,
                                          timeout=self.endpoint.timeout_s)  # fmt: skip
        return self._oa

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the loop from another thread and wait; an interrupt (Ctrl-C) cancels it."""
        fut = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return fut.result()
        except BaseException:
            fut.cancel()
            raise

    async def _aclose(self) -> None:
        await self.http.aclose()
        if self._oa is not None:
            await self._oa.close()

    def close(self) -> None:
        if self.pid != os.getpid() or not self.thread.is_alive():
            return
        if threading.current_thread() is self.thread:
            self.loop.call_soon(self.loop.stop)
            return
        try:
            asyncio.run_coroutine_threadsafe(self._aclose(), self.loop).result(5)
        except Exception:  # noqa: BLE001 - closing connections is best effort
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        if not self.thread.is_alive():
            self.loop.close()


async def _post(http: httpx.AsyncClient, body: dict[str, Any]) -> bytes:
    """POST a chat completion; the reply's bytes, or _Status for an HTTP error status."""
    resp = await http.post("chat/completions", content=json.dumps(body).encode())
    if resp.status_code >= 400:
        raise _Status(resp.status_code, _body_msg(resp), _header_seconds(resp.headers.get("retry-after")))
    return resp.content


def _body_msg(resp: httpx.Response) -> str:
    """The endpoint's own words for an error status (its JSON `error.message`, or the text)."""
    try:
        body = resp.json()
    except ValueError:
        body = None
    msg = None
    if isinstance(body, dict):
        err = body.get("error")
        msg = err.get("message") if isinstance(err, dict) else body.get("message") or (err if isinstance(err, str) else None)
    return str(msg or resp.text.strip() or resp.reason_phrase or f"HTTP {resp.status_code}")[:300]


async def _pause(seconds: float, stop: asyncio.Event | None) -> None:
    """Sleep for a backoff; raise _Cancelled at once if the map that wants the reply stops."""
    if stop is None:
        await asyncio.sleep(seconds)
        return
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return
    raise _Cancelled()


def _parse(raw: bytes) -> tuple[str, str | None, int, int]:
    """(text, finish_reason, prompt tokens, completion tokens) of a chat completion's JSON body."""
    try:
        body = json.loads(raw)
    except ValueError:
        raise _Malformed("not JSON") from None
    choices = body.get("choices") if isinstance(body, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise _Malformed("no choices")
    msg = choices[0].get("message")
    if not isinstance(msg, dict):
        raise _Malformed("no message")
    content = msg.get("content")
    if content is not None and not isinstance(content, str):
        raise _Malformed("content is not text")
    finish = choices[0].get("finish_reason")
    usage = body.get("usage")
    usage = usage if isinstance(usage, dict) else {}
    return content or "", finish if isinstance(finish, str) else None, _count(usage, "prompt_tokens"), \
        _count(usage, "completion_tokens")


def _count(usage: dict, name: str) -> int:
    v = usage.get(name)
    return v if isinstance(v, int) and v > 0 else 0


def _status_msg(e: openai.APIStatusError) -> str:
    body = e.body
    msg = None
    if isinstance(body, dict):
        err = body.get("error")
        msg = err.get("message") if isinstance(err, dict) else body.get("message")
    return str(msg or getattr(e, "message", None) or e)[:300]


def _cause(e: BaseException) -> str:
    # httpx wraps the socket error (the async transport by way of a suppressed __context__:
    # "All connection attempts failed"); the innermost one is the useful one, and for a socket
    # error its errno says it best ("Connection refused").
    while (inner := e.__cause__ or e.__context__) is not None:
        e = inner
    if isinstance(e, OSError) and e.errno:
        return os.strerror(e.errno)
    text = str(e) or type(e).__name__
    return text.split("] ", 1)[-1] if text.startswith("[Errno") else text


def _header_seconds(v: str | None) -> float | None:
    """A Retry-After header's seconds (None when absent or an HTTP date)."""
    try:
        return float(v) if v is not None else None
    except ValueError:
        return None
