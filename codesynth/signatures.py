"""How each language spells a data-form signature: its types and the function's declaration.

One table for both sides: the sandbox's drivers call the function with these types
(sandbox/languages/drivers.py), and a generator's prompt shows the same declaration, so the
program a model writes links against the driver that will call it. README "Data-form function
tests" has the table.
"""

from __future__ import annotations

from codesynth.models import Signature, parse_type

#: What a model is told it writes in, and the tag its code block gets.
LABELS = {"python": "Python", "c": "C", "cpp": "C++", "java": "Java", "javascript": "JavaScript",
          "typescript": "TypeScript", "go": "Go", "rust": "Rust"}
FENCE_TAGS = {"python": "python", "c": "c", "cpp": "cpp", "java": "java", "javascript": "javascript",
              "typescript": "typescript", "go": "go", "rust": "rust"}

C_SCALAR = {"int": "long long", "float": "double", "bool": "bool", "str": "char *"}
CPP_SCALAR = {"int": "long long", "float": "double", "bool": "bool", "str": "std::string"}
JAVA_SCALAR = {"int": "long", "float": "double", "bool": "boolean", "str": "String"}
GO_SCALAR = {"int": "int", "float": "float64", "bool": "bool", "str": "string"}
RS_SCALAR = {"int": "i64", "float": "f64", "bool": "bool", "str": "String"}
TS_SCALAR = {"int": "number", "float": "number", "bool": "boolean", "str": "string"}


class NoMapping(ValueError):
    """The signature has no spelling in that language (C has no nested lists)."""


def cpp_type(t: tuple) -> str:
    return f"std::vector<{cpp_type(t[1])}>" if t[0] == "list" else CPP_SCALAR[t[0]]


def java_type(t: tuple) -> str:
    return java_type(t[1]) + "[]" if t[0] == "list" else JAVA_SCALAR[t[0]]


def go_type(t: tuple) -> str:
    return "[]" + go_type(t[1]) if t[0] == "list" else GO_SCALAR[t[0]]


def rs_type(t: tuple) -> str:
    return f"Vec<{rs_type(t[1])}>" if t[0] == "list" else RS_SCALAR[t[0]]


def ts_type(t: tuple) -> str:
    return ts_type(t[1]) + "[]" if t[0] == "list" else TS_SCALAR[t[0]]


def py_type(t: tuple) -> str:
    return f"list[{py_type(t[1])}]" if t[0] == "list" else t[0]


def check_c(types: list[tuple]) -> None:
    for t in types:
        if t[0] == "list" and t[1][0] == "list":
            raise NoMapping("nested lists have no C mapping; use another language for this problem")


def _c_params(sig: Signature) -> list[str]:
    out = []
    for p in sig.params:
        t = parse_type(p.type)
        if t[0] == "list":
            # `char **`, not `const char **`: the driver passes a `char **`, and C does not convert
            # that implicitly (gcc 14 rejects it)
            el = "char *" if t[1][0] == "str" else "const " + C_SCALAR[t[1][0]] + " "
            out += [f"{el}*{p.name}", f"int {p.name}_len"]
        else:
            out.append(f"const char *{p.name}" if t[0] == "str" else f"{C_SCALAR[t[0]]} {p.name}")
    return out


def declaration(language: str, sig: Signature) -> str:
    """The function's header in `language` (what a solution must define, body left out).

    Raises NoMapping when the language cannot express the signature."""
    params = [(p.name, parse_type(p.type)) for p in sig.params]
    ret = parse_type(sig.returns)
    name = sig.name
    if language == "python":
        args = ", ".join(f"{n}: {py_type(t)}" for n, t in params)
        return f"def {name}({args}) -> {py_type(ret)}:"
    if language == "c":
        check_c([t for _, t in params] + [ret])
        args = _c_params(sig)
        if ret[0] == "list":
            el = C_SCALAR[ret[1][0]]
            return f"{el}{'' if el.endswith('*') else ' '}*{name}({', '.join([*args, 'int *out_len'])})"
        rt = C_SCALAR[ret[0]]
        return f"{rt}{'' if rt.endswith('*') else ' '}{name}({', '.join(args) or 'void'})"
    if language == "cpp":
        return f"{cpp_type(ret)} {name}({', '.join(f'{cpp_type(t)} {n}' for n, t in params)})"
    if language == "java":
        args = ", ".join(f"{java_type(t)} {n}" for n, t in params)
        return f"class Solution {{\n    static {java_type(ret)} {name}({args})\n}}"
    if language == "javascript":
        return f"function {name}({', '.join(n for n, _ in params)})"
    if language == "typescript":
        return f"function {name}({', '.join(f'{n}: {ts_type(t)}' for n, t in params)}): {ts_type(ret)}"
    if language == "go":
        return f"package main\n\nfunc {name}({', '.join(f'{n} {go_type(t)}' for n, t in params)}) {go_type(ret)}"
    if language == "rust":
        return f"fn {name}({', '.join(f'{n}: {rs_type(t)}' for n, t in params)}) -> {rs_type(ret)}"
    raise ValueError(f"unknown language {language!r}")


def unposable(problem, language: str) -> str | None:
    """Why `problem` cannot be asked for in `language` (None when it can).

    stdin/stdout cases and data-form tests run in every language; Python test code tests
    Python only; a signature must have a spelling in the language."""
    if language == "python" or problem.kind == "io":
        return None
    if problem.kind == "function":
        return "it has Python test code only (no signature with {call, expect} tests, no stdin/stdout cases)"
    try:
        declaration(language, problem.signature)
    except NoMapping as e:
        return str(e)
    return None
