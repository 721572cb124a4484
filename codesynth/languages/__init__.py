"""The language registry: a language is one module, not edits in every layer.

Built-in languages are registered by import path (a run that never asks for Rust never
imports its module). Another package adds a language through the `codesynth.languages`
entry-point group (`name = "package.module:SPEC"`, a `LanguageSpec` or a module that
registers itself), or by calling `register(spec)` (or decorating a function returning one
with `@language`) at import time. docs/extending/languages.md walks through a whole one.

    get("cpp").toolchain.packages   # ('g++',)
    names()                         # every registered name
    resolve("nodejs")               # 'javascript' (names and aliases)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points

from codesynth.languages.base import LangSpec, LanguageSpec, NoMapping

__all__ = ["LangSpec", "LanguageSpec", "NoMapping", "UnknownLanguage", "all_specs", "get", "language", "names",
           "refresh", "register", "resolve"]

_BUILTIN = ("python", "c", "cpp", "java", "javascript", "typescript", "go", "rust")
_specs: dict[str, LanguageSpec | str] = {n: f"codesynth.languages.{n}:SPEC" for n in _BUILTIN}
_plugins_loaded = False


class UnknownLanguage(ValueError):
    """A language name no registered language has (the message names the known ones)."""


def register(spec: LanguageSpec) -> LanguageSpec:
    """Make `spec` a language every layer knows; a second registration of a name replaces it."""
    if not isinstance(spec, LanguageSpec):
        raise TypeError(f"register() takes a LanguageSpec, got {type(spec).__name__}")
    _specs[spec.name] = spec
    return spec


def language(factory: Callable[[], LanguageSpec]) -> Callable[[], LanguageSpec]:
    """Decorator: `@language def my_lang() -> LanguageSpec: ...` registers what it returns."""
    register(factory())
    return factory


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for ep in entry_points(group="codesynth.languages"):
        _specs.setdefault(ep.name, ep.value)


def refresh() -> None:
    """Read the `codesynth.languages` entry points again (a package installed while running)."""
    global _plugins_loaded
    _plugins_loaded = False
    _load_plugins()


def names() -> tuple[str, ...]:
    """Every registered name: the built-ins in their usual order, then the others as registered."""
    _load_plugins()
    return tuple(_specs)


def get(name: str) -> LanguageSpec:
    """The registered language `name`; UnknownLanguage names the known ones."""
    _load_plugins()
    s = _specs.get(name)
    if s is None:
        raise UnknownLanguage(f"unknown language {name!r} (known: {', '.join(names())})")
    if isinstance(s, str):
        mod, _, attr = s.partition(":")
        m = importlib.import_module(mod)
        loaded = getattr(m, attr or "SPEC", None)
        if not isinstance(loaded, LanguageSpec):
            loaded = _specs.get(name)  # a module that registered itself on import
        if not isinstance(loaded, LanguageSpec) or loaded.name != name:
            raise UnknownLanguage(f"language {name!r}: {s} does not provide a LanguageSpec named {name!r}")
        _specs[name] = s = loaded
    return s


def all_specs() -> list[LanguageSpec]:
    return [get(n) for n in names()]


def resolve(name: str) -> str | None:
    """A name or alias (case-insensitive) -> the registered name; None when nothing matches."""
    key = name.strip().lower()
    for n in names():
        if key == n or key in get(n).aliases:
            return n
    return None
