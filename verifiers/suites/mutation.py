"""Test strength by mutation testing.

A passing program is mutated with small AST edits (operator swaps, off-by-one,
constant changes, statement deletion); each mutant runs against the record's own
tests in the sandbox. A test suite that lets most mutants pass is toothless: the
record's "verified" label means little, so it is dropped or down-weighted.

Mutant verdicts: any status but `passed` kills the mutant (a wrong answer, a crash, a
timeout); `sandbox_error` results are not counted either way.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from codesynth.ids import mutant_id
from codesynth.models import Candidate, DatasetRecord, Limits, Origin, Status
from codesynth.sandbox.backend import Backend
from codesynth.sandbox.registry import LazyBackend
from codesynth.verifiers.curation.complexity import summarize
from codesynth.verifiers.curation.filters import Drop, FilterReport, finish, skipped
from codesynth.verifiers.execution import record_problem, run_pairs


class MutationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    max_mutants: int = Field(
        default=10, ge=1, description="Mutants run per record (sampled across operators)."
    )
    min_score: float = Field(
        default=0.5, ge=0, le=1, description="Mutation score below which tests are toothless."
    )
    action: Literal["drop", "downweight"] = "drop"
    timeout_s: float = Field(
        default=3.0, gt=0, description="Time limit per mutant (a hanging mutant counts as killed)."
    )
    seed: int = 0


# --------------------------------------------------------------------------- operators

_BINOP_SWAP: dict[type, type] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.FloorDiv,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult,
    ast.Mod: ast.FloorDiv,
    ast.Pow: ast.Mult,
    ast.BitAnd: ast.BitOr,
    ast.BitOr: ast.BitAnd,
    ast.LShift: ast.RShift,
    ast.RShift: ast.LShift,
}
_CMP_SWAP: dict[type, type] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


@dataclass(frozen=True)
class Site:
    """One place a mutation operator applies: the node's index in a walk, and the variant."""

    operator: str
    node_index: int
    variant: int = 0


def _docstring_ids(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            b = node.body
            if b and isinstance(b[0], ast.Expr) and isinstance(getattr(b[0], "value", None), ast.Constant):
                ids.add(id(b[0]))
                ids.add(id(b[0].value))
    return ids


def _sites(tree: ast.AST) -> Iterator[Site]:
    skip = _docstring_ids(tree)
    for i, node in enumerate(ast.walk(tree)):
        if id(node) in skip:
            continue
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in _BINOP_SWAP:
            yield Site("swap_operator", i)
        elif isinstance(node, ast.Compare):
            for k, op in enumerate(node.ops):
                if type(op) in _CMP_SWAP:
                    yield Site("swap_comparison", i, k)
        elif isinstance(node, ast.BoolOp):
            yield Site("swap_boolean", i)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield Site("drop_not", i)
        elif isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool):
                yield Site("constant_change", i)
            elif isinstance(v, int):
                yield Site("off_by_one", i, 0)  # +1
                yield Site("off_by_one", i, 1)  # -1
            elif isinstance(v, (float, str)):
                yield Site("constant_change", i)
        if isinstance(
            node,
            (
                ast.Assign,
                ast.AugAssign,
                ast.AnnAssign,
                ast.Expr,
                ast.Return,
                ast.Raise,
                ast.Continue,
                ast.Break,
            ),
        ):
            yield Site("delete_statement", i)


def _apply(tree: ast.Module, site: Site) -> ast.Module:
    t = copy.deepcopy(tree)
    target = next(n for k, n in enumerate(ast.walk(t)) if k == site.node_index)
    op = site.operator
    if op == "swap_operator":
        target.op = _BINOP_SWAP[type(target.op)]()
    elif op == "swap_comparison":
        target.ops[site.variant] = _CMP_SWAP[type(target.ops[site.variant])]()
    elif op == "swap_boolean":
        target.op = ast.Or() if isinstance(target.op, ast.And) else ast.And()
    elif op == "drop_not":
        _replace(t, target, target.operand)
    elif op == "off_by_one":
        target.value = target.value + (1 if site.variant == 0 else -1)
    elif op == "constant_change":
        v = target.value
        if isinstance(v, bool):
            target.value = not v
        elif isinstance(v, float):
            target.value = v + 1.0 if v == 0 else v * 2
        else:
            target.value = "" if v else "x"
    elif op == "delete_statement":
        _replace(t, target, ast.Pass())
    return ast.fix_missing_locations(t)


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list):
                for k, item in enumerate(value):
                    if item is old:
                        value[k] = new
                        return


