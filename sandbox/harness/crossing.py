"""What crosses between the candidate's process and the tester's, and how. Pure stdlib;
imported by both sides (candidate.py, tester.py) before any candidate code runs.

Everything travels as a `marshal` payload of exact built-in types. A *plain* value (exact
None/bool/int/float/complex/str/bytes and tuple/list/set/frozenset/dict of plain values)
goes as it is: that is the fast path, and most answers take it. Anything else is
*encoded* into a tree of nodes. A node is an exact scalar or a tuple `(tag, ...)`:

  T L S F D BA          tuple, list, set, frozenset, dict (flat k, v, ...), bytearray
  C OD DD DQ            Counter, OrderedDict, defaultdict(factory node, ...), deque(items, maxlen)
  DEC FR                Decimal(str), Fraction(numerator, denominator)
  DA DT TI TD TZ        date, datetime, time, timedelta, timezone (by their fields)
  R KV VV IV            range, dict_keys / dict_values / dict_items (their items)
  NT                    a namedtuple: (typename, field names, items) rebuilt with collections.namedtuple
  SUB                   (type name, node): a subclass of a built-in type, converted to that base
                        by the base type's own C methods (no override of the subclass runs)
  REF                   (module, name): a trusted built-in/stdlib object, looked up by identity
  IT FN CL H            a lazy iterator, a function, a class, any other object: a remote handle
                        (an id); what the tester does to it runs in the candidate's process
  HR G CB CBR           references back: a handle of the peer, a global name of the candidate,
                        a callback into the tester (a function or iterator the tests pass in),
                        and that callback coming home

The decoder never trusts the encoder: every tag is validated, and every bound (depth,
nodes per message, handles per program) is checked while decoding, so a candidate that
bypasses its own encoder gains nothing. The tester rebuilds values with stdlib
constructors from exact built-in data: no candidate code (no __eq__, __hash__, __reduce__,
__class__, ...) runs in the tester's process.
"""

from __future__ import annotations

import builtins
import collections
import datetime
import decimal
import fractions
import marshal
import math
import operator

# Module-level bindings of the builtins used here shadow the `builtins` module: a program that
# replaces builtins.isinstance (or any other) in its own process changes nothing in the harness.
from builtins import (  # noqa: UP029
    BaseException,
    Exception,
    TypeError,
    ValueError,
    all,
    bool,
    bytearray,
    bytes,
    callable,
    complex,
    dict,
    enumerate,
    float,
    frozenset,
    id,
    int,
    isinstance,
    issubclass,
    len,
    list,
    memoryview,
    object,
    range,
    set,
    slice,
    str,
    tuple,
    type,
    vars,
    zip,
)

# Bounds of every channel (also in the README's crossing table).
MAX_DEPTH = 200  # nesting of one value
MAX_NODES = 300_000  # containers and objects in one encoded message
MAX_PARTS = 4_000_000  # elements of one plain value (visited, so shared references count each time)
MAX_HANDLES = 10_000  # remote objects the tests may hold, per program
MAX_CALLBACKS = 100_000  # calls from the candidate into functions the tests passed, per program
MAX_NESTING = 32  # callbacks that call the candidate that calls back ...
MAX_TRAFFIC = 256 << 20  # bytes over the candidate <-> tester channel, per program
MAX_MESSAGE = 16 << 20  # one message
DRAIN_ITEMS = 1000  # items per batch when the tests materialise an iterator (list(), sorted(), ...)
MAX_ITEMS = 1_000_000  # items the tests may draw from the program's iterators, per program

# Captured once, at import (before any candidate code): a candidate that replaces builtins,
# marshal or sys.modules entries in its own process does not change what the harness does.
_type = type
_isinstance = isinstance
_issubclass = issubclass
_len = len
_id = id
_tuple = tuple
_str_str = str.__str__
_int_int = int.__int__
_float_float = float.__float__
_MRO = type.__dict__["__mro__"].__get__
_TDICT = type.__dict__["__dict__"].__get__
_QUALNAME = type.__dict__["__qualname__"].__get__
_TFLAGS = type.__dict__["__flags__"].__get__
_HEAPTYPE = 1 << 9
dumps = marshal.dumps
loads = marshal.loads

