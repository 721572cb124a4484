"""What the decontamination and near-duplicate corpora are made of (tests/corpus_contamination.py,
tests/corpus_dedup.py): HumanEval solutions written independently, honest look-alike problems
(same topics, different tasks; MBPP's stock phrasing), the rewording of a description, and
consistent renaming. The 20-item MBPP-format file (tests/data/mbpp_lookalike.jsonl) holds items
in MBPP's layout and stock phrasing, most of them MBPP problems as recalled for these tests
(MBPP is CC-BY-4.0, Austin et al. 2021; no package ships MBPP itself).
"""

from __future__ import annotations

import ast
import random
import re
from pathlib import Path

DATA = Path(__file__).parent / "data"
MBPP_LOOKALIKE = DATA / "mbpp_lookalike.jsonl"

#: HumanEval id -> a solution written independently of the canonical one (other algorithm/shape)
INDEPENDENT = {
    "HumanEval/0": "def f(nums, limit):\n    s = sorted(nums)\n    return any(b - a < limit for a, b in zip(s, s[1:]))\n",
    "HumanEval/3": "def f(ops):\n    from itertools import accumulate\n    return any(x < 0 for x in accumulate(ops))\n",
    "HumanEval/4": "def f(xs):\n    import statistics\n    m = statistics.fmean(xs)\n    return statistics.fmean(abs(v - m) for v in xs)\n",
    "HumanEval/7": "def f(items, part):\n    out = []\n    for it in items:\n        if it.find(part) >= 0:\n            out.append(it)\n    return out\n",
    "HumanEval/8": "def f(xs):\n    import math\n    return (sum(xs), math.prod(xs))\n",
    "HumanEval/9": "def f(xs):\n    from itertools import accumulate\n    return list(accumulate(xs, max))\n",
    "HumanEval/12": "def f(words):\n    if not words:\n        return None\n    return max(words, key=len)\n",
    "HumanEval/13": "def f(x, y):\n    import math\n    return math.gcd(x, y)\n",
    "HumanEval/15": "def f(k):\n    return ' '.join(map(str, range(k + 1)))\n",
    "HumanEval/16": "def f(text):\n    return len({c for c in text.casefold()})\n",
    "HumanEval/22": "def f(things):\n    return [t for t in things if type(t) is int]\n",
    "HumanEval/23": "def f(s):\n    n = 0\n    for _ in s:\n        n += 1\n    return n\n",
    "HumanEval/24": "def f(n):\n    d = n - 1\n    while n % d:\n        d -= 1\n    return d\n",
    "HumanEval/26": "def f(xs):\n    from collections import Counter\n    c = Counter(xs)\n    return [x for x in xs if c[x] == 1]\n",
    "HumanEval/27": "def f(s):\n    return ''.join(ch.lower() if ch.isupper() else ch.upper() for ch in s)\n",
    "HumanEval/29": "def f(items, head):\n    return list(filter(lambda s: s[:len(head)] == head, items))\n",
    # (a loop that appends x > 0 would be the canonical comprehension written as a loop: a copy)
    "HumanEval/30": "def f(xs):\n    return list(filter(lambda v: v > 0, xs))\n",
    "HumanEval/31": "def f(n):\n    if n < 2:\n        return False\n    i = 2\n    while i * i <= n:\n        if n % i == 0:\n            return False\n        i += 1\n    return True\n",
    "HumanEval/34": "def f(xs):\n    return sorted(dict.fromkeys(xs))\n",
    "HumanEval/35": "def f(xs):\n    best = xs[0]\n    for x in xs[1:]:\n        best = x if x > best else best\n    return best\n",
}

