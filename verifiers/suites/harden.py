"""Harden one problem's suite: new inputs, the reference's outputs, kept only where they kill.

EvalPlus's recipe, in the sandbox: seed inputs from the existing tests are mutated by type
(verifiers/suites/input_mutation.py; stdin texts token by token, verifiers/suites/io_mutation.py;
with few seeds, data-form inputs are also drawn from the signature, verifiers/suites/signature_inputs.py);
the reference computes each one's expected output, and an
input it rejects is dropped (verifiers/suites/oracle.py); every known-correct program (every
reference, in every language) must pass each new case, or the case is dropped (a case that
a correct program fails is a wrong test); the known-wrong pool (verifiers/suites/wrong_programs.py)
runs on the rest, and a greedy set cover keeps the fewest cases that kill every wrong program
any case kills; the places left up to `max_tests` go to cases of other behaviours (wrong programs
outside the pool are caught by breadth), all within a budget of the reference's time. The kept
cases are added to `private_tests`, never to the public tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from codesynth.models import (
    Candidate,
    ExecutionResult,
    Limits,
    Problem,
    Status,
    SuiteStrength,
    parse_type,
    type_error,
)
from codesynth.sandbox.backend import Backend
from codesynth.verifiers.suites.ambiguity import order_ambiguous
from codesynth.verifiers.suites.input_mutation import mutated_inputs, scaled_inputs, scales_up, seed_inputs
from codesynth.verifiers.suites.io_mutation import io_seed_inputs, mutated_io_inputs
from codesynth.verifiers.suites.oracle import INVALID, reference_outputs, reference_run
from codesynth.verifiers.suites.signature_inputs import FEW_SEEDS, signature_inputs
from codesynth.verifiers.suites.strength import certify, correct_programs, measure, run_programs
from codesynth.verifiers.suites.suite import as_tests, full_suite, with_tests
from codesynth.verifiers.suites.wrong_programs import WrongProgram, trivial_programs, wrong_pool


class HardenConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_inputs: int = Field(default=60, ge=1, le=150, description="Mutated inputs tried per problem.")
    max_tests: int = Field(default=10, ge=1, description="Private tests added per problem, at most.")
    minimal: bool = Field(default=False, description="Keep only the set cover of the wrong-program pool; by "
                          "default the remaining places up to max_tests go to cases of varied behaviour and output "
                          "(wrong programs outside the pool are caught by breadth, not by the cover).")
    max_mutants: int = Field(default=20, ge=0, description="Mutants of the reference in the wrong-program pool.")
    input_budget_s: float = Field(default=1.0, gt=0, description="The reference's time per input; slower: invalid.")
    time_budget_s: float = Field(default=1.0, gt=0, description="The reference's time on all the added tests "
                                 "together, at most: a hardened suite must still run well inside a program's limit.")
    seed: int = 0


class HardenOutcome(BaseModel):
    """What hardening did to one problem (a line of the summary)."""

    problem_id: str
    status: str = Field(description="hardened | unchanged | skipped")
    reason: str | None = None
    seeds: int = 0
    inputs: int = Field(default=0, description="New inputs tried (mutated, drawn from the signature).")
    drawn: int = Field(default=0, description="Of those, drawn from the signature (hypothesis strategies).")
    generated: int = Field(default=0, description="Of those, printed by the model's input generators.")
    invalid: int = Field(default=0, description="Inputs the reference raised on, timed out on, or returned no literal.")
    ambiguous: int = Field(default=0, description="Of those, inputs with several right answers: the reference's "
                           "answer changes with their lists reversed, where no seed's does (ties).")
    disputed: int = Field(default=0, description="Cases a known-correct program failed (dropped).")
    candidates: int = Field(default=0, description="Cases that survived to the kill matrix.")
    added: int = 0
    killers: int = Field(default=0, description="Wrong programs the kept cases kill.")
    seconds: float = 0.0


def _reference(problem: Problem) -> tuple[str, str] | None:
    refs = problem.references()
    if problem.language in refs:
        return problem.language, refs[problem.language]
    return next(iter(sorted(refs.items())), None)


def _failed(res: ExecutionResult, keys: list[Any], kind: str) -> set[int] | None:
    """Which cases (by position) a program failed; None when the run says nothing per case."""
    if res.status is Status.sandbox_error or (not res.tests and res.status is not Status.passed):
        return None
    if kind in ("calls", "io"):
        bad = {i for i, o in enumerate(res.tests[: len(keys)]) if not o.passed}
        # a case the run never reached (it stopped early) is not known to pass
        return bad | (set(range(len(res.tests), len(keys))) if res.status is not Status.passed else set())
    by_line = {k: i for i, k in enumerate(keys)}
    bad: set[int] = set()
    seen: set[int] = set()
    for o in res.tests:
        head = o.name.split(":", 2)
        if len(head) >= 2 and head[0] == "tests" and head[1].isdigit() and int(head[1]) in by_line:
            seen.add(by_line[int(head[1])])
            if not o.passed:
                bad.add(by_line[int(head[1])])
    # a case the run never reached (it stopped early) is not known to pass
    return bad | (set(range(len(keys))) - seen if res.status is not Status.passed else set())


def _cover(kills: dict[int, set[int]], limit: int, cost: list[float] | None = None,
           budget: float = float("inf")) -> list[int]:
    """Greedy set cover: cases, in order of how many not-yet-killed wrong programs they kill (the
    cheaper first among equals), while the reference's time on them stays within `budget`."""
    cost = cost or [0.0] * (max(kills, default=-1) + 1)
    left = set().union(*kills.values()) if kills else set()
    chosen: list[int] = []
    spent = 0.0
    while left and len(chosen) < limit:
        fits = [c for c in sorted(kills) if c not in chosen and spent + cost[c] <= budget]
        if not fits:
            break
        best = max(fits, key=lambda c: (len(kills[c] & left), -cost[c]))
        if not kills[best] & left:
            break
        chosen.append(best)
        spent += cost[best]
        left -= kills[best]
    return sorted(chosen)


