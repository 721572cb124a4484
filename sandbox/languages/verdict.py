"""Verdicts for programs that went through a compile step (any language but Python's own paths).

Everything is decided here, on the host: compile failures from the compiler's message,
stdin/stdout cases by comparing with the expected outputs, data-form calls by comparing the
result lines of the driver with the expected values (which never entered the sandbox).
"""

from __future__ import annotations

import math
import signal

from codesynth.models import CompileOutput, ExecutionResult, RunOutput, Status, TestOutcome, parse_type
from codesynth.sandbox.backend import ExecRequest
from codesynth.sandbox.languages.drivers import parse_results, values_equal
from codesynth.sandbox.languages.specs import spec

COMPILE_FEEDBACK_CHARS = 2000
_COMPILE_TYPES = {"error": "CompileError", "timeout": "CompileTimeout", "memory": "CompileMemoryLimit",
                  "killed": "CompileKilled"}


def trim_compiler_message(text: str, limit: int = COMPILE_FEEDBACK_CHARS) -> str:
    """The head of the compiler's output (the first errors are the ones to fix), whole lines."""
    text = text.replace("\r\n", "\n").strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if "\n" in cut:
        cut = cut[: cut.rfind("\n")]
    return cut + f"\n... ({len(text) - len(cut)} more characters)"


def _result(req: ExecRequest, status: Status, backend: str, resp: dict, **kw) -> ExecutionResult:
    from codesynth.sandbox.protocol.results import cpu_seconds

    comp = resp.get("compile") or {}
    return ExecutionResult(candidate_id=req.candidate_id, problem_id=req.problem_id, status=status,
                           limits=req.limits, backend=backend, language=req.language,
                           compile_cached=comp.get("cached"), compile_s=comp.get("duration_s"),
                           duration_s=float(resp.get("duration_s") or 0.0), cpu_s=cpu_seconds(resp), **kw)


def outputs_match(expected: str, got: str, mode: str) -> bool:
    """exact: trailing spaces at line ends and trailing blank lines ignored (as for Python);
    tokens: whitespace-separated tokens equal; float: tokens equal, numbers within 1e-6."""
    from codesynth.sandbox.protocol.results import normalize_output

    if mode == "exact":
        return normalize_output(expected) == normalize_output(got)
    a, b = expected.split(), got.split()
    if mode == "tokens" or len(a) != len(b):
        return a == b
    for x, y in zip(a, b, strict=True):
        if x == y:
            continue
        try:
            fx, fy = float(x), float(y)
        except ValueError:
            return False
        if not (math.isfinite(fx) and math.isfinite(fy) and math.isclose(fx, fy, rel_tol=1e-6, abs_tol=1e-6)):
            return False
    return True


def _out_of_memory(req: ExecRequest, case: dict) -> bool:
    if case.get("oom"):
        return True
    if case.get("exit_code") in (0, None) and not case.get("signal"):
        return False
    tail = case.get("stderr_tail") or ""
    return any(m in tail for m in spec(req.language).oom_markers)


