"""Generation in languages other than Python: prompts, extraction, --language, translate.

The fast part (no Docker) checks extraction per language and what a prompt asks for. The
docker part runs the real chain: a scripted OpenAI-compatible server on 127.0.0.1 answers
with the problem's reference solution in the requested language (problem_sets/multilang.jsonl)
or a wrong one, the real openai client through codesynth's ChatClient, and the real toolchain
pool (`lang_pool`, conftest.py) compiles and judges what was extracted.
"""

from __future__ import annotations

import re

import pytest
from helpers import LANG_LIMITS, PROBLEM_SETS, run_cli
from scripted_server import ScriptedServer, last_user

from codesynth.config import EndpointConfig, SamplingParams
from codesynth.errors import InputError
from codesynth.extract import program_from_reply
from codesynth.generators.cache import ResponseCache
from codesynth.generators.client import ChatClient
from codesynth.generators.prompts import repair_messages, solution_messages, task_text
from codesynth.jsonl import read_models
from codesynth.models import Candidate, Problem
from codesynth.pipeline import VerifyConfig
from codesynth.pipeline.generate import generate_repair, generate_solutions, generate_translate
from codesynth.problems import load_problems
from codesynth.rundir import read_run
from codesynth.signatures import declaration

ML = {p.id: p for p in load_problems(PROBLEM_SETS / "multilang.jsonl")}
CFG = VerifyConfig(progress=False, limits=LANG_LIMITS)
PY_ONLY = Problem(id="t/py-only", prompt='def inc(x):\n    """x + 1"""\n', entry_point="inc",
                  tests="assert inc(1) == 2\n", reference_solution="def inc(x):\n    return x + 1\n")


# --------------------------------------------------------------------------- extraction (fast)

EXTRACT_CASES = [
    # (language, reply, entry point, the program expected)
    ("cpp", "Here it is:\n```c++\n#include <vector>\nlong long f(long long a) { return a; }\n```\nDone.", "f",
     "#include <vector>\nlong long f(long long a) { return a; }\n"),
    ("cpp", "```cpp\nint main() { }\n```\n```cpp\nlong long f(long long a) {\n  return a;\n}\n```", "f",
     "long long f(long long a) {\n  return a;\n}\n"),  # the block that defines the entry point
    ("cpp", "```c\nlong long f(long long a) { return a; }\n```", "f",
     "long long f(long long a) { return a; }\n"),  # C is accepted in a C++ request
    ("c", "Sure.\n\nlong long f(long long a) {\n    return a;\n}\n\nThis returns a.", "f",
     "long long f(long long a) {\n    return a;\n}\n"),  # prose around bare code
    ("rust", "```rs\nfn f(a: i64) -> i64 { a }\n```", "f", "fn f(a: i64) -> i64 { a }\n"),
    ("rust", "```\nfn f(a: i64) -> i64 { a }\n```", "f", "fn f(a: i64) -> i64 { a }\n"),  # untagged fence
    ("rust", "```rust\nfn f(a: i64) -> i64 {\n    a", "f", "fn f(a: i64) -> i64 {\n    a\n"),  # cut off
    ("go", "```golang\npackage main\n\nfunc f(a int) int { return a }\n```", "f",
     "package main\n\nfunc f(a int) int { return a }\n"),
    ("go", "The answer:\npackage main\n\nfunc f(a int) int {\n\treturn a\n}\nHope it helps!", "f",
     "package main\n\nfunc f(a int) int {\n\treturn a\n}\n"),
    ("java", "```java\nclass Solution {\n    static long f(long a) { return a; }\n}\n```", "f",
     "class Solution {\n    static long f(long a) { return a; }\n}\n"),
    ("javascript", "```js\nfunction f(a) { return a; }\n```\n```js\nconsole.log(f(1));\n```", "f",
     "function f(a) { return a; }\n"),
    ("typescript", "```ts\nconst f = (a: number): number => a;\n```", "f", "const f = (a: number): number => a;\n"),
    ("typescript", "```javascript\nfunction f(a) { return a; }\n```", "f", "function f(a) { return a; }\n"),
]