def _fill(chosen: list[int], live: list[int], cases: list[tuple[tuple, Any]], limit: int,
          cost: list[float], budget: float, kills: dict[int, set[int]]) -> list[int]:
    """Up to `limit` cases: the cover, then the rest round-robin over behaviours (cases that kill a
    different set of pool programs take a different path through the reference; behaviours the
    cover lacks first), and within one behaviour different expected outputs first; none that would
    take the reference's time on them all past `budget`."""
    def sig(i: int) -> tuple[int, ...]:
        return tuple(sorted(kills.get(i, ())))

    have = {sig(i) for i in chosen}
    groups: dict[tuple[int, ...], list[int]] = {}
    for i in live:
        if i not in chosen:
            groups.setdefault(sig(i), []).append(i)
    for k, g in groups.items():
        seen: set[str] = set()
        first = [i for i in g if repr(cases[i][1]) not in seen and not seen.add(repr(cases[i][1]))]
        groups[k] = [*first, *(i for i in g if i not in first)][::-1]  # popped from the end
    order = sorted(groups, key=lambda k: (k in have, -len(groups[k]), k))
    out = list(chosen)
    spent = sum(cost[i] for i in out)
    while len(out) < limit and any(groups.values()):
        for k in order:
            if groups[k] and len(out) < limit:
                i = groups[k].pop()
                if spent + cost[i] <= budget:
                    out.append(i)
                    spent += cost[i]
    return sorted(out)


def _append(problem: Problem, cases: list[tuple[tuple, Any]]) -> Any:
    new, _ = as_tests(problem, cases)
    old = problem.private_tests
    if problem.kind in ("calls", "io"):
        return [*(old or []), *new]
    head = (str(old).rstrip("\n") + "\n\n") if old else ""
    return head + "# Hardened by `codesynth tests harden`: inputs mutated from the tests, outputs of the reference.\n" + new


@dataclass
class Evidence:
    """New cases the reference vouches for, and which known-wrong programs each one kills."""

    outcome: HardenOutcome
    cases: list[tuple[tuple, Any]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)  # the reference's time on each case
    live: list[int] = field(default_factory=list)  # cases no known-correct program fails
    kills: dict[int, set[int]] = field(default_factory=dict)  # case -> pool programs it kills

    @property
    def killed(self) -> set[int]:
        return set().union(*self.kills.values()) if self.kills else set()


