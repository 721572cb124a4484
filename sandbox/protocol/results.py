"""Turn the supervisor's raw answer into an ExecutionResult (shared by every backend).

stdin/stdout outputs are compared here, on the host: the expected outputs never enter
the sandbox, so no candidate can read or forge them.
"""

from __future__ import annotations

from codesynth.models import ExecutionResult, RunOutput, Status, TestOutcome
from codesynth.sandbox.backend import ExecRequest, uses_compile_step

_STATUSES = {s.value for s in Status}


def normalize_output(text: str) -> str:
    """Judges ignore trailing spaces at line ends and trailing blank lines."""
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def precheck(req: ExecRequest) -> ExecutionResult | None:
    """Verdicts that need no sandbox: an empty program is 'no code', not a crash."""
    if req.kind != "run" and not req.program.strip():  # an empty plain run is a valid (empty) program
        return _result(req, Status.error, error_type="NoCode", error_message="the reply contained no code")
    if req.host_error:
        return _result(req, Status.error, error_type="Unsupported", error_message=req.host_error)
    return None


def _result(req: ExecRequest, status: Status, **kw) -> ExecutionResult:
    return ExecutionResult(candidate_id=req.candidate_id, problem_id=req.problem_id, status=status,
                           limits=req.limits, **kw)


def sandbox_error(req: ExecRequest, message: str, backend: str | None = None, attempts: int = 1) -> ExecutionResult:
    return _result(req, Status.sandbox_error, error_type="SandboxError", error_message=message,
                   backend=backend, attempts=attempts)


def from_response(req: ExecRequest, resp: dict, backend: str) -> ExecutionResult:
    if uses_compile_step(req):
        from codesynth.sandbox.languages.verdict import from_lang_response

        return from_lang_response(req, resp, backend)
    if req.kind == "io" and "cases" in resp:
        return _io_result(req, resp, backend)
    if req.kind == "run" and "cases" in resp:
        return plain_run_result(req, resp, backend)
    status = resp.get("status")
    if status not in _STATUSES:
        return sandbox_error(req, f"supervisor answered with unknown status {status!r}", backend)
    tests = [TestOutcome(**t) for t in (resp.get("tests") or []) if isinstance(t, dict)]
    return _result(
        req, Status(status),
        tests_total=resp.get("tests_total"), tests_passed=resp.get("tests_passed"), tests=tests,
        error_type=resp.get("error_type"), error_message=resp.get("error_message"),
        traceback=resp.get("traceback"), stdout_tail=resp.get("stdout_tail") or "",
        stderr_tail=resp.get("stderr_tail") or "", exit_code=resp.get("exit_code"),
        signal=resp.get("signal"), duration_s=float(resp.get("duration_s") or 0.0), backend=backend,
        cpu_s=cpu_seconds(resp),
    )


def cpu_seconds(resp: dict) -> float | None:
    """The program's own CPU time the supervisor reported (None: not measured)."""
    v = resp.get("cpu_s")
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _clip(s: str, n: int = 200) -> str:
    return s if len(s) <= n else s[: n - 3] + "..."


def _signal_message(got: dict, req: ExecRequest) -> str:
    """Why a stdin/stdout program died of a signal: which limit, or that none was reached."""
    import signal

    sig = int(got["signal"])
    try:
        name = signal.Signals(sig).name
    except ValueError:
        name = str(sig)
    if got.get("oom"):
        return f"killed by the out-of-memory killer (limit {req.limits.memory_mb} MB)"
    if sig == signal.SIGXCPU:
        return "killed at the CPU time limit (SIGXCPU)"
    if sig == signal.SIGXFSZ:
        return f"killed for writing past the file size limit ({req.limits.scratch_mb} MB, SIGXFSZ)"
    if sig == signal.SIGKILL:
        return ("killed by signal SIGKILL, sent by the program itself or a process it started: no limit of "
                "the sandbox was reached (no out-of-memory kill)")
    return f"killed by signal {name}"