#: honest problems on the same topics as benchmark items (different tasks): (description, solution, tests)
HONEST = [
    ("Return True if the list of numbers is strictly increasing, False otherwise.",
     "def f(xs):\n    return all(a < b for a, b in zip(xs, xs[1:]))\n",
     "assert f([1, 2, 5]) is True\nassert f([3, 3]) is False\nassert f([]) is True\nassert f([9, 1]) is False\n"),
    ("Given a list of numbers, return the running minimum: element i is the smallest of the first i+1 numbers.",
     "def f(xs):\n    out, cur = [], None\n    for x in xs:\n        cur = x if cur is None or x < cur else cur\n        out.append(cur)\n    return out\n",
     "assert f([3, 1, 2]) == [3, 1, 1]\nassert f([5, 6, 4, 7]) == [5, 5, 4, 4]\nassert f([2]) == [2]\n"),
    ("Return every suffix of the string, from the longest to the shortest.",
     "def f(s):\n    return [s[i:] for i in range(len(s))]\n",
     "assert f('abc') == ['abc', 'bc', 'c']\nassert f('xy') == ['xy', 'y']\nassert f('q') == ['q']\n"),
    ("Count how many words of a sentence start with a capital letter.",
     "def f(text):\n    return sum(1 for w in text.split() if w[:1].isupper())\n",
     "assert f('Hello big World') == 2\nassert f('no caps here') == 0\nassert f('A B c') == 2\n"),
    ("Return the product of the digits of a positive integer.",
     "def f(n):\n    p = 1\n    for ch in str(n):\n        p *= int(ch)\n    return p\n",
     "assert f(234) == 24\nassert f(105) == 0\nassert f(7) == 7\n"),
    ("Return the list of strings that end with the given suffix, in their original order.",
     "def f(items, tail):\n    return [s for s in items if s.endswith(tail)]\n",
     "assert f(['ab', 'cb', 'ca'], 'b') == ['ab', 'cb']\nassert f(['x'], 'y') == []\nassert f(['aa', 'ba'], 'a') == ['aa', 'ba']\n"),
    ("Given a list of deposits and withdrawals, return the final balance of an account that starts at 100.",
     "def f(ops):\n    return 100 + sum(ops)\n",
     "assert f([10, -20]) == 90\nassert f([]) == 100\nassert f([-100, 5]) == 5\n"),
    ("Return the least common multiple of two positive integers.",
     "def f(a, b):\n    x, y = a, b\n    while y:\n        x, y = y, x % y\n    return a * b // x\n",
     "assert f(4, 6) == 12\nassert f(7, 3) == 21\nassert f(5, 5) == 5\n"),
    ("Return the number of vowels in the string that are upper case.",
     "def f(s):\n    return sum(ch in 'AEIOU' for ch in s)\n",
     "assert f('AbEcI') == 3\nassert f('abc') == 0\nassert f('UUx') == 2\n"),
    ("Return the second largest distinct value of a list, or None if there is none.",
     "def f(xs):\n    s = sorted(set(xs))\n    return s[-2] if len(s) > 1 else None\n",
     "assert f([1, 3, 2]) == 2\nassert f([5, 5]) is None\nassert f([9, 1, 9, 4]) == 4\n"),
    ("Return the string with every run of repeated characters collapsed to one character.",
     "def f(s):\n    out = []\n    for ch in s:\n        if not out or out[-1] != ch:\n            out.append(ch)\n    return ''.join(out)\n",
     "assert f('aabccc') == 'abc'\nassert f('') == ''\nassert f('abab') == 'abab'\n"),
    ("Return the mean of the absolute values of a list of numbers.",
     "def f(xs):\n    return sum(abs(x) for x in xs) / len(xs)\n",
     "assert f([-2, 2]) == 2.0\nassert f([1, -3, 5]) == 3.0\nassert f([0.5]) == 0.5\n"),
    ("Return True if the integer is a perfect square, False otherwise.",
     "def f(n):\n    if n < 0:\n        return False\n    r = int(n ** 0.5)\n    return r * r == n or (r + 1) * (r + 1) == n\n",
     "assert f(16) is True\nassert f(15) is False\nassert f(0) is True\nassert f(-4) is False\n"),
    ("Return the keys of a dictionary whose values are negative, sorted.",
     "def f(d):\n    return sorted(k for k, v in d.items() if v < 0)\n",
     "assert f({'a': -1, 'b': 2, 'c': -5}) == ['a', 'c']\nassert f({}) == []\nassert f({'x': 0}) == []\n"),
    ("Return the index of the first negative number in the list, or -1 if none is negative.",
     "def f(xs):\n    for i, x in enumerate(xs):\n        if x < 0:\n            return i\n    return -1\n",
     "assert f([1, -2, -3]) == 1\nassert f([4, 5]) == -1\nassert f([-1]) == 0\n"),
    ("Return the string reversed word by word, keeping each word's letters in order.",
     "def f(s):\n    return ' '.join(s.split()[::-1])\n",
     "assert f('a b c') == 'c b a'\nassert f('hello') == 'hello'\nassert f('one two') == 'two one'\n"),
    ("Return how many numbers in the list are divisible by both 3 and 5.",
     "def f(xs):\n    return len([x for x in xs if x % 15 == 0])\n",
     "assert f([15, 30, 5, 3]) == 2\nassert f([]) == 0\nassert f([45, 1]) == 1\n"),
    ("Return the list with its first and last elements swapped.",
     "def f(xs):\n    if len(xs) < 2:\n        return list(xs)\n    return [xs[-1], *xs[1:-1], xs[0]]\n",
     "assert f([1, 2, 3]) == [3, 2, 1]\nassert f([7]) == [7]\nassert f([4, 5]) == [5, 4]\n"),
    ("Return the number of distinct words in a sentence, ignoring case.",
     "def f(s):\n    return len({w.lower() for w in s.split()})\n",
     "assert f('The cat the DOG') == 3\nassert f('') == 0\nassert f('a A a') == 1\n"),
    ("Return the sum of the cubes of the even numbers in the list.",
     "def f(xs):\n    return sum(x ** 3 for x in xs if x % 2 == 0)\n",
     "assert f([1, 2, 3]) == 8\nassert f([1, 3]) == 0\nassert f([-2, 4]) == 56\n"),
]