@pytest.mark.parametrize("lang,reply,ep,want", EXTRACT_CASES)
def test_extraction_per_language(lang, reply, ep, want):
    assert program_from_reply(reply, ep, None, lang) == want


@pytest.mark.parametrize("lang,reply", [
    ("go", "```python\ndef f(a):\n    return a\n```"),  # code, but in another language
    ("rust", "I cannot write this function."),
    ("cpp", "Here is the function f(a)"),  # prose that mentions a call
    ("java", ""),
])
def test_no_program_in_that_language_is_none(lang, reply):
    assert program_from_reply(reply, "f", None, lang) is None


def test_python_extraction_is_unchanged_by_the_language_rule():
    reply = "```cpp\nint f() { return 1; }\n```\n```python\ndef f():\n    return 1\n```"
    assert program_from_reply(reply, "f") == "def f():\n    return 1\n"
    assert program_from_reply(reply, "f", None, "cpp") == "int f() { return 1; }\n"


# --------------------------------------------------------------------------- prompts (fast)


def test_the_prompt_shows_the_signature_every_reference_implements():
    # The declaration in the prompt comes from the drivers' type table; the shipped references
    # (which pass in the sandbox) spell the same header.
    calls = [p for p in ML.values() if p.kind == "calls"]
    for p in calls:
        for lang in ("cpp", "java", "typescript", "go", "rust"):
            header = declaration(lang, p.signature).splitlines()[1 if lang == "java" else -1].strip()
            assert header in p.reference_solutions[lang], (p.id, lang, header)
            assert f"```{lang}\n" in task_text(p, lang) and header in task_text(p, lang)


def test_prompts_per_language():
    add, io = ML["multilang/001-add"], ML["multilang/101-sum-ints"]
    msgs = solution_messages(add, [], "rust")
    assert "Rust programmer" in msgs[0]["content"] and "```rust" in msgs[0]["content"]
    assert "fn add(a: i64, b: i64) -> i64" in msgs[-1]["content"] and "main" in msgs[-1]["content"]
    assert "complete Go program" in task_text(io, "go") and "package main" in task_text(io, "go")
    # Python prompts are what they were (the response cache keys on them)
    assert solution_messages(add) == solution_messages(add, [], "python")
    assert "Write the Python function `add`." in task_text(add)
    # few-shot examples show their reference in the requested language
    shot = solution_messages(add, [ML["multilang/011-gcd"]], "go")
    assert shot[2]["content"].startswith("```go\n") and "func gcd" in shot[2]["content"]
    rep = repair_messages(add, "long long add(", "main.cpp:1:14: error: expected ')'", "cpp", compile_error=True)
    assert "did not compile" in rep[-1]["content"] and "main.cpp:1:14" in rep[-1]["content"]
    assert rep[2]["content"].startswith("```cpp\n")


def test_compile_errors_keep_the_compilers_first_error():
    from codesynth.models import ExecutionResult, Status
    from codesynth.verifiers.rewards import feedback

    msg = "main.cpp:3:5: error: 'x' was not declared\n" + "note: something\n" * 400
    r = ExecutionResult(candidate_id="c", problem_id="p", status=Status.error, error_type="CompileError",
                        error_message="compilation failed", traceback=msg)
    fb = feedback(r)
    assert fb.startswith("CompileError") and "main.cpp:3:5: error: 'x' was not declared" in fb and len(fb) <= 1200


# --------------------------------------------------------------------------- the chain (docker)


@pytest.fixture
def server():
    s = ScriptedServer().start()
    yield s
    s.stop()