def mutants(code: str, max_mutants: int, seed: int | str = 0) -> list[tuple[Site, str]]:
    """Up to `max_mutants` distinct mutants of `code`, sampled round-robin over operators
    (deterministic for a given seed). Empty if the code does not parse."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return []
    original = ast.unparse(tree)
    by_op: dict[str, list[Site]] = {}
    for s in _sites(tree):
        by_op.setdefault(s.operator, []).append(s)
    rng = random.Random(int.from_bytes(hashlib.sha256(f"{seed}".encode()).digest()[:8], "little"))
    for sites in by_op.values():
        rng.shuffle(sites)
    ops = sorted(by_op)
    rng.shuffle(ops)
    out: list[tuple[Site, str]] = []
    seen = {original}
    while len(out) < max_mutants and any(by_op[o] for o in ops):
        for o in ops:
            if not by_op[o] or len(out) >= max_mutants:
                continue
            site = by_op[o].pop()
            try:
                text = ast.unparse(_apply(tree, site))
                compile(text, "<mutant>", "exec")
            except (SyntaxError, ValueError, TypeError, StopIteration, RecursionError):
                continue
            if text not in seen:  # equal text = no-op mutant (e.g. -0 -> +0)
                seen.add(text)
                out.append((site, text))
    return out


# --------------------------------------------------------------------------- filter


def mutation_filter(
    records: list[DatasetRecord],
    cfg: MutationConfig | None,
    backend: Backend | LazyBackend | None,
    limits: Limits | None = None,
) -> tuple[list[DatasetRecord], FilterReport]:
    """Measure each record's mutation score; drop or down-weight toothless tests.

    `backend` is lazy: the sandbox only starts when a record actually has mutants to run.
    """
    cfg = cfg or MutationConfig()
    if not cfg.enabled:
        return skipped("mutation", records)
    if backend is None:
        return skipped("mutation", records, note="no execution backend")
    jobs: list[tuple[int, Site]] = []
    pairs = []
    for ri, rec in enumerate(records):
        problem = record_problem(rec)
        for mi, (site, text) in enumerate(mutants(rec.solution, cfg.max_mutants, f"{cfg.seed}:{rec.id}")):
            cand = Candidate(
                candidate_id=mutant_id(rec.candidate_id, mi),
                problem_id=rec.problem_id,
                solution=text,
                origin=Origin(kind="mutant", extra={"operator": site.operator}),
            )
            jobs.append((ri, site))
            pairs.append((problem, cand))
    be = LazyBackend.of(backend).get()
    base = limits or Limits()
    mlimits = base.model_copy(update={"timeout_s": min(base.timeout_s, cfg.timeout_s)})
    results = run_pairs(pairs, be, mlimits) if pairs else []

    killed: dict[int, int] = {}
    counted: dict[int, int] = {}
    survivors: dict[int, list[str]] = {}
    for (ri, site), res in zip(jobs, results, strict=True):
        if res.status is Status.sandbox_error:
            continue
        counted[ri] = counted.get(ri, 0) + 1
        if res.status is Status.passed:
            survivors.setdefault(ri, []).append(site.operator)
        else:
            killed[ri] = killed.get(ri, 0) + 1

    drops: list[Drop] = []
    scores: list[float] = []
    for ri, rec in enumerate(records):
        n = counted.get(ri, 0)
        if n == 0:
            rec.metadata["test_strength"] = {"mutants": 0, "mutation_score": None}
            continue
        score = killed.get(ri, 0) / n
        scores.append(score)
        rec.metadata["test_strength"] = {
            "mutants": n,
            "killed": killed.get(ri, 0),
            "mutation_score": round(score, 4),
            "surviving_operators": sorted(set(survivors.get(ri, []))),
        }
        if score < cfg.min_score and cfg.action == "drop":
            drops.append(
                Drop(
                    id=rec.id,
                    problem_id=rec.problem_id,
                    reason="toothless_tests",
                    detail={
                        "mutation_score": round(score, 4),
                        "mutants": n,
                        "killed": killed.get(ri, 0),
                        "surviving_operators": sorted(set(survivors.get(ri, []))),
                    },
                )
            )
    kept, rep = finish(
        "mutation",
        records,
        drops,
        min_score=cfg.min_score,
        action=cfg.action,
        mutants_run=len(pairs),
        mutation_score=summarize(scores),
        scores=[round(x, 4) for x in scores],
    )
    if cfg.action == "downweight":
        rep.stats["downweighted"] = sum(1 for s in scores if s < cfg.min_score)
    return kept, rep