SCALARS = frozenset({type(None), bool, int, float, complex, str, bytes})
_PLAIN = SCALARS | {tuple, list, set, frozenset, dict}

_Counter, _OrderedDict, _defaultdict, _deque = (collections.Counter, collections.OrderedDict,
                                                collections.defaultdict, collections.deque)
_Decimal, _Fraction = decimal.Decimal, fractions.Fraction
_date, _datetime, _time, _timedelta, _timezone = (datetime.date, datetime.datetime, datetime.time,
                                                   datetime.timedelta, datetime.timezone)
_KEYS, _VALUES, _ITEMS = type({}.keys()), type({}.values()), type({}.items())


class Bound(Exception):
    """A bound of the channel was exceeded: the candidate's failure, with this message."""


class Malformed(Exception):
    """A message that does not follow the grammar (only a tampered harness sends one)."""


def qualname(t) -> str:
    try:
        return _str_str(_QUALNAME(t))[:200]
    except BaseException:  # noqa: BLE001 - a hostile metaclass
        return "?"


# --------------------------------------------------------------------------- trusted objects

# Only pure callables may cross by name: the tester runs them itself, and a test may call what
# the program returned with what the program returned (`f, x = candidate(); f(x)`). So no eval,
# exec, open, getattr, compile, __import__, breakpoint, input, vars, ...
_SAFE_BUILTINS = (
    "abs all any ascii bin bool bytearray bytes callable chr complex dict divmod enumerate filter float "
    "format frozenset hash hex int isinstance issubclass iter len list map max min next object oct ord pow "
    "range repr reversed round set slice sorted str sum tuple type zip"
).split()
_SAFE_OPERATOR = (
    "abs add and_ concat contains countOf eq floordiv ge gt index indexOf inv invert is_ is_not itemgetter "
    "le lshift lt matmul mod mul ne neg not_ or_ pos pow rshift sub truediv truth xor"
).split()


def _trusted_table() -> dict[str, dict[str, object]]:
    """(module -> name -> object) that may cross by name: they exist, genuine, on both sides."""
    b = vars(builtins)
    table: dict[str, dict[str, object]] = {"builtins": {k: b[k] for k in _SAFE_BUILTINS}}
    table["builtins"].update({k: v for k, v in b.items() if _isinstance(v, type) and _issubclass(v, BaseException)})
    table["builtins"].update(Ellipsis=Ellipsis, NotImplemented=NotImplemented)
    table["operator"] = {k: getattr(operator, k) for k in _SAFE_OPERATOR}
    table["math"] = {k: v for k, v in vars(math).items() if not k.startswith("_") and callable(v)}
    table["collections"] = {"Counter": _Counter, "OrderedDict": _OrderedDict, "defaultdict": _defaultdict,
                            "deque": _deque, "namedtuple": collections.namedtuple}
    table["decimal"] = {"Decimal": _Decimal}
    table["fractions"] = {"Fraction": _Fraction}
    table["datetime"] = {"date": _date, "datetime": _datetime, "time": _time, "timedelta": _timedelta,
                         "timezone": _timezone}
    return table


TRUSTED = _trusted_table()
_TRUSTED_BY_ID = {_id(v): (m, k, v) for m, names in TRUSTED.items() for k, v in names.items()}
_BUILTIN_EXC = {v: k for k, v in TRUSTED["builtins"].items() if _isinstance(v, type) and _issubclass(v, BaseException)}


def trusted_ref(v):
    hit = _TRUSTED_BY_ID.get(_id(v))
    return ("REF", hit[0], hit[1]) if hit is not None and hit[2] is v else None


