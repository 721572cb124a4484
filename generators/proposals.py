"""Turn a model's "new problem + solution + tests" reply into a Problem draft.

Shared by the problems (Self-Instruct), grounded (OSS-Instruct) and evolve modes. A
reply that cannot become a valid problem yields a Proposal with `reason` set, so the
caller can count and report why it was dropped.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from codesynth.extract import (
    calls,
    extract_code,
    fenced_blocks,
    function_signature,
    is_main_guard,
    is_trivial_assert,
    parses,
    split_asserts,
    top_level_functions,
)
from codesynth.importers import Unconvertible, assert_case, python_signature
from codesynth.models import CallCase, Problem, Signature, parse_type, type_error

_PY = {"", "python", "python3", "py"}
_HEADER = re.compile(
    r"^\s*(#+\s*)?(\*\*)?\s*(new\s+)?(problem|exercise|task|description)\s*(\d+)?\s*:?\s*(\*\*)?\s*:?\s*",
    re.I,
)

_LABEL = re.compile(
    r"^\W*(reference\s+|python\s+)?(solution|tests?|code|answer|implementation)\W*:?\W*$", re.I
)


class Proposal(BaseModel):
    index: int
    description: str = ""
    solution: str = ""
    preamble: str = ""
    tests: list[str] = Field(default_factory=list)
    entry_point: str | None = None
    #: Why this reply cannot become a problem (None = usable so far).
    reason: str | None = None
    dropped_tests: dict[str, int] = Field(default_factory=dict)
    #: A proposal in a language other than Python: its tests are data.
    language: str = "python"
    signature: Signature | None = None
    cases: list[CallCase] = Field(default_factory=list)

    def test_code(self) -> str:
        return (self.preamble + "\n\n" if self.preamble else "") + "\n".join(self.tests) + "\n"


def _description(reply: str) -> str:
    head = reply.split("```", 1)[0]
    lines = [ln for ln in head.strip().splitlines()]
    if lines:
        lines[0] = _HEADER.sub("", lines[0])
    while lines and (not lines[-1].strip() or _LABEL.match(lines[-1])):
        lines.pop()  # "Solution:" / "Tests:" lines that introduce the next fence
    return "\n".join(lines).strip()


_SIGNATURE = re.compile(r"^\W*signature\W*:?\s*(.*)$", re.I)


def fits(sig: Signature, case: CallCase) -> bool:
    """Does a {call, expect} case have the signature's arity and types?"""
    if len(case.call) != len(sig.params):
        return False
    pairs = [*zip([p.type for p in sig.params], case.call, strict=True), (sig.returns, case.expect)]
    return all(type_error(parse_type(t), v) is None for t, v in pairs)


def _parse_data_proposal(reply: str, index: int, min_tests: int, language: str) -> Proposal:
    """Description, `Signature: def f(...) -> T` in data-form types, the solution in `language`,
    and Python-literal asserts read as {call, expect} cases."""
    prop = Proposal(index=index, language=language)
    head = reply.split("```", 1)[0].splitlines()
    at = next((i for i, ln in enumerate(head) if _SIGNATURE.match(ln)), None)
    prop.description = _description("\n".join(head[:at]) if at is not None else reply)
    sig_text = _SIGNATURE.match(head[at]).group(1) if at is not None else ""
    if at is not None and not sig_text.strip() and at + 1 < len(head):
        sig_text = head[at + 1]
    try:
        prop.signature = python_signature(sig_text) if sig_text.strip() else None
    except Unconvertible:
        prop.signature = None
    if prop.signature is None:
        prop.reason = "no_signature"
        return prop
    prop.entry_point = prop.signature.name
    prop.solution = extract_code(reply, prop.entry_point, language) or ""
    if not prop.solution.strip():
        prop.reason = "no_solution"
        return prop
    if not prop.description:
        prop.reason = "no_description"
        return prop
    seen: set[str] = set()
    for lang, block in fenced_blocks(reply):
        if lang not in _PY - {""} or not parses(block):
            continue
        for t in split_asserts(block)[1]:
            why = is_trivial_assert(t, prop.entry_point)
            case = None
            if why is None:
                try:
                    case = assert_case(t, prop.entry_point)
                except Unconvertible:
                    why = "not_data"
                else:
                    why = None if fits(prop.signature, case) else "wrong_types"
            key = repr(case.call) if case else ""
            if why is None and key in seen:
                why = "duplicate"
            if why:
                prop.dropped_tests[why] = prop.dropped_tests.get(why, 0) + 1
                continue
            seen.add(key)
            prop.tests.append(t)
            prop.cases.append(case)
    if len(prop.cases) < min_tests:
        prop.reason = "too_few_tests"
    return prop


