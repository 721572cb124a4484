"""The types that cross every boundary of codesynth.

Data flows one way: Problem -> Candidate -> ExecutionResult -> RewardRecord /
DatasetRecord -> RunSummary. Every layer (sandbox, generators, verifiers) imports
these; none of them imports the orchestration (`codesynth.run`) or the CLI.
"""

from __future__ import annotations

import ast
import keyword
import math
import re
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

#: Version of the on-disk record schemas (results/rewards/dataset). Bump on any
#: incompatible change so concatenated logs from different runs stay replayable.
SCHEMA_VERSION = 1


class _Model(BaseModel):
    # Unknown keys are errors: a typo in a problem file must not silently vanish.
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- problems


def _known_language(name: str) -> str:
    # The registry (codesynth/languages) is the one list; imported here lazily because the
    # language modules themselves use this module's types.
    from codesynth import languages

    try:
        languages.get(name)
    except languages.UnknownLanguage as e:
        raise ValueError(str(e)) from None
    return name


#: A language a problem or a candidate may be written in: a registered name (codesynth/languages);
#: an unknown one is a load error naming the known ones.
Language = Annotated[str, AfterValidator(_known_language)]


def __getattr__(name: str):
    # `LANGUAGES`: the registered names, read when asked (a plugin may have added one).
    if name == "LANGUAGES":
        from codesynth import languages

        return languages.names()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

#: Types a data-form signature may use: scalars, and lists of them (nested).
_SCALARS = ("int", "float", "bool", "str")
_TYPE_RE = re.compile(r"^(?:list\[(.+)\]|(int|float|bool|str))$")


def parse_type(t: str) -> tuple:
    """`list[list[int]]` -> ("list", ("list", ("int",))); ValueError names what is wrong."""
    m = _TYPE_RE.match(t.replace(" ", ""))
    if not m:
        raise ValueError(f"unknown type {t!r} (use {', '.join(_SCALARS)} or list[...] of them)")
    return ("list", parse_type(m.group(1))) if m.group(1) else (m.group(2),)


def type_error(t: tuple, v: Any) -> str | None:
    """Why JSON value `v` is not of parsed type `t` (None when it is): checked at load time."""
    kind = t[0]
    if kind == "list":
        if not isinstance(v, list):
            return f"expected a list, got {v!r}"[:200]
        return next((e for e in (type_error(t[1], x) for x in v) if e), None)
    ok = {
        "int": isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v < 2**63,
        "float": isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v),
        "bool": isinstance(v, bool),
        "str": isinstance(v, str),
    }[kind]
    return None if ok else f"expected {'a 64-bit int' if kind == 'int' else 'a finite number' if kind == 'float' else 'a ' + kind}, got {v!r}"[:200]


def _type_spec(v: str) -> str:
    parse_type(v)  # raises, naming what is wrong
    return v.replace(" ", "")


#: A language-neutral type (`int`, `list[str]`, ...), checked and written without spaces.
TypeSpec = Annotated[str, AfterValidator(_type_spec)]


class Param(_Model):
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    type: TypeSpec


