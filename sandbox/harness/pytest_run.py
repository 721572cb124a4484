"""pytest test files (KodCode's form) run by the real pytest, in the tester process.

`from solution import *`, `test_*` functions, fixtures, `parametrize`: every collected test
item (each parametrized case) is one counted test with its own feedback. The candidate lives in
another process as always: `solution` is a module whose names resolve to the program's
objects through the same proxies as assert tests (crossing.py, remote.py), so no code of the
candidate runs here.

Why a candidate cannot make pytest report a pass:
- the verdict is what *this* process's plugin records from pytest's own reports; the program's
  exit code, output, and anything it does to its own `pytest` never reach it;
- the tests never touch the file system: they are compiled in this process (asserts rewritten as
  pytest does) and handed to pytest as its module; pytest runs with no ini file (`-c /dev/null`),
  `--noconftest`, plugin autoload off and the cache off, so a `conftest.py`, `pytest.ini` or
  `pyproject.toml` the program writes is never read;
- only items whose function is the test file's own code are run: a `test_*` function the
  program defines (and a star import would bring in) is dropped, and a star import exports
  only names the test file uses that are neither pytest's nor fixture/parameter names;
- a program that dies (os._exit, sys.exit, a kill) mid-run makes the run `crashed`.
"""

from __future__ import annotations

import ast
import os
import sys
import types

#: Names a star import from the program never brings in: pytest's own module and the names
#: through which a module changes how pytest collects or runs it.
_NEVER_EXPORTED = frozenset({
    "pytest", "pytestmark", "pytest_plugins", "setup_module", "teardown_module", "setup_function",
    "teardown_function", "setup", "teardown", "setUpModule", "tearDownModule", "conftest",
})

MODULE_NAME = "solution"


def preload() -> None:
    """Import pytest once in the tester server: every forked child then starts with it loaded."""
    try:
        import pytest  # noqa: F401
    except ImportError:
        pass


def _exported(tree: ast.Module, candidate_names) -> list[str]:
    """What `from solution import *` brings in: names the tests use, minus what they define,
    their functions' parameters (fixture names) and the names that steer pytest."""
    used, bound = set(), set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            used.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = n.args
            bound.update(x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs))
            bound.update(x.arg for x in (a.vararg, a.kwarg) if x is not None)
            if not isinstance(n, ast.Lambda):
                bound.add(n.name)
        elif isinstance(n, ast.ClassDef):
            bound.add(n.name)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for dec in n.decorator_list:  # parametrize("x,y", ...), usefixtures("db"): names as strings
                for c in ast.walk(dec):
                    if isinstance(c, ast.Constant) and isinstance(c.value, str):
                        bound.update(p.strip() for p in c.value.split(",") if p.strip().isidentifier())
    return sorted(n for n in used - bound - _NEVER_EXPORTED
                  if n in candidate_names and not n.startswith("_"))


class _SolutionModule(types.ModuleType):
    """`solution`: every name resolves to the program's object (TestGlobals.candidate)."""

    def __init__(self, g, exported: list[str]):
        super().__init__(MODULE_NAME)
        self.__dict__["_cs_g"] = g
        self.__dict__["__all__"] = exported

    def __getattr__(self, key: str):
        if key.startswith("__") or key in _NEVER_EXPORTED:
            raise AttributeError(key)
        try:
            return self.__dict__["_cs_g"].candidate(key)
        except KeyError:
            raise AttributeError(f"the program does not define '{key}'") from None


class _Plugin:
    """Records each item's outcome into the harness's Recorder (the verdict's only source)."""

    def __init__(self, rec, test_file: str, died_type: type):
        self.rec, self.test_file, self.died_type = rec, test_file, died_type
        self.died: BaseException | None = None
        self.collect_errors: list[str] = []
        self.items = 0

    def pytest_collection_modifyitems(self, session, config, items):
        keep = []
        for it in items:
            fn = getattr(it, "function", None)
            code = getattr(fn, "__code__", None)
            if code is not None and code.co_filename == self.test_file:
                keep.append(it)
        items[:] = keep
        self.items = len(keep)

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors.append(_text(report))

    def pytest_runtest_makereport(self, item, call):
        if call.excinfo is not None and isinstance(call.excinfo.value, self.died_type) and self.died is None:
            self.died = call.excinfo.value
            item.session.shouldstop = "the program died"  # nothing left to call: stop at once

    def pytest_runtest_logreport(self, report):
        line = (report.location[1] or 0) + 1
        name = f"tests:{line}: {report.nodeid.rpartition('::')[2]}"
        if report.when == "call" or (report.when == "setup" and not report.passed):
            if report.passed and not hasattr(report, "wasxfail"):
                self.rec.record(name, True, line=line)
            else:
                why = "skipped" if report.skipped else _text(report)
                self.rec.record(name, False, why, line=line)
        elif report.when == "teardown" and report.failed:
            self.rec.record(name + " (teardown)", False, _text(report), line=line)