@dataclass
class Judges:
    """Who decides: the program whose outputs become expectations, the programs known to be correct
    (each must pass every new case), and the known-wrong pool."""

    oracle: tuple[str, str]  # (language, program)
    correct: list[tuple[str, str]]
    pool: list[WrongProgram]
    by: str  # reference | agreement


def _inputs(problem: Problem, cfg: HardenConfig, out: HardenOutcome, extra: Sequence[tuple] = ()) -> list[tuple]:
    """Mutated (and drawn) inputs, then `extra` ones (a model's input generators) not seen yet."""
    new = _own_inputs(problem, cfg, out)
    known = {repr(a) for a in new}
    more = [a for a in extra if repr(a) not in known and not known.add(repr(a))]
    out.generated = len(more)
    out.inputs += len(more)
    return new + more


def _own_inputs(problem: Problem, cfg: HardenConfig, out: HardenOutcome) -> list[tuple]:
    if problem.kind == "io":  # an input is the 1-tuple (stdin,)
        texts = io_seed_inputs(problem)
        out.seeds = len(texts)
        new = mutated_io_inputs(texts, cfg.max_inputs, f"{cfg.seed}:{problem.id}")
        out.inputs = len(new)
        return [(t,) for t in new]
    seeds = seed_inputs(problem) + (seed_inputs(problem, problem.private_tests) if problem.private_tests else [])
    out.seeds = len(seeds)
    # few seeds give mutation little to work with: half the inputs then come from the signature
    drawn_n = cfg.max_inputs // 2 if problem.signature is not None and len(seeds) < FEW_SEEDS else 0
    inputs = mutated_inputs(seeds, cfg.max_inputs - drawn_n, f"{cfg.seed}:{problem.id}")
    drawn = signature_inputs(problem, seeds + inputs, cfg.max_inputs - len(inputs), f"{cfg.seed}:{problem.id}") \
        if drawn_n else []
    # besides those (first: a behaviour's first case is the one kept), integers past the seeds' largest
    # where the text bounds no value
    have = {repr(a) for a in inputs + drawn}
    scaled = [a for a in scaled_inputs(seeds) if repr(a) not in have] if scales_up(problem.prompt) else []
    out.drawn = len(drawn)
    out.inputs = len(scaled) + len(inputs) + len(drawn)
    return scaled + inputs + drawn


def _samples_as_wrong(samples: Sequence[Candidate], problem: Problem) -> list[WrongProgram]:
    return [WrongProgram("sample", c.candidate_id, c.solution, c.language or problem.language) for c in samples]


def _agreement(problem: Problem, samples: Sequence[Candidate], backend: Backend, cfg: HardenConfig,
               limits: Limits | None, out: HardenOutcome) -> Judges | None:
    """CodeT without a reference: the samples that pass the whole suite, grouped by their outputs on the
    mutated inputs; the largest group (two at least, more than half of the passing) decides."""
    passing = [c for c, r in zip(samples, run_programs(
        full_suite(problem), [(c.candidate_id, c.solution, c.language) for c in samples], backend, limits),
        strict=True) if r.status is Status.passed]
    inputs = _inputs(problem, cfg, out)
    if len(passing) < 2 or not inputs:
        out.reason = f"no reference solution, and {len(passing)} sample(s) pass the suite (agreement needs 2)"
        return None
    groups: dict[tuple, list[Candidate]] = {}
    for c in passing:
        outs = reference_outputs(problem, c.solution, c.language or problem.language, inputs, backend, limits,
                                 cfg.input_budget_s)
        groups.setdefault(tuple("!" if o is INVALID else repr(o) for o in outs), []).append(c)
    best = max(groups.values(), key=len)
    if len(best) < 2 or len(best) * 2 <= len(passing):
        out.reason = f"no reference solution, and the {len(passing)} passing samples do not agree (largest group {len(best)})"
        return None
    head = best[0]
    lang = head.language or problem.language
    stand_in = problem.model_copy(update={"reference_solution": head.solution if lang == "python" else None,
                                          "reference_solutions": {}, "language": lang})
    others = [c for c in samples if c not in best]
    return Judges((lang, head.solution), [(c.language or problem.language, c.solution) for c in best],
                  [*wrong_pool(stand_in, cfg.max_mutants, cfg.seed), *_samples_as_wrong(others, problem)], "agreement")


