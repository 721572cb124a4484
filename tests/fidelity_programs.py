"""Honest programs over the idioms that must cross the sandbox boundary faithfully, each
with wrong variants (a small edit of the solution). Stdlib only: the runner image has no
numpy. The expected verdict of every program is computed by running it in one interpreter
(tests/test_fidelity.py); nothing here says what it should be."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass


@dataclass(frozen=True)
class Prog:
    name: str
    solution: str
    tests: str
    entry_point: str | None = None


PROGRAMS: list[Prog] = []


def P(name: str, solution: str, tests: str, entry: str | None = None, wrong: tuple = ()) -> None:
    """An honest program plus one wrong variant per (old, new) edit of its solution."""
    sol, tst = textwrap.dedent(solution).lstrip("\n"), textwrap.dedent(tests).lstrip("\n")
    PROGRAMS.append(Prog(name, sol, tst, entry))
    for i, (old, new) in enumerate(wrong):
        assert old in sol, (name, old)
        PROGRAMS.append(Prog(f"{name}~wrong{i}", sol.replace(old, new, 1), tst, entry))


# --------------------------------------------------------------------------- collections

P("counter", """
    from collections import Counter
    def count(s):
        return Counter(s)
""", """
    from collections import Counter
    assert count('abca') == Counter({'a': 2, 'b': 1, 'c': 1})
    assert count('abca')['a'] == 2
    assert count('')['z'] == 0
    assert isinstance(count('x'), Counter) and isinstance(count('x'), dict)
    assert count('aab').most_common(1) == [('a', 2)]
""", wrong=[("Counter(s)", "dict(Counter(s))"), ("Counter(s)", "Counter(s.upper())")])

P("mbpp40_counter_of_lists", """
    from collections import Counter
    from itertools import chain
    def freq_element(nums):
        return Counter(chain.from_iterable(nums))
""", """
    assert freq_element([[1, 2, 3, 2], [4, 5, 6, 2], [7, 1, 9, 5]]) == ({2: 3, 1: 2, 5: 2, 3: 1, 4: 1, 6: 1, 7: 1, 9: 1})
    assert freq_element([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]) == ({1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1, 8: 1, 9: 1, 10: 1, 11: 1, 12: 1})
""", wrong=[("chain.from_iterable(nums)", "nums[0]")])

P("counter_arith", """
    from collections import Counter
    def diff(a, b):
        return Counter(a) - Counter(b)
""", """
    def check(candidate):
        r = candidate('aabbc', 'abc')
        assert r == {'a': 1, 'b': 1}
        assert r + r == {'a': 2, 'b': 2}
        assert sorted(r.elements()) == ['a', 'b']
""", "diff", wrong=[("Counter(a) - Counter(b)", "Counter(a)")])

P("list_of_counters", """
    from collections import Counter
    def per_word(words):
        return [Counter(w) for w in words]
""", """
    def check(candidate):
        got = candidate(['ab', 'aa'])
        assert got == [{'a': 1, 'b': 1}, {'a': 2}]
        assert got[1].most_common(1)[0] == ('a', 2)
""", "per_word", wrong=[("[Counter(w) for w in words]", "[Counter(w) for w in reversed(words)]")])

P("defaultdict_list", """
    from collections import defaultdict
    def group(words):
        d = defaultdict(list)
        for w in words:
            d[len(w)].append(w)
        return d
""", """
    from collections import defaultdict
    def check(candidate):
        g = candidate(['a', 'bb', 'c'])
        assert g == {1: ['a', 'c'], 2: ['bb']}
        assert isinstance(g, defaultdict)
        assert g[7] == []
        assert 7 in g
""", "group", wrong=[("d[len(w)].append(w)", "d[len(w)] = [w]"), ("defaultdict(list)", "defaultdict(tuple)")])

P("defaultdict_int_lambda", """
    from collections import defaultdict
    def tally(xs):
        d = defaultdict(lambda: 0)
        for x in xs:
            d[x] += 1
        return d
""", """
    def check(candidate):
        d = candidate([1, 1, 2])
        assert d[1] == 2 and d[2] == 1
        assert d[3] == 0
        assert len(d) == 3
""", "tally", wrong=[("d[x] += 1", "d[x] = 1")])

P("ordereddict", """
    from collections import OrderedDict
    def first_seen(xs):
        d = OrderedDict()
        for x in xs:
            d.setdefault(x, len(d))
        return d
""", """
    from collections import OrderedDict
    def check(candidate):
        d = candidate('cabc')
        assert list(d) == ['c', 'a', 'b']
        assert d == OrderedDict([('c', 0), ('a', 1), ('b', 2)])
        d.move_to_end('c')
        assert list(d.keys()) == ['a', 'b', 'c']
""", "first_seen", wrong=[("d.setdefault(x, len(d))", "d[x] = len(d)")])

P("deque_rotate", """
    from collections import deque
    def rot(xs, k):
        d = deque(xs)
        d.rotate(k)
        return d
""", """
    from collections import deque
    def check(candidate):
        assert candidate([1, 2, 3], 1) == deque([3, 1, 2])
        assert list(candidate([1, 2, 3], -1)) == [2, 3, 1]
        assert candidate([], 3).maxlen is None
""", "rot", wrong=[("d.rotate(k)", "d.rotate(-k)")])

P("deque_maxlen", """
    from collections import deque
    def last(xs, n):
        return deque(xs, maxlen=n)
""", """
    def check(candidate):
        d = candidate(range(10), 3)
        assert list(d) == [7, 8, 9] and d.maxlen == 3
