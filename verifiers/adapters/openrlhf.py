"""OpenRLHF reward, two ways: this file for its python-file mode
(`--remote_rm_url /path/to/openrlhf_reward.py`, which calls `reward_func(queries, prompts, labels)`),
and the helpers `codesynth serve` uses for its `POST /openrlhf/reward` remote reward model.

OpenRLHF sends `query` = prompt + response; the response is what follows the prompt.
`labels` carry each row's problem: the id of a problem the caller passes in `problems` (or the
server preloads; the `CODESYNTH_PROBLEMS` path in python-file mode), a Problem JSON
(`adapters.problem_spec`), a JSON list of stdin/stdout cases, or assert code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from codesynth.errors import DataError
from codesynth.models import Problem, RewardRecord, Status
from codesynth.verifiers.adapters.specs import load_problem_index, problem_from_spec
from codesynth.verifiers.scoring import DEFAULT_SCHEME, score_many


def response_text(query: str, prompt: str) -> str:
    """The model's response: the query with its prompt stripped (OpenRLHF joins the two)."""
    return query[len(prompt):] if prompt and query.startswith(prompt) else query


def label_problem(label: Any, prompt: str, index: int, problems: Mapping[str, Problem] | None = None) -> Problem:
    if isinstance(label, str) and problems and label in problems:
        return problems[label]
    return problem_from_spec(label, prompt=prompt, problem_id=f"openrlhf/{index}",
                             where=f"codesynth openrlhf reward: sample {index}, label")


def items(queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any],
          problems: Mapping[str, Problem] | None = None) -> list[tuple[Problem, str]]:
    if not (len(queries) == len(prompts) == len(labels)):
        raise DataError(f"query, prompts and labels differ in length ({len(queries)}, {len(prompts)}, {len(labels)})")
    return [(label_problem(lab, p, i, problems), response_text(q, p))
            for i, (q, p, lab) in enumerate(zip(queries, prompts, labels, strict=True))]


def result(records: Sequence[RewardRecord]) -> dict[str, Any]:
    """OpenRLHF's reward-model answer: rewards (for the advantage), scores (for filtering) and
    per-sample logs it averages into its metrics."""
    rewards = [float(r.reward) for r in records]
    return {
        "rewards": rewards,
        "scores": rewards,
        "extra_logs": {
            "pass": [1.0 if r.passed else 0.0 for r in records],
            "partial_credit": [float(r.partial_credit or 0.0) for r in records],
            "sandbox_error": [1.0 if r.status is Status.sandbox_error else 0.0 for r in records],
        },
    }


def reward_func(queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any], **kwargs: Any) -> dict:
    """OpenRLHF's python-file reward: tensors when torch is there (it always is under OpenRLHF)."""
    index = load_problem_index(kwargs.get("problems"))
    recs = score_many(items(queries, prompts, labels, index),
                      scheme=kwargs.get("scheme", DEFAULT_SCHEME), backend=kwargs.get("backend"),
                      limits=kwargs.get("limits"), origin="openrlhf")
    out = result(recs)
    try:
        import torch
    except ImportError:
        return out
    return {"rewards": torch.tensor(out["rewards"]), "scores": torch.tensor(out["scores"]),
            "extra_logs": {k: torch.tensor(v) for k, v in out["extra_logs"].items()}}
