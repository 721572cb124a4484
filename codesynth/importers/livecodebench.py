"""LiveCodeBench (code generation): LeetCode problems called as methods, AtCoder and Codeforces
problems on stdin/stdout.

A row: `question_id`, `question_title`, `question_content`, `platform`, `starter_code`,
`difficulty`, `contest_date`, `public_test_cases` (a JSON list of `{input, output, testtype}`,
testtype `functional` or `stdin`), `private_test_cases` (the same, as JSON or, in the later
releases, compressed: base64 of zlib of a pickled JSON string), `metadata` (JSON; `func_name`
for functional problems). A functional case's input is one JSON value per line (the
arguments), its output one JSON value: it becomes `assert Solution().<func_name>(...) == ...`.
Public cases are public, private cases private. The compressed form is unpickled with every
global refused (only plain strings, lists and dicts can come out).
"""

from __future__ import annotations

import base64
import io
import json
import pickle
import zlib
from pathlib import Path
from typing import Any

from codesynth.models import IOCase, Problem

from .registry import Imported, importer
from .rows import RowError, convert, json_field, problem, text


class _NoGlobals(pickle.Unpickler):
    def find_class(self, module: str, name: str):  # a pickle naming any class or function is refused
        raise RowError(f"private_test_cases: the pickle names {module}.{name}; only plain data is read")


def _cases_field(row: dict, field: str) -> list[dict]:
    v = row.get(field)
    if v is None or v == "":
        return []
    if isinstance(v, str) and not v.lstrip().startswith("["):
        try:
            raw = _NoGlobals(io.BytesIO(zlib.decompress(base64.b64decode(v.encode("ascii"))))).load()
        except RowError:
            raise
        except Exception as e:  # noqa: BLE001 - any broken encoding is the row's
            raise RowError(f"field '{field}': neither JSON nor base64/zlib/pickle ({type(e).__name__})") from None
        v = raw
    cases = json.loads(v) if isinstance(v, str) else v
    if not isinstance(cases, list) or not all(isinstance(c, dict) for c in cases):
        raise RowError(f"field '{field}': expected a list of {{input, output, testtype}}")
    return cases


def _args(text_: str, k: int) -> list[Any]:
    try:
        return [json.loads(line) for line in text_.split("\n") if line.strip()]
    except json.JSONDecodeError as e:
        raise RowError(f"functional case {k}: an argument is not JSON ({e.msg})") from None


def _functional(cases: list[dict], fn: str, offset: int) -> list[str]:
    out = []
    for k, c in enumerate(cases, offset + 1):
        args = _args(str(c.get("input", "")), k)
        try:
            expect = json.loads(str(c.get("output", "")))
        except json.JSONDecodeError as e:
            raise RowError(f"functional case {k}: the output is not JSON ({e.msg})") from None
        out.append(f"assert Solution().{fn}({', '.join(repr(a) for a in args)}) == {expect!r}")
    return out


def _problem(row: dict, where: str) -> Problem:
    qid = text(row, "question_id")
    public, private = _cases_field(row, "public_test_cases"), _cases_field(row, "private_test_cases")
    kinds = {c.get("testtype") for c in public + private}
    if not kinds:
        raise RowError("no test cases")
    if len(kinds) > 1 or not kinds <= {"functional", "stdin"}:
        raise RowError(f"test types {sorted(map(str, kinds))}: expected all 'functional' or all 'stdin'")
    meta = json_field(row, "metadata", required=False) or {}
    starter = text(row, "starter_code", required=False)
    prompt = text(row, "question_content").rstrip() + "\n" + (f"\n{starter.rstrip()}\n" if starter.strip() else "")
    fields: dict[str, Any]
    if kinds == {"functional"}:
        fn = meta.get("func_name") if isinstance(meta, dict) else None
        if not isinstance(fn, str) or not fn.isidentifier():
            raise RowError("functional tests but field 'metadata' names no func_name")
        pub, priv = _functional(public, fn, 0), _functional(private, fn, len(public))
        fields = {"entry_point": "Solution", "tests": "\n".join(pub or priv) + "\n",
                  "private_tests": "\n".join(priv) + "\n" if pub and priv else None}
    else:
        pub_c = [IOCase(input=str(c.get("input", "")), output=str(c.get("output", ""))) for c in public]
        priv_c = [IOCase(input=str(c.get("input", "")), output=str(c.get("output", ""))) for c in private]
        fields = {"tests": pub_c or priv_c, "private_tests": priv_c if pub_c and priv_c else None,
                  "compare": "tokens"}
    keep = {k: row[k] for k in ("question_title", "platform", "contest_id", "contest_date") if row.get(k)}
    return problem(id=f"livecodebench/{qid}", prompt=prompt, source="livecodebench",
                   difficulty=row.get("difficulty") if isinstance(row.get("difficulty"), str) else None,
                   metadata={**keep, "starter_code": starter, **(meta if isinstance(meta, dict) else {})}, **fields)


@importer("livecodebench")
def load_livecodebench(source: Path, options: None) -> Imported:
    """LiveCodeBench code-generation rows (JSONL, JSON or Parquet): public and private cases."""
    return convert(source, _problem)
