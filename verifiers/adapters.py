"""Drop-in reward functions for RL trainers, all executing through the sandbox.

- `score(problem, completion)` / `score_many(pairs)`: plain Python, RewardRecords.
- `trl_reward_func(...)`: a TRL `GRPOTrainer(reward_funcs=...)` callable.
- `compute_score(...)` / `compute_score_batch(...)`: verl custom reward functions
  (also importable from `codesynth.verifiers.verl_reward`, a file to point verl at).

Execution uses the backend passed in, else the process-wide warm pool in
`codesynth.verifiers.pool` (started on first call, closed at exit).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from pydantic import ValidationError

from codesynth.errors import DataError, SandboxUnavailable
from codesynth.extract import program_from_reply
from codesynth.ids import completion_id
from codesynth.jsonl import describe_validation_error, json_error_text
from codesynth.models import Candidate, IOCase, Limits, Origin, Problem, RewardRecord, Status
from codesynth.problems import python_syntax_error
from codesynth.rundir import digest
from codesynth.sandbox.backend import Backend
from codesynth.verifiers import pool
from codesynth.verifiers.execution import run_pairs
from codesynth.verifiers.rewards import RewardScheme, make_reward
from codesynth.verifiers.time_limits import reference_limits

Completion = str | Mapping[str, Any] | Sequence[Mapping[str, Any]]


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


def _candidate(problem: Problem, completion: Completion, index: int, origin: str) -> Candidate:
    code = program_from_reply(completion_text(completion), problem.entry_point, problem.prompt) or ""
    return Candidate(
        candidate_id=completion_id(problem.id, code, index),
        problem_id=problem.id,
        solution=code,
        origin=Origin(kind=origin, sample_index=index),
    )


def completion_candidate(problem: Problem, completion: Completion, index: int = 0, origin: str = "adapter") -> Candidate:
    """The Candidate a completion stands for: its code extracted, its id derived from the code."""
    return _candidate(problem, completion, index, origin)


def score_many(
    items: Sequence[tuple[Problem, Completion]],
    *,
    scheme: str | RewardScheme = "binary",
    backend: Backend | None = None,
    limits: Limits | None = None,
    workers: int | None = None,
    origin: str = "adapter",
    limits_for: Callable[[Problem], Limits] | None = None,
) -> list[RewardRecord]:
    """Score (problem, completion) pairs in parallel; one RewardRecord each, in order."""
    if not items:
        return []
    be = backend or pool.get_backend()
    pairs = [(p, _candidate(p, c, i, origin)) for i, (p, c) in enumerate(items)]
    results = run_pairs(pairs, be, limits, workers, limits_for)
    return [make_reward(res, cand, scheme) for (_, cand), res in zip(pairs, results, strict=True)]


def score(
    problem: Problem,
    completion: Completion,
    *,
    scheme: str | RewardScheme = "binary",
    backend: Backend | None = None,
    limits: Limits | None = None,
) -> RewardRecord:
    """Score one completion against one problem."""
    return score_many([(problem, completion)], scheme=scheme, backend=backend, limits=limits)[0]


# --------------------------------------------------------------------------- problems from data columns


def problem_from_spec(
    spec: Any,
    *,
    prompt: str = "",
    entry_point: str | None = None,
    problem_id: str | None = None,
    where: str = "test spec",
) -> Problem:
    """A Problem from what a dataset row carries: a Problem dict / JSON string, a JSON
    list of stdin/stdout cases, or assert-style test code (with `entry_point`).

    Anything else is a data bug and raises DataError naming `where` (row and field): a
    truncated JSON column or test code that does not parse must never become a reward of
    0 charged to the candidate.
    """
    if isinstance(spec, (bytes, bytearray)):
        try:
            spec = spec.decode("utf-8")
        except UnicodeDecodeError as e:
            raise DataError(f"{where}: not UTF-8 text (byte at offset {e.start})") from None
    if isinstance(spec, str):
        s = spec.strip()
        if not s:
            raise DataError(f"{where}: empty (expected a Problem JSON, stdin/stdout cases or test code)")
        if s[:1] in "{[":
            try:
                spec = json.loads(s)
            except json.JSONDecodeError as e:
                # Assert code may start with a bracket; a truncated JSON column is not Python either.
                if python_syntax_error(s):
                    raise DataError(f"{where}: {json_error_text(e)} (and not Python test code either)") from None
    try:
        if isinstance(spec, Mapping):
            data = dict(spec)
            data.setdefault("id", problem_id or "problem")
            data.setdefault("prompt", prompt)
            if entry_point and not data.get("entry_point"):
                data["entry_point"] = entry_point
            problem = Problem.model_validate(data)
        elif isinstance(spec, (list, tuple)):
            problem = Problem(
                id=problem_id or "problem", prompt=prompt, tests=[IOCase.model_validate(c) for c in spec]
            )
        elif isinstance(spec, str):
            problem = Problem(id=problem_id or "problem", prompt=prompt, entry_point=entry_point, tests=spec)
        else:
            raise DataError(f"{where}: a {type(spec).__name__} is not a test spec "
                            "(expected a Problem JSON, stdin/stdout cases or test code)")
    except ValidationError as e:
        raise DataError(f"{where}: not a valid problem: {describe_validation_error(e)}") from None
    if isinstance(problem.tests, str):
        why = python_syntax_error(problem.tests)
        if why:
            raise DataError(f"{where}: test code does not parse: {why}")
    return problem


def problem_spec(problem: Problem) -> str:
    """The JSON string that `problem_from_spec` reads back (for a dataset column)."""
    return problem.model_dump_json(include={"id", "prompt", "entry_point", "tests"})


# --------------------------------------------------------------------------- TRL


def trl_reward_func(
    problems: Sequence[Problem] | Mapping[str, Problem] | None = None,
    *,
    scheme: str | RewardScheme = "binary",
    backend: Backend | None = None,
    limits: Limits | None = None,
    problem_id_column: str = "problem_id",
    spec_column: str = "problem",
    tests_column: str = "tests",
    entry_point_column: str = "entry_point",
    name: str = "codesynth_reward",
    on_sandbox_error: Literal["none", "raise"] = "none",
    time_limit: float | Literal["auto"] | None = "auto",
) -> Callable[..., list[float | None]]:
    """A reward function for `trl.GRPOTrainer(reward_funcs=[...])`.

    TRL calls it as `f(prompts=..., completions=..., completion_ids=..., **columns)`
    where every other dataset column arrives as a list aligned with `completions`
    (see GRPOTrainer._calculate_rewards in trl/trainer/grpo_trainer.py). Completions
    are strings (standard datasets) or lists of message dicts (conversational).
    Each row's problem comes from `problem_id` (looked up in `problems`), else a
    `problem` column (JSON from `problem_spec`), else `tests` (+ `entry_point`).
    Returns one float per completion, or None where the sandbox itself failed (TRL turns
    it into NaN and leaves it out of the sum over reward functions; `on_sandbox_error="raise"`
    raises SandboxUnavailable instead, for runs where this is the only reward function). A malformed row (bad `problem` JSON, test code that does not parse,
    unknown problem id, a column not aligned with the completions) raises DataError naming
    the row and the column at the first call: never a reward.

    `time_limit="auto"` (default) gives each problem an RL-friendly wall-clock limit, as
    evalplus does: `max(1 s, 4 x the reference solution's own run time)`, measured once per
    problem in the sandbox (4 s for a problem without a reference), so one hanging completion
    does not stall a whole step for the generic 10 s. A number fixes it for every problem;
    None keeps `limits.timeout_s`. `reward_func.limits_for(problem)` says which limits a problem got.
    """
    by_id: dict[str, Problem] = {}
    if isinstance(problems, Mapping):
        by_id = dict(problems)
    elif problems is not None:
        by_id = {p.id: p for p in problems}
    base = limits or Limits()
    # Keyed by the problem's content: rows built from columns may share an id ("problem").
    timed: dict[str, Limits] = {}

    def measure(batch: list[Problem]) -> None:
        new = {digest(p): p for p in batch if digest(p) not in timed}
        if time_limit is None or not new:
            return
        if time_limit != "auto":
            timed.update({k: base.model_copy(update={"timeout_s": float(time_limit)}) for k in new})
            return
        timed.update(zip(new, reference_limits(list(new.values()), backend or pool.get_backend(), base), strict=True))

    def limits_for(p: Problem) -> Limits:
        return timed.get(digest(p), base)

    def reward_func(
        prompts: Sequence[Any] | None = None, completions: Sequence[Completion] | None = None, **kwargs: Any
    ) -> list[float | None]:
        completions = list(completions or [])
        n = len(completions)

        def col(key: str) -> list[Any] | None:
            v = kwargs.get(key)
            if v is None:
                return None
            if not isinstance(v, (list, tuple)):
                raise DataError(f"codesynth reward: column '{key}' is a {type(v).__name__}, expected a list "
                                "aligned with completions")
            if len(v) != n:  # misaligned columns would score completion i against row j's problem
                raise DataError(f"codesynth reward: column '{key}' has {len(v)} value(s) for {n} completion(s); "
                                "TRL passes every dataset column aligned with completions")
            return list(v)

        ids, specs, tests, eps = (
            col(problem_id_column),
            col(spec_column),
            col(tests_column),
            col(entry_point_column),
        )
        if prompts is not None and len(prompts) != n:
            raise DataError(f"codesynth reward: {len(prompts)} prompt(s) for {n} completion(s)")
        items = []
        for i, comp in enumerate(completions):
            pid = str(ids[i]) if ids else None
            if pid is not None and pid in by_id:
                problem = by_id[pid]
            elif specs is not None:
                problem = problem_from_spec(specs[i], prompt=_prompt_text(prompts, i), problem_id=pid,
                                            where=f"codesynth reward: row {i}, column '{spec_column}'")
            elif tests is not None:
                problem = problem_from_spec(
                    tests[i],
                    prompt=_prompt_text(prompts, i),
                    entry_point=eps[i] if eps else None,
                    problem_id=pid,
                    where=f"codesynth reward: row {i}, column '{tests_column}'",
                )
            elif pid is not None:
                raise DataError(f"codesynth reward: row {i}, column '{problem_id_column}': unknown problem "
                                f"'{pid}' (not in the `problems=` given to trl_reward_func)")
            else:
                raise DataError(
                    f"codesynth reward: row {i} names no known problem: give the trainer a dataset with a "
                    f"'{problem_id_column}' column (and pass `problems=`), a '{spec_column}' column, or a "
                    f"'{tests_column}' column"
                )
            items.append((problem, comp))
        measure([p for p, _ in items])
        recs = score_many(items, scheme=scheme, backend=backend, limits=base, origin="trl", limits_for=limits_for)
        # An infrastructure failure says nothing about the completion: None tells TRL to leave it
        # out (GRPOTrainer turns None into NaN and sums with nansum), where a 0 would train against it.
        failed = [i for i, r in enumerate(recs) if r.status is Status.sandbox_error]
        if failed and on_sandbox_error == "raise":
            raise SandboxUnavailable(f"codesynth reward: the sandbox failed on row(s) {failed[:10]} "
                                     f"({recs[failed[0]].feedback or 'sandbox_error'}); no reward is given for them")
        return [None if r.status is Status.sandbox_error else r.reward for r in recs]

    reward_func.limits_for = limits_for  # type: ignore[attr-defined]
    reward_func.__name__ = name  # TRL logs each reward function under its __name__
    reward_func.__qualname__ = name
    return reward_func


#: evalplus's rule for RL-friendly limits: a floor, and a factor over the reference's own time.
def _prompt_text(prompts: Sequence[Any] | None, i: int) -> str:
    if not prompts or i >= len(prompts):
        return ""
    p = prompts[i]
    if isinstance(p, str):
        return p
    users = [m for m in p if isinstance(m, Mapping) and m.get("role") == "user"]
    return completion_text([{"role": "assistant", "content": users[-1].get("content")}]) if users else ""


def to_trl_rows(problems: Sequence[Problem], conversational: bool = True) -> list[dict[str, Any]]:
    """Dataset rows for GRPOTrainer: `prompt`, `problem_id` and a self-contained `problem` column."""
    rows = []
    for p in problems:
        prompt: Any = [{"role": "user", "content": p.prompt}] if conversational else p.prompt
        rows.append({"prompt": prompt, "problem_id": p.id, "problem": problem_spec(p)})
    return rows


# --------------------------------------------------------------------------- verl


def _verl_problem(
    ground_truth: Any, extra_info: Mapping[str, Any] | None, data_source: str, row: int | None = None
) -> Problem:
    if extra_info is not None and not isinstance(extra_info, Mapping):
        raise DataError(f"codesynth verl reward: {_row(row)}extra_info is a {type(extra_info).__name__}, "
                        "expected a dict")
    info = dict(extra_info or {})
    pid = info.get("problem_id") if info.get("problem_id") is not None else info.get("index")
    return problem_from_spec(
        ground_truth,
        prompt=str(info.get("prompt") or ""),
        entry_point=info.get("entry_point"),
        problem_id=str(pid if pid is not None else data_source or "problem"),
        where=f"codesynth verl reward: {_row(row)}reward_model.ground_truth"
        + (f" of problem '{pid}'" if pid is not None else ""),
    )


def _row(row: int | None) -> str:
    return f"row {row}, " if row is not None else ""


def _verl_result(rec: RewardRecord, row: int | None = None) -> dict[str, float]:
    if rec.status is Status.sandbox_error:
        # verl has no "ignore this sample": a score of 0 would train against a good answer.
        raise SandboxUnavailable(f"codesynth verl reward: {_row(row)}problem '{rec.problem_id}': the sandbox "
                                 f"failed ({rec.feedback or 'sandbox_error'}); no score is given for it")
    # Only numbers: verl gathers every key of these dicts into per-batch arrays for logging.
    return {
        "score": float(rec.reward),
        "acc": 1.0 if rec.passed else 0.0,
        "partial_credit": float(rec.partial_credit or 0.0),
    }


def compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: Any,
    extra_info: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> dict[str, float]:
    """verl custom reward (`custom_reward_function.name=compute_score`).

    verl's reward managers call `compute_score(data_source=..., solution_str=...,
    ground_truth=..., extra_info=...)` per response (verl/workers/reward_manager/naive.py)
    and read `score` from a dict result. `ground_truth` is the row's
    `reward_model.ground_truth`: a Problem JSON (see `to_verl_rows`), a JSON list of
    stdin/stdout cases, or assert test code with `extra_info["entry_point"]`.
    Extra keyword arguments: `scheme`, `limits`, `backend`.
    """
    problem = _verl_problem(ground_truth, extra_info, data_source)
    rec = score(
        problem,
        solution_str,
        scheme=kwargs.get("scheme", "binary"),
        backend=kwargs.get("backend"),
        limits=kwargs.get("limits"),
    )
    return _verl_result(rec)


def compute_score_batch(
    data_sources: Sequence[str] | None,
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Mapping[str, Any] | None] | None = None,
    **kwargs: Any,
) -> list[dict[str, float]]:
    """verl's BatchRewardManager convention: lists in, one result per item, run in parallel."""
    n = len(solution_strs)
    infos = list(extra_infos) if extra_infos is not None else [None] * n
    data_sources = (
        list(data_sources) if data_sources is not None else ["codesynth"] * n
    )  # verl's main_eval passes None
    lengths = {"solution_strs": n, "ground_truths": len(ground_truths), "extra_infos": len(infos),
               "data_sources": len(data_sources)}
    if len(set(lengths.values())) != 1:
        shown = ", ".join(f"{k}={v}" for k, v in lengths.items())
        raise DataError(f"codesynth verl reward: the batch lists differ in length ({shown})")
    items = [
        (_verl_problem(gt, info, ds, row=i), sol)
        for i, (ds, sol, gt, info) in enumerate(zip(data_sources, solution_strs, ground_truths, infos, strict=True))
    ]
    recs = score_many(
        items,
        scheme=kwargs.get("scheme", "binary"),
        backend=kwargs.get("backend"),
        limits=kwargs.get("limits"),
        origin="verl",
    )
    return [_verl_result(r, row=i) for i, r in enumerate(recs)]


def to_verl_rows(problems: Sequence[Problem], data_source: str = "codesynth") -> list[dict[str, Any]]:
    """Rows in verl's RL parquet layout (prompt as chat, rule reward with the problem as ground truth)."""
    return [
        {
            "data_source": data_source,
            "prompt": [{"role": "user", "content": p.prompt}],
            "ability": "coding",
            "reward_model": {"style": "rule", "ground_truth": problem_spec(p)},
            "extra_info": {"index": i, "problem_id": p.id},
        }
        for i, p in enumerate(problems)
    ]
