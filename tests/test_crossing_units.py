"""The value grammar of the sandbox boundary on its own (no container): every stdlib value
rebuilds as the genuine type, and a decoder fed anything else refuses it (never builds an
object the grammar does not name)."""

from __future__ import annotations

import collections
import datetime
import decimal
import fractions
import marshal
import random
from typing import NamedTuple

import pytest

from codesynth.sandbox.harness import crossing


class _NoHandles(crossing.Decoder):
    pass


def roundtrip(v):
    def ref(obj, kind):
        raise AssertionError(f"{obj!r} should cross by value, not as {kind}")

    node = crossing.Encoder(ref).enc(v)
    return _NoHandles().dec(marshal.loads(marshal.dumps(node)))


class Span(NamedTuple):
    start: int
    end: int


class Name(str):
    def __eq__(self, o):
        return True

    __hash__ = str.__hash__


class Liar(int):
    def __index__(self):
        return 5

    def __int__(self):
        return 5


VALUES = [
    collections.Counter("abca"),
    collections.OrderedDict([("b", 1), ("a", 2)]),
    collections.defaultdict(list, {1: [2]}),
    collections.deque([1, 2], maxlen=3),
    decimal.Decimal("1.10"),
    decimal.Decimal("-Infinity"),
    fractions.Fraction(-3, 7),
    datetime.date(2020, 2, 29),
    datetime.datetime(2020, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone(datetime.timedelta(hours=-3), "X")),
    datetime.time(1, 2, 3, fold=1),
    datetime.timedelta(days=-1, microseconds=5),
    range(3, 30, 4),
    bytearray(b"ab"),
    {1: (2, frozenset({3})), "x": [b"y", None, 1.5, 2j]},
    [collections.Counter("a"), (collections.deque(),)],
]


@pytest.mark.parametrize("v", VALUES, ids=lambda v: type(v).__name__)
def test_stdlib_values_rebuild_as_the_genuine_type(v):
    got = roundtrip(v)
    assert type(got) is type(v) and got == v
    if isinstance(v, collections.OrderedDict):
        assert list(got) == list(v)
    if isinstance(v, collections.defaultdict):
        assert got.default_factory is list
    if isinstance(v, collections.deque):
        assert got.maxlen == v.maxlen


def test_views_namedtuples_and_subclasses():
    d = {"a": 1, "b": 2}
    assert roundtrip(d.keys()) == {"a", "b"} and type(roundtrip(d.keys())) is type(d.keys())
    assert sorted(roundtrip(d.values())) == [1, 2]
    assert roundtrip(d.items()) == d.items()
    s = roundtrip(Span(1, 4))
    assert s == (1, 4) and s.start == 1 and type(s).__name__ == "Span" and isinstance(s, tuple)
    n = roundtrip(Name("bob"))
    assert type(n) is str and n == "bob" and n != "alice"  # the subclass's __eq__ is gone
    li = roundtrip(Liar(0))
    assert type(li) is int and li == 0 and [0, 1, 2, 3, 4, 5][li] == 0  # its __index__ too


def test_bounds_are_the_encoders_and_the_decoders():
    deep = 1
    for _ in range(crossing.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(crossing.Bound):
        crossing.check_plain(deep)
    bomb = [5]
    for _ in range(60):
        bomb = [bomb, bomb]  # 2**60 parts in a few bytes of marshal
    with pytest.raises(crossing.Bound):
        crossing.check_plain(marshal.loads(marshal.dumps(bomb)))
    with pytest.raises(crossing.Bound):
        _NoHandles().dec(("L", tuple(("L", ()) for _ in range(crossing.MAX_NODES + 1))))


@pytest.mark.parametrize("node", [
    ("X", ()), ("L", [1]), ("D", (1,)), ("FR", 1, 0), ("DEC", "not a number"), ("DA", 2020, 13, 1),
    ("NT", "P", ("x", "x"), (1, 2)), ("NT", "P", ("x",), (1, 2)), ("REF", "os", "system"),
    ("REF", "builtins", "__import__"), ("DD", ("REF", "builtins", "None"), ()), ("H", 1, "C", (), ()),
    ("FN", 1, "f"), ("R", 1, 2, 0), ("TZ", ("TD", 1, 0, 0), 5), (("L",), ()), ("BA", "str"),
    ("T",), (), ("S", (("L", ()),)), ("REF", "builtins", "eval"), ("REF", "builtins", "open"),
    ("REF", "builtins", "getattr"), ("REF", "operator", "attrgetter"),
])
def test_decoder_refuses_what_the_grammar_does_not_name(node):
    with pytest.raises((crossing.Malformed, TypeError)):
        _NoHandles().dec(node)


def test_random_garbage_never_decodes_to_something_outside_the_grammar():
    rng = random.Random(7)
    atoms = [None, 1, "L", "T", "D", "C", "REF", "builtins", "len", (), b"x", 2.5, "NT", "SUB"]

    def junk(depth=0):
        if depth > 3 or rng.random() < 0.3:
            return rng.choice(atoms)
        return tuple(junk(depth + 1) for _ in range(rng.randint(0, 4)))

    allowed = crossing.SCALARS | {tuple, list, set, frozenset, dict, collections.Counter, type(len)}
    for _ in range(3000):
        try:
            v = _NoHandles().dec(junk())
        except (crossing.Malformed, crossing.Bound, TypeError, ValueError):
            continue
        stack = [v]
        while stack:
            x = stack.pop()
            assert type(x) in allowed or x in crossing.TRUSTED["builtins"].values(), type(x)
            if type(x) in (tuple, list, set, frozenset):
                stack.extend(x)
            elif isinstance(x, dict):
                stack.extend(x.keys())
                stack.extend(x.values())
