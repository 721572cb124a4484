"""Runs in the tester process: executes the problem's test code against the candidate,
which lives in another process (another uid) and is reached only through proxies.

Every top-level statement that contains an assert (in `check` or at module level) is
one counted test; a failing one is recorded and the next one still runs, which gives
honest partial credit and a precise failure message for feedback.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import json
import os
import sys
import traceback

try:
    import crossing as _crossing
    import exits
    import pytest_run as _pytest_run
    import remote as _remote
    import wire
except ImportError:  # pragma: no cover
    from . import crossing as _crossing
    from . import exits, wire
    from . import pytest_run as _pytest_run
    from . import remote as _remote

CandidateDied, CandidateError, BoundaryError = _remote.CandidateDied, _remote.CandidateError, _remote.BoundaryError
Remote, RemoteFunction = _remote.Remote, _remote.RemoteFunction

MAX_OUTCOMES = 200
REPR_CHARS = 300


def _short(v) -> str:
    try:
        r = repr(v)
    except Exception:  # noqa: BLE001
        r = f"<{type(v).__name__}>"
    return r if len(r) <= REPR_CHARS else r[: REPR_CHARS - 3] + "..."


class TestGlobals(dict):
    """Globals for the test code: names it does not define resolve to the candidate's."""

    def __init__(self, remote: Remote, names: dict):
        super().__init__()
        self._remote = remote
        self._names = names
        self.own: set[str] = set()  # the entry point and the problem's listed names

    def __missing__(self, key):
        b = builtins.__dict__
        if key in b:
            return b[key]
        v = self.candidate(key)
        self[key] = v
        return v

    def candidate(self, key: str):
        """The program's object named `key` (KeyError if it defines none)."""
        kind = self._names.get(key)
        if kind is None:
            raise KeyError(key)
        if kind[0] == "module":
            return importlib.import_module(kind[1])
        if key in sys.stdlib_module_names and key not in self.own:
            # Tests that use `math`, `re`, ... mean the module, not whatever the program bound to
            # that name (a fake namespace whose isclose always says yes).
            return importlib.import_module(key)
        if kind[0] == "ref":  # e.g. `from math import isclose`: the genuine function, here
            obj = _crossing.TRUSTED.get(kind[1], {}).get(key if len(kind) < 3 else kind[2])
            if obj is not None:
                return obj
        if kind[0] == "callable":
            return RemoteFunction(self._remote, key)
        v = self._remote.request(("get", key))[0]  # classes, values
        if isinstance(v, _remote.RemoteClass):
            self._remote.named.add(v._cs_hid)
        return v


class Recorder:
    """Each test's outcome, marked private or public here, where the test's own line is known
    (`private_lines`: the [from, to) lines of the tests that are private; None: none is). A
    test whose line is unknown counts as private: its content is never shown."""

    def __init__(self, remote: Remote | None = None, private_lines: list | None = None):
        self.remote = remote
        self.private_lines = private_lines
        self.outcomes: list[dict] = []
        self.total = 0
        self.passed = 0
        self.first_error: BaseException | None = None
        self.first_kind = "AssertionError"

    def case(self, name: str, line: int | None = None):
        return _Case(self, name, line)

    def private(self, line: int | None) -> bool:
        if not self.private_lines:
            return False
        return line is None or self.private_lines[0] <= line < self.private_lines[1]

    def record(self, name: str, ok: bool, message: str | None = None, line: int | None = None) -> None:
        self.total += 1
        self.passed += ok
        if len(self.outcomes) < MAX_OUTCOMES:
            self.outcomes.append({"name": name, "passed": ok, "message": message, "private": self.private(line)})


