"""OpenRLHF (0.11) multi-turn agent: the code environment, one RLEF episode per prompt.

Give this file to OpenRLHF as `--train.agent_func_path /path/to/openrlhf_agent.py` (with the
problem set in `CODESYNTH_PROBLEMS` and each row's label its problem id, `--data.label_key
problem_id`). OpenRLHF loads `AgentExecutor` from it (openrlhf/trainer/ray/vllm_engine.py) and its
`MultiTurnAgentExecutor` makes one `AgentInstance` per prompt: `reset` starts the episode on the
label's problem, each `step` judges the model's reply on the public tests and answers the feedback
as the next observation; the reward comes with the last step (public and private tests), 0 before,
since OpenRLHF sums the rewards of all steps.

`CODESYNTH_ENV_TURNS`, `CODESYNTH_ENV_SCHEME`, `CODESYNTH_ENV_FEEDBACK`, `CODESYNTH_ENV_OUT` set the
policy and the run directory (codesynth.verifiers.environment.shared_environment);
`CODESYNTH_FEEDBACK_TURN` wraps the feedback in your chat template's turn markers (default
`"\\n\\n{feedback}\\n\\n"`), e.g. `"<|im_end|>\\n<|im_start|>user\\n{feedback}<|im_end|>\\n<|im_start|>assistant\\n"`.
"""

from __future__ import annotations

import os
from typing import Any

import torch
from openrlhf.utils.agent import AgentInstanceBase, MultiTurnAgentExecutor

from codesynth.errors import DataError
from codesynth.verifiers.environment import shared_environment
from codesynth.verifiers.environment.episode import Episode

DEFAULT_TURN = "\n\n{feedback}\n\n"


def feedback_turn(feedback: str) -> str:
    """The text appended after the model's reply: the feedback in the chat template's turn markers."""
    template = os.environ.get("CODESYNTH_FEEDBACK_TURN") or DEFAULT_TURN
    if "{feedback}" not in template:
        raise DataError(f"CODESYNTH_FEEDBACK_TURN={template!r}: must contain {{feedback}}")
    return template.replace("{feedback}", feedback)


class AgentInstance(AgentInstanceBase):
    """One episode (OpenRLHF makes one instance per prompt)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.episode: Episode | None = None

    async def reset(self, states: dict, **kwargs: Any) -> dict:
        label = states.get("label")
        if not isinstance(label, str) or not label:
            raise DataError(f"codesynth OpenRLHF agent: the label must be a problem id, got {label!r} "
                            "(--data.label_key problem_id)")
        self.episode = shared_environment().episode(label)
        await self.episode.areset()
        return {"observation": states["observation"]}

    async def step(self, states: dict, **kwargs: Any) -> dict:
        if self.episode is None:
            raise DataError("codesynth OpenRLHF agent: step() before reset()")
        obs = await self.episode.astep(states["action_text"])
        reward = float(obs.reward) if obs.done and obs.reward is not None else 0.0
        return {
            "rewards": torch.tensor(reward),
            "scores": torch.tensor(reward),
            "environment_feedback": "" if obs.done else feedback_turn(obs.feedback),
            "done": obs.done,
            "extra_logs": {"turns": torch.tensor(float(obs.turn)),
                           "public_passed": torch.tensor(1.0 if obs.public_passed else 0.0)},
        }


class AgentExecutor(MultiTurnAgentExecutor):
    """What OpenRLHF loads from this file: its multi-turn executor over `AgentInstance`."""

    def __init__(self) -> None:
        super().__init__(AgentInstance)