def exc_base(cls) -> str | None:
    """The built-in exception a class derives from (its mirror's base in the tester), if any."""
    for b in _MRO(cls):
        name = _BUILTIN_EXC.get(b)
        if name is not None:
            return name
    return None


def check_plain(value) -> None:
    """Reject anything marshal can carry that is not a plain data value (e.g. code objects),
    and graphs past the bounds: marshal keeps shared references, so a payload of a few bytes
    can stand for 2**100 nodes; they are counted as visited, not as sent."""
    budget = [MAX_PARTS]
    _check(value, 0, budget)


def _check(value, depth: int, budget: list) -> None:
    t = _type(value)
    if t not in _PLAIN:
        raise TypeError(f"value of type {t.__name__} cannot cross the sandbox boundary")
    if depth > MAX_DEPTH:
        raise Bound(f"a value nested more than {MAX_DEPTH} levels deep")
    if t is dict:
        budget[0] -= 2 * _len(value)
        if budget[0] < 0:
            raise Bound(f"a value of more than {MAX_PARTS} parts")
        for k, v in dict.items(value):
            if _type(k) not in SCALARS:
                _check(k, depth + 1, budget)
            if _type(v) not in SCALARS:
                _check(v, depth + 1, budget)
    elif t in SCALARS:
        return
    else:
        budget[0] -= _len(value)
        if budget[0] < 0:
            raise Bound(f"a value of more than {MAX_PARTS} parts")
        for v in value:
            if _type(v) not in SCALARS:
                _check(v, depth + 1, budget)


# --------------------------------------------------------------------------- encoding


class Encoder:
    """Turns a value into a node. `ref(obj, kind)` makes the node of a non-value object
    (kind: "iter", "fn", "class", "obj"); each side supplies its own."""

    def __init__(self, ref, as_handle=None):
        self.ref = ref
        self.as_handle = as_handle  # as_handle(type) -> True: cross as a handle, not by value
        self.nodes = 0

    def enc(self, v, depth: int = 0):
        t = _type(v)
        if t in SCALARS:
            return v
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise Bound(f"a value of more than {MAX_NODES} parts")
        if depth > MAX_DEPTH:
            raise Bound(f"a value nested more than {MAX_DEPTH} levels deep")
        h = _EXACT.get(t)
        if h is not None:
            return h(self, v, depth + 1)
        return self.other(v, t, depth + 1)

    def seq(self, items, depth: int) -> tuple:
        enc = self.enc
        return _tuple([enc(x, depth) for x in items])

    def flat(self, items, depth: int) -> tuple:
        out = []
        enc = self.enc
        for k, x in items:
            out.append(enc(k, depth))
            out.append(enc(x, depth))
        return _tuple(out)

    def other(self, v, t, depth: int):
        r = trusted_ref(v)
        if r is not None:
            return r
        mro = _MRO(t)
        if _type in mro:  # a class (its metaclass derives from type)
            return self.ref(v, "class")
        for base in mro[1:]:
            conv = _SUBCLASS.get(base)
            if conv is None:
                continue
            if self.as_handle is not None and self.as_handle(mro):
                return self.ref(v, "obj")
            if base is tuple:
                nt = _namedtuple_fields(t)
                if nt is not None:
                    return ("NT", qualname(t).rpartition(".")[2], nt, self.seq(tuple.__getitem__(v, slice(None)), depth))
            return ("SUB", qualname(t), conv(self, v, depth))
        if self.as_handle is not None and self.as_handle(mro):
            return self.ref(v, "obj")  # an instance of a class the tests name: all its methods
        names = _mro_names(mro)
        if "__next__" in names and "__iter__" in names:
            return self.ref(v, "iter")  # a generator, map, zip, list_iterator, itertools, an iterator class
        if callable(v):
            return self.ref(v, "fn")
        return self.ref(v, "obj")


def _mro_names(mro) -> set:
    names: set = set()
    for c in mro:
        if c is not object:
            names.update(_TDICT(c).keys())
    return names


