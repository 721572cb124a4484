"""testlib.h: vendored, in the C++ toolchain image, and testlib checkers judging as they do on a
judge (argv input/output/answer, exit codes 0 ok / 1 wa / 2 pe / 3 fail, the message on
stderr). CodeContests+'s any-divisor row (tests/data/field/) with its own testlib checker and
validator. Real sandbox (the toolchain image's `lang_pool`); one compile per checker source."""

from __future__ import annotations

import re
from pathlib import Path

from helpers import ROOT

import codesynth
from codesynth.importers import get_importer
from codesynth.languages import cpp
from codesynth.models import Candidate, Checker, IOCase, Problem, Status
from codesynth.sandbox.backend import ExecRequest
from codesynth.sandbox.docker import lang_image
from codesynth.verifiers.execution import run_pairs

VENDORED = Path(codesynth.__file__).parent / "languages" / "testlib"


def _any_divisor() -> Problem:
    problems = get_importer("codecontests-plus").run(ROOT / "tests" / "data" / "field" / "codecontests_plus.jsonl")
    return next(p for p in problems.problems if p.id == "codecontests-plus/2B")


def _run(backend, problem, *solutions):
    return run_pairs([(problem, Candidate(candidate_id=f"c{i}", problem_id=problem.id, solution=s))
                      for i, s in enumerate(solutions)], backend)


def test_testlib_h_is_vendored_with_its_licence_and_hashed_into_the_cpp_image():
    text = (VENDORED / "testlib.h").read_text()
    assert '#define VERSION "0.9.45"' in text and "registerTestlibCmd" in text
    assert "MIT License" in (VENDORED / "LICENSE").read_text()
    assert re.search(r"commit [0-9a-f]{40}", (VENDORED / "UPSTREAM").read_text())
    files = cpp.SPEC.toolchain.image_files
    assert files[cpp.TESTLIB_H_PATH] == text and cpp.TESTLIB_H_PATH.startswith("/usr/local/include/")
    # The toolchain tag hashes the recipe (files included): another testlib.h is another image.
    ((lang, files_, _, _),) = lang_image._recipe(("cpp",))
    assert lang == "cpp" and (cpp.TESTLIB_H_PATH, text) in files_


def test_a_testlib_checker_accepts_any_right_answer_and_explains_a_wrong_one(lang_pool):
    p = _any_divisor()
    assert p.checker is not None and p.checker.testlib
    prints_n = "print(int(input()))\n"  # right, and differs from 3 of the 4 expected outputs
    one = "input()\nprint(1)\n"  # out of the checker's range [2, n]
    five = "input()\nprint(5)\n"  # divides 10^9 only
    forges = ("import sys\ninput()\nsys.stderr.write('ok 2 divides 12\\n')\nprint('ok')\n")  # testlib's words
    plants = ("input()\nfor f in ('expected.txt', 'output.txt', 'input.txt'):\n    open(f, 'w').write('7\\n')\n"
              "print(7)\n")  # right only for n = 7, whatever files it leaves
    right, low, wrong, forged, planted = _run(lang_pool, p, prints_n, one, five, forges, plants)
    assert right.status == Status.passed and right.tests_passed == 4, (right.status, right.error_message)
    assert low.status == Status.failed and low.tests_passed == 0 and low.error_type == "WrongAnswer"
    assert "checker: wrong answer" in low.error_message and "violates the range [2, 12]" in low.error_message, low
    assert wrong.status == Status.failed and wrong.tests_passed == 1  # 10^9 only
    assert "checker: wrong answer 5 does not divide 12" in wrong.error_message, wrong
    assert forged.status == Status.failed and forged.tests_passed == 0
    assert "checker: wrong output format" in forged.error_message, forged  # a token where a number goes
    assert planted.status == Status.failed and planted.tests_passed == 1, planted
    (exact,) = _run(lang_pool, p.model_copy(update={"checker": None, "id": "tl/exact"}), prints_n)
    assert exact.status == Status.failed and exact.tests_passed == 1  # only 7 -> 7 matches


# One source for the data-error paths (one compile): `<testlib.h>` spelled with angle brackets.
EDGE = r'''#include <testlib.h>
#include <csignal>
int main(int argc, char *argv[]) {
    registerTestlibCmd(argc, argv);
    int n = inf.readInt();
    if (n == 0) quitf(_fail, "test has n = 0, outside the constraints");
    if (n < 0) raise(SIGSEGV);
    std::string got = ouf.readToken();
    if (got == "some") quitf(_pc(3), "3 of the 10 parts");
    if (got == "pts") quitp(0.5, "half");
    std::string want = ans.readToken();
    if (got != want) quitf(_wa, "expected %s, got %s", want.c_str(), got.c_str());
    quitf(_ok, "same");
}
'''


def test_testlib_fail_and_crashes_are_data_errors_and_partial_scores_fail(lang_pool):
    chk = Checker(language="cpp", code=EDGE)
    assert chk.testlib

    def prob(pid, *cases):
        return Problem(id=pid, prompt="Print n.", tests=[IOCase(input=f"{n}\n", output=f"{n}\n") for n in cases],
                       checker=chk)

    echo = "print(input())\n"
    ok, some, pts = _run(lang_pool, prob("tl/ok", 5, 6), echo, "input()\nprint('some')\n",
                         "input()\nprint('pts')\n")
    assert ok.status == Status.passed and ok.tests_passed == 2, ok
    # _pc(3) exits 53 here (never 3, testlib's FAIL): not accepted, the checker's words in the feedback.
    assert some.status == Status.failed and "checker: partially correct (3) 3 of the 10 parts" in some.error_message
    assert pts.status == Status.failed and "checker: points 0.5 half" in pts.error_message, pts
    for pid, cases, why in (("tl/fail", (5, 0), "FAIL test has n = 0"), ("tl/crash", (-1,), "signal")):
        (res,) = _run(lang_pool, prob(pid, *cases), echo)
        assert res.status == Status.sandbox_error and res.error_type == "CheckerError", res
        assert "the problem's checker failed" in res.error_message and why in res.error_message, res
        assert res.tests_passed == 0 and not any(o.passed for o in res.tests)  # no partial credit for a data bug


def test_the_rows_testlib_validator_accepts_its_tests_and_rejects_a_bad_input(lang_pool):
    p = _any_divisor()
    validator = p.metadata["validator"]

    def validate(i, text):
        return lang_pool.execute(ExecRequest(candidate_id=f"val{i}", problem_id=p.id, kind="run", program=validator,
                                             language="cpp", stdin=text))

    for i, case in enumerate(p.tests):
        r = validate(i, case.input)
        assert r.status == Status.passed, (case.input, r.error_message, r.run_output)
    bad = validate(99, "1\n")
    assert bad.status == Status.failed and bad.exit_code == 3
    assert "FAIL" in bad.run_output.stderr and "violates the range" in bad.run_output.stderr, bad.run_output


def test_a_testlib_checker_is_called_with_testlibs_arguments():
    from codesynth.sandbox import testlib_checker

    src = testlib_checker.program("int main(int argc, char **argv) { return 0; }")
    assert src.index('"input.txt"') < src.index('"output.txt"') < src.index('"expected.txt"')
    assert src.count("#include <testlib.h>") == 1 and "#define PC_BASE_EXIT_CODE 50" in src
    assert not Checker(language="c", code="int main() { registerTestlibCmd(0, 0); }").testlib  # C++ only
    assert not Checker(language="cpp", code="int main() { return 0; }").testlib
