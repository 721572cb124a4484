"""The FastAPI application: a thin HTTP shell over a started Backend (the warm pool).

Routes: SandboxFusion's `POST /run_code` and `GET /v1/ping`; the native batch API
`POST /v1/verify` (NDJSON in completion order) and `POST /v1/score`; OpenRLHF's remote reward
model `POST /openrlhf/reward`; `GET /v1/stats`, `GET /metrics` (Prometheus), `/openapi.json`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest

from codesynth import __version__
from codesynth.errors import DataError, InputError, SandboxUnavailable
from codesynth.models import Candidate, ExecutionResult, Limits, Problem, Status
from codesynth.sandbox.backend import Backend, BackendClosed, ExecRequest
from codesynth.service import fusion
from codesynth.service.admission import Admission, Overloaded
from codesynth.service.config import ServeConfig
from codesynth.service.guard import Guard
from codesynth.service.native import (
    OpenRLHFRequest,
    OpenRLHFResponse,
    ScoreRequest,
    ScoreResponse,
    VerifyLine,
    VerifyRequest,
)
from codesynth.verifiers.adapters import openrlhf as openrlhf_reward
from codesynth.verifiers.adapters.specs import problem_from_spec
from codesynth.verifiers.rewards import get_scheme
from codesynth.verifiers.scoring import (
    DEFAULT_SCHEME,
    ascore_pairs,
    candidate_for,
    check_problem,
    request_for,
    reward_for,
)
from codesynth.verifiers.time_limits import ReferenceTimes

ROUTES = ("/run_code", "/v1/ping", "/v1/verify", "/v1/score", "/openrlhf/reward", "/v1/stats", "/metrics",
          "/openapi.json", "/docs", "/openenv/ws", "/openenv/reset", "/openenv/step")


class FieldError(Exception):
    """A request that parsed but cannot be served as given: 422 naming the field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def _describe(errors: Sequence[dict]) -> str:
    e = errors[0]
    loc = [str(x) for x in e.get("loc", ()) if x != "body"]
    msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
    return f"field '{'.'.join(loc) or 'body'}': {msg}"


_JSON_KINDS = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number",
               float: "a number", type(None): "null"}


def body_problem(errors: Sequence[dict], content_type: str | None) -> tuple[int, str] | None:
    """When the body as a whole is unusable (not JSON, not sent as JSON, empty, not an object):
    (status, one line naming the cause), for every JSON route alike; None for field errors."""
    whole = [e for e in errors if tuple(e.get("loc", ()))[:1] == ("body",)]
    for e in whole:
        if e.get("type") == "json_invalid":
            at = e["loc"][1] if len(e["loc"]) > 1 else "?"
            why = (e.get("ctx") or {}).get("error", "malformed")
            return 422, f"request body: not valid JSON ({why} at character {at})"
    for e in whole:
        if len(e["loc"]) != 1:
            continue
        media = (content_type or "").split(";")[0].strip().lower()
        if media != "application/json" and not media.endswith("+json"):
            sent = f"Content-Type '{media}'" if media else "no Content-Type"
            return 415, (f"request body: sent with {sent}; send a JSON object with "
                         f"'Content-Type: application/json'")
        if e.get("type") == "missing":
            return 422, "request body: empty; send a JSON object"
        kind = _JSON_KINDS.get(type(e.get("input")), "not an object")
        return 422, f"request body: {kind}; send a JSON object"
    return None


