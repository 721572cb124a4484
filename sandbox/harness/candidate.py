"""Runs inside the candidate's process: load the untrusted program, then either serve
calls to its functions (function problems) or run it as a script (stdin/stdout problems).

Nothing here decides a verdict. The tester process (another uid) judges function calls;
the host judges stdout. Whatever this process writes can only be "the candidate's answer".
"""

from __future__ import annotations

import builtins
import marshal
import operator
import os
import sys
import traceback
import types

# Module-level bindings of the builtins used here shadow the `builtins` module: a program that
# replaces builtins.isinstance (or any other) in its own process changes nothing in the harness.
from builtins import (  # noqa: UP029
    BaseException,
    EOFError,
    Exception,
    OSError,
    RecursionError,
    StopIteration,
    TypeError,
    ValueError,
    bool,
    bytes,
    callable,
    delattr,
    dict,
    enumerate,
    getattr,
    int,
    isinstance,
    issubclass,
    len,
    list,
    next,
    object,
    range,
    repr,
    set,
    setattr,
    sorted,
    str,
    super,
    tuple,
    type,
)

if __name__ == "__main__":  # fresh-interpreter mode runs us as a script under -I
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:  # inside the container this file runs as a script next to wire.py
    import crossing
    import exits
    import wire
except ImportError:  # pragma: no cover - imported as a package on the host
    from . import crossing, exits, wire

# Bound at import, before any candidate code: the program may replace builtins (isinstance,
# callable, type, ...), marshal or module attributes in its own process; the harness keeps
# using the originals, so what it reports is what the program really did.
_type, _issubclass, _callable, _len, _id = type, issubclass, callable, len, id
_enumerate, _tuple, _dict, _list, _set, _sorted, _range, _str, _bool = (
    enumerate, tuple, dict, list, set, sorted, range, str, bool)
_getattr, _setattr, _delattr, _next = getattr, setattr, delattr, next
_BaseException, _StopIteration = BaseException, StopIteration
_ModuleType = types.ModuleType
_send, _recv, _dumps, _loads = wire.send_frame, wire.recv_frame, marshal.dumps, marshal.loads
_format_exception = traceback.format_exception
_flush_out, _flush_err = sys.stdout, sys.stderr

TB_CHARS = 4000


def _fresh_stdio() -> None:
    """Point sys.std* at fds 0-2, which the parent has just replaced with our pipes.

    In a fork the inherited objects already wrap fds 0-2 and hold no buffered data (the
    supervisor never writes through them), so they are reused: building new ones costs
    more page faults than the rest of the set-up. A fresh interpreter has its own.
    """
    sys.stdout = sys.__stdout__
    sys.stderr = sys.__stderr__
    sys.stdin = sys.__stdin__


def _flush() -> None:
    for s in (sys.stdout, sys.stderr):
        try:
            s.flush()
        except BaseException:
            pass


_HERE = os.path.dirname(os.path.abspath(__file__))


def _tb(exc: BaseException) -> str:
    """The traceback as the candidate would see it: our own frames left out."""
    try:
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_HERE):
            tb = tb.tb_next
        text = "".join(_format_exception(_type(exc), exc, tb))
        return _str_str(text)[-TB_CHARS:]
    except BaseException:  # noqa: BLE001 - the program broke the traceback module in its own process
        return ""


def _describe(ns: dict) -> dict:
    names = {}
    for k, v in list(dict.items(ns)):
        if _type(k) is not str or k.startswith("__"):
            continue
        t = _type(v)
        if _issubclass(t, _ModuleType):
            try:
                names[k] = ("module", _str_str(v.__name__))
            except BaseException:  # noqa: BLE001 - a module object with a hostile name
                names[k] = ("value", "")
        elif _issubclass(t, type):
            names[k] = ("class", "")
        elif _callable(v):
            ref = crossing.trusted_ref(v)  # `from math import isclose`: the tester uses its own
            names[k] = ("ref", ref[1], ref[2]) if ref is not None else ("callable", "")
        else:
            names[k] = ("value", "")
    return names


_str_str = str.__str__
_MUTABLE = frozenset({list, dict, set, bytearray, crossing._Counter, crossing._OrderedDict,
                      crossing._defaultdict, crossing._deque})


