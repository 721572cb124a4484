"""Confidence / agreement: is a passing solution right, or did it slip through weak tests?

Two modes:

- ``pass_rate`` (cheap, default): keep a problem's records only where at least
  ``min_passing`` samples and a fraction ``min_pass_rate`` of all samples passed.
- ``inputs`` (CodeT-style, executes code): the passing solutions of a problem are run
  on inputs generated from the literal arguments in its tests (plus small
  perturbations). Solutions that return the same outputs form a cluster; a record's
  agreement is its cluster's share of the problem's passing solutions. Records below
  ``min_agreement`` are dropped; agreement becomes a weight factor. Outputs come back
  as hashes through the harness's assertion messages, computed in the test process
  from marshalled plain values, so a candidate cannot fake agreement.
  Function problems only (stdin/stdout problems fall back to ``pass_rate``).
"""

from __future__ import annotations

import ast
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from codesynth.ids import probe_id
from codesynth.models import Candidate, DatasetRecord, Limits, Origin, Problem, Status
from codesynth.sandbox.backend import Backend
from codesynth.sandbox.registry import LazyBackend
from codesynth.verifiers.curation.filters import Drop, FilterReport, finish, skipped
from codesynth.verifiers.curation.registry import register_filter
from codesynth.verifiers.execution import run_pairs


class AgreementConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    mode: Literal["pass_rate", "inputs"] = "pass_rate"
    min_passing: int = Field(default=1, ge=1, description="Passing samples a problem needs.")
    min_pass_rate: float = Field(
        default=0.0, ge=0, le=1, description="Fraction of a problem's samples that must pass."
    )
    min_agreement: float = Field(
        default=0.5, ge=0, le=1, description="inputs mode: cluster share a record needs."
    )
    max_inputs: int = Field(default=16, ge=1, description="inputs mode: generated inputs per problem.")
    timeout_s: float = Field(default=5.0, gt=0)


# --------------------------------------------------------------------------- inputs


def literal_calls(tests: str, names: set[str]) -> list[tuple]:
    try:
        tree = ast.parse(tests)
    except (SyntaxError, ValueError):
        return []
    out = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in names
            and not node.keywords
        ):
            try:
                out.append(tuple(ast.literal_eval(a) for a in node.args))
            except (ValueError, TypeError, SyntaxError, RecursionError):
                continue
    return out


def _perturb(v: Any) -> list[Any]:
    if isinstance(v, bool):
        return [not v]
    if isinstance(v, int):
        return [v + 1, v - 1]
    if isinstance(v, str):
        return [v[::-1], v + v[:1]]
    if isinstance(v, list):
        return [v[::-1], v[:-1]] if v else [[0]]
    if isinstance(v, tuple):
        return [v[::-1]]
    return []


def generate_inputs(tests: str, entry_point: str, limit: int) -> list[tuple]:
    """Argument tuples: those literally in the tests, then one-argument perturbations."""
    seen: dict[str, tuple] = {}
    base = literal_calls(tests, {"candidate", entry_point})
    for args in base:
        seen.setdefault(repr(args), args)
    for args in base:
        for k, v in enumerate(args):
            for nv in _perturb(v):
                new = args[:k] + (nv,) + args[k + 1 :]
                seen.setdefault(repr(new), new)
    return list(seen.values())[:limit]


_PROBE_MARK = "codesynth-probe:"


def probe_tests(inputs: list[tuple]) -> str:
    """Test code whose every assert fails with the hash of the output as its message."""
    lines = [
        "import hashlib as _codesynth_hashlib",
        "",
        "def _codesynth_probe(f, args):",
        "    try:",
        "        out = repr(f(*args))",
        "    except Exception as e:  # an exception is an output too",
        "        out = 'raises ' + type(e).__name__",
        f"    return {_PROBE_MARK!r} + _codesynth_hashlib.sha256(out.encode()).hexdigest()[:16]",
        "",
        "def check(candidate):",
    ]
    lines += [f"    assert not (_m := _codesynth_probe(candidate, {args!r})), _m" for args in inputs]
    return "\n".join(lines) + "\n"


def _signature(messages: list[str | None]) -> tuple[str, ...] | None:
    sig = []
    for m in messages:
        if not m or _PROBE_MARK not in m:
            return None
        sig.append(m[m.index(_PROBE_MARK) + len(_PROBE_MARK) :][:16])
    return tuple(sig)


# --------------------------------------------------------------------------- filter