def _namedtuple_fields(t):
    for c in _MRO(t):
        f = _TDICT(c).get("_fields")
        if f is not None:
            if _type(f) is tuple and all(_type(x) is str and x.isidentifier() for x in f):
                return f
            return None
    return None


def _dt_tz(e: Encoder, tz, depth: int):
    if tz is None:
        return None
    if _type(tz) is _timezone:
        off = tz.utcoffset(None)
        return ("TZ", _e_td(e, off, depth), tz.tzname(None))
    return e.enc(tz, depth)  # some other tzinfo: crosses like any object (a handle)


def _e_td(e, v, depth):
    return ("TD", _int_int(v.days), _int_int(v.seconds), _int_int(v.microseconds))


_EXACT = {
    tuple: lambda e, v, d: ("T", e.seq(v, d)),
    list: lambda e, v, d: ("L", e.seq(v, d)),
    set: lambda e, v, d: ("S", e.seq(v, d)),
    frozenset: lambda e, v, d: ("F", e.seq(v, d)),
    dict: lambda e, v, d: ("D", e.flat(dict.items(v), d)),
    bytearray: lambda e, v, d: ("BA", bytes(v)),
    _Counter: lambda e, v, d: ("C", e.flat(dict.items(v), d)),
    _OrderedDict: lambda e, v, d: ("OD", e.flat(_OrderedDict.items(v), d)),
    _defaultdict: lambda e, v, d: ("DD", e.enc(v.default_factory, d), e.flat(dict.items(v), d)),
    _deque: lambda e, v, d: ("DQ", e.seq(v, d), v.maxlen),
    _Decimal: lambda e, v, d: ("DEC", _Decimal.__str__(v)),
    _Fraction: lambda e, v, d: ("FR", _int_int(v.numerator), _int_int(v.denominator)),
    _date: lambda e, v, d: ("DA", v.year, v.month, v.day),
    _datetime: lambda e, v, d: ("DT", v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond,
                                _dt_tz(e, v.tzinfo, d), v.fold),
    _time: lambda e, v, d: ("TI", v.hour, v.minute, v.second, v.microsecond, _dt_tz(e, v.tzinfo, d), v.fold),
    _timedelta: _e_td,
    _timezone: lambda e, v, d: ("TZ", _e_td(e, v.utcoffset(None), d), v.tzname(None)),
    range: lambda e, v, d: ("R", v.start, v.stop, v.step),
    _KEYS: lambda e, v, d: ("KV", e.seq(v, d)),
    _VALUES: lambda e, v, d: ("VV", e.seq(v, d)),
    _ITEMS: lambda e, v, d: ("IV", e.seq(v, d)),
}

# Subclasses of these cross as the base, read through the base's own (C) methods, so an
# override in the subclass (__eq__, __iter__, __index__, __float__, keys, ...) is never used.
_SUBCLASS = {
    int: lambda e, v, d: _int_int(v),
    float: lambda e, v, d: _float_float(v),
    complex: lambda e, v, d: complex(_float_float(complex.real.__get__(v)), _float_float(complex.imag.__get__(v))),
    str: lambda e, v, d: _str_str(v),
    bytes: lambda e, v, d: bytes.__bytes__(v),
    bytearray: lambda e, v, d: ("BA", bytes(memoryview(v))),
    tuple: lambda e, v, d: ("T", e.seq(tuple.__getitem__(v, slice(None)), d)),
    list: lambda e, v, d: ("L", e.seq(list.copy(v), d)),
    set: lambda e, v, d: ("S", e.seq(set.copy(v), d)),
    frozenset: lambda e, v, d: ("F", e.seq(frozenset.copy(v), d)),
    _Counter: lambda e, v, d: ("C", e.flat(dict.items(v), d)),
    _OrderedDict: lambda e, v, d: ("OD", e.flat(_OrderedDict.items(v), d)),
    _defaultdict: lambda e, v, d: ("DD", e.enc(_defaultdict.default_factory.__get__(v), d), e.flat(dict.items(v), d)),
    dict: lambda e, v, d: ("D", e.flat(dict.items(v), d)),
    _deque: lambda e, v, d: ("DQ", e.seq(list(_deque.__iter__(v)), d), _deque.maxlen.__get__(v)),
    _Decimal: lambda e, v, d: ("DEC", _Decimal.__str__(v)),
}


