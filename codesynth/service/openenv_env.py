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

import logging
from collections.abc import Sequence
from typing import Any

from openenv.core.env_server.http_server import create_fastapi_app
from openenv.core.env_server.interfaces import Environment
from openenv.core.env_server.types import Action, ConcurrencyConfig, State
from openenv.core.env_server.types import Observation as OpenEnvObservation
from pydantic import ConfigDict, Field, create_model

from codesynth.errors import CodesynthError, SandboxUnavailable
from codesynth.models import Limits, Problem
from codesynth.pipeline.environment import code_environment
from codesynth.verifiers.environment import CodeEnvironment, Episode, Policy
from codesynth.verifiers.environment.records import Observation as EpisodeObservation
from codesynth.verifiers.scoring import Runner

log = logging.getLogger("codesynth.service.openenv")


class EpisodeRequestError(ValueError):
    """A reset/step this server cannot serve as given: the message is the whole answer."""


class EpisodeFailed(RuntimeError):
    """The episode broke on the server (not the request's fault); the message names no test."""


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
    """What every session shares: the library's environment over the served problems (posed as
    `synth` poses them), its test runs going through `runner` (the service's admission control)."""

    def __init__(self, problems: Sequence[Problem], runner: Runner, limits: Limits, policy: Policy | None = None,
                 source: str = "the served set", out: str | None = None):
        self.env = code_environment(list(problems), run=runner, limits=limits, policy=policy, out=out)
        # HTTP /step keeps no session: its episode is one turn (same problems, same recorder).
        self.one_turn = CodeEnvironment(self.env.problems, run=runner, limits=limits, pose=self.env.pose,
                                        policy=self.env.policy.model_copy(update={"max_turns": 1}))
        self.one_turn.recorder = self.env.recorder
        self.source = source
        self.open = 0  # sessions holding an environment (for /v1/stats)
        self.episodes = 0

    def episode(self, task_id: Any, one_turn: bool = False) -> Episode:
        if not isinstance(task_id, str) or not task_id:
            raise EpisodeRequestError("reset needs task_id: the id of a problem of the served set "
                                      f"({len(self.env.problems)} problems from {self.source}), e.g. "
                                      f"reset(task_id={next(iter(self.env.problems), 'ID')!r})")
        episode = (self.one_turn if one_turn else self.env).episode(task_id)  # DataError names an unknown id
        self.episodes += 1
        return episode

    def close(self) -> None:
        self.env.close()


def _wire(obs: EpisodeObservation) -> OpenEnvObservation:
    return CodeObservation(**obs.model_dump())


class EpisodeSession(Environment):
    """One session's environment: at most one episode at a time (a reset starts a new one)."""

    SUPPORTS_CONCURRENT_SESSIONS = True  # episodes share nothing but the pool, which admission guards

    def __init__(self, host: EpisodeHost):
        super().__init__()
        self.host = host
        self.episode: Episode | None = None
        self.last: EpisodeObservation | None = None
        self._closed = False
        host.open += 1

    async def reset_async(self, seed: int | None = None, episode_id: str | None = None, task_id: Any = None,
                          **kwargs: Any) -> OpenEnvObservation:
        if kwargs:
            raise EpisodeRequestError(f"reset takes task_id (and OpenEnv's seed, episode_id), not "
                                      f"{', '.join(sorted(kwargs))}")
        self.episode = self.host.episode(task_id)
        self.last = await _guarded(self.episode.areset(episode_id))
        return _wire(self.last)

    async def step_async(self, action: CodeAction, timeout_s: float | None = None, **kwargs: Any) -> OpenEnvObservation:
        reply = _reply_of(action)
        if self.episode is None:
            if action.task_id is None:
                raise EpisodeRequestError("step before reset: this session holds no episode (a new connection, or "
                                          "the server closed an idle one: --env-idle-timeout); call reset(task_id=ID) "
                                          "first (over HTTP, which keeps no session, put task_id in the action for a "
                                          "one-turn episode)")
            self.episode = self.host.episode(action.task_id, one_turn=True)
            await _guarded(self.episode.areset())
        self.last = await _guarded(self.episode.astep(reply))  # after the end: InputError says so
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
        raise EpisodeFailed(f"the episode failed on the server ({type(e).__name__}); start another with reset") from None


def create_openenv_app(host: EpisodeHost, sessions: int):
    """OpenEnv's FastAPI app over `host` (mount it; the WebSocket at its /ws)."""
    from fastapi import Request
    from fastapi.responses import JSONResponse

    def factory() -> EpisodeSession:
        return EpisodeSession(host)

    factory.__name__ = "EpisodeSession"
    app = create_fastapi_app(factory, CodeAction, CodeObservation, env_name="codesynth",
                             concurrency_config=ConcurrencyConfig(max_concurrent_envs=sessions),
                             mode="simulation")

    # Over HTTP the same one line as over the WebSocket (OpenEnv's handlers would answer 500).
    @app.exception_handler(EpisodeRequestError)
    @app.exception_handler(CodesynthError)
    @app.exception_handler(EpisodeFailed)
    async def _one_line(request: Request, exc: Exception):
        code = 503 if isinstance(exc, SandboxUnavailable) else 500 if isinstance(exc, EpisodeFailed) else 422
        return JSONResponse(status_code=code, content={"detail": str(exc)})

    return app
