"""The default backend: a pool of warm, hardened containers, each running the supervisor.

Every container is started once with the full lock-down (no network, read-only root,
capped tmpfs scratch, pids/memory/CPU limits, all capabilities dropped but the three
the supervisor needs to switch uids, no-new-privileges, non-root user, init, labels).
Programs are then forked inside it in milliseconds. A container is replaced after
`recycle_after` programs and at once after any anomaly (timeout, memory kill, crash,
stragglers), with a spare warmed in the background so recycling stays off the hot path.
"""

from __future__ import annotations

import collections
import itertools
import os
import queue
import random
import secrets
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field

from codesynth.errors import SandboxUnavailable
from codesynth.models import ExecutionResult, Limits
from codesynth.sandbox.backend import Backend, BackendClosed, ExecRequest
from codesynth.sandbox.capacity import check_workers
from codesynth.sandbox.confirm import confirmed
from codesynth.sandbox.docker.containers import cleanup_containers, labels
from codesynth.sandbox.docker.hardening import SUPERVISOR_UID, Hardening
from codesynth.sandbox.protocol.results import from_response, precheck, sandbox_error
from codesynth.sandbox.protocol.supervisor_client import SupervisorClient, SupervisorGone

SUPERVISOR = "/opt/codesynth/harness/supervisor.py"
# The container's main process is the supervisor itself. It starts as uid 0 solely to
# pick up the three capabilities it needs to give candidates and testers uids of their
# own, and drops to uid 61000 at once; only docker-init (pid 1) stays root. It talks to
# us over a Unix socket from a read-only bind mount, and exits when that socket closes,
# so even a SIGKILLed run leaves no container behind (`--rm`).
SOCK_DIR = "/run/codesynth"
START_TIMEOUT_S = 60.0


def _docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


@dataclass
class Slot:
    name: str
    client: SupervisorClient
    spare: bool = False  # warmed in the background (may have died while waiting)
    cpu: int | None = None  # the core it is pinned to (None: not pinned)
    served: int = 0
    started: float = field(default_factory=time.monotonic)


