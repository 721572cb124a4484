"""What a candidate can import inside the runner image, and a static scan for what it lacks.

The runner image is Python 3.13 with its standard library and pytest (for pytest test files)
and nothing else: no numpy, no pandas, no other third-party package (and not tkinter/idlelib/ensurepip, which Debian ships
separately). The local backend runs the host's interpreter, where such packages may exist:
the same program would pass there and fail with ModuleNotFoundError in Docker. The local
backend uses `missing_imports` to warn about (or refuse) those programs.

`MODULES` is the image's importable top-level modules, as printed inside it by
    python3 -c "import sys, pkgutil; print(' '.join(sorted((set(sys.builtin_module_names)
                | {m.name for m in pkgutil.iter_modules()}) - {'sitecustomize'})))"
`tests/test_inputs.py` checks it still equals what the current image holds.
"""

from __future__ import annotations

import ast
import importlib.util
from functools import lru_cache

PYTHON = "3.13"

MODULES: frozenset[str] = frozenset("""
__future__ __hello__ __phello__ _abc _aix_support _android_support _apple_support _ast _asyncio _bisect
_blake2 _bz2 _codecs _codecs_cn _codecs_hk _codecs_iso2022 _codecs_jp _codecs_kr _codecs_tw _collections
_collections_abc _colorize _compat_pickle _compression _contextvars _csv _ctypes _ctypes_test _curses
_curses_panel _datetime _dbm _decimal _distutils_system_mod _elementtree _functools _hashlib _heapq _imp
_interpchannels _interpqueues _interpreters _io _ios_support _json _locale _lsprof _lzma _markupbase _md5
_multibytecodec _multiprocessing _opcode _opcode_metadata _operator _osx_support _pickle _posixshmem
_posixsubprocess _py_abc _pydatetime _pydecimal _pyio _pylong _pyrepl _queue _random _sha1 _sha2 _sha3
_signal _sitebuiltins _socket _sqlite3 _sre _ssl _stat _statistics _string _strptime _struct _suggestions
_symtable _sysconfig _sysconfigdata__linux_x86_64-linux-gnu _sysconfigdata__x86_64-linux-gnu _testbuffer
_testcapi _testclinic _testclinic_limited _testexternalinspection _testimportmultiple _testinternalcapi
_testlimitedcapi _testmultiphase _testsinglephase _thread _threading_local _tokenize _tracemalloc _typing
_uuid _warnings _weakref _weakrefset _xxtestfuzz _zoneinfo abc antigravity argparse array ast asyncio atexit
base64 bdb binascii bisect builtins bz2 cProfile calendar cmath cmd code codecs codeop collections colorsys
compileall concurrent configparser contextlib contextvars copy copyreg csv ctypes curses dataclasses
datetime dbm decimal difflib dis doctest email encodings enum errno faulthandler fcntl filecmp fileinput
fnmatch fractions ftplib functools gc genericpath getopt getpass gettext glob graphlib grp gzip hashlib
heapq hmac html http imaplib importlib inspect io ipaddress itertools json keyword linecache locale logging
lzma mailbox marshal math mimetypes mmap modulefinder multiprocessing netrc ntpath nturl2path numbers opcode
operator optparse os pathlib pdb pickle pickletools pkgutil platform plistlib poplib posix posixpath pprint
profile pstats pty pwd py_compile pyclbr pydoc pydoc_data pyexpat queue quopri random re readline reprlib
resource rlcompleter runpy sched secrets select selectors shelve shlex shutil signal site smtplib socket
socketserver sqlite3 sre_compile sre_constants sre_parse ssl stat statistics string stringprep struct
subprocess symtable sys sysconfig syslog tabnanny tarfile tempfile termios test textwrap this threading time
timeit token tokenize tomllib trace traceback tracemalloc tty turtle types typing unicodedata unittest
urllib uuid venv warnings wave weakref webbrowser wsgiref xml xmlrpc xxlimited xxlimited_35 xxsubtype zipapp
zipfile zipimport zlib zoneinfo
""".split()) | frozenset(
    # Debian's python3-pytest and what it pulls in (the base image's BOOTSTRAP_PACKAGES)
    "5703180c3dd46e872cf3__mypyc _pytest exceptiongroup iniconfig packaging pluggy py pytest tomli".split())


def imported_modules(code: str) -> list[str]:
    """Top-level names of the modules `code` imports (statements and constant `__import__` /
    `importlib.import_module` calls), in order, once each. Unparsable code imports nothing
    we can know of: the sandbox reports its syntax error either way."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    seen: dict[str, None] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                seen.setdefault(alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            seen.setdefault(node.module.split(".")[0])
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str) and _is_import_call(node.func)):
            seen.setdefault(node.args[0].value.split(".")[0])
    return [name for name in seen if name]


def _is_import_call(func: ast.expr) -> bool:
    return (isinstance(func, ast.Name) and func.id == "__import__") or (
        isinstance(func, ast.Attribute) and func.attr == "import_module"
    )


@lru_cache(maxsize=1024)
def _host_has(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def missing_imports(code: str, present: frozenset[str] = frozenset()) -> list[str]:
    """Modules `code` imports that this host has but the runner image lacks: where the
    local backend's verdict would differ from Docker's. `present`: what the image's profile
    adds (sandbox/docker/profiles.py `modules_of`)."""
    return [m for m in imported_modules(code) if m not in MODULES and m not in present and _host_has(m)]
