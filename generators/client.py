"""One chat client for every OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp, Ollama).

The `openai` package does the HTTP; we own the policy around it: retries with backoff
on 429/5xx/timeouts/malformed replies, bounded concurrency, the response cache, token
accounting, and one clear `EndpointError` when the endpoint is dead or the model unknown.
"""

from __future__ import annotations

import queue
import random
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import openai
from pydantic import BaseModel

from codesynth.config import EndpointConfig, SamplingParams
from codesynth.errors import EndpointError
from codesynth.generators.budget import Budget
from codesynth.generators.cache import CachedReply, ResponseCache, cache_key
from codesynth.generators.governor import Governor

Messages = list[dict[str, str]]


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


#: Adaptive concurrency starts here (`EndpointConfig.concurrency = None`).
ADAPTIVE_START = 4
#: This many refused requests and not one answered: stop, naming the endpoint's message.
REJECT_ALL_AFTER = 8


class _Malformed(Exception):
    pass


class _Cancelled(Exception):
    """The map() that issued this request has stopped; nobody wants the reply."""


class ChatClient:
    """Thread-safe; `map` runs up to `endpoint.concurrency` requests at once (adaptive when unset)."""

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
        self.budget: Budget | None = None  # a spending cap, checked before each paid request
        self.url = endpoint.base_url.rstrip("/")
        self._model = endpoint.model
        self._model_lock = threading.Lock()
        # Retries are ours (the client's own would hide them from accounting and backoff policy).
        self._oa = openai.OpenAI(
            base_url=self.url, api_key=endpoint.api_key(), max_retries=0, timeout=endpoint.timeout_s
        )

    # ------------------------------------------------------------------ model
    def list_models(self) -> list[str] | None:
        """Model ids the endpoint serves; None when it has no /models route."""
        try:
            page = self._oa.with_options(timeout=min(self.endpoint.timeout_s, 30.0)).models.list()
            return [m.id for m in page.data]
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
    def complete(
        self,
        messages: Messages,
        sample_index: int = 0,
        sampling: SamplingParams | None = None,
        *,
        cancel: threading.Event | None = None,
    ) -> Completion:
        sampling = sampling or self.sampling
        params = sampling.for_sample(sample_index)
        key = cache_key(self.endpoint.identity(), self.model, messages, params, sample_index)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                self.usage._add(cache_hits=1)
                return Completion(cached=True, **hit.model_dump(exclude={"model"}))
        if self.budget is not None:
            self.budget.check(self.usage)
        comp = self._request(messages, params, cancel)
        if self.cache is not None and comp.request_error is None:
            self.cache.put(
                key, CachedReply(model=self.model, **comp.model_dump(include=set(CachedReply.model_fields)))
            )
        return comp

    def _request(
        self, messages: Messages, params: dict[str, Any], cancel: threading.Event | None = None
    ) -> Completion:
        ep = self.endpoint
        last = ""
        for attempt in range(ep.max_retries + 1):
            if cancel is not None and cancel.is_set():
                raise _Cancelled()
            if attempt:
                self.usage._add(retries=1)
            delay: float | None = None
            t0 = time.monotonic()
            self.usage._begin()
            try:
                resp = self._oa.chat.completions.create(model=self.model, messages=messages, **params)
                text, finish = _parse(resp)
            except openai.RateLimitError as e:
                last, delay = f"rate limited (429): {_status_msg(e)}", _retry_after(e)
            except openai.APITimeoutError:
                last = f"no reply within {ep.timeout_s:g}s"
            except openai.APIConnectionError as e:
                last = f"connection failed: {_cause(e)}"
            except (openai.AuthenticationError, openai.PermissionDeniedError) as e:
                raise EndpointError(
                    f"endpoint {self.url} refused our key ({_status_msg(e)}); set ${ep.api_key_env}"
                ) from None
            except openai.NotFoundError as e:
                raise EndpointError(
                    f"model '{self.model}' not found at {self.url}: {_status_msg(e)}"
                ) from None
            except (openai.BadRequestError, openai.UnprocessableEntityError) as e:
                # This request only (prompt too long, bad parameter for this model): record, go on.
                self.usage._add(rejected=1)
                return Completion(text="", request_error=f"HTTP {e.status_code}: {_status_msg(e)}")
            except openai.APIStatusError as e:
                if e.status_code < 500 and e.status_code not in (408, 409):
                    raise EndpointError(
                        f"endpoint {self.url} answered HTTP {e.status_code}: {_status_msg(e)}"
                    ) from None
                last = f"HTTP {e.status_code}: {_status_msg(e)}"
            except (_Malformed, ValueError, AttributeError, TypeError) as e:
                last = f"malformed reply ({e if isinstance(e, _Malformed) else type(e).__name__})"
            else:
                usage = getattr(resp, "usage", None)
                pt = int(getattr(usage, "prompt_tokens", 0) or 0)
                ct = int(getattr(usage, "completion_tokens", 0) or 0)
                self.usage._add(requests=1, prompt_tokens=pt, completion_tokens=ct)
                return Completion(
                    text=text,
                    finish_reason=finish,
                    prompt_tokens=pt,
                    completion_tokens=ct,
                    latency_s=time.monotonic() - t0,
                )
            finally:
                self.usage._end()
            if attempt < ep.max_retries:
                pause = self._backoff(attempt, delay)
                if cancel is not None:
                    if cancel.wait(pause):
                        raise _Cancelled()
                else:
                    time.sleep(pause)
        raise EndpointError(f"endpoint {self.url} failed after {ep.max_retries + 1} attempts: {last}")

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        ep = self.endpoint
        base = ep.backoff_s * (2**attempt)
        if retry_after is not None:
            base = max(base, retry_after)
        # Jitter spreads out threads that were throttled together.
        return min(ep.max_backoff_s, base) * (0.75 + 0.5 * random.random())

    # ------------------------------------------------------------------ many completions
    def map(self, requests: Iterable[ChatRequest]) -> Iterator[tuple[ChatRequest, Completion]]:
        """Complete every request, `concurrency` at a time, yielding in completion order.

        Requests are pulled lazily, so a caller can stream millions. The first
        EndpointError stops the rest and is raised; finished completions are already
        in the cache, so a rerun resumes from there. Workers are daemon threads and
        are told to stop when the caller goes away (error, Ctrl-C, early break), so an
        interrupted run exits at once instead of waiting out in-flight requests.
        """
        it = iter(requests)
        ep = self.endpoint
        gov = Governor(ep.concurrency or ADAPTIVE_START, ep.concurrency or ep.max_concurrency,
                       fixed=ep.concurrency is not None)
        self.governor = gov
        width = gov.ceiling
        _ = self.model  # resolve once, before threads race for it
        todo: queue.Queue = queue.Queue()
        done: queue.Queue = queue.Queue()
        cancel = threading.Event()

        def worker() -> None:
            while True:
                req = todo.get()
                if req is None or cancel.is_set():
                    return
                retries = self.usage.retries
                try:
                    comp = self.complete(req.messages, req.sample_index, req.sampling, cancel=cancel)
                    if not comp.cached:
                        gov.record(comp.latency_s, congested=self.usage.retries > retries)
                    done.put((req, comp, None))
                except BaseException as e:  # noqa: BLE001 - handed to the consumer
                    done.put((req, None, e))

        threads = [
            threading.Thread(target=worker, daemon=True, name=f"codesynth-llm-{i}") for i in range(width)
        ]
        for t in threads:
            t.start()
        in_flight = 0
        answered = rejected = 0
        first_error = ""
        try:
            exhausted = False
            while True:
                while not exhausted and in_flight < gov.limit:
                    try:
                        todo.put(next(it))
                        in_flight += 1
                    except StopIteration:
                        exhausted = True
                if in_flight == 0:
                    if answered and rejected == answered:
                        raise EndpointError(
                            f"endpoint {self.url} rejected every request ({rejected} of {answered}): {first_error}"
                        )
                    return
                try:
                    req, comp, err = done.get(timeout=0.5)
                except queue.Empty:
                    continue
                in_flight -= 1
                if err is not None:
                    if isinstance(err, _Cancelled):
                        continue
                    raise err
                answered += 1
                if comp.request_error is not None:
                    rejected += 1
                    first_error = first_error or comp.request_error
                if rejected == answered == REJECT_ALL_AFTER:
                    # Every request so far was refused: that is a configuration error (wrong
                    # model, parameters the endpoint does not take), not a weak model.
                    raise EndpointError(
                        f"endpoint {self.url} rejected every request ({rejected} of {answered}): {first_error}"
                    )
                yield req, comp
        finally:
            cancel.set()
            for _ in threads:
                todo.put(None)


def _parse(resp: Any) -> tuple[str, str | None]:
    choices = getattr(resp, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise _Malformed("no choices")
    msg = getattr(choices[0], "message", None)
    if msg is None:
        raise _Malformed("no message")
    content = getattr(msg, "content", None)
    if content is not None and not isinstance(content, str):
        raise _Malformed("content is not text")
    return content or "", getattr(choices[0], "finish_reason", None)


def _status_msg(e: openai.APIStatusError) -> str:
    body = e.body
    msg = None
    if isinstance(body, dict):
        err = body.get("error")
        msg = err.get("message") if isinstance(err, dict) else body.get("message")
    return str(msg or getattr(e, "message", None) or e)[:300]


def _cause(e: BaseException) -> str:
    # httpx wraps the socket error; the innermost message is the useful one.
    while e.__cause__ is not None:
        e = e.__cause__
    text = str(e) or type(e).__name__
    return text.split("] ", 1)[-1] if text.startswith("[Errno") else text


def _retry_after(e: openai.APIStatusError) -> float | None:
    try:
        v = e.response.headers.get("retry-after")
        return float(v) if v is not None else None
    except (ValueError, AttributeError):
        return None