def _text(report) -> str:
    try:
        text = report.longreprtext
    except Exception:  # noqa: BLE001 - a message is only a message
        text = str(report.longrepr)
    return text.strip()[-2000:] or "failed"


_ARGS = ["-q", "-p", "no:cacheprovider", "-p", "no:stepwise", "-p", "no:pastebin", "-p", "no:nose",
         "-p", "no:tmpdir", "--noconftest", "--capture=sys", "--tb=short", "-W", "ignore::pytest.PytestWarning",
         "-c", os.devnull]

#: The name the tests are compiled under: their source is served from linecache, never from a file.
TEST_FILE = "<codesynth-pytest>"


def run(tests: str, tree: ast.Module, g, rec, died_type: type) -> str | None:
    """Run the pytest file; outcomes go to `rec`. Returns an error message when pytest could
    not collect the file, else None. Raises `died_type` when the program died during the run."""
    import linecache

    import pytest  # in the image (BOOTSTRAP_PACKAGES); imported here only for this kind
    from _pytest.assertion.rewrite import rewrite_asserts

    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    os.environ.pop("PYTEST_ADDOPTS", None)
    # Tracebacks and pytest's own source lookups read the tests from here (mtime None: kept).
    linecache.cache[TEST_FILE] = (len(tests), None, tests.splitlines(True), TEST_FILE)
    old = sys.modules.get(MODULE_NAME)
    sys.modules[MODULE_NAME] = _SolutionModule(g, _exported(tree, g._names))
    plugin = _Plugin(rec, TEST_FILE, died_type)
    cwd = None

    class TestsModule(pytest.Module):
        """The tests as pytest's module: compiled here (asserts rewritten as pytest would), run
        in the harness's test namespace; the path pytest is given is only a name."""

        def _getobj(self):
            t = ast.parse(tests, filename=TEST_FILE)
            rewrite_asserts(t, tests.encode("utf-8"), None, self.config)
            exec(compile(t, TEST_FILE, "exec", dont_inherit=True), g)
            mod = types.ModuleType("test_solution")
            mod.__dict__.update(dict.items(g))
            mod.__file__ = TEST_FILE
            return mod

    class Collect:
        @pytest.hookimpl(tryfirst=True)
        def pytest_pycollect_makemodule(self, module_path, parent):
            return TestsModule.from_parent(parent, path=module_path)

    try:
        # An existing file pytest can name (this module, read-only in the image); its content
        # is never read: Collect hands pytest the tests instead. -c os.devnull, --noconftest,
        # autoload off: no ini file, conftest or plugin the program could write is ever read.
        here = os.path.abspath(__file__)
        try:
            cwd = os.getcwd()
        except OSError:  # the scratch directory was replaced since this tester started
            cwd = None
        os.chdir(os.path.dirname(here))  # pytest reads its cwd; a replaced one raises
        pytest.main([*_ARGS, "--rootdir", os.path.dirname(here), here], plugins=[plugin, Collect()])
        if plugin.died is not None:
            raise plugin.died
        if plugin.collect_errors:
            return "pytest could not collect the tests: " + plugin.collect_errors[0]
        if plugin.items == 0:
            return "pytest collected no tests (no test_* function in the file)"
        return None
    finally:
        if cwd is not None:
            try:
                os.chdir(cwd)
            except OSError:
                pass
        if old is None:
            sys.modules.pop(MODULE_NAME, None)
        else:
            sys.modules[MODULE_NAME] = old
        linecache.cache.pop(TEST_FILE, None)
