"""MBPP, both layouts: the assert the prompt shows is the public test, the rest private."""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from codesynth.errors import InputError
from codesynth.jsonl import iter_json_lines
from codesynth.models import Problem

from .common import (
    JSON_WS,
    build_problem,
    collect,
    iter_json_array,
    must_parse,
    read_text,
    str_field,
    str_list_field,
    task_id_field,
)
from .registry import Imported, importer

MBPP_PROMPT_SUFFIX = "Your code should pass these tests:\n"

def _iter_mbpp_records(path: Path) -> Iterator[tuple[int, dict]]:
    text = read_text(path)
    # Sanitized MBPP ships as one JSON array; the original as JSONL. Tell them apart by content.
    if text.startswith("[", JSON_WS.match(text).end()):
        yield from iter_json_array(path, text)
    else:
        yield from iter_json_lines(path)


def _called_names(expr_src: str) -> list[str]:
    """Names of plain function calls in one assert, in source order."""
    try:
        tree = ast.parse(expr_src)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        m = re.match(r"\s*assert\s*\(?\s*([A-Za-z_]\w*)\s*\(", expr_src)
        return [m.group(1)] if m else []
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    calls.sort(key=lambda n: (n.lineno, n.col_offset))
    return [c.func.id for c in calls]  # type: ignore[attr-defined]


def _defined_functions(code: str) -> list[str]:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        # A reference that does not parse still gets imported; `verify` will flag it.
        return re.findall(r"^def\s+([A-Za-z_]\w*)\s*\(", code, re.M)
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _infer_entry_point(first_assert: str, code: str, where: str) -> str:
    called = _called_names(first_assert)
    if not called:
        raise InputError(
            f"{where}: field 'test_list': no function call in the first assert: {first_assert!r}"
        )
    defined = set(_defined_functions(code))
    # `assert set(f(x)) == ...` calls builtins first: take the first name the code defines.
    for name in called:
        if name in defined:
            return name
    shown = ", ".join(sorted(defined)) or "none"
    raise InputError(
        f"{where}: field 'code': the first assert calls {called[0]}() but the code does not define it "
        f"(functions defined: {shown})"
    )


def _mbpp_problem(obj: dict, where: str) -> Problem:
    task_id = task_id_field(obj, where)
    if "text" in obj:  # original MBPP (mbpp.jsonl)
        variant, text = "mbpp", str_field(obj, "text", where)
        setup_code = str_field(obj, "test_setup_code", where, default="")
        setup = [setup_code] if setup_code.strip() else []
        challenge = str_list_field(obj, "challenge_test_list", where, required=False)
        extra_meta: dict[str, Any] = {"test_setup_code": setup_code, "challenge_test_list": challenge}
    elif "prompt" in obj:  # sanitized MBPP (sanitized-mbpp.json)
        variant, text = "mbpp-sanitized", str_field(obj, "prompt", where)
        imports = str_list_field(obj, "test_imports", where, required=False)
        setup = list(imports)
        extra_meta = {"test_imports": imports}
        if "source_file" in obj:
            extra_meta["source_file"] = obj["source_file"]
        if "challenge_test_list" in obj:
            extra_meta["challenge_test_list"] = str_list_field(
                obj, "challenge_test_list", where, required=False
            )
    else:
        raise InputError(
            f"{where}: field 'text': required field is missing "
            "(an MBPP record has 'text', a sanitized MBPP record has 'prompt')"
        )
    # The original release uses CRLF line ends inside code strings.
    code = str_field(obj, "code", where).replace("\r\n", "\n")
    asserts = [
        t.replace("\r\n", "\n").strip() for t in str_list_field(obj, "test_list", where, required=True)
    ]
    asserts = [t for t in asserts if t]
    if not asserts:
        raise InputError(f"{where}: field 'test_list': no tests")
    must_parse(code, "code", task_id, where)
    entry_point = _infer_entry_point(asserts[0], code, where)
    setup = [s.replace("\r\n", "\n").rstrip() for s in setup]
    must_parse("\n".join(setup + asserts) + "\n", "test_list", task_id, where)
    # The prompt shows the first assert: it is the public test; the others are never shown.
    public = "\n".join(setup + asserts[:1]) + "\n"
    private = "\n".join(setup + asserts[1:]) + "\n" if len(asserts) > 1 else None
    return build_problem(
        where,
        id=f"mbpp/{task_id}",
        prompt=f"{text.strip()}\n{MBPP_PROMPT_SUFFIX}{asserts[0]}\n",
        entry_point=entry_point,
        tests=public,
        private_tests=private,
        reference_solution=code if code.endswith("\n") else code + "\n",
        source=variant,
        metadata={"task_id": task_id, "format": variant, "text": text, "test_list": asserts, **extra_meta},
    )


@importer("mbpp")
def load_mbpp(source: Path, options: None) -> Imported:
    """MBPP: mbpp.jsonl or the sanitized JSON array (detected from the content)."""
    return Imported(collect(source, _iter_mbpp_records(source), _mbpp_problem))


def import_mbpp(source: str | os.PathLike) -> list[Problem]:
    """Load MBPP: the original JSONL (task_id, text, code, test_list, test_setup_code,
    challenge_test_list) or the sanitized JSON array (task_id, prompt, code, test_imports,
    test_list). The layout is detected from the content, record by record.

    tests (public) = setup code / test imports + the first assert of test_list, the one the prompt
    shows; private_tests = the setup + the other asserts (challenge tests stay in metadata); entry_point = the function the first assert calls, which the code must define;
    prompt = description + "Your code should pass these tests:" + the first assert.
    """
    return load_mbpp.importer.run(source).problems  # type: ignore[attr-defined]