def agreement_filter(
    records: list[DatasetRecord],
    cfg: AgreementConfig | None,
    counts: dict[str, tuple[int, int]],
    backend: Backend | LazyBackend | None = None,
    limits: Limits | None = None,
    repaired: Mapping[str, int] | None = None,
) -> tuple[list[DatasetRecord], FilterReport]:
    """`counts`: problem_id -> (samples tried, samples passed) over the whole run; `repaired`:
    problem_id -> repair turns that passed. A repaired pass is a verified solution, so it counts
    toward `min_passing` (the pass *rate* stays the first tries': repairs are not samples)."""
    cfg = cfg or AgreementConfig()
    if not cfg.enabled:
        return skipped("agreement", records)
    drops: list[Drop] = []
    for r in records:
        fixed = (repaired or {}).get(r.problem_id, 0)
        # no first tries on record: solved by repair only (0 samples), or a dataset without its
        # run's rewards, where the record itself is the one passing sample we know of
        n, first = counts.get(r.problem_id, (0, 0) if fixed else (1, 1))
        c = first + fixed
        r.metadata["agreement"] = {"samples": n, "passing": c, "repaired_passes": fixed,
                                   "pass_rate": round(first / n, 4) if n else None}
        if c < cfg.min_passing:
            drops.append(
                Drop(
                    id=r.id,
                    problem_id=r.problem_id,
                    reason="too_few_passing",
                    detail={"passing": c, "repaired_passes": fixed, "samples": n, "min_passing": cfg.min_passing},
                )
            )
        elif n and first / n < cfg.min_pass_rate:
            drops.append(
                Drop(
                    id=r.id,
                    problem_id=r.problem_id,
                    reason="low_pass_rate",
                    detail={"pass_rate": round(first / n, 4), "min_pass_rate": cfg.min_pass_rate},
                )
            )
    stats: dict[str, Any] = {"mode": cfg.mode}
    if cfg.mode == "inputs" and backend is not None:
        dropped = {d.id for d in drops}
        drops += _input_agreement([r for r in records if r.id not in dropped], cfg, backend, limits, stats)
    return finish("agreement", records, drops, **stats)


def _input_agreement(records, cfg, backend, limits, stats) -> list[Drop]:
    groups: dict[str, list[DatasetRecord]] = defaultdict(list)
    for r in records:
        if r.entry_point and isinstance(r.tests, str):
            groups[r.problem_id].append(r)
    pairs, owners = [], []
    probes: dict[str, int] = {}
    for pid, recs in groups.items():
        if len(recs) < 2:
            continue  # nothing to agree with
        inputs = generate_inputs(recs[0].tests, recs[0].entry_point, cfg.max_inputs)  # type: ignore[arg-type]
        if not inputs:
            continue
        probes[pid] = len(inputs)
        problem = Problem(
            id=pid, prompt=recs[0].instruction, entry_point=recs[0].entry_point, tests=probe_tests(inputs)
        )
        for r in recs:
            pairs.append(
                (
                    problem,
                    Candidate(
                        candidate_id=probe_id(r.candidate_id),
                        problem_id=pid,
                        solution=r.solution,
                        origin=Origin(kind="probe"),
                    ),
                )
            )
            owners.append(r)
    stats["problems_probed"] = len(probes)
    if not pairs:
        return []
    be = LazyBackend.of(backend).get()
    base = limits or Limits()
    results = run_pairs(pairs, be, base.model_copy(update={"timeout_s": min(base.timeout_s, cfg.timeout_s)}))
    sigs: dict[str, tuple | None] = {}
    unreadable = 0
    for r, res in zip(owners, results, strict=True):
        sig = None
        if res.status in (Status.failed, Status.passed):
            sig = _signature([t.message for t in res.tests])
            if sig is not None and len(sig) != probes[r.problem_id]:
                sig = None
        if sig is None:
            unreadable += 1
        sigs[r.id] = sig
    stats["unreadable_probes"] = unreadable
    drops = []
    for pid in probes:
        recs = groups[pid]
        cluster = Counter(sigs[r.id] for r in recs if sigs[r.id] is not None)
        total = len(recs)
        for r in recs:
            s = sigs[r.id]
            if s is None:
                continue  # no reading is no evidence either way
            share = cluster[s] / total
            r.metadata["agreement"].update(
                {"inputs": probes[pid], "cluster_share": round(share, 4), "clusters": len(cluster)}
            )
            if share < cfg.min_agreement:
                drops.append(
                    Drop(
                        id=r.id,
                        problem_id=pid,
                        reason="disagrees_with_peers",
                        detail={
                            "cluster_share": round(share, 4),
                            "clusters": len(cluster),
                            "inputs": probes[pid],
                        },
                    )
                )
    return drops


@register_filter("agreement", config=AgreementConfig, order=60)
def agreement_step(records, cfg, ctx):
    """Problems with too few passing solutions (repairs count), or solutions their peers disagree with."""
    return agreement_filter(records, cfg, ctx.problem_counts, ctx.backend, ctx.limits, ctx.repaired_passes)