#: honest problems written in MBPP's stock phrasing ("Write a function to find the ...")
BOILERPLATE = [
    ("Write a function to find the shared characters of two given strings and return them sorted.",
     "def f(a, b):\n    return sorted(set(a) & set(b))\n", "assert f('abc', 'cbx') == ['b', 'c']\nassert f('x', 'y') == []\nassert f('aa', 'a') == ['a']\n"),
    ("Write a function to find the maximum difference between any two elements of the given list.",
     "def f(xs):\n    return max(xs) - min(xs)\n", "assert f([1, 9, 3]) == 8\nassert f([4]) == 0\nassert f([-2, 2]) == 4\n"),
    ("Write a function to find the number of ways to climb n stairs taking 1 or 3 steps at a time.",
     "def f(n):\n    w = [1, 1, 1]\n    for i in range(3, n + 1):\n        w.append(w[-1] + w[-3])\n    return w[n]\n", "assert f(3) == 2\nassert f(4) == 3\nassert f(0) == 1\n"),
    ("Write a function to check whether the given string is a valid hexadecimal number.",
     "def f(s):\n    return bool(s) and all(c in '0123456789abcdefABCDEF' for c in s)\n", "assert f('1aF') is True\nassert f('xyz') is False\nassert f('') is False\n"),
    ("Write a function to find the sum of the given list of tuples element by element.",
     "def f(ts):\n    return tuple(map(sum, zip(*ts)))\n", "assert f([(1, 2), (3, 4)]) == (4, 6)\nassert f([(5,)]) == (5,)\nassert f([(1, 1), (1, 1), (1, 1)]) == (3, 3)\n"),
    ("Write a function to remove all the digits from the given string.",
     "def f(s):\n    return ''.join(c for c in s if not c.isdigit())\n", "assert f('a1b2') == 'ab'\nassert f('123') == ''\nassert f('xyz') == 'xyz'\n"),
    ("Write a function to find the length of the longest word in the given sentence.",
     "def f(s):\n    return max((len(w) for w in s.split()), default=0)\n", "assert f('a bb ccc') == 3\nassert f('') == 0\nassert f('hello') == 5\n"),
    ("Write a function to check whether all the elements of the given list are the same.",
     "def f(xs):\n    return len(set(xs)) <= 1\n", "assert f([1, 1, 1]) is True\nassert f([1, 2]) is False\nassert f([]) is True\n"),
    ("Write a python function to find the smallest missing positive integer of the given list.",
     "def f(xs):\n    s, i = set(xs), 1\n    while i in s:\n        i += 1\n    return i\n", "assert f([1, 2, 4]) == 3\nassert f([]) == 1\nassert f([2, 3]) == 1\n"),
    ("Write a function to find the average of the even numbers of the given list.",
     "def f(xs):\n    ev = [x for x in xs if x % 2 == 0]\n    return sum(ev) / len(ev) if ev else 0\n", "assert f([2, 4, 5]) == 3.0\nassert f([1]) == 0\nassert f([6]) == 6.0\n"),
]

