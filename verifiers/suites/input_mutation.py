"""New test inputs from the ones a suite already has, by type-aware mutation (EvalPlus's method).

Seeds are the literal argument tuples of the existing tests: `candidate(...)` / `f(...)` calls
in assert code, or the `call` lists of data-form cases. Each new input changes one argument of
one seed, keeping its type, and stays inside what the seeds show about the problem's
preconditions: numbers within the range the seeds use at that position (never crossing into
negatives or zero when no seed does), lists as long as the seeds' or a little longer, made of
elements the seeds use (kept sorted or duplicate-free when every seed is), strings over the
seeds' alphabet (word by word, with the seeds' words, when the seeds are space-separated words)
and keeping the bracket balance every seed has, or the template every seed follows ("5 apples
and 6 oranges"); arguments whose lengths differ by the same amount in every seed (`string_xor(a,
b)`: 0; `do_algebra(operator, operand)`: -1) keep that difference. A number beside other arguments is sometimes set
to a value they hold (an element, the gap between two elements, a length): the boundaries where
`<` and `<=` part, which nudged and drawn numbers almost never hit. An input outside a problem's preconditions makes a wrong test, not a harder
one; the reference's run then drops the inputs it still rejects (it raises or takes too long).
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from codesynth.models import Problem
from codesynth.verifiers.curation.agreement import literal_calls


def seed_inputs(problem: Problem, tests: Any = None) -> list[tuple]:
    """The literal argument tuples the problem's tests call its function with (no duplicates)."""
    tests = problem.tests if tests is None else tests
    if isinstance(tests, str):
        found = literal_calls(tests, {"candidate", problem.entry_point or "candidate"})
    elif tests and hasattr(tests[0], "call"):
        found = [tuple(c.call) for c in tests]
    else:
        return []
    seen: dict[str, tuple] = {}
    for args in found:
        seen.setdefault(repr(args), args)
    return list(seen.values())


@dataclass
class Position:
    """What the seeds show about one argument position: the preconditions mutation keeps."""

    values: list[Any] = field(default_factory=list)

    def numbers(self) -> list[float]:
        return [v for v in self.values if isinstance(v, (int, float)) and not isinstance(v, bool)]

    def elements(self) -> list[Any]:
        return [x for v in self.values if isinstance(v, (list, tuple)) for x in v]

    def strings(self) -> list[str]:
        return [v for v in self.values if isinstance(v, str)]


def _nonneg(nums: Sequence[float]) -> bool:
    return bool(nums) and min(nums) >= 0


def _in_range(v: float, nums: Sequence[float]) -> bool:
    """Within the seeds' range, stretched by one unit (or 10 %) but never across 0 or 1."""
    lo, hi = min(nums), max(nums)
    pad = max(1, (hi - lo) * 0.1)
    if lo >= 1:
        lo_ok = max(1, lo - pad)
    elif lo >= 0:
        lo_ok = 0
    else:
        lo_ok = lo - pad
    return lo_ok <= v <= hi + pad


def _mutate_number(v: Any, pos: Position, rng: random.Random) -> Any:
    nums = pos.numbers() or [v]
    lo, hi = min(nums), max(nums)
    if isinstance(v, int):
        options = [v + 1, v - 1, lo, hi, rng.randint(int(lo), int(hi)) if hi > lo else v, v + rng.randint(2, 5)]
    else:
        options = [v + 0.5, v - 0.5, v * 1.5, lo, hi, rng.uniform(lo, hi), round(v + rng.uniform(-1, 1), 3)]
    ok = [x for x in options if x != v and _in_range(x, nums)]
    return rng.choice(ok) if ok else v


def _mutate_words(v: str, seeds: list[str], rng: random.Random) -> str:
    """Strings of space-separated words change word by word, with the seeds' words: a sentence stays
    a sentence, a group of balanced brackets stays balanced."""
    words = v.split(" ")
    vocab = [w for s in seeds for w in s.split(" ") if w]
    k = rng.randrange(len(words))
    op = rng.randrange(4)
    if op == 0 and len(words) > 1:
        words.pop(k)
    elif op == 1:
        words.insert(k, words[k])
    elif op == 2 and vocab:
        words[k] = rng.choice(vocab)
    else:
        rng.shuffle(words)
    return " ".join(words)