def parse_proposal(reply: str, index: int, min_tests: int = 2, language: str = "python") -> Proposal:
    """Description (text before the first fence), solution block, test block."""
    if language != "python":
        return _parse_data_proposal(reply, index, min_tests, language)
    prop = Proposal(index=index)
    prop.description = _description(reply)
    blocks = [b for lang, b in fenced_blocks(reply) if lang in _PY and b.strip()]
    if not blocks:
        prop.reason = "no_code"
        return prop
    sol_parts: list[str] = []
    test_lines: list[str] = []
    preamble: list[str] = []
    for b in blocks:
        if not parses(b):
            continue
        funcs = top_level_functions(b)
        pre, asserts = split_asserts(b)
        if asserts and not funcs:
            test_lines.extend(asserts)
            if pre:
                preamble.append(pre)
        elif funcs:
            if asserts:
                # One block with the function and its asserts: split them apart.
                test_lines.extend(asserts)
                sol_parts.append(_without_asserts(b))
            elif not sol_parts:
                sol_parts.append(b.strip("\n"))
    if not sol_parts:
        prop.reason = "no_solution"
        return prop
    prop.solution = "\n\n".join(sol_parts).strip("\n") + "\n"
    funcs = top_level_functions(prop.solution)
    # The entry point is the solution's function the tests call most.
    called = [f for f in funcs if any(calls(t, f) for t in test_lines if parses(t))]
    prop.entry_point = (
        max(called, key=lambda f: sum(calls(t, f) for t in test_lines))
        if called
        else (funcs[0] if funcs else None)
    )
    if not prop.description:
        prop.reason = "no_description"
        return prop
    if prop.entry_point is None:
        prop.reason = "no_function"
        return prop
    seen: set[str] = set()
    for t in test_lines:
        why = is_trivial_assert(t, prop.entry_point)
        norm = re.sub(r"\s+", "", t)
        if why is None and norm in seen:
            why = "duplicate"
        if why:
            prop.dropped_tests[why] = prop.dropped_tests.get(why, 0) + 1
            continue
        seen.add(norm)
        prop.tests.append(t)
    prop.preamble = "\n".join(dict.fromkeys(p for p in preamble if p))
    if len(prop.tests) < min_tests:
        prop.reason = "too_few_tests"
    return prop


def _without_asserts(code: str) -> str:
    tree = ast.parse(code)
    keep = [n for n in tree.body if not isinstance(n, ast.Assert) and not is_main_guard(n)]
    return "\n\n".join(ast.get_source_segment(code, n) or ast.unparse(n) for n in keep)


def problem_prompt(description: str, solution: str, entry_point: str) -> str:
    sig = function_signature(solution, entry_point) or f"def {entry_point}(...):"
    return f"{description.strip()}\n\nYour code must define:\n\n{sig}\n"


def to_problem(
    prop: Proposal, problem_id: str, source: str, metadata: dict[str, Any], tags: list[str] = ()
) -> Problem | None:
    """The proposal as a valid Problem (None if it would not validate)."""
    if prop.reason or not prop.entry_point:
        return None
    if prop.signature is not None:
        try:  # the values must have the signature's types (checked by the model's validator)
            return Problem(id=problem_id, prompt=prop.description.strip() + "\n", signature=prop.signature,
                           tests=prop.cases, language=prop.language, reference_solution=prop.solution,
                           source=source, tags=list(tags), metadata=metadata)
        except ValidationError:
            return None
    try:
        return Problem(
            id=problem_id,
            prompt=problem_prompt(prop.description, prop.solution, prop.entry_point),
            entry_point=prop.entry_point,
            tests=prop.test_code(),
            reference_solution=prop.solution,
            source=source,
            tags=list(tags),
            metadata=metadata,
        )
    except ValidationError:
        return None


def null_solution(entry_point: str) -> str:
    """A program that defines the entry point and computes nothing: tests it passes are trivial."""
    return f"def {entry_point}(*args, **kwargs):\n    return None\n"


def _zero(t: tuple):
    return {"list": [], "int": 0, "float": 0.0, "bool": False, "str": ""}[t[0]]


def trivial_data_tests(problem: Problem) -> bool:
    """Data-form tests a do-nothing function passes: every expected value is its type's zero value
    (0, 0.0, False, "", []), which is what a stub returns in every language."""
    zero = _zero(parse_type(problem.signature.returns))
    return all(c.expect == zero and type(c.expect) is type(zero) for c in problem.tests)