class TesterRef:
    """In the candidate: a function or iterator the tests passed in. Calling it (or next())
    asks the tester to run it; the answer crosses back by the same rules."""

    __slots__ = ("_side", "_cb", "_iter", "__name__")

    def __init__(self, side, cb: int, is_iter: bool, name: str):
        self._side, self._cb, self._iter, self.__name__ = side, cb, is_iter, name

    def __call__(self, *args, **kwargs):
        return self._side.callback(self._cb, "call", args, kwargs)

    def __iter__(self):
        if not self._iter:
            raise TypeError(f"'{self.__name__}' object is not iterable")
        return self

    def __next__(self):
        if not self._iter:
            raise TypeError(f"'{self.__name__}' object is not an iterator")
        return self._side.callback(self._cb, "next", (), {})

    def __repr__(self) -> str:
        return f"<tests' {self.__name__}>"


class CandidateDecoder(crossing.Decoder):
    def __init__(self, side):
        super().__init__()
        self.side = side

    def make(self, tag, node):
        side = self.side
        if tag == "HR":
            obj = side.handles.get(node[1], _MISSING) if _len(node) == 2 else _MISSING
            if obj is _MISSING:
                raise crossing.Malformed("unknown handle")
            return obj
        if tag == "G" and _len(node) == 2:
            return side.ns[node[1]]
        if tag == "CB" and _len(node) == 4:
            ref = side.refs.get(node[1])
            if ref is None:
                ref = side.refs[node[1]] = TesterRef(side, node[1], _bool(node[2]), _str(node[3]))
            return ref
        raise crossing.Malformed(f"unexpected {tag}")


_MISSING = object()
_OPS = {
    "len": len, "iter": iter, "next": next, "bool": bool, "repr": repr, "str": str, "hash": hash,
    "format": format, "reversed": reversed, "int": int, "float": float, "complex": complex,
    "index": operator.index, "round": round, "abs": abs, "neg": operator.neg, "pos": operator.pos,
    "invert": operator.invert, "contains": lambda o, x: x in o, "getitem": operator.getitem,
    "setitem": operator.setitem, "delitem": operator.delitem, "call": lambda o, *a, **k: o(*a, **k),
    "enter": lambda o: _type(o).__enter__(o), "exit": lambda o, *a: _type(o).__exit__(o, *a),
    "instancecheck": lambda cls, o: isinstance(o, cls), "subclasscheck": lambda cls, c: issubclass(c, cls),
    "dir": dir,
}
for _n in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor",
           "lshift", "rshift", "eq", "ne", "lt", "le", "gt", "ge"):
    _f = getattr(operator, _n + "_" if _n in ("and", "or") else _n)
    _OPS[_n] = _f
    _OPS["r" + _n] = (lambda f: lambda o, x: f(x, o))(_f)
    _OPS["i" + _n] = _f
_OPS["divmod"], _OPS["rdivmod"] = divmod, lambda o, x: divmod(x, o)
_GEN_METHODS = frozenset({"send", "throw", "close"})


