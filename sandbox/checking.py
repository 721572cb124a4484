"""Checkers: a problem's own judge of stdin/stdout answers (several right answers).

The program runs first, as any stdin/stdout program; its outputs come back to the host. Then
the checker runs in the sandbox, in a run of its own: the candidate has finished and its
processes and scratch files are gone, so nothing it does reaches the checker, and the
expected outputs are never in its reach. A checker that fails (raises, returns something
other than a verdict, does not compile) is a data error of the problem: the result is a
`sandbox_error` naming it, never a reward.

Python checkers define `check(input, expected, got) -> bool | (bool, message)` and judge every
case in one run; a checker in another language is a program run once per case on the files
`input.txt`, `expected.txt`, `output.txt` (exit 0: accepted; exit 1: rejected, the first
line of its stdout the reason). A testlib.h checker (C++ calling `registerTestlibCmd`) is
called as testlib checkers are, `input.txt output.txt expected.txt`, and judged by testlib's
exit codes, its stderr the reason (sandbox/testlib_checker.py).
"""

from __future__ import annotations

import base64
import json

from codesynth.models import ExecutionResult, Status, TestOutcome
from codesynth.sandbox import case_batches, testlib_checker
from codesynth.sandbox.backend import Backend, ExecRequest

#: Appended to a Python checker: judges every case of cases.json, prints the verdicts after a marker.
_DRIVER = '''

def __cs_check_all():
    import json as _json
    import sys as _sys
    with open("cases.json", encoding="utf-8") as _f:
        _cases = _json.load(_f)
    _out = []
    for _c in _cases:
        try:
            _r = check(_c["input"], _c["expected"], _c["got"])
        except Exception as _e:  # noqa: BLE001 - the checker's own failure: a data error
            _out.append([None, f"check raised {type(_e).__name__}: {_e}"[:300]])
            continue
        _ok, _msg = (_r if isinstance(_r, tuple) and len(_r) == 2 else (_r, None))
        if not isinstance(_ok, bool):
            _out.append([None, f"check returned {type(_ok).__name__}, not a bool"])
        else:
            _out.append([_ok, None if _msg is None else str(_msg)[:300]])
    _sys.stdout.flush()
    _sys.stdout.write("\\n__CS_CHECK__" + _json.dumps(_out) + "\\n")


__cs_check_all()
'''
_MARK = "__CS_CHECK__"


def execute(backend: Backend, req: ExecRequest) -> ExecutionResult:
    """The program's run (a long case list in batches across the pool: sandbox/case_batches.py), then
    the checker on each output when the request has one. Every caller executes through here."""
    res = case_batches.execute(backend, req)
    outputs = res._outputs
    if req.checker is None or outputs is None or not any(o is not None for o in outputs):
        return res
    judged = [i for i, o in enumerate(outputs) if o is not None and i < len(req.cases)]
    try:
        verdicts = (_python_verdicts if req.checker.language == "python" else _program_verdicts)(
            backend, req, judged, outputs)
    except CheckerFailed as e:
        # No case counts as passed: the comparison the program's run made is not the problem's
        # judge, and a count left here would be partial credit for a data bug.
        unjudged = [o.model_copy(update={"passed": False, "message": "not judged: the problem's checker failed"})
                    for o in res.tests]
        return res.model_copy(update={"status": Status.sandbox_error, "error_type": "CheckerError",
                                      "error_message": f"the problem's checker failed: {e}", "tests": unjudged,
                                      "tests_passed": 0})
    return apply(req, res, dict(zip(judged, verdicts, strict=True)), outputs)


class CheckerFailed(Exception):
    pass


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode()


def _limits(req: ExecRequest):
    # The checker is the problem's code, judged by no one: a generous but finite budget. Its
    # compile too: testlib.h alone takes 6-10 s of g++ -O2 on a quiet core and was measured at
    # 80 s on a loaded 2-core machine; a checker that misses the compile limit is a CheckerError
    # (a data error) for a problem that is fine. Compiled once per worker, then cached.
    return req.limits.model_copy(update={"timeout_s": max(req.limits.timeout_s, 10.0),
                                         "compile_timeout_s": max(req.limits.compile_timeout_s, 300.0)})