# --------------------------------------------------------------------------- decoding


def _need(cond: bool) -> None:
    if not cond:
        raise Malformed("malformed value")


def _int(x) -> int:
    _need(_type(x) is int)
    return x


def _strv(x) -> str:
    _need(_type(x) is str)
    return x


class Decoder:
    """Turns a node back into a value. `make(tag, node)` builds the objects behind the
    handle tags (IT FN CL H HR G CB CBR); each side supplies its own."""

    HANDLE_TAGS = frozenset({"IT", "FN", "CL", "H", "HR", "G", "CB", "CBR"})

    def __init__(self):
        self.nodes = 0
        self.notes: list[str] = []

    def dec(self, node, depth: int = 0):
        t = _type(node)
        if t in SCALARS:
            return node
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise Bound(f"a value of more than {MAX_NODES} parts")
        if depth > MAX_DEPTH:
            raise Bound(f"a value nested more than {MAX_DEPTH} levels deep")
        _need(t is tuple and _len(node) >= 1)
        tag = node[0]
        h = _DECODE.get(tag) if _type(tag) is str else None
        if h is not None:
            return h(self, node, depth + 1)
        if tag in self.HANDLE_TAGS:
            return self.make(tag, node)
        raise Malformed(f"unknown tag {tag!r}")

    def items(self, payload, depth: int) -> list:
        _need(_type(payload) is tuple)
        dec = self.dec
        return [dec(x, depth) for x in payload]

    def pairs(self, payload, depth: int) -> list:
        xs = self.items(payload, depth)
        _need(_len(xs) % 2 == 0)
        return list(zip(xs[::2], xs[1::2], strict=True))

    def make(self, tag, node):  # pragma: no cover - each side overrides
        raise Malformed(f"{tag} cannot cross in this direction")

    def ref(self, node):
        _need(_len(node) == 3)
        obj = TRUSTED.get(_strv(node[1]), {}).get(_strv(node[2]), _MISSING)
        _need(obj is not _MISSING)
        return obj

    def namedtuple(self, node, depth):
        _need(_len(node) == 4)
        name, fields = _strv(node[1]), node[2]
        _need(_type(fields) is tuple and all(_type(f) is str for f in fields))
        items = self.items(node[3], depth)
        _need(_len(items) == _len(fields))
        key = (name, fields)
        cls = _NT_CLASSES.get(key)
        if cls is None:
            try:
                cls = collections.namedtuple(name if name.isidentifier() else "namedtuple", fields)
            except (ValueError, TypeError):
                raise Malformed("bad namedtuple fields") from None
            if _len(_NT_CLASSES) > 256:
                _NT_CLASSES.clear()
            _NT_CLASSES[key] = cls
        return cls(*items)

    def sub(self, node, depth):
        _need(_len(node) == 3)
        name = _strv(node[1])
        v = self.dec(node[2], depth)
        if _len(self.notes) < 8:
            self.notes.append(f"the candidate's {name} (a subclass of {_type(v).__name__}) crossed as plain data "
                              f"{_type(v).__name__}: its own methods (__eq__, ...) do not run in the tests")
        return v


_MISSING = object()
_NT_CLASSES: dict = {}  # (typename, fields) -> a namedtuple class of this process


def _d_tz(self, node, depth):
    if node is None:
        return None
    if _type(node) is tuple and node and node[0] == "TZ":
        return _d_timezone(self, node, depth)
    return self.dec(node, depth)


def _d_timedelta(self, node, depth):
    _need(_len(node) == 4)
    return _timedelta(days=_int(node[1]), seconds=_int(node[2]), microseconds=_int(node[3]))


