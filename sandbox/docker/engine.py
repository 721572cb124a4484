"""Reaching the Docker engine, and bringing one up on a bare Debian machine.

CI runs on a fresh Debian machine where no engine runs, so `ensure_engine` can
install `docker.io` and start `dockerd` itself (root only). Everywhere else it
explains in one sentence what is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from codesynth.errors import SandboxUnavailable

Log = Callable[[str], None]

DOCKERD_LOG = Path("/var/log/codesynth-dockerd.log")
# Per-request timeout of the shared client: long enough for a slow `docker exec`
# start or an image inspect under load, short enough that a wedged engine surfaces.
CLIENT_TIMEOUT_S = 120

_client = None
_client_lock = threading.Lock()
_apt_updated = False


def stderr_log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _new_client(timeout: float):
    import docker

    return docker.from_env(timeout=timeout)


def engine_available(timeout: float = 5) -> bool:
    """True when a Docker engine answers a ping within `timeout` seconds."""
    try:
        c = _new_client(timeout)
    except Exception:
        return False
    try:
        return bool(c.ping())
    except Exception:
        return False
    finally:
        c.close()


def client():
    """The process-wide DockerClient; raises SandboxUnavailable if the engine is unreachable."""
    global _client
    with _client_lock:
        if _client is not None:
            return _client
        try:
            import docker  # noqa: F401
        except ImportError as e:
            raise SandboxUnavailable(
                "the docker Python SDK is not installed; run `pip install 'docker>=6.1'`"
            ) from e
        try:
            c = _new_client(CLIENT_TIMEOUT_S)
            c.ping()
        except Exception as e:
            raise SandboxUnavailable(
                f"the Docker engine at {_engine_address()} is not reachable ({_reason(e)}); "
                "run `codesynth sandbox setup` (as root it installs and starts dockerd)"
            ) from e
        _client = c
        return c


def reset_client() -> None:
    """Forget the cached client (after the engine was restarted)."""
    global _client
    with _client_lock:
        if _client is not None:
            try:
                _client.close()
            except Exception:
                pass
        _client = None


def ensure_engine(install: bool = True, wait_s: float = 120, log: Log = stderr_log) -> None:
    """Return once a Docker engine answers; install/start one on Debian as root, else raise."""
    if engine_available():
        return
    if not install:
        raise SandboxUnavailable(
            f"the Docker engine at {_engine_address()} is not reachable; start dockerd "
            "(as root, `codesynth sandbox setup` installs and starts it)"
        )
    if not _is_root() or not Path("/etc/debian_version").exists():
        who = "not root" if not _is_root() else "not a Debian system"
        raise SandboxUnavailable(
            f"the Docker engine is not reachable and codesynth cannot start one here ({who}); "
            "install Docker and start it (e.g. `sudo apt-get install docker.io && sudo dockerd &`)"
        )
    if shutil.which("dockerd") is None:
        log("docker engine: dockerd not found; installing docker.io with apt-get")
        apt_install(["docker.io"], log=log)
        if shutil.which("dockerd") is None:
            raise SandboxUnavailable(
                "apt-get installed docker.io but dockerd is still not on PATH; check the apt output above"
            )
        # The package's maintainer scripts may already have started it (sysvinit hosts).
        if _wait_for_engine(10):
            log("docker engine: started by the docker.io package")
            return
    if _dockerd_running():
        log("docker engine: dockerd is running but not answering yet; waiting")
    else:
        _start_dockerd(log)
    if not _wait_for_engine(wait_s):
        raise SandboxUnavailable(
            f"dockerd did not answer within {wait_s:.0f} s; see {DOCKERD_LOG} ({_log_tail()})"
        )
    reset_client()
    log("docker engine: dockerd is up")


def apt_install(packages: list[str], log: Log = stderr_log) -> None:
    """`apt-get install -y` as root, running `apt-get update` once per process first."""
    global _apt_updated
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not _apt_updated:
        _run_logged(["apt-get", "update", "-q"], env, log)
        _apt_updated = True
    _run_logged(["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages], env, log)


def _run_logged(cmd: list[str], env: dict[str, str], log: Log) -> None:
    started = time.monotonic()
    proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        raise SandboxUnavailable(f"`{' '.join(cmd)}` failed with exit code {proc.returncode}: {tail}")
    log(f"  {' '.join(cmd)} ({time.monotonic() - started:.0f} s)")


def _start_dockerd(log: Log) -> None:
    DOCKERD_LOG.parent.mkdir(parents=True, exist_ok=True)
    # A new session and no inherited pipes: dockerd must outlive this process and
    # must not hold the caller's stdout open (CI waits for that pipe to close).
    with open(DOCKERD_LOG, "ab") as out:
        subprocess.Popen(
            ["dockerd"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            cwd="/",
        )
    log(f"docker engine: started dockerd in the background (log: {DOCKERD_LOG})")


def _wait_for_engine(wait_s: float) -> bool:
    deadline = time.monotonic() + wait_s
    while True:
        if engine_available(timeout=5):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.5)


def _dockerd_running() -> bool:
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "dockerd":
                return True
        except OSError:
            continue
    return False


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _log_tail() -> str:
    try:
        lines = DOCKERD_LOG.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    return " | ".join(lines[-2:])[:400] or "empty log"


def _engine_address() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def _reason(e: BaseException) -> str:
    text = str(e)
    if "Permission denied" in text or "PermissionError" in text:
        return "permission denied: run as root or join the docker group"
    if any(k in text for k in ("FileNotFoundError", "ConnectionRefused", "No such file")):
        return "nothing is listening there"
    lines = text.strip().splitlines()
    return (lines[0] if lines else type(e).__name__)[:200]