class _Case:
    def __init__(self, rec: Recorder, name: str, line: int | None):
        self.rec, self.name, self.line = rec, name, line

    def __enter__(self):
        r = self.rec.remote
        self.notes_from = len(r.notes) if r is not None else 0
        return self

    def __exit__(self, et, ev, tb):
        if et is None:
            self.rec.record(self.name, True, line=self.line)
            return False
        if not issubclass(et, Exception):
            return False  # CandidateDied, KeyboardInterrupt: abort the run
        if self.rec.first_error is None:
            self.rec.first_error = ev
            self.rec.first_kind = _failure_kind(ev)
        msg = _describe_failure(ev)
        r = self.rec.remote
        if r is not None and len(r.notes) > self.notes_from:
            # Why an answer that looks right is not: it did not cross as the type it claims to be.
            seen = list(dict.fromkeys(r.notes[self.notes_from:]))[:2]
            msg = (msg + "".join(f"\n  note: {n}" for n in seen))[:2500]
        self.rec.record(self.name, False, msg, self.line)
        return True


def _failure_kind(e: BaseException) -> str:
    """Who failed: the candidate raised (its exception's name), or the tests rejected its answer."""
    if isinstance(e, BoundaryError):
        return "BoundaryLimit"
    if getattr(e, "remote_traceback", None) is not None:
        name = getattr(e, "remote_name", None)
        if isinstance(name, str) and name:
            return name.rpartition(".")[2]
        return type(e).__name__ if not isinstance(e, CandidateError) else str(e).split(":", 1)[0]
    if isinstance(e, AssertionError):
        return "AssertionError"
    # e.g. `abs(None - 0.5)` in the tests: the answer had the wrong type -> a wrong answer
    return "WrongAnswer"


def _describe_failure(e: BaseException) -> str:
    if isinstance(e, AssertionError):
        return str(e) or "assertion failed"
    msg = f"{type(e).__name__}: {e}"
    rtb = getattr(e, "remote_traceback", None)
    if rtb:
        msg += "\n" + rtb.strip()[-1500:]
    return msg[:2000]


_OPS = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in",
}


def _fmt_compare(left, op: str, right, src: str, user_msg=None) -> str:
    note = f"\n  message: {_short(user_msg)}" if user_msg is not None else ""
    if op == "==":
        return f"{src}\n  expected: {_short(right)}\n  got:      {_short(left)}{note}"
    return f"{src}\n  {_short(left)} {op} {_short(right)} is false{note}"


def _first_line(lines: list[str], node: ast.AST) -> str:
    """The first source line of `node` (ast.get_source_segment re-splits the source each call)."""
    try:
        raw = lines[node.lineno - 1].encode()  # type: ignore[attr-defined]
        end = node.end_col_offset if node.end_lineno == node.lineno else len(raw)  # type: ignore[attr-defined]
        return raw[node.col_offset:end].decode("utf-8", "replace")  # type: ignore[attr-defined]
    except (AttributeError, IndexError, TypeError):
        return ""


_COMPOUND = (ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith, ast.Try)


def _source(lines: list[str], node: ast.AST, limit: int) -> str:
    """One line of source for a statement: as written when it fits on a line; a multi-line
    assert (say a list literal over several lines) unparsed whole rather than cut at its first
    line's `[`. A compound statement (a loop of asserts) is named by its header line."""
    if isinstance(node, _COMPOUND) or getattr(node, "end_lineno", None) == getattr(node, "lineno", None):
        text = _first_line(lines, node).strip()
    else:
        try:
            text = ast.unparse(node)
        except Exception:  # noqa: BLE001 - a name is only a name; never fail a run over it
            text = _first_line(lines, node).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Instrument(ast.NodeTransformer):
    """Give asserts informative messages: `assert f(x) == y` reports what f(x) returned."""

    def __init__(self, lines: list[str]):
        self.lines = lines

    def visit_FunctionDef(self, node):  # nested defs keep their own semantics
        return node

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_ClassDef = visit_FunctionDef

    def visit_Assert(self, node: ast.Assert):
        t = node.test
        if not (isinstance(t, ast.Compare) and len(t.ops) == 1):
            return node
        op = _OPS.get(type(t.ops[0]))
        if op is None:
            return node
        src = _source(self.lines, node, 300) or "assert ..."
        lname, rname = "__cs_l", "__cs_r"
        assign_l = ast.Assign(targets=[ast.Name(lname, ast.Store())], value=t.left)
        assign_r = ast.Assign(targets=[ast.Name(rname, ast.Store())], value=t.comparators[0])
        cmp = ast.Compare(left=ast.Name(lname, ast.Load()), ops=t.ops, comparators=[ast.Name(rname, ast.Load())])
        msg = ast.Call(
            func=ast.Name("__cs_fmt__", ast.Load()),
            args=[ast.Name(lname, ast.Load()), ast.Constant(op), ast.Name(rname, ast.Load()), ast.Constant(src),
                  node.msg if node.msg is not None else ast.Constant(None)],
            keywords=[],
        )
        new = [assign_l, assign_r, ast.Assert(test=cmp, msg=msg)]
        for n in new:
            ast.copy_location(n, node)
        return new


