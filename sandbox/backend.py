"""The backend interface every executor implements, and the request it executes."""

from __future__ import annotations

import abc
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from codesynth.models import CallCase, Candidate, Checker, ExecutionResult, IOCase, Limits, Problem, Signature
from codesynth.pytest_files import is_pytest_file
from codesynth.test_split import combined


class ExecRequest(BaseModel):
    """One candidate program plus the tests to judge it by."""

    model_config = ConfigDict(extra="forbid")

    candidate_id: str
    problem_id: str
    kind: Literal["function", "io", "run", "calls"] = Field(
        description="function: assert tests; io: stdin/stdout cases judged here; run: one plain run whose "
        "output comes back whole (no tests, no judging: the HTTP service's /run_code; any language, "
        "through the compile step for all but Python); calls: data-form "
        "function tests ({call, expect}), any language."
    )
    program: str
    language: str = "python"
    language_mode: str | None = Field(default=None, description="One of the language's compile modes "
                                      "(TypeScript: check, strip); None: its default.")
    tests: str | None = Field(default=None, description="Assert-style test code (function kind).")
    pytest_file: bool = Field(default=False, description="function kind: `tests` is a pytest file, run by the "
                              "real pytest (codesynth.pytest_files says which files are).")
    entry_point: str | None = None
    names: list[str] = Field(default_factory=list, description="Names the tests use that the program must define.")
    cases: list[IOCase] = Field(default_factory=list, description="stdin/stdout cases (io kind).")
    calls: list[CallCase] = Field(default_factory=list, description="data-form function tests (calls kind).")
    signature: Signature | None = None
    compare: Literal["exact", "tokens", "float"] = "exact"
    checker: Checker | None = Field(default=None, description="io kind: judges each case's output instead of "
                                    "`compare`, in a run of its own after the program's (sandbox/checking.py).")
    public_cases: int | None = Field(default=None, description="io/calls: the first this many cases are public, "
                                     "the rest private (None: no private case). Each outcome is marked from it.")
    private_lines: tuple[int, int] | None = Field(default=None, description="function: the [from, to) lines of "
                                                  "`tests` holding private tests; the tester marks each outcome.")
    host_error: str | None = Field(default=None, description="Why this pairing cannot run at all (no sandbox).")
    limits: Limits = Field(default_factory=Limits)
    measure_cpu: bool = Field(default=False, description="Report the program's own CPU time (cpu_s), e.g. to derive "
                              "a problem's time limit from its reference.")
    fresh_interpreter: bool = Field(
        default=False, description="Spawn a new python3 per program instead of forking the warm supervisor."
    )
    fail_fast: bool = Field(default=False, description="io kind: stop at the first failing case (cases are run in "
                            "batches and judged between them: sandbox/case_batches.py); later cases count as "
                            "not passed.")
    stdin: str | None = Field(default=None, description="run kind: the program's standard input.")
    files: dict[str, str] = Field(default_factory=dict, description="run kind: path relative to the working "
                                  "directory -> base64 content, written before the program starts.")
    fetch_files: list[str] = Field(default_factory=list, description="run kind: paths read back afterwards.")
    fetch_max_bytes: int = Field(default=16 << 20, ge=0, description="run kind: cap on the fetched files' total size.")
    trusted_tests: bool = Field(
        default=False,
        description="The tests are the user's own (a problem set), not model-written: they may run in the "
        "long-lived tester when they pass its static safety check.",
    )

    def case_private(self, index: int) -> bool:
        """Is case (or call) `index` (0-based) of this request a private test?"""
        return self.public_cases is not None and index >= self.public_cases


Interpreter = Literal["fork", "fresh"]


def build_request(problem: Problem, candidate: Candidate, limits: Limits | None = None,
                  interpreter: Interpreter = "fork", trusted_tests: bool = False,
                  fail_fast: bool = False) -> ExecRequest:
    """Pair a candidate with its problem's tests (see `_paired`); `fail_fast`: a stdin/stdout
    problem stops at its first failing case (sandbox/case_batches.py)."""
    req = _paired(problem, candidate, limits, interpreter, trusted_tests)
    return req.model_copy(update={"fail_fast": True}) if fail_fast and req.kind == "io" else req