def judges_for(problem: Problem, backend: Backend, cfg: HardenConfig, limits: Limits | None = None,
               samples: Sequence[Candidate] = (), out: HardenOutcome | None = None) -> Judges | None:
    """The reference decides where there is one (the samples join the wrong pool: one that disagrees with
    it on a valid input is shown wrong); otherwise the agreement of the samples, if they agree."""
    out = out or HardenOutcome(problem_id=problem.id, status="skipped")
    ref = _reference(problem)
    if ref is not None:
        return Judges(ref, correct_programs(problem),
                      [*wrong_pool(problem, cfg.max_mutants, cfg.seed), *_samples_as_wrong(samples, problem)],
                      "reference")
    if samples:
        return _agreement(problem, samples, backend, cfg, limits, out)
    out.reason = "no reference solution (give sampled solutions to decide by their agreement)"
    return None


def gather_evidence(problem: Problem, backend: Backend, judges: Judges, cfg: HardenConfig,
                    limits: Limits | None = None, out: HardenOutcome | None = None,
                    extra_inputs: Sequence[tuple] = ()) -> Evidence:
    """New inputs (mutated, drawn, `extra_inputs` from a model's generators), their expected
    outputs, and the kill matrix of the wrong-program pool on them."""
    out = out or HardenOutcome(problem_id=problem.id, status="unchanged")
    out.status = "unchanged"
    ev = Evidence(outcome=out)
    inputs = _inputs(problem, cfg, out, extra_inputs)
    if not inputs:
        out.reason = ("no stdin in the cases to mutate" if problem.kind == "io"
                      else "no literal call arguments in the tests to mutate")
        return ev
    lang, code = judges.oracle
    outputs, secs = reference_run(problem, code, lang, inputs, backend, limits, cfg.input_budget_s)
    if problem.kind != "io":  # several right answers (ties): the reference's pick is no test
        seeds = seed_inputs(problem) + (seed_inputs(problem, problem.private_tests) if problem.private_tests else [])
        out.ambiguous = len(tied := order_ambiguous(problem, code, lang, seeds, inputs, outputs, backend, limits,
                                                    cfg.input_budget_s))
        outputs = [INVALID if i in tied else o for i, o in enumerate(outputs)]
    ret = parse_type(problem.signature.returns) if problem.kind == "calls" else None  # type: ignore[union-attr]
    # data-form: the expected value must fit the declared return type (a load rule)
    keep = [i for i, o in enumerate(outputs) if o is not INVALID and (ret is None or type_error(ret, o) is None)]
    cases = [(inputs[i], outputs[i]) for i in keep]
    ev.seconds = [secs[i] for i in keep]
    out.invalid = len(inputs) - len(cases)
    if not cases:
        out.reason = f"the {judges.by} rejected every new input"
        return ev
    tests, keys = as_tests(problem, cases)
    good = judges.correct
    progs = [(f"correct{i}", c, lg) for i, (lg, c) in enumerate(good)]
    progs += [(f"{w.kind}:{w.name}", w.code, w.language) for w in judges.pool]
    # all the cases in one program: as long as the reference needs for them, with room to spare
    base = limits or Limits()
    run_limits = base.model_copy(update={"timeout_s": max(base.timeout_s, 3 * sum(ev.seconds) + 2)})
    res = run_programs(with_tests(problem, tests), progs, backend, run_limits)
    disputed: set[int] = set()
    for r in res[: len(good)]:
        bad = _failed(r, keys, problem.kind)
        disputed |= set(range(len(cases))) if bad is None else bad
    out.disputed = len(disputed)
    live = [i for i in range(len(cases)) if i not in disputed]
    out.candidates = len(live)
    kills: dict[int, set[int]] = {i: set() for i in live}
    for w, r in enumerate(res[len(good):]):
        for i in (_failed(r, keys, problem.kind) or set()) & set(live):
            kills[i].add(w)
    ev.cases, ev.live, ev.kills = cases, live, kills
    return ev