_PAIRS = {")": "(", "]": "[", "}": "{", ">": "<"}


def balanced(s: str, kinds: str) -> bool:
    """The brackets of `kinds` (opening ones) in `s` are properly nested and closed."""
    stack = []
    for ch in s:
        if ch in kinds:
            stack.append(ch)
        elif _PAIRS.get(ch, "") in kinds and ch in _PAIRS:
            if not stack or stack.pop() != _PAIRS[ch]:
                return False
    return not stack


def _bracket_kinds(seeds: list[str]) -> str:
    """The bracket kinds every seed keeps balanced (and some seed uses): a precondition mutation keeps,
    as a problem about 'groups of balanced parentheses' never means an unbalanced one."""
    used = "".join(o for o in "([{<" if any(o in s for s in seeds))
    return "".join(o for o in used if all(balanced(s, o) for s in seeds))


def template(seeds: list[str]) -> list[list[str]] | None:
    """The words each place of a sentence template holds, when every seed is one: the same number
    of space-separated words, the same word at some places ("5 apples and 6 oranges", "0 apples
    and 1 oranges") and others that vary. None when the seeds show no such template."""
    rows = [s.split(" ") for s in seeds]
    if len(rows) < 2 or len({len(r) for r in rows}) != 1 or len(rows[0]) < 2:
        return None
    places = [[r[k] for r in rows] for k in range(len(rows[0]))]
    fixed = [len(set(w)) == 1 for w in places]
    return places if any(fixed) and not all(fixed) else None


def _fill_template(v: str, places: list[list[str]], rng: random.Random) -> str:
    """One varying place of the template changed, to a word the seeds have there (or, where they
    all hold whole numbers, to a number in their range): the fixed words and the shape stay."""
    words = v.split(" ")
    if len(words) != len(places):
        return v
    k = rng.choice([i for i, w in enumerate(places) if len(set(w)) > 1])
    if words[k].isdigit() and all(w.isdigit() for w in places[k]):
        words[k] = str(_mutate_number(int(words[k]), Position([int(w) for w in places[k]]), rng))
    else:
        words[k] = rng.choice(places[k])
    return " ".join(words)


def _mutate_string(v: str, pos: Position, rng: random.Random) -> str:
    seeds = pos.strings() or [v]
    min_len, max_len = min(map(len, seeds)), max(map(len, seeds))
    places = template(seeds)
    if places is not None:
        ops = [_fill_template(v, places, rng) for _ in range(3)]
    elif any(" " in s.strip() for s in seeds):
        ops = [_mutate_words(v, seeds, rng) for _ in range(3)] if v.strip() else []
    else:
        alphabet = sorted({ch for s in seeds for ch in s}) or ["a"]
        ops = []
        if v:
            k = rng.randrange(len(v))
            ops += [v[:k] + v[k + 1:], v[:k] + v[k] + v[k:], v[:k] + rng.choice(alphabet) + v[k + 1:]]
            if len(v) > 1:
                j = rng.randrange(len(v) - 1)
                ops.append(v[:j] + v[j + 1] + v[j] + v[j + 2:])
        ops += [v + rng.choice(alphabet), rng.choice(alphabet) + v, v + rng.choice(seeds)]
    kinds = _bracket_kinds(seeds)
    ok = [s for s in ops if s != v and min_len <= len(s) <= max(max_len * 2, max_len + 2)
          and (not kinds or balanced(s, kinds))]
    return rng.choice(ok) if ok else v


def _shape(seqs: list[Sequence]) -> tuple[bool, bool, int, int]:
    """(all sorted, all duplicate-free, min length, max length) over the seeds of a position."""
    longer = [s for s in seqs if len(s) >= 2]

    def is_sorted(s):
        try:
            return list(s) == sorted(s)
        except TypeError:
            return False

    def distinct(s):
        try:
            return len(set(map(repr, s))) == len(s)
        except TypeError:
            return False

    return (bool(longer) and all(map(is_sorted, longer)), bool(longer) and all(map(distinct, longer)),
            min(map(len, seqs)), max(map(len, seqs)))