""", "last", wrong=[("maxlen=n", "maxlen=n + 1")])

P("namedtuple", """
    from collections import namedtuple
    Point = namedtuple('Point', 'x y')
    def midpoint(a, b):
        return Point((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
""", """
    def check(candidate):
        m = candidate((0, 0), (2, 4))
        assert m == (1.0, 2.0)
        assert m.x == 1.0 and m.y == 2.0
        assert isinstance(m, tuple)
        assert m._asdict() == {'x': 1.0, 'y': 2.0}
""", "midpoint", wrong=[("(a[1] + b[1]) / 2", "(a[1] + b[1]) // 3")])

P("list_of_namedtuples", """
    from collections import namedtuple
    Rec = namedtuple('Rec', ['name', 'age'])
    def parse(rows):
        return [Rec(n, int(a)) for n, a in rows]
""", """
    def check(candidate):
        rs = candidate([('ann', '3'), ('bob', '5')])
        assert rs == [('ann', 3), ('bob', 5)]
        assert [r.name for r in rs] == ['ann', 'bob']
        assert max(rs, key=lambda r: r.age).name == 'bob'
""", "parse", wrong=[("int(a)", "a")])

P("typing_namedtuple", """
    from typing import NamedTuple
    class Span(NamedTuple):
        start: int
        end: int
    def span(xs):
        return Span(min(xs), max(xs))
""", """
    def check(candidate):
        s = candidate([3, 1, 4])
        assert s == (1, 4) and s.start == 1 and s.end == 4
        a, b = s
        assert b - a == 3
""", "span", wrong=[("Span(min(xs), max(xs))", "Span(max(xs), min(xs))")])

P("namedtuple_used_by_tests", """
    from collections import namedtuple
    Point = namedtuple('Point', 'x y')
    def shift(p, dx):
        return Point(p.x + dx, p.y)
""", """
    assert shift(Point(1, 2), 3) == Point(4, 2)
    assert shift(Point(0, 0), 0).y == 0
""", wrong=[("p.x + dx", "p.x - dx")])

P("intenum", """
    from enum import IntEnum
    class Color(IntEnum):
        RED = 1
        GREEN = 2
    def pick(n):
        return Color(n)
""", """
    def check(candidate):
        assert candidate(1) == 1
        assert candidate(2) == 2
        assert isinstance(candidate(2), int)
        assert candidate(1) + 1 == 2
""", "pick", wrong=[("Color(n)", "Color(3 - n)")])

P("enum_members", """
    from enum import Enum
    class Suit(Enum):
        HEARTS = 'h'
        SPADES = 's'
    def suit_of(card):
        return Suit(card[-1])
""", """
    def check(candidate):
        assert candidate('Ah') == Suit.HEARTS
        assert candidate('Ks') is Suit.SPADES
        assert candidate('2h') != Suit.SPADES
        assert candidate('Ah').value == 'h'
        assert candidate('Ah').name == 'HEARTS'
""", "suit_of", wrong=[("Suit(card[-1])", "Suit(card[0].lower()) if card[0].lower() in 'hs' else Suit.SPADES")])

P("str_subclass", """
    class Name(str):
        def shout(self):
            return self.upper()
    def make(s):
        return Name(s.strip())
""", """
    def check(candidate):
        assert candidate('  bob ') == 'bob'
        assert isinstance(candidate('x'), str)
        assert candidate('ab').upper() == 'AB'
        assert candidate('a') + 'b' == 'ab'
""", "make", wrong=[("s.strip()", "s")])

P("int_subclass", """
    class Money(int):
        def __repr__(self):
            return f'${int(self)}'
    def total(xs):
        return Money(sum(xs))
""", """
    def check(candidate):
        assert candidate([1, 2]) == 3
        assert candidate([]) == 0
        assert candidate([5]) * 2 == 10
""", "total", wrong=[("sum(xs)", "sum(xs[1:])")])

P("dict_subclass", """
    class Registry(dict):
        def names(self):
            return sorted(self)
    def reg(pairs):
        return Registry(pairs)
""", """
    def check(candidate):
        r = candidate([('b', 1), ('a', 2)])
        assert r == {'a': 2, 'b': 1}
        assert sorted(r) == ['a', 'b']
        assert r.get('a') == 2
""", "reg", wrong=[("Registry(pairs)", "Registry(pairs[:1])")])

P("list_subclass", """
    class Path(list):
        pass
    def path(n):
        return Path(range(n))
""", """
    def check(candidate):
        assert candidate(3) == [0, 1, 2]
        assert isinstance(candidate(1), list)
        assert candidate(2) + [9] == [0, 1, 9]
""", "path", wrong=[("range(n)", "range(1, n + 1)")])

# --------------------------------------------------------------------------- numbers, dates

P("decimal", """
    from decimal import Decimal, ROUND_HALF_UP
    def money(x):
        return Decimal(x).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)
""", """
    from decimal import Decimal
    def check(candidate):
        assert candidate('1.005') == Decimal('1.01')
        assert str(candidate('2')) == '2.00'
        assert isinstance(candidate('1'), Decimal)
""", "money", wrong=[("ROUND_HALF_UP)", "'ROUND_DOWN')")])

P("fraction", """
    from fractions import Fraction
    def harmonic(n):
        return sum(Fraction(1, k) for k in range(1, n + 1))
""", """
    from fractions import Fraction
    def check(candidate):
        assert candidate(3) == Fraction(11, 6)
        assert candidate(1) == 1
        assert candidate(2).denominator == 2
""", "harmonic", wrong=[("range(1, n + 1)", "range(1, n)")])

P("complex", """
    def roots(a, b, c):
        d = (b * b - 4 * a * c) ** 0.5
        return ((-b + d) / (2 * a), (-b - d) / (2 * a))
""", """
    def check(candidate):
        r1, r2 = candidate(1, 0, 1)
        assert abs(r1 - 1j) < 1e-9 and abs(r2 + 1j) < 1e-9
        assert candidate(1, -3, 2) == (2.0, 1.0)
""", "roots", wrong=[("(-b - d) / (2 * a)", "(-b - d) / a")])

P("date", """
    import datetime
    def next_day(y, m, d):
        return datetime.date(y, m, d) + datetime.timedelta(days=1)
""", """
    import datetime
    def check(candidate):
        assert candidate(2020, 2, 28) == datetime.date(2020, 2, 29)
        assert candidate(2021, 12, 31).year == 2022
        assert candidate(2021, 1, 1).isoformat() == '2021-01-02'
""", "next_day", wrong=[("days=1", "days=2")])

P("datetime_tz", """
    from datetime import datetime, timezone, timedelta
    def parse(s):
        return datetime.strptime(s, '%Y-%m-%d %H:%M').replace(tzinfo=timezone(timedelta(hours=2)))
""", """
    from datetime import datetime, timezone, timedelta
    def check(candidate):
        d = candidate('2020-01-02 03:04')
        assert d == datetime(2020, 1, 2, 1, 4, tzinfo=timezone.utc)
        assert d.utcoffset() == timedelta(hours=2)
        assert d.hour == 3
""", "parse", wrong=[("hours=2", "hours=3")])

P("timedelta", """
    from datetime import timedelta
    def duration(h, m):
        return timedelta(hours=h, minutes=m)
""", """
    from datetime import timedelta
    def check(candidate):
        assert candidate(1, 30) == timedelta(minutes=90)
        assert candidate(0, 1).total_seconds() == 60
""", "duration", wrong=[("minutes=m", "minutes=m + 1")])

P("time_of_day", """
    import datetime
    def at(h, m):
        return datetime.time(h, m)
""", """
    import datetime
    def check(candidate):
        assert candidate(9, 5) == datetime.time(9, 5)
        assert candidate(9, 5) < datetime.time(10)
""", "at", wrong=[("datetime.time(h, m)", "datetime.time(m, h)")])

P("bytes_bytearray", """
    def encode(s):
        b = bytearray(s.encode())
        b.reverse()
        return bytes(b), b
""", """
    def check(candidate):
        b, ba = candidate('abc')
        assert b == b'cba' and ba == bytearray(b'cba')
        assert isinstance(ba, bytearray)
""", "encode", wrong=[("b.reverse()", "pass")])

P("frozenset_of_tuples", """
    def pairs(xs):
        return frozenset((a, b) for a in xs for b in xs if a < b)
""", """
    def check(candidate):
        assert candidate([1, 2, 3]) == {(1, 2), (1, 3), (2, 3)}
        assert isinstance(candidate([1]), frozenset)
""", "pairs", wrong=[("if a < b", "if a <= b")])

P("nested_plain", """
    def index(words):
        out = {}
        for i, w in enumerate(words):
            out.setdefault(w[0], []).append((i, w))
        return out
""", """
    assert index(['ab', 'ac', 'b']) == {'a': [(0, 'ab'), (1, 'ac')], 'b': [(2, 'b')]}
""", wrong=[("enumerate(words)", "enumerate(words, 1)")])

P("float_isclose", """
    import math
    def hyp(a, b):
        return math.hypot(a, b)
""", """
    import math
    assert math.isclose(hyp(3, 4), 5.0)
    assert abs(hyp(1, 1) - 2 ** 0.5) < 1e-12
""", wrong=[("math.hypot(a, b)", "a + b - 2")])

P("nan_and_inf", """
    def safe_div(a, b):
        if b == 0:
            return float('inf') if a > 0 else float('nan')
        return a / b
""", """
    import math
    def check(candidate):
        assert candidate(1, 0) == float('inf')
        assert math.isnan(candidate(0, 0))
        assert candidate(1, 4) == 0.25
""", "safe_div", wrong=[("float('nan')", "0.0")])

P("big_ints", """
    def fact(n):
        r = 1
        for k in range(2, n + 1):
            r *= k
        return r
""", """
    def check(candidate):
        assert candidate(30) == 265252859812191058636308480000000
        assert candidate(200) % 10 ** 40 == 0
""", "fact", wrong=[("range(2, n + 1)", "range(2, n)")])

# --------------------------------------------------------------------------- lazy values

P("generator", """
    def evens(n):
        for i in range(n):
            if i % 2 == 0:
                yield i
""", """
    def check(candidate):
        assert list(candidate(7)) == [0, 2, 4, 6]
        assert sum(candidate(5)) == 6
        g = candidate(3)
        assert next(g) == 0
        assert next(g) == 2
        assert next(g, None) is None
""", "evens", wrong=[("if i % 2 == 0", "if i % 2 == 1")])

P("infinite_generator_islice", """
    def naturals():
        n = 0
        while True:
            yield n
            n += 1
""", """
    from itertools import islice
    def check(candidate):
        assert list(islice(candidate(), 5)) == [0, 1, 2, 3, 4]
        g = candidate()
        assert [next(g) for _ in range(3)] == [0, 1, 2]
        assert next(x for x in candidate() if x > 100) == 101
""", "naturals", wrong=[("n += 1", "n += 2")])

P("fibonacci_generator", """
    def fib():
        a, b = 0, 1
        while True:
            yield a
            a, b = b, a + b
""", """
    import itertools
    assert list(itertools.islice(fib(), 10)) == [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]
    assert next(itertools.dropwhile(lambda x: x < 1000, fib())) == 1597
""", wrong=[("a, b = b, a + b", "a, b = b, a + b + 1")])

P("generator_send", """
    def averager():
        total, n, avg = 0, 0, None
        while True:
            x = yield avg
            total += x
            n += 1
            avg = total / n
""", """
    def check(candidate):
        g = candidate()
        next(g)
        assert g.send(10) == 10
        assert g.send(20) == 15
""", "averager", wrong=[("avg = total / n", "avg = total")])

P("map_result", """
    def squares(xs):
        return map(lambda x: x * x, xs)
""", """
    def check(candidate):
        assert list(candidate([1, 2, 3])) == [1, 4, 9]
        assert sorted(candidate([3, -1])) == [1, 9]
        assert tuple(candidate([])) == ()
""", "squares", wrong=[("x * x", "x + x")])

P("filter_zip_enumerate", """
    def odd_positions(xs):
        return filter(lambda p: p[0] % 2, enumerate(xs))
    def pairs(a, b):
        return zip(a, b)
""", """
    assert list(odd_positions('abcd')) == [(1, 'b'), (3, 'd')]
    assert dict(pairs('ab', [1, 2])) == {'a': 1, 'b': 2}
""", wrong=[("p[0] % 2", "p[0] % 2 == 0")])

P("range_result", """
    def span(a, b):
        return range(a, b + 1)
""", """
    def check(candidate):
        r = candidate(2, 5)
        assert list(r) == [2, 3, 4, 5]
        assert len(r) == 4 and 5 in r and r[0] == 2
        assert r == range(2, 6)
        assert isinstance(r, range)
""", "span", wrong=[("range(a, b + 1)", "range(a, b)")])

P("dict_views", """
    def keys_of(d):
        return d.keys()
    def values_of(d):
        return d.values()
    def items_of(d):
        return d.items()
""", """
    d = {'b': 1, 'a': 2}
    assert sorted(keys_of(d)) == ['a', 'b']
    assert keys_of(d) == {'a', 'b'}
    assert sorted(values_of(d)) == [1, 2]
    assert ('a', 2) in items_of(d)
    assert keys_of(d) & {'a'} == {'a'}
""", wrong=[("return d.keys()", "return list(d)[:1]")])

P("reversed_and_sorted", """
    def backwards(xs):
        return reversed(xs)
""", """
    def check(candidate):
        assert list(candidate([1, 2, 3])) == [3, 2, 1]
        assert ''.join(candidate('abc')) == 'cba'
""", "backwards", wrong=[("reversed(xs)", "iter(xs)")])

P("iter_of_list", """
    def it(xs):
        return iter(sorted(xs))
""", """
    def check(candidate):
        i = candidate([3, 1, 2])
        assert next(i) == 1
        assert list(i) == [2, 3]
""", "it", wrong=[("sorted(xs)", "xs")])

P("long_generator_materialised", """
    def upto(n):
        return (i for i in range(n))
""", """
    def check(candidate):
        assert len(list(candidate(5000))) == 5000
        assert sum(candidate(3000)) == 3000 * 2999 // 2
        assert set(candidate(10)) == set(range(10))
""", "upto", wrong=[("range(n)", "range(n - 1)")])

P("generator_raises_midway", """
    def parse_all(items):
        for s in items:
            yield int(s)
""", """
    def check(candidate):
        assert list(candidate(['1', '2'])) == [1, 2]
        try:
            list(candidate(['1', 'x', '3']))
            raise AssertionError('no error')
        except ValueError:
            pass
        g = candidate(['5', 'y'])
        assert next(g) == 5
""", "parse_all", wrong=[("yield int(s)", "yield int(s) if s.isdigit() else 0")])

P("generator_of_tuples_to_dict", """
    def inverse(d):
        return ((v, k) for k, v in d.items())
""", """
    def check(candidate):
        assert dict(candidate({'a': 1, 'b': 2})) == {1: 'a', 2: 'b'}
""", "inverse", wrong=[("(v, k)", "(k, v)")])

P("itertools_results", """
    import itertools
    def pairs(xs):
        return itertools.combinations(xs, 2)
    def running(xs):
        return itertools.accumulate(xs)
""", """
    assert list(pairs([1, 2, 3])) == [(1, 2), (1, 3), (2, 3)]
    assert list(running([1, 2, 3])) == [1, 3, 6]
""", wrong=[("itertools.accumulate(xs)", "itertools.accumulate(xs[::-1])")])

# --------------------------------------------------------------------------- callables

P("apply_lambda", """
    def apply_all(f, xs):
        return [f(x) for x in xs]
""", """
    def check(candidate):
        assert candidate(lambda x: x * 2, [1, 2]) == [2, 4]
        assert candidate(str.upper, ['a', 'b']) == ['A', 'B']
        assert candidate(len, ['ab', '']) == [2, 0]
        assert candidate(abs, [-1]) == [1]
""", "apply_all", wrong=[("[f(x) for x in xs]", "[f(x) for x in xs[1:]]")])

P("key_function", """
    def sort_by(xs, key):
        return sorted(xs, key=key)
""", """
    def check(candidate):
        assert candidate(['bb', 'a', 'ccc'], len) == ['a', 'bb', 'ccc']
        assert candidate([3, -4, 1], lambda v: abs(v)) == [1, 3, -4]
        assert candidate([(1, 'b'), (2, 'a')], key=lambda p: p[1]) == [(2, 'a'), (1, 'b')]
""", "sort_by", wrong=[("sorted(xs, key=key)", "sorted(xs, key=key, reverse=True)")])

P("compose_returns_function", """
    def compose(f, g):
        return lambda x: f(g(x))
""", """
    def check(candidate):
        h = candidate(lambda x: x + 1, lambda x: x * 10)
        assert h(2) == 21
        assert callable(h)
        assert candidate(str, abs)(-3) == '3'
""", "compose", wrong=[("f(g(x))", "g(f(x))")])

P("make_adder", """
    def make_adder(n):
        def add(x):
            return x + n
        return add
""", """
    add3 = make_adder(3)
    assert add3(4) == 7
    assert list(map(make_adder(1), [1, 2])) == [2, 3]
""", wrong=[("x + n", "x + n + 1")])

P("memoize_decorator", """
    def memoize(f):
        cache = {}
        def g(*args):
            if args not in cache:
                cache[args] = f(*args)
            return cache[args]
        return g
""", """
    def check(candidate):
        calls = []
        def slow(x):
            calls.append(x)
            return x * x
        fast = candidate(slow)
        assert fast(3) == 9 and fast(3) == 9
        assert calls == [3]
""", "memoize", wrong=[("if args not in cache:", "if True:")])

P("callback_counter", """
    def repeat(f, n):
        for i in range(n):
            f(i)
        return n
""", """
    def check(candidate):
        seen = []
        assert candidate(seen.append, 4) == 4
        assert seen == [0, 1, 2, 3]
""", "repeat", wrong=[("range(n)", "range(1, n)")])

P("callback_raises", """
    def safe_map(f, xs):
        out = []
        for x in xs:
            try:
                out.append(f(x))
            except ValueError:
                out.append(None)
        return out
""", """
    def check(candidate):
        assert candidate(int, ['1', 'x', '3']) == [1, None, 3]
""", "safe_map", wrong=[("out.append(None)", "pass")])

P("callback_gets_candidate_object", """
    class Box:
        def __init__(self, v):
            self.v = v
    def visit(f, xs):
        return [f(Box(x)) for x in xs]
""", """
    def check(candidate):
        assert candidate(lambda b: b.v * 2, [1, 2]) == [2, 4]
""", "visit", wrong=[("Box(x)", "Box(x + 1)")])

P("reduce_with_operator", """
    from functools import reduce
    def fold(op, xs, init):
        return reduce(op, xs, init)
""", """
    import operator
    def check(candidate):
        assert candidate(operator.add, [1, 2, 3], 0) == 6
        assert candidate(operator.mul, [2, 3], 1) == 6
        assert candidate(lambda a, b: a + [b], [1, 2], []) == [1, 2]
""", "fold", wrong=[("reduce(op, xs, init)", "reduce(op, xs[:-1], init)")])

P("higher_order_returns_identity", """
    def pick(f, g, first):
        return f if first else g
""", """
    def check(candidate):
        f = lambda x: 1
        g = lambda x: 2
        assert candidate(f, g, True) is f
        assert candidate(f, g, False)(0) == 2
""", "pick", wrong=[("f if first else g", "g if first else f")])

P("partial_result", """
    import functools
    def power_of(e):
        return functools.partial(pow, exp=e)
""", """
    def check(candidate):
        sq = candidate(2)
        assert sq(5) == 25
        assert [candidate(3)(b) for b in (1, 2)] == [1, 8]
""", "power_of", wrong=[("exp=e", "exp=e + 1")])

P("lru_cache_function", """
    from functools import lru_cache
    @lru_cache(maxsize=None)
    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)