class DockerBackend(Backend):
    name = "docker"

    def __init__(
        self,
        workers: int | None = None,
        limits: Limits | None = None,
        image: str | None = None,
        run_id: str | None = None,
        recycle_after: int = 1000,
        spares: int = 1,
        build_image: bool = True,
        pin_cpus: bool = True,
        languages: set[str] | None = None,
        profile: str | None = None,
    ):
        self._workers = max(1, workers or os.cpu_count() or 1)
        self.limits = limits or Limits()
        # More containers than the machine holds do not fail fast: `docker run`s queue and time out.
        check_workers(workers, self.limits.memory_mb, option="workers")
        self._image = image
        self.run_id = run_id or secrets.token_hex(4)
        self.recycle_after = recycle_after
        self._want_spares = spares
        self._build = build_image
        # Languages other than Python need a toolchain image (sandbox/docker/lang_image.py); which
        # ones the chosen image really has is read from its label at start().
        self.languages = set(languages or {"python"}) | {"python"}
        # A runner image profile (sandbox/docker/profiles.py): minimal (None), scientific, or a
        # package file; its image is built on the chosen runner image on first use.
        from codesynth.sandbox.docker import profiles

        self.profile = profiles.resolve(profile)
        self.profile_label: str | None = None  # what the image's labels say, once read
        # One core per container: a program's processes (candidate, tester, supervisor)
        # hand work to each other many times per program; on one core those hand-offs
        # are plain context switches instead of cross-core wake-ups that leave cores idle.
        cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        # (A program allowed more than one CPU is not pinned: one core would cap it.)
        self._cores = cores if pin_cpus and len(cores) > 1 and self.limits.cpus <= 1 else []
        self._core_load: collections.Counter[int] = collections.Counter()
        self._slots: queue.Queue[Slot] = queue.Queue()
        self._spares: queue.Queue[Slot] = queue.Queue()
        self._live: dict[str, Slot] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._names = itertools.count()
        self._ids = itertools.count()
        self._warmer: threading.Thread | None = None
        self._warm_needed = threading.Semaphore(0)
        self.stats = {"containers_started": 0, "recycled": 0, "retries": 0, "startup_s": 0.0}

    # ------------------------------------------------------------------ lifecycle

    @property
    def capacity(self) -> int:
        return self._workers

    def idle_workers(self) -> int:
        return self._slots.qsize()

    @property
    def image(self) -> str:
        assert self._image
        return self._image

    def start(self) -> None:
        from codesynth.sandbox.docker import engine

        if not engine.engine_available():
            raise SandboxUnavailable(
                "the Docker engine is not reachable; run `codesynth sandbox setup` (installs/starts it) "
                "or `codesynth sandbox doctor` for details"
            )
        from codesynth.sandbox.docker import lang_image

        if self._image is None:
            self._image = lang_image.ensure_image(self.languages, build=self._build)
        elif _docker("image", "inspect", self._image, timeout=60).returncode != 0:
            raise SandboxUnavailable(
                f"runner image {self._image} not found; build it with `codesynth sandbox build`"
            )
        if self.profile is not None:  # on whichever runner image was chosen or given
            from codesynth.sandbox.docker import profiles

            self._image = profiles.ensure_profile_image(self._image, self.profile)
        self.image_languages = lang_image.image_languages_of(self._image)
        reap_orphans()
        t0 = time.monotonic()
        errors: list[BaseException] = []

        def boot() -> None:
            try:
                self._slots.put(self._new_slot())
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=boot, daemon=True) for _ in range(self._workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            self.close()
            e = errors[0]
            raise SandboxUnavailable(f"cannot start a sandbox container: {e}") from None
        self.stats["startup_s"] = time.monotonic() - t0
        if self._want_spares:
            self._warmer = threading.Thread(target=self._warm_loop, name="codesynth-warmer", daemon=True)
            self._warmer.start()
            for _ in range(self._want_spares):
                self._warm_needed.release()

    def wait_spares(self, timeout: float = START_TIMEOUT_S) -> bool:
        """Block until the warm spares are up (True), so that their start-up is not timed with
        the first requests (benchmarks); False after `timeout`."""
        end = time.monotonic() + timeout
        while self._spares.qsize() < self._want_spares:
            if time.monotonic() > end or self._closing.is_set():
                return False
            time.sleep(0.05)
        return True

    def close(self) -> None:
        self._closing.set()
        self._warm_needed.release()
        if self._warmer is not None and self._warmer is not threading.current_thread():
            self._warmer.join(timeout=START_TIMEOUT_S)  # a spare still booting is removed below, not later
        with self._lock:
            slots = list(self._live.values())
            self._live.clear()
        for s in slots:
            s.client.close(wait=0)  # the supervisor exits on EOF; rm -f makes it immediate
        names = [s.name for s in slots]
        if names:
            try:
                _docker("rm", "-f", *names, timeout=60)
            except (subprocess.TimeoutExpired, OSError):
                pass

    # ------------------------------------------------------------------ containers

    def _take_core(self) -> int | None:
        """The least used core (the caller holds no lock)."""
        if not self._cores:
            return None
        with self._lock:
            core = min(self._cores, key=lambda c: self._core_load[c])
            self._core_load[core] += 1
        return core

    def _release_core(self, core: int | None) -> None:
        if core is not None:
            with self._lock:
                self._core_load[core] -= 1

    def _pin(self, slot: Slot) -> None:
        """Pin a promoted spare (started unpinned) to the least used core, in the background."""
        slot.cpu = self._take_core()
        if slot.cpu is not None:
            threading.Thread(target=_docker, args=("update", "--cpuset-cpus", str(slot.cpu), slot.name),
                             kwargs={"timeout": 60}, daemon=True).start()

    def _docker_run_argv(self, name: str, sock_dir: str, uid_base: int, cpu: int | None = None) -> list[str]:
        return [
            "docker", "run", "-d", "--rm", "--name", name,
            *(a for k, v in labels(self.run_id).items() for a in ("--label", f"{k}={v}")),
            *Hardening(self.limits, cpu, compiler_uid=uid_base + 2, compiled=self._compiled()).docker_run_args(),
            "-v", f"{sock_dir}:{SOCK_DIR}:ro",
            self.image, "python3", "-I", SUPERVISOR,
            "--connect", f"{SOCK_DIR}/s",
            "--supervisor-uid", str(SUPERVISOR_UID), "--tester-uid", str(uid_base),
            "--candidate-uid", str(uid_base + 1), "--compiler-uid", str(uid_base + 2), "--scratch", "/scratch",
        ]

    def _new_slot(self, spare: bool = False) -> Slot:
        if self._closing.is_set():
            raise BackendClosed()
        cpu = None if spare else self._take_core()
        try:
            slot = self._start_container(cpu)
        except BaseException:
            self._release_core(cpu)
            raise
        slot.spare = spare
        return slot

    def _start_container(self, cpu: int | None) -> Slot:
        name = f"codesynth-{self.run_id}-{next(self._names)}"
        # Fresh uids per container: RLIMIT_NPROC counts per uid, so a fork bomb in one
        # container must not starve another's programs.
        uid_base = random.randrange(100_000, 1 << 29) * 4  # tester, candidate, compiler: +0, +1, +2
        sock_dir = tempfile.mkdtemp(prefix="codesynth-")
        os.chmod(sock_dir, 0o755)
        path = os.path.join(sock_dir, "s")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            srv.bind(path)
            os.chmod(path, 0o777)
            srv.listen(1)
            proc = _docker(*self._docker_run_argv(name, sock_dir, uid_base, cpu)[1:], timeout=120)
            if proc.returncode != 0 and cpu is not None and "cpuset" in proc.stderr.lower():
                # An engine without the cpuset controller (some rootless setups): run unpinned.
                _docker("rm", "-f", name, timeout=60)
                self._cores = []
                proc = _docker(*self._docker_run_argv(name, sock_dir, uid_base)[1:], timeout=120)
            if proc.returncode != 0:
                lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and "--help" not in ln]
                raise SupervisorGone(f"cannot start container: {lines[0] if lines else proc.returncode}")
            srv.settimeout(START_TIMEOUT_S)
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                logs = _docker("logs", name, timeout=30)
                _docker("rm", "-f", name, timeout=60)
                tail = (logs.stderr or logs.stdout).strip().splitlines()[-1:] or ["no output"]
                raise SupervisorGone(f"supervisor did not connect: {tail[0]}") from None
        finally:
            # One connection only: nobody else (no candidate) can ever connect again.
            srv.close()
            try:
                os.unlink(path)
                os.rmdir(sock_dir)
            except OSError:
                pass
        try:
            client = SupervisorClient.over_socket(conn, start_timeout=START_TIMEOUT_S)
        except SupervisorGone:
            _docker("rm", "-f", name, timeout=60)
            raise
        slot = Slot(name=name, client=client, cpu=cpu if self._cores else None)
        with self._lock:
            closing = self._closing.is_set()
            if not closing:
                self._live[name] = slot
                self.stats["containers_started"] += 1
        if closing:
            _destroy(slot)  # synchronously: close() is waiting for us
            raise BackendClosed()
        return slot

    def _retire(self, slot: Slot) -> None:
        with self._lock:
            if self._live.pop(slot.name, None) is not None and slot.cpu is not None:
                self._core_load[slot.cpu] -= 1
        threading.Thread(target=_destroy, args=(slot,), daemon=True).start()

    def _warm_loop(self) -> None:
        while True:
            self._warm_needed.acquire()
            if self._closing.is_set():
                return
            try:
                self._spares.put(self._new_slot(spare=True))
            except BackendClosed:
                return
            except BaseException:  # noqa: BLE001 - the hot path will start one itself
                time.sleep(0.5)

    def _replacement(self) -> Slot:
        """A warm spare if one is alive, else a container started now."""
        while True:
            try:
                slot = self._spares.get_nowait()
            except queue.Empty:
                return self._new_slot()
            self._warm_needed.release()
            if slot.client.looks_alive():
                self._pin(slot)
                return slot
            self._retire(slot)  # died while waiting (e.g. the engine restarted)

    # ------------------------------------------------------------------ execution

    def served_languages(self) -> set[str]:
        # read when asked: a language registered later that needs nothing beyond the runner
        # image (codesynth/languages: no packages) runs here too
        from codesynth.sandbox.languages.specs import base_languages

        return set(getattr(self, "image_languages", {"python"})) | set(base_languages())

    def describe(self) -> str:
        if not self._image:
            return self.name
        from codesynth.sandbox.docker import profiles

        if self.profile_label is None:
            self.profile_label = profiles.profile_of(self._image)
        return f"image {self._image}, profile {self.profile_label}"

    def _compiled(self) -> bool:
        return bool(self.languages - {"python"})

    def execute(self, request: ExecRequest) -> ExecutionResult:
        return confirmed(request, self._execute_once)

    def _execute_once(self, request: ExecRequest) -> tuple[ExecutionResult, dict | None]:
        """One verdict (infrastructure failures retried) and the supervisor's raw answer."""
        pre = precheck(request)
        if pre is not None:
            return pre, None
        if request.language not in self.served_languages():
            from codesynth.sandbox.docker.lang_image import missing_message

            return sandbox_error(request, f"{missing_message({request.language})} (this pool runs {self.image})",
                                 self.name), None
        if self._closing.is_set():
            raise BackendClosed()
        slot = self._slots.get()
        last_err = ""
        attempt = 0
        while True:
            attempt += 1
            try:
                resp = slot.client.run(request, f"r{next(self._ids)}")
            except SupervisorGone as e:
                if self._closing.is_set():
                    raise BackendClosed() from None
                # Infrastructure failure, not the candidate's: retry on a fresh container. A spare
                # that turns out to have died too (engine restart) does not count as that retry.
                last_err = str(e)
                self.stats["retries"] += 1
                self.stats["last_retry_error"] = last_err[:300]  # why, for whoever reads the stats
                retried_on_new = attempt > 1 and not slot.spare
                self._retire(slot)
                if retried_on_new or attempt >= 3:
                    self._slots.put(self._fresh_or_fail())
                    return sandbox_error(request, f"sandbox failed twice: {last_err}", self.name, attempts=attempt), None
                slot = self._fresh_or_fail(spare_ok=attempt == 1)
                continue
            slot.served += 1
            infra_error = resp.get("status") == "sandbox_error"
            if resp.get("anomaly") or infra_error or slot.served >= self.recycle_after:
                self.stats["recycled"] += 1
                self._retire(slot)
                slot = self._fresh_or_fail()
            if infra_error and attempt == 1:
                last_err = resp.get("error_message") or "sandbox error"
                continue
            self._slots.put(slot)
            if infra_error:
                return sandbox_error(request, f"sandbox failed twice: {last_err}", self.name, attempts=attempt), None
            res = from_response(request, resp, self.name)
            res.attempts = attempt
            return res, resp

    def _fresh_or_fail(self, spare_ok: bool = True) -> Slot:
        """A new container for this worker (a warm spare if allowed); if none can start, the
        backend is unusable: one SandboxUnavailable, never a traceback."""
        try:
            return self._replacement() if spare_ok else self._new_slot()
        except BackendClosed:
            raise
        except BaseException as e:  # noqa: BLE001
            try:
                return self._new_slot()
            except BackendClosed:
                raise
            except BaseException:  # noqa: BLE001
                raise SandboxUnavailable(f"cannot start a replacement sandbox container: {e}") from None


def _destroy(slot: Slot) -> None:
    slot.client.close(wait=0)
    try:
        _docker("rm", "-f", slot.name, timeout=60)
    except (subprocess.TimeoutExpired, OSError):
        pass


def reap_orphans() -> int:
    """Remove containers of ours whose owning process on this host is gone (e.g. SIGKILL).

    Best effort at pool start: an engine that does not answer here will say so on the
    first container start, with a clear message."""
    try:
        return cleanup_containers(leftovers_only=True)
    except Exception:  # noqa: BLE001
        return 0