#: Values of every basic type: what a position whose seeds mix three or more element types may hold
#: (a `List[Any]`: `True` is an `int` to `isinstance` but not to `type(x) == int`).
ANY_VALUES = (True, False, None, 0, -7, 2.5, "", "3", (), [], {}, (1, 2), [0], {"k": 1})


def _mixed(pool: list[Any]) -> bool:
    return len({type(x) for x in pool}) >= 3


def _mutate_list(v: list | tuple, pos: Position, rng: random.Random) -> list | tuple:
    seqs = [s for s in pos.values if isinstance(s, (list, tuple))] or [v]
    sorted_, distinct, min_len, max_len = _shape(seqs)
    pool = pos.elements() or list(v)
    mixed = _mixed(pool)
    items = list(v)
    choice = rng.randrange(6)
    if choice == 0 and items:
        items.pop(rng.randrange(len(items)))
    elif choice == 1 and items:
        k = rng.randrange(len(items))
        items.insert(k, items[k])
    elif choice == 2 and mixed and rng.random() < 0.5:
        items.insert(rng.randrange(len(items) + 1), copy.deepcopy(rng.choice(ANY_VALUES)))
    elif choice == 2 and pool:
        items.insert(rng.randrange(len(items) + 1), rng.choice(pool))
    elif choice == 3:
        rng.shuffle(items)
    elif choice == 4 and items:
        # one element mutated by its own type, within the range of every element the seeds use
        k = rng.randrange(len(items))
        items[k] = mutate_value(items[k], Position(pool), rng)
    elif pool:
        items = items + rng.sample(pool, min(len(pool), rng.randint(1, 3)))
    if not mixed and (any(type(x) is not type(pool[0]) for x in items) if pool else False):
        return v  # a heterogeneous result is a new type, not a mutation
    if distinct:
        items = list({repr(x): x for x in items}.values())
    if sorted_:
        try:
            items.sort()
        except TypeError:
            return v
    if not (min_len <= len(items) <= max(max_len * 2, max_len + 3)):
        return v
    return tuple(items) if isinstance(v, tuple) else items


def mutate_value(v: Any, pos: Position, rng: random.Random) -> Any:
    """One type-preserving mutation of `v` (itself when none fits the position's preconditions)."""
    if isinstance(v, bool):
        bools = {x for x in pos.values if isinstance(x, bool)}
        return (not v) if len(bools) > 1 else v  # flip only where the seeds use both values
    if isinstance(v, (int, float)):
        return _mutate_number(v, pos, rng)
    if isinstance(v, str):
        return _mutate_string(v, pos, rng)
    if isinstance(v, (list, tuple)):
        return _mutate_list(v, pos, rng)
    return v  # dicts, None, ...: kept as the seeds have them


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def boundary_value(args: tuple, k: int, pos: Position, rng: random.Random) -> Any:
    """A value for the number at `args[k]` taken from the other arguments: one of their numbers, the
    distance between two elements of a list, a length. Off-by-one bugs live where a bound equals the
    data (`<` for `<=` against a threshold equal to a gap, a count equal to a length), and mutation
    by nudging or drawing almost never lands there. Kept only inside the position's range and type."""
    v = args[k]
    found: list[Any] = []
    for j, a in enumerate(args):
        if j == k:
            continue
        if _is_number(a):
            found.append(a)
        elif isinstance(a, (list, tuple, str)):
            found.append(len(a))
            nums = [x for x in a if _is_number(x)] if not isinstance(a, str) else []
            found += nums
            if len(nums) >= 2:
                x, y = rng.sample(nums, 2)
                found.append(abs(x - y))
    nums = pos.numbers() or [v]
    ok = [x for x in found if isinstance(x, type(v)) and x != v and _in_range(x, nums)
          and (not _nonneg(nums) or x >= 0)]
    return rng.choice(ok) if ok else v


