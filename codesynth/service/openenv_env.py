"""The code episode environment served at /openenv with OpenEnv's own server (`openenv` 0.10).

OpenEnv's `create_fastapi_app` gives the protocol (the `/ws` WebSocket sessions its
`GenericEnvClient` speaks, HTTP `/reset` `/step` `/state` `/schema` `/health`); this module gives
it an `Environment` whose episodes are the library's (codesynth.verifiers.environment), each
test run going through the service's admission control onto the one warm pool.

`reset(task_id=ID)` starts an episode on that problem of the served set (its observation holds
the prompt); `step({"code": REPLY})` takes the model's whole reply, fenced or bare, and answers
the public tests' feedback, `done`, and when done the final reward (all tests). A request we
cannot serve (an unknown task, a step before reset or after the end, a bad action) is one line:
an OpenEnv error frame over the WebSocket, HTTP 422 over HTTP.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from typing import Any

from openenv.core.env_server.http_server import create_fastapi_app
from openenv.core.env_server.interfaces import Environment
from openenv.core.env_server.types import Action, ConcurrencyConfig, State
from openenv.core.env_server.types import Observation as OpenEnvObservation
from pydantic import ConfigDict, Field, create_model

from codesynth.errors import CodesynthError
from codesynth.models import Problem
from codesynth.verifiers.environment import CodeEpisode, Policy
from codesynth.verifiers.environment.records import Observation as EpisodeObservation
from codesynth.verifiers.scoring import Runner

log = logging.getLogger("codesynth.service.openenv")


class EpisodeRequestError(ValueError):
    """A reset/step this server cannot serve as given: the message is the whole answer."""


class CodeAction(Action):
    """`{"code": REPLY}`: the model's whole reply (a fenced block or bare code)."""

    # Checked in step(): a missing or misnamed field gets one line naming it, not a schema dump.
    model_config = ConfigDict(extra="allow", validate_assignment=True)

    code: str | None = Field(default=None, description="Required: the model's whole reply (fenced or bare).")
    task_id: str | None = Field(default=None, description="HTTP /step only (it has no session): a one-turn "
                                "episode on this task.")


# The wire observation: the episode's own fields (one definition, in the library), on OpenEnv's base.
CodeObservation = create_model(
    "CodeObservation", __base__=OpenEnvObservation,
    **{name: (f.annotation, f) for name, f in EpisodeObservation.model_fields.items() if name not in ("done", "reward")},
)


class EpisodeHost:
    """What every session shares: the served problems, the policy, the runner (admission control)."""

    def __init__(self, problems: Sequence[Problem], runner: Runner, policy: Policy | None = None,
                 source: str = "the served set", recorder: Any = None):
        self.problems = {p.id: p for p in problems}
        self.runner, self.policy, self.source, self.recorder = runner, policy or Policy(), source, recorder
        self.ids = itertools.count()
        self.open = 0  # sessions holding an environment (for /v1/stats)
        self.episodes = 0

    def problem(self, task_id: Any) -> Problem:
        if not isinstance(task_id, str) or not task_id:
            raise EpisodeRequestError("reset needs task_id: the id of a problem of the served set "
                                      f"({len(self.problems)} problems from {self.source}), e.g. "
                                      f"reset(task_id={next(iter(self.problems), 'ID')!r})")
        p = self.problems.get(task_id)
        if p is None:
            near = ", ".join(repr(i) for i in itertools.islice(self.problems, 3))
            raise EpisodeRequestError(f"unknown task_id {task_id!r}: not in the served set ({len(self.problems)} "
                                      f"problems from {self.source}; e.g. {near})")
        return p

    def episode(self, problem: Problem) -> CodeEpisode:
        self.episodes += 1
        return CodeEpisode(problem, run=self.runner, policy=self.policy, recorder=self.recorder,
                           episode_id=f"openenv-{next(self.ids)}")


def _wire(obs: EpisodeObservation) -> OpenEnvObservation:
    return CodeObservation(**obs.model_dump())


