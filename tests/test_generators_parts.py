"""The generators' pure parts: code extraction, proposal parsing, similarity, retrieval, selection, config."""

from __future__ import annotations

import pytest

from codesynth.config import load_config, parse_config
from codesynth.errors import InputError
from codesynth.extract import extract_code, is_trivial_assert, split_asserts
from codesynth.generators.proposals import parse_proposal, to_problem
from codesynth.generators.retrieval import bm25_rank, collect_snippets, pick_snippets
from codesynth.generators.selection import dual_agreement, failure_rates, fewshot_examples, hardest
from codesynth.generators.similarity import NoveltyFilter, lcs_length, rouge_l
from codesynth.ids import root_of
from codesynth.models import Problem, RewardRecord, Status

# --------------------------------------------------------------------------- extraction


def test_fenced_block_is_taken_without_the_chatter():
    reply = "Sure! Here it is:\n```python\ndef add(a, b):\n    return a + b\n```\nThis adds two numbers."
    assert extract_code(reply, "add") == "def add(a, b):\n    return a + b\n"


def test_block_defining_the_entry_point_wins():
    reply = (
        "First an import:\n```python\nimport math\n```\n"
        "```bash\npip install nothing\n```\n"
        "```python\ndef area(r):\n    return math.pi * r * r\n```\n"
        "```python\ndef area(r):\n    return 3.14 * r * r\n```"
    )
    assert extract_code(reply, "area").startswith("def area(r):\n    return math.pi")


def test_parseable_block_preferred_over_broken_one():
    reply = "```python\ndef f(x):\n    return x +\n```\n```python\ndef f(x):\n    return x + 1\n```"
    assert extract_code(reply, "f") == "def f(x):\n    return x + 1\n"


def test_unterminated_fence_cut_by_max_tokens():
    reply = "```python\ndef f(x):\n    return x * 2\n"
    assert extract_code(reply, "f") == "def f(x):\n    return x * 2\n"


def test_bare_code_with_prose_around_it():
    reply = "Here is my solution.\ndef f(x):\n    return x - 1\nIt subtracts one from x, as asked."
    assert extract_code(reply, "f") == "def f(x):\n    return x - 1\n"
    assert extract_code("import sys\nprint(sum(map(int, sys.stdin.read().split())))") is not None


@pytest.mark.parametrize(
    "reply", ["", "   \n", "I cannot help with that.", "Hello", "42", "The answer is yes."]
)
def test_no_usable_code_is_none(reply):
    assert extract_code(reply, "f") is None


def test_split_asserts_keeps_imports_and_lifts_pytest_functions():
    code = (
        "import math\n"
        "def f(x):\n    return x\n"
        "def helper(v):\n    return v\n"
        "assert f(1) == 1\n"
        "def test_more():\n    assert f(2) == 2\n"
        "if __name__ == '__main__':\n    assert f(3) == 3\n"
    )
    pre, tests = split_asserts(code, "f")
    assert "import math" in pre and "def helper" in pre and "return x\n" not in pre
    assert tests == ["assert f(1) == 1", "assert f(2) == 2", "assert f(3) == 3"]
    assert split_asserts("assert f(1 ==", "f") == ("", [])
    humaneval = "def check(candidate):\n    assert candidate(1) == 2\n    x = 3\n    assert candidate(x, 'candidate') is None\n"
    assert split_asserts(humaneval, "f") == ("", ["assert f(1) == 2", "assert f(x, 'candidate') is None"])


@pytest.mark.parametrize(
    ("test", "why"),
    [
        ("assert f(1) == 2", None),
        ("assert f([]) is None", None),
        ("assert True", "no_call"),
        ("assert g(1) == 2", "no_call"),
        ("assert f(1) == f(1)", "tautology"),
        ("assert f(1) == 2 or True", "tautology"),
        ("x = f(1)", "not_an_assert"),
        ("assert f(1 ==", "syntax"),
    ],
)
def test_trivial_asserts(test, why):
    assert is_trivial_assert(test, "f") == why


def test_root_of_repair_ids():
    assert root_of("p/1#s3#r2") == "p/1#s3"
    assert root_of("p/1#s3") == "p/1#s3"
    assert root_of("weird#rx") == "weird#rx"


# --------------------------------------------------------------------------- proposals

GOOD = """**Problem:** Write a function `sum_even(xs)` that returns the sum of the even numbers in `xs`.

Solution:
```python
def sum_even(xs):
    return sum(x for x in xs if x % 2 == 0)
```

Tests:
```python
assert sum_even([1, 2, 3, 4]) == 6
assert sum_even([]) == 0
assert sum_even([]) == 0
assert True
```
"""


