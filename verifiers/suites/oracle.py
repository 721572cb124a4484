"""Expected outputs for new inputs: the reference solution's, computed in the sandbox.

The reference is run once per batch of inputs, each call under its own time budget and on a
copy of its arguments. An input on which the reference raises, exceeds the budget, or returns
a value that cannot be written back as a literal (a generator, NaN, an object) yields no
expected output: the input is invalid (outside the problem's preconditions) and is dropped.

Python function problems run as a plain program that prints each result's `repr` after a
per-run nonce; data-form problems run through the language's own driver (any language), the
values read back from the host-side comparison against a placeholder; stdin/stdout problems
run once per input (any language), what the reference prints being the expected output.
"""

from __future__ import annotations

import ast
import json
import secrets
from typing import Any

from codesynth.models import CallCase, Candidate, Limits, Problem, Status, parse_type, type_error
from codesynth.sandbox.backend import Backend, ExecRequest
from codesynth.sandbox.executor import execute_many
from codesynth.verifiers.execution import run_pairs

#: A result that marks an input as invalid.
INVALID = object()

_DRIVER = '''
import copy as _cs_copy, signal as _cs_signal, sys as _cs_sys, time as _cs_time
class _CsBudget(BaseException):
    pass
def _cs_alarm(*_):
    raise _CsBudget()
_cs_signal.signal(_cs_signal.SIGALRM, _cs_alarm)
_cs_out = _cs_sys.stdout
for _cs_i, _cs_args in enumerate({inputs!r}):
    try:
        _cs_signal.setitimer(_cs_signal.ITIMER_REAL, {budget!r})
        try:
            _cs_a = _cs_copy.deepcopy(_cs_args)
            _cs_t = _cs_time.perf_counter()
            _cs_r = repr({entry}(*_cs_a))
            _cs_t = _cs_time.perf_counter() - _cs_t
        finally:
            _cs_signal.setitimer(_cs_signal.ITIMER_REAL, 0)
        _cs_out.write("\\n" + {nonce!r} + str(_cs_i) + " ok " + ("%.6f" % _cs_t) + " " + _cs_r + "\\n")
    except BaseException as _cs_e:
        _cs_out.write("\\n" + {nonce!r} + str(_cs_i) + " bad " + type(_cs_e).__name__ + "\\n")
    _cs_out.flush()
'''


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return INVALID


def _python_outputs(problem: Problem, reference: str, inputs: list[tuple], backend: Backend,
                    limits: Limits, budget_s: float) -> tuple[list[Any], list[float]]:
    nonce = f"@cs{secrets.token_hex(8)}:"
    program = reference.rstrip("\n") + "\n\n" + _DRIVER.format(
        inputs=inputs, budget=budget_s, entry=problem.entry_point, nonce=nonce)
    run_limits = limits.model_copy(update={"timeout_s": min(86400.0, budget_s * len(inputs) + limits.timeout_s)})
    req = ExecRequest(candidate_id=f"{problem.id}#oracle", problem_id=problem.id, kind="run", program=program,
                      limits=run_limits)
    [(_, res)] = list(execute_many(backend, iter([(0, req)]), ordered=True))
    out: list[Any] = [INVALID] * len(inputs)
    secs = [budget_s] * len(inputs)
    stdout = res.run_output.stdout if res.run_output else ""
    for line in stdout.splitlines():
        if not line.startswith(nonce):
            continue
        parts = line[len(nonce):].split(" ", 3)
        if len(parts) < 4 or parts[1] != "ok" or not parts[0].isdigit() or int(parts[0]) >= len(inputs):
            continue
        idx, value = parts[0], parts[3]
        try:
            secs[int(idx)] = float(parts[2])
        except ValueError:
            continue
        v = _literal(value)
        # a value that does not come back as itself (NaN, an object's repr) cannot be an expectation
        if v is not INVALID and repr(v) == value:
            out[int(idx)] = v
    return out, secs