def client(server: ScriptedServer, tmp_path) -> ChatClient:
    ep = EndpointConfig(base_url=server.base_url, model="scripted-model", backoff_s=0.01, concurrency=2)
    return ChatClient(ep, SamplingParams(), ResponseCache(tmp_path / "cache"))


def asked(body: dict) -> tuple[Problem, str]:
    """The problem a request is about and the language it asks for (from the prompt itself)."""
    text = body["messages"][1]["content"]  # the task (no few-shot examples here)
    prob = next(p for p in ML.values() if text.startswith(p.prompt.rstrip()))
    m = re.search(r"```(\w+) code block", body["messages"][0]["content"])
    return prob, m.group(1)


WRONG_CPP = "```cpp\nlong long add(long long a, long long b) { return a - b; }\n```"
BROKEN_CPP = "```cpp\nlong long sum_list(std::vector<long long> xs) { return 0 }\n```"  # no include, no ';'


def test_solutions_in_cpp_pass_references_and_fail_a_wrong_one(server, tmp_path, lang_pool):
    probs = [ML[i] for i in ("multilang/001-add", "multilang/002-sum-list", "multilang/013-join-words",
                             "multilang/101-sum-ints")]

    def answer(body):
        p, lang = asked(body)
        assert lang == "cpp"
        if body["seed"] == 1 and p.id == "multilang/001-add":
            return WRONG_CPP
        if body["seed"] == 1 and p.id == "multilang/002-sum-list":
            return BROKEN_CPP
        return f"Here is my solution:\n```cpp\n{p.reference_solutions['cpp']}```\n"

    server.responder = answer
    out = tmp_path / "run"
    rep = generate_solutions(probs, client(server, tmp_path), out, n=2, verify=True, config=CFG, backend=lang_pool,
                             language="cpp")
    st = read_run(out)
    verdicts = {cid: r.passed for cid, r in st.rewards.items()}
    assert verdicts == {"multilang/001-add#s0": True, "multilang/001-add#s1": False,
                        "multilang/002-sum-list#s0": True, "multilang/002-sum-list#s1": False,
                        "multilang/013-join-words#s0": True, "multilang/013-join-words#s1": True,
                        "multilang/101-sum-ints#s0": True, "multilang/101-sum-ints#s1": True}
    assert {c.language for c in st.candidates.values()} == {"cpp"}
    assert st.rewards["multilang/001-add#s1"].failure_category.value == "wrong_answer"
    broken = st.rewards["multilang/002-sum-list#s1"]
    assert broken.failure_category.value == "compile_error" and "error" in broken.feedback
    assert {r.language for r in st.dataset.values()} == {"cpp"}
    assert rep.counts["passed"] == 6 and rep.counts["language"] == "cpp"

    # repair: the compile error goes back with the compiler's message, in C++
    def fix(body):
        p, lang = asked(body)
        return f"```cpp\n{p.reference_solutions['cpp']}```"

    server.responder = fix
    before = len(server.requests)
    rrep = generate_repair(probs, client(server, tmp_path), out, rounds=1, from_run=out, config=CFG,
                           backend=lang_pool)
    asks = server.requests[before:]
    assert len(asks) == 2 and rrep.counts["fixed"] == 2
    compile_ask = next(b for b in asks if "sum_list" in b["messages"][1]["content"])
    assert "did not compile" in last_user(compile_ask) and "error" in last_user(compile_ask)
    assert "```cpp" in compile_ask["messages"][2]["content"]
    st = read_run(out)
    fixed = st.candidates["multilang/002-sum-list#s1#r1"]
    assert fixed.language == "cpp" and st.rewards[fixed.candidate_id].passed