""", """
    def check(candidate):
        assert candidate(80) == 23416728348467685
        assert candidate.cache_info().hits > 0
""", "fib", wrong=[("n if n < 2", "1 if n < 2")])

P("callback_iterator_argument", """
    def total(it):
        return sum(x for x in it)
""", """
    def check(candidate):
        assert candidate(iter([1, 2, 3])) == 6
        assert candidate(x * x for x in range(4)) == 14
        assert candidate(range(5)) == 10
""", "total", wrong=[("sum(x for x in it)", "sum(x for x in it if x)")])

# --------------------------------------------------------------------------- classes

P("stack_class", """
    class Stack:
        def __init__(self):
            self._items = []
        def push(self, x):
            self._items.append(x)
        def pop(self):
            if not self._items:
                raise IndexError('pop from empty stack')
            return self._items.pop()
        def peek(self):
            return self._items[-1]
        def __len__(self):
            return len(self._items)
        def is_empty(self):
            return not self._items
""", """
    def check(candidate):
        s = candidate()
        assert s.is_empty()
        s.push(1)
        s.push(2)
        assert len(s) == 2
        assert s.peek() == 2
        assert s.pop() == 2 and s.pop() == 1
        assert not s
        try:
            s.pop()
            raise AssertionError('no error')
        except IndexError:
            pass
