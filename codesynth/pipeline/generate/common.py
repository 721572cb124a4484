"""What every generation mode shares: its report file, its fingerprint, its progress."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from codesynth.generators.client import ChatClient
from codesynth.jsonl import write_json
from codesynth.rundir import check_fingerprint, require_fresh
from codesynth.sandbox.backend import Backend

from ..verify import VerifyConfig, problem_sources


class GenerationReport(BaseModel):
    mode: str
    model: str
    endpoint: str
    sampling: dict[str, Any]
    out: str
    usage: dict[str, float | int]
    counts: dict[str, Any] = Field(default_factory=dict)
    pass_at_k: dict[str, float] = Field(default_factory=dict)
    wall_time_s: float = 0.0


@dataclass
class Stage:
    """One generation mode's run: where it writes, what it talks to, how it executes."""

    mode: str
    client: ChatClient
    out: Path
    config: VerifyConfig
    backend: Backend | None = None
    t0: float = field(default_factory=time.monotonic)

    def start(self, inputs: dict[str, Any], problems=(), fresh_files: Iterable[str] = ()) -> None:
        """Refuse to mix runs (existing output without --resume, or a resume with other inputs),
        before any model call."""
        require_fresh(self.out, self.config.resume, tuple(fresh_files))
        self.out.mkdir(parents=True, exist_ok=True)
        model_inputs = {
            "model": self.client.model,
            "endpoint": self.client.endpoint.identity(),
            "sampling": self.client.sampling.model_dump(),
        }
        check_fingerprint(self.out, self.mode, {**model_inputs, **inputs, **self.config.execution_inputs()},
                          problem_sources(problems))

    def report(self, counts: dict[str, Any], pass_k: dict[str, float] | None = None) -> GenerationReport:
        rep = GenerationReport(
            mode=self.mode,
            model=self.client.model,
            endpoint=self.client.endpoint.identity(),
            sampling=self.client.sampling.model_dump(),
            out=str(self.out),
            usage=self.client.usage.as_dict(),
            counts=counts,
            pass_at_k=pass_k or {},
            wall_time_s=round(time.monotonic() - self.t0, 3),
        )
        self.out.mkdir(parents=True, exist_ok=True)
        write_json(self.out / f"generation_{self.mode}.json", rep)
        return rep


def bar(it: Iterable, total: int, desc: str, enabled: bool) -> Iterable:
    """Requests with a live rate and ETA (tqdm on stderr), when enabled."""
    if not enabled or total <= 0:
        return it
    from tqdm import tqdm

    return tqdm(it, total=total, desc=desc, unit="req", leave=False, dynamic_ncols=True)