def test_translate_python_to_go(server, tmp_path, lang_pool):
    probs = [ML[i] for i in ("multilang/006-fib", "multilang/010-word-lengths", "multilang/104-fizzbuzz")]
    src = tmp_path / "py"
    server.responder = lambda body: f"```python\n{asked(body)[0].reference_solution}```"
    generate_solutions(probs, client(server, tmp_path), src, n=1, verify=True, config=CFG, backend=lang_pool)
    assert all(r.passed for r in read_run(src).rewards.values())

    shown: dict[str, str] = {}

    def translate(body):
        p, lang = asked(body)
        assert lang == "go"
        shown[p.id] = last_user(body)
        if p.id == "multilang/010-word-lengths":  # a wrong translation: the Go tests must catch it
            return "```go\npackage main\n\nfunc word_lengths(words []string) []int { return []int{} }\n```"
        return f"```go\n{p.reference_solutions['go']}```"

    server.responder = translate
    out = tmp_path / "go"
    rep = generate_translate(probs, client(server, tmp_path), out, language="go", source_language="python",
                             from_run=src, verify=True, config=CFG, backend=lang_pool)
    st = read_run(out)
    ids = {"multilang/006-fib#s0~go0": True, "multilang/010-word-lengths#s0~go0": False,
           "multilang/104-fizzbuzz#s0~go0": True}
    assert {cid: r.passed for cid, r in st.rewards.items()} == ids
    c = st.candidates["multilang/006-fib#s0~go0"]
    assert (c.language, c.origin.kind, c.origin.mode, c.origin.parent_id) == ("go", "translation", "translate",
                                                                             "multilang/006-fib#s0")
    assert c.origin.extra["source_language"] == "python"
    # the verified Python program is what the model was shown
    assert ML["multilang/006-fib"].reference_solution.strip() in shown["multilang/006-fib"]
    assert "package main" in shown["multilang/006-fib"]  # the Go signature, from the drivers' table
    assert rep.counts["passed"] == 2 and rep.counts["sources"] == 3

    # resumable: a rerun with --resume asks nothing; other inputs are refused
    n_before = len(server.requests)
    again = generate_translate(probs, client(server, tmp_path), out, language="go", from_run=src, verify=True,
                               config=CFG.model_copy(update={"resume": True}), backend=lang_pool)
    assert len(server.requests) == n_before and again.counts["passed"] == 2
    with pytest.raises(InputError):
        generate_translate(probs, client(server, tmp_path), out, language="rust", from_run=src, verify=True,
                           config=CFG.model_copy(update={"resume": True}), backend=lang_pool)


def test_translate_from_reference_solutions_without_verify(server, tmp_path):
    probs = [ML["multilang/001-add"], ML["multilang/101-sum-ints"]]
    server.responder = lambda body: f"```rust\n{asked(body)[0].reference_solutions['rust']}```"
    out = tmp_path / "rs"
    rep = generate_translate(probs, client(server, tmp_path), out, language="rust", source_language="java", n=2,
                             config=CFG)
    cands = {c.candidate_id: c for c in read_models(out / "candidates.jsonl", Candidate)}
    assert set(cands) == {"multilang/001-add#ref-java~rust0", "multilang/001-add#ref-java~rust1",
                          "multilang/101-sum-ints#ref-java~rust0", "multilang/101-sum-ints#ref-java~rust1"}
    assert cands["multilang/001-add#ref-java~rust1"].solution == ML["multilang/001-add"].reference_solutions["rust"]
    assert "class Solution" in last_user(server.requests[0]) and rep.counts["new"] == 4
    assert {b["seed"] for b in server.requests} == {0, 1}  # two distinct samples, not one cached reply


def test_translate_refuses_when_there_is_nothing_to_translate(server, tmp_path):
    with pytest.raises(InputError, match="nothing to translate: no problem has a rust reference solution"):
        generate_translate([PY_ONLY], client(server, tmp_path), tmp_path / "o", language="go",
                           source_language="rust", config=CFG)
    with pytest.raises(InputError, match="both 'go'"):
        generate_translate([PY_ONLY], client(server, tmp_path), tmp_path / "o", language="go", source_language="go",
                           config=CFG)
    assert server.requests == []