class Signature(_Model):
    """A language-neutral function signature: every language's driver is generated from it."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    params: list[Param]
    returns: TypeSpec


class CallCase(_Model):
    """One data-form function test: call the function with `call` (positional arguments) and
    compare the result with `expect` on the host (floats within 1e-6, relative or absolute)."""

    call: list[Any]
    expect: Any


class IOCase(_Model):
    """One stdin/stdout test: the program reads `input` and must print `output`."""

    input: str = ""
    output: str


class Checker(_Model):
    """Judges a stdin/stdout answer where more than one is right (any valid path, any order).

    Python: `code` defines `check(input, expected, got) -> bool | (bool, message)`. Any other
    language: a program that reads `input.txt`, `expected.txt` and `output.txt` from its working
    directory and exits 0 to accept (its first line of stdout is the message). A C++ checker
    that calls `registerTestlibCmd` is a testlib.h checker, run by testlib's own conventions
    (`testlib`). Either runs in the sandbox after the candidate has finished, never in its reach
    (docs/topics/checkers.md)."""

    language: Language = Field(default="python", description="The checker's language: python (a check "
                               "function) or any other registered language (a program).")
    code: str = Field(min_length=1, description="The checker's source.")

    @model_validator(mode="after")
    def _python_defines_check(self) -> Checker:
        if self.language == "python":
            try:
                tree = ast.parse(self.code)
            except (SyntaxError, ValueError) as e:
                raise ValueError(f"checker: Python syntax error: {e}") from None
            if not any(isinstance(n, ast.FunctionDef) and n.name == "check" for n in tree.body):
                raise ValueError("checker: a Python checker defines check(input, expected, got)")
        return self

    @property
    def testlib(self) -> bool:
        """A testlib.h checker (C++ calling `registerTestlibCmd`): called as `checker input output
        answer`, its exit code the verdict (sandbox/testlib_checker.py)."""
        return self.language == "cpp" and _TESTLIB_CHECKER.search(self.code) is not None


_TESTLIB_CHECKER = re.compile(r"\bregisterTestlibCmd\s*\(")


class SuiteStrength(_Model):
    """How far a problem's test suite can be trusted: measured, never assumed.

    Rates are over programs whose correctness is known independently of the suite (references,
    agreeing candidates for TPR; mutants of the reference, trivial answers, a lookup table of the
    public tests, failing samples for TNR). None where nothing of that kind was available.
    """

    tpr: float | None = Field(default=None, ge=0, le=1, description="Known-correct programs the suite accepts.")
    tnr: float | None = Field(default=None, ge=0, le=1, description="Known-wrong programs the suite rejects.")
    mutation_score: float | None = Field(default=None, ge=0, le=1, description="Mutants of the reference killed.")
    correct_programs: int = Field(default=0, ge=0, description="Known-correct programs TPR was measured on.")
    wrong_programs: int = Field(default=0, ge=0, description="Known-wrong programs TNR was measured on.")
    mutants: int = Field(default=0, ge=0, description="Mutants the mutation score was measured on.")
    tests_public: int = Field(default=0, ge=0, description="Tests that may be shown to a model.")
    tests_private: int = Field(default=0, ge=0, description="Tests that only decide the verdict.")
    hardened: bool = Field(default=False, description="The suite was extended by `codesynth tests harden`.")


class Problem(_Model):
    """A programming problem.

    `tests` is either assert-style Python test code (HumanEval style: it defines
    `check(candidate)`, which is called with the entry point; or plain module-level
    asserts, MBPP style) or a list of stdin/stdout cases.
    """

    id: str = Field(min_length=1)
    prompt: str = Field(description="What a generator is shown.")
    entry_point: str | None = Field(default=None, description="Function or class name, for function problems.")
    names: list[str] = Field(
        default_factory=list,
        description="Further names the tests use that the solution must define (e.g. a class and its "
        "exception type for a design problem); a program that lacks one is an error, not a failed test.",
    )
    tests: str | list[IOCase] | list[CallCase]
    private_tests: str | list[IOCase] | list[CallCase] | None = Field(
        default=None,
        description="Tests that decide the verdict but are never shown to a model (no prompt, feedback, "
        "observation or log holds their content); the same form as `tests`. The verdict uses both.",
    )
    reference_solution: str | None = None
    language: Language = "python"
    signature: Signature | None = Field(default=None, description="Function signature of data-form tests.")
    reference_solutions: dict[Language, str] = Field(
        default_factory=dict, description="Reference solutions in other languages (io and data-form problems)."
    )
    compare: Literal["exact", "tokens", "float"] = Field(
        default="exact", description="How stdin/stdout outputs are compared (see README)."
    )
    checker: Checker | None = Field(default=None, description="Judges stdin/stdout answers instead of "
                                    "`compare` (problems with several right answers).")
    source: str | None = None
    tags: list[str] = Field(default_factory=list)
    difficulty: str | None = None
    strength: SuiteStrength | None = Field(default=None, description="The suite's measured strength.")
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("tests")
    @classmethod
    def _tests_not_empty(cls, v: str | list[IOCase]) -> str | list[IOCase]:
        if isinstance(v, str) and not v.strip():
            raise ValueError("test code is empty")
        if isinstance(v, list) and not v:
            raise ValueError("at least one stdin/stdout case is required")
        return v

    @field_validator("entry_point")
    @classmethod
    def _entry_point_is_identifier(cls, v: str | None) -> str | None:
        # The harness looks the name up in the candidate's namespace: anything else fails every program.
        if v is not None and (not v.isidentifier() or keyword.iskeyword(v)):
            raise ValueError(f"{v!r} is not a Python identifier (the name of the function the tests call)")
        return v

    @field_validator("names")
    @classmethod
    def _names_are_identifiers(cls, v: list[str]) -> list[str]:
        for n in v:
            if not n.isidentifier() or keyword.iskeyword(n):
                raise ValueError(f"names: {n!r} is not a Python identifier")
        if len(set(v)) != len(v):
            raise ValueError("names: listed more than once")
        return v

    @model_validator(mode="after")
    def _check_entry_point(self) -> Problem:
        if isinstance(self.tests, str) and "def check" in self.tests and not self.entry_point:
            raise ValueError("tests define check(candidate) but entry_point is missing")
        if self.kind == "calls":
            if self.signature is None:
                raise ValueError("data-form tests ({call, expect}) need a 'signature'")
            if self.entry_point not in (None, self.signature.name):
                raise ValueError(f"entry_point {self.entry_point!r} differs from signature.name")
            self.entry_point = self.signature.name
            ret = parse_type(self.signature.returns)
            for i, case in enumerate(self.tests, 1):  # type: ignore[union-attr]
                if len(case.call) != len(self.signature.params):
                    raise ValueError(f"test {i}: {len(case.call)} arguments for "
                                     f"{len(self.signature.params)} parameters")
                for prm, v in zip(self.signature.params, case.call, strict=True):
                    err = type_error(parse_type(prm.type), v)
                    if err:
                        raise ValueError(f"test {i}: argument {prm.name!r}: {err}")
                err = type_error(ret, case.expect)
                if err:
                    raise ValueError(f"test {i}: 'expect': {err}")
        if self.checker is not None and self.kind != "io":
            raise ValueError("a checker judges stdin/stdout cases ({input, output}) only")
        if self.kind == "function" and (self.language != "python" or set(self.reference_solutions) - {"python"}):
            # Python test code runs in the Python tester only; other languages need io or data-form tests.
            raise ValueError("Python test code (a string) only tests Python; use {call, expect} cases "
                             "with a signature, or stdin/stdout cases, for other languages")
        return self

    @field_validator("metadata")
    @classmethod
    def _language_mode_known(cls, v: dict[str, Any]) -> dict[str, Any]:
        # `language_mode`: a compile mode of the languages that have modes (TypeScript: check,
        # strip), as one name or {language: mode}; a typo is a load error, not a silent default.
        mode = v.get("language_mode")
        if mode is None:
            return v
        from codesynth import languages

        if isinstance(mode, str):
            if not any(mode in s.toolchain.modes or s.toolchain.default_mode == mode for s in languages.all_specs()):
                raise ValueError(f"metadata.language_mode: no language has a mode {mode!r}")
            return v
        if not isinstance(mode, dict):
            raise ValueError("metadata.language_mode: a mode name or {language: mode}")
        for lang, m in mode.items():
            try:
                languages.get(lang).toolchain.compile_for(m)
            except ValueError as e:
                raise ValueError(f"metadata.language_mode: {e}") from None
        return v

    @property
    def kind(self) -> Literal["function", "io", "calls"]:
        if isinstance(self.tests, str):
            return "function"
        return "calls" if self.tests and isinstance(self.tests[0], CallCase) else "io"

    @property
    def judge_languages(self) -> set[str]:
        """Languages the judge runs besides the program's own (its checker's): a pool serves them too."""
        return {self.checker.language} if self.checker is not None else set()

    def references(self) -> dict[str, str]:
        """Every reference solution by language (`reference_solution` is in `language`)."""
        out = dict(self.reference_solutions)
        if self.reference_solution is not None:
            out[self.language] = self.reference_solution
        return out


# --------------------------------------------------------------------------- candidates


class Origin(_Model):
    """Who or what produced a candidate."""

    kind: str = Field(default="file", description="reference | file | model | repair | ...")
    model: str | None = None
    sample_index: int | None = None
    mode: str | None = None
    turn: int = 0
    parent_id: str | None = Field(default=None, description="Previous candidate in a repair trajectory.")
    extra: dict[str, Any] = Field(default_factory=dict)


class Candidate(_Model):
    candidate_id: str = Field(min_length=1)
    problem_id: str = Field(min_length=1)
    solution: str
    origin: Origin = Field(default_factory=Origin)
    extra_tests: str | None = Field(default=None, description="Additional assert-style tests it brings.")
    language: Language | None = Field(default=None, description="Its language; None: the problem's.")


# --------------------------------------------------------------------------- execution


class Status(str, Enum):
    passed = "passed"
    failed = "failed"  # tests ran, at least one failed (wrong answer or exception in a call)
    error = "error"  # the program could not be loaded: syntax/import error, missing entry point, no code
    timeout = "timeout"
    memory_exceeded = "memory_exceeded"
    output_exceeded = "output_exceeded"
    crashed = "crashed"  # killed by a signal or exited before the tests finished
    sandbox_error = "sandbox_error"  # our infrastructure failed, not the candidate


class Limits(_Model):
    """Resource limits for one program. Enforced from outside the program."""

    timeout_s: float = Field(default=10.0, gt=0, le=86400, allow_inf_nan=False,
                             description="Time limit per program (all its tests), at most a day: CPU seconds "
                             "for Python (the wall clock is a safety net, docs/topics/verdicts-under-load.md), "
                             "wall-clock seconds for other languages.")
    memory_mb: int = Field(default=512, ge=32, description="Address-space / memory limit per program.")
    cpus: float = Field(default=1.0, gt=0, allow_inf_nan=False, description="CPU share per container.")
    pids: int = Field(default=64, ge=8, description="Processes a program may have at once.")
    output_bytes: int = Field(default=1 << 20, ge=1024, description="Cap on stdout+stderr per program.")
    scratch_mb: int = Field(default=64, ge=1, description="Size of the writable scratch tmpfs.")
    open_files: int = Field(default=64, ge=16)
    compile_timeout_s: float = Field(default=60.0, gt=0, description="Wall-clock limit of a compile step.")
    compile_memory_mb: int = Field(default=1024, ge=64, description="Memory of a compile step (compilers need more).")


class TestOutcome(_Model):
    name: str
    passed: bool
    message: str | None = None
    private: bool = Field(default=False, description="A private test: its content never reaches a model.")


class CompileOutput(_Model):
    """A plain run's compile step (languages that have one): how the compiler ended, what it said."""

    exit_code: int | None = Field(default=None, description="The compiler's exit code (None: stopped, see below).")
    timed_out: bool = Field(default=False, description="Stopped at the compile time limit.")
    signal: int | None = Field(default=None, description="Killed by this signal (e.g. at the compile memory limit).")
    output: str = Field(default="", description="The compiler's stdout and stderr as it wrote them.")
    duration_s: float = 0.0
    cached: bool = Field(default=False, description="A cache hit: the same source was compiled before.")

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and self.signal is None