def test_proposal_parses_into_a_valid_problem():
    prop = parse_proposal(GOOD, 0)
    assert prop.reason is None and prop.entry_point == "sum_even"
    assert prop.description.startswith("Write a function `sum_even(xs)`")
    assert prop.tests == ["assert sum_even([1, 2, 3, 4]) == 6", "assert sum_even([]) == 0"]
    assert prop.dropped_tests == {"duplicate": 1, "no_call": 1}
    p = to_problem(prop, "synth/0000", "self-instruct", {"seeds": ["a"]})
    assert isinstance(p, Problem) and p.entry_point == "sum_even" and p.kind == "function"
    assert "def sum_even(xs):" in p.prompt and p.reference_solution.startswith("def sum_even")
    Problem.model_validate_json(p.model_dump_json())  # round-trips through our JSONL format


def test_proposal_with_solution_and_asserts_in_one_block():
    reply = "Problem: double it\n```python\ndef dbl(x):\n    return 2 * x\n\nassert dbl(2) == 4\nassert dbl(0) == 0\n```"
    prop = parse_proposal(reply, 1)
    assert prop.reason is None and "assert" not in prop.solution and len(prop.tests) == 2


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("Just prose, no code.", "no_code"),
        ("Problem: x\n```python\nassert f(1) == 1\n```", "no_solution"),
        (
            "Problem: x\n```python\ndef f(a):\n    return a\n```\n```python\nassert f(1) == 1\n```",
            "too_few_tests",
        ),
        (
            "```python\ndef f(a):\n    return a\n```\n```python\nassert f(1) == 1\nassert f(2) == 2\n```",
            "no_description",
        ),
    ],
)
def test_unusable_proposals_say_why(reply, reason):
    prop = parse_proposal(reply, 0)
    assert prop.reason == reason
    assert to_problem(prop, "x", "s", {}) is None


# --------------------------------------------------------------------------- similarity


def test_rouge_l_values():
    assert lcs_length("a b c d".split(), "a c d e".split()) == 3
    assert rouge_l("the cat sat on the mat", "the cat sat on the mat") == pytest.approx(1.0)
    assert rouge_l("alpha beta", "gamma delta") == 0.0
    assert rouge_l("", "anything") == 0.0
    # LCS 3 of 4 and 3 of 5 tokens: P=3/5, R=3/4, F=2PR/(P+R)
    assert rouge_l("a b c d", "a x b c y") == pytest.approx(2 * 0.6 * 0.75 / 1.35)


def test_novelty_filter_rejects_near_duplicates_of_seeds_and_of_accepted():
    nf = NoveltyFilter(0.7, existing=["Write a function that reverses the words of a sentence."])
    ok, score, _ = nf.accept("Write a function that reverses the words in a sentence.", "new1")
    assert not ok and score > 0.7
    assert nf.accept("Compute the greatest common divisor of a list of integers.", "new2")[0]
    ok, _, who = nf.accept("Compute the greatest common divisor of a list of positive integers.", "new3")
    assert not ok and who == "new2"


# --------------------------------------------------------------------------- retrieval


def test_snippets_keep_exact_provenance(tmp_path):
    src = "import os\n\n\ndef walk_tree(root):\n    out = []\n    for d, _, files in os.walk(root):\n        out += files\n    return out\n\n\nclass Cache:\n    def __init__(self):\n        self.data = {}\n\n    def get(self, k):\n        return self.data.get(k)\n"
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "util.py").write_text(src)
    (tmp_path / "notes.md").write_text(
        "# Sorting\n\nMerge sort splits the list.\nThen merges halves.\nStable and O(n log n).\n"
    )
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.py").write_text("def secret():\n    a = 1\n    return a\n")
    (tmp_path / "blob.bin").write_bytes(b"\0\1\2")
    snips = collect_snippets(tmp_path)
    assert {(s.file, s.start_line, s.end_line) for s in snips} == {
        ("notes.md", 1, 5),
        ("pkg/util.py", 4, 8),
        ("pkg/util.py", 11, 16),
    }
    lines = src.splitlines()
    for s in snips:
        if s.file == "pkg/util.py":
            assert s.text == "\n".join(lines[s.start_line - 1 : s.end_line])
    top = bm25_rank(snips, "merge sort halves")[0][1]
    assert top.file == "notes.md"
    assert [s.file for s in pick_snippets(snips, 2, query="os walk files root")] == ["pkg/util.py"] * 2
    assert pick_snippets(snips, 5, seed=1) == pick_snippets(snips, 5, seed=1)
    with pytest.raises(InputError, match="no such"):
        collect_snippets(tmp_path / "missing")


# --------------------------------------------------------------------------- selection


