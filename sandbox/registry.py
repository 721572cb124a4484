"""The backend registry: a backend kind is one registration, not edits in every caller.

Built-in kinds are registered by import path (so `docker` is not imported by a run that
uses `local`); third-party packages add kinds through the `codesynth.backends` entry-point
group (`name = "package.module:Factory"`), or call `register_backend` at import time.
A factory takes the shared options below as keywords and returns an unstarted Backend.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from codesynth.errors import InputError
from codesynth.models import Limits
from codesynth.registry import Registry
from codesynth.sandbox.backend import Backend

Factory = Callable[..., Backend]

_backends: Registry[Factory] = Registry("codesynth.backends", "backend", {
    "docker": "codesynth.sandbox.docker.backend:DockerBackend",
    "local": "codesynth.sandbox.local.backend:LocalBackend",
})


def register_backend(kind: str, factory: Factory | str) -> None:
    """Make `kind` available to `open_backend`, `--backend` and the service."""
    _backends.register(kind, factory)


def backend_kinds() -> list[str]:
    return sorted(_backends.names())


def _resolve(kind: str) -> Factory:
    return _backends.get(kind)


def create_backend(
    kind: str = "docker",
    *,
    workers: int | None = None,
    limits: Limits | None = None,
    run_id: str | None = None,
    **options: Any,
) -> Backend:
    """An unstarted backend of `kind`. `options` are the backend's own (e.g. docker's recycle_after)."""
    return _resolve(kind)(workers=workers, limits=limits, run_id=run_id, **options)


def open_backend(kind: str = "docker", **config: Any) -> Backend:
    """A started backend of `kind` (the caller closes it, or uses it as a context manager)."""
    b = create_backend(kind, **config)
    b.start()
    return b


class LazyBackend:
    """A backend opened on first `get()` and closed by `close()` only if this opened it.

    For work where only some steps execute code (curation: only mutation testing and
    input agreement do), so a run that needs no sandbox never starts one.
    """

    def __init__(self, kind: str | None = "docker", backend: Backend | None = None, **config: Any):
        self._kind, self._config = kind, config
        self._backend, self._owned = backend, False

    @classmethod
    def of(cls, backend: Backend | LazyBackend | None) -> LazyBackend | None:
        """What a public function was given: an already started backend (its owner closes it),
        a LazyBackend (kept as it is), or None (no step may execute code)."""
        if backend is None or isinstance(backend, LazyBackend):
            return backend
        return cls(kind=None, backend=backend)

    def get(self) -> Backend:
        if self._backend is None:
            if self._kind is None:
                raise InputError("no sandbox backend was given for a step that executes code")
            self._backend, self._owned = open_backend(self._kind, **self._config), True
        return self._backend

    def close(self) -> None:
        if self._owned and self._backend is not None:
            self._backend.close()
        self._backend, self._owned = None, False

    def __enter__(self) -> LazyBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
