"""What the field's test programs import and how they are compiled (issue 21, language side),
in the real toolchain pool: Java's javatuples, lodash in JavaScript and TypeScript, TypeScript's
default imports of node modules (esModuleInterop), and TypeScript's two compile modes.
"""

from __future__ import annotations

import pytest
from helpers import LANG_LIMITS

from codesynth.models import Candidate, Problem, Status
from codesynth.sandbox.backend import ExecRequest, build_request

ADD = {"id": "t/add", "prompt": "add",
       "signature": {"name": "add", "params": [{"name": "a", "type": "int"}, {"name": "b", "type": "int"}],
                     "returns": "int"},
       "tests": [{"call": [1, 2], "expect": 3}, {"call": [40, 2], "expect": 42}]}


def io_problem(output: str, **extra) -> Problem:
    return Problem.model_validate({"id": "t/io", "prompt": "p", "tests": [{"input": "", "output": output}], **extra})


def judge(pool, problem: Problem, lang: str, program: str, cid: str = "c"):
    cand = Candidate(candidate_id=cid, problem_id=problem.id, solution=program, language=lang)
    return pool.execute(build_request(problem, cand, LANG_LIMITS))


def passed(r) -> bool:
    return r.status is Status.passed


# MultiPL-E's Java prompt header, then a use of every tuple size tests commonly return.
JAVATUPLES = """import java.util.*;
import java.lang.reflect.*;
import org.javatuples.*;
import java.security.*;
import java.math.*;
import java.io.*;
import java.util.stream.*;
class Problem {
    public static Pair<Long, Long> evenOdd(long n) { return Pair.with(n / 2, n - n / 2); }
    public static void main(String[] args) {
        assert(evenOdd((12l)).equals((Pair.with(6l, 6l))));
        Triplet<String, Long, Boolean> t = Triplet.with("a", 1l, true);
        System.out.println(evenOdd(7l) + " " + t.getValue0() + Quartet.with(1, 2, 3, 4).getSize());
    }
}
"""


@pytest.mark.docker
def test_java_has_javatuples(lang_pool):
    r = judge(lang_pool, io_problem("[3, 4] a4\n"), "java", JAVATUPLES)
    assert passed(r), (r.status, r.error_type, r.error_message)


@pytest.mark.docker
@pytest.mark.parametrize("lang,program", [
    ("javascript", "const _ = require('lodash');\nconsole.log(_.sum(_.flatten([[1, 2], [3]])), _.chunk([1, 2, 3], 2).length);\n"),
    ("typescript", "import _ from 'lodash';\nconst xs: number[][] = [[1, 2], [3]];\n"
                   "console.log(_.sum(_.flatten(xs)), _.chunk([1, 2, 3], 2).length);\n"),
    ("typescript", "import * as _ from 'lodash';\nconsole.log(_.sum([1, 2, 3]), _.chunk([1, 2, 3], 2).length);\n"),
])
def test_lodash_is_available(lang_pool, lang, program):
    for mode in ("check", "strip") if lang == "typescript" else (None,):
        extra = {"metadata": {"language_mode": mode}} if mode else {}
        r = judge(lang_pool, io_problem("6 2\n", **extra), lang, program, f"lodash-{mode}")
        assert passed(r), (mode, r.status, r.error_type, r.error_message)


@pytest.mark.docker
def test_typescript_default_imports_of_node_modules(lang_pool):
    """`import util from 'util'` and `import assert from 'assert'` (esModuleInterop), both modes."""
    program = ("import util from 'util';\nimport assert from 'assert';\n"
               "assert.deepEqual([1, 2], [1, 2]);\nconsole.log(util.format('%d-%s', 42, 'x'));\n")
    for mode in ("check", "strip"):
        r = judge(lang_pool, io_problem("42-x\n", metadata={"language_mode": mode}), "typescript", program, mode)
        assert passed(r), (mode, r.status, r.error_type, r.error_message)


@pytest.mark.docker
def test_typescript_modes_check_types_or_strip_them(lang_pool):
    """check: tsc rejects a type error; strip: the types are removed unchecked (as tsx does) and
    the program runs. Syntax errors fail in both. The mode is the problem's, per language."""
    ill_typed = "const n: number = 'forty-two' as any as number;\nconst s: string = 42;\nconsole.log('ran');\n"
    check = judge(lang_pool, io_problem("ran\n"), "typescript", ill_typed, "default")
    assert check.status is Status.error and check.error_type == "CompileError", (check.status, check.error_type)
    assert "TS2322" in (check.traceback or ""), check.traceback
    strip = judge(lang_pool, io_problem("ran\n", metadata={"language_mode": {"typescript": "strip"}}),
                  "typescript", ill_typed, "strip")
    assert passed(strip), (strip.status, strip.error_type, strip.error_message)
    for mode in ("check", "strip"):
        r = judge(lang_pool, io_problem("x\n", metadata={"language_mode": mode}), "typescript",
                  "console.log('x'\n", f"syntax-{mode}")
        assert r.status is Status.error and r.error_type == "CompileError", (mode, r.status, r.error_type)
    # data-form tests through the strip mode: the driver is typed, the candidate is not checked
    p = Problem.model_validate({**ADD, "metadata": {"language_mode": "strip"}})
    right = judge(lang_pool, p, "typescript", "function add(a: number, b: number): number { return a + b; }\n", "r")
    wrong = judge(lang_pool, p, "typescript", "function add(a: number, b: number): number { return a * b; }\n", "w")
    assert passed(right) and wrong.status is Status.failed, (right.status, right.error_message, wrong.status)


@pytest.mark.docker
def test_a_mode_applies_to_the_languages_that_have_it(lang_pool):
    """`language_mode: "strip"` on a problem posed in C++ too: C++ has no modes and compiles as
    always (the name applies to the languages that have it)."""
    p = Problem.model_validate({**ADD, "metadata": {"language_mode": "strip"}})
    r = judge(lang_pool, p, "cpp", "long long add(long long a, long long b) { return a + b; }\n")
    assert passed(r), (r.status, r.error_type, r.error_message)


@pytest.mark.docker
def test_plain_runs_take_the_request_mode(lang_pool):
    """A caller that builds requests itself (the service's /run_code) sets `language_mode`."""
    prog = "const s: string = 42;\nconsole.log('ran');\n"
    strip = lang_pool.execute(ExecRequest(candidate_id="s", problem_id="run", kind="run", program=prog,
                                          language="typescript", language_mode="strip", limits=LANG_LIMITS))
    assert strip.run_output is not None and strip.run_output.stdout == "ran\n", strip.error_message
    check = lang_pool.execute(ExecRequest(candidate_id="c", problem_id="run", kind="run", program=prog,
                                          language="typescript", limits=LANG_LIMITS))
    assert check.run_output is not None and not check.run_output.compile.ok


def test_a_mode_nobody_has_is_a_load_error():
    with pytest.raises(ValueError, match=r"typescript: unknown mode 'fast' \(known: check, strip\)"):
        Problem.model_validate({**ADD, "metadata": {"language_mode": {"typescript": "fast"}}})
    with pytest.raises(ValueError, match="no language has a mode 'bogus'"):
        Problem.model_validate({**ADD, "metadata": {"language_mode": "bogus"}})