def _has_assert(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Assert) for n in ast.walk(node))


def _is_trivial_assert(node: ast.stmt) -> bool:
    # `assert True, "..."` lines in HumanEval are debugging markers, not tests.
    return isinstance(node, ast.Assert) and isinstance(node.test, ast.Constant)


def _wrap_body(body: list[ast.stmt], lines: list[str], where: str) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or not _has_assert(stmt):
            out.append(stmt)
            continue
        if _is_trivial_assert(stmt):
            continue
        instrumented = _Instrument(lines).visit(stmt)
        stmts = instrumented if isinstance(instrumented, list) else [instrumented]
        name = f"{where}:{stmt.lineno}: {_source(lines, stmt, 300)}"
        w = ast.With(
            items=[
                ast.withitem(
                    context_expr=ast.Call(
                        func=ast.Name("__cs_case__", ast.Load()), args=[ast.Constant(name), ast.Constant(stmt.lineno)],
                        keywords=[]
                    )
                )
            ],
            body=stmts,
        )
        ast.copy_location(w, stmt)
        out.append(w)
    return out


def instrument(source: str, tree: ast.Module | None = None) -> tuple[ast.Module, bool]:
    """Wrap counted tests at module level and in `check`; return (tree, defines_check).

    `tree`, if given, is `ast.parse(source)` already done (it is changed in place)."""
    if tree is None:
        tree = ast.parse(source, filename="tests.py")
    # Line breaks as the parser counts them (str.splitlines also breaks on \f, \u2028, ...).
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    has_check = False
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "check":
            node.body = _wrap_body(node.body, lines, "check") or [ast.Pass()]
            has_check = True
    tree.body = _wrap_body(tree.body, lines, "tests")
    ast.fix_missing_locations(tree)
    return tree, has_check


