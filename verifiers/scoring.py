"""The one scoring path: problem + reply -> candidate -> request -> execute -> judged result -> reward.

Every entry point goes through here: `verify` (the run recorder), `score`/`score_many`, the
trainer adapters (TRL, verl, OpenRLHF, Ray Data) and every service route. What holds here
holds everywhere:

- one extraction rule (`codesynth.extract.program_from_reply`) from a reply to a program;
- one data check (`codesynth.problems.problem_data_error`): a problem that cannot judge any
  program raises DataError, never a reward;
- one request (`build_request`): public and private tests run together, the verdict and the
  reward use both;
- one judgement (`judge`): private outcomes are marked and stripped of their content, and
  whatever a model can read (feedback, messages, output) names public failures only;
- one set of defaults (`DEFAULT_SCHEME`, `Limits()`).

`score_many` is the synchronous form over a Backend; `ascore_pairs` the asynchronous one over
any `run(requests)` that yields `(index, result)` (the service's admission-controlled pool).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

from codesynth.errors import DataError
from codesynth.extract import program_from_reply
from codesynth.ids import completion_id
from codesynth.models import (
    Candidate,
    ExecutionResult,
    Limits,
    Origin,
    Problem,
    RewardRecord,
    Status,
    TestOutcome,
)
from codesynth.problems import problem_data_error
from codesynth.sandbox import checking
from codesynth.sandbox.backend import Backend, ExecRequest, build_request
from codesynth.test_split import combined
from codesynth.verifiers.rewards import RewardScheme, hidden_failures, make_reward

#: The reward scheme when none is named (verify, adapters, service alike).
DEFAULT_SCHEME = "binary"

Completion = str | Mapping[str, Any] | Sequence[Mapping[str, Any]]
Pairs = Sequence[tuple[Problem, Candidate]]
Runner = Callable[[Sequence[ExecRequest]], AsyncIterator[tuple[int, ExecutionResult]]]


def check_problem(problem: Problem, where: str | None = None) -> Problem:
    """`problem`, or DataError naming `where` and why it cannot judge any program."""
    why = problem_data_error(problem)
    if why:
        raise DataError(f"{where or f'problem {problem.id!r}'}: {why}")
    return problem


def completion_text(completion: Completion) -> str:
    """Text of a completion: a plain string, one message dict, or a conversation (the
    last assistant message; content may be a string or a list of text parts)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        msgs = [completion]
    else:
        msgs = [m for m in completion if isinstance(m, Mapping)]
    assistant = [m for m in msgs if m.get("role", "assistant") == "assistant"] or msgs
    if not assistant:
        return ""
    content = assistant[-1].get("content") or ""
    if isinstance(content, list):  # [{"type": "text", "text": ...}, ...]
        content = "".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return str(content)


def candidate_for(problem: Problem, completion: Completion, index: int = 0, origin: str = "adapter",
                  language: str | None = None) -> Candidate:
    """The Candidate a reply stands for: its program extracted by the one rule, its id from the code."""
    lang = language or problem.language
    code = program_from_reply(completion_text(completion), problem.entry_point, problem.prompt, lang) or ""
    return Candidate(candidate_id=completion_id(problem.id, code, index), problem_id=problem.id, solution=code,
                     origin=Origin(kind=origin, sample_index=index),
                     language=language if language and language != problem.language else None)


def request_for(problem: Problem, candidate: Candidate, limits: Limits | None = None,
                interpreter: str = "fork", trusted_tests: bool = False, fail_fast: bool = False) -> ExecRequest:
    """The sandbox request: the candidate and the problem's public and private tests."""
    return build_request(problem, candidate, limits, interpreter, trusted_tests, fail_fast)  # type: ignore[arg-type]


def judge(problem: Problem, result: ExecutionResult) -> ExecutionResult:
    """The verdict as it may be recorded and shown: private outcomes marked and emptied.

    Status, counts and so the reward are untouched. Content a private test could put in front
    of a model is dropped: its outcome's name and message, the error and traceback of a failure
    no public test explains, and the program's output (a program can print its arguments).
    """
    _, layout = combined(problem)
    if not layout.has_private or result.run_output is not None:
        return result
    outcomes: list[TestOutcome] = []
    k = 0
    for o in result.tests:
        # Marked where the outcome was made (the tester, or the host comparing a case: see
        # build_request), never inferred here from its place in the list.
        if o.private:
            k += 1
            outcomes.append(TestOutcome(name=f"hidden test {k}", passed=o.passed, private=True))
        else:
            outcomes.append(o.model_copy(update={"private": False}))
    update: dict[str, Any] = {"tests": outcomes, "stdout_tail": "", "stderr_tail": ""}
    if result.status in (Status.failed, Status.crashed, Status.timeout, Status.memory_exceeded,
                         Status.output_exceeded):
        public_fail = next((o for o in outcomes if not o.passed and not o.private), None)
        failed = (result.tests_total or 0) - (result.tests_passed or 0)
        shown = sum(1 for o in outcomes if not o.passed and not o.private)
        if public_fail is not None:
            update["error_message"] = public_fail.message
        elif result.status in (Status.failed, Status.crashed):
            update["error_message"] = hidden_failures(max(1, failed - shown))
        else:  # took too long / out of memory / too much output: said by the status alone
            update["error_message"] = None
        update["traceback"] = None
    return result.model_copy(update=update)


