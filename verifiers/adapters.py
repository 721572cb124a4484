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
from typing import Any

from pydantic import ValidationError

from codesynth.extract import program_from_reply
from codesynth.ids import completion_id
from codesynth.models import Candidate, IOCase, Limits, Origin, Problem, RewardRecord
from codesynth.sandbox.backend import Backend
from codesynth.verifiers import pool
from codesynth.verifiers.execution import run_pairs
from codesynth.verifiers.rewards import RewardScheme, make_reward

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


def score_many(
    items: Sequence[tuple[Problem, Completion]],
    *,
    scheme: str | RewardScheme = "binary",
    backend: Backend | None = None,
    limits: Limits | None = None,
    workers: int | None = None,
    origin: str = "adapter",
) -> list[RewardRecord]:
    """Score (problem, completion) pairs in parallel; one RewardRecord each, in order."""
    if not items:
        return []
    be = backend or pool.get_backend()
    pairs = [(p, _candidate(p, c, i, origin)) for i, (p, c) in enumerate(items)]
    results = run_pairs(pairs, be, limits, workers)
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
    spec: Any, *, prompt: str = "", entry_point: str | None = None, problem_id: str | None = None
) -> Problem:
    """A Problem from what a dataset row carries: a Problem dict / JSON string, a JSON
    list of stdin/stdout cases, or assert-style test code (with `entry_point`)."""
    if isinstance(spec, (bytes, bytearray)):
        spec = spec.decode("utf-8")
    if isinstance(spec, str):
        s = spec.strip()
        if s[:1] in "{[":
            try:
                spec = json.loads(s)
            except json.JSONDecodeError:
                pass  # assert code that happens to start with a bracket
    try:
        if isinstance(spec, Mapping):
            data = dict(spec)
            data.setdefault("id", problem_id or "problem")
            data.setdefault("prompt", prompt)
            if entry_point and not data.get("entry_point"):
                data["entry_point"] = entry_point
            return Problem.model_validate(data)
        if isinstance(spec, (list, tuple)):
            return Problem(
                id=problem_id or "problem", prompt=prompt, tests=[IOCase.model_validate(c) for c in spec]
            )
        if isinstance(spec, str):
            return Problem(id=problem_id or "problem", prompt=prompt, entry_point=entry_point, tests=spec)
    except ValidationError as e:
        raise ValueError(f"cannot build a problem from the row's test spec: {e.errors()[0]['msg']}") from None
    raise ValueError(f"cannot build a problem from a {type(spec).__name__} test spec")


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
) -> Callable[..., list[float]]:
    """A reward function for `trl.GRPOTrainer(reward_funcs=[...])`.

    TRL calls it as `f(prompts=..., completions=..., completion_ids=..., **columns)`
    where every other dataset column arrives as a list aligned with `completions`
    (see GRPOTrainer._calculate_rewards in trl/trainer/grpo_trainer.py). Completions
    are strings (standard datasets) or lists of message dicts (conversational).
    Each row's problem comes from `problem_id` (looked up in `problems`), else a
    `problem` column (JSON from `problem_spec`), else `tests` (+ `entry_point`).
    Returns one float per completion.
    """
    by_id: dict[str, Problem] = {}
    if isinstance(problems, Mapping):
        by_id = dict(problems)
    elif problems is not None:
        by_id = {p.id: p for p in problems}

    def reward_func(
        prompts: Sequence[Any] | None = None, completions: Sequence[Completion] | None = None, **kwargs: Any
    ) -> list[float]:
        completions = list(completions or [])
        n = len(completions)

        def col(key: str) -> list[Any] | None:
            v = kwargs.get(key)
            return list(v) if isinstance(v, (list, tuple)) and len(v) == n else None

        ids, specs, tests, eps = (
            col(problem_id_column),
            col(spec_column),
            col(tests_column),
            col(entry_point_column),
        )
        items = []
        for i, comp in enumerate(completions):
            pid = str(ids[i]) if ids else None
            if pid is not None and pid in by_id:
                problem = by_id[pid]
            elif specs is not None:
                problem = problem_from_spec(specs[i], prompt=_prompt_text(prompts, i), problem_id=pid)
            elif tests is not None:
                problem = problem_from_spec(
                    tests[i],
                    prompt=_prompt_text(prompts, i),
                    entry_point=eps[i] if eps else None,
                    problem_id=pid,
                )
            else:
                raise ValueError(
                    f"codesynth reward: row {i} names no known problem: give the trainer a dataset with a "
                    f"'{problem_id_column}' column (and pass `problems=`), a '{spec_column}' column, or a "
                    f"'{tests_column}' column"
                )
            items.append((problem, comp))
        recs = score_many(items, scheme=scheme, backend=backend, limits=limits, origin="trl")
        return [r.reward for r in recs]

    reward_func.__name__ = name  # TRL logs each reward function under its __name__
    reward_func.__qualname__ = name
    return reward_func


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


def _verl_problem(ground_truth: Any, extra_info: Mapping[str, Any] | None, data_source: str) -> Problem:
    info = dict(extra_info or {})
    return problem_from_spec(
        ground_truth,
        prompt=str(info.get("prompt") or ""),
        entry_point=info.get("entry_point"),
        problem_id=str(info.get("problem_id") or info.get("index") or data_source or "problem"),
    )


def _verl_result(rec: RewardRecord) -> dict[str, float]:
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
    items = [
        (_verl_problem(gt, info, ds), sol)
        for ds, sol, gt, info in zip(data_sources, solution_strs, ground_truths, infos, strict=True)
    ]
    recs = score_many(
        items,
        scheme=kwargs.get("scheme", "binary"),
        backend=kwargs.get("backend"),
        limits=kwargs.get("limits"),
        origin="verl",
    )
    return [_verl_result(r) for r in recs]


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
