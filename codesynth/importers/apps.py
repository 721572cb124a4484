"""APPS (and TACO, which keeps its format): `input_output` with or without `fn_name`.

A row: `problem_id`, `question`, `solutions` (a JSON list of Python programs, as a string),
`input_output` (JSON: `{"inputs": [...], "outputs": [...]}`, plus `"fn_name"` for call-based
problems), `starter_code`, `difficulty`, `url`. Without `fn_name` the cases are stdin/stdout;
with it, each case calls the function (a method of `Solution` when the starter code defines
that class) with the input list as arguments, and passes when the result equals the output
or, as APPS's own checker allows, its only element (APPS stores most results as `[result]`).
APPS shows no tests: the default split decides what a model may see.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from codesynth.models import Problem

from .registry import Imported, importer
from .rows import RowError, convert, io_cases, json_field, problem, text

_CLASS = re.compile(r"^\s*class\s+Solution\b", re.M)


def call_asserts(fn: str, inputs: list, outputs: list, method_of: str | None) -> str:
    """One assert per case: `f(*args) == out`, or `in (out[0], out)` for a one-element output."""
    if len(inputs) != len(outputs):
        raise RowError(f"input_output: {len(inputs)} inputs but {len(outputs)} outputs")
    target = f"{method_of}().{fn}" if method_of else fn
    lines = []
    for k, (args, out) in enumerate(zip(inputs, outputs, strict=True), 1):
        if not isinstance(args, list):
            raise RowError(f"input_output: input {k} of a call-based problem is not a list of arguments")
        call = f"{target}({', '.join(repr(a) for a in args)})"
        if isinstance(out, list) and len(out) == 1:
            lines.append(f"assert {call} in ({out[0]!r}, {out!r})")
        else:
            lines.append(f"assert {call} == {out!r}")
    return "\n".join(lines) + "\n"


def apps_problem(row: dict, where: str, *, prefix: str, id_field: str) -> Problem:
    pid = row.get(id_field)
    if pid is None or isinstance(pid, bool) or str(pid).strip() == "":
        raise RowError(f"field '{id_field}': missing")
    io = json_field(row, "input_output")
    if not isinstance(io, dict):
        raise RowError("field 'input_output': expected a JSON object")
    sols = json_field(row, "solutions", required=False) or []
    if not isinstance(sols, list):
        raise RowError("field 'solutions': expected a JSON list of programs")
    ref = next((s for s in sols if isinstance(s, str) and s.strip()), None)
    starter = text(row, "starter_code", required=False)
    inputs, outputs = io.get("inputs"), io.get("outputs")
    if not inputs:
        raise RowError("field 'input_output': no inputs")
    meta: dict[str, Any] = {k: row[k] for k in ("url", "name", "source", "time_limit", "memory_limit", "tags",
                                                "skill_types") if row.get(k) not in (None, "", [])}
    fields: dict[str, Any]
    fn = io.get("fn_name")
    if fn:
        if not isinstance(fn, str) or not fn.isidentifier():
            raise RowError(f"field 'input_output': fn_name {fn!r} is not a name")
        method_of = "Solution" if _CLASS.search(starter) else None
        fields = {"tests": call_asserts(fn, inputs, outputs if isinstance(outputs, list) else [], method_of),
                  "entry_point": method_of or fn}
        how = "Use Call-Based format."
    else:
        fields = {"tests": io_cases(inputs, outputs, "field 'input_output'"), "compare": "tokens"}
        how = "Use Standard Input format."
    prompt = text(row, "question").rstrip() + "\n\n" + (starter.rstrip() + "\n\n" if starter.strip() else "") + how + "\n"
    return problem(id=f"{prefix}/{pid}", prompt=prompt, reference_solution=ref, source=prefix,
                   difficulty=str(row["difficulty"]) if row.get("difficulty") not in (None, "") else None,
                   metadata={"starter_code": starter, **meta}, **fields)


@importer("apps")
def load_apps(source: Path, options: None) -> Imported:
    """APPS rows (JSONL, JSON or Parquet): stdin/stdout or call-based (fn_name) problems."""
    return convert(source, lambda row, where: apps_problem(row, where, prefix="apps", id_field="problem_id"))
