"""The shared execution backend the trainer adapters use.

One backend per process, started on first use (a trainer's reward call), reused by
every later call (warm containers), closed at interpreter exit. Configure it before
the first call with `configure(...)` or the environment (`CODESYNTH_BACKEND=<kind>`, any registered backend,
`CODESYNTH_WORKERS=N`), or hand over a backend you already started with `set_backend`.
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import Any

from codesynth.errors import InputError
from codesynth.models import Limits
from codesynth.sandbox.backend import Backend
from codesynth.sandbox.registry import create_backend

_lock = threading.Lock()
_backend: Backend | None = None
_owned = False  # True when we started it (and so must close it)
_settings: dict[str, Any] = {}


def configure(kind: str | None = None, workers: int | None = None, limits: Limits | None = None) -> None:
    """Set how the shared backend will be built. Takes effect on the next start."""
    _settings.update(
        {k: v for k, v in {"kind": kind, "workers": workers, "limits": limits}.items() if v is not None}
    )


def set_backend(backend: Backend | None) -> None:
    """Use an already started backend (its owner closes it), or None to forget it."""
    global _backend, _owned
    with _lock:
        if _owned and _backend is not None and _backend is not backend:
            _backend.close()
        _backend, _owned = backend, False


def _build() -> Backend:
    kind = _settings.get("kind") or os.environ.get("CODESYNTH_BACKEND", "docker")
    env_workers = os.environ.get("CODESYNTH_WORKERS")
    if env_workers is not None and not (env_workers.isdigit() and int(env_workers) > 0):
        raise InputError(f"CODESYNTH_WORKERS={env_workers!r}: expected a whole number of at least 1")
    workers = _settings.get("workers") or (int(env_workers) if env_workers else None)
    return create_backend(kind, workers=workers, limits=_settings.get("limits"))


def get_backend() -> Backend:
    """The shared backend, started on first use (thread-safe)."""
    global _backend, _owned
    with _lock:
        if _backend is None:
            be = _build()
            be.start()
            _backend, _owned = be, True
        return _backend


def close_backend() -> None:
    """Close the shared backend if we started it (registered atexit)."""
    global _backend, _owned
    with _lock:
        be, owned = _backend, _owned
        _backend, _owned = None, False
    if be is not None and owned:
        be.close()


atexit.register(close_backend)
