"""MultiPL-E rows -> data-form problems: what converts, what is named, and that the result runs.

tests/data/multipl_e_sample.jsonl holds rows in MultiPL-E's layout (name, language, prompt,
tests, stop_tokens, doctests, original, prompt_terminology), written for codesynth in the shape
MultiPL-E's translators emit for Python, C++, Rust, Java, TypeScript, JavaScript and Go, plus four
rows that cannot convert. multipl_e_solutions.json holds a reference program for each row that
converts (MultiPL-E ships none), written to codesynth's data-form conventions.
"""

from __future__ import annotations

import json

import pytest
from helpers import ROOT, run_cli

from codesynth.errors import InputError
from codesynth.importers import convert_multipl_e, import_multipl_e, import_problems, load_solutions_map
from codesynth.problems import load_problems

DATA = ROOT / "tests" / "data"
ROWS = DATA / "multipl_e_sample.jsonl"
SOLS = load_solutions_map(DATA / "multipl_e_solutions.json")


def test_convertible_rows_become_data_form_problems_in_their_language():
    res = convert_multipl_e(ROWS, SOLS)
    by = {p.id: p for p in res.problems}
    assert {p.id: p.language for p in res.problems} == {
        "multipl-e/py/HumanEval_53_add": "python", "multipl-e/cpp/HumanEval_30_get_positive": "cpp",
        "multipl-e/rs/HumanEval_23_strlen": "rust", "multipl-e/java/HumanEval_13_greatest_common_divisor": "java",
        "multipl-e/java/HumanEval_34_unique": "java", "multipl-e/ts/HumanEval_2_truncate_number": "typescript",
        "multipl-e/js/HumanEval_0_has_close_elements": "javascript", "multipl-e/go/HumanEval_28_concatenate": "go"}
    assert all(p.kind == "calls" and p.reference_solution for p in res.problems)
    pos = by["multipl-e/cpp/HumanEval_30_get_positive"]
    assert pos.signature.model_dump() == {"name": "get_positive", "params": [{"name": "l", "type": "list[int]"}],
                                          "returns": "list[int]"}
    assert [(c.call, c.expect) for c in pos.tests][2:] == [([[-1, -2]], []), ([[]], [])]
    assert pos.prompt.startswith("Return only positive numbers in the list.\n")  # the comment, not the header
    assert by["multipl-e/java/HumanEval_13_greatest_common_divisor"].signature.name == "greatestCommonDivisor"
    uniq = by["multipl-e/java/HumanEval_34_unique"].tests
    assert (uniq[0].call, uniq[0].expect) == ([[5, 3, 5, 2, 3, 3, 9, 0, 123]], [0, 2, 3, 5, 9, 123])
    # TypeScript's number is settled by the values; JavaScript's untyped parameters too
    assert by["multipl-e/ts/HumanEval_2_truncate_number"].signature.returns == "float"
    js = by["multipl-e/js/HumanEval_0_has_close_elements"].signature
    assert [p.type for p in js.params] == ["list[float]", "float"] and js.returns == "bool"
    go = by["multipl-e/go/HumanEval_28_concatenate"]
    # the call the prompt shows as an example is the public test; the others are private
    assert [(c.call, c.expect) for c in go.tests] == [([[]], "")]
    assert [(c.call, c.expect) for c in go.private_tests][:1] == [([["x", "y", "z"]], "xyz")]
    strlen = by["multipl-e/rs/HumanEval_23_strlen"]
    assert [c.call for c in [*strlen.tests, *strlen.private_tests]][2] == ["asdasnakj"]
    # the original row is kept
    md = by["multipl-e/py/HumanEval_53_add"].metadata
    assert md["name"] == "HumanEval_53_add" and md["language"] == "py" and "def check" in md["tests"]


def test_rows_that_do_not_convert_are_named_with_what_they_are():
    res = convert_multipl_e(ROWS, SOLS)
    assert [s.line() for s in res.skipped] == [
        f"{ROWS}:9: HumanEval_136_largest_smallest_integers: type 'std::tuple<std::optional<long>, "
        "std::optional<long>>' has no data-form equivalent (int, float, bool, str and lists of them)",
        f"{ROWS}:10: HumanEval_4_mean_absolute_deviation: not a plain equality assert: "
        "assert abs(candidate([1.0, 2.0, 3.0]) - 2.0 / 3.0) < 1e-6",
        f"{ROWS}:11: HumanEval_53_add: language 'lua' has no codesynth runner "
        "(convertible: cpp, go, go_test.go, java, js, py, rs, ts)",
        f"{ROWS}:12: HumanEval_12_longest: type 'Option<String>' has no data-form equivalent "
        "(int, float, bool, str and lists of them)",
    ]
    with pytest.raises(InputError) as e:
        import_multipl_e(ROWS)
    assert str(e.value).startswith(f"{ROWS}:9: HumanEval_136_largest_smallest_integers: type")
    assert str(e.value).endswith("(and 3 more rows; --skip-unconvertible imports the rest)")
    assert len(import_multipl_e(ROWS, skip_unconvertible=True)) == 8