""", "Stack", wrong=[("return self._items.pop()", "return self._items.pop(0)"),
                    ("return len(self._items)", "return len(self._items) + 1")])

P("queue_mbpp_style", """
    class Queue:
        def __init__(self):
            self.items = []
        def enqueue(self, x):
            self.items.append(x)
        def dequeue(self):
            return self.items.pop(0)
        def size(self):
            return len(self.items)
""", """
    q = Queue()
    q.enqueue('a')
    q.enqueue('b')
    assert q.size() == 2
    assert q.dequeue() == 'a'
    assert q.items == ['b']
    assert isinstance(q, Queue)
""", wrong=[("self.items.pop(0)", "self.items.pop()")])

P("lru_cache_class", """
    from collections import OrderedDict
    class LRUCache:
        def __init__(self, capacity):
            self.cap = capacity
            self.d = OrderedDict()
        def get(self, k):
            if k not in self.d:
                return -1
            self.d.move_to_end(k)
            return self.d[k]
        def put(self, k, v):
            self.d[k] = v
            self.d.move_to_end(k)
            if len(self.d) > self.cap:
                self.d.popitem(last=False)
""", """
    def check(candidate):
        c = candidate(2)
        c.put(1, 1)
        c.put(2, 2)
        assert c.get(1) == 1
        c.put(3, 3)
        assert c.get(2) == -1
        assert c.get(3) == 3