class CandidateSide:
    """The candidate's end of the channel: its objects, the handles the tests hold on them."""

    def __init__(self, ns: dict, chan: int):
        self.ns, self.chan = ns, chan
        self.handles: dict[int, object] = {}
        self.ids: dict[int, int] = {}
        self.methods: dict[int, tuple] = {}
        self.refs: dict[int, TesterRef] = {}
        self.pending: dict[int, BaseException] = {}
        self.named: set[int] = set()  # ids of classes the tests fetched by name
        self.depth = 0

    # ---- values out
    def ref(self, v, kind: str):
        if _type(v) is TesterRef:
            return ("CBR", v._cb)
        hid = self.ids.get(_id(v))
        if hid is None or self.handles.get(hid) is not v:
            if _len(self.handles) >= crossing.MAX_HANDLES:
                raise crossing.Bound(f"more than {crossing.MAX_HANDLES} objects handed to the tests")
            hid = _len(self.handles) + 1
            self.handles[hid] = v
            self.ids[_id(v)] = hid
        t = _type(v)
        if kind == "iter":
            return ("IT", hid, crossing.qualname(t))
        if kind == "class":
            return ("CL", hid, crossing.qualname(v), crossing.exc_base(v))
        if kind == "fn":
            return ("FN", hid, _name_of(v))
        return ("H", hid, crossing.qualname(t), self._methods(t), self._classes(t))

    def _classes(self, t) -> tuple:
        """Handle ids of the program's own classes in the object's MRO: the tester gives the
        object operators (+, in, ...) only when its class is one the tests name."""
        out = []
        for c in crossing._MRO(t)[:8]:
            if crossing._TFLAGS(c) & crossing._HEAPTYPE:
                hid = self.ids.get(_id(c))
                if hid is None or self.handles.get(hid) is not c:
                    if _len(self.handles) >= crossing.MAX_HANDLES:
                        raise crossing.Bound(f"more than {crossing.MAX_HANDLES} objects handed to the tests")
                    hid = _len(self.handles) + 1
                    self.handles[hid] = c
                    self.ids[_id(c)] = hid
                out.append(hid)
        return _tuple(out)

    def as_handle(self, mro) -> bool:
        """An instance of a class the tests name, even one deriving from list or dict (`class
        Stack(list)`), is the tests' object to call methods on: it crosses as a handle."""
        named = self.named
        return bool(named) and any(_id(c) in named for c in mro)

    def _methods(self, t) -> tuple:
        """Names of plain functions on the type: `obj.m(...)` is then one round trip, not two."""
        got = self.methods.get(_id(t))
        if got is None:
            names = _set()
            for c in crossing._MRO(t):
                if c is object:
                    continue
                for k, v in crossing._TDICT(c).items():
                    if _type(k) is str and not k.startswith("__") and _type(v) is types.FunctionType:
                        names.add(k)
            got = self.methods[_id(t)] = _tuple(_sorted(names))
        return got

    def reply(self, value, mutated: list) -> bytes:
        try:
            payload = _dumps(("ok", value, mutated))
        except ValueError:
            payload = None
        except _BaseException:  # noqa: BLE001 - e.g. RecursionError on a self-containing list
            payload = None
        if payload is not None and (_type(value) not in crossing.SCALARS or mutated):
            try:
                crossing.check_plain(value)
                crossing.check_plain(mutated)
            except crossing.Bound as b:
                return _dumps(("bad", f"the answer is too large to cross the sandbox boundary: {b}"))
            except TypeError:
                payload = None  # e.g. a bytearray inside, which marshal would turn into bytes
        if payload is None:
            try:
                enc = crossing.Encoder(self.ref, self.as_handle)
                payload = _dumps(("ok*", enc.enc(value), enc.enc(mutated)))
            except crossing.Bound as b:
                payload = _dumps(("bad", f"the answer is too large to cross the sandbox boundary: {b}"))
            except _BaseException as e:  # noqa: BLE001
                payload = _dumps(("bad", f"the answer could not cross the sandbox boundary "
                                         f"({_type(e).__name__}: {_safe_str(e)})"))
        if _len(payload) > crossing.MAX_MESSAGE:
            payload = _dumps(("bad", f"the answer is too large to cross the sandbox boundary "
                                     f"({_len(payload)} bytes; the limit is {crossing.MAX_MESSAGE})"))
        return payload

    def exc_reply(self, e: BaseException) -> bytes:
        t = _type(e)
        try:
            cls_node = crossing.Encoder(self.ref, self.as_handle).enc(t)
        except _BaseException:  # noqa: BLE001
            cls_node = None
        return _dumps(("exc", crossing.qualname(t), _safe_str(e), _tb(e), cls_node))

    # ---- requests in
    def decode(self, node):
        return CandidateDecoder(self).dec(node)

    def handle(self, msg) -> bytes:
        """Answer one request of the tester (never raises: errors are the answer)."""
        mutated: list = []
        try:
            op = msg[0]
            if op == "call":
                args, kwargs = msg[2], msg[3]
                value = self.ns[msg[1]](*args, **kwargs)
                mutated = _mutated(args, kwargs)
            elif op == "get":
                value = self.ns[msg[1]]
                if _issubclass(_type(value), type):
                    self.named.add(_id(value))
            else:
                value, mutated = self._slow(op, msg)
        except _BaseException as e:  # noqa: BLE001 - SystemExit too: it is this call's outcome
            _flush()
            return self.exc_reply(e)
        _flush()
        return self.reply(value, mutated)

    def _slow(self, op, msg):
        if op == "call*":
            args, kwargs = self.decode(msg[2]), self.decode(msg[3])
            return self.ns[msg[1]](*args, **kwargs), _mutated(args, kwargs)
        obj = self.handles[msg[1]]
        if op == "hcall":
            args, kwargs = self.decode(msg[2]), self.decode(msg[3])
            return obj(*args, **kwargs), _mutated(args, kwargs)
        if op == "calla":
            args, kwargs = self.decode(msg[3]), self.decode(msg[4])
            return _getattr(obj, msg[2])(*args, **kwargs), _mutated(args, kwargs)
        if op == "hget":
            return _getattr(obj, msg[2]), []
        if op == "hset":
            _setattr(obj, msg[2], self.decode(msg[3]))
            return None, []
        if op == "hdel":
            _delattr(obj, msg[2])
            return None, []
        if op == "op":
            args = self.decode(msg[3])
            return _OPS[msg[2]](obj, *args), []
        if op == "next":
            self._raise_pending(msg[1])
            return _next(obj), []
        if op == "drain":
            return self._drain(msg[1], obj), []
        if op == "gen" and msg[2] in _GEN_METHODS:
            return _getattr(obj, msg[2])(*self.decode(msg[3])), []
        raise crossing.Malformed(f"unknown request {op!r}")

    def _raise_pending(self, hid: int) -> None:
        e = self.pending.pop(hid, None)
        if e is not None:
            raise e

    def _drain(self, hid: int, it):
        """The tests materialise the iterator (list(), sorted(), ...): up to a batch of items."""
        self._raise_pending(hid)
        items = []
        done = False
        for _ in _range(crossing.DRAIN_ITEMS):
            try:
                items.append(_next(it))
            except _StopIteration:
                done = True
                break
            except _BaseException as e:  # noqa: BLE001 - raised after the items before it
                if not items:
                    raise
                self.pending[hid] = e
                break
        return (items, done)

    def callback(self, cb: int, op: str, args, kwargs):
        """Ask the tester to run one of its functions; serve its requests while we wait."""
        if self.depth >= crossing.MAX_NESTING:
            raise RecursionError(f"callbacks into the tests nested more than {crossing.MAX_NESTING} deep")
        enc = crossing.Encoder(self.ref, self.as_handle)
        payload = _dumps(("cb", cb, op, enc.enc(_tuple(args)), enc.enc(_dict(kwargs))))
        _flush()
        _send(self.chan, payload)
        self.depth += 1
        try:
            return self._wait()
        finally:
            self.depth -= 1

    def _wait(self):
        while True:
            msg = _loads(_recv(self.chan))
            kind = msg[0]
            if kind == "r":
                return self.decode(msg[1])
            if kind == "rexc":
                raise _rebuild(msg[1], msg[2])
            _send(self.chan, self.handle(msg))

    def serve(self) -> None:
        while True:
            try:
                msg = _loads(_recv(self.chan))  # from the tester (trusted): no need to vet it
            except (wire.ChannelClosed, OSError, EOFError, ValueError):
                return
            _send(self.chan, self.handle(msg))


