"""A running supervisor (in a container or a local process) and the channel to it.

The channel is either the supervisor's stdin/stdout (local backend) or a Unix socket
it connected to (Docker backend: a direct path, no relay through the engine).
"""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import time

from codesynth.sandbox.backend import ExecRequest, uses_compile_step
from codesynth.sandbox.harness.cputime import hard_wall_limit
from codesynth.sandbox.protocol.wire_host import encode_request

# Our own answer comes at most this long after the program's deadline.
GRACE_S = 10.0


class SupervisorGone(Exception):
    """The supervisor or its container died, or stopped answering."""


class SupervisorClient:
    def __init__(self, read_fd: int, write_fd: int, start_timeout: float, closer, describe_exit=None):
        self._rfd, self._wfd = read_fd, write_fd
        self._closer = closer
        self._describe_exit = describe_exit or (lambda: "")
        self._buf = b""
        self.served = 0
        self.hello = self._read_line(time.monotonic() + start_timeout)

    @classmethod
    def spawn(cls, argv: list[str], start_timeout: float = 60.0, env: dict | None = None) -> SupervisorClient:
        # Own session: a Ctrl-C in the terminal must reach only us, so that we can stop in order
        # instead of every in-flight program dying and being mistaken for a sandbox failure.
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True, env=env, bufsize=0)

        def closer(wait: float) -> None:
            for f in (proc.stdin,):
                try:
                    f.close()  # type: ignore[union-attr]
                except OSError:
                    pass
            try:
                proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            for f in (proc.stdout, proc.stderr):
                try:
                    f.close()  # type: ignore[union-attr]
                except OSError:
                    pass

        def describe() -> str:
            try:
                proc.wait(timeout=1)
                err = proc.stderr.read(4000).decode("utf-8", "replace").strip()  # type: ignore[union-attr]
            except Exception:  # noqa: BLE001
                return ""
            return f": {err.splitlines()[-1]}" if err else ""

        try:
            return cls(proc.stdout.fileno(), proc.stdin.fileno(), start_timeout, closer, describe)  # type: ignore[union-attr]
        except SupervisorGone:
            closer(0.5)
            raise

    @classmethod
    def over_socket(cls, conn: socket.socket, start_timeout: float = 60.0) -> SupervisorClient:
        conn.setblocking(True)

        def closer(wait: float) -> None:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

        try:
            return cls(conn.fileno(), conn.fileno(), start_timeout, closer)
        except SupervisorGone:
            closer(0)
            raise

    def _read_line(self, deadline: float) -> dict:
        while b"\n" not in self._buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SupervisorGone("no answer from the supervisor in time")
            ready, _, _ = select.select([self._rfd], [], [], remaining)
            if not ready:
                continue
            try:
                chunk = os.read(self._rfd, 1 << 16)  # 1 MiB would be an mmap per read
            except OSError as e:
                raise SupervisorGone(f"supervisor channel failed ({e})") from None
            if not chunk:
                raise SupervisorGone(f"supervisor exited{self._describe_exit()}")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        try:
            return json.loads(line)
        except ValueError as e:
            raise SupervisorGone(f"unreadable answer from the supervisor: {e}") from None

    def run(self, req: ExecRequest, request_id: str) -> dict:
        data = memoryview(encode_request(req, request_id))
        try:
            while data:
                n = os.write(self._wfd, data)
                data = data[n:]
        except OSError as e:
            raise SupervisorGone(f"supervisor channel closed ({e})") from None
        n_runs = max(1, len(req.cases)) if req.fresh_interpreter or uses_compile_step(req) else 1
        # Programs (and compile steps) are judged on CPU time; the wall clock bounds a run at
        # hard_wall_limit, and a starved supervisor needs a while to stop and clean up after that.
        # A compile step has its own limit, enforced in the container before the run starts.
        compile_s = 1.5 * hard_wall_limit(req.limits.compile_timeout_s) + GRACE_S if uses_compile_step(req) else 0.0
        run_s = 1.5 * hard_wall_limit(req.limits.timeout_s)
        resp = self._read_line(time.monotonic() + run_s + compile_s + GRACE_S * n_runs)
        if resp.get("id") != request_id:
            raise SupervisorGone("supervisor answered a different request")
        self.served += 1
        return resp

    def looks_alive(self) -> bool:
        """False if the channel already shows EOF (the container died while idle)."""
        if self._buf:
            return False  # the supervisor never speaks unasked
        try:
            ready, _, _ = select.select([self._rfd], [], [], 0)
        except (OSError, ValueError):
            return False
        return not ready

    def close(self, wait: float = 2.0) -> None:
        self._closer(wait)