def reward_for(problem: Problem, candidate: Candidate, result: ExecutionResult,
               scheme: str | RewardScheme = DEFAULT_SCHEME) -> tuple[ExecutionResult, RewardRecord]:
    """The judged result (what a record keeps) and its reward record."""
    judged = judge(problem, result)
    return judged, make_reward(judged, candidate, scheme)


# --------------------------------------------------------------------------- drivers


def score_pairs(pairs: Pairs, *, scheme: str | RewardScheme = DEFAULT_SCHEME, backend: Backend,
                limits: Limits | None = None, workers: int | None = None,
                limits_for: Callable[[Problem], Limits] | None = None, fail_fast: bool = False) -> list[RewardRecord]:
    """Execute (problem, candidate) pairs in parallel; one reward record each, in order.
    `fail_fast`: a stdin/stdout problem stops at its first failing case (sandbox/case_batches.py)."""
    from codesynth.verifiers.execution import run_pairs

    if not pairs:
        return []
    results = run_pairs(pairs, backend, limits, workers, limits_for, fail_fast)
    return [reward_for(p, c, r, scheme)[1] for (p, c), r in zip(pairs, results, strict=True)]


def score_many(items: Sequence[tuple[Problem, Completion]], *, scheme: str | RewardScheme = DEFAULT_SCHEME,
               backend: Backend | None = None, limits: Limits | None = None, workers: int | None = None,
               origin: str = "adapter", limits_for: Callable[[Problem], Limits] | None = None,
               fail_fast: bool = False) -> list[RewardRecord]:
    """Score (problem, reply) pairs; DataError for a problem that cannot judge (never a reward)."""
    from codesynth.verifiers import pool

    if not items:
        return []
    pairs = [(check_problem(p), candidate_for(p, c, i, origin)) for i, (p, c) in enumerate(items)]
    return score_pairs(pairs, scheme=scheme, backend=backend or pool.get_backend(), limits=limits,
                       workers=workers, limits_for=limits_for, fail_fast=fail_fast)


def score(problem: Problem, completion: Completion, *, scheme: str | RewardScheme = DEFAULT_SCHEME,
          backend: Backend | None = None, limits: Limits | None = None, fail_fast: bool = False) -> RewardRecord:
    """Score one reply against one problem."""
    return score_many([(problem, completion)], scheme=scheme, backend=backend, limits=limits,
                      fail_fast=fail_fast)[0]


def thread_runner(backend: Backend) -> Runner:
    """A `run(requests)` over a blocking Backend: at most `capacity` programs at once, on threads."""

    async def run(reqs: Sequence[ExecRequest]) -> AsyncIterator[tuple[int, ExecutionResult]]:
        sem = asyncio.Semaphore(max(1, backend.capacity))

        async def one(i: int, r: ExecRequest) -> tuple[int, ExecutionResult]:
            async with sem:
                # a long stdin/stdout case list in batches over free workers, as execute_many does
                return i, await asyncio.to_thread(checking.execute, backend, r)

        for fut in asyncio.as_completed([one(i, r) for i, r in enumerate(reqs)]):
            yield await fut

    return run


async def ascore_pairs(pairs: Pairs, *, scheme: str | RewardScheme = DEFAULT_SCHEME,
                       limits: Limits | None = None, run: Runner | None = None,
                       backend: Backend | None = None, trusted_tests: bool | Sequence[bool] = False,
                       fail_fast: bool = False,
                       limits_for: Callable[[Problem], Limits] | None = None,
                       ) -> list[tuple[ExecutionResult, RewardRecord]]:
    """The asynchronous form: (judged result, reward) per pair, in order. `run` executes the
    requests (default: `backend`'s, on threads); `fail_fast` as for `score_pairs`; `limits_for`
    gives a problem its own limits."""
    if not pairs:
        return []
    if run is None:
        from codesynth.verifiers import pool

        run = thread_runner(backend or pool.get_backend())
    trust = [trusted_tests] * len(pairs) if isinstance(trusted_tests, bool) else list(trusted_tests)
    reqs = [request_for(p, c, limits_for(p) if limits_for else limits, trusted_tests=t, fail_fast=fail_fast)
            for (p, c), t in zip(pairs, trust, strict=True)]
    results: list[ExecutionResult | None] = [None] * len(reqs)
    async for i, res in run(reqs):
        results[i] = res
    return [reward_for(p, c, r, scheme) for (p, c), r in zip(pairs, results, strict=True)]  # type: ignore[arg-type]


async def ascore_many(items: Sequence[tuple[Problem, Completion]], *, scheme: str | RewardScheme = DEFAULT_SCHEME,
                      limits: Limits | None = None, run: Runner | None = None, backend: Backend | None = None,
                      origin: str = "adapter", fail_fast: bool = False) -> list[RewardRecord]:
    """`score_many`, awaitable."""
    pairs = [(check_problem(p), candidate_for(p, c, i, origin)) for i, (p, c) in enumerate(items)]
    return [rec for _, rec in await ascore_pairs(pairs, scheme=scheme, limits=limits, run=run, backend=backend,
                                                 fail_fast=fail_fast)]
