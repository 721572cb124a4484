"""`generate tests`: model-written asserts, kept only when a reference (or agreeing
sampled solutions, CodeT) passes them AND they reject at least one known-wrong program (a
mutant of the reference, a trivial stub such as `return 0`, a lookup table of the public
tests: verifiers/suites/wrong_programs.py) and the reference with its answers changed to other values of
their type fails them; the others (`f(x) is not None`, `isinstance(f(x), int)`, `f(x) >= 0`) do
not pin the value or test nothing, and are dropped as `vacuous` and counted.
The problem set comes back with the kept tests, as private tests unless asked otherwise.

Function problems get Python asserts. Data-form problems get {call, expect} cases: the model
writes `assert f(<literals>) == <literal>` lines, read as data (`importers.assert_case`) and
judged by the reference in the requested language (or by solutions sampled in it), so one
language's verified program grows tests every language runs."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from codesynth.extract import extract_code, is_trivial_assert, split_asserts
from codesynth.generators.client import ChatClient, ChatRequest, Completion
from codesynth.generators.prompts import tests_messages
from codesynth.generators.proposals import fits
from codesynth.generators.selection import dual_agreement
from codesynth.generators.solutions import sample_solutions
from codesynth.ids import ref_id, test_run_id
from codesynth.importers import Unconvertible, assert_case
from codesynth.jsonl import write_models
from codesynth.models import CallCase, Candidate, Origin, Problem, Status
from codesynth.problems import save_problems
from codesynth.sandbox.backend import Backend
from codesynth.verifiers.curation.assert_dedup import new_tests
from codesynth.verifiers.rewards import feedback as result_feedback
from codesynth.verifiers.suites.suite import full_suite
from codesynth.verifiers.suites.wrong_programs import WrongProgram, wrong_pool

from ..verify import VerifyConfig, run_candidates, using_backend
from .common import GenerationReport, Stage, bar, language_input, languages_of, require_posable


class GeneratedTest(BaseModel):
    problem_id: str
    test_id: str
    code: str
    sample_index: int
    case: CallCase | None = Field(default=None, description="The test as data (data-form problems).")
    kept: bool = False
    reason: str | None = Field(default=None, description="Why it was dropped.")
    detail: str | None = None


def _drop(t: GeneratedTest, reason: str, detail: str | None = None) -> None:
    t.kept, t.reason, t.detail = False, reason, detail


def generate_tests(
    problems: Sequence[Problem],
    client: ChatClient,
    out: str | Path,
    *,
    n: int = 1,
    tests_per_sample: int = 5,
    n_solutions: int = 5,
    config: VerifyConfig | None = None,
    backend: Backend | None = None,
    language: str | None = None,
    public: bool = False,
    max_mutants: int = 10,
) -> GenerationReport:
    """Model-written assert tests, kept only when the reference solution passes them.

    Without a reference solution, `n_solutions` sampled solutions stand in for it
    (CodeT dual agreement: the largest group of solutions agreeing on a set of tests
    decides which tests are kept). Writes DIR/tests.jsonl (every test with its fate),
    DIR/problems.jsonl (the set with kept tests appended) and generation_tests.json.
    `language`: the language of the reference (or sampled solutions) that judges the tests of
    data-form problems (None: each problem's own). `public`: append kept tests to the public tests
    (shown to models) instead of the private ones. `max_mutants`: mutants of the reference each test
    is tried on (with the trivial stubs and the lookup table) to show that it tests something.
    """
    require_posable(problems, language)
    stage = Stage("tests", client, Path(out), config or VerifyConfig(), backend)
    config = stage.config
    stage.start({"problems": list(problems), "n": n, "tests_per_sample": tests_per_sample,
                 "n_solutions": n_solutions, **language_input(language),
                 **({"public": True} if public else {}), **({"max_mutants": max_mutants} if max_mutants != 10 else {})},
                problems, ("tests.jsonl",))
    fn = [p for p in problems if p.kind in ("function", "calls") and p.entry_point]
    skipped = [p.id for p in problems if p not in fn]
    lang = {p.id: language or p.language for p in fn}
    refs = {p.id: p.references().get(lang[p.id]) for p in fn}
    # known-wrong programs per problem (Python; mutants only of a Python reference being the judge)
    pools = {p.id: wrong_pool(p if lang[p.id] == "python" else p.model_copy(update={"reference_solution": None,
                                                                                     "reference_solutions": {}}),
                              max_mutants) for p in fn}

    # 1. ask for tests; split replies into single asserts; drop the ones that test nothing
    reqs = (
        ChatRequest(messages=tests_messages(p, tests_per_sample, lang[p.id]), sample_index=i, tag=p)
        for p in fn
        for i in range(n)
    )
    tests: dict[str, list[GeneratedTest]] = defaultdict(list)
    for req, comp in bar(client.map(reqs), len(fn) * n, "generate tests", config.progress):
        _collect_tests(req.tag, comp, req.sample_index, tests[req.tag.id])
    for p in fn:
        tests[p.id] = _dedup_tests(p, tests[p.id])

    # 2. sample solutions for problems without a reference (CodeT)
    sols: dict[str, list[Candidate]] = defaultdict(list)
    no_ref = [p for p in fn if not refs[p.id]]
    if no_ref:
        for c in sample_solutions(client, no_ref, n_solutions, mode="tests-solutions", language=language):
            if c.solution.strip():
                sols[c.problem_id].append(c)

    # 3. run every live test against the reference (or against each sampled solution)
    synth: list[Problem] = []
    pairs: list[Candidate] = []
    for p in fn:
        for t in tests[p.id]:
            if t.reason:
                continue
            sp = (Problem(id=t.test_id, prompt=p.prompt, signature=p.signature, tests=[t.case], language=p.language)
                  if t.case is not None else
                  Problem(id=t.test_id, prompt=p.prompt, entry_point=p.entry_point, tests=t.code))
            synth.append(sp)
            runners = (
                [Candidate(candidate_id=ref_id(p.id), problem_id=p.id, solution=refs[p.id], language=lang[p.id])]
                if refs[p.id]
                else sols[p.id]
            )
            runners = [*runners, *(Candidate(candidate_id=_wrong_id(w), problem_id=p.id, solution=w.code,
                                             language="python") for w in pools[p.id])]
            for r in runners:
                pairs.append(
                    Candidate(
                        candidate_id=test_run_id(t.test_id, r.candidate_id),
                        problem_id=sp.id,
                        solution=r.solution,
                        origin=Origin(kind="test-check", extra={"runner": r.candidate_id}),
                        language=r.language,
                    )
                )
    outcome: dict[str, dict[str, tuple[Status, str, str | None]]] = defaultdict(
        dict
    )  # test -> runner -> verdict
    if pairs:
        with using_backend(config, backend, languages_of(fn, language)) as b:
            for c, res in run_candidates(synth, pairs, b, config, trust_tests=False):
                outcome[c.problem_id][c.origin.extra["runner"]] = (
                    res.status,
                    result_feedback(res),
                    res.error_type,
                )

            # 4. decide, and append kept tests to each problem
            augmented = _decide_tests(fn, tests, outcome, sols, client.model, refs, pools, public)
            checked = _check_augmented(augmented, refs, lang, b, config)
    else:
        _decide_tests(fn, tests, outcome, sols, client.model, refs, pools, public)  # nothing ran: say why for every test
        checked = {}
    new_set = [checked.get(p.id, p) for p in problems]

    all_tests = [t for p in fn for t in tests[p.id]]
    write_models(stage.out / "tests.jsonl", all_tests)
    save_problems(stage.out / "problems.jsonl", new_set)
    reasons = Counter(t.reason for t in all_tests if not t.kept)
    counts = {
        "problems": len(problems),
        "problems_skipped_io": len(skipped),
        **language_input(language),
        "tests_generated": len(all_tests),
        "tests_kept": sum(t.kept for t in all_tests),
        "kept_as": "public" if public else "private",
        "vacuous_dropped": reasons.get("vacuous", 0),
        "dropped": dict(reasons),
        "problems_augmented": len(checked),
        "decided_by_agreement": len(no_ref),
    }
    return stage.report(counts)


def _collect_tests(p: Problem, comp: Completion, idx: int, into: list[GeneratedTest]) -> None:
    code = extract_code(comp.text)
    first = f"{p.id}#t{idx}.0"
    if code is None:
        into.append(
            GeneratedTest(problem_id=p.id, test_id=first, code="", sample_index=idx, reason="no_code")
        )
        return
    preamble, asserts = split_asserts(code, p.entry_point)
    if not asserts:
        into.append(
            GeneratedTest(problem_id=p.id, test_id=first, code=code, sample_index=idx, reason="no_asserts")
        )
        return
    for j, a in enumerate(asserts):
        t = GeneratedTest(
            problem_id=p.id,
            test_id=f"{p.id}#t{idx}.{j}",
            code=(preamble + "\n" if preamble and p.kind == "function" else "") + a,
            sample_index=idx,
        )
        why = is_trivial_assert(a, p.entry_point or "")
        if why:
            _drop(t, why)
        elif p.kind == "calls":
            _as_case(p, t)
        into.append(t)


def _as_case(p: Problem, t: GeneratedTest) -> None:
    """A data-form problem's test must be data: literal arguments and result of the declared types."""
    try:
        t.case = assert_case(t.code, p.entry_point or "")
    except Unconvertible as e:
        _drop(t, "not_data", str(e)[:300])
        return
    if not fits(p.signature, t.case):
        t.case = None
        _drop(t, "wrong_types", f"the signature is {p.signature.model_dump_json()}")


def _dedup_tests(p: Problem, tests: list[GeneratedTest]) -> list[GeneratedTest]:
    """Sample order (not arrival order); an assert the problem already has, or one from an
    earlier sample, is dropped: a copy adds no test, only weight (verifiers.curation.assert_dedup)."""
    tests.sort(key=lambda t: (t.sample_index, int(t.test_id.rsplit(".", 1)[1])))
    live = [t for t in tests if not t.reason]
    for t, o in zip(live, new_tests(p, [t.code for t in live]), strict=True):
        if o.reason:
            _drop(t, o.reason)
    return tests


def _wrong_id(w: WrongProgram) -> str:
    return f"wrong:{w.kind}:{w.name}"


def _kills(t: GeneratedTest, outcome, pool: list[WrongProgram]) -> bool:
    """Keep a passing test only if a known-wrong program fails it: otherwise it tests nothing."""
    def status(w: WrongProgram) -> Status:
        return outcome[t.test_id].get(_wrong_id(w), (Status.sandbox_error,))[0]

    killed = [w for w in pool if status(w) not in (Status.passed, Status.sandbox_error)]
    # the reference with every answer changed passes it: the assert does not pin the value
    unpinned = any(w.kind == "perturbed" and status(w) is Status.passed for w in pool)
    if killed and not unpinned:
        t.detail = "; ".join(filter(None, [t.detail, f"rejects {len(killed)} of {len(pool)} known-wrong programs"]))
        return True
    t.kept = False
    _drop(t, "vacuous", "it accepts a wrong value (the reference with its answer changed passes it)" if unpinned
          else f"every known-wrong program passes it ({len(pool)}: mutants of the reference, trivial stubs "
               "such as `return 0`, a lookup table of the public tests)")
    return False


def _decide_tests(fn, tests, outcome, sols, model, refs: dict[str, str | None],
                  pools: dict[str, list[WrongProgram]], public: bool) -> dict[str, Problem]:
    augmented: dict[str, Problem] = {}
    for p in fn:
        live = [t for t in tests[p.id] if not t.reason]
        if not live:
            continue
        if refs[p.id]:
            for t in live:
                status, fb, etype = outcome[t.test_id].get(
                    ref_id(p.id), (Status.sandbox_error, "not run", None)
                )
                if status is Status.passed:
                    t.kept = _kills(t, outcome, pools[p.id])
                else:
                    _drop(t, _fail_reason(status, etype), fb[:300])
        else:
            passes = {
                s.candidate_id: {
                    t.test_id
                    for t in live
                    if outcome[t.test_id].get(s.candidate_id, (None,))[0] is Status.passed
                }
                for s in sols[p.id]
            }
            kept, agreeing, score = dual_agreement(passes, [t.test_id for t in live])
            for t in live:
                if t.test_id in kept:
                    t.detail = f"agreed by {len(agreeing)} of {len(sols[p.id])} sampled solutions"
                    t.kept = _kills(t, outcome, pools[p.id])
                else:
                    _drop(t, "disagreement" if passes else "no_solutions")
        kept_tests = [t for t in live if t.kept]
        if kept_tests:
            field = "tests" if public else "private_tests"
            old = getattr(p, field)
            if p.kind == "calls":
                tests_now = [*(old or []), *(t.case for t in kept_tests)]
            else:
                extra = "\n".join(t.code for t in kept_tests)
                head = f"{old.rstrip()}\n\n" if old else ""
                tests_now = f"{head}# Tests written by {model}, kept after execution.\n{extra}\n"
            augmented[p.id] = p.model_copy(
                update={field: tests_now, "metadata": {**p.metadata, "generated_tests": len(kept_tests)}}
            )
    return augmented


def _fail_reason(status: Status, error_type: str | None) -> str:
    if status is Status.failed:
        # An assertion that does not hold is a wrong expected value; any other exception
        # (NameError in the test, TypeError from bad arguments) means the test is broken.
        return "wrong_expectation" if error_type in (None, "AssertionError") else "test_raises"
    return {
        Status.timeout: "timeout",
        Status.error: "test_error",
        Status.sandbox_error: "sandbox_error",
    }.get(status, status.value)


def _check_augmented(
    augmented: dict[str, Problem], refs: dict[str, str | None], lang: dict[str, str], b: Backend,
    config: VerifyConfig
) -> dict[str, Problem]:
    """The reference (or an agreeing solution) must pass the augmented tests as a whole."""
    if not augmented:
        return {}
    cands = [
        Candidate(candidate_id=ref_id(pid), problem_id=pid, solution=refs[pid], language=lang[pid])
        for pid in augmented
        if refs[pid]
    ]
    ok = {pid for pid in augmented if not refs[pid]}
    # the whole suite, public and private, as the verdict will use it
    for c, res in run_candidates([full_suite(p) for p in augmented.values()], cands, b, config, trust_tests=False):
        if res.status is Status.passed:
            ok.add(c.problem_id)
    return {pid: p for pid, p in augmented.items() if pid in ok}
