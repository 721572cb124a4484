"""verl: `compute_score` / `compute_score_batch` (point `custom_reward_function.path` at
`verifiers/verl_reward.py`) and the RL parquet rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from codesynth.errors import DataError, SandboxUnavailable
from codesynth.models import Problem, RewardRecord, Status
from codesynth.verifiers.adapters.specs import load_problem_index, problem_from_spec
from codesynth.verifiers.scoring import DEFAULT_SCHEME, score, score_many


def _verl_problem(
    ground_truth: Any, extra_info: Mapping[str, Any] | None, data_source: str, row: int | None = None,
    problems: Any = None,
) -> Problem:
    if extra_info is not None and not isinstance(extra_info, Mapping):
        raise DataError(f"codesynth verl reward: {_row(row)}extra_info is a {type(extra_info).__name__}, "
                        "expected a dict")
    info = dict(extra_info or {})
    pid = info.get("problem_id") if info.get("problem_id") is not None else info.get("index")
    index = load_problem_index(problems)
    for key in (ground_truth, pid):  # rows from to_verl_rows name the problem; it is loaded by id
        if isinstance(key, str) and key in index:
            return index[key]
    if isinstance(ground_truth, str) and ground_truth == pid:
        raise DataError(f"codesynth verl reward: {_row(row)}problem '{pid}' is not loaded: pass its problem set "
                        "(custom_reward_function.reward_kwargs.problems=PATH, or CODESYNTH_PROBLEMS=PATH)")
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
    Rows from `to_verl_rows` hold the problem id as ground truth: the problem (with its
    private tests) is loaded from `problems` (a problem-set path, from verl's
    `custom_reward_function.reward_kwargs`) or the `CODESYNTH_PROBLEMS` path.
    Extra keyword arguments: `problems`, `scheme`, `limits`, `backend`.
    """
    problem = _verl_problem(ground_truth, extra_info, data_source, problems=kwargs.get("problems"))
    rec = score(
        problem,
        solution_str,
        scheme=kwargs.get("scheme", DEFAULT_SCHEME),
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
        (_verl_problem(gt, info, ds, row=i, problems=kwargs.get("problems")), sol)
        for i, (ds, sol, gt, info) in enumerate(zip(data_sources, solution_strs, ground_truths, infos, strict=True))
    ]
    recs = score_many(
        items,
        scheme=kwargs.get("scheme", DEFAULT_SCHEME),
        backend=kwargs.get("backend"),
        limits=kwargs.get("limits"),
        origin="verl",
    )
    return [_verl_result(r, row=i) for i, r in enumerate(recs)]


def to_verl_rows(problems: Sequence[Problem], data_source: str = "codesynth") -> list[dict[str, Any]]:
    """Rows in verl's RL parquet layout: the prompt as chat, a rule reward whose ground truth is
    the problem id (no tests in the dataset; `compute_score` loads the problem by id)."""
    return [
        {
            "data_source": data_source,
            "prompt": [{"role": "user", "content": p.prompt}],
            "ability": "coding",
            "reward_model": {"style": "rule", "ground_truth": p.id},
            "extra_info": {"index": i, "problem_id": p.id},
        }
        for i, p in enumerate(problems)
    ]
