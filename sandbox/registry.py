"""The backend registry: a backend kind is one registration, not edits in every caller.

Built-in kinds are registered by import path (so `docker` is not imported by a run that
uses `local`); third-party packages add kinds through the `codesynth.backends` entry-point
group (`name = "package.module:Factory"`), or call `register_backend` at import time.
A factory takes the shared options below as keywords and returns an unstarted Backend.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from codesynth.errors import InputError
from codesynth.models import Limits
from codesynth.sandbox.backend import Backend

Factory = Callable[..., Backend]

_factories: dict[str, Factory | str] = {
    "docker": "codesynth.sandbox.docker.backend:DockerBackend",
    "local": "codesynth.sandbox.local.backend:LocalBackend",
}
_plugins_loaded = False


def register_backend(kind: str, factory: Factory | str) -> None:
    """Make `kind` available to `open_backend`, `--backend` and the service."""
    _factories[kind] = factory


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for ep in entry_points(group="codesynth.backends"):
        _factories.setdefault(ep.name, ep.value)


def backend_kinds() -> list[str]:
    _load_plugins()
    return sorted(_factories)


def _resolve(kind: str) -> Factory:
    _load_plugins()
    f = _factories.get(kind)
    if f is None:
        raise InputError(f"unknown backend '{kind}' (choose from: {', '.join(backend_kinds())})")
    if isinstance(f, str):
        mod, _, attr = f.partition(":")
        f = getattr(importlib.import_module(mod), attr)
        _factories[kind] = f
    return f


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