class CodeEnvironment(Environment):
    """One session's environment: at most one episode at a time (a reset starts a new one)."""

    SUPPORTS_CONCURRENT_SESSIONS = True  # episodes share nothing but the pool, which admission guards

    def __init__(self, host: EpisodeHost):
        super().__init__()
        self.host = host
        self.episode: CodeEpisode | None = None
        self.last: EpisodeObservation | None = None
        self._closed = False
        host.open += 1

    async def reset_async(self, seed: int | None = None, episode_id: str | None = None, task_id: Any = None,
                          **kwargs: Any) -> OpenEnvObservation:
        if kwargs:
            raise EpisodeRequestError(f"reset takes task_id (and OpenEnv's seed, episode_id), not "
                                      f"{', '.join(sorted(kwargs))}")
        self.episode = self.host.episode(self.host.problem(task_id))
        self.last = await _guarded(self.episode.areset())
        return _wire(self.last)

    async def step_async(self, action: CodeAction, timeout_s: float | None = None, **kwargs: Any) -> OpenEnvObservation:
        reply = _reply_of(action)
        if self.episode is None:
            if action.task_id is None:
                raise EpisodeRequestError("step before reset: call reset(task_id=ID) first (over HTTP, which keeps "
                                          "no session, put task_id in the action for a one-turn episode)")
            # HTTP /step: a fresh environment per request, so the episode is this one turn.
            self.episode = self.host.episode(self.host.problem(action.task_id))
            self.episode.policy = self.episode.policy.model_copy(update={"max_turns": 1})
            await _guarded(self.episode.areset())
        elif self.last is not None and self.last.done:
            raise EpisodeRequestError("the episode is over (done): call reset(task_id=ID) to start another")
        self.last = await _guarded(self.episode.astep(reply))
        return _wire(self.last)

    def reset(self, seed=None, episode_id=None, **kwargs):  # OpenEnv calls the async forms (overridden)
        raise NotImplementedError("served asynchronously: reset_async")

    def step(self, action, timeout_s=None, **kwargs):
        raise NotImplementedError("served asynchronously: step_async")

    @property
    def state(self) -> State:
        ep = self.last
        return State(episode_id=ep.episode_id if ep else None, step_count=ep.turn if ep else 0,
                     problem_id=ep.problem_id if ep else None, done=ep.done if ep else None)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.host.open -= 1


def _reply_of(action: Action) -> str:
    extra = sorted((action.model_extra or {}).keys())
    code = getattr(action, "code", None)
    if extra or not isinstance(code, str):
        got = f"; got {', '.join(extra)}" if extra else ""
        raise EpisodeRequestError(f'step takes {{"code": REPLY}}: the model\'s whole reply as a string{got}')
    return code


async def _guarded(coro):
    """The episode's own failures reach the client as one line that names no test (a private
    test's text must never travel in an error); ours (a request we cannot serve) as they are."""
    try:
        return await coro
    except (EpisodeRequestError, CodesynthError):
        raise
    except Exception as e:  # noqa: BLE001 - logged by type only: a message could quote a private test
        log.warning("openenv: an episode failed (%s)", type(e).__name__)
        raise RuntimeError(f"the episode failed on the server ({type(e).__name__}); start another with reset") from None


def create_openenv_app(host: EpisodeHost, sessions: int):
    """OpenEnv's FastAPI app over `host` (mount it; the WebSocket at its /ws)."""
    from fastapi import Request
    from fastapi.responses import JSONResponse

    def factory() -> CodeEnvironment:
        return CodeEnvironment(host)

    factory.__name__ = "CodeEnvironment"
    app = create_fastapi_app(factory, CodeAction, CodeObservation, env_name="codesynth",
                             concurrency_config=ConcurrencyConfig(max_concurrent_envs=sessions),
                             mode="simulation")

    @app.exception_handler(EpisodeRequestError)
    async def _bad(request: Request, exc: EpisodeRequestError):
        return JSONResponse(status_code=422, content={"detail": str(exc)})

    @app.exception_handler(RuntimeError)
    async def _failed(request: Request, exc: RuntimeError):
        return JSONResponse(status_code=500, content={"detail": str(exc)})

    return app