def _certify(problem: Problem, backend: Backend, judges: Judges, ev: Evidence, limits: Limits | None,
             hardened: bool | None = None, settled: dict[int, ExecutionResult] | None = None,
             ) -> tuple[SuiteStrength, list[ExecutionResult]]:
    extra = judges.correct if judges.by == "agreement" else []
    return measure(problem, backend, pool=judges.pool, shown_wrong=ev.killed, extra_correct=extra, limits=limits,
                   hardened=hardened, settled=settled)


def strength_of(problem: Problem, backend: Backend, cfg: HardenConfig | None = None,
                limits: Limits | None = None, samples: Sequence[Candidate] = ()) -> tuple[SuiteStrength, HardenOutcome]:
    """The certificate of the problem's suite as it is (`tests certify`): the same evidence as hardening
    decides which pool programs are known to be wrong, nothing is added."""
    cfg = cfg or HardenConfig()
    out = HardenOutcome(problem_id=problem.id, status="skipped")
    judges = judges_for(problem, backend, cfg, limits, samples, out)
    if judges is None:  # nothing decides what is right: the suite measured on the trivial answers alone
        return certify(problem, backend, pool=trivial_programs(problem), limits=limits), out
    ev = gather_evidence(problem, backend, judges, cfg, limits, out)
    out.status = "certified"
    return _certify(problem, backend, judges, ev, limits)[0], out


def harden_problem(problem: Problem, backend: Backend, cfg: HardenConfig | None = None,
                   limits: Limits | None = None, samples: Sequence[Candidate] = (),
                   extra_inputs: Sequence[tuple] = ()) -> tuple[Problem, HardenOutcome]:
    """The problem with killing cases added to its private tests, its certificate before and after.
    `samples`: sampled solutions; with a reference they join the known-wrong pool (those it tells
    apart), without one their agreement decides the expected outputs (CodeT). `extra_inputs`: inputs
    from elsewhere (a model's input generators: verifiers/suites/generated_inputs.py), judged alike."""
    cfg = cfg or HardenConfig()
    out = HardenOutcome(problem_id=problem.id, status="skipped")
    judges = judges_for(problem, backend, cfg, limits, samples, out)
    if judges is None:
        return problem, out
    ev = gather_evidence(problem, backend, judges, cfg, limits, out, extra_inputs)
    before, verdicts = _certify(problem, backend, judges, ev, limits)
    chosen = _cover(ev.kills, cfg.max_tests, ev.seconds, cfg.time_budget_s)
    if chosen and not cfg.minimal:
        chosen = _fill(chosen, ev.live, ev.cases, cfg.max_tests, ev.seconds, cfg.time_budget_s, ev.kills)
    if not chosen:
        out.reason = out.reason or "no new input kills a wrong program the suite lets through"
        return _stamp(problem, before, before, False), out
    out.added = len(chosen)
    out.killers = len(set().union(*(ev.kills[i] for i in chosen)))
    by = {"hardened_by": f"agreement of {len(judges.correct)} samples"} if judges.by == "agreement" else {}
    hardened = problem.model_copy(update={"private_tests": _append(problem, [ev.cases[i] for i in chosen]),
                                          "metadata": {**problem.metadata, **by}})
    # what the original suite rejects, the hardened one (a superset) rejects: only the rest run again
    rejected = {i: r for i, r in enumerate(verdicts) if r.status not in (Status.passed, Status.sandbox_error)}
    after, _ = _certify(hardened, backend, judges, ev, limits, hardened=True, settled=rejected)
    out.status = "hardened"
    return _stamp(hardened, before, after, True), out


def _stamp(problem: Problem, before, after, hardened: bool) -> Problem:
    after = after.model_copy(update={"hardened": hardened or after.hardened})
    return problem.model_copy(update={"strength": after,
                                      "metadata": {**problem.metadata, "strength_before": before.model_dump()}})
