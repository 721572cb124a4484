"""SandboxFusion's `/run_code`, field for field: its request and response, and the mapping
from a codesynth plain run (ExecRequest kind "run") to SandboxFusion's statuses.

SandboxFusion's rules (sandbox/server/sandbox_api.py `parse_run_status`): an `Error` step
(our infrastructure) -> `SandboxError`; else a time limit in either step -> `Failed`
(return_code null, output so far); else a non-zero exit of either step -> `Failed`; else
`Success`. The user's own code never yields `SandboxError` (verl scores that as an
infrastructure failure). Our own verdict and timings ride along under `"codesynth"`.

Compiled languages (SandboxFusion's runners/major.py: cpp, go, java, rust; ours adds c) fill
`compile_result`; when the compile fails or times out, `run_result` is null. The languages
SandboxFusion runs straight from source (python, nodejs, typescript via tsx) have no
`compile_result`: our syntax/type check's failure there is the run's (exit code 1, the
message on stderr), as the interpreter would report it.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
from collections.abc import Iterator, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from codesynth import languages
from codesynth.models import CompileOutput, ExecutionResult, Limits, RunOutput, Status
from codesynth.sandbox.backend import ExecRequest


class _LanguageNames(Mapping):
    """SandboxFusion's names (and ours) -> codesynth's language, read from the registry: every
    registered name and alias (codesynth/languages). Everything else is refused with 422, as
    SandboxFusion does for languages it lacks."""

    def __getitem__(self, key: str) -> str:
        found = languages.resolve(key) if isinstance(key, str) else None
        if found is None:
            raise KeyError(key)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(sorted({n for s in languages.all_specs() for n in (s.name, *s.aliases)}))

    def __len__(self) -> int:
        return sum(1 for _ in self)


#: What /run_code executes.
LANGUAGES = _LanguageNames()


def _compiles(language: str | None) -> bool:
    """Does the answer carry a `compile_result` (SandboxFusion's compile step)?"""
    return bool(language) and languages.get(language).compiles


class RunCodeRequest(BaseModel):
    # Unknown keys are ignored, as SandboxFusion's own server does: clients send extras.
    model_config = ConfigDict(extra="ignore")

    code: str
    language: str = "python"
    stdin: str | None = None
    compile_timeout: float = Field(default=10, gt=0)
    run_timeout: float = Field(default=10, gt=0)
    memory_limit_MB: int = Field(default=-1, description="-1: the server's default.")
    files: dict[str, str | None] = Field(default_factory=dict, description="path -> base64 content")
    fetch_files: list[str] = Field(default_factory=list)

    @field_validator("code", "stdin")
    @classmethod
    def _encodable(cls, v: str | None) -> str | None:
        try:
            (v or "").encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("holds text that is not valid UTF-8 (a lone surrogate escape)") from None
        return v

    @field_validator("language")
    @classmethod
    def _known_language(cls, v: str) -> str:
        if v not in LANGUAGES:
            raise ValueError(f"language {v!r} is not supported by this codesynth server "
                             f"(supported: {', '.join(sorted(LANGUAGES))})")
        return v

    @field_validator("files")
    @classmethod
    def _files(cls, v: dict[str, str | None]) -> dict[str, str | None]:
        for path, content in v.items():
            _check_path(path)
            try:
                base64.b64decode("".join((content or "").split()), validate=True)  # line breaks are fine
            except (binascii.Error, ValueError):
                raise ValueError(f"file {path!r}: content is not valid base64") from None
        return v

    def unfetchable(self) -> list[str]:
        """`fetch_files` entries outside the working directory (absolute, `..`, empty): SandboxFusion
        answers the files it can and leaves the others out, so these are listed as missing, not refused."""
        return [p for p in self.fetch_files if not _inside(p)]


def _inside(path: str) -> bool:
    norm = posixpath.normpath(path) if path else ""
    return bool(path) and not path.startswith("/") and norm != ".." and not norm.startswith("../") \
        and "\0" not in path


def _check_path(path: str) -> None:
    if not _inside(path):
        raise ValueError(f"path {path!r} must be relative to the program's working directory and stay inside it")


class CommandRunResult(BaseModel):
    status: Literal["Finished", "TimeLimitExceeded", "Error"]
    execution_time: float | None = None
    return_code: int | None = None
    stdout: str | None = None
    stderr: str | None = None


class RunCodeResponse(BaseModel):
    status: Literal["Success", "Failed", "SandboxError"]
    message: str = ""
    compile_result: CommandRunResult | None = None
    run_result: CommandRunResult | None = None
    executor_pod_name: str | None = None
    files: dict[str, str] = Field(default_factory=dict)
    codesynth: dict[str, Any] = Field(default_factory=dict, description="codesynth's verdict, limits, timings.")


def effective_limits(req: RunCodeRequest, pool: Limits) -> tuple[Limits, bool]:
    """The request's limits within the pool's (a container cannot give more memory than it
    was started with); True when the memory asked for was lowered to the pool's."""
    want = pool.memory_mb if req.memory_limit_MB is None or req.memory_limit_MB <= 0 else req.memory_limit_MB
    memory = max(32, min(want, pool.memory_mb))
    limits = pool.model_copy(update={"timeout_s": float(req.run_timeout), "memory_mb": memory,
                                     "compile_timeout_s": float(req.compile_timeout)})
    return limits, memory < want


def to_exec_request(req: RunCodeRequest, limits: Limits, request_id: str, fetch_max: int,
                    modes: Mapping[str, str] | None = None) -> ExecRequest:
    """`modes`: the server's compile mode per language (`codesynth serve --language-mode`)."""
    language = LANGUAGES[req.language]
    return ExecRequest(
        candidate_id=request_id, problem_id="run_code", kind="run", program=req.code, stdin=req.stdin,
        language=language, language_mode=(modes or {}).get(language), files={p: c or "" for p, c in req.files.items()},
        fetch_files=[p for p in req.fetch_files if _inside(p)], limits=limits, fetch_max_bytes=fetch_max,
    )


def _compile_result(comp: CompileOutput) -> CommandRunResult:
    code = -comp.signal if comp.signal else comp.exit_code  # a signal death as subprocess reports it
    return CommandRunResult(status="TimeLimitExceeded" if comp.timed_out else "Finished",
                            execution_time=comp.duration_s, return_code=None if comp.timed_out else code,
                            stdout="", stderr=comp.output)


def _compile_failed(res: ExecutionResult, out: RunOutput, detail: dict[str, Any]) -> RunCodeResponse:
    comp = out.compile
    assert comp is not None
    step = _compile_result(comp)
    if comp.timed_out:
        message = f"compilation exceeded the compile_timeout of {res.limits.compile_timeout_s:g}s"
    elif comp.signal:
        message = res.error_message or f"the compiler was killed by signal {comp.signal}"
    elif _compiles(res.language):
        message = f"compile error (exit code {comp.exit_code})"
    else:
        message = f"rejected before running: {res.error_type or 'syntax error'} (the check exited {comp.exit_code})"
    if _compiles(res.language):
        return RunCodeResponse(status="Failed", message=message, compile_result=step, files=out.files,
                               codesynth=detail)
    # A language SandboxFusion runs from source: the interpreter would have said this and exited 1.
    if step.status == "Finished":
        step.return_code = 1
    return RunCodeResponse(status="Failed", message=message, run_result=step, files=out.files, codesynth=detail)


def to_response(res: ExecutionResult, extra: dict[str, Any], unfetchable: list[str] = ()) -> RunCodeResponse:
    """`unfetchable`: fetch_files paths never asked of the sandbox (RunCodeRequest.unfetchable)."""
    out = res.run_output
    detail = {"status": res.status.value, "error_type": res.error_type, "error_message": res.error_message,
              "limits": res.limits.model_dump(), "duration_s": res.duration_s, "attempts": res.attempts,
              "language": res.language or "python", **extra}
    if out is not None and out.compile is not None:
        detail.update(compile_cached=out.compile.cached, compile_s=out.compile.duration_s)
    if res.status is not Status.sandbox_error and out is not None and out.compile is not None \
            and not out.compile.ok:
        return _compile_failed(res, out, detail)
    if res.status is Status.sandbox_error or out is None:
        return RunCodeResponse(
            status="SandboxError", message=res.error_message or "sandbox error",
            run_result=CommandRunResult(status="Error", execution_time=res.duration_s, stdout="", stderr=""),
            codesynth=detail,
        )
    detail.update(stdout_bytes=out.stdout_bytes, stderr_bytes=out.stderr_bytes, truncated=out.truncated,
                  missing_files=[*out.missing_files, *unfetchable])
    run = CommandRunResult(status="Finished", execution_time=res.duration_s, stdout=out.stdout, stderr=out.stderr,
                           return_code=res.exit_code)
    if res.signal:
        run.return_code = -res.signal  # as Python's subprocess reports a signal death
    message = ""
    if res.status is Status.timeout:
        run.status, run.return_code = "TimeLimitExceeded", None
        message = res.error_message or "time limit exceeded"
    elif res.status is Status.output_exceeded:
        run.return_code = -9  # we stopped it at the cap (SIGKILL); the output so far is returned
        message = f"output cut at {res.limits.output_bytes} bytes: the program was stopped there"
    elif run.return_code not in (0, None):
        message = res.error_message or f"exit code {run.return_code}"
    ok = run.status == "Finished" and run.return_code == 0
    compiled = out.compile is not None and _compiles(res.language)
    return RunCodeResponse(status="Success" if ok else "Failed", message=message, run_result=run, files=out.files,
                           compile_result=_compile_result(out.compile) if compiled else None,  # type: ignore[arg-type]
                           codesynth=detail)