def _d_timezone(self, node, depth):
    _need(_len(node) == 3 and _type(node[1]) is tuple)
    off = _d_timedelta(self, node[1], depth)
    name = node[2]
    return _timezone(off) if name is None else _timezone(off, _strv(name))


def _d_dd(self, node, depth):
    _need(_len(node) == 3)
    factory = self.dec(node[1], depth)
    _need(factory is None or callable(factory))
    return _defaultdict(factory, self.pairs(node[2], depth))


def _d_dq(self, node, depth):
    _need(_len(node) == 3 and (node[2] is None or (_type(node[2]) is int and node[2] >= 0)))
    return _deque(self.items(node[1], depth), node[2])


def _d_fr(self, node, depth):
    _need(_len(node) == 3 and _int(node[2]) != 0)
    return _Fraction(_int(node[1]), node[2])


def _d_dec(self, node, depth):
    _need(_len(node) == 2)
    try:
        return _Decimal(_strv(node[1]))
    except decimal.InvalidOperation:
        raise Malformed("bad Decimal") from None


def _fields(node, n):
    _need(_len(node) == n + 1 and all(_type(x) is int for x in node[1:]))
    return node[1:]


def _d_date(self, node, depth):
    try:
        return _date(*_fields(node, 3))
    except (ValueError, OverflowError):
        raise Malformed("bad date") from None


def _d_datetime(self, node, depth):
    _need(_len(node) == 10)
    try:
        return _datetime(*_fields(node[:8], 7), tzinfo=_d_tz(self, node[8], depth), fold=_int(node[9]))
    except (ValueError, OverflowError, TypeError):
        raise Malformed("bad datetime") from None


def _d_time(self, node, depth):
    _need(_len(node) == 7)
    try:
        return _time(*_fields(node[:5], 4), tzinfo=_d_tz(self, node[5], depth), fold=_int(node[6]))
    except (ValueError, OverflowError, TypeError):
        raise Malformed("bad time") from None


def _d_range(self, node, depth):
    try:
        return range(*_fields(node, 3))
    except ValueError:
        raise Malformed("bad range") from None


def _d_bytes(self, node, depth):
    _need(_len(node) == 2 and _type(node[1]) is bytes)
    return bytearray(node[1])


_DECODE = {
    "T": lambda s, n, d: tuple(s.items(n[1], d)) if _len(n) == 2 else _need(False),
    "L": lambda s, n, d: s.items(n[1], d) if _len(n) == 2 else _need(False),
    "S": lambda s, n, d: set(s.items(n[1], d)) if _len(n) == 2 else _need(False),
    "F": lambda s, n, d: frozenset(s.items(n[1], d)) if _len(n) == 2 else _need(False),
    "D": lambda s, n, d: dict(s.pairs(n[1], d)) if _len(n) == 2 else _need(False),
    "BA": _d_bytes,
    "C": lambda s, n, d: _Counter(dict(s.pairs(n[1], d))) if _len(n) == 2 else _need(False),
    "OD": lambda s, n, d: _OrderedDict(s.pairs(n[1], d)) if _len(n) == 2 else _need(False),
    "DD": _d_dd,
    "DQ": _d_dq,
    "DEC": _d_dec,
    "FR": _d_fr,
    "DA": _d_date,
    "DT": _d_datetime,
    "TI": _d_time,
    "TD": _d_timedelta,
    "TZ": _d_timezone,
    "R": _d_range,
    "KV": lambda s, n, d: dict.fromkeys(s.items(n[1], d)).keys() if _len(n) == 2 else _need(False),
    "VV": lambda s, n, d: dict(enumerate(s.items(n[1], d))).values() if _len(n) == 2 else _need(False),
    "IV": lambda s, n, d: dict(s.items(n[1], d)).items() if _len(n) == 2 else _need(False),
    "NT": Decoder.namedtuple,
    "SUB": Decoder.sub,
    "REF": lambda s, n, d: s.ref(n),
}
