"""Host-side pieces of the language support, no sandbox: validation, the argument format,
comparisons, drivers, request building."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from codesynth.errors import InputError
from codesynth.models import LANGUAGES, CallCase, Candidate, Problem, Signature, parse_type
from codesynth.problems import load_problems
from codesynth.sandbox.backend import build_request
from codesynth.sandbox.languages.drivers import (
    UnsupportedSignature,
    driver,
    encode_calls,
    parse_results,
    values_equal,
)
from codesynth.sandbox.languages.programs import files_for
from codesynth.sandbox.languages.verdict import outputs_match, trim_compiler_message
from codesynth.solutions import load_candidates, reference_candidates

SIG = {"name": "f", "params": [{"name": "xs", "type": "list[int]"}, {"name": "s", "type": "str"}], "returns": "int"}


def prob(**kw):
    base = {"id": "p", "prompt": "x", "signature": SIG, "tests": [{"call": [[1], "a"], "expect": 1}]}
    return Problem.model_validate({**base, **kw})


def test_every_language_validates_and_an_unknown_one_does_not():
    for lang in LANGUAGES:
        assert prob(language=lang).language == lang
    with pytest.raises(ValidationError, match="language"):
        prob(language="rust2")


def test_data_form_tests_are_checked_against_the_signature_at_load():
    assert prob().kind == "calls" and prob().entry_point == "f"
    with pytest.raises(ValidationError, match="need a 'signature'"):
        prob(signature=None)
    with pytest.raises(ValidationError, match="1 arguments for 2 parameters"):
        prob(tests=[{"call": [[1]], "expect": 1}])
    with pytest.raises(ValidationError, match="argument 's': expected a str"):
        prob(tests=[{"call": [[1], 5], "expect": 1}])
    with pytest.raises(ValidationError, match="'expect': expected a 64-bit int"):
        prob(tests=[{"call": [[1], "a"], "expect": True}])
    with pytest.raises(ValidationError, match="unknown type"):
        prob(signature={**SIG, "returns": "dict[str,int]"})


def test_python_test_code_only_tests_python():
    code = {"id": "p", "prompt": "x", "entry_point": "f", "tests": "def check(candidate):\n    assert candidate(1) == 1\n"}
    assert Problem.model_validate(code).kind == "function"
    with pytest.raises(ValidationError, match="only tests Python"):
        Problem.model_validate({**code, "language": "go"})
    with pytest.raises(ValidationError, match="only tests Python"):
        Problem.model_validate({**code, "reference_solutions": {"c": "int f(int x) { return x; }"}})


def test_parse_type_nests():
    assert parse_type("list[list[int]]") == ("list", ("list", ("int",)))


def test_argument_format_is_counted_tokens():
    sig = Signature.model_validate(SIG)
    text = encode_calls(sig, [CallCase(call=[[1, -2], "é z"], expect=0), CallCase(call=[[], ""], expect=0)])
    assert text == "2 2 1 -2 4:é z \n 0 0: \n"  # strings carry their UTF-8 byte length


def test_values_compare_by_declared_type():
    assert values_equal(("int",), 3, 3) and values_equal(("int",), 3, 3.0)  # JS prints numbers alike
    assert not values_equal(("int",), 1, True) and not values_equal(("bool",), True, 1)
    assert values_equal(("float",), 0.3, 0.1 + 0.2) and not values_equal(("float",), 0.3, 0.31)
    assert values_equal(("list", ("float",)), [1.0], [1]) and not values_equal(("list", ("int",)), [1], [1, 2])
    assert not values_equal(("str",), "a", None)


def test_result_lines():
    assert parse_results("= [1,2]\n! ValueError: x\nnoise\n= {bad\n") == [
        ("ok", [1, 2]), ("exc", "ValueError: x"), ("bad", "noise"), ("bad", "= {bad")]


def test_output_comparisons():
    assert outputs_match("1 2\n", "1 2   \n\n", "exact") and not outputs_match("1 2\n", "1  2\n", "exact")
    assert outputs_match("1 2\n3\n", "1\n2 3", "tokens") and not outputs_match("1 2", "1 2 3", "tokens")
    assert outputs_match("1.5\n", "1.5000000001", "float") and not outputs_match("1.5", "1.6", "float")
    assert not outputs_match("x", "nan", "float") and not outputs_match("1", "nan", "float")


def test_compiler_messages_are_trimmed_to_whole_lines():
    msg = "\n".join(f"main.c:{i}: error: bad thing number {i}" for i in range(500))
    t = trim_compiler_message(msg)
    assert t.startswith("main.c:0: error") and len(t) < 2100 and "more characters" in t


def test_every_language_has_a_driver_and_c_refuses_nested_lists():
    sig = Signature.model_validate(SIG)
    for lang in LANGUAGES:
        assert "f" in driver(lang, sig)
    nested = Signature.model_validate({**SIG, "returns": "list[list[int]]"})
    with pytest.raises(UnsupportedSignature):
        driver("c", nested)
    p = prob(signature=nested.model_dump(), tests=[{"call": [[1], "a"], "expect": [[1]]}])
    req = build_request(p, Candidate(candidate_id="c", problem_id="p", solution="x", language="c"))
    assert req.host_error and "nested lists" in req.host_error


def test_java_files_follow_the_public_class():
    files, cls = files_for("java", "public class Prog { public static void main(String[] a) {} }", None)
    assert files == {"Prog.java": "public class Prog { public static void main(String[] a) {} }"} and cls == "Prog"
    files, cls = files_for("java", "class Solution {}", Signature.model_validate(SIG))
    assert set(files) == {"Solution.java", "Main.java"} and cls == "Main"


def test_compile_cache_key_covers_files_and_command():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sandbox" / "harness"))
    import langrun

    a = langrun.cache_key({"main.c": "x"}, ["gcc", "main.c"])
    assert a == langrun.cache_key({"main.c": "x"}, ["gcc", "main.c"])
    assert a != langrun.cache_key({"main.c": "x"}, ["gcc", "-O2", "main.c"])
    assert a != langrun.cache_key({"main.c": "y"}, ["gcc", "main.c"])


def test_reference_solutions_become_candidates_per_language():
    p = prob(reference_solution="def f(xs, s): return 1\n", reference_solutions={"rust": "fn f() {}", "go": "x"})
    cands, missing = reference_candidates([p])
    assert [(c.candidate_id, c.language) for c in cands] == [("p#ref", "python"), ("p#ref-rust", "rust"),
                                                             ("p#ref-go", "go")]
    assert missing == []


def test_candidate_files_carry_a_language(tmp_path):
    p = prob()
    f = tmp_path / "c.jsonl"
    f.write_text(json.dumps({"problem_id": "p", "solution": "x", "language": "cpp"}) + "\n")
    assert load_candidates(f, [p])[0].language == "cpp"
    f.write_text(json.dumps({"problem_id": "p", "solution": "x"}) + "\n"
                 + json.dumps({"problem_id": "p", "solution": "x", "language": "cobol"}) + "\n")
    with pytest.raises(InputError, match=r"c\.jsonl:2: field 'language'"):
        load_candidates(f, [p])


def test_the_shipped_multilingual_set_has_every_language_everywhere():
    problems = load_problems(Path(__file__).resolve().parents[1] / "problem_sets" / "multilang.jsonl")
    assert len(problems) >= 20
    for p in problems:
        assert set(p.references()) == set(LANGUAGES), p.id
    kinds = {p.kind for p in problems}
    assert kinds == {"calls", "io"}


def test_unknown_language_is_a_load_error_naming_file_and_line(tmp_path):
    from helpers import run_cli

    f = tmp_path / "p.jsonl"
    ok = {"id": "a", "prompt": "x", "tests": [{"input": "", "output": "1\n"}]}
    f.write_text(json.dumps(ok) + "\n" + json.dumps({**ok, "id": "b", "language": "klingon"}) + "\n")
    res = run_cli("verify", str(f), "--out", str(tmp_path / "run"))
    assert res.returncode == 2
    assert f"{f}:2: field 'language'" in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