def _io_result(req: ExecRequest, resp: dict, backend: str) -> ExecutionResult:
    cases = resp.get("cases") or []
    outcomes: list[TestOutcome] = []
    first_bad: dict | None = None
    status = Status.passed
    err_type = err_msg = None
    for i, (case, got) in enumerate(zip(req.cases, cases, strict=False), 1):
        name = f"case {i}"
        ok = False
        if got.get("signal"):
            msg = _signal_message(got, req)
        elif got.get("exit_code") not in (0, None):
            msg = f"exit code {got['exit_code']}: {_clip(got.get('stderr_tail', '').strip()[-400:], 400)}"
        else:
            from codesynth.sandbox.languages.verdict import outputs_match

            exp, out = normalize_output(case.output), normalize_output(got.get("stdout", ""))
            ok = exp == out if req.compare == "exact" else outputs_match(case.output, got.get("stdout", ""), req.compare)
            msg = None if ok else f"input: {_clip(case.input)!r}\n  expected: {_clip(exp)!r}\n  got:      {_clip(out)!r}"
        outcomes.append(TestOutcome(name=name, passed=ok, message=msg, private=req.case_private(i - 1)))
        if not ok and first_bad is None:
            first_bad = got
            err_type = got.get("error_type") or ("WrongAnswer" if got.get("exit_code") == 0 else "RuntimeError")
            err_msg = msg if not got.get("error_message") else f"{got.get('error_type')}: {got['error_message']}"
    total = len(req.cases)
    passed_n = sum(o.passed for o in outcomes)
    raw = resp.get("status")
    if raw == "timeout" and any(c.get("oom") for c in cases):  # a memory bomb slowed down, not a slow program
        status, err_type, err_msg = Status.memory_exceeded, "Killed", oom_message(req)
    elif raw == "timeout":
        status, err_type, err_msg = Status.timeout, "Timeout", timeout_message(req, resp)
    elif raw == "output_exceeded":
        status, err_type, err_msg = Status.output_exceeded, "OutputLimit", f"wrote more than {req.limits.output_bytes} bytes"
    elif raw != "ok":
        return sandbox_error(req, f"supervisor answered with status {raw!r}", backend)
    elif passed_n < total:
        status = Status.failed
        if err_type in ("SyntaxError", "IndentationError", "TabError"):
            status = Status.error
        elif err_type == "MemoryError" or (first_bad and first_bad.get("oom")):
            status, err_type = Status.memory_exceeded, "MemoryError"
        elif first_bad and first_bad.get("signal") == 24:  # SIGXCPU
            status, err_type = Status.timeout, "CPUTimeLimit"
        elif first_bad and first_bad.get("signal"):
            status = Status.crashed
    last = cases[-1] if cases else {}
    res = _result(
        req, status, tests_total=total, tests_passed=passed_n, tests=outcomes,
        error_type=None if status is Status.passed else err_type,
        error_message=None if status is Status.passed else err_msg,
        stdout_tail=(last.get("stdout") or "")[-4096:], stderr_tail=last.get("stderr_tail") or "",
        exit_code=last.get("exit_code"), signal=last.get("signal"),
        duration_s=float(resp.get("duration_s") or 0.0), backend=backend, cpu_s=cpu_seconds(resp),
    )
    if req.checker is not None:
        res._outputs = case_outputs(cases)
    return res


def case_outputs(cases: list[dict]) -> list[str | None]:
    """Each case's stdout for a checker: None where the program did not exit 0 (nothing to judge)."""
    return [c.get("stdout", "") if c.get("exit_code") == 0 and not c.get("signal") else None for c in cases]


def timeout_message(req: ExecRequest, resp: dict) -> str:
    """The supervisor says which clock stopped the program (its CPU time, or the wall-clock net)."""
    msg = resp.get("timeout_message")
    return msg if isinstance(msg, str) and msg else f"exceeded the time limit of {req.limits.timeout_s:g} s"


def oom_message(req: ExecRequest) -> str:
    return f"killed by the out-of-memory killer (limit {req.limits.memory_mb} MB)"


_LOAD_ERRORS = ("SyntaxError", "IndentationError", "TabError")


def plain_run_result(req: ExecRequest, resp: dict, backend: str) -> ExecutionResult:
    """A plain run: no tests, so the status says only how the program ended."""
    if resp.get("setup_error"):
        return _result(req, Status.error, error_type="FileSetup",
                       error_message=f"could not write the request's files: {resp['setup_error']}", backend=backend)
    raw, cases = resp.get("status"), resp.get("cases") or []
    if raw not in ("ok", "timeout", "output_exceeded") or not cases:
        return sandbox_error(req, f"supervisor answered with status {raw!r}", backend)
    c = cases[0]
    out = RunOutput(
        stdout=c.get("stdout") or "", stderr=c.get("stderr") or "", stdout_bytes=int(c.get("stdout_bytes") or 0),
        stderr_bytes=int(c.get("stderr_bytes") or 0), truncated=raw == "output_exceeded",
        files=resp.get("files") or {}, missing_files=resp.get("missing_files") or [],
    )
    code, sig, err = c.get("exit_code"), c.get("signal"), c.get("error_type")
    status, msg = Status.passed, None
    if raw == "timeout" and c.get("oom"):
        status, err, msg = Status.memory_exceeded, "Killed", oom_message(req)
    elif raw == "timeout":
        status, err, msg = Status.timeout, "Timeout", timeout_message(req, resp)
    elif raw == "output_exceeded":
        status, err, msg = Status.output_exceeded, "OutputLimit", f"wrote more than {req.limits.output_bytes} bytes"
    elif c.get("oom") or err == "MemoryError":
        status, err, msg = Status.memory_exceeded, "MemoryError", f"exceeded the memory limit of {req.limits.memory_mb} MB"
    elif sig == 24:  # SIGXCPU
        status, err, msg = Status.timeout, "CPUTimeLimit", "exceeded the CPU time limit"
    elif sig:
        status, err, msg = Status.crashed, f"signal {sig}", f"killed by signal {sig}"
    elif code not in (0, None):
        status = Status.error if err in _LOAD_ERRORS else Status.failed
        msg = f"{err}: {c.get('error_message')}" if err else f"exit code {code}"
    return _result(
        req, status, error_type=err if status is not Status.passed else None, error_message=msg,
        stdout_tail=out.stdout[-4096:], stderr_tail=out.stderr[-4096:], exit_code=code, signal=sig,
        duration_s=float(c.get("duration_s") or 0.0), backend=backend, run_output=out, cpu_s=cpu_seconds(resp),
    )
