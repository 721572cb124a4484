"""A running supervisor (in a container or a local process) and the pipe to it."""

from __future__ import annotations

import json
import os
import select
import subprocess
import time

from codesynth.sandbox.backend import ExecRequest
from codesynth.sandbox.wire_host import encode_request

# Our own answer comes at most this long after the program's deadline.
GRACE_S = 10.0


class SupervisorGone(Exception):
    """The supervisor or its container died, or stopped answering."""


class SupervisorClient:
    def __init__(self, argv: list[str], start_timeout: float = 60.0, env: dict | None = None):
        # Own session: a Ctrl-C in the terminal must reach only us, so that we can stop in order
        # instead of every in-flight program dying and being mistaken for a sandbox failure.
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True, env=env, bufsize=0,
        )
        self._buf = b""
        self.served = 0
        self.hello = self._read_line(time.monotonic() + start_timeout)

    def _read_line(self, deadline: float) -> dict:
        fd = self.proc.stdout.fileno()  # type: ignore[union-attr]
        while b"\n" not in self._buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SupervisorGone("no answer from the supervisor in time")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise SupervisorGone(f"supervisor exited{self._stderr_hint()}")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        try:
            return json.loads(line)
        except ValueError as e:
            raise SupervisorGone(f"unreadable answer from the supervisor: {e}") from None

    def _stderr_hint(self) -> str:
        try:
            self.proc.wait(timeout=1)
            err = self.proc.stderr.read(2000).decode("utf-8", "replace").strip()  # type: ignore[union-attr]
        except Exception:  # noqa: BLE001
            return ""
        return f": {err.splitlines()[-1]}" if err else ""

    def run(self, req: ExecRequest, request_id: str) -> dict:
        data = encode_request(req, request_id)
        try:
            self.proc.stdin.write(data)  # type: ignore[union-attr]
            self.proc.stdin.flush()  # type: ignore[union-attr]
        except (BrokenPipeError, OSError) as e:
            raise SupervisorGone(f"supervisor pipe closed ({e})") from None
        n_runs = max(1, len(req.cases)) if req.fresh_interpreter else 1
        resp = self._read_line(time.monotonic() + req.limits.timeout_s + GRACE_S * n_runs)
        if resp.get("id") != request_id:
            raise SupervisorGone("supervisor answered a different request")
        self.served += 1
        return resp

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self, wait: float = 2.0) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for f in (self.proc.stdout, self.proc.stderr):
            try:
                f.close()  # type: ignore[union-attr]
            except OSError:
                pass
