"""The strength certificate: how far a problem's suite can be trusted, measured in the sandbox.

TPR: of the programs known to be correct (every reference solution, in every language; agreeing
candidates the caller brings), the share the whole suite (public + private) accepts. TNR: of
the programs known to be wrong (verifiers/suites/wrong_programs.py, plus failing samples the caller
brings), the share it rejects. Mutation score: of the reference's mutants, the share killed
(an equivalent mutant cannot be killed, so 1.0 is rarely reachable; compare suites on the same
mutants, as `tests harden` does before and after). A `sandbox_error` verdict counts either way.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from codesynth.models import Candidate, ExecutionResult, Limits, Origin, Problem, Status, SuiteStrength
from codesynth.sandbox.backend import Backend
from codesynth.verifiers.execution import run_pairs
from codesynth.verifiers.suites.suite import full_suite
from codesynth.verifiers.suites.wrong_programs import WrongProgram, wrong_pool


def correct_programs(problem: Problem) -> list[tuple[str, str]]:
    """(language, program) of every reference the suite can run (Python test code runs Python only)."""
    refs = problem.references()
    if problem.kind == "function":
        refs = {k: v for k, v in refs.items() if k == "python"}
    return sorted(refs.items())


def run_programs(suite: Problem, programs: Sequence[tuple[str, str, str | None]], backend: Backend,
                 limits: Limits | None = None) -> list[ExecutionResult]:
    """Each (name, code, language) against `suite` (its public tests), results in order."""
    pairs = [(suite, Candidate(candidate_id=f"{suite.id}#{name}", problem_id=suite.id, solution=code,
                               language=lang, origin=Origin(kind="strength", extra={"program": name})))
             for name, code, lang in programs]
    return run_pairs(pairs, backend, limits) if pairs else []


def _rate(results: Sequence[ExecutionResult], accepted: bool) -> tuple[float | None, int]:
    counted = [r for r in results if r.status is not Status.sandbox_error]
    if not counted:
        return None, 0
    hits = sum((r.status is Status.passed) == accepted for r in counted)
    return round(hits / len(counted), 4), len(counted)


def certify(problem: Problem, backend: Backend, **kw) -> SuiteStrength:
    """`measure`'s certificate alone."""
    return measure(problem, backend, **kw)[0]


def measure(problem: Problem, backend: Backend, *, pool: list[WrongProgram] | None = None,
            shown_wrong: set[int] | None = None, extra_correct: Sequence[tuple[str, str]] = (),
            limits: Limits | None = None, max_mutants: int = 20, hardened: bool | None = None,
            settled: dict[int, ExecutionResult] | None = None) -> tuple[SuiteStrength, list[ExecutionResult]]:
    """Measure the problem's whole suite (public + private) on known-correct and known-wrong programs.

    `pool`: the wrong programs (default: `wrong_pool(problem, max_mutants)`); pass the same pool to
    compare two suites of one problem. `shown_wrong`: pool programs shown wrong by other evidence
    (they failed a case the reference vouches for: `verifiers.harden.gather_evidence`); only those, and
    the ones this suite rejects, count for TNR: a mutant no input tells from the reference may be
    equivalent to it, so it is no known-wrong program (it still counts for the mutation score).
    None: every pool program is taken as wrong. `extra_correct`: (language, program) known correct besides
    the references (agreeing candidates). `settled`: pool results known without a run (a program a
    suite rejects, a larger suite holding it rejects too: hardening reuses the verdicts of before).
    Returns the certificate and the pool programs' results."""
    suite = full_suite(problem)
    pool = wrong_pool(problem, max_mutants) if pool is None else pool
    good = [*correct_programs(problem), *extra_correct]
    progs = [(f"correct{i}", code, lang) for i, (lang, code) in enumerate(good)]
    settled = settled or {}
    todo = [i for i in range(len(pool)) if i not in settled]
    progs += [(f"{pool[i].kind}:{pool[i].name}", pool[i].code, pool[i].language) for i in todo]
    res = run_programs(suite, progs, backend, limits)
    ok_res = res[: len(good)]
    ran = dict(zip(todo, res[len(good):], strict=True))
    bad_res = [settled[i] if i in settled else ran[i] for i in range(len(pool))]
    tpr, n_good = _rate(ok_res, True)
    known = [r for i, r in enumerate(bad_res)
             if shown_wrong is None or i in shown_wrong or r.status not in (Status.passed, Status.sandbox_error)]
    tnr, n_bad = _rate(known, False)
    mscore, n_mut = _rate([r for r, w in zip(bad_res, pool, strict=True) if w.kind == "mutant"], False)
    pub, priv = _count(problem.tests), _count(problem.private_tests)
    return SuiteStrength(tpr=tpr, tnr=tnr, mutation_score=mscore, correct_programs=n_good, wrong_programs=n_bad,
                         mutants=n_mut, tests_public=pub, tests_private=priv,
                         hardened=bool(problem.strength and problem.strength.hardened) if hardened is None
                         else hardened), bad_res


def _count(tests) -> int:
    """Tests in a suite: cases of a list; counted asserts of test code (each assert statement)."""
    if not tests:
        return 0
    if isinstance(tests, list):
        return len(tests)
    try:
        return sum(isinstance(n, ast.Assert) and not isinstance(n.test, ast.Constant) for n in ast.walk(ast.parse(tests)))
    except (SyntaxError, ValueError):
        return 0

