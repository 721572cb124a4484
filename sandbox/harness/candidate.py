"""Runs inside the candidate's process: load the untrusted program, then either serve
calls to its functions (function problems) or run it as a script (stdin/stdout problems).

Nothing here decides a verdict. The tester process (another uid) judges function calls;
the host judges stdout. Whatever this process writes can only be "the candidate's answer".
"""

from __future__ import annotations

import builtins
import marshal
import os
import sys
import traceback
import types

if __name__ == "__main__":  # fresh-interpreter mode runs us as a script under -I
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:  # inside the container this file runs as a script next to wire.py
    import wire
except ImportError:  # pragma: no cover - imported as a package on the host
    from . import wire

_MUTABLE = (list, dict, set, bytearray)
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
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_HERE):
        tb = tb.tb_next
    text = "".join(traceback.format_exception(type(exc), exc, tb))
    return text[-TB_CHARS:]


def _describe(ns: dict) -> dict:
    names = {}
    for k, v in list(ns.items()):
        if k.startswith("__"):
            continue
        if isinstance(v, types.ModuleType):
            names[k] = ("module", v.__name__)
        elif callable(v):
            names[k] = ("callable", "")
        else:
            names[k] = ("value", "")
    return names


def serve_function(program: str, chan: int) -> None:
    """Load the program, announce its names, then answer call/get requests until EOF."""
    _fresh_stdio()
    ns: dict = {"__name__": "__codesynth_solution__", "__builtins__": builtins}
    try:
        code = compile(program, "solution.py", "exec")
        exec(code, ns)
        hello = ("ok", _describe(ns))
    except BaseException as e:  # noqa: BLE001 - SystemExit/KeyboardInterrupt at load are failures too
        hello = ("load_error", type(e).__name__, str(e)[:2000], _tb(e))
    _flush()
    wire.send_frame(chan, wire.dumps(hello))
    if hello[0] != "ok":
        return
    while True:
        try:
            req = marshal.loads(wire.recv_frame(chan))  # from the tester (trusted): no need to vet it
        except wire.ChannelClosed:
            return
        op, name = req[0], req[1]
        try:
            if op == "get":
                value = ns[name]
                mutated: list = []
            else:
                args, kwargs = req[2], req[3]
                value = ns[name](*args, **kwargs)
                # In-place mutation of arguments is part of some functions' contract.
                mutated = [(i, a) for i, a in enumerate(args) if type(a) in _MUTABLE]
                mutated += [(k, a) for k, a in kwargs.items() if type(a) in _MUTABLE]
        except BaseException as e:  # noqa: BLE001
            _flush()
            msg = ("exc", type(e).__name__, _safe_str(e), _tb(e))
            payload = wire.dumps(msg)
        else:
            _flush()
            try:
                payload = wire.dumps(("ok", value, mutated))
            except (ValueError, RecursionError):
                payload = wire.dumps(("bad", type(value).__name__))
        wire.send_frame(chan, payload)


def _safe_str(e: BaseException) -> str:
    try:
        return str(e)[:2000]
    except BaseException:  # noqa: BLE001 - a hostile __str__
        return "<unprintable exception>"


def run_script(program: str, status: int) -> int:
    """Run a stdin/stdout program as __main__; return its exit code like python would."""
    _fresh_stdio()
    sys.argv = ["main.py"]
    ns: dict = {"__name__": "__main__", "__builtins__": builtins, "__file__": "main.py"}
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
    _flush()
    return code_rc


def main() -> None:  # fresh-interpreter mode: `python3 -I candidate.py function|io`
    mode = sys.argv[1]
    program = wire.recv_frame(4).decode("utf-8", "replace")
    os.close(4)
    if mode == "function":
        serve_function(program, 3)
        rc = 0
    else:
        rc = run_script(program, 3)
    _flush()
    os._exit(rc)


if __name__ == "__main__":
    main()