def _rebuild(name: str, msg: str) -> BaseException:
    """An exception the tests' function raised, as the candidate sees it."""
    t = crossing.TRUSTED["builtins"].get(name)
    if _type(t) is type and _issubclass(t, Exception):
        try:
            return t(msg)
        except _BaseException:  # noqa: BLE001
            pass
    return Exception(f"{name}: {msg}")


def _mutated(args, kwargs) -> list:
    # In-place mutation of arguments is part of some functions' contract.
    out = [(i, a) for i, a in _enumerate(args) if _type(a) in _MUTABLE]
    if kwargs:
        out += [(k, a) for k, a in dict.items(kwargs) if _type(a) in _MUTABLE]
    return out


def _name_of(f) -> str:
    try:
        n = f.__name__
        return _str_str(n)[:200] if _issubclass(_type(n), str) else "function"
    except _BaseException:  # noqa: BLE001
        return "function"


def _module_namespace(name: str, filename: str) -> dict:
    """The program's globals, as a module in sys.modules: dataclasses, pickle, typing and
    enum look their class's module up there, as they would in `python solution.py`."""
    mod = _ModuleType(name)
    mod.__dict__.update({"__builtins__": builtins, "__file__": filename})
    sys.modules[name] = mod
    return mod.__dict__


# Created once, before any fork: a candidate process only fills its namespace (a few pages of
# its own) instead of growing sys.modules, which is shared with the zygote.
_SOLUTION = _ModuleType("__codesynth_solution__")
_SOLUTION.__dict__.update({"__builtins__": builtins, "__file__": "solution.py"})
sys.modules["__codesynth_solution__"] = _SOLUTION