def length_relations(seeds: list[tuple]) -> dict[tuple[int, int], int]:
    """Argument positions (i, j) whose strings / lists differ in length by the same amount d in every
    seed: a relation the problem requires ('two strings of the same length', d = 0; 'the operator
    list is one shorter than the operand list', d = -1), which mutation must keep."""
    if len(seeds) < 2:
        return {}
    n = len(seeds[0])
    sized = [i for i in range(n) if all(isinstance(s[i], (str, list, tuple)) for s in seeds)]
    out = {}
    for i in sized:
        for j in sized:
            if i < j and len(d := {len(s[i]) - len(s[j]) for s in seeds}) == 1:
                out[(i, j)] = d.pop()
    return out


def same_length_pairs(seeds: list[tuple]) -> set[tuple[int, int]]:
    """The positions `length_relations` links with no difference."""
    return {pair for pair, d in length_relations(seeds).items() if d == 0}


#: A stated upper bound (or a range) on some value: where the text has one, no number is scaled up.
_UPPER_BOUND = re.compile(r"<=?|\b(?:at most|less th[ae]n|up to|no more than|no larger than|between)\b", re.I)


def scales_up(text: str) -> bool:
    """Whether the problem's text lets integers go past the seeds' largest: no word of it bounds a
    value from above. EvalPlus's large inputs are where programs correct on small ones but
    exponential or brute force time out (`starts_one_ends(10)` by enumeration). Empty strings and
    negative numbers were tried the same way (the text not saying "non-empty" or "positive") and
    dropped: on HumanEval each rejected more correct programs than wrong ones (an empty substring,
    a negative exponent or modulus: preconditions a text implies without saying)."""
    return bool(text) and not _UPPER_BOUND.search(text)


def scaled_inputs(seeds: list[tuple]) -> list[tuple]:
    """Each integer position (every seed an int there, the largest magnitude at least 2) at 10x and
    100x its largest-magnitude value (its sign kept), in the first seed; the reference still judges
    each input (too slow for it: dropped)."""
    out: list[tuple] = []
    for n in sorted({len(s) for s in seeds}):
        group = [s for s in seeds if len(s) == n]
        for k in range(n):
            col = [s[k] for s in group]
            if all(isinstance(v, int) and not isinstance(v, bool) for v in col) and abs(top := max(col, key=abs)) >= 2:
                out += [group[0][:k] + (top * f,) + group[0][k + 1:] for f in (10, 100)]
    known = {repr(s) for s in seeds}
    return list({repr(a): a for a in out if repr(a) not in known}.values())


def mutated_inputs(seeds: list[tuple], limit: int, seed: int | str = 0) -> list[tuple]:
    """Up to `limit` new argument tuples, each one seed with one argument mutated (deterministic)."""
    if not seeds:
        return []
    arity = {len(s) for s in seeds}
    positions = {n: [Position([s[i] for s in seeds if len(s) == n]) for i in range(n)] for n in arity}
    linked = {n: length_relations([s for s in seeds if len(s) == n]) for n in arity}
    rng = random.Random(f"harden:{seed}")
    known = {repr(s) for s in seeds}
    out: list[tuple] = []
    tries = 0
    while len(out) < limit and tries < limit * 20:
        tries += 1
        base = rng.choice(seeds)
        if not base:
            break
        k = rng.randrange(len(base))
        pos = positions[len(base)][k]
        # a number next to other arguments is set equal to something they hold, a quarter of the time
        if _is_number(base[k]) and len(base) > 1 and rng.random() < 0.25:
            new = boundary_value(base, k, pos, rng)
        else:
            new = mutate_value(base[k], pos, rng)
        # a second round on a previous mutant reaches further, still inside the seeds' ranges
        if out and rng.random() < 0.3:
            prev = rng.choice(out)
            if len(prev) == len(base):
                base, new = prev, mutate_value(prev[k], positions[len(prev)][k], rng)
        args = base[:k] + (new,) + base[k + 1:]
        if any(len(args[i]) - len(args[j]) != d for (i, j), d in linked[len(args)].items()):
            continue
        key = repr(args)
        if key not in known:
            known.add(key)
            out.append(args)
    return out
