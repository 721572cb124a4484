"""Inputs from a model-written input generator (HardTests-style), run in the sandbox.

A model writes a Python program that prints test inputs, never outputs
(generators/prompts.py `input_generator_messages`). It is hostile code like any other: it runs
in the sandbox as a plain run under the request's limits, and only what it prints comes back.
Each line is one input as JSON: a string, the whole stdin (stdin/stdout problems), or an array
of the call's arguments (function and data-form problems; a data-form input must fit the
signature). Malformed lines are skipped. What remains is judged like every mutated input: the
reference computes its expected output or drops it (verifiers/suites/oracle.py), and a case
is kept only where it kills (verifiers/suites/harden.py).
"""

from __future__ import annotations

import json
from typing import Any

from codesynth.models import Limits, Problem, Status, parse_type, type_error
from codesynth.sandbox.backend import Backend, ExecRequest

#: The largest input kept from a generator (a stdin text, or the JSON of the arguments).
MAX_INPUT_CHARS = 100_000


def parse_inputs(problem: Problem, text: str, limit: int) -> list[tuple]:
    """The inputs a generator printed, as argument tuples ((stdin,) for stdin/stdout problems)."""
    params = [parse_type(p.type) for p in problem.signature.params] if problem.signature is not None else None
    out: dict[str, tuple] = {}
    for line in text.splitlines():
        if len(out) >= limit:
            break
        if not line.strip() or len(line) > MAX_INPUT_CHARS:
            continue
        try:
            value: Any = json.loads(line)
        except ValueError:
            continue
        if problem.kind == "io":
            if isinstance(value, str) and value.strip():
                out.setdefault(value, (value,))
            continue
        if not isinstance(value, list):
            continue
        if problem.kind == "calls" and (params is None or len(value) != len(params)
                                        or any(type_error(t, v) for t, v in zip(params, value, strict=True))):
            continue
        out.setdefault(repr(value), tuple(value))
    return list(out.values())


def run_input_generator(problem: Problem, program: str, backend: Backend, limits: Limits | None = None,
                        limit: int = 50) -> list[tuple]:
    """Run a generator program once in the sandbox; the inputs it printed (none if it failed)."""
    req = ExecRequest(candidate_id=f"{problem.id}#inputgen", problem_id=problem.id, kind="run", program=program,
                      limits=limits or Limits())
    res = backend.execute(req)
    if res.status is not Status.passed or res.run_output is None:
        return []
    return parse_inputs(problem, res.run_output.stdout, limit)
