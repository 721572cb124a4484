"""Hardening HumanEval: its cost per problem and the strength certificate before and after.

    python bench/harden.py                         # all 164 problems (tens of minutes on 2 busy cores)
    python bench/harden.py --limit 40 --json out.json
    python bench/harden.py --offset 80 --limit 20  # another slice

For each problem, in one run on one warm Docker pool:
  1. baseline: the canonical solution verified on HumanEval's own tests (one program), timed;
  2. `codesynth tests harden` on it (verifiers.suites.harden.harden_problem, the library call behind the
     command): mutated inputs, the reference's outputs in the sandbox, the kill matrix of the
     known-wrong pool, the certificate before and after; timed.
Printed: seconds per problem for both and their ratio; the mean certificate before and after
(TPR on the canonical solution, TNR on the known-wrong programs shown wrong, mutation score over
every mutant, tests per problem); inputs tried / invalid; problems whose reference fails a
hardened test (must be 0: such a test would be wrong); the share of problems whose public-test
lookup table the suite rejects. Every number comes from this run.

The TNR after hardening is measured on the pool the cover chose its cases against, so it is 1.0
almost by construction. `--heldout` adds a measure that is not: per problem, second-order mutants
of the reference (two edits each, never in the selection pool) are shown wrong by a separate set
of 150 mutated inputs (another seed) with the reference's outputs, and the share of those that
the original and the hardened suite reject is reported (held-out TNR before / after).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from statistics import mean, median

from codesynth.importers import import_humaneval
from codesynth.models import Candidate, Limits
from codesynth.sandbox.docker import image
from codesynth.sandbox.docker.backend import DockerBackend
from codesynth.verifiers.execution import run_pairs
from codesynth.verifiers.suites.harden import HardenConfig, harden_problem
from codesynth.verifiers.suites.input_mutation import mutated_inputs, seed_inputs
from codesynth.verifiers.suites.mutation import mutants
from codesynth.verifiers.suites.oracle import INVALID, reference_outputs
from codesynth.verifiers.suites.strength import run_programs
from codesynth.verifiers.suites.suite import as_tests, full_suite, with_tests
from codesynth.verifiers.suites.wrong_programs import wrong_pool


def _avg(xs):
    xs = [x for x in xs if x is not None]
    return round(mean(xs), 4) if xs else None


def heldout(p, hard, b, limits, cfg) -> dict:
    """Held-out TNR: second-order mutants shown wrong by separate inputs, through both suites."""
    ref = p.reference_solution
    selection = {w.code for w in wrong_pool(p, cfg.max_mutants, cfg.seed)}
    progs: dict[str, str] = {}
    for k, (_, first) in enumerate(mutants(ref, 20, "heldout")):
        for j, (_, second) in enumerate(mutants(first, 2, f"heldout{k}")):
            if second not in selection and second != ref:
                progs.setdefault(second, f"m{k}.{j}")
    inputs = mutated_inputs(seed_inputs(p), 150, f"heldout:{p.id}")
    outs = reference_outputs(p, ref, "python", inputs, b, limits, 1.0)
    cases = [(a, o) for a, o in zip(inputs, outs, strict=True) if o is not INVALID]
    if not progs or not cases:
        return {"programs": 0}
    named = [(name, code, "python") for code, name in progs.items()]
    probe, _ = as_tests(p, cases)
    plimits = limits.model_copy(update={"timeout_s": max(limits.timeout_s, 30.0)})
    shown = [r.status.value not in ("passed", "sandbox_error")
             for r in run_programs(with_tests(p, probe), named, b, plimits)]
    wrong = [n for n, s in zip(named, shown, strict=True) if s]
    if not wrong:
        return {"programs": len(named), "shown_wrong": 0}
    before = run_programs(full_suite(p), wrong, b, limits)
    after = run_programs(full_suite(hard), wrong, b, limits)

    def rej(rs):
        return round(sum(r.status.value != "passed" for r in rs) / len(rs), 4)

    return {"programs": len(named), "shown_wrong": len(wrong), "tnr_before": rej(before), "tnr_after": rej(after)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--limit", type=int, default=None, help="Problems (default: all from --offset).")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=10.0, help="Seconds per program.")
    ap.add_argument("--max-inputs", type=int, default=60)
    ap.add_argument("--max-tests", type=int, default=10)
    ap.add_argument("--max-mutants", type=int, default=20)
    ap.add_argument("--heldout", action="store_true", help="Also measure TNR on held-out second-order mutants.")
    ap.add_argument("--json", default=None, help="Write every number to this file (- for stdout only).")
    args = ap.parse_args(argv)
    problems = import_humaneval()[args.offset:][: args.limit]
    limits = Limits(timeout_s=args.timeout)
    cfg = HardenConfig(max_inputs=args.max_inputs, max_tests=args.max_tests, max_mutants=args.max_mutants)
    b = DockerBackend(workers=args.workers, limits=limits, image=image.ensure_image(build=True),
                      run_id=f"benchharden{os.getpid()}")
    b.start()
    rows = []
    try:
        for k, p in enumerate(problems, 1):
            t0 = time.monotonic()
            [base] = run_pairs([(p, Candidate(candidate_id="ref", problem_id=p.id, solution=p.reference_solution))],
                               b, limits)
            t1 = time.monotonic()
            hard, out = harden_problem(p, b, cfg, limits)
            t2 = time.monotonic()
            before = hard.metadata.get("strength_before") or {}
            after = hard.strength.model_dump() if hard.strength else {}
            rows.append({"id": p.id, "verify_s": round(t1 - t0, 3), "harden_s": round(t2 - t1, 3),
                         "reference_passes_original": base.passed, "outcome": out.model_dump(),
                         "before": before, "after": after,
                         **({"heldout": heldout(p, hard, b, limits, cfg)} if args.heldout else {})})
            print(f"[{k}/{len(problems)}] {p.id}: {out.status} +{out.added} tests, TNR "
                  f"{before.get('tnr')} -> {after.get('tnr')}, {t2 - t1:.1f} s", file=sys.stderr, flush=True)
    finally:
        b.close()

    def side(key: str, field: str):
        return _avg([r[key].get(field) for r in rows])

    def size(key: str):
        return _avg([r[key].get("tests_public", 0) + r[key].get("tests_private", 0) for r in rows if r[key]])

    verify_s, harden_s = [r["verify_s"] for r in rows], [r["harden_s"] for r in rows]
    summary = {
        "problems": len(rows), "hardened": sum(r["outcome"]["status"] == "hardened" for r in rows),
        "tests_added": sum(r["outcome"]["added"] for r in rows),
        "inputs_tried": sum(r["outcome"]["inputs"] for r in rows),
        "inputs_invalid": sum(r["outcome"]["invalid"] for r in rows),
        "cases_disputed": sum(r["outcome"]["disputed"] for r in rows),
        "reference_fails_hardened": sum(1 for r in rows if r["after"] and r["after"].get("tpr") not in (1.0, None)),
        "verify_s_per_problem": round(mean(verify_s), 3), "harden_s_per_problem": round(mean(harden_s), 3),
        "harden_s_median": round(median(harden_s), 3),
        "cost_ratio": round(mean(harden_s) / mean(verify_s), 1) if mean(verify_s) else None,
        "before": {f: side("before", f) for f in ("tpr", "tnr", "mutation_score")} | {"tests": size("before")},
        "after": {f: side("after", f) for f in ("tpr", "tnr", "mutation_score")} | {"tests": size("after")},
        "tnr_below_1": {"before": sum(1 for r in rows if (r["before"].get("tnr") or 1) < 1),
                        "after": sum(1 for r in rows if (r["after"].get("tnr") or 1) < 1)},
        "heldout": {
            "problems": sum(1 for r in rows if (r.get("heldout") or {}).get("shown_wrong")),
            "programs_shown_wrong": sum((r.get("heldout") or {}).get("shown_wrong", 0) for r in rows),
            "tnr_before": _avg([(r.get("heldout") or {}).get("tnr_before") for r in rows]),
            "tnr_after": _avg([(r.get("heldout") or {}).get("tnr_after") for r in rows]),
            "survivors_before": sum(round((r.get("heldout") or {}).get("shown_wrong", 0)
                                          * (1 - (r.get("heldout") or {}).get("tnr_before", 1))) for r in rows),
            "survivors_after": sum(round((r.get("heldout") or {}).get("shown_wrong", 0)
                                         * (1 - (r.get("heldout") or {}).get("tnr_after", 1))) for r in rows),
        } if args.heldout else None,
        "command": "python bench/harden.py " + shlex.join(argv if argv is not None else sys.argv[1:]),
    }
    if args.json != "-":
        s = summary
        print(f"HumanEval problems {s['problems']} (offset {args.offset}); hardened {s['hardened']}, "
              f"private tests added {s['tests_added']}")
        print(f"inputs tried {s['inputs_tried']}, invalid (dropped) {s['inputs_invalid']}, disputed "
              f"{s['cases_disputed']}; reference fails a hardened suite: {s['reference_fails_hardened']}")
        print(f"cost: verify {s['verify_s_per_problem']} s/problem, harden {s['harden_s_per_problem']} s/problem "
              f"(median {s['harden_s_median']}), ratio {s['cost_ratio']}x")
        print(f"{'':<16}{'before':>9}{'after':>9}")
        for f in ("tpr", "tnr", "mutation_score", "tests"):
            print(f"{f:<16}{s['before'][f]!s:>9}{s['after'][f]!s:>9}")
        print(f"problems with TNR < 1: before {s['tnr_below_1']['before']}, after {s['tnr_below_1']['after']}")
        if s["heldout"]:
            h = s["heldout"]
            print(f"held-out second-order mutants shown wrong: {h['programs_shown_wrong']} on {h['problems']} problems; "
                  f"TNR {h['tnr_before']} -> {h['tnr_after']} (mean per problem); passing the suite: "
                  f"{h['survivors_before']} -> {h['survivors_after']}")
        print(f"reproduce: {s['command']}")
    if args.json:
        doc = json.dumps({"summary": summary, "problems": rows}, indent=2)
        if args.json == "-":
            print(doc)
        else:
            with open(args.json, "w", encoding="utf-8") as fh:
                fh.write(doc + "\n")
    return 1 if summary["reference_fails_hardened"] else 0


if __name__ == "__main__":
    sys.exit(main())
