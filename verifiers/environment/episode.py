"""One episode: a problem, the backend, a turn budget and a policy; `reset`, then `step(reply)`.

Each step extracts the program with the one rule (`scoring.candidate_for`), runs it on the
problem's public tests (`test_split.public_problem`) through the one scoring path, and answers
the policy's feedback and whether the episode is done; the final program is judged on public and
private tests together, which decides the reward. Private tests stay in `self.problem`: nothing
returned or recorded holds them (the run recorder redacts the final verdict, `scoring.judge`).

The same steps run synchronously (`reset`/`step`, a trainer's loop) or awaited (`areset`/`astep`,
many episodes of one server over one pool).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from codesynth.errors import InputError, SandboxUnavailable
from codesynth.ids import episode_root, repair_id
from codesynth.models import Candidate, ExecutionResult, Origin, Problem, Status
from codesynth.test_split import public_problem
from codesynth.verifiers.environment.records import EpisodeTurn, Messages, Observation
from codesynth.verifiers.scoring import Completion, candidate_for, completion_text, reward_for

if TYPE_CHECKING:
    from codesynth.verifiers.environment.environment import CodeEnvironment

log = logging.getLogger(__name__)

#: How a problem is posed when the environment is given no `pose`: its prompt as one user turn.
Pose = Callable[[Problem], Messages]


def default_pose(problem: Problem) -> Messages:
    return [{"role": "user", "content": problem.prompt}]


class Episode:
    """One episode on one problem (made by `CodeEnvironment.episode`)."""

    def __init__(self, env: CodeEnvironment, problem: Problem, episode_id: str | None = None):
        self.env = env
        self.problem = problem
        self.public = public_problem(problem)
        self._start(episode_id)

    def _start(self, episode_id: str | None) -> None:
        self.id = episode_id or uuid.uuid4().hex[:12]
        self.turn = 0
        self.done = False
        self.reward: float | None = None
        self.passed: bool | None = None
        self.last: Candidate | None = None

    @property
    def max_turns(self) -> int:
        return self.env.policy.max_turns

    # ------------------------------------------------------------------ the API

    def reset(self, episode_id: str | None = None) -> Observation:
        """Start (again): the observation holds the prompt. A used episode starts a new one."""
        if self.turn or self.done:
            self._start(episode_id)
        elif episode_id:
            self.id = episode_id
        return Observation(episode_id=self.id, problem_id=self.problem.id, turn=0,
                           prompt=self.env.pose(self.problem))

    async def areset(self, episode_id: str | None = None) -> Observation:
        return self.reset(episode_id)

    def step(self, reply: Completion) -> Observation:
        cand = self._candidate(reply)
        pub = self._public(cand, self.env.run([(self.public, cand)])[0]) if self.public else None
        final = self.env.run([(self.problem, cand)])[0] if self._ends(pub) else None
        return self._conclude(reply, cand, pub, final)

    async def astep(self, reply: Completion) -> Observation:
        cand = self._candidate(reply)
        pub = self._public(cand, (await self.env.arun([(self.public, cand)]))[0]) if self.public else None
        final = (await self.env.arun([(self.problem, cand)]))[0] if self._ends(pub) else None
        return self._conclude(reply, cand, pub, final)

    def finish(self) -> Observation:
        """End now (a trainer's rollout stopped before the turn budget): the last program, or a reply
        with no code when there was none, is judged on every test. A finished episode answers again."""
        if self.done:
            return self._final_observation()
        cand = self.last or self._candidate("")
        return self._close(cand, self.env.run([(self.problem, cand)])[0])

    async def afinish(self) -> Observation:
        if self.done:
            return self._final_observation()
        cand = self.last or self._candidate("")
        return self._close(cand, (await self.env.arun([(self.problem, cand)]))[0])

    # ------------------------------------------------------------------ the steps

    def _candidate(self, reply: Completion) -> Candidate:
        if self.done:
            raise InputError(f"episode {self.id} on problem '{self.problem.id}' is over "
                             f"(after {self.turn} turn(s)): reset() to start another")
        c = candidate_for(self.problem, reply, 0, origin="episode")
        root = episode_root(self.problem.id, self.id)
        return c.model_copy(update={
            "candidate_id": root if self.turn == 0 else repair_id(root, self.turn),
            "origin": Origin(kind="episode", turn=self.turn, sample_index=0,
                             parent_id=self.last.candidate_id if self.last else None,
                             extra={"episode_id": self.id})})

    def _public(self, cand: Candidate, raw: ExecutionResult) -> ExecutionResult:
        _infrastructure(raw, self.problem.id)
        return reward_for(self.public, cand, raw, self.env.policy.scheme)[0]  # type: ignore[arg-type]

    def _ends(self, public: ExecutionResult | None) -> bool:
        # no public test: nothing to give feedback on, so the first program is the final one
        return public is None or public.passed or self.turn + 1 >= self.max_turns

    def _conclude(self, reply: Completion, cand: Candidate, pub: ExecutionResult | None,
                  final: ExecutionResult | None) -> Observation:
        feedback = self.env.policy.feedback_for(pub) if pub is not None and not pub.passed else ""
        if final is not None:
            _infrastructure(final, self.problem.id)
            _, rec = reward_for(self.problem, cand, final, self.env.policy.scheme)
            self.reward, self.passed, self.done = rec.reward, rec.passed, True
        self.env.record(self._turn_record(reply, cand, pub, feedback), cand, final)
        log.debug("episode %s turn %d: public %s, done %s", self.id, self.turn, pub.status.value if pub else "-",
                  self.done)
        self.turn += 1
        self.last = cand
        return Observation(episode_id=self.id, problem_id=self.problem.id, turn=self.turn, feedback=feedback,
                           public_passed=pub.passed if pub else None, done=self.done, reward=self.reward,
                           passed=self.passed)


    def _close(self, cand: Candidate, final: ExecutionResult) -> Observation:
        _infrastructure(final, self.problem.id)
        _, rec = reward_for(self.problem, cand, final, self.env.policy.scheme)
        self.reward, self.passed, self.done = rec.reward, rec.passed, True
        if self.last is None:  # nothing was sent: the empty reply is the episode's one turn
            self.env.record(self._turn_record("", cand, None, ""), cand, final)
            self.turn, self.last = 1, cand
        else:
            self.env.record_final(cand, final, self._turn_record(completion_text(""), cand, None, "", closing=True))
        return self._final_observation()

    def _final_observation(self) -> Observation:
        return Observation(episode_id=self.id, problem_id=self.problem.id, turn=self.turn, done=True,
                           reward=self.reward, passed=self.passed)

    def _turn_record(self, reply: Completion, cand: Candidate, pub: ExecutionResult | None, feedback: str,
                     closing: bool = False) -> EpisodeTurn:
        return EpisodeTurn(
            episode_id=self.id, problem_id=self.problem.id, turn=self.turn - 1 if closing else self.turn,
            candidate_id=cand.candidate_id, parent_id=cand.origin.parent_id,
            reply=completion_text(reply), code=cand.solution,
            public_status=pub.status if pub else None, public_tests_passed=pub.tests_passed if pub else None,
            public_tests_total=pub.tests_total if pub else None, feedback=feedback, done=self.done,
            reward=self.reward, passed=self.passed, scheme=self.env.policy.scheme if self.done else None,
            closing=closing)


def _infrastructure(result: ExecutionResult, problem_id: str) -> None:
    # the sandbox failing says nothing of the program: no feedback, no reward is made of it
    if result.status is Status.sandbox_error:
        raise SandboxUnavailable(f"code environment: problem '{problem_id}': the sandbox failed "
                                 f"({result.error_type or 'sandbox_error'}); no feedback or reward is given")


__all__: Sequence[str] = ["Episode", "Pose", "default_pose"]