def test_codet_dual_agreement_picks_largest_consensus():
    passes = {
        "s1": {"t1", "t2", "t3"},
        "s2": {"t1", "t2", "t3"},
        "s3": {"t1", "t4"},
        "s4": set(),
    }
    kept, sols, score = dual_agreement(passes, ["t1", "t2", "t3", "t4"])
    assert kept == {"t1", "t2", "t3"} and sols == {"s1", "s2"} and score == 6
    assert dual_agreement({"s1": set(), "s2": set()}, ["t1"]) == (set(), set(), 0)


def _reward(pid: str, passed: bool, status: Status | None = None) -> RewardRecord:
    st = status or (Status.passed if passed else Status.failed)
    return RewardRecord(
        problem_id=pid, candidate_id=f"{pid}-{id(st)}", reward=float(passed), passed=passed, status=st
    )


def test_hardest_problems_from_reward_log():
    log = [_reward("a", False)] * 4 + [_reward("b", True), _reward("b", False)] + [_reward("c", True)] * 2
    log += [_reward("c", False, Status.sandbox_error)] * 5  # infrastructure, not the model
    rates = failure_rates(log)
    assert rates == {"a": (1.0, 4), "b": (0.5, 2), "c": (0.0, 2)}
    assert [pid for pid, _, _ in hardest(rates, 5)] == ["a", "b"]
    assert [pid for pid, _, _ in hardest(rates, 1)] == ["a"]


def test_fewshot_draw_is_reproducible_and_excludes_the_problem():
    pool = [Problem(id=f"p{i}", prompt="x", tests="assert 1", reference_solution="y = 1") for i in range(6)]
    a = fewshot_examples(pool, 2, pool[0], seed=0)
    assert a == fewshot_examples(pool, 2, pool[0], seed=0) and len(a) == 2
    assert pool[0] not in a
    assert fewshot_examples(pool, 10, pool[0], seed=0).__len__() == 5


# --------------------------------------------------------------------------- config


def test_config_lookup_order_and_errors(tmp_path, monkeypatch):
    monkeypatch.delenv("CODESYNTH_CONFIG", raising=False)
    monkeypatch.delenv("CODESYNTH_BASE_URL", raising=False)
    monkeypatch.delenv("CODESYNTH_MODEL", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    assert load_config().endpoint.base_url is None  # nothing anywhere: local model
    home_cfg = tmp_path / "home" / ".config" / "codesynth" / "config.toml"
    home_cfg.parent.mkdir(parents=True)
    home_cfg.write_text('[endpoint]\nbase_url = "http://home/v1"\n')
    assert load_config().endpoint.base_url == "http://home/v1"
    (tmp_path / "codesynth.toml").write_text(
        '[endpoint]\nbase_url = "http://cwd/v1"\nmodel = "m"\n[sampling]\nmax_tokens = 99\n'
    )
    cfg = load_config()
    assert (cfg.endpoint.base_url, cfg.sampling.max_tokens) == ("http://cwd/v1", 99)
    other = tmp_path / "other.toml"
    other.write_text('[endpoint]\nbase_url = "http://env/v1"\n')
    monkeypatch.setenv("CODESYNTH_CONFIG", str(other))
    assert load_config().endpoint.base_url == "http://env/v1"
    assert load_config(home_cfg).endpoint.base_url == "http://home/v1"  # --config beats everything
    monkeypatch.setenv("CODESYNTH_MODEL", "override")
    assert load_config().endpoint.model == "override"
    with pytest.raises(InputError, match="missing.toml: config file not found"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[endpoint]\nbase_ulr = 'x'\n")
    with pytest.raises(InputError, match=r"bad.toml: field 'endpoint.base_ulr': unknown field"):
        parse_config(bad)
    bad.write_text("[endpoint\n")
    with pytest.raises(InputError, match="bad.toml: invalid TOML"):
        parse_config(bad)


def test_body_only_reply_is_completed_from_a_signature_prompt():
    from codesynth.generators.client import Completion
    from codesynth.generators.solutions import make_candidate

    p = Problem(
        id="he", prompt='def inc(x):\n    """Add one."""\n', entry_point="inc", tests="assert inc(1) == 2"
    )
    body = make_candidate(p, Completion(text="```python\n    return x + 1\n```"), "he#s0", model="m", sample_index=0,
                          mode="solutions")  # fmt: skip
    assert body.solution == 'def inc(x):\n    """Add one."""\n    return x + 1\n'
    full = make_candidate(p, Completion(text="```python\ndef inc(x):\n    return x + 2\n```"), "he#s1", model="m",
                          sample_index=1, mode="solutions")  # fmt: skip
    assert full.solution == "def inc(x):\n    return x + 2\n"
    none = make_candidate(p, Completion(text="no idea"), "he#s2", model="m", sample_index=2, mode="solutions")
    assert none.solution == "" and none.origin.extra["no_code"] is True
