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

from collections.abc import Callable
from typing import Any

from codesynth.languages.base import LangSpec, LanguageSpec, NoMapping
from codesynth.registry import Registry, UnknownName

__all__ = ["LangSpec", "LanguageSpec", "NoMapping", "UnknownLanguage", "all_specs", "get", "language", "names",
           "refresh", "register", "resolve"]

_BUILTIN = ("python", "c", "cpp", "java", "javascript", "typescript", "go", "rust")


class UnknownLanguage(UnknownName):
    """A language name no registered language has (the message names the known ones)."""


def _spec(name: str, obj: Any) -> LanguageSpec:
    if not isinstance(obj, LanguageSpec) or obj.name != name:
        raise UnknownLanguage(f"language {name!r}: its module does not provide a LanguageSpec named {name!r}")
    return obj


_languages: Registry[LanguageSpec] = Registry(
    "codesynth.languages", "language", {n: f"codesynth.languages.{n}:SPEC" for n in _BUILTIN},
    coerce=_spec, unknown=UnknownLanguage)


def register(spec: LanguageSpec) -> LanguageSpec:
    """Make `spec` a language every layer knows; a second registration of a name replaces it."""
    if not isinstance(spec, LanguageSpec):
        raise TypeError(f"register() takes a LanguageSpec, got {type(spec).__name__}")
    _languages.register(spec.name, spec)
    return spec


def language(factory: Callable[[], LanguageSpec]) -> Callable[[], LanguageSpec]:
    """Decorator: `@language def my_lang() -> LanguageSpec: ...` registers what it returns."""
    register(factory())
    return factory


def refresh() -> None:
    """Read the `codesynth.languages` entry points again (a package installed while running)."""
    _languages.refresh()


def names() -> tuple[str, ...]:
    """Every registered name: the built-ins in their usual order, then the others as registered."""
    return tuple(_languages.names())


def get(name: str) -> LanguageSpec:
    """The registered language `name`; UnknownLanguage names the known ones."""
    return _languages.get(name)


def all_specs() -> list[LanguageSpec]:
    return [get(n) for n in names()]


def resolve(name: str) -> str | None:
    """A name or alias (case-insensitive) -> the registered name; None when nothing matches."""
    key = name.strip().lower()
    for n in names():
        if key == n or key in get(n).aliases:
            return n
    return None