def run(tests: str, entry_point: str | None, chan: int, code_cache: dict | None = None,
        tree: ast.Module | None = None, names_used: list | None = None, pytest_file: bool = False,
        private_lines: list | None = None) -> dict:
    """Execute the tests; return the report dict. `code_cache` keeps compiled tests (server mode);
    `tree` is the tests already parsed, if they were; `names_used` are names the problem says
    its tests use, which the program must define; `pytest_file`: the host says the tests are a
    pytest file (codesynth.pytest_files), run by pytest_run.py; `private_lines` mark the private
    tests (Recorder)."""
    remote = Remote(chan)
    try:
        hello = wire.loads_plain(wire.recv_frame(chan, 16 << 20))
    except (wire.ChannelClosed, OSError):
        return {"status": "crashed", "phase": "load", "error_type": "ProcessDied",
                "error_message": "the program exited or was killed while loading"}
    except (TypeError, ValueError, EOFError):
        return {"status": "error", "phase": "load", "error_type": "ProtocolError",
                "error_message": "malformed handshake from the candidate process"}
    if hello[0] != "ok":
        _, etype, emsg, tb = hello
        return {"status": "error", "phase": "load", "error_type": etype, "error_message": emsg, "traceback": tb}
    names = hello[1] if isinstance(hello[1], dict) else {}
    if entry_point and names.get(entry_point, ("",))[0] not in ("callable", "class", "ref"):
        return {"status": "error", "phase": "load", "error_type": "MissingEntryPoint",
                "error_message": f"the program does not define a function or class named '{entry_point}'"}
    missing = [n for n in (names_used or ()) if isinstance(n, str) and n not in names]
    if missing:
        return {"status": "error", "phase": "load", "error_type": "MissingName",
                "error_message": "the program does not define " + ", ".join(f"'{n}'" for n in missing[:10])
                + " (the problem's tests use it)"}

    rec = Recorder(remote, private_lines)
    g = TestGlobals(remote, names)
    g.own.update(n for n in (entry_point, *(names_used or ())) if isinstance(n, str))
    g.update({"__name__": "__codesynth_tests__", "__builtins__": builtins,
              "__cs_case__": rec.case, "__cs_fmt__": _fmt_compare})
    error: BaseException | None = None
    ran_functions = False
    if pytest_file:
        try:
            tree = tree or ast.parse(tests, filename="tests.py")
        except SyntaxError as e:
            return {"status": "error", "phase": "tests", "error_type": "TestSyntaxError",
                    "error_message": f"the tests do not compile: {e}"}
        return _run_pytest(tests, tree, g, rec, remote)
    try:
        try:
            cached = code_cache.get(tests) if code_cache is not None else None
            if cached is None:
                tree, has_check = instrument(tests, tree)
                cached = (compile(tree, "tests.py", "exec"), has_check)
                if code_cache is not None:
                    if len(code_cache) > 512:
                        code_cache.clear()
                    code_cache[tests] = cached
            code, has_check = cached
        except SyntaxError as e:
            return {"status": "error", "phase": "tests", "error_type": "TestSyntaxError",
                    "error_message": f"the tests do not compile: {e}"}
        exec(code, g)
        if has_check and callable(dict.get(g, "check")):
            if entry_point:
                g["check"](g.candidate(entry_point))
            ran_functions = True
        elif not has_check:
            for name, fn in list(dict.items(g)):
                if name.startswith("test") and callable(fn) and getattr(fn, "__code__", None) is not None \
                        and fn.__code__.co_argcount == 0:
                    ran_functions = True
                    with rec.case(f"tests:{fn.__code__.co_firstlineno}: {name}()", fn.__code__.co_firstlineno):
                        fn()
    except CandidateDied as e:
        return {"status": "crashed", "phase": "tests", "error_type": "ProcessDied",
                "error_message": f"the program exited or was killed before the tests finished ({e})",
                **_counts(rec)}
    except Exception as e:  # noqa: BLE001 - an error outside a counted test
        error = e
    report = _counts(rec)
    if remote.poisoned is not None:
        # Past a bound of the channel: the program's failure, even if a test swallowed the error.
        report.update(status="failed", error_type="BoundaryLimit", error_message=remote.poisoned)
    elif error is not None:
        report.update(status="failed", error_type=_failure_kind(error),
                      error_message=_describe_failure(error), traceback=_test_tb(error))
    elif rec.total and rec.passed < rec.total:
        first = rec.first_error
        report.update(status="failed", error_type=rec.first_kind if first else "AssertionError",
                      error_message=next(o["message"] for o in rec.outcomes if not o["passed"])
                      if any(not o["passed"] for o in rec.outcomes) else "a test failed")
    elif rec.total == 0 and not ran_functions:
        report.update(status="failed", error_type="NoTests", error_message="the tests contain no assertion")
    else:
        report.update(status="passed")
    return report