def test_a_problem_that_cannot_be_posed_is_one_line_before_any_request(server, tmp_path):
    with pytest.raises(InputError, match=r"problem 't/py-only' cannot be posed in Rust: .*Python test code only"):
        generate_solutions([ML["multilang/001-add"], PY_ONLY], client(server, tmp_path), tmp_path / "o",
                           language="rust", config=CFG)
    nested = Problem.model_validate({
        "id": "t/nested", "prompt": "flatten", "tests": [{"call": [[[1], [2]]], "expect": [1, 2]}],
        "signature": {"name": "flat", "params": [{"name": "xs", "type": "list[list[int]]"}], "returns": "list[int]"},
    })
    with pytest.raises(InputError, match="'t/nested' cannot be posed in C: nested lists"):
        generate_solutions([nested], client(server, tmp_path), tmp_path / "o2", language="c", config=CFG)
    assert server.requests == []


def test_cli_unposable_problem_exits_2_with_one_line(server, tmp_path):
    src = tmp_path / "p.jsonl"
    src.write_text(PY_ONLY.model_dump_json() + "\n")
    r = run_cli("generate", "solutions", str(src), "--language", "go", "--base-url", server.base_url,
                "--model", "scripted-model", "--out", str(tmp_path / "o"), "--no-cache", timeout=120)
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines() == [
        "codesynth: error: problem 't/py-only' cannot be posed in Go: it has Python test code only "
        "(no signature with {call, expect} tests, no stdin/stdout cases)"]
    assert server.requests == []


def test_synth_solves_and_repairs_in_the_recipes_language(server, tmp_path, lang_pool):
    # lang_pool: the toolchain image exists; synth opens its own pool on it.
    import json as _json

    seeds = ["multilang/001-add", "multilang/005-is-palindrome", "multilang/102-reverse-lines"]
    src = tmp_path / "seeds.jsonl"
    src.write_text("".join(ML[i].model_dump_json() + "\n" for i in seeds))

    def answer(body):
        p, lang = asked(body)
        assert lang == "rust"
        if p.id == "multilang/001-add" and not last_user(body).startswith("Your solution"):
            return "```rust\nfn add(a: i64, b: i64) -> i64 { a * b }\n```"  # wrong first, fixed by the repair
        return f"```rust\n{p.reference_solutions['rust']}```"

    server.responder = answer
    rec = tmp_path / "recipe.toml"
    rec.write_text(f'name = "rs"\n[seeds]\nproblems = "{src}"\n[endpoint]\nbase_url = "{server.base_url}"\n'
                   f'model = "scripted-model"\nbackoff_s = 0.01\n[cache]\ndir = "{tmp_path / "cache"}"\n'
                   '[solutions]\nn = 1\nlanguage = "rust"\n[repair]\nrounds = 1\n'
                   '[curate]\nmutation = false\ndecontam = false\n[execution]\ntimeout_s = 5\nworkers = 1\n')
    res = run_cli("synth", str(rec), "--out", str(tmp_path / "out"), "--json")
    assert res.returncode == 0, res.stderr
    s = _json.loads(res.stdout)
    assert s["stages"]["solutions"]["passed"] == 2 and s["stages"]["repair"]["fixed"] == 1
    st = read_run(tmp_path / "out" / "run")
    assert {c.language for c in st.candidates.values()} == {"rust"}
    assert {r.language for r in st.dataset.values()} == {"rust"} and len(st.dataset) == 3
    # a recipe that would write Python-test problems for a Rust solver is refused before any request
    rec.write_text(rec.read_text() + "[problems]\nn = 2\n")
    before = len(server.requests)
    bad = run_cli("synth", str(rec), "--out", str(tmp_path / "out2"))
    assert bad.returncode == 2 and "problems.n = 0" in bad.stderr and len(server.requests) == before


