"""The code environment: a problem set, a backend, a policy; it makes episodes by problem id.

One object serves many episodes (a trainer's batch, a server's sessions) over one backend: the
shared pool of codesynth.verifiers.pool unless given another, or an async `run` (a server's
admission-controlled pool, `scoring.Runner`). Problems are held here and loaded by id, so a
trainer's dataset rows carry ids and never tests.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from codesynth.errors import DataError
from codesynth.jsonl import describe_validation_error
from codesynth.models import Candidate, ExecutionResult, Limits, Problem
from codesynth.sandbox.backend import Backend
from codesynth.verifiers.adapters.specs import load_problem_index
from codesynth.verifiers.environment.episode import Episode, Pose, default_pose
from codesynth.verifiers.environment.policy import Policy
from codesynth.verifiers.environment.recorder import EpisodeRecorder
from codesynth.verifiers.environment.records import EpisodeTurn
from codesynth.verifiers.execution import run_pairs
from codesynth.verifiers.scoring import Runner, check_problem, request_for, thread_runner


class CodeEnvironment:
    """Episodes on the problems of `problems` (Problems, a mapping by id, or a problem-set path).

    `backend`: where programs run (default: the shared pool, `codesynth.verifiers.pool`); `run`:
    an async runner for `astep` (default: the backend's, on threads). `out`: a run directory every
    turn is recorded in (episodes.jsonl, and the final programs' verdicts). `pose`: the chat
    messages that pose a problem (default: its prompt as one user turn;
    `codesynth.pipeline.environment.code_environment` poses it as `synth` does).
    """

    def __init__(self, problems: Sequence[Problem] | Mapping[str, Problem] | str | os.PathLike, *,
                 policy: Policy | None = None, backend: Backend | None = None, run: Runner | None = None,
                 limits: Limits | None = None, out: str | os.PathLike | None = None, pose: Pose | None = None):
        self.problems = load_problem_index(problems if not isinstance(problems, Path) else str(problems))
        if not self.problems:
            raise DataError("code environment: no problems given")
        self.policy = policy or Policy()
        self.limits = limits or Limits()
        self.pose = pose or default_pose
        self._backend = backend
        self._run = run
        self._lock = threading.Lock()
        self.recorder = EpisodeRecorder(out, list(self.problems.values()), self.policy.scheme) if out else None

    def episode(self, problem_id: str, episode_id: str | None = None) -> Episode:
        """A new episode on problem `problem_id` (DataError naming it when it is not in the set)."""
        problem = self.problems.get(str(problem_id))
        if problem is None:
            known = ", ".join(sorted(self.problems)[:5])
            raise DataError(f"code environment: unknown problem '{problem_id}' ({len(self.problems)} loaded, "
                            f"e.g. {known})")
        return Episode(self, check_problem(problem), episode_id)

    # ------------------------------------------------------------------ execution, through scoring

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            from codesynth.verifiers import pool

            with self._lock:
                self._backend = self._backend or pool.get_backend()
        return self._backend

    def run(self, pairs: Sequence[tuple[Problem, Candidate]]) -> list[ExecutionResult]:
        """Raw verdicts, in order (judged by the caller through `scoring.reward_for`)."""
        return run_pairs(pairs, self.backend, self.limits)

    async def arun(self, pairs: Sequence[tuple[Problem, Candidate]]) -> list[ExecutionResult]:
        run = self._run or thread_runner(self.backend)
        reqs = [request_for(p, c, self.limits) for p, c in pairs]
        out: list[Any] = [None] * len(reqs)
        async for i, res in run(reqs):
            out[i] = res
        return out

    # ------------------------------------------------------------------ records

    def record(self, turn: EpisodeTurn, candidate: Candidate, final: ExecutionResult | None) -> None:
        if self.recorder is None:
            return
        self.recorder.turn(turn)
        if final is not None:
            self.recorder.final(candidate, final)

    def record_final(self, candidate: Candidate, final: ExecutionResult, closing: EpisodeTurn) -> None:
        """An episode ended early: the last turn's final verdict, and a closing line saying so."""
        if self.recorder is None:
            return
        self.recorder.turn(closing)
        self.recorder.final(candidate, final)

    def close(self) -> None:
        """Close the run directory's files (the backend is its owner's to close)."""
        if self.recorder is not None:
            self.recorder.close()

    def __enter__(self) -> CodeEnvironment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------- one per trainer process

_shared: dict[tuple, CodeEnvironment] = {}
_shared_lock = threading.Lock()


def shared_environment(problems: str | None = None, *, max_turns: int | None = None, scheme: str | None = None,
                       feedback: str | None = None, out: str | None = None) -> CodeEnvironment:
    """The process's environment for a trainer that loads a file, not an object (verl's agent loop,
    OpenRLHF's agent file): made once per configuration, on the shared pool. Anything not given is
    read from the environment: `CODESYNTH_PROBLEMS` (the problem set, required),
    `CODESYNTH_ENV_TURNS`, `CODESYNTH_ENV_SCHEME`, `CODESYNTH_ENV_FEEDBACK`, `CODESYNTH_ENV_OUT`
    (a run directory for the episodes)."""
    env = os.environ
    problems = problems or env.get("CODESYNTH_PROBLEMS")
    if not problems:
        raise DataError("code environment: no problem set: pass problems=PATH or set CODESYNTH_PROBLEMS=PATH")
    turns = max_turns if max_turns is not None else env.get("CODESYNTH_ENV_TURNS")
    if turns is not None and not str(turns).isdigit():
        raise DataError(f"CODESYNTH_ENV_TURNS={turns!r}: expected a whole number of at least 1")
    settings = {k: v for k, v in {"max_turns": int(turns) if turns is not None else None,
                                  "scheme": scheme or env.get("CODESYNTH_ENV_SCHEME"),
                                  "feedback": feedback or env.get("CODESYNTH_ENV_FEEDBACK")}.items() if v}
    out = out or env.get("CODESYNTH_ENV_OUT") or None
    key = (str(problems), tuple(sorted(settings.items())), out)
    with _shared_lock:
        if key not in _shared:
            try:
                policy = Policy(**settings)
            except ValidationError as e:
                raise DataError(f"code environment: {describe_validation_error(e)}") from None
            _shared[key] = CodeEnvironment(str(problems), policy=policy, out=out)
        return _shared[key]