def _run_pytest(tests: str, tree: ast.Module, g: TestGlobals, rec: Recorder, remote: Remote) -> dict:
    """A pytest file (pytest_run.py): the same report as assert tests, one outcome per item."""
    try:
        why = _pytest_run.run(tests, tree, g, rec, CandidateDied)
    except CandidateDied as e:
        return {"status": "crashed", "phase": "tests", "error_type": "ProcessDied",
                "error_message": f"the program exited or was killed before the tests finished ({e})",
                **_counts(rec)}
    report = _counts(rec)
    if remote.poisoned is not None:
        report.update(status="failed", error_type="BoundaryLimit", error_message=remote.poisoned)
    elif why is not None:
        report.update(status="failed", error_type="CollectionError", error_message=why)
    elif rec.passed < rec.total:
        report.update(status="failed", error_type="AssertionError",
                      error_message=next(o["message"] for o in rec.outcomes if not o["passed"])
                      if any(not o["passed"] for o in rec.outcomes) else "a test failed")
    else:
        report.update(status="passed")
    return report


def _counts(rec: Recorder) -> dict:
    return {"tests_total": rec.total, "tests_passed": rec.passed, "tests": rec.outcomes}


def _test_tb(e: BaseException) -> str:
    rtb = getattr(e, "remote_traceback", None)
    if rtb:
        return rtb[-3000:]
    return "".join(traceback.format_exception(type(e), e, e.__traceback__))[-3000:]


def main(tests: str, entry_point: str | None, chan: int, report_fd: int, names_used: list | None = None,
         pytest_file: bool = False, private_lines: list | None = None) -> None:
    try:
        report = run(tests, entry_point, chan, names_used=names_used, pytest_file=pytest_file,
                     private_lines=private_lines)
    except BaseException as e:  # noqa: BLE001 - the tester itself must always report
        report = {"status": "crashed", "phase": "tests", "error_type": type(e).__name__,
                  "error_message": f"tester failure: {e}"[:2000]}
    data = json.dumps(report, default=str).encode()
    wire.write_all(report_fd, data)
    os.close(report_fd)


# --------------------------------------------------------------------------- tester server
#
# Forking a fresh tester for every program costs a page-fault storm per fork on small
# VMs. For tests the user vouches for (a problem set given to `verify`) a long-lived
# tester runs each program's tests in a fresh namespace and puts the process-wide state
# it could touch back afterwards. Tests that could reach further (reflection, attribute
# assignment, modules outside a short list of pure ones) and untrusted tests (written by
# a model) always run in a forked child that dies with whatever it changed. The
# candidate never runs here in either case: it only ever sends data (crossing.py).

_PURE_MODULES = frozenset({
    "math", "cmath", "random", "string", "re", "collections", "itertools", "functools", "heapq",
    "bisect", "copy", "fractions", "statistics", "operator", "json", "typing", "numbers",
    "unicodedata", "textwrap", "hashlib", "array", "enum", "dataclasses", "datetime",
})
_REFLECTIVE = frozenset({
    "setattr", "delattr", "exec", "eval", "compile", "__import__", "globals", "vars", "locals",
    "open", "input", "breakpoint", "exit", "quit", "help", "memoryview", "__builtins__",
})


def reusable(tests: str, tree: ast.Module | None = None) -> bool:
    """Can these tests run in the long-lived tester without changing what later tests see?"""
    if tree is None:
        try:
            tree = ast.parse(tests)
        except SyntaxError:
            return True  # run() reports it without executing anything
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            if any(a.name.split(".")[0] not in _PURE_MODULES for a in n.names):
                return False
        elif isinstance(n, ast.ImportFrom):
            if n.level or (n.module or "").split(".")[0] not in _PURE_MODULES:
                return False
        elif isinstance(n, ast.Name) and n.id in _REFLECTIVE:
            return False
        elif isinstance(n, ast.Attribute) and (n.attr.startswith("_") or not isinstance(n.ctx, ast.Load)):
            return False  # private module internals (e.g. copy._deepcopy_dispatch[...] = f) or any attribute store
    return True