def serve_function(program: str, chan: int) -> None:
    """Load the program, announce its names, then answer the tester's requests until EOF."""
    _fresh_stdio()
    ns = _SOLUTION.__dict__
    try:
        code = compile(program, "solution.py", "exec")
        exec(code, ns)
        hello = ("ok", _describe(ns))
    except _BaseException as e:  # noqa: BLE001 - SystemExit/KeyboardInterrupt at load are failures too
        hello = ("load_error", crossing.qualname(_type(e)), _safe_str(e), _tb(e))
    _flush()
    _send(chan, _dumps(hello))
    if hello[0] != "ok":
        return
    CandidateSide(ns, chan).serve()


def _safe_str(e: BaseException) -> str:
    try:
        s = _str(e)
        return _str_str(s)[:2000] if _issubclass(_type(s), str) else "<unprintable exception>"
    except BaseException:  # noqa: BLE001 - a hostile __str__
        return "<unprintable exception>"


_WARM_PROGRAM = "def f(x, y=None):\n    return [x, {'k': (x, 1.5)}] if y is None else y.append(x)\n"


def warm() -> None:
    """Run the request loop on a dummy program in this process (the zygote, before it forks).

    CPython specializes bytecode in place the first times a function runs; done in every
    fresh candidate, that writes to (and copies) the pages of each harness function it
    runs. Done once here, forks find it done."""
    import socket

    ns = _ModuleType("__codesynth_warm__").__dict__
    ns["__builtins__"] = builtins
    exec(_WARM_PROGRAM, ns)  # noqa: S102 - our own constant
    a, b = socket.socketpair()
    try:
        msgs = [("call", "f", (1,), {}), ("call", "f", ([1, 2],), {}), ("call", "f", ("s", []), {}),
                ("get", "f"), ("call", "g", (), {})] * 4
        for m in msgs:
            _send(b.fileno(), _dumps(m))
        b.shutdown(socket.SHUT_WR)
        _describe(ns)
        CandidateSide(ns, a.fileno()).serve()
        a.close()
        while True:
            try:
                _recv(b.fileno())
            except (wire.ChannelClosed, OSError):
                break
    finally:
        a.close()
        b.close()


def run_script(program: str, status: int) -> int:
    """Run a stdin/stdout program as __main__; return its exit code like python would."""
    _fresh_stdio()
    exits.fresh_exit_state()
    sys.argv = ["main.py"]
    ns = _module_namespace("__main__", "main.py")
    code = None
    code_rc = 0
    try:
        code = compile(program, "main.py", "exec")
        exec(code, ns)
    except SystemExit as e:
        c = e.code
        if c is None:
            code_rc = 0
        elif isinstance(c, int):
            code_rc = c & 0xFF
        else:
            print(c, file=sys.stderr)
            code_rc = 1
    except BaseException as e:  # noqa: BLE001
        sys.stderr.write(_tb(e))
        try:
            wire.send_frame(status, wire.dumps((type(e).__name__, _safe_str(e))))
        except OSError:
            pass
        code_rc = 1
    # Threads, atexit handlers, finalizers, the last flush: as after `python main.py`.
    del ns, code  # the namespace must die with __main__ (its objects' finalizers run)
    if not exits.finish_script("__main__") and code_rc == 0:
        code_rc = 120
    return code_rc


def main() -> None:  # fresh-interpreter mode: `python3 -I candidate.py function|io`
    leave = exits.leave  # a local, bound before the program runs (see exits.py)
    rc = 70
    try:
        mode = sys.argv[1]
        program = wire.recv_frame(4).decode("utf-8", "replace")
        os.close(4)
        if mode == "function":
            serve_function(program, 3)
            rc = 0
        else:
            rc = run_script(program, 3)
        _flush()
    finally:
        leave(rc)


if __name__ == "__main__":
    main()
