"""Importers for the field's formats: CodeContests, CodeContests+, APPS, TACO, LiveCodeBench,
KodCode and HardTests, on fixture rows written in each dataset's real format (tests/data/field/). Each keeps
the source's public/private split, names every row it cannot convert with file:line and why,
reads JSONL, JSON arrays and Parquet, and its reference solutions pass `codesynth verify`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import ROOT, read_jsonl, run_cli

from codesynth.errors import InputError
from codesynth.importers import get_importer
from codesynth.models import IOCase
from codesynth.test_split import split_tests

DATA = ROOT / "tests" / "data" / "field"


def _import(name: str, path: Path | None = None):
    return get_importer(name).run(path or DATA / f"{name.replace('-', '_')}.jsonl")


def test_codecontests_keeps_public_private_and_generated_tests_and_every_language():
    res = _import("codecontests")
    a, b = res.problems
    assert a.id == "codecontests/1_A" and a.language == "python" and a.compare == "tokens"
    assert a.tests == [IOCase(input="1 2\n", output="3\n")]  # the statement's example: public
    assert [c.input for c in a.private_tests] == ["5 7\n", "-3 3\n", "100 200\n", "0 0\n"]  # private + generated
    assert "raw_input" not in a.reference_solution  # Python 2 is not kept
    assert set(a.reference_solutions) == {"cpp"} and "std::cin" in a.reference_solutions["cpp"]
    assert set(b.reference_solutions) == {"java"} and a.metadata["time_limit_s"] == 2.0
    path = DATA / "codecontests.jsonl"
    assert res.skipped == [f"{path}:3: field 'public_tests': 2 inputs but 1 outputs",
                           f"{path}:4: reads or writes named files (input_file/output_file), not stdin/stdout"]


def test_apps_and_taco_read_input_output_with_and_without_fn_name():
    apps = _import("apps")
    stdin, fn, method = apps.problems
    assert stdin.kind == "io" and len(stdin.tests) == 4 and stdin.private_tests is None  # the default split
    assert fn.kind == "function" and fn.entry_point == "add_two"
    assert "assert add_two(1, 2) in (3, [3])" in fn.tests  # APPS accepts the result or its only element
    assert method.entry_point == "Solution" and "assert Solution().maxItem([1, 5, 2]) == [5, 1]" in method.tests
    assert "Use Call-Based format." in fn.prompt and "Use Standard Input format." in stdin.prompt
    assert [s.split(": ", 1)[0] for s in apps.skipped] == [f"{DATA / 'apps.jsonl'}:4", f"{DATA / 'apps.jsonl'}:5"]
    assert "not valid JSON" in apps.skipped[0]
    taco = _import("taco")
    lines, even = taco.problems
    assert lines.id == "taco/1" and lines.tests[0] == IOCase(input="2\n1 2\n3 4\n", output="3\n7\n")  # lists of lines
    assert even.id == "taco/2" and "assert is_even(3) in (False, [False])" in even.tests
    assert taco.skipped == [f"{DATA / 'taco.jsonl'}:3: field 'input_output': no inputs"]


def test_livecodebench_public_and_private_cases_functional_and_stdin():
    res = _import("livecodebench")
    stdin, fn = res.problems
    assert stdin.tests == [IOCase(input="3 5\n", output="8\n")] and len(stdin.private_tests) == 3  # compressed
    assert fn.entry_point == "Solution" and fn.tests == "assert Solution().twoSum([2, 7, 11, 15], 9) == [0, 1]\n"
    assert "assert Solution().twoSum([3, 3], 6) == [0, 1]" in fn.private_tests
    sp = split_tests(fn)
    assert "[3, 2, 4]" not in sp.public  # a private case is never on the public side
    path = DATA / "livecodebench.jsonl"
    assert res.skipped[0] == f"{path}:3: functional tests but field 'metadata' names no func_name"
    # a pickle that names any function is refused before it can run anything
    assert res.skipped[1] == f"{path}:4: private_test_cases: the pickle names builtins.print; only plain data is read"


def test_kodcode_rows_become_pytest_problems_split_per_test_function():
    res = _import("kodcode")
    two_sum, stack = res.problems
    assert two_sum.entry_point == "two_sum" and "from solution import *" in two_sum.tests
    sp = split_tests(two_sum)
    assert "def test_two_sum_basic" in sp.public and "def test_two_sum_cases" in sp.private
    assert stack.entry_point == "MinStack"
    assert res.skipped == [f"{DATA / 'kodcode.jsonl'}:3: field 'test': Python syntax error at line 2: invalid syntax"]


def test_codecontests_plus_keeps_generators_and_imports_testlib_checkers():
    res = _import("codecontests-plus")
    p, q = res.problems
    assert p.id == "codecontests-plus/1A" and len(p.tests) == 5 and p.private_tests is None and p.checker is None
    assert set(p.reference_solutions) == {"cpp"} and "testlib.h" in p.metadata["generator"]
    assert p.metadata["incorrect_submissions"] == {"python": "print(0)\n"} and p.metadata["time_limit_s"] == 1.0
    # Any divisor: the row's testlib checker judges it (run in tests/test_testlib.py).
    assert q.id == "codecontests-plus/2B" and q.checker is not None and q.checker.language == "cpp"
    assert q.checker.testlib and "registerTestlibCmd" in q.checker.code and q.judge_languages == {"cpp"}
    assert "registerValidation" in q.metadata["validator"] and q.metadata["generator_cmd"].startswith("./gen")
    assert res.skipped == [f"{DATA / 'codecontests_plus.jsonl'}:3: field 'checker': not a testlib.h checker (it "
                           "never calls registerTestlibCmd)"]


def test_hardtests_problems_keep_the_examples_and_every_language():
    res = _import("hardtests")
    (p,) = res.problems
    assert p.id == "hardtests/AT_abc000_a" and len(p.tests) == 3 and p.language == "python"
    assert "input()" in p.reference_solution and set(p.reference_solutions) == {"cpp"}
    assert res.skipped == [f"{DATA / 'hardtests.jsonl'}:2: field 'public_test_cases': test types ['functional'], "
                           "only 'stdin' is imported"]


def test_parquet_and_json_array_files_read_as_the_jsonl(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = read_jsonl(DATA / "codecontests.jsonl")
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "train.parquet")
    (tmp_path / "train.json").write_text(json.dumps(rows, indent=1))
    want = [p.model_dump() for p in _import("codecontests").problems]
    for f in ("train.parquet", "train.json"):
        res = _import("codecontests", tmp_path / f)
        assert [p.model_dump() for p in res.problems] == want
        assert len(res.skipped) == 2
    assert ":3: field 'public_tests'" in _import("codecontests", tmp_path / "train.parquet").skipped[0]


def test_a_file_with_no_convertible_row_is_one_clear_error(tmp_path):
    bad = tmp_path / "apps.jsonl"
    bad.write_text(json.dumps({"problem_id": 1, "question": "q", "input_output": "{}"}) + "\n")
    with pytest.raises(InputError, match=r"apps\.jsonl: none of its 1 rows converts; the first: .*apps\.jsonl:1: "):
        _import("apps", bad)
    r = run_cli("problems", "import", "apps", str(bad), "--out", str(tmp_path / "out.jsonl"))
    assert r.returncode == 2 and "Traceback" not in r.stderr and "none of its 1 rows converts" in r.stderr


@pytest.mark.docker
def test_fixture_rows_verify_their_references_through_codesynth_verify(tmp_path):
    """Every Python reference of every format (and LiveCodeBench's known-correct programs, as it
    ships none) passes `codesynth verify` on its imported tests, in one run."""
    known = {r["problem_id"]: r["solution"] for r in read_jsonl(DATA / "livecodebench_solutions.jsonl")}
    problems = []
    for name in ("codecontests", "codecontests-plus", "apps", "taco", "livecodebench", "kodcode", "hardtests"):
        for p in _import(name).problems:
            if p.judge_languages - {"python"}:
                continue  # a C++ checker: the toolchain test below
            d = p.model_dump(exclude_none=True)
            d["reference_solutions"] = {}  # other languages: the toolchain test below
            if p.id in known:
                d["reference_solution"] = known[p.id]
            problems.append(d)
    both = tmp_path / "all.jsonl"
    both.write_text("".join(json.dumps(p) + "\n" for p in problems))
    r = run_cli("verify", str(both), "--out", str(tmp_path / "run"), timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    results = read_jsonl(tmp_path / "run" / "results.jsonl")
    assert {x["problem_id"] for x in results} == {p["id"] for p in problems} and len(results) == 13
    assert all(x["status"] == "passed" for x in results), [(x["candidate_id"], x["error_message"]) for x in results
                                                          if x["status"] != "passed"]


@pytest.mark.docker
def test_references_in_other_languages_verify_on_the_toolchain_image(tmp_path):
    """CodeContests' C++ and Java solutions and CodeContests+'s C++ submission, each judged on the
    problem's tests by `codesynth verify` (the toolchain image); CodeContests+'s any-divisor
    problem's Python and C++ submissions by its testlib checker (both print n, the tests expect
    the smallest divisor)."""
    problems = []
    for name in ("codecontests", "codecontests-plus", "hardtests"):
        for p in _import(name).problems:
            problems.append(p.model_dump(exclude_none=True) | ({} if p.checker else {"reference_solution": None}))
    f = tmp_path / "langs.jsonl"
    f.write_text("".join(json.dumps({k: v for k, v in p.items() if v is not None}) + "\n" for p in problems))
    r = run_cli("verify", str(f), "--out", str(tmp_path / "run"), timeout=1500)
    assert r.returncode == 0, r.stderr[-2000:]
    results = read_jsonl(tmp_path / "run" / "results.jsonl")
    assert sorted(x["candidate_id"] for x in results) == [
        "codecontests-plus/1A#ref-cpp", "codecontests-plus/2B#ref", "codecontests-plus/2B#ref-cpp",
        "codecontests/1_A#ref-cpp", "codecontests/2_B#ref-java", "hardtests/AT_abc000_a#ref-cpp"]
    assert all(x["status"] == "passed" for x in results), [(x["candidate_id"], x["status"], x["error_type"]) for x in results]
