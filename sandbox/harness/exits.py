"""How the harness's forked children end, and how a script run ends like `python main.py`.

A forked child runs untrusted code (a program, model-written tests) inside a copy of the
supervisor, zygote or tester. If the way out after that code depended on anything the code
can rebind (`os._exit = None` is a common anti-exit header; `sys.exit`, `os.kill`, signal
handlers that raise), the child would fall back into its parent's loop and speak its
protocol into the program's own stdout or compete for its parent's sockets. So the way out
uses references taken here, at import, before any program runs, and each caller binds
`leave` to a local before the fork: rebinding a module attribute (of os, sys, builtins or
of this harness's own modules) changes nothing about how the child ends.

What is left to a hostile program is its own process (ctypes, frame surgery): the worst it
can then do is write into its own outputs or pick its own exit status, both of which it
could do directly, so no verdict can be gained that way.
"""

from __future__ import annotations

import atexit
import gc
import os
import signal
import sys
import weakref

# Shadow `builtins`: a program replacing builtins.isinstance changes nothing here.
from builtins import BaseException, getattr, isinstance, list, str  # noqa: UP029

_EXIT, _KILL, _GETPID = os._exit, os.kill, os.getpid
_SIGMASK, _BLOCK, _ALL, _SIGKILL = signal.pthread_sigmask, signal.SIG_BLOCK, signal.valid_signals(), signal.SIGKILL
_SETTRACE, _SETPROFILE = sys.settrace, sys.setprofile
_RUN_ATEXIT, _CLEAR_ATEXIT = atexit._run_exitfuncs, atexit._clear
_COLLECT, _MODULES, _WEAKREF = gc.collect, sys.modules, weakref.ref
_STDOUT, _STDERR = "stdout", "stderr"


def leave(rc: int, _exit=_EXIT, _kill=_KILL, _getpid=_GETPID, _mask=_SIGMASK) -> None:
    """End this process now with exit status `rc` and never return.

    Signals are blocked first: a handler the program installed (SIGALRM, an interval timer)
    cannot raise between here and the exit. Should even the exit fail, the process kills
    itself rather than return into harness code."""
    try:
        _mask(_BLOCK, _ALL)
    finally:
        try:
            _exit(rc)
        finally:
            _kill(_getpid(), _SIGKILL)


def fresh_exit_state() -> None:
    """In a child about to run a script: no exit handlers but the program's own (a fork
    inherits its parent's registry, a fresh `python main.py` starts with none)."""
    _CLEAR_ATEXIT()


def finish_script(module: str = "__main__") -> bool:
    """What CPython does after a script's last line (Py_FinalizeEx), in its order: wait for
    the program's non-daemon threads, run its atexit handlers, drop `__main__` and collect
    (objects' `__del__` run while their globals still exist), clear what survives, flush
    stdout and stderr (False: stdout could not be). An honest program that prints from a
    thread, an atexit handler or a finalizer gets the output `python main.py` gives it.
    The caller must hold no reference to the module's namespace."""
    _SETTRACE(None)
    _SETPROFILE(None)
    threading = _MODULES.get("threading")
    if threading is not None:
        try:
            threading._shutdown()  # looked up now, as the interpreter does
        except BaseException:  # noqa: BLE001 - the interpreter ignores it too (after printing)
            pass
    try:
        _RUN_ATEXIT()  # prints a failing handler's traceback and goes on, as at a real exit
    except BaseException:  # noqa: BLE001
        pass
    mod = _MODULES.pop(module, None)
    alive = _WEAKREF(mod) if mod is not None else None
    del mod
    _collect()
    mod = alive() if alive is not None else None
    if mod is not None:
        # Still referenced: cleared as finalize_modules does, "_" names first, each set to None.
        ns = mod.__dict__
        del mod
        for underscore in (True, False):
            for k in list(ns):
                if isinstance(k, str) and k != "__builtins__" and k.startswith("_") is underscore:
                    try:
                        ns[k] = None
                    except BaseException:  # noqa: BLE001 - a __del__ raising is printed and ignored
                        pass
        del ns
        _collect()
    return flush_stdio()


def _collect() -> None:
    try:
        _COLLECT()
    except BaseException:  # noqa: BLE001
        pass


def flush_stdio() -> bool:
    """Flush the program's sys.stdout and sys.stderr (whatever it set them to); False if
    stdout could not be flushed (CPython then exits 120)."""
    ok = True
    sysmod = _MODULES.get("sys")
    for name in (_STDOUT, _STDERR):
        try:
            stream = getattr(sysmod, name, None)
            if stream is not None:
                stream.flush()
        except BaseException:  # noqa: BLE001
            if name == _STDOUT:
                ok = False
    return ok