def create_app(config: ServeConfig, backend: Backend, problems: Sequence[Problem] = (),
               close_backend: bool = False, env_problems: Sequence[Problem] = ()) -> FastAPI:
    """The app over a started `backend`. `close_backend`: close it when the server shuts down
    (after in-flight requests have drained). `env_problems`: the episode environment's set,
    mounted at /openenv (OpenEnv's protocol; needs the `openenv` package)."""
    adm = Admission(backend, config.queue_size)
    pool = config.limits
    preloaded = {p.id: p for p in problems}
    host = None  # the episode environment, when env_problems are served
    times = ReferenceTimes()  # the server's: a problem's reference runs once, whichever request brings it
    ids = itertools.count()
    # What was asked for (--languages), of what the image has: the same answers whichever
    # covering image this machine happens to hold.
    served = backend.served_languages() & set(config.languages)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        adm.close()
        if host is not None:
            host.close()  # the run directory's files (--env-out)
        if close_backend:
            await asyncio.get_running_loop().run_in_executor(None, backend.close)

    app = FastAPI(title="codesynth sandbox service", version=__version__, lifespan=lifespan,
                  description="SandboxFusion-compatible /run_code plus codesynth's batch verify/score API.")
    app.state.admission = adm

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        whole = body_problem(exc.errors(), request.headers.get("content-type"))
        if whole is not None:
            return JSONResponse(status_code=whole[0], content={"detail": whole[1], "message": whole[1]})
        # Not echoing the input back: it may be megabytes, or text JSON can carry and UTF-8 cannot.
        errors = jsonable_encoder([{k: v for k, v in e.items() if k not in ("input", "ctx")} for e in exc.errors()])
        return JSONResponse(status_code=422, content={"detail": errors, "message": _describe(errors)})

    @app.exception_handler(FieldError)
    async def _field(request: Request, exc: FieldError):
        return JSONResponse(status_code=422, content={
            "detail": [{"loc": ["body", *exc.field.split(".")], "msg": exc.message, "type": "value_error"}],
            "message": f"field '{exc.field}': {exc.message}"})

    @app.exception_handler(SandboxUnavailable)
    async def _unavailable(request: Request, exc: SandboxUnavailable):
        # The engine went away (or the server is shutting down): ours, not the program's.
        return JSONResponse(status_code=503, content={"detail": str(exc)})

    @app.exception_handler(BackendClosed)
    async def _closed(request: Request, exc: BackendClosed):
        return JSONResponse(status_code=503, content={"detail": "the server is shutting down"})

    @app.exception_handler(Overloaded)
    async def _overloaded(request: Request, exc: Overloaded):
        # 504: what verl retries. The program never started, so nothing was charged to it.
        return JSONResponse(status_code=504, content={"detail": str(exc)})

    # ------------------------------------------------------------------ SandboxFusion

    @app.get("/v1/ping")
    async def ping() -> str:
        return "pong"

    @app.post("/run_code", response_model=fusion.RunCodeResponse, response_model_exclude_none=False)
    async def run_code(req: fusion.RunCodeRequest) -> fusion.RunCodeResponse:
        for name in ("run_timeout", "compile_timeout"):
            if getattr(req, name) > config.max_timeout_s:
                raise FieldError(name, f"at most {config.max_timeout_s:g} s on this server")
        language = fusion.LANGUAGES[req.language]
        if language not in served:
            # Ours, and not the program's: a SandboxError would read as an infrastructure hiccup to retry.
            raise FieldError("language", f"{req.language!r} is not served here: this server runs "
                             f"{', '.join(sorted(served))} ({backend.describe()}); start it with "
                             f"`codesynth serve --languages {language}` (or `--languages all`)")
        size = sum(len(c or "") * 3 // 4 for c in req.files.values())
        if size > config.max_files_bytes:
            raise FieldError("files", f"{size} bytes in total; at most {config.max_files_bytes} on this server")
        limits, lowered = fusion.effective_limits(req, pool)
        ereq = fusion.to_exec_request(req, limits, f"run-{next(ids)}", config.max_files_bytes,
                                      config.language_modes)
        res, waited = await adm.run(ereq, config.queue_timeout_s)
        if res.status is Status.error and res.error_type == "FileSetup":
            raise FieldError("files", res.error_message or "could not be written")
        extra: dict[str, Any] = {"queue_s": round(waited, 6)}
        if lowered:
            extra["note"] = f"memory_limit_MB {req.memory_limit_MB} is above this server's {pool.memory_mb} MB: ran with {pool.memory_mb}"
        return fusion.to_response(res, extra, req.unfetchable())

    # ------------------------------------------------------------------ native batch API

    def limits_for(lim: Limits | None) -> Limits:
        if lim is None:
            return pool
        for name in ("memory_mb", "output_bytes", "pids", "scratch_mb", "open_files"):
            if getattr(lim, name) > getattr(pool, name):
                raise FieldError(f"limits.{name}", f"at most {getattr(pool, name)} on this server")
        if lim.timeout_s > config.max_timeout_s:
            raise FieldError("limits.timeout_s", f"at most {config.max_timeout_s:g} on this server")
        return lim.model_copy(update={"cpus": pool.cpus})

    async def timed(problems: Iterable[Problem], base: Limits, auto: bool | None) -> Callable[[Problem], Limits]:
        """Each problem's limits: `base`, or with timeout auto (the request's choice, else the
        server's) its own time limit from its reference's run, measured here once."""
        if not (config.timeout_auto if auto is None else auto):
            return lambda p: base
        await times.ameasure(problems, base, run_many)
        return lambda p: times.limits_for(p, base)

    def scheme_ok(spec: str) -> str:
        try:
            get_scheme(spec)
        except InputError as e:
            raise FieldError("reward_scheme", str(e)) from None
        return spec

    async def run_many(reqs: Sequence[ExecRequest]) -> AsyncIterator[tuple[int, ExecutionResult]]:
        """Every request, at most `capacity` waiting or running at once (so a big batch takes
        turns with single requests instead of queueing ahead of them); completion order."""
        out: asyncio.Queue = asyncio.Queue()
        todo = iter(enumerate(reqs))

        async def worker() -> None:
            try:
                for i, r in todo:
                    res, _ = await adm.run(r, None, bounded=False)
                    await out.put((i, res))
            except BaseException as e:  # noqa: BLE001 - handed to the stream
                await out.put(e)
            finally:
                await out.put(None)

        tasks = [asyncio.create_task(worker()) for _ in range(max(1, min(adm.capacity, len(reqs))))]
        finished = 0
        try:
            while finished < len(tasks):
                item = await out.get()
                if item is None:
                    finished += 1
                elif isinstance(item, BaseException):
                    raise item
                else:
                    yield item
        finally:
            for t in tasks:
                t.cancel()

    @app.post("/v1/verify", response_class=StreamingResponse,
              responses={200: {"description": "NDJSON: one VerifyLine per candidate, in completion order",
                               "content": {"application/x-ndjson": {"schema": VerifyLine.model_json_schema()}}}})
    async def verify(req: VerifyRequest) -> StreamingResponse:
        scheme = scheme_ok(req.reward_scheme)
        limits = limits_for(req.limits)
        sent = {p.id: p for p in req.problems}
        for i, p in enumerate(req.problems):
            data_error(f"problems.{i}", lambda p=p: check_problem(p))
        pairs, trust = [], []
        for i, c in enumerate(req.candidates):
            p = sent.get(c.problem_id) or preloaded.get(c.problem_id)
            if p is None:
                raise FieldError(f"candidates.{i}.problem_id", f"unknown problem '{c.problem_id}' (send it in "
                                 "'problems' or start the server with --problems)")
            pairs.append((p, c))
            trust.append(req.trust_tests if c.problem_id in sent else True)

        limits_of = await timed([p for p, _ in pairs], limits, req.timeout_auto)

        async def lines() -> AsyncIterator[bytes]:
            # Streamed in completion order, each verdict judged by the one scoring path.
            try:
                async for i, res in run_many([request_for(p, c, limits_of(p), trusted_tests=t)
                                              for (p, c), t in zip(pairs, trust, strict=True)]):
                    judged, rew = reward_for(*pairs[i], res, scheme)
                    yield (VerifyLine(result=judged, reward=rew).model_dump_json() + "\n").encode()
            except Exception as e:  # noqa: BLE001 - the status line is gone: say it in the stream
                yield (json.dumps({"error": f"{type(e).__name__}: {e}"}) + "\n").encode()

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    async def score_pairs(pairs: list[tuple[Problem, Candidate]], limits: Limits, scheme: str, auto: bool | None):
        limits_of = await timed([p for p, _ in pairs], limits, auto)
        return [rec for _, rec in await ascore_pairs(pairs, scheme=scheme, limits=limits, run=run_many,
                                                     limits_for=limits_of)]

    def data_error(field: str, fn):
        """A data bug is the request's (422 naming the field), never a reward."""
        try:
            return fn()
        except (DataError, ValueError) as e:
            raise FieldError(field, str(e)) from None

    def column(req: ScoreRequest, name: str) -> list[Any] | None:
        v = getattr(req, name)
        if v is not None and len(v) != len(req.completions):
            raise FieldError(name, f"has {len(v)} entries for {len(req.completions)} completions")
        return v

    @app.post("/v1/score", response_model=ScoreResponse)
    async def score(req: ScoreRequest) -> ScoreResponse:
        scheme = scheme_ok(req.reward_scheme)
        limits = limits_for(req.limits)
        ids_, specs, tests, eps, prompts = (column(req, n) for n in ("problem_id", "problem", "tests",
                                                                     "entry_point", "prompts"))
        pairs = []
        for i, comp in enumerate(req.completions):
            pid = ids_[i] if ids_ else None
            prompt = prompts[i] if prompts and isinstance(prompts[i], str) else ""
            try:
                if pid is not None and pid in preloaded:
                    p = preloaded[pid]
                elif specs is not None:
                    p = problem_from_spec(specs[i], prompt=prompt, problem_id=pid)
                elif tests is not None:
                    p = problem_from_spec(tests[i], prompt=prompt, entry_point=eps[i] if eps else None,
                                          problem_id=pid)
                else:
                    raise FieldError(f"problem_id.{i}" if pid else "problem",
                                     f"row {i} names no known problem: send 'problem' or 'tests', or preload "
                                     "the set with --problems")
            except ValueError as e:
                raise FieldError(f"{'problem' if specs is not None else 'tests'}.{i}", str(e)) from None
            p = data_error(f"{'problem' if specs is not None else 'tests'}.{i}", lambda p=p: check_problem(p))
            pairs.append((p, candidate_for(p, comp, i, "score")))
        recs = await score_pairs(pairs, limits, scheme, req.timeout_auto)
        return ScoreResponse(rewards=[None if r.status is Status.sandbox_error else r.reward for r in recs],
                             records=recs)

    @app.post("/openrlhf/reward", response_model=OpenRLHFResponse)
    async def openrlhf(req: OpenRLHFRequest) -> OpenRLHFResponse:
        try:
            items = openrlhf_reward.items(req.query, req.prompts, req.labels, preloaded)
        except ValueError as e:
            raise FieldError("labels", str(e)) from None
        pairs = [(p, candidate_for(p, text, i, "openrlhf")) for i, (p, text) in enumerate(items)]
        # the same default scheme as every other path (was hard-coded binary here); the request may name one
        recs = await score_pairs(pairs, pool, scheme_ok(req.reward_scheme or DEFAULT_SCHEME), req.timeout_auto)
        return OpenRLHFResponse(**openrlhf_reward.result(recs))

    # ------------------------------------------------------------------ the episode environment

    if env_problems:
        from codesynth.service.openenv_env import EpisodeHost, create_openenv_app
        from codesynth.service.sessions import IdleTimeout
        from codesynth.verifiers.environment import Policy

        # Every episode's test runs take turns with /run_code and the batches through admission.
        policy = Policy(max_turns=config.env_turns, scheme=config.env_reward, feedback=config.env_feedback)
        host = EpisodeHost(env_problems, run_many, pool, policy, source=config.env or "the served set",
                           out=config.env_out)
        app.mount("/openenv", IdleTimeout(create_openenv_app(host, config.env_sessions), config.env_idle_timeout_s))
        Gauge("codesynth_env_sessions", "OpenEnv sessions open (/openenv)", registry=adm.registry).set_function(
            lambda: host.open)
        Gauge("codesynth_env_episodes", "Episodes started (/openenv)", registry=adm.registry).set_function(
            lambda: host.episodes)

    # ------------------------------------------------------------------ observability

    @app.get("/v1/stats")
    async def stats() -> dict:
        out = {**adm.stats(), "languages": sorted(served), "sandbox": backend.describe()}
        if host is not None:
            out["sessions"] = {"open": host.open, "max": config.env_sessions, "episodes": host.episodes}
        return out

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(adm.registry), media_type=CONTENT_TYPE_LATEST)

    def count(path: str, code: int) -> None:
        adm.m_requests.labels(path if path in ROUTES else "other", str(code)).inc()

    # The guard wraps everything, FastAPI's own error handling included.
    app.add_middleware(Guard, token=config.token, max_body=config.max_body_bytes, count=count)
    return app
