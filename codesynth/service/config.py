"""How a `codesynth serve` instance is set up (the CLI's options, as one pydantic model)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from codesynth import languages
from codesynth.models import Limits

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class ServeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    workers: int | None = Field(default=None, ge=1, description="Warm containers (programs at once); default = cores.")
    token: str | None = Field(default=None, description="Required on every request when set (Bearer or /t/<token>/).")
    # The pool's containers are sized by these: a request may ask for less, never more.
    limits: Limits = Field(default_factory=lambda: Limits(memory_mb=1024, output_bytes=8 << 20))
    timeout_auto: bool = Field(default=False, description="`--timeout auto`: each problem's time limit from its "
                               "reference's own run, unless a request says otherwise (`timeout_auto`).")
    max_timeout_s: float = Field(default=300.0, gt=0, description="Largest run_timeout a request may ask for.")
    queue_size: int = Field(default=256, ge=1, description="Requests that may wait for a worker at once.")
    queue_timeout_s: float = Field(default=10.0, gt=0, description="How long a request may wait to start "
                                   "before it gets HTTP 504 (its own time limit starts only when it runs).")
    max_body_bytes: int = Field(default=64 << 20, ge=1024)
    max_files_bytes: int = Field(default=16 << 20, ge=0, description="Files into (and out of) one /run_code.")
    problems: str | None = Field(default=None, description="A problem set to preload: requests may name its ids.")
    ray: str | None = Field(default=None, description="A Ray cluster address: serve with every node's pool behind.")
    languages: tuple[str, ...] = Field(default=("python",), description="What /run_code runs: languages beyond "
                                       "Python need a toolchain image (`codesynth sandbox build --languages`).")
    language_modes: dict[str, str] = Field(default_factory=dict, description="/run_code's compile mode per "
                                           "language (TypeScript: check = tsc type-checks, strip = esbuild "
                                           "strips types as SandboxFusion's tsx does); others: their default.")
    profile: str | None = Field(default=None, description="Runner image profile: scientific, or a pinned "
                                "package file (sandbox/docker/profiles.py); None: minimal.")
    graceful_s: float = Field(default=30.0, gt=0, description="On SIGTERM: how long in-flight requests may finish.")
    # The episode environment at /openenv (OpenEnv's protocol): sessions are WebSocket connections.
    env: str | None = Field(default=None, description="A problem set to serve as the OpenEnv environment at /openenv.")
    env_out: str | None = Field(default=None, description="A run directory every episode turn is recorded in "
                                "(episodes.jsonl, and the final programs' verdicts).")
    env_turns: int = Field(default=3, ge=1, le=100, description="Model turns an episode has at most (RLEF: 3).")
    env_reward: str = Field(default="rlef", description="The final program's reward scheme (RLEF's +1/-1/-0.2).")
    env_feedback: Literal["rlef", "codesynth"] = Field(default="rlef", description="Feedback after a turn: "
                                                       "RLEF's lines, or the reward record's feedback.")
    env_sessions: int = Field(default=64, ge=1, description="Episodes (WebSocket sessions) open at once; "
                              "one more is refused with OpenEnv's CAPACITY_REACHED error.")
    env_idle_timeout_s: float = Field(default=300.0, gt=0, description="A session that sends nothing for this "
                                      "long is closed (code 1001) and its slot freed.")

    @field_validator("languages")
    @classmethod
    def _with_python(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(v) - set(languages.names()))
        if unknown:
            raise ValueError(f"unknown language {unknown[0]!r} (known: {', '.join(languages.names())})")
        return tuple(sorted(set(v) | {"python"}))  # every runner image has it

    @field_validator("language_modes")
    @classmethod
    def _modes_known(cls, v: dict[str, str]) -> dict[str, str]:
        for lang, mode in v.items():
            if lang not in languages.names():
                raise ValueError(f"unknown language {lang!r} (known: {', '.join(languages.names())})")
            languages.get(lang).toolchain.compile_for(mode)  # its ValueError names the known modes
        return v

    def needs_token(self) -> bool:
        return self.host not in LOOPBACK
