"""TRL (1.16) `GRPOTrainer(environment_factory=...)`: the code environment as a tool-calling episode.

TRL makes instances with no arguments (pooled, reused across batches), calls `reset(**row)` with
every dataset column before each rollout (a returned string is appended to the user turn), offers
every other public method as a tool (its schema read from type hints and the Google-style
docstring), and calls `get_reward()` once the rollout ends (logged under the class's name). See
GRPOTrainer.__init__ and _generate_and_score_completions in trl/trainer/grpo_trainer.py.

Here a tool call `run_tests(code)` is one RLEF turn: the program runs on the public tests and the
model reads the feedback; `get_reward` judges the last program on public and private tests (the
episode is finished there if the model stopped early). Rows carry `problem_id` only
(`codesynth.pipeline.rows.trl_rows`): private tests never sit in the dataset.

    from codesynth.verifiers.adapters.trl_environment import trl_environment
    CodeEnv = trl_environment("problems.jsonl")        # or CODESYNTH_PROBLEMS=... and CodeTestEnv
    GRPOTrainer(model, args=GRPOConfig(max_tool_calling_iterations=3), train_dataset=rows,
                environment_factory=CodeEnv)
"""

from __future__ import annotations

import os
import threading
from typing import Any, ClassVar

from codesynth.errors import DataError
from codesynth.verifiers.environment import CodeEnvironment, Policy
from codesynth.verifiers.environment.episode import Episode

#: Appended to the user turn at reset: how to use the tool (the budget included).
INSTRUCTIONS = ("You can test a solution with the `run_tests` tool before you answer: it runs your code on the "
                "public tests and says which failed (at most {turns} runs). Your last tested code is graded on "
                "more tests.")
OVER = "No more test runs: the episode is over."
PASSED = "All public tests passed."


class CodeTestEnv:
    """One RLEF episode per rollout. Configure the class, not the instance (TRL passes no arguments):
    `trl_environment(problems, ...)` makes a configured subclass; this class itself reads its
    problems from `CODESYNTH_PROBLEMS` and runs on the shared pool."""

    environment: ClassVar[CodeEnvironment | None] = None
    problem_id_column: ClassVar[str] = "problem_id"
    _setup: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self._episode: Episode | None = None

    @classmethod
    def code_environment(cls) -> CodeEnvironment:
        with cls._setup:
            if cls.environment is None:
                path = os.environ.get("CODESYNTH_PROBLEMS")
                if not path:
                    raise DataError("codesynth TRL environment: no problems: use trl_environment(problems) or set "
                                    "CODESYNTH_PROBLEMS=PATH")
                cls.environment = CodeEnvironment(path)
            return cls.environment

    def reset(self, **row: Any) -> str | None:
        pid = row.get(self.problem_id_column)
        if pid is None:
            raise DataError(f"codesynth TRL environment: the row has no '{self.problem_id_column}' column "
                            f"(columns: {', '.join(sorted(row))}); build rows with codesynth.pipeline.rows.trl_rows")
        env = self.code_environment()
        self._episode = env.episode(str(pid))
        self._episode.reset()
        return "\n\n" + INSTRUCTIONS.format(turns=env.policy.max_turns)

    def run_tests(self, code: str) -> str:
        """Run a solution on the problem's public tests.

        Args:
            code: The complete solution, as plain code or in a fenced code block.

        Returns:
            Which public tests failed and how, or that all of them passed.
        """
        ep = self._current()
        if ep.done:
            return OVER
        obs = ep.step(code)
        text = obs.feedback or PASSED
        return text + ("\n" + OVER if obs.done and not obs.public_passed else "")

    def get_reward(self) -> float:
        """The episode's final reward: its last program on public and private tests."""
        reward = self._current().finish().reward
        return float(reward) if reward is not None else 0.0

    def _current(self) -> Episode:
        if self._episode is None:
            raise DataError("codesynth TRL environment: reset() was not called before the first tool call")
        return self._episode


def trl_environment(problems: Any, *, policy: Policy | None = None, name: str = "CodeTestEnv",
                    problem_id_column: str = "problem_id", **kwargs: Any) -> type[CodeTestEnv]:
    """A `CodeTestEnv` subclass bound to `problems` (Problems, a mapping or a problem-set path) and
    one CodeEnvironment (`policy`, and CodeEnvironment's `backend`, `limits`, `out`). `name` is the
    class name TRL logs the reward under; the turn budget is the policy's (set
    `GRPOConfig.max_tool_calling_iterations` to it, or more)."""
    env = CodeEnvironment(problems, policy=policy, **kwargs)
    return type(name, (CodeTestEnv,), {"environment": env, "problem_id_column": problem_id_column,
                                       "_setup": threading.Lock(), "__module__": __name__})
