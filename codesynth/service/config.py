"""How a `codesynth serve` instance is set up (the CLI's options, as one pydantic model)."""

from __future__ import annotations

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
    graceful_s: float = Field(default=30.0, gt=0, description="On SIGTERM: how long in-flight requests may finish.")

    @field_validator("languages")
    @classmethod
    def _with_python(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(v) - set(languages.names()))
        if unknown:
            raise ValueError(f"unknown language {unknown[0]!r} (known: {', '.join(languages.names())})")
        return tuple(sorted(set(v) | {"python"}))  # every runner image has it

    def needs_token(self) -> bool:
        return self.host not in LOOPBACK
