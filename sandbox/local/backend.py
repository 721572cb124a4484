"""Opt-in local backend: the same supervisor as a plain subprocess, with rlimits only.

This is NOT an isolation boundary: the candidate runs as you, can read your files and
reach the network. It exists for machines without Docker and for debugging.
"""

from __future__ import annotations

import itertools
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import warnings
from typing import Literal

from codesynth.models import ExecutionResult, Limits, Status
from codesynth.sandbox.backend import Backend, ExecRequest, uses_compile_step
from codesynth.sandbox.confirm import confirmed
from codesynth.sandbox.docker.image_modules import missing_imports
from codesynth.sandbox.protocol.results import from_response, precheck, sandbox_error
from codesynth.sandbox.protocol.supervisor_client import SupervisorClient, SupervisorGone

HARNESS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "harness", "supervisor.py")
WARNING = "the local backend is NOT an isolation boundary: candidate code runs as your user, with your files and network"

#: What to do with a program importing a module this host has but the runner image lacks
#: (numpy, say): `warn` once per module, `refuse` it with the ModuleNotFoundError Docker
#: would give (same verdicts on both backends), or `allow` it silently.
ImageImports = Literal["warn", "refuse", "allow"]


_NETNS: list[str] | None = None


def _netns_prefix() -> list[str]:
    """Cut the network with a fresh network namespace where this machine allows one."""
    global _NETNS
    if _NETNS is None:
        _NETNS = []
        unshare = shutil.which("unshare")
        if unshare:
            for prefix in ([unshare, "--net", "--"], [unshare, "--user", "--map-root-user", "--net", "--"]):
                try:
                    ok = subprocess.run([*prefix, "true"], capture_output=True, timeout=10).returncode == 0
                except (OSError, subprocess.TimeoutExpired):
                    ok = False
                if ok:
                    _NETNS = prefix
                    break
    return _NETNS


class LocalBackend(Backend):
    name = "local"

    def __init__(self, workers: int | None = None, quiet: bool = False, limits: Limits | None = None,
                 run_id: str | None = None, recycle_after: int | None = None, image_imports: ImageImports = "warn",
                 profile: str | None = None):
        # limits travel with each request; run_id and recycle_after mean nothing for plain processes
        if image_imports not in ("warn", "refuse", "allow"):
            raise ValueError(f"image_imports must be warn, refuse or allow, not {image_imports!r}")
        self._workers = workers or os.cpu_count() or 1
        self._image_imports = image_imports
        # The runner image profile the Docker backend would use: its packages count as importable.
        from codesynth.sandbox.docker import profiles

        self._profile_modules = profiles.modules_of(profiles.resolve(profile))
        self._warned: set[str] = set()
        self._slots: queue.Queue[SupervisorClient] = queue.Queue()
        self._all: list[SupervisorClient] = []
        self._dirs: list[tempfile.TemporaryDirectory] = []
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._quiet = quiet

    @property
    def capacity(self) -> int:
        return self._workers

    def idle_workers(self) -> int:
        return self._slots.qsize()

    def _spawn(self) -> SupervisorClient:
        d = tempfile.TemporaryDirectory(prefix="codesynth-local-")
        self._dirs.append(d)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        c = SupervisorClient.spawn([*_netns_prefix(), sys.executable, "-I", HARNESS, "--scratch", d.name], env=env)
        with self._lock:
            self._all.append(c)
        return c

    def start(self) -> None:
        if not self._quiet:
            warnings.warn(WARNING, stacklevel=2)
            print(f"codesynth: WARNING: {WARNING}", file=sys.stderr)
        for _ in range(self._workers):
            self._slots.put(self._spawn())

    def execute(self, request: ExecRequest) -> ExecutionResult:
        return confirmed(request, self._execute_once)

    def _execute_once(self, request: ExecRequest) -> tuple[ExecutionResult, dict | None]:
        """One verdict and the supervisor's raw answer (None: no sandbox run)."""
        pre = precheck(request)
        if pre is None and uses_compile_step(request):  # before the import check: it parses Python
            return sandbox_error(request, f"{request.language} programs (and data-form tests) run only in the "
                                 "docker backend: it has the compile cache and the compiler uid", self.name), None
        pre = pre or self._check_imports(request)
        if pre is not None:
            return pre, None
        for attempt in (1, 2):
            slot = self._slots.get()
            try:
                resp = slot.run(request, f"r{next(self._ids)}")
            except SupervisorGone as e:
                slot.close(wait=0.1)
                self._slots.put(self._spawn())
                if attempt == 2:
                    return sandbox_error(request, str(e), self.name, attempts=2), None
                continue
            self._slots.put(slot)
            res = from_response(request, resp, self.name)
            res.attempts = attempt
            return res, resp
        raise AssertionError("unreachable")

    def _check_imports(self, request: ExecRequest) -> ExecutionResult | None:
        if self._image_imports == "allow":
            return None
        present = self._profile_modules
        missing = missing_imports(request.program, present) + missing_imports(request.tests or "", present)
        if not missing:
            return None
        if self._image_imports == "refuse":
            return ExecutionResult(
                candidate_id=request.candidate_id, problem_id=request.problem_id, status=Status.error,
                error_type="ModuleNotFoundError", limits=request.limits, backend=self.name,
                error_message=f"No module named '{missing[0]}' (not in the sandbox image; --backend local "
                              "refuses what --backend docker cannot import)",
            )
        with self._lock:
            new = [m for m in missing if m not in self._warned]
            self._warned.update(new)
        if new:
            print(f"codesynth: WARNING: {request.problem_id}: imports {', '.join(new)}, which the sandbox image "
                  "lacks: --backend docker fails such programs (ModuleNotFoundError); verdicts differ "
                  "(--local-imports refuse gives Docker's verdict)", file=sys.stderr)
        return None

    def close(self) -> None:
        with self._lock:
            for c in self._all:
                c.close(wait=1.0)
            self._all.clear()
        for d in self._dirs:
            d.cleanup()
        self._dirs.clear()
