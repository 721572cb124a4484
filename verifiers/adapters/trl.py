"""TRL: `trl.GRPOTrainer(reward_funcs=[trl_reward_func(problems)])` and the rows it trains on."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from codesynth.errors import DataError, SandboxUnavailable
from codesynth.models import Limits, Problem, Status
from codesynth.sandbox.backend import Backend
from codesynth.verifiers import pool
from codesynth.verifiers.adapters.specs import load_problem_index, problem_from_spec
from codesynth.verifiers.rewards import RewardScheme
from codesynth.verifiers.scoring import DEFAULT_SCHEME, Completion, completion_text, score_many
from codesynth.verifiers.time_limits import ReferenceTimes


def trl_reward_func(
    problems: Sequence[Problem] | Mapping[str, Problem] | str | None = None,
    *,
    scheme: str | RewardScheme = DEFAULT_SCHEME,
    backend: Backend | None = None,
    limits: Limits | None = None,
    problem_id_column: str = "problem_id",
    spec_column: str = "problem",
    tests_column: str = "tests",
    entry_point_column: str = "entry_point",
    name: str = "codesynth_reward",
    on_sandbox_error: Literal["none", "raise"] = "none",
    time_limit: float | Literal["auto"] | None = "auto",
    fail_fast: bool = False,
) -> Callable[..., list[float | None]]:
    """A reward function for `trl.GRPOTrainer(reward_funcs=[...])`.

    TRL calls it as `f(prompts=..., completions=..., completion_ids=..., **columns)`
    where every other dataset column arrives as a list aligned with `completions`
    (see GRPOTrainer._calculate_rewards in trl/trainer/grpo_trainer.py). Completions
    are strings (standard datasets) or lists of message dicts (conversational).
    Each row's problem comes from `problem_id` (looked up in `problems`: Problems, a mapping,
    a problem-set path, else the `CODESYNTH_PROBLEMS` path; rows from `to_trl_rows` need it), else a
    `problem` column (JSON from `problem_spec`), else `tests` (+ `entry_point`).
    Returns one float per completion, or None where the sandbox itself failed (TRL turns
    it into NaN and leaves it out of the sum over reward functions; `on_sandbox_error="raise"`
    raises SandboxUnavailable instead, for runs where this is the only reward function). A malformed row (bad `problem` JSON, test code that does not parse,
    unknown problem id, a column not aligned with the completions) raises DataError naming
    the row and the column at the first call: never a reward.

    `time_limit="auto"` (default) gives each problem an RL-friendly time limit (CPU time), as
    evalplus does: `max(1 s, 4 x the reference solution's own run time)`, measured once per
    problem in the sandbox (4 s for a problem without a reference), so one hanging completion
    does not stall a whole step for the generic 10 s. A number fixes it for every problem;
    None keeps `limits.timeout_s`. `reward_func.limits_for(problem)` says which limits a problem got.

    `fail_fast=True`: a stdin/stdout problem stops at its first failing case (docs/topics/many-tests.md);
    a binary reward is unchanged, a pass fraction counts the cases not run as failed.
    """
    by_id = load_problem_index(problems)
    base = limits or Limits()
    times = ReferenceTimes()  # keyed by the problem's content: rows built from columns may share an id
    if time_limit not in (None, "auto"):
        base = base.model_copy(update={"timeout_s": float(time_limit)})

    def measure(batch: list[Problem]) -> None:
        if time_limit == "auto":
            times.measure(batch, backend or pool.get_backend(), base)

    def limits_for(p: Problem) -> Limits:
        return times.limits_for(p, base) if time_limit == "auto" else base

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
        recs = score_many(items, scheme=scheme, backend=backend, limits=base, origin="trl", limits_for=limits_for,
                          fail_fast=fail_fast)
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


def _prompt_text(prompts: Sequence[Any] | None, i: int) -> str:
    if not prompts or i >= len(prompts):
        return ""
    p = prompts[i]
    if isinstance(p, str):
        return p
    users = [m for m in p if isinstance(m, Mapping) and m.get("role") == "user"]
    return completion_text([{"role": "assistant", "content": users[-1].get("content")}]) if users else ""


def to_trl_rows(problems: Sequence[Problem], conversational: bool = True,
                messages: Callable[[Problem], list[dict[str, str]]] | None = None,
                template: str = "prompt") -> list[dict[str, Any]]:
    """Dataset rows for GRPOTrainer: `prompt`, `problem_id` and the `template` that posed it.

    No tests travel in a row (private tests never sit in a trainer's dataset): the reward
    function loads each problem by id (`trl_reward_func(problems)`). `messages` poses a
    problem (`codesynth.pipeline.rows.trl_rows` passes synth's own solution prompt);
    default: the problem's prompt as one user turn."""
    rows = []
    for p in problems:
        msgs = messages(p) if messages else [{"role": "user", "content": p.prompt}]
        prompt: Any = msgs if conversational else "\n\n".join(m["content"] for m in msgs if m["role"] != "system")
        rows.append({"prompt": prompt, "problem_id": p.id, "template": template})
    return rows