def _placeholder(t: tuple) -> Any:
    return [] if t[0] == "list" else {"int": 0, "float": 0.0, "bool": False, "str": ""}[t[0]]


def _calls_outputs(problem: Problem, reference: str, language: str, inputs: list[tuple], backend: Backend,
                   limits: Limits) -> tuple[list[Any], list[float]]:
    assert problem.signature is not None
    ret = parse_type(problem.signature.returns)
    ph = _placeholder(ret)
    probe = problem.model_copy(update={"tests": [CallCase(call=list(a), expect=ph) for a in inputs],
                                       "private_tests": None})
    cand = Candidate(candidate_id=f"{problem.id}#oracle", problem_id=problem.id, solution=reference,
                     language=language)
    [res] = run_pairs([(probe, cand)], backend, limits)
    out: list[Any] = [INVALID] * len(inputs)
    secs = [res.duration_s / max(1, len(inputs))] * len(inputs)  # the driver times the run, not each call
    if res.status is Status.sandbox_error:
        return out, secs
    for i, o in enumerate(res.tests[: len(inputs)]):
        if o.passed:
            out[i] = ph
            continue
        msg = o.message or ""
        if not msg.startswith("expected:") or "\n  got:      " not in msg:
            continue  # raised, no result: invalid input
        try:
            v = json.loads(msg.split("\n  got:      ", 1)[1])
        except json.JSONDecodeError:
            continue  # clipped: too long to keep exactly
        if type_error(ret, v) is None:
            out[i] = v
    return out, secs


def _io_outputs(problem: Problem, reference: str, language: str, inputs: list[tuple], backend: Backend,
                limits: Limits, budget_s: float) -> tuple[list[Any], list[float]]:
    """stdin/stdout: one plain run of the reference per input (`(stdin,)`); what it prints is
    the expected output. It fails, prints nothing, or needs more than `budget_s` of CPU: invalid."""
    run_limits = limits.model_copy(update={"timeout_s": max(budget_s, 0.1)})
    jobs = ((i, ExecRequest(candidate_id=f"{problem.id}#oracle{i}", problem_id=problem.id, kind="run",
                            program=reference, language=language, stdin=args[0], limits=run_limits,
                            measure_cpu=True))
            for i, args in enumerate(inputs))
    out: list[Any] = [INVALID] * len(inputs)
    secs = [budget_s] * len(inputs)
    for i, res in execute_many(backend, jobs):
        took = res.cpu_s if res.cpu_s is not None else res.duration_s
        printed = res.run_output.stdout if res.run_output is not None else ""
        if res.status is Status.passed and printed.strip() and not res.run_output.truncated and took <= budget_s:
            out[i], secs[i] = printed, took
    return out, secs


def reference_run(problem: Problem, reference: str, language: str, inputs: list[tuple], backend: Backend,
                  limits: Limits | None = None, budget_s: float = 1.0, batch: int = 100,
                  ) -> tuple[list[Any], list[float]]:
    """The reference's output for each input, or INVALID (raised, too slow, not a literal), and the
    seconds each call took (data-form: the run's time shared out)."""
    limits = limits or Limits()
    out: list[Any] = []
    secs: list[float] = []
    for k in range(0, len(inputs), batch):
        chunk = inputs[k:k + batch]
        if problem.kind == "calls":
            o, t = _calls_outputs(problem, reference, language, chunk, backend, limits)
        elif problem.kind == "io":
            o, t = _io_outputs(problem, reference, language, chunk, backend, limits, budget_s)
        else:
            o, t = _python_outputs(problem, reference, chunk, backend, limits, budget_s)
        out += o
        secs += t
    return out, secs


def reference_outputs(problem: Problem, reference: str, language: str, inputs: list[tuple], backend: Backend,
                      limits: Limits | None = None, budget_s: float = 1.0, batch: int = 100) -> list[Any]:
    """The reference's output for each input, or INVALID (raised, too slow, not a literal)."""
    return reference_run(problem, reference, language, inputs, backend, limits, budget_s, batch)[0]
