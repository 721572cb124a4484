"""Programs known to be wrong, to measure what a suite lets through (its TNR).

HardTests and CodeContests+ score a suite against labelled wrong solutions; where none are
labelled, these stand in: mutants of the reference (verifiers/suites/mutation.py), trivial answers
(`return None`, `return 0`, echo the first argument, raise), the reference with every answer
changed to another value of its type (what an assert that checks no value lets through), and a
lookup table of the PUBLIC
tests (their expected value on their inputs, the most common expected value elsewhere): the
program a model writes when it games the tests it was shown. Failing samples the caller
brings are added by the caller, in their own language. The others are Python (data-form problems
run them through the Python driver; the suite's verdict does not depend on the language a program
is written in).
"""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

from codesynth.models import Problem
from codesynth.verifiers.suites.mutation import mutants
from codesynth.verifiers.suites.suite import public_cases


class WrongProgram(NamedTuple):
    kind: str  # mutant | trivial | lookup | perturbed | sample
    name: str
    code: str
    language: str = "python"


def _params(problem: Problem) -> str:
    if problem.signature is not None:
        return ", ".join(p.name for p in problem.signature.params)
    return "*args, **kwargs"


def _first(problem: Problem) -> str:
    if problem.signature is not None:
        return problem.signature.params[0].name if problem.signature.params else "None"
    return "(args[0] if args else None)"


_IO_TRIVIAL = {"print_nothing": "pass\n", "print_zero": "print(0)\n",
               "echo_input": "import sys\nsys.stdout.write(sys.stdin.read())\n", "raise": "raise SystemExit(1)\n"}


def trivial_programs(problem: Problem) -> list[WrongProgram]:
    if problem.kind == "io":
        return [WrongProgram("trivial", k, code) for k, code in _IO_TRIVIAL.items()]
    f, params = problem.entry_point or "candidate", _params(problem)
    bodies = {"return_none": "return None", "return_zero": "return 0", "echo_first": f"return {_first(problem)}",
              "raise": "raise NotImplementedError"}
    return [WrongProgram("trivial", k, f"def {f}({params}):\n    {body}\n") for k, body in bodies.items()]


def lookup_table(problem: Problem) -> WrongProgram | None:
    """Answers the public tests from a table, the most common public answer elsewhere."""
    if problem.kind == "io":
        return _io_lookup_table(problem)
    cases = public_cases(problem)
    if not cases:
        return None
    f = problem.entry_point or "candidate"
    table = {repr(tuple(a)): w for a, w in cases}
    counts = Counter(repr(w) for _, w in cases)
    default = next(w for _, w in cases if repr(w) == counts.most_common(1)[0][0])
    if problem.signature is not None:
        names = [p.name for p in problem.signature.params]
        key = f"repr(({', '.join(names)}{',' if len(names) == 1 else ''}))"
    else:
        key = "repr(tuple(args))"
    code = (f"_CS_TABLE = {table!r}\n\n"
            f"def {f}({_params(problem)}):\n"
            f"    return _CS_TABLE.get({key}, {default!r})\n")
    return WrongProgram("lookup", "public_lookup_table", code)


def _io_lookup_table(problem: Problem) -> WrongProgram | None:
    """stdin/stdout: the public cases' outputs by their input, the most common one elsewhere."""
    cases = [(c.input, c.output) for c in problem.tests if hasattr(c, "input")]  # type: ignore[union-attr]
    if not cases:
        return None
    table = dict(cases)
    default = Counter(out for _, out in cases).most_common(1)[0][0]
    code = (f"import sys\n_CS_TABLE = {table!r}\n"
            f"sys.stdout.write(_CS_TABLE.get(sys.stdin.read(), {default!r}))\n")
    return WrongProgram("lookup", "public_lookup_table", code)


_PERTURB = """

_cs_reference = {f}


def _cs_other(r):
    if isinstance(r, bool):
        return not r
    if isinstance(r, (int, float)):
        return r + 1
    if isinstance(r, str):
        return r + "#"
    if isinstance(r, (list, tuple)):
        return type(r)([*r, r[0]]) if r else type(r)([0])
    if isinstance(r, dict):
        return {{**r, "#": 0}}
    return 0 if r is None else None


def {f}(*args, **kwargs):
    return _cs_other(_cs_reference(*args, **kwargs))
"""


def perturbed_reference(problem: Problem) -> WrongProgram | None:
    """The reference with every answer changed to another of the same type (n+1, s+"#", one more
    element, not b): right shape, wrong value. An assert it passes does not check the value."""
    ref = problem.references().get("python")
    if not ref or problem.kind == "io" or not problem.entry_point:
        return None
    return WrongProgram("perturbed", "reference_other_value", ref.rstrip("\n") + _PERTURB.format(f=problem.entry_point))


def reference_mutants(problem: Problem, max_mutants: int, seed: int | str = 0) -> list[WrongProgram]:
    ref = problem.references().get("python")
    if not ref or max_mutants <= 0:
        return []
    return [WrongProgram("mutant", f"{site.operator}@{site.node_index}.{site.variant}", text)
            for site, text in mutants(ref, max_mutants, f"{seed}:{problem.id}")]


def wrong_pool(problem: Problem, max_mutants: int = 20, seed: int | str = 0) -> list[WrongProgram]:
    extra = [w for w in (lookup_table(problem), perturbed_reference(problem)) if w is not None]
    return [*reference_mutants(problem, max_mutants, seed), *trivial_programs(problem), *extra]
