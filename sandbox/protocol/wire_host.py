"""Host side of the supervisor protocol: encode a request, decode the answer."""

from __future__ import annotations

import json
import struct

from codesynth.sandbox.backend import ExecRequest, uses_compile_step


def encode_request(req: ExecRequest, request_id: str) -> bytes:
    if uses_compile_step(req):
        return _encode_lang(req, request_id)
    program = req.program.encode("utf-8")
    if req.kind == "run":
        tests = _plain_run_files(req)
    else:
        tests = (req.tests or "").encode("utf-8") if req.kind == "function" else b""
    header = {
        "id": request_id,
        "kind": req.kind,
        "program_len": len(program),
        "tests_len": len(tests),
        "entry_point": req.entry_point,
        "names": list(req.names),
        "pytest": req.pytest_file,
        "limits": req.limits.model_dump(),
        "fresh": req.fresh_interpreter,
        "trusted_tests": req.trusted_tests,
        "measure_cpu": req.measure_cpu,
        "private_lines": req.private_lines,  # the tester marks each outcome private or public
        # Only the inputs travel; expected outputs stay on the host.
        "inputs": [c.input for c in req.cases] if req.kind == "io" else [req.stdin or ""] if req.kind == "run" else [],
    }
    h = json.dumps(header).encode("utf-8")
    return struct.pack(">I", len(h)) + h + program + tests


def _plain_run_files(req: ExecRequest) -> bytes:
    """A plain run's files in and out: they travel where tests would; the supervisor writes
    (and reads back) them as the candidate's uid."""
    if not (req.files or req.fetch_files):
        return b""
    return json.dumps({"files": req.files, "fetch": req.fetch_files, "fetch_max": req.fetch_max_bytes}
                      ).encode("utf-8")


def _encode_lang(req: ExecRequest, request_id: str) -> bytes:
    """Files + compile/run commands (harness/langrun.py); for data-form tests the arguments only;
    for a plain run (kind "run") its stdin, plus the files in and out as for Python."""
    from codesynth.sandbox.languages.programs import call_input, files_for, lang_header

    calls = req.kind == "calls"
    files, main_class = files_for(req.language, req.program, req.signature if calls else None)
    program = json.dumps(files).encode("utf-8")
    tests = _plain_run_files(req) if req.kind == "run" else b""
    if calls:
        inputs = [call_input(req.signature, req.calls)]  # type: ignore[arg-type]
    else:
        inputs = [req.stdin or ""] if req.kind == "run" else [c.input for c in req.cases]
    header = {
        "id": request_id,
        "kind": "run" if req.kind == "run" else "io",
        "program_len": len(program),
        "tests_len": len(tests),
        "limits": req.limits.model_dump(),
        "lang": lang_header(req.language, main_class, req.limits, results_fd=calls, mode=req.language_mode),
        "measure_cpu": req.measure_cpu,
        # Only the inputs (or the call arguments) travel; expected values stay on the host.
        "inputs": inputs,
    }
    h = json.dumps(header).encode("utf-8")
    return struct.pack(">I", len(h)) + h + program + tests
