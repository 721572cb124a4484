"""Execution settings (what decides a verdict, so what a run's fingerprint hashes) apart from
run options (resume, update, progress: how a run proceeds, never what it finds).

`pipeline.verify.VerifyConfig` is both, flat, for the CLI and the library; `fingerprint()` reads
only the execution half. Backend options travel as a dict to the backend registry, whatever
the kind (`recycle_after` for docker, `image_imports` for local, a plugin's own...).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

import codesynth
from codesynth.models import Limits, Problem
from codesynth.sandbox.backend import Backend
from codesynth.sandbox.registry import backend_kinds, open_backend
from codesynth.verifiers.rewards import get_scheme
from codesynth.verifiers.scoring import DEFAULT_SCHEME
from codesynth.verifiers.time_limits import ReferenceTimes

#: Old flat names of backend options, still accepted (`VerifyConfig(local_imports="refuse")`).
_LEGACY_OPTIONS = {"recycle_after": "recycle_after", "local_imports": "image_imports", "profile": "profile"}


class ExecutionSettings(BaseModel):
    """Everything that decides a verdict or a reward."""

    model_config = ConfigDict(extra="forbid")

    limits: Limits = Field(default_factory=Limits)
    backend: str = Field(default="docker", description="A registered backend kind (docker, local, ...).")
    backend_options: dict[str, Any] = Field(
        default_factory=dict, description="The backend's own options, handed to its factory as they are.")
    reward_scheme: str = DEFAULT_SCHEME
    trust_tests: bool = Field(
        default=True,
        description="The problem set's tests are the user's own code. Set False for model-written tests: "
        "then every program's tests run in a fresh forked tester.",
    )
    interpreter: str = Field(
        default="fork", description="fork: child of the warm supervisor; fresh: new python3 per program.")
    workers: int | None = Field(default=None, ge=1, description="Programs in parallel; default = cores.")
    timeout_auto: bool = Field(
        default=False, description="Each problem's time limit from its reference's own run (at most "
        "limits.timeout_s): see verifiers/time_limits.py.")
    fail_fast: bool = Field(
        default=False, description="A stdin/stdout problem stops at its first failing case (RL rewards: "
        "one failure decides a binary reward); cases not run count as not passed.")
    _times: ReferenceTimes = PrivateAttr(default_factory=ReferenceTimes)

    def limits_for(self, problem: Problem) -> Limits:
        """The problem's own limits (timeout_auto, once measured), else `limits`."""
        return self._times.limits_for(problem, self.limits) if self.timeout_auto else self.limits

    def measure_limits(self, problems: Iterable[Problem], backend: Backend) -> None:
        """With timeout_auto: run the reference of each problem not measured yet, once, and keep
        the problem's own time limit (the stages of `synth` bring new problems as they go)."""
        if self.timeout_auto:
            self._times.measure(problems, backend, self.limits, self.workers)

    @model_validator(mode="before")
    @classmethod
    def _legacy_options(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(k in data for k in _LEGACY_OPTIONS):
            data = dict(data)
            opts = dict(data.get("backend_options") or {})
            kind = data.get("backend", "docker")
            for old, new in _LEGACY_OPTIONS.items():
                if old in data:
                    value = data.pop(old)
                    if _accepts(kind, new):
                        opts.setdefault(new, value)
                    elif old == "profile" and value:  # a verdict-changing choice is never dropped silently
                        raise ValueError(f"backend {kind!r} has no runner image profiles (profile {value!r})")
            data["backend_options"] = opts
        return data

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, v: str) -> str:
        if v not in backend_kinds():
            raise ValueError(f"unknown backend '{v}' (known: {', '.join(backend_kinds())})")
        return v

    @field_validator("interpreter")
    @classmethod
    def _known_interpreter(cls, v: str) -> str:
        if v not in ("fork", "fresh"):
            raise ValueError(f"interpreter must be fork or fresh, not '{v}'")
        return v

    @field_validator("reward_scheme")
    @classmethod
    def _known_scheme(cls, v: str) -> str:
        get_scheme(v)  # raises, naming the schemes, before any sandbox starts
        return v

    def execution_inputs(self) -> dict[str, Any]:
        """What decides a verdict (the fingerprint's part of a run's inputs)."""
        from codesynth.sandbox.docker.image import harness_hash

        return {
            "limits": self.limits,
            "backend": self.backend,
            "interpreter": self.interpreter,
            "trust_tests": self.trust_tests,
            "reward_scheme": get_scheme(self.reward_scheme),
            "codesynth": codesynth.__version__,
            "harness": harness_hash(),
            # an option can change verdicts (local's image_imports=refuse); none that only tune speed
            **({"backend_options": {k: _option_input(k, v) for k, v in sorted(self.backend_options.items())
                                    if k not in _SPEED_ONLY}} if set(self.backend_options) - _SPEED_ONLY else {}),
            **({"timeout": "auto"} if self.timeout_auto else {}),
            **({"fail_fast": True} if self.fail_fast else {}),
        }

    def open_backend(self, run_id: str | None = None, languages: set[str] | None = None) -> Backend:
        """A started backend as these settings say (the caller closes it); `languages`: what it
        must run, handed to backends that take it (a Docker pool needs a toolchain image)."""
        options = dict(self.backend_options)
        if languages and languages != {"python"} and _accepts(self.backend, "languages"):
            options["languages"] = languages
        return open_backend(self.backend, workers=self.workers, limits=self.limits, run_id=run_id, **options)


#: Options that change how fast programs run, never their verdicts (not in the fingerprint).
_SPEED_ONLY = {"recycle_after"}


def _option_input(name: str, value: Any) -> Any:
    """A profile given as a file is its packages (an edited file is a different run), not its path."""
    if name == "profile" and isinstance(value, str):
        from codesynth.sandbox.docker.profiles import resolve

        p = resolve(value)
        return list(p.packages) if p is not None else None
    return value


def _accepts(kind: str, option: str) -> bool:
    """Does backend `kind`'s factory take `option` (by name, not by **kwargs)?"""
    from codesynth.sandbox import registry

    try:
        factory = registry._resolve(kind)
    except Exception:  # noqa: BLE001 - an unknown kind is refused by the field validator
        return False
    try:
        return option in inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return False


class RunOptions(BaseModel):
    """How a run proceeds: never part of its fingerprint."""

    model_config = ConfigDict(extra="forbid")

    resume: bool = False
    update: bool = Field(
        default=False, description="With resume: a changed input is not refused; what it touches is made anew.")
    retry_failed: bool = Field(
        default=False, description="With resume: ask again (a fresh draw) for samples whose reply held no code.")
    progress: bool = True