def from_lang_response(req: ExecRequest, resp: dict, backend: str) -> ExecutionResult:
    from codesynth.sandbox.protocol.results import sandbox_error

    raw = resp.get("status")
    if raw == "compile_failed":
        how = resp.get("how")
        if how not in _COMPILE_TYPES:
            return sandbox_error(req, f"compile step: {resp.get('message') or how}", backend)
        msg = trim_compiler_message(resp.get("message") or "")
        if how == "timeout":
            clock = "of CPU time" if resp.get("timeout_kind") == "cpu" else "(the wall-clock safety net)"
            msg = f"compilation exceeded {req.limits.compile_timeout_s:g} s {clock}"
        elif how == "memory":
            msg = f"compilation exceeded the memory limit of {req.limits.compile_memory_mb} MB\n{msg}".strip()
        res = _result(req, Status.error, backend, resp, error_type=_COMPILE_TYPES[how],
                      error_message=msg.splitlines()[0] if msg else _COMPILE_TYPES[how], traceback=msg)
        if req.kind == "run":  # nothing ran; what the compiler said (untrimmed) is the answer
            comp = resp.get("compile") or {}
            res.run_output = RunOutput(
                files=resp.get("files") or {}, missing_files=resp.get("missing_files") or [],
                compile=CompileOutput(exit_code=resp.get("exit_code") if how == "error" else None,
                                      timed_out=how == "timeout",
                                      signal=resp.get("signal") or (9 if how in ("memory", "killed") else None),
                                      output=resp.get("message") or "", duration_s=comp.get("duration_s") or 0.0,
                                      cached=bool(comp.get("cached"))))
        return res
    if req.kind == "run":
        return _plain_run_result(req, resp, backend)
    if raw not in ("ok", "timeout", "output_exceeded") or "cases" not in resp:
        return sandbox_error(req, f"supervisor answered with status {raw!r}: {resp.get('error_message', '')}",
                             backend)
    if req.kind == "calls":
        return _calls_result(req, resp, backend)
    return _io_result(req, resp, backend)


def _plain_run_result(req: ExecRequest, resp: dict, backend: str) -> ExecutionResult:
    """A plain run that compiled: judged as a Python plain run is, plus this runtime's own
    out-of-memory messages, plus the compile step's facts."""
    from codesynth.sandbox.protocol.results import plain_run_result

    cases = resp.get("cases") or []
    if cases and _out_of_memory(req, cases[0]):
        cases[0]["oom"] = True
    res = plain_run_result(req, resp, backend)
    comp = resp.get("compile") or {}
    res.language, res.compile_cached, res.compile_s = req.language, comp.get("cached"), comp.get("duration_s")
    if res.run_output is not None:
        res.run_output.compile = CompileOutput(exit_code=0, output=resp.get("compile_message") or "",
                                               duration_s=comp.get("duration_s") or 0.0,
                                               cached=bool(comp.get("cached")))
    return res


def _clip(s: str, n: int = 200) -> str:
    return s if len(s) <= n else s[: n - 3] + "..."


def _common_failure(req: ExecRequest, resp: dict, case: dict) -> tuple[Status, str, str] | None:
    from codesynth.sandbox.protocol.results import oom_message, timeout_message

    raw = resp.get("status")
    if raw == "timeout" and case.get("oom"):  # a memory bomb slowed down, not a slow program
        return Status.memory_exceeded, "Killed", oom_message(req)
    if raw == "timeout":
        return Status.timeout, "Timeout", timeout_message(req, resp)
    if raw == "output_exceeded":
        return Status.output_exceeded, "OutputLimit", f"wrote more than {req.limits.output_bytes} bytes"
    if _out_of_memory(req, case):
        return Status.memory_exceeded, "MemoryError", f"exceeded the memory limit of {req.limits.memory_mb} MB"
    sig = case.get("signal")
    if sig == signal.SIGXCPU:
        return Status.timeout, "CPUTimeLimit", "exceeded the CPU time limit"
    if sig:
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        return Status.crashed, name, f"killed by signal {name}"
    return None