""", "LRUCache", wrong=[("self.d.popitem(last=False)", "self.d.popitem()")])

P("bank_account_exception", """
    class InsufficientFunds(Exception):
        pass
    class Account:
        def __init__(self, balance=0):
            self.balance = balance
        def withdraw(self, x):
            if x > self.balance:
                raise InsufficientFunds(f'need {x - self.balance} more')
            self.balance -= x
            return self.balance
""", """
    def check(candidate):
        a = candidate(10)
        assert a.withdraw(3) == 7
        try:
            a.withdraw(100)
            raise AssertionError('no error')
        except InsufficientFunds as e:
            assert 'need 93 more' in str(e)
        assert a.balance == 7
""", "Account", wrong=[("if x > self.balance:", "if x > self.balance + 100:")])

P("vector_operators", """
    import math
    class Vector:
        def __init__(self, x, y):
            self.x, self.y = x, y
        def __add__(self, o):
            return Vector(self.x + o.x, self.y + o.y)
        def __mul__(self, k):
            return Vector(self.x * k, self.y * k)
        __rmul__ = __mul__
        def __eq__(self, o):
            return isinstance(o, Vector) and (self.x, self.y) == (o.x, o.y)
        def __hash__(self):
            return hash((self.x, self.y))
        def __abs__(self):
            return math.hypot(self.x, self.y)
        def __repr__(self):
            return f'Vector({self.x}, {self.y})'
