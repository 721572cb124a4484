"""What an episode says (Observation) and what it leaves in the run directory (EpisodeTurn).

Neither holds anything of a private test: an observation is built from the verdict on the
public tests and the final reward; a turn record from the same, plus the model's own reply.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from codesynth.models import Status

Messages = list[dict[str, str]]


class Observation(BaseModel):
    """What the model (or its trainer) is told: the prompt at reset, the feedback after a step."""

    model_config = ConfigDict(extra="forbid")

    episode_id: str
    problem_id: str
    turn: int = Field(description="Model turns taken so far.")
    prompt: Messages | None = Field(default=None, description="reset: the chat messages that pose the problem.")
    feedback: str = Field(default="", description="step: what the public tests said ('' when they passed).")
    public_passed: bool | None = Field(default=None, description="step: did the public tests pass?")
    done: bool = False
    reward: float | None = Field(default=None, description="When done: the final reward (public and private tests).")
    passed: bool | None = Field(default=None, description="When done: did the final program pass every test?")


class EpisodeTurn(BaseModel):
    """One model turn of an episode, as `episodes.jsonl` records it (the last one with its reward)."""

    model_config = ConfigDict(extra="forbid")

    episode_id: str
    problem_id: str
    turn: int
    candidate_id: str
    parent_id: str | None = None
    reply: str = Field(description="The model's whole reply.")
    code: str = Field(description="The program extracted from it ('' when none).")
    public_status: Status | None = Field(default=None, description="Verdict on the public tests (None: none).")
    public_tests_passed: int | None = None
    public_tests_total: int | None = None
    feedback: str = ""
    done: bool = False
    reward: float | None = None
    passed: bool | None = None
    scheme: str | None = None
    closing: bool = Field(default=False, description="The episode was ended early (`finish`): this line gives "
                          "the last turn's final verdict, not a new turn.")
