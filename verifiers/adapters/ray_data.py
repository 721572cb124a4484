"""Ray Data: verify a dataset of completions over the cluster's pools (offline jobs over
millions of candidates). `map_batches` with an actor pool; each map actor sends its batch
to the node pools (local first, exactly once) and adds the reward columns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from codesynth.errors import DataError
from codesynth.models import Limits, Problem, Status
from codesynth.verifiers.adapters.specs import problem_from_spec
from codesynth.verifiers.scoring import DEFAULT_SCHEME, candidate_for, check_problem, request_for, reward_for

#: Columns added to every row.
COLUMNS = ("reward", "passed", "status", "partial_credit", "failure_category", "feedback", "sandbox_error")


class _Verifier:
    def __init__(self, pool_cls, handles, problems: list[dict], scheme: str, limits: dict | None,
                 completion_column: str, problem_column: str, problem_id_column: str):
        # the pool's own class re-attaches it here (this layer does not import the Ray backend)
        self.pool = pool_cls.attach(handles)
        self.problems = {p["id"]: Problem.model_validate(p) for p in problems}
        self.scheme, self.limits = scheme, Limits.model_validate(limits) if limits else Limits()
        self.cols = completion_column, problem_column, problem_id_column

    def _problem(self, batch: dict, i: int) -> Problem:
        comp_col, spec_col, id_col = self.cols
        pid = str(batch[id_col][i]) if id_col in batch else None
        if pid is not None and pid in self.problems:
            return self.problems[pid]
        if spec_col in batch:
            return problem_from_spec(batch[spec_col][i], problem_id=pid, where=f"row {i}, column '{spec_col}'")
        raise DataError(f"row {i}: no '{spec_col}' column and problem id {pid!r} is not among `problems`")

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        comp_col = self.cols[0]
        n = len(batch[comp_col])
        pairs = []
        for i in range(n):
            p = check_problem(self._problem(batch, i), f"row {i}")
            pairs.append((p, candidate_for(p, str(batch[comp_col][i]), i, "ray-data")))
        reqs = [request_for(p, c, self.limits) for p, c in pairs]
        index = {r.candidate_id: i for i, r in enumerate(reqs)}  # unique: the row index is in the id
        records: list = [None] * n
        for req, res in self.pool.run(reqs):
            i = index[req.candidate_id]
            records[i] = reward_for(*pairs[i], res, self.scheme)[1]
        out = dict(batch)
        out["reward"] = [r.reward for r in records]
        out["passed"] = [r.passed for r in records]
        out["status"] = [r.status.value for r in records]
        out["partial_credit"] = [float(r.partial_credit or 0.0) for r in records]
        out["failure_category"] = [r.failure_category.value if r.failure_category else "" for r in records]
        out["feedback"] = [r.feedback for r in records]
        out["sandbox_error"] = [r.status is Status.sandbox_error for r in records]
        return out


def verify_dataset(ds, pool, problems: Sequence[Problem] = (), *, scheme: str = DEFAULT_SCHEME,
                   limits: Limits | None = None, batch_size: int = 64, concurrency: int | None = None,
                   completion_column: str = "completion", problem_column: str = "problem",
                   problem_id_column: str = "problem_id"):
    """A lazy Dataset: `ds`'s rows plus the reward columns. Each row's problem is its
    `problem_id` among `problems`, else its `problem` column (a Problem JSON, see
    `adapters.problem_spec`). `pool` (a started RayPool) must outlive the dataset's consumption."""
    return ds.map_batches(
        _Verifier,
        fn_constructor_kwargs={"pool_cls": type(pool), "handles": pool.handles(), "problems": [p.model_dump() for p in problems],
                               "scheme": scheme, "limits": limits.model_dump() if limits else None,
                               "completion_column": completion_column, "problem_column": problem_column,
                               "problem_id_column": problem_id_column},
        batch_size=batch_size, concurrency=concurrency or max(1, len(pool.pools)), batch_format="default",
        num_cpus=0,
    )