def _io_result(req: ExecRequest, resp: dict, backend: str) -> ExecutionResult:
    from codesynth.sandbox.protocol.results import case_outputs

    cases = resp.get("cases") or []
    outcomes: list[TestOutcome] = []
    first_bad = None
    for i, (case, got) in enumerate(zip(req.cases, cases, strict=False), 1):
        if got.get("signal"):
            ok, msg = False, f"killed by signal {got['signal']}"
        elif got.get("exit_code") not in (0, None):
            ok, msg = False, f"exit code {got['exit_code']}: {_clip((got.get('stderr_tail') or '').strip()[-400:], 400)}"
        else:
            ok = outputs_match(case.output, got.get("stdout", ""), req.compare)
            msg = None if ok else (f"input: {_clip(case.input)!r}\n  expected: {_clip(case.output.rstrip())!r}\n"
                                   f"  got:      {_clip(got.get('stdout', '').rstrip())!r}")
        outcomes.append(TestOutcome(name=f"case {i}", passed=ok, message=msg, private=req.case_private(i - 1)))
        if not ok and first_bad is None:
            first_bad = (got, msg)
    total, passed_n = len(req.cases), sum(o.passed for o in outcomes)
    last = cases[-1] if cases else {}
    status, err_type, err_msg = Status.passed, None, None
    fail = _common_failure(req, resp, first_bad[0] if first_bad else last)
    if fail is not None and (resp.get("status") != "ok" or first_bad is not None):
        status, err_type, err_msg = fail
    elif passed_n < total:
        got, msg = first_bad if first_bad else ({}, "missing output")
        status = Status.failed
        err_type = "WrongAnswer" if got.get("exit_code") == 0 else "RuntimeError"
        err_msg = msg
    res = _result(req, status, backend, resp, tests_total=total, tests_passed=passed_n, tests=outcomes,
                  error_type=err_type, error_message=err_msg, stdout_tail=(last.get("stdout") or "")[-4096:],
                  stderr_tail=last.get("stderr_tail") or "", exit_code=last.get("exit_code"),
                  signal=last.get("signal"))
    if req.checker is not None:
        res._outputs = case_outputs(cases)
    return res


def _show(v) -> str:
    import json

    return _clip(json.dumps(v, ensure_ascii=False), 200)


def _calls_result(req: ExecRequest, resp: dict, backend: str) -> ExecutionResult:
    sig = req.signature
    assert sig is not None
    ret = parse_type(sig.returns)
    case = (resp.get("cases") or [{}])[0]
    lines = parse_results(case.get("results") or "")
    total = len(req.calls)
    outcomes: list[TestOutcome] = []
    forged = len(lines) > total  # the driver writes exactly one line per call: more came from the program
    err_type = err_msg = None
    for i, c in enumerate(req.calls):
        name = f"{sig.name}({', '.join(_show(a) for a in c.call)})"
        if i >= len(lines):
            outcomes.append(TestOutcome(name=name, passed=False, message="no result (the program stopped first)",
                                        private=req.case_private(i)))
            continue
        kind, value = lines[i]
        if kind == "ok":
            ok = not forged and values_equal(ret, c.expect, value)
            msg = None if ok else f"expected: {_show(c.expect)}\n  got:      {_show(value)}"
        elif kind == "exc":
            ok, msg = False, f"raised {value}"
            if err_type is None:
                err_type, err_msg = "RuntimeError", str(value)
        else:
            ok, msg = False, f"unreadable result line {value!r}"
        outcomes.append(TestOutcome(name=name, passed=ok, message=msg, private=req.case_private(i)))
    passed_n = sum(o.passed for o in outcomes)
    status = Status.passed
    fail = _common_failure(req, resp, case)
    if fail is not None:
        status, err_type, err_msg = fail
    elif forged:
        status, err_type = Status.failed, "ForgedResults"
        err_msg = f"{len(lines)} result lines for {total} calls: the program wrote to the results channel"
        passed_n = 0
    elif len(lines) < total:
        status = Status.failed
        code = case.get("exit_code")
        if code == 0:
            err_type, err_msg = "EarlyExit", f"the program exited after {len(lines)} of {total} calls"
        else:
            err_type = "RuntimeError"
            err_msg = f"exit code {code}: {_clip((case.get('stderr_tail') or '').strip()[-600:], 600)}"
    elif passed_n < total:
        status = Status.failed
    elif case.get("exit_code") not in (0, None):
        status, err_type = Status.failed, "RuntimeError"
        err_msg = f"exit code {case.get('exit_code')} after the last call"
    return _result(req, status, backend, resp, tests_total=total, tests_passed=passed_n, tests=outcomes,
                   error_type=None if status is Status.passed else err_type,
                   error_message=None if status is Status.passed else err_msg,
                   stdout_tail=(case.get("stdout") or "")[-4096:], stderr_tail=case.get("stderr_tail") or "",
                   exit_code=case.get("exit_code"), signal=case.get("signal"))
