"""Python: the harness's own language (assert tests, stdin/stdout, data-form calls).

Assert-style test code and stdin/stdout programs run in the Python tester; data-form
({call, expect}) tests go through the compile step like every language, with this driver.
"""

from __future__ import annotations

import re

from codesynth.languages.base import LangSpec, LanguageSpec, signature_types
from codesynth.models import Signature, parse_type

_PY = r'''

def __cs_driver():
    import json as _json
    import os as _os
    import sys as _sys
    _b = _sys.stdin.buffer.read()
    _p = [0]

    def tok():
        i = _p[0]
        while i < len(_b) and _b[i] in b" \n\t\r":
            i += 1
        j = i
        while j < len(_b) and _b[j] not in b" \n\t\r:":
            j += 1
        _p[0] = j
        return _b[i:j].decode()

    def r_int(): return int(tok())
    def r_float(): return float(tok())
    def r_bool(): return tok() == "1"
    def r_str():
        n = int(tok())
        i = _p[0] + 1
        _p[0] = i + n
        return _b[i:i + n].decode("utf-8")
    def r_list(f): return [f() for _ in range(r_int())]

    def conv(t, v):
        if t[0] == "list":
            if not isinstance(v, (list, tuple)):
                raise TypeError(f"returned {type(v).__name__}, expected a list")
            return [conv(t[1], x) for x in v]
        if t[0] == "float" and isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
        if t[0] == "int" and type(v) is not int:
            raise TypeError(f"returned {type(v).__name__}, expected int")
        if t[0] == "bool" and type(v) is not bool:
            raise TypeError(f"returned {type(v).__name__}, expected bool")
        if t[0] == "str" and type(v) is not str:
            raise TypeError(f"returned {type(v).__name__}, expected str")
        return v

    def reader(t):
        if t[0] == "list":
            f = reader(t[1])
            return lambda: r_list(f)
        return {"int": r_int, "float": r_float, "bool": r_bool, "str": r_str}[t[0]]

    params, ret = __CS_TYPES__
    readers = [reader(t) for t in params]
    fn = globals()[__CS_NAME__]
    for _ in range(r_int()):
        args = [r() for r in readers]
        try:
            line = "= " + _json.dumps(conv(ret, fn(*args)))
        except MemoryError:
            raise
        except BaseException as e:  # noqa: BLE001
            line = "! " + type(e).__name__ + ": " + str(e).replace("\n", " ")[:300]
        _sys.stdout.flush()
        _os.write(3, (line + "\n").encode("utf-8"))


if __name__ == "__main__":
    __cs_driver()
'''


def driver(sig: Signature) -> str:
    params, ret = signature_types(sig)
    return (_PY.replace("__CS_TYPES__", repr((params, ret))).replace("__CS_NAME__", repr(sig.name)))


def py_type(t: tuple) -> str:
    return f"list[{py_type(t[1])}]" if t[0] == "list" else t[0]


def declaration(sig: Signature) -> str:
    args = ", ".join(f"{p.name}: {py_type(parse_type(p.type))}" for p in sig.params)
    return f"def {sig.name}({args}) -> {py_type(parse_type(sig.returns))}:"


SPEC = LanguageSpec(
    name="python", label="Python", fence_tag="python",
    fence_tags=frozenset({"python", "python3", "py", "py3", "python2", "pycon", "ipython", "sage"}),
    aliases=("python3",),
    declaration=declaration, driver=driver, solution_rule="",
    code_start=re.compile(r"^(def |async def |class |import |from \w|@\w|[A-Za-z_][\w.]*\s*=[^=]|print\(|for |while "
                          r"|if |with |try:)"),
    defines=r"\bdef\s+{n}\s*\(",
    toolchain=LangSpec(
        "python", (), "main.py", ["python3", "-I", "{dir}/main.py"],
        compile=["python3", "-I", "-c", "import sys; compile(open(sys.argv[1], encoding='utf-8').read(), "
                 "'main.py', 'exec')", "main.py"],
        oom_markers=("MemoryError",), comment="#", syntax_check_in_fork=True,
    ),
)
