"""The pure parts of curation: code extraction, normalisation, MinHash, n-gram
containment, mutant generation, radon metrics."""

from __future__ import annotations

import ast

import pytest

from codesynth.extract import program_from_reply
from codesynth.models import DatasetRecord
from codesynth.verifiers.curation.agreement import generate_inputs, probe_tests
from codesynth.verifiers.curation.code import code_tokens, function_signatures, normalize_code
from codesynth.verifiers.curation.complexity import code_metrics
from codesynth.verifiers.curation.decontam import DecontamConfig, decontaminate, load_benchmark
from codesynth.verifiers.curation.dedup import DedupConfig, MinHasher, dedup, jaccard, shingles
from codesynth.verifiers.suites.mutation import mutants


def extract_code(text, entry_point=None, prompt=None):
    # the adapters' view of a reply: no program is the empty solution (judged NoCode)
    return program_from_reply(text, entry_point, prompt) or ""


def test_extract_code():
    text = "Sure!\n```python\ndef helper():\n    pass\n```\nand\n```python\ndef f(x):\n    return x\n```\n"
    assert extract_code(text, "f") == "def f(x):\n    return x\n"
    assert extract_code("```\nprint(1)\n```") == "print(1)\n"
    assert extract_code("Here is how:\ndef f(x):\n    return x\nDone.", "f") == "def f(x):\n    return x\n"
    assert extract_code("plain words, no code\n") == ""  # judged NoCode, not a syntax error
    # a HumanEval-style body is glued to the prompt's signature
    assert extract_code("    return 1\n", "g", "def g():\n") == "def g():\n    return 1\n"
    # an unterminated fence still yields its code
    assert extract_code("```python\ndef f(x):\n    return x\n", "f") == "def f(x):\n    return x\n"


def test_normalize_and_tokens():
    a = 'def f(x):\n    """doc"""\n    # c\n    return x+1\n'
    b = "def f(x):\n\n    return x + 1   # other\n"
    assert normalize_code(a) == normalize_code(b)
    assert code_tokens("def f(a): return a", canonical_names=True) == code_tokens(
        "def g(b): return b", canonical_names=True
    )
    assert code_tokens("len(x)", canonical_names=True)[0] == "len"  # builtins stay
    assert function_signatures("def f(a, *b, c, **d):\n    pass\n") == ["f(a, *b, c, **d)"]


def test_minhash_tracks_jaccard():
    a = shingles("def f(xs):\n    t = 0\n    for x in xs:\n        t += x * x\n    return t\n", 3)
    b = shingles("def f(xs):\n    t = 0\n    for x in xs:\n        t += x * x * x\n    return t\n", 3)
    h = MinHasher(256)
    assert abs(h.minhash(a).jaccard(h.minhash(b)) - jaccard(a, b)) < 0.12
    assert h.minhash(a).jaccard(h.minhash(a)) == 1.0


def _rec(i, pid, code, instr="Do the thing."):
    return DatasetRecord(
        id=f"{pid}::{i}",
        problem_id=pid,
        candidate_id=str(i),
        instruction=instr,
        solution=code,
        tests="assert True",
    )


def test_dedup_scope_and_threshold():
    code = "def f(a, b):\n    s = a + b\n    return s * 2\n"
    recs = [_rec(1, "p", code), _rec(2, "q", code)]
    assert dedup(list(recs), DedupConfig())[1].dropped == 0  # different problems, default scope
    kept, rep = dedup(list(recs), DedupConfig(scope="global"))
    assert [d.reason for d in rep.drops] == ["exact_duplicate"] and len(kept) == 1
    near = _rec(3, "p", "def f(a, b):\n    s = a + b\n    s = s - 0\n    return s * 2\n")
    sim = jaccard(shingles(code, 5), shingles(near.solution, 5))
    assert dedup([recs[0], near], DedupConfig(threshold=sim - 0.01))[1].reasons == {"near_duplicate": 1}
    assert dedup([recs[0], near], DedupConfig(threshold=min(1.0, sim + 0.01)))[1].dropped == 0


def test_decontam_against_any_problem_file(tmp_path):
    bench = tmp_path / "mbpp.jsonl"
    bench.write_text(
        '{"task_id": 7, "text": "Write a function to find the shared elements from the given two lists and '
        'return them sorted", "code": "def similar_elements(a, b):\\n    return tuple(sorted(set(a) & set(b)))", '
        '"test_list": []}\n'
    )
    items = load_benchmark(str(bench))
    assert items[0].id == "7" and items[0].benchmark == "mbpp"
    clean = _rec(
        1, "p", "def f(x):\n    return x\n", "Return the argument unchanged please, nothing else at all."
    )
    dirty = _rec(
        2,
        "q",
        "def g(x):\n    return x\n",
        "Task: write a function to find the shared elements from the given two lists and return them sorted.",
    )
    kept, rep = decontaminate([clean, dirty], DecontamConfig(benchmarks=[str(bench)]))
    assert [r.id for r in kept] == ["p::1"]
    m = rep.drops[0].detail["matches"][0]
    assert m == {
        "field": "instruction",
        "overlap": 1.0,
        "shared_ngrams": m["shared_ngrams"],
        "evidence": m["evidence"],
        "benchmark": "mbpp",
        "item": "7",
    }
    assert len(m["evidence"].split()) == 8 and m["evidence"] in dirty.instruction.lower()
    assert len(load_benchmark("humaneval")) == 164


@pytest.mark.parametrize(
    "op",
    [
        "swap_operator",
        "swap_comparison",
        "swap_boolean",
        "drop_not",
        "off_by_one",
        "constant_change",
        "delete_statement",
    ],
)
def test_mutants_cover_every_operator(op):
    code = (
        "def f(xs, flag):\n"
        '    """Docstrings are never mutated."""\n'
        "    total = 0\n"
        "    for i in range(len(xs)):\n"
        "        if xs[i] > 2 and not flag:\n"
        "            total += xs[i] * 2\n"
        "    name = 'n'\n"
        "    return total, name, 1.5, True\n"
    )
    muts = mutants(code, 200, seed=1)
    by_op = [text for site, text in muts if site.operator == op]
    assert by_op, op
    for text in by_op:
        ast.parse(text)
        assert text != ast.unparse(ast.parse(code))
        assert "Docstrings are never mutated." in text
    assert mutants(code, 5, seed=1) == mutants(code, 5, seed=1)  # deterministic
    assert mutants("def broken(:\n", 5) == []


def test_radon_metrics_and_trivial():
    m = code_metrics("def f(x):\n    if x:\n        return 1\n    return 2\n")
    assert m["cc_max"] == 2 and m["sloc"] == 4 and not m["does_nothing"]
    assert code_metrics("def f(x):\n    pass\n")["does_nothing"]
    assert code_metrics("def f(:\n") is None


def test_probe_inputs_from_tests():
    ins = generate_inputs("def check(candidate):\n    assert candidate(3, [1, 2]) == 0\n", "f", 10)
    assert ins[0] == (3, [1, 2])
    assert (4, [1, 2]) in ins and (3, [2, 1]) in ins
    code = probe_tests(ins)
    ast.parse(code)
    assert code.count("assert not") == len(ins)