def _paired(problem: Problem, candidate: Candidate, limits: Limits | None, interpreter: Interpreter,
            trusted_tests: bool) -> ExecRequest:
    """Pair a candidate with its problem's tests (plus any tests the candidate brings).

    `interpreter`: "fork" (a child of the warm supervisor, milliseconds) or "fresh" (a new
    python3 per program, pristine interpreter state); a problem may insist on one with
    `metadata["interpreter"]`.
    """
    limits = limits or Limits()
    # Public and private tests run together (public first); codesynth.test_split tells them apart.
    suite, layout = combined(problem)
    marks = _visibility(layout)
    choice = problem.metadata.get("interpreter", interpreter)
    fresh = choice == "fresh"
    language = candidate.language or problem.language
    if language != "python" or problem.kind == "calls":
        return _lang_request(problem, candidate, language, limits, suite).model_copy(update=marks)
    if problem.kind == "io":
        return ExecRequest(
            candidate_id=candidate.candidate_id,
            problem_id=problem.id,
            kind="io",
            program=candidate.solution,
            cases=list(suite),  # type: ignore[arg-type]
            limits=limits,
            fresh_interpreter=fresh,
            compare=problem.compare,
            checker=problem.checker,
            **marks,
        )
    tests = suite if isinstance(suite, str) else ""
    if candidate.extra_tests:
        tests = tests.rstrip("\n") + "\n\n" + candidate.extra_tests
    return ExecRequest(
        candidate_id=candidate.candidate_id,
        problem_id=problem.id,
        kind="function",
        program=candidate.solution,
        tests=tests,
        pytest_file=is_pytest_file(tests),
        entry_point=problem.entry_point,
        names=list(problem.names),
        limits=limits,
        fresh_interpreter=fresh,
        # tests a candidate brings along are never trusted
        trusted_tests=trusted_tests and not candidate.extra_tests,
        **marks,
    )


def _visibility(layout) -> dict:
    """The request's marks of which tests are private (test_split.Layout), so that every
    outcome is marked where it is made (the tester, or the host comparing a case), never
    guessed later from its position in a list."""
    if not layout.has_private:
        return {}
    if layout.private_to == 0:
        return {"public_cases": layout.public_cases}
    return {"private_lines": (layout.private_from, layout.private_to)}


def _lang_request(problem: Problem, candidate: Candidate, language: str, limits: Limits,
                  suite: str | list[IOCase] | list[CallCase]) -> ExecRequest:
    """Any language through a compile step (Python too, for data-form tests): see sandbox/languages."""
    from codesynth.sandbox.languages.drivers import UnsupportedSignature, driver

    host_error = None
    if problem.kind == "function":
        host_error = f"problem {problem.id} has Python test code, which cannot test a {language} program"
    elif problem.kind == "calls":
        try:
            driver(language, problem.signature)  # type: ignore[arg-type]
        except UnsupportedSignature as e:
            host_error = f"{language}: {e}"
    mode = _language_mode(problem, language)
    if host_error is None and mode is not None:
        from codesynth.sandbox.languages.specs import spec

        try:
            spec(language).compile_for(mode)
        except ValueError as e:
            host_error = f"problem {problem.id}: metadata.language_mode: {e}"
    return ExecRequest(
        candidate_id=candidate.candidate_id, problem_id=problem.id,
        kind="calls" if problem.kind == "calls" else "io", program=candidate.solution, language=language,
        cases=list(suite) if problem.kind == "io" else [],  # type: ignore[arg-type]
        calls=list(suite) if problem.kind == "calls" else [],  # type: ignore[arg-type]
        signature=problem.signature, compare=problem.compare, checker=problem.checker,
        entry_point=problem.entry_point,
        limits=limits, host_error=host_error, language_mode=mode,
    )


def _language_mode(problem: Problem, language: str) -> str | None:
    """A problem picks a compile mode with `metadata: {"language_mode": "strip"}` (for every
    language that has modes) or `{"language_mode": {"typescript": "strip"}}`."""
    from codesynth.sandbox.languages.specs import spec

    m = problem.metadata.get("language_mode")
    if isinstance(m, dict):
        return m.get(language)
    return m if isinstance(m, str) and spec(language).default_mode is not None else None


def uses_compile_step(req: ExecRequest) -> bool:
    return req.language != "python" or req.kind == "calls"


class BackendClosed(Exception):
    """The backend was closed while a request was in flight (e.g. Ctrl-C): no verdict exists."""


class Backend(abc.ABC):
    """An executor of ExecRequests.

    `execute` is thread-safe and blocks until the verdict is known; up to `capacity`
    calls may run at once. Infrastructure failures are retried inside the backend and
    surface as `sandbox_error` results, never as exceptions about one candidate.
    Failures that make the backend unusable as a whole raise SandboxUnavailable.
    """

    name: str = "abstract"

    @property
    @abc.abstractmethod
    def capacity(self) -> int: ...

    def idle_workers(self) -> int:
        """Workers free right now (a hint: sandbox/case_batches.py spreads a program's cases only
        over free workers). A backend that cannot tell says none, so nothing is spread."""
        return 0

    @abc.abstractmethod
    def start(self) -> None: ...

    @abc.abstractmethod
    def execute(self, request: ExecRequest) -> ExecutionResult: ...

    @abc.abstractmethod
    def close(self) -> None: ...

    def served_languages(self) -> set[str]:
        """The languages this (started) backend can run; a pool on a toolchain image says more."""
        return {"python"}

    def describe(self) -> str:
        """What runs the programs, for messages (a pool names its image)."""
        return self.name

    def __enter__(self) -> Backend:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()
