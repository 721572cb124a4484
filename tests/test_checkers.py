"""Checkers: a problem with several right answers passes with its checker and fails without; the
checker's verdict (and message) decides each case; a checker that fails is a data error, never a
reward; nothing the program leaves behind reaches the checker. Real sandbox throughout."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from codesynth.models import Candidate, Checker, IOCase, Problem, Status
from codesynth.verifiers.execution import run_pairs

CHECK = '''
def check(input, expected, got):
    want, have = sorted(expected.split()), sorted(got.split())
    if want != have:
        return False, f"printed {len(have)} numbers, the input has {len(want)}"
    return True
'''
CASES = [IOCase(input="3 1 2\n", output="3\n1\n2\n"), IOCase(input="5 4\n", output="5\n4\n"),
         IOCase(input="9 8 7 6\n", output="9\n8\n7\n6\n")]
ANY_ORDER = Problem(id="chk/any-order", prompt="Print the input's numbers, one per line, in any order.",
                    tests=CASES, private_tests=[IOCase(input="2 1\n", output="2\n1\n")], checker=Checker(code=CHECK))
NO_CHECKER = ANY_ORDER.model_copy(update={"checker": None, "id": "chk/exact"})

SORTED = "print('\\n'.join(sorted(input().split(), key=int)))\n"  # right, in another order than expected
DROPS_ONE = "print('\\n'.join(input().split()[1:]))\n"
# Leaves files where the checker runs and shadows a module the checker's driver imports.
PLANTS = ("import json\nopen('cases.json', 'w').write('[]')\nopen('json.py', 'w').write('raise SystemExit(0)')\n"
          "open('output.txt', 'w').write('x')\nprint('1')\n")


def _run(backend, problem, *solutions):
    return run_pairs([(problem, Candidate(candidate_id=f"c{i}", problem_id=problem.id, solution=s))
                      for i, s in enumerate(solutions)], backend)


def test_several_right_answers_pass_with_a_checker_and_fail_without(docker_backend):
    with_checker = _run(docker_backend, ANY_ORDER, SORTED, DROPS_ONE, PLANTS)
    (exact,) = _run(docker_backend, NO_CHECKER, SORTED)
    assert exact.status == Status.failed and exact.tests_passed == 0  # every expected order differs
    right, short, planted = with_checker
    assert right.status == Status.passed and (right.tests_total, right.tests_passed) == (4, 4), right
    assert short.status == Status.failed and short.tests_passed == 0 and short.error_type == "WrongAnswer"
    assert "checker: printed" in (short.error_message or "") and "the input has 3" in short.error_message
    assert planted.status == Status.failed and planted.tests_passed == 0, planted


def test_a_failing_checker_is_a_data_error_not_a_verdict(docker_backend):
    broken = ANY_ORDER.model_copy(update={"id": "chk/broken", "checker": Checker(
        code="def check(input, expected, got):\n    return len(got) / 0\n")})
    wrong_type = ANY_ORDER.model_copy(update={"id": "chk/type", "checker": Checker(
        code="def check(input, expected, got):\n    return 'yes'\n")})
    for p in (broken, wrong_type):
        (res,) = _run(docker_backend, p, SORTED)
        assert res.status == Status.sandbox_error and res.error_type == "CheckerError", res
        assert "checker failed" in (res.error_message or "")


def test_checker_form_is_checked_at_load():
    with pytest.raises(ValidationError, match="defines check"):
        Checker(code="def judge(a, b, c):\n    return True\n")
    with pytest.raises(ValidationError, match="stdin/stdout"):
        Problem(id="f", prompt="", entry_point="f", tests="assert f() == 1\n", checker=Checker(code=CHECK))


C_CHECKER = r'''
#include <stdio.h>
#include <stdlib.h>
static int cmp(const void *a, const void *b) { long x = *(const long *)a, y = *(const long *)b; return (x > y) - (x < y); }
static int load(const char *path, long *v) { FILE *f = fopen(path, "r"); int n = 0; if (!f) exit(3);
    while (n < 1000 && fscanf(f, "%ld", &v[n]) == 1) n++; fclose(f); qsort(v, n, sizeof *v, cmp); return n; }
int main(void) {
    long a[1000], b[1000];
    int n = load("expected.txt", a), m = load("output.txt", b);
    if (n != m) { printf("printed %d numbers, the input has %d\n", m, n); return 1; }
    for (int i = 0; i < n; i++) if (a[i] != b[i]) { printf("not the input's numbers\n"); return 1; }
    return 0;
}
'''


def test_a_checker_program_in_another_language_judges_each_case(lang_pool):
    p = ANY_ORDER.model_copy(update={"id": "chk/c", "checker": Checker(language="c", code=C_CHECKER)})
    right, short = _run(lang_pool, p, SORTED, DROPS_ONE)
    assert right.status == Status.passed and right.tests_passed == 4, right
    assert short.status == Status.failed and short.tests_passed == 0
    assert "checker: printed" in (short.error_message or "")
    broken = p.model_copy(update={"id": "chk/c-broken", "checker": Checker(language="c", code="int main( {")})
    (res,) = _run(lang_pool, broken, SORTED)
    assert res.status == Status.sandbox_error and res.error_type == "CheckerError"