class RunOutput(_Model):
    """What a plain run (the service's /run_code) produced: its whole output up to the cap."""

    stdout: str = ""
    stderr: str = ""
    stdout_bytes: int = Field(default=0, description="Bytes the program wrote to stdout (may exceed len(stdout)).")
    stderr_bytes: int = 0
    truncated: bool = Field(default=False, description="The output cap was hit: the program was stopped there.")
    files: dict[str, str] = Field(default_factory=dict, description="Fetched files: path -> base64 content.")
    missing_files: list[str] = Field(default_factory=list, description="Requested files that were not there "
                                     "(or not regular files, or over the size cap).")
    compile: CompileOutput | None = Field(default=None, description="The compile step, for languages with one; "
                                          "when it failed, the program did not run (stdout/stderr are empty).")


class ExecutionResult(_Model):
    schema_version: int = SCHEMA_VERSION
    candidate_id: str
    problem_id: str
    status: Status
    tests_total: int | None = None
    tests_passed: int | None = None
    tests: list[TestOutcome] = Field(default_factory=list)
    error_type: str | None = Field(default=None, description="Exception class or failure kind, e.g. SyntaxError.")
    error_message: str | None = None
    traceback: str | None = None
    stdout_tail: str = ""
    stderr_tail: str = ""
    exit_code: int | None = None
    signal: int | None = None
    duration_s: float = 0.0
    cpu_s: float | None = Field(default=None, description="The program's own CPU time, when it was measured "
                                "(a reference run timed for per-problem limits).")
    limits: Limits = Field(default_factory=Limits)
    backend: str | None = None
    attempts: int = 1
    run_output: RunOutput | None = Field(default=None, description="Plain runs only (ExecRequest kind 'run').")
    language: str | None = Field(default=None, description="Set for programs run through a compile step.")
    compile_cached: bool | None = Field(default=None, description="The compile step was a cache hit.")
    compile_s: float | None = Field(default=None, description="Seconds the compile step took (0 on a hit).")
    # stdin/stdout requests with a checker: each case's stdout (None: the program did not exit 0),
    # for the checker step (sandbox/checking.py); never recorded.
    _outputs: list[str | None] | None = PrivateAttr(default=None)

    @property
    def passed(self) -> bool:
        return self.status is Status.passed