""", """
    def check(candidate):
        V = candidate
        assert V(1, 2) + V(3, 4) == V(4, 6)
        assert V(1, 2) * 3 == V(3, 6)
        assert 2 * V(1, 1) == V(2, 2)
        assert abs(V(3, 4)) == 5.0
        assert V(1, 2) != V(2, 1)
        assert len({V(1, 2), V(1, 2)}) == 1
        assert repr(V(1, 2)) == 'Vector(1, 2)'
""", "Vector", wrong=[("Vector(self.x + o.x, self.y + o.y)", "Vector(self.x + o.x, self.y + o.x)"),
                     ("return math.hypot(self.x, self.y)", "return self.x + self.y")])

P("linked_list_iter", """
    class Node:
        def __init__(self, v, nxt=None):
            self.v, self.next = v, nxt
    class LinkedList:
        def __init__(self, xs=()):
            self.head = None
            for x in reversed(list(xs)):
                self.head = Node(x, self.head)
        def __iter__(self):
            n = self.head
            while n:
                yield n.v
                n = n.next
        def __len__(self):
            return sum(1 for _ in self)
        def __contains__(self, x):
            return any(v == x for v in self)
""", """
    def check(candidate):
        ll = candidate([1, 2, 3])
        assert list(ll) == [1, 2, 3]
        assert len(ll) == 3
        assert 2 in ll and 9 not in ll
        assert ll.head.next.v == 2
        assert ll.head.next.next.next is None
""", "LinkedList", wrong=[("for x in reversed(list(xs)):", "for x in list(xs):")])

P("dataclass_eq", """
    from dataclasses import dataclass, field
    @dataclass(order=True)
    class Item:
        price: int
        name: str = field(compare=False)
    def cheapest(items):
        return min(Item(p, n) for n, p in items)
""", """
    def check(candidate):
        it = candidate([('a', 3), ('b', 1)])
        assert it.name == 'b' and it.price == 1
        assert it == Item(1, 'zzz')
        assert it < Item(2, 'x')
        assert sorted([Item(3, 'c'), Item(1, 'a')])[0].name == 'a'
""", "cheapest", wrong=[("min(Item(p, n) for n, p in items)", "max(Item(p, n) for n, p in items)")])

P("class_and_classmethod", """
    class Temperature:
        def __init__(self, c):
            self.c = c
        @classmethod
        def from_f(cls, f):
            return cls((f - 32) * 5 / 9)
        @staticmethod
        def valid(c):
            return c >= -273.15
        @property
        def f(self):
            return self.c * 9 / 5 + 32
""", """
    def check(candidate):
        t = candidate.from_f(212)
        assert t.c == 100
        assert t.f == 212
        assert candidate.valid(-300) is False
        t.c = 0
        assert t.f == 32
""", "Temperature", wrong=[("self.c * 9 / 5 + 32", "self.c * 9 / 5")])

P("container_protocol", """
    class Grid:
        def __init__(self, w, h):
            self.cells = {}
            self.w, self.h = w, h
        def __getitem__(self, pos):
            return self.cells.get(pos, 0)
        def __setitem__(self, pos, v):
            self.cells[pos] = v
        def __delitem__(self, pos):
            del self.cells[pos]
        def __contains__(self, pos):
            return pos in self.cells
""", """
    def check(candidate):
        g = candidate(3, 3)
        g[1, 2] = 5
        assert g[1, 2] == 5 and g[0, 0] == 0
        assert (1, 2) in g
        del g[1, 2]
        assert (1, 2) not in g
""", "Grid", wrong=[("return self.cells.get(pos, 0)", "return self.cells.get(pos, 1)")])

P("context_manager", """
    class Recorder:
        log = []
        def __enter__(self):
            Recorder.log.append('enter')
            return self
        def __exit__(self, *exc):
            Recorder.log.append('exit')
            return False
        def note(self, x):
            Recorder.log.append(x)
""", """
    def check(candidate):
        with candidate() as r:
            r.note('hi')
        assert candidate.log == ['enter', 'hi', 'exit']
""", "Recorder", wrong=[("Recorder.log.append('exit')", "pass")])

P("iterator_class", """
    class Countdown:
        def __init__(self, n):
            self.n = n
        def __iter__(self):
            return self
        def __next__(self):
            if self.n <= 0:
                raise StopIteration
            self.n -= 1
            return self.n + 1
