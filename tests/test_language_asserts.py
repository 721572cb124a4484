"""Assertions always run, in every language (issue 24 item 7).

Each program below computes a wrong answer, checks it with its language's assertion, and
prints `ok`: it passes only if the assertion is skipped (Java without -ea, C/C++ under NDEBUG,
node's console.assert that only logs, Rust's debug_assert! in an optimized build). Each is
judged twice in the real toolchain pool: as a stdin/stdout problem expecting `ok`, and as a
plain run (the /run_code path MultiPL-E-style test programs take), where success is exit 0.
Every language also gets the same program with a right answer, which must pass: the checks
are on, not broken.
"""

from __future__ import annotations

import pytest
from helpers import LANG_LIMITS

from codesynth.models import Candidate, Problem, Status
from codesynth.sandbox.backend import ExecRequest, build_request

pytestmark = pytest.mark.docker

OK = Problem.model_validate({"id": "t/ok", "prompt": "ok", "tests": [{"input": "", "output": "ok\n"}]})

# (language, program template): {op} is `-` (wrong: the assertion must fail) or `+` (right).
SKIPPED_ASSERTS = {
    "java-assert": ("java", """public class Main {
    static long add(long a, long b) { return a {op} b; }
    public static void main(String[] args) {
        assert (add(1, 2) == 3);
        System.out.println("ok");
    }
}
"""),
    "java-javatuples-assert": ("java", """import org.javatuples.*;
public class Main {
    static Pair<Long, Long> add(long a, long b) { return Pair.with(a {op} b, 0L); }
    public static void main(String[] args) {
        assert (add(1, 2).equals(Pair.with(3L, 0L)));
        System.out.println("ok");
    }
}
"""),
    "c-ndebug-before": ("c", """#define NDEBUG
#include <assert.h>
#include <stdio.h>
long long add(long long a, long long b) { return a {op} b; }
int main(void) { assert(add(1, 2) == 3); puts("ok"); return 0; }
"""),
    "c-ndebug-reinclude": ("c", """#include <assert.h>
#include <stdio.h>
#define NDEBUG
#include <assert.h>
long long add(long long a, long long b) { return a {op} b; }
int main(void) { assert(add(1, 2) == 3); puts("ok"); return 0; }
"""),
    "cpp-ndebug-cassert": ("cpp", """#define NDEBUG
#include <cassert>
#include <iostream>
long long add(long long a, long long b) { return a {op} b; }
int main() { assert(add(1, 2) == 3); std::cout << "ok\\n"; }
"""),
    "cpp-ndebug-stdc++": ("cpp", """#define NDEBUG
#include <bits/stdc++.h>
long long add(long long a, long long b) { return a {op} b; }
int main() { assert(add(1, 2) == 3); std::cout << "ok\\n"; }
"""),
    "cpp-ndebug-after-pch": ("cpp", """#include <bits/stdc++.h>
#define NDEBUG
#include <cassert>
long long add(long long a, long long b) { return a {op} b; }
int main() { assert(add(1, 2) == 3); std::cout << "ok\\n"; }
"""),
    "javascript-console-assert": ("javascript", """function add(a, b) { return a {op} b; }
console.assert(add(1, 2) === 3, "add(1, 2) should be 3");
console.log("ok");
"""),
    "typescript-console-assert": ("typescript", """function add(a: number, b: number): number { return a {op} b; }
console.assert(add(1, 2) === 3);
console.log("ok");
"""),
    "typescript-node-assert": ("typescript", """import assert from 'assert';
function add(a: number, b: number): number { return a {op} b; }
assert.deepEqual(add(1, 2), 3);
console.log("ok");
"""),
    "go-panic-check": ("go", """package main

import "fmt"

func add(a, b int) int { return a {op} b }

func main() {
	if add(1, 2) != 3 {
		panic("assertion failed: add(1, 2) == 3")
	}
	fmt.Println("ok")
}
"""),
    "rust-debug-assert": ("rust", """fn add(a: i64, b: i64) -> i64 { a {op} b }
fn main() { debug_assert!(add(1, 2) == 3); println!("ok"); }
"""),
    "rust-debug-assert-eq": ("rust", """fn add(a: i64, b: i64) -> i64 { a {op} b }
fn main() { debug_assert_eq!(add(1, 2), 3); println!("ok"); }
"""),
    "python-assert": ("python", """def add(a, b):
    return a {op} b
assert add(1, 2) == 3
print("ok")
"""),
}


def _io(pool, lang: str, program: str, cid: str):
    cand = Candidate(candidate_id=cid, problem_id=OK.id, solution=program, language=lang)
    return pool.execute(build_request(OK, cand, LANG_LIMITS))


def _plain_run(pool, lang: str, program: str, cid: str):
    return pool.execute(ExecRequest(candidate_id=cid, problem_id="run", kind="run", program=program, language=lang,
                                    limits=LANG_LIMITS))


@pytest.mark.parametrize("case", sorted(SKIPPED_ASSERTS))
def test_a_skipped_assertion_cannot_pass(lang_pool, case):
    lang, template = SKIPPED_ASSERTS[case]
    wrong, right = template.replace("{op}", "-"), template.replace("{op}", "+")
    r = _io(lang_pool, lang, wrong, f"{case}-wrong")
    assert r.status in (Status.failed, Status.crashed), (case, r.status, r.error_type, r.error_message)
    run = _plain_run(lang_pool, lang, wrong, f"{case}-wrong-run")
    assert run.run_output is not None, (case, run.status, run.error_message)
    assert run.run_output.compile is None or run.run_output.compile.ok, run.run_output.compile
    assert run.exit_code not in (0, None) or run.signal, (case, run.exit_code, run.run_output.stdout)
    assert "ok" not in run.run_output.stdout
    # the same program with the right answer passes: the assertion is on, not broken
    good = _io(lang_pool, lang, right, f"{case}-right")
    assert good.status is Status.passed, (case, good.status, good.error_type, good.error_message,
                                          good.stderr_tail[-500:])


def test_a_candidates_ndebug_cannot_touch_the_data_form_checks(lang_pool):
    """The drivers' comparisons happen on the host, against values that never enter the sandbox:
    a candidate that defines NDEBUG (or asserts nothing) still fails on a wrong answer."""
    add = Problem.model_validate({
        "id": "t/add", "prompt": "add",
        "signature": {"name": "add", "params": [{"name": "a", "type": "int"}, {"name": "b", "type": "int"}],
                      "returns": "int"},
        "tests": [{"call": [1, 2], "expect": 3}, {"call": [2, 2], "expect": 4}],
    })
    for lang, prog in (("c", "#define NDEBUG\n#include <assert.h>\nlong long add(long long a, long long b) "
                             "{ assert(0); return a * b; }\n"),
                       ("cpp", "#define NDEBUG\n#include <cassert>\nlong long add(long long a, long long b) "
                               "{ assert(0); return a * b; }\n")):
        cand = Candidate(candidate_id=f"nd-{lang}", problem_id=add.id, solution=prog, language=lang)
        r = lang_pool.execute(build_request(add, cand, LANG_LIMITS))
        # assert(0) aborts on the first call: asserts stay on even in the candidate's own code
        assert r.status in (Status.failed, Status.crashed) and r.tests_passed == 0, (lang, r.status, r.error_type)