# --------------------------------------------------------------------------- verdicts


class FailureCategory(str, Enum):
    syntax_error = "syntax_error"
    compile_error = "compile_error"  # a compiled language's compiler rejected the program
    runtime_error = "runtime_error"
    wrong_answer = "wrong_answer"
    timeout = "timeout"
    memory = "memory"
    output = "output"
    no_code = "no_code"
    crashed = "crashed"
    sandbox_error = "sandbox_error"


class RewardRecord(_Model):
    """One per candidate, passing or not: the line an RL trainer consumes."""

    schema_version: int = SCHEMA_VERSION
    problem_id: str
    candidate_id: str
    reward: float
    passed: bool
    partial_credit: float | None = Field(default=None, description="Fraction of tests passed, where countable.")
    failure_category: FailureCategory | None = None
    feedback: str = Field(default="", description="Trimmed assertion/traceback, ready to show a model.")
    status: Status
    scheme: str = "binary"
    duration_s: float = 0.0
    origin: Origin = Field(default_factory=Origin)
    timings: dict[str, float] = Field(default_factory=dict)


class DatasetRecord(_Model):
    """A verified program: instruction + solution + tests + provenance."""

    schema_version: int = SCHEMA_VERSION
    id: str
    problem_id: str
    candidate_id: str
    instruction: str
    solution: str
    tests: str | list[IOCase] | list[CallCase]
    entry_point: str | None = None
    language: str = "python"
    weight: float = 1.0
    strength: SuiteStrength | None = Field(default=None, description="The problem's suite strength.")
    metadata: dict[str, Any] = Field(default_factory=dict)


class RunSummary(_Model):
    schema_version: int = SCHEMA_VERSION
    problems: int
    candidates: int
    passed: int
    counts: dict[str, int]
    pass_at_k: dict[str, float] = Field(default_factory=dict)
    wall_time_s: float
    programs_per_second: float
    backend: str | None = None
    limits: Limits = Field(default_factory=Limits)
    extra: dict[str, Any] = Field(default_factory=dict)