@pytest.mark.parametrize("row,why", [
    ({"language": "cpp", "prompt": "long f(long x) {\n", "tests": "    assert(candidate((1)) != (2));\n"},
     "not a plain equality assert"),
    ({"language": "rs", "prompt": "fn f(x: isize) -> isize {\n",
      "tests": "    assert_eq!(candidate(1), candidate(2));\n"}, "is not a literal"),
    ({"language": "js", "prompt": "function f(x){\n", "tests": "  assert.deepEqual(candidate([]),[]);\n"},
     "its element type cannot be inferred"),
    ({"language": "go_test.go", "prompt": "func f(x int) map[string]int {\n", "tests": ""},
     "type 'map[string]int' has no data-form equivalent"),
    ({"language": "ts", "prompt": "function f(x: number): number {\n", "tests": "test();\n"},
     "no equality assert on the function"),
    ({"language": "py", "prompt": "def f(x):\n    pass\n", "tests": "def check(candidate):\n    assert candidate(1) == 1\n"},
     "a parameter has no type annotation"),
])
def test_each_unconvertible_kind_says_what_it_is(tmp_path, row, why):
    src = tmp_path / "rows.jsonl"
    src.write_text(json.dumps({"name": "r", "stop_tokens": [], **row}) + "\n")
    (skipped,) = convert_multipl_e(src).skipped
    assert skipped.name == "r" and why in skipped.reason


def test_a_malformed_row_is_an_input_error_not_a_skip(tmp_path):
    src = tmp_path / "rows.jsonl"
    src.write_text(json.dumps({"name": "r", "language": "py", "prompt": "def f(x: int) -> int:\n"}) + "\n")
    with pytest.raises(InputError, match=r"rows.jsonl:1: field 'tests': required field is missing"):
        convert_multipl_e(src)
    # the format dispatcher reads MultiPL-E too, with the same refusal
    with pytest.raises(InputError, match="HumanEval_136_largest_smallest_integers"):
        import_problems("multipl-e", ROWS)


def test_cli_imports_lists_the_skipped_rows_and_refuses_without_the_flag(tmp_path):
    out = tmp_path / "mpe.jsonl"
    r = run_cli("problems", "import", "multipl-e", str(ROWS), "--out", str(out), "--solutions",
                str(DATA / "multipl_e_solutions.json"), "--skip-unconvertible", timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"wrote 8 problems to {out}"
    err = r.stderr.strip().splitlines()
    assert err[0] == "skipped 4 rows that do not convert:" and len(err) == 5
    assert "HumanEval_12_longest: type 'Option<String>'" in err[4]
    assert len(load_problems(out)) == 8  # what was written loads back as a problem set
    r = run_cli("problems", "import", "multipl-e", str(ROWS), "--out", str(tmp_path / "x.jsonl"), timeout=120)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "HumanEval_136_largest_smallest_integers" in r.stderr and not (tmp_path / "x.jsonl").exists()


def test_imported_problems_verify_their_references(tmp_path, lang_pool):
    from codesynth.models import Candidate
    from codesynth.pipeline import VerifyConfig, verify_candidates
    from codesynth.rundir import read_run

    problems = import_multipl_e(ROWS, SOLS, skip_unconvertible=True)
    s = verify_candidates(problems, None, tmp_path / "run", VerifyConfig(progress=False), backend=lang_pool)
    assert s.candidates == 8 and s.passed == 8, s.counts
    # the converted tests test something: a wrong program in each language fails them
    wrong = {
        "multipl-e/py/HumanEval_53_add": "def add(x, y):\n    return x - y\n",
        "multipl-e/cpp/HumanEval_30_get_positive": "#include <vector>\nstd::vector<long long> get_positive("
                                                   "std::vector<long long> l) { return l; }\n",
        "multipl-e/rs/HumanEval_23_strlen": "fn strlen(string: String) -> i64 { string.len() as i64 + 1 }\n",
        "multipl-e/go/HumanEval_28_concatenate": "package main\n\nfunc concatenate(s []string) string { return \"\" }\n",
    }
    cands = [Candidate(candidate_id=f"{pid}#w", problem_id=pid, solution=code) for pid, code in wrong.items()]
    ws = verify_candidates(problems, cands, tmp_path / "wrong", VerifyConfig(progress=False), backend=lang_pool)
    assert ws.candidates == 4 and ws.passed == 0
    st = read_run(tmp_path / "wrong")
    assert {r.failure_category.value for r in st.rewards.values()} == {"wrong_answer"}