_SYNONYMS = [("Return", "Give back"), ("return", "produce"), ("list", "sequence"), ("Given", "Taking"),
             ("given", "provided"), ("number", "value"), ("numbers", "values"), ("string", "text"),
             ("strings", "texts"), ("whether", "if"), ("function", "routine"), ("Write", "Implement"),
             ("find", "compute"), ("input", "argument"), ("element", "item"), ("elements", "items"),
             ("integer", "whole number"), ("integers", "whole numbers"), ("only", "just"), ("Check", "Determine"),
             ("check", "determine"), ("contains", "includes"), ("each", "every"), ("all", "every one of the")]


def reword(text: str, rng: random.Random) -> str:
    """Reorder the sentences, swap words for synonyms, drop the examples: what a paraphrase does."""
    text = re.sub(r"\s+", " ", text).strip()
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
    rng.shuffle(sentences)
    out = " ".join(sentences)
    for a, b in _SYNONYMS:
        if rng.random() < 0.8:
            out = re.sub(rf"\b{a}\b", b, out)
    return out


class _Rename(ast.NodeTransformer):
    def __init__(self, mapping: dict[str, str]):
        self.m = mapping

    def visit_Name(self, n):
        n.id = self.m.get(n.id, n.id)
        return n

    def visit_arg(self, n):
        n.arg = self.m.get(n.arg, n.arg)
        return n

    def visit_FunctionDef(self, n):
        n.name = self.m.get(n.name, n.name)
        return self.generic_visit(n)


def bound_names(code: str) -> list[str]:
    tree = ast.parse(code)
    names = []
    for n in ast.walk(tree):
        got = (n.id if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load) else
               n.arg if isinstance(n, ast.arg) else n.name if isinstance(n, ast.FunctionDef) else None)
        if got and got not in names:
            names.append(got)
    return names


def rename(code: str, mapping: dict[str, str]) -> str:
    return ast.unparse(_Rename(mapping).visit(ast.parse(code)))


def _fresh(rng: random.Random, avoid: set[str], n: int) -> list[str]:
    pool = ["total", "acc", "result", "items", "vals", "seq", "cur", "idx", "tmp", "buf", "data", "arr", "elem",
            "num", "count", "key", "out", "best", "left", "right", "node", "part", "word", "chunk"]
    pool = [p for p in pool if p not in avoid]
    rng.shuffle(pool)
    return pool[:n] + [f"var_{i}" for i in range(max(0, n - len(pool)))]


class _TooSlow(Exception):
    pass


def _too_slow(*_):
    raise _TooSlow


def _literal(v) -> bool:
    try:
        ast.literal_eval(repr(v))
        return True
    except (ValueError, SyntaxError):
        return False