def test_tests_for_a_data_form_problem_are_judged_by_the_go_reference(server, tmp_path, lang_pool):
    from codesynth.pipeline.generate import generate_tests

    gcd = ML["multilang/011-gcd"]
    server.responder = lambda body: (
        "```python\n"
        "assert gcd(48, 36) == 12\n"        # right: kept
        "assert gcd(7, 0) == 7\n"           # right: kept
        "assert gcd(9, 6) == 2\n"           # wrong expectation: the Go reference says 3
        "assert gcd(12, 18) == 6\n"         # already one of the problem's tests
        'assert gcd("12", 18) == 6\n'       # a string for an int parameter
        "assert gcd(10, 4) > 0\n"           # not an equality on data
        "```")
    out = tmp_path / "t"
    rep = generate_tests([gcd, ML["multilang/101-sum-ints"]], client(server, tmp_path), out, n=1, config=CFG,
                         backend=lang_pool, language="go")
    assert "Write the Go function `gcd`" in last_user(server.requests[0])
    fates = {t["code"]: (t["kept"], t["reason"]) for t in map(__import__("json").loads,
                                                             (out / "tests.jsonl").read_text().splitlines())}
    assert fates == {
        "assert gcd(48, 36) == 12": (True, None), "assert gcd(7, 0) == 7": (True, None),
        "assert gcd(9, 6) == 2": (False, "wrong_expectation"), "assert gcd(12, 18) == 6": (False, "already_in_problem"),
        'assert gcd("12", 18) == 6': (False, "wrong_types"), "assert gcd(10, 4) > 0": (False, "not_data"),
    }
    new = {p.id: p for p in load_problems(out / "problems.jsonl")}
    assert new["multilang/011-gcd"].tests == gcd.tests  # generated tests are private
    added = [(c.call, c.expect) for c in new["multilang/011-gcd"].private_tests]
    assert added == [([48, 36], 12), ([7, 0], 7)]
    assert new["multilang/101-sum-ints"] == ML["multilang/101-sum-ints"]  # stdin/stdout: passed through
    assert rep.counts["tests_kept"] == 2 and rep.counts["problems_augmented"] == 1


RUST_PROPOSALS = {
    0: ("Problem: Write `clamp_sum` that adds the integers of xs and clamps the sum to the range [lo, hi].\n\n"
        "Signature: def clamp_sum(xs: list[int], lo: int, hi: int) -> int\n\n"
        "```rust\nfn clamp_sum(xs: Vec<i64>, lo: i64, hi: i64) -> i64 {\n    let s: i64 = xs.iter().sum();\n"
        "    s.max(lo).min(hi)\n}\n```\n\n"
        "```python\nassert clamp_sum([1, 2, 3], 0, 10) == 6\nassert clamp_sum([5, 5], 0, 7) == 7\n"
        "assert clamp_sum([-9], -3, 3) == -3\nassert clamp_sum([1, 2, 3], 0, 10) == 6\n"
        "assert clamp_sum([1], 0) == 1\n```"),  # a repeat, and a call with too few arguments
    1: ("Problem: Count the vowels of s.\n\nSignature: def vowels(s: str) -> int\n\n"
        "```rust\nfn vowels(s: String) -> i64 {\n    s.chars().filter(|c| \"aeiou\".contains(*c)).count() as i64 + 1\n}\n```"
        "\n\n```python\nassert vowels(\"abc\") == 1\nassert vowels(\"xyz\") == 0\n```"),  # off by one: fails
    2: ("Problem: Return 0.\n\nSignature: def zero(n: int) -> int\n\n```rust\nfn zero(n: i64) -> i64 { 0 }\n```\n\n"
        "```python\nassert zero(1) == 0\nassert zero(2) == 0\n```"),  # a stub passes these
    3: "Problem: something.\n\n```rust\nfn f() {}\n```",  # no signature
}