def _python_verdicts(backend: Backend, req: ExecRequest, judged: list[int],
                     outputs: list[str | None]) -> list[tuple[bool, str | None]]:
    cases = [{"input": req.cases[i].input, "expected": req.cases[i].output, "got": outputs[i]} for i in judged]
    run = ExecRequest(candidate_id=f"{req.candidate_id}/checker", problem_id=req.problem_id, kind="run",
                      program=req.checker.code + _DRIVER, language="python",  # type: ignore[union-attr]
                      files={"cases.json": _b64(json.dumps(cases))}, limits=_limits(req))
    r = backend.execute(run)
    out = r.run_output.stdout if r.run_output is not None else ""
    if r.status is not Status.passed or _MARK not in out:
        raise CheckerFailed(_why(r))
    try:
        raw = json.loads(out.rpartition(_MARK)[2])
    except ValueError:
        raise CheckerFailed("its verdicts could not be read") from None
    verdicts = []
    for ok, msg in raw:
        if ok is None:
            raise CheckerFailed(msg)
        verdicts.append((ok, msg))
    if len(verdicts) != len(judged):
        raise CheckerFailed("it judged a different number of cases")
    return verdicts


def _program_verdicts(backend: Backend, req: ExecRequest, judged: list[int],
                      outputs: list[str | None]) -> list[tuple[bool, str | None]]:
    checker = req.checker
    assert checker is not None
    verdicts = []
    for i in judged:
        files = {"input.txt": _b64(req.cases[i].input), "expected.txt": _b64(req.cases[i].output),
                 "output.txt": _b64(outputs[i] or "")}
        run = ExecRequest(candidate_id=f"{req.candidate_id}/checker{i}", problem_id=req.problem_id, kind="run",
                          program=testlib_checker.program(checker.code) if checker.testlib else checker.code,
                          language=checker.language, files=files, limits=_limits(req))
        r = backend.execute(run)
        if checker.testlib:
            ok, why = testlib_checker.verdict(r)
            if ok is None:
                raise CheckerFailed(why or _why(r))
            verdicts.append((ok, why))
        elif r.status is Status.passed:
            verdicts.append((True, None))
        elif r.status is Status.failed and r.exit_code == 1 and r.run_output is not None:
            first = (r.run_output.stdout.strip().splitlines() or [""])[0]
            verdicts.append((False, first[:300] or None))
        else:
            raise CheckerFailed(_why(r))
    return verdicts


def _why(r: ExecutionResult) -> str:
    msg = r.error_message or r.status.value
    if r.run_output is not None and r.run_output.stderr.strip():
        msg += ": " + r.run_output.stderr.strip()[-300:]
    return msg[:500]


def _clip(s: str, n: int = 200) -> str:
    return s if len(s) <= n else s[: n - 3] + "..."


def apply(req: ExecRequest, res: ExecutionResult, verdicts: dict[int, tuple[bool, str | None]],
          outputs: list[str | None]) -> ExecutionResult:
    """The result with each judged case's outcome the checker's, counts and status to match."""
    outcomes: list[TestOutcome] = []
    for i, o in enumerate(res.tests):
        if i not in verdicts:
            outcomes.append(o)
            continue
        ok, why = verdicts[i]
        msg = None if ok else (f"input: {_clip(req.cases[i].input)!r}\n  expected: "
                               f"{_clip(req.cases[i].output.rstrip())!r}\n  got:      "
                               f"{_clip((outputs[i] or '').rstrip())!r}" + (f"\n  checker: {why}" if why else ""))
        outcomes.append(o.model_copy(update={"passed": ok, "message": msg}))
    passed = sum(o.passed for o in outcomes)
    update: dict = {"tests": outcomes, "tests_passed": passed}
    if res.status in (Status.passed, Status.failed):
        first = next((i for i, o in enumerate(outcomes) if not o.passed), None)
        if first is None:
            update.update(status=Status.passed, error_type=None, error_message=None)
        else:
            update.update(status=Status.failed, error_message=outcomes[first].message,
                          error_type="WrongAnswer" if first in verdicts else res.error_type)
    return res.model_copy(update=update)