class _Snapshot:
    """The process-wide state test code could change through the allowed surface."""

    def __init__(self):
        import sys

        self.builtins = dict(builtins.__dict__)
        self.path = list(sys.path)
        self.recursion = sys.getrecursionlimit()
        self.modules = set(sys.modules)

    def restore(self) -> None:
        import sys

        if builtins.__dict__ != self.builtins:
            builtins.__dict__.clear()
            builtins.__dict__.update(self.builtins)
        sys.path[:] = self.path
        sys.setrecursionlimit(self.recursion)


def _recv_request(sock) -> tuple[dict, bytes, list[int]]:
    import socket
    import struct

    fds: list[int] = []
    buf = b""
    while len(buf) < 4 or len(buf) < 4 + struct.unpack(">I", buf[:4])[0]:
        data, new_fds, _, _ = socket.recv_fds(sock, 1 << 16, 4)
        if not data:
            raise wire.ChannelClosed("supervisor closed the control socket")
        buf += data
        fds += new_fds
    (n,) = struct.unpack(">I", buf[:4])
    header = json.loads(buf[4 : 4 + n])
    tests = buf[4 + n :]
    while len(tests) < header["tests_len"]:
        data = sock.recv(1 << 20)
        if not data:
            raise wire.ChannelClosed("supervisor closed the control socket")
        tests += data
    return header, tests, fds


def _run_forked(tests: str, entry_point: str | None, chan: int, names_used: list | None = None,
                pytest_file: bool = False, private_lines: list | None = None) -> dict:
    leave = exits.leave  # model-written tests run in the child: its way out is bound first (exits.py)
    if pytest_file:
        _pytest_run.preload()  # once per tester: every forked child then starts with pytest loaded
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            main(tests, entry_point, chan, w, names_used, pytest_file, private_lines)
        finally:
            leave(0)
    os.close(w)
    chunks = []
    while True:
        b = os.read(r, 1 << 16)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    os.waitpid(pid, 0)
    try:
        return json.loads(b"".join(chunks))
    except ValueError:
        return {"status": "crashed", "phase": "tests", "error_type": "TesterDied",
                "error_message": "the test process died without a report"}


def serve(ctrl_fd: int) -> None:
    """Answer test requests from the supervisor until it closes the control socket."""
    import socket

    sock = socket.socket(fileno=ctrl_fd)
    snap = _Snapshot()
    verdict_cache: dict[str, bool] = {}
    code_cache: dict = {}
    while True:
        try:
            header, raw, fds = _recv_request(sock)
        except (wire.ChannelClosed, OSError):
            return
        chan = fds[0] if fds else -1
        for extra in fds[1:]:
            os.close(extra)
        tests = raw.decode("utf-8", "replace")
        del raw
        entry = header.get("entry_point")
        pytest = bool(header.get("pytest"))
        safe, tree = False, None
        if header.get("trusted", False) and not pytest:  # pytest files: always a forked tester
            safe = verdict_cache.get(tests)
            if safe is None:  # the static check parses the tests: once per distinct test text
                if len(verdict_cache) > 4096:
                    verdict_cache.clear()
                try:
                    tree = ast.parse(tests, filename="tests.py")  # handed on to instrument()
                except SyntaxError:
                    tree = None
                safe = verdict_cache[tests] = reusable(tests, tree) if tree is not None else True
        try:
            if safe:
                try:
                    report = run(tests, entry, chan, code_cache, tree, header.get("names"), pytest,
                                 header.get("private_lines"))
                except BaseException as e:  # noqa: BLE001
                    report = {"status": "crashed", "phase": "tests", "error_type": type(e).__name__,
                              "error_message": f"tester failure: {e}"[:2000]}
                finally:
                    snap.restore()
            else:
                report = _run_forked(tests, entry, chan, header.get("names"), pytest, header.get("private_lines"))
        finally:
            if chan >= 0:
                os.close(chan)
        report["id"] = header.get("id")
        report["tester"] = "reused" if safe else "forked"
        wire.send_frame(ctrl_fd, json.dumps(report, default=str).encode())
