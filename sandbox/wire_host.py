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
        # The files travel where tests would; the supervisor writes them as the candidate's uid.
        tests = json.dumps({"files": req.files, "fetch": req.fetch_files, "fetch_max": req.fetch_max_bytes}
                           ).encode("utf-8") if req.files or req.fetch_files else b""
    else:
        tests = (req.tests or "").encode("utf-8") if req.kind == "function" else b""
    header = {
        "id": request_id,
        "kind": req.kind,
        "program_len": len(program),
        "tests_len": len(tests),
        "entry_point": req.entry_point,
        "names": list(req.names),
        "limits": req.limits.model_dump(),
        "fresh": req.fresh_interpreter,
        "trusted_tests": req.trusted_tests,
        # Only the inputs travel; expected outputs stay on the host.
        "inputs": [c.input for c in req.cases] if req.kind == "io" else [req.stdin or ""] if req.kind == "run" else [],
    }
    h = json.dumps(header).encode("utf-8")
    return struct.pack(">I", len(h)) + h + program + tests


def _encode_lang(req: ExecRequest, request_id: str) -> bytes:
    """Files + compile/run commands (harness/langrun.py); for data-form tests the arguments only."""
    from codesynth.sandbox.languages.programs import call_input, files_for, lang_header

    calls = req.kind == "calls"
    files, main_class = files_for(req.language, req.program, req.signature if calls else None)
    program = json.dumps(files).encode("utf-8")
    header = {
        "id": request_id,
        "kind": "io",
        "program_len": len(program),
        "tests_len": 0,
        "limits": req.limits.model_dump(),
        "lang": lang_header(req.language, main_class, req.limits, results_fd=calls),
        # Only the inputs (or the call arguments) travel; expected values stay on the host.
        "inputs": [call_input(req.signature, req.calls)] if calls else [c.input for c in req.cases],  # type: ignore[arg-type]
    }
    h = json.dumps(header).encode("utf-8")
    return struct.pack(">I", len(h)) + h + program
