"""SkyRL-gym (0.4): the code environment as a `BaseTextEnv`, registered by id.

SkyRL makes an environment per trajectory with `skyrl_gym.make(env_class, env_config=...,
extras=row)` (the row's fields: `extra_info`, `reward_spec`, ...), calls `init(prompt)` once and
`step(action)` per model turn; `step` answers the next observations (chat messages), a reward and
whether the trajectory is done. Here a step is one RLEF turn: the feedback of the public tests is
the next user message; the reward (public and private tests) comes with the last step, 0 before.
Rows are `to_verl_rows(problems)` plus `env_class` (the problem id in `extra_info.problem_id` and
as `reward_spec.ground_truth`; no tests).

    from codesynth.verifiers.adapters.skyrl import register_skyrl
    register_skyrl()   # in SkyRL's entry point, before training: env_class "codesynth_rlef"
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from skyrl_gym.envs.base_text_env import BaseTextEnv, BaseTextEnvStepOutput
from skyrl_gym.envs.registration import register, registry

from codesynth.errors import DataError
from codesynth.verifiers.environment import shared_environment

ENV_ID = "codesynth_rlef"


class CodeEnvironmentTextEnv(BaseTextEnv):
    """One episode per SkyRL trajectory. `env_config` may set `problems`, `max_turns`, `scheme`,
    `feedback`, `out` (else the `CODESYNTH_*` variables of `shared_environment`)."""

    def __init__(self, env_config: Any = None, extras: Mapping[str, Any] | None = None):
        super().__init__()
        cfg = dict(env_config or {})
        env = shared_environment(cfg.get("problems"), max_turns=cfg.get("max_turns"), scheme=cfg.get("scheme"),
                                 feedback=cfg.get("feedback"), out=cfg.get("out"))
        self.episode = env.episode(_problem_id(extras or {}))
        self.max_turns = env.policy.max_turns

    def init(self, prompt: list[dict[str, str]]) -> tuple[list[dict[str, str]], dict[str, Any]]:
        self.episode.reset()
        return prompt, {"episode_id": self.episode.id}

    def step(self, action: str) -> BaseTextEnvStepOutput:
        obs = self.episode.step(action)
        self.turns = obs.turn
        return BaseTextEnvStepOutput(
            observations=[] if obs.done else [{"role": "user", "content": obs.feedback}],
            reward=float(obs.reward) if obs.done and obs.reward is not None else 0.0,
            done=obs.done,
            metadata={"turn": obs.turn, "public_passed": obs.public_passed, "passed": obs.passed},
        )


def _problem_id(extras: Mapping[str, Any]) -> str:
    info = extras.get("extra_info") or {}
    spec = extras.get("reward_spec") or {}
    for pid in (info.get("problem_id") if isinstance(info, Mapping) else None, extras.get("problem_id"),
                spec.get("ground_truth") if isinstance(spec, Mapping) else None):
        if isinstance(pid, str) and pid:
            return pid
    raise DataError("codesynth SkyRL environment: the row names no problem (extra_info.problem_id); build rows "
                    "with codesynth.verifiers.adapters.to_verl_rows")


def register_skyrl(env_id: str = ENV_ID) -> str:
    """Register the environment with skyrl_gym as `env_id` (once; again is a no-op). Returns the id."""
    if env_id not in registry:
        register(id=env_id, entry_point=f"{__name__}:{CodeEnvironmentTextEnv.__name__}")
    return env_id