def test_problems_in_rust_are_data_form_and_their_reference_must_pass(server, tmp_path, lang_pool):
    from codesynth.pipeline.generate import generate_problems

    server.responder = lambda body: RUST_PROPOSALS[body["seed"]]
    out = tmp_path / "new"
    rep = generate_problems([ML["multilang/001-add"], ML["multilang/011-gcd"]], client(server, tmp_path), out, n=4,
                            k_seeds=1, config=CFG, backend=lang_pool, language="rust", threshold=1.0)
    asks = server.requests[0]["messages"]
    assert "Rust teacher" in asks[0]["content"] and "```rust" in asks[1]["content"]
    assert "Signature: def <function>" in asks[1]["content"]
    recs = {r["index"]: r for r in map(__import__("json").loads, (out / "proposals.jsonl").read_text().splitlines())}
    assert [recs[i]["accepted"] for i in range(4)] == [True, False, False, False]
    assert recs[1]["reason"] == "solution_fails_tests:failed" and recs[2]["reason"] == "trivial_tests"
    assert recs[3]["reason"] == "no_signature"
    assert recs[0]["dropped_tests"] == {"duplicate": 1, "wrong_types": 1} and rep.counts["accepted"] == 1
    (p,) = load_problems(out / "problems.jsonl")
    assert (p.language, p.kind, p.signature.name) == ("rust", "calls", "clamp_sum")
    assert [(c.call, c.expect) for c in p.tests] == [([[1, 2, 3], 0, 10], 6), ([[5, 5], 0, 7], 7), ([[-9], -3, 3], -3)]
    assert "fn clamp_sum" in p.reference_solution


def test_cli_translate_writes_candidates_with_their_origin(server, tmp_path):
    src = tmp_path / "set.jsonl"
    src.write_text(ML["multilang/011-gcd"].model_dump_json() + "\n")
    server.responder = lambda body: f"```rust\n{asked(body)[0].reference_solutions['rust']}```"
    r = run_cli("generate", "translate", str(src), "--source-language", "java", "--language", "rust",
                "--base-url", server.base_url, "--model", "scripted-model", "--out", str(tmp_path / "o"),
                "--no-cache", "--json", timeout=120)
    assert r.returncode == 0, r.stderr
    rep = __import__("json").loads(r.stdout)
    assert rep["mode"] == "translate" and rep["counts"]["new"] == 1
    (c,) = read_models(tmp_path / "o" / "candidates.jsonl", Candidate)
    assert (c.candidate_id, c.language, c.origin.parent_id) == ("multilang/011-gcd#ref-java~rust0", "rust",
                                                                "multilang/011-gcd#ref-java")


@pytest.mark.parametrize("lang", ["c", "cpp", "java", "javascript", "typescript", "go", "rust", "python"])
def test_every_language_end_to_end_from_a_chatty_reply(server, tmp_path, lang_pool, lang):
    # prompt -> reply with prose around a fenced block tagged the way models tag it -> extraction ->
    # the driver built from the same signature table -> the verdict
    tags = {"c": "c", "cpp": "c++", "java": "java", "javascript": "js", "typescript": "ts", "go": "golang",
            "rust": "rs", "python": "python"}
    probs = [ML[i] for i in ("multilang/002-sum-list", "multilang/013-join-words", "multilang/103-count-words")]

    def answer(body):
        p, asked_lang = asked(body)
        assert asked_lang == lang
        return f"Sure! Here is the solution:\n\n```{tags[lang]}\n{p.references()[lang]}```\n\nIt runs in O(n)."

    server.responder = answer
    out = tmp_path / lang
    rep = generate_solutions(probs, client(server, tmp_path), out, verify=True, config=CFG, backend=lang_pool,
                             language=lang)
    st = read_run(out)
    assert rep.counts["passed"] == 3, {cid: (r.status.value, r.feedback[:300]) for cid, r in st.rewards.items()}
    assert {c.language for c in st.candidates.values()} == {lang}