""", """
    def check(candidate):
        assert list(candidate(3)) == [3, 2, 1]
        c = candidate(2)
        assert next(c) == 2
        assert next(c) == 1
        assert next(c, 'done') == 'done'
""", "Countdown", wrong=[("return self.n + 1", "return self.n")])

P("isinstance_candidate_class", """
    class Shape:
        def area(self):
            raise NotImplementedError
    class Square(Shape):
        def __init__(self, s):
            self.s = s
        def area(self):
            return self.s ** 2
    def make(kind, x):
        return Square(x) if kind == 'square' else None
""", """
    assert isinstance(make('square', 2), Square)
    assert isinstance(make('square', 2), Shape)
    assert make('square', 3).area() == 9
    assert make('circle', 1) is None
    assert issubclass(Square, Shape)
""", wrong=[("return self.s ** 2", "return self.s * 2")])

P("several_names", """
    class Matrix:
        def __init__(self, rows):
            self.rows = [list(r) for r in rows]
        def transpose(self):
            return Matrix(zip(*self.rows))
    def identity(n):
        return Matrix([[int(i == j) for j in range(n)] for i in range(n)])
""", """
    m = Matrix([[1, 2], [3, 4]])
    assert m.transpose().rows == [[1, 3], [2, 4]]
    assert identity(2).rows == [[1, 0], [0, 1]]
    assert identity(3).transpose().rows == identity(3).rows
""", wrong=[("int(i == j)", "int(i <= j)")])

P("enum_class_entry", """
    from enum import Enum
    class Light(Enum):
        RED = 1
        GREEN = 2
        def next(self):
            return Light.GREEN if self is Light.RED else Light.RED
""", """
    def check(candidate):
        assert candidate.RED.next() is candidate.GREEN
        assert candidate(2) is candidate.GREEN
        assert [c.name for c in candidate] == ['RED', 'GREEN']
""", "Light", wrong=[("Light.GREEN if self is Light.RED else Light.RED", "Light.RED")])

P("object_attributes_returned", """
    class Result:
        def __init__(self, ok, value):
            self.ok, self.value = ok, value
    def parse_int(s):
        try:
            return Result(True, int(s))
        except ValueError:
            return Result(False, None)
""", """
    def check(candidate):
        r = candidate('42')
        assert r.ok and r.value == 42
        assert not candidate('x').ok
        assert candidate('x').value is None
""", "parse_int", wrong=[("Result(True, int(s))", "Result(True, int(s) + 1)")])

P("object_dict_and_str", """
    class Person:
        def __init__(self, name, age):
            self.name, self.age = name, age
        def __str__(self):
            return f'{self.name} ({self.age})'
    def oldest(people):
        return max((Person(n, a) for n, a in people), key=lambda p: p.age)
""", """
    def check(candidate):
        p = candidate([('a', 30), ('b', 40)])
        assert str(p) == 'b (40)'
        assert p.__dict__ == {'name': 'b', 'age': 40}
""", "oldest", wrong=[("key=lambda p: p.age", "key=lambda p: -p.age")])

P("custom_exception_from_function", """
    class ParseError(ValueError):
        pass
    def parse(s):
        if not s.isdigit():
            raise ParseError(s)
        return int(s)
""", """
    assert parse('12') == 12
    try:
        parse('x')
        raise AssertionError('no error')
    except ValueError as e:
        assert str(e) == 'x'
    try:
        parse('y')
    except ParseError:
        pass
    else:
        raise AssertionError('no error')
""", wrong=[("if not s.isdigit():", "if not s:")])

P("builtin_exceptions", """
    def get(d, k):
        return d[k]
""", """
    def check(candidate):
        assert candidate({'a': 1}, 'a') == 1
        try:
            candidate({}, 'z')
            raise AssertionError('no error')
        except KeyError as e:
            assert e.args[0] == "'z'" or str(e) == "'z'"
""", "get", wrong=[("return d[k]", "return d.get(k)")])

P("mutates_arguments", """
    from collections import deque
    def drain(src, dst):
        while src:
            dst.append(src.popleft())
""", """
    from collections import deque
    def check(candidate):
        a, b = deque([1, 2]), [0]
        candidate(a, b)
        assert b == [0, 1, 2] and not a
""", "drain", wrong=[("dst.append(src.popleft())", "dst.append(src.pop())")])

P("mutates_dict_in_place", """
    def bump(d, k):
        d[k] = d.get(k, 0) + 1
""", """
    def check(candidate):
        d = {}
        candidate(d, 'a')
        candidate(d, 'a')
        assert d == {'a': 2}
""", "bump", wrong=[("d.get(k, 0) + 1", "1")])

P("isinstance_builtins", """
    from collections import Counter, OrderedDict
    def kinds():
        return [Counter('a'), OrderedDict(a=1), (1,), {1}, b'x', 1.5, None, True]
""", """
    from collections import Counter, OrderedDict
    def check(candidate):
        c, o, t, s, b, f, n, y = candidate()
        assert isinstance(c, Counter) and isinstance(o, OrderedDict) and isinstance(t, tuple)
        assert isinstance(s, set) and isinstance(b, bytes) and isinstance(f, float)
        assert n is None and y is True and type(y) is bool
        assert type(c) is Counter
""", "kinds", wrong=[("Counter('a'), OrderedDict(a=1)", "dict(a=1), OrderedDict(a=1)")])

P("aliasing_preserved", """
    def twins():
        x = [1]
        return [x, x]
""", """
    def check(candidate):
        a, b = candidate()
        a.append(2)
        assert b == [1, 2]
""", "twins", wrong=[("return [x, x]", "return [x, list(x)]")])

P("module_constant_and_helper", """
    MOD = 10 ** 9 + 7
    def helper(x):
        return x * x % MOD
    def solve(xs):
        return sum(helper(x) for x in xs) % MOD
""", """
    assert solve([1, 2]) == 5
    assert MOD == 1000000007
    assert helper(MOD + 2) == 4
""", wrong=[("x * x % MOD", "x * x % (MOD - 1) + 0 * MOD")])

P("stateful_generator_with_handles", """
    class Token:
        def __init__(self, kind, text):
            self.kind, self.text = kind, text
    def tokenize(s):
        for part in s.split():
            yield Token('num' if part.isdigit() else 'word', part)
""", """
    def check(candidate):
        toks = list(candidate('x 12 y'))
        assert [t.kind for t in toks] == ['word', 'num', 'word']
        assert toks[1].text == '12'
""", "tokenize", wrong=[("part.isdigit()", "part.isalpha()")])

P("sorted_dict_keys", """
    def index_of(words):
        return {w: i for i, w in enumerate(words)}
""", """
    def check(candidate):
        d = candidate(['b', 'a'])
        assert sorted(d.keys()) == ['a', 'b']
        assert list(d.items()) == [('b', 0), ('a', 1)]
""", "index_of", wrong=[("enumerate(words)", "enumerate(sorted(words))")])

P("heapq_result", """
    import heapq
    def k_smallest(xs, k):
        return heapq.nsmallest(k, xs)
""", """
    assert k_smallest([5, 1, 4, 2], 2) == [1, 2]
""", wrong=[("heapq.nsmallest(k, xs)", "heapq.nlargest(k, xs)")])

P("regex_result", """
    import re
    def words(s):
        return re.findall(r'[a-z]+', s.lower())
""", """
    assert words('Hi, there!') == ['hi', 'there']
""", wrong=[("s.lower()", "s")])

P("string_methods_on_result", """
    def title(s):
        return ' '.join(w.capitalize() for w in s.split())
""", """
    def check(candidate):
        assert candidate('hello world') == 'Hello World'
        assert candidate('a b').split() == ['A', 'B']
""", "title", wrong=[("w.capitalize()", "w.upper()")])

P("none_and_bool_results", """
    def find(xs, x):
        return xs.index(x) if x in xs else None
    def has(xs, x):
        return x in xs
""", """
    assert find([1, 2], 2) == 1
    assert find([1], 5) is None
    assert has([1], 1) is True
    assert has([], 1) is False
""", wrong=[("xs.index(x) if x in xs else None", "xs.index(x) if x in xs else -1")])

P("tuple_unpacking_results", """
    def minmax(xs):
        return min(xs), max(xs)
""", """
    lo, hi = minmax([3, 1, 2])
    assert (lo, hi) == (1, 3)
""", wrong=[("return min(xs), max(xs)", "return max(xs), min(xs)")])

P("set_results", """
    def common(a, b):
        return set(a) & set(b)
""", """
    def check(candidate):
        assert candidate([1, 2, 3], [2, 3, 4]) == {2, 3}
        assert candidate('ab', 'cd') == set()
""", "common", wrong=[("set(a) & set(b)", "set(a) | set(b)")])

P("counter_in_tuple_in_dict", """
    from collections import Counter
    def summarize(groups):
        return {k: (len(v), Counter(v)) for k, v in groups.items()}
""", """
    def check(candidate):
        r = candidate({'x': 'aab'})
        assert r == {'x': (3, {'a': 2, 'b': 1})}
        assert r['x'][1].most_common(1) == [('a', 2)]
""", "summarize", wrong=[("(len(v), Counter(v))", "(len(set(v)), Counter(v))")])

P("statistics_and_fraction_mean", """
    import statistics
    from fractions import Fraction
    def mean(xs):
        return statistics.mean(Fraction(x) for x in xs)
""", """
    from fractions import Fraction
    assert mean([1, 2]) == Fraction(3, 2)
""", wrong=[("statistics.mean", "statistics.median_low")])

P("generator_of_generators", """
    def windows(xs, k):
        for i in range(len(xs) - k + 1):
            yield (x for x in xs[i:i + k])
""", """
    def check(candidate):
        assert [list(w) for w in candidate([1, 2, 3], 2)] == [[1, 2], [2, 3]]
""", "windows", wrong=[("range(len(xs) - k + 1)", "range(len(xs) - k)")])

P("property_setter_validation", """
    class Celsius:
        def __init__(self):
            self._t = 0
        @property
        def t(self):
            return self._t
        @t.setter
        def t(self, v):
            if v < -273.15:
                raise ValueError('too cold')
            self._t = v
""", """
    def check(candidate):
        c = candidate()
        c.t = 25
        assert c.t == 25
        try:
            c.t = -300
            raise AssertionError('no error')
        except ValueError:
            pass
        assert c.t == 25
""", "Celsius", wrong=[("if v < -273.15:", "if v < -1000:")])

P("hash_and_set_of_objects", """
    class Card:
        def __init__(self, rank, suit):
            self.rank, self.suit = rank, suit
        def __eq__(self, o):
            return (self.rank, self.suit) == (o.rank, o.suit)
        def __hash__(self):
            return hash((self.rank, self.suit))
    def deck():
        return [Card(r, s) for r in 'A2' for s in 'hs']
""", """
    def check(candidate):
        d = candidate()
        assert len(set(d)) == 4
        assert Card('A', 'h') in d
        assert d.count(Card('2', 's')) == 1
""", "deck", wrong=[("for r in 'A2' for s in 'hs'", "for r in 'AA' for s in 'hs'")])
