"""The one shape of every extension point: built-ins and plugins registered the same way.

Backends, languages, reward schemes, curation filters, export formats, importers and trainer
adapters are each one `Registry`. An entry is an object, or an import path
("package.module:attr", or "package.module" for a module) resolved on first use, so a registry
lists what exists without importing it. Built-ins either sit in the registry by path or register
themselves with a decorator when their module (`builtin_modules`) is imported. Plugins come from an
entry-point group (`[project.entry-points."<group>"] name = "package.module:attr"`), read once,
and never replace a name registered in code.

`coerce(name, obj)` turns what a path resolved to into the registry's entry (a decorated function
into its spec, say); a plugin that cannot be loaded or coerced is one line naming its entry point,
and an unknown name is one line listing the registered ones (`UnknownName`, a ValueError too so
pydantic validators report it as a field error).
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from codesynth.errors import InputError

T = TypeVar("T")


class UnknownName(InputError, ValueError):
    """A name no entry of a registry has (the message lists the registered ones)."""


def _import(path: str) -> Any:
    mod, _, attr = path.partition(":")
    m = importlib.import_module(mod)
    return getattr(m, attr, None) if attr else m


class Registry(Generic[T]):
    def __init__(self, group: str, what: str, entries: dict[str, T | str] | None = None, *,
                 builtin_modules: Iterable[str] = (), coerce: Callable[[str, Any], T] | None = None,
                 eager_plugins: bool = False, unknown: type[UnknownName] = UnknownName):
        self.group, self.what = group, what
        self._entries: dict[str, T | str] = dict(entries or {})
        self._builtin_modules = tuple(builtin_modules)
        self._coerce = coerce
        self._eager = eager_plugins  # load every plugin on first read (entries that must all be known)
        self._unknown = unknown
        self._loaded = False

    # ------------------------------------------------------------------ registering

    def register(self, name: str, entry: T | str) -> None:
        """Make `entry` (an object or an import path) the one named `name`; a second
        registration of a name in code replaces the first."""
        self._entries[name] = entry

    def register_marked(self, spec: T, obj: Any, attr: str) -> Any:
        """Register `spec` (a dataclass with a `name`) and mark `obj`, what a decorator decorated,
        with it, so that an entry point naming `obj` finds it (see `marked`). Returns `obj`."""
        self.register(spec.name, spec)  # type: ignore[attr-defined]
        setattr(obj, attr, spec)
        return obj

    def decorator(self, name: str) -> Callable[[T], T]:
        def deco(obj: T) -> T:
            self.register(name, obj)
            return obj

        return deco

    # ------------------------------------------------------------------ reading

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        for mod in self._builtin_modules:
            importlib.import_module(mod)
        for ep in entry_points(group=self.group):
            if ep.name in self._entries:
                continue  # a built-in keeps its name
            self._entries[ep.name] = ep.value
            if self._eager:
                self.get(ep.name)

    def refresh(self) -> None:
        """Read the entry points again (a package installed while running)."""
        self._loaded = False
        self._load()

    def names(self) -> list[str]:
        """Every registered name, in registration order (built-ins first)."""
        self._load()
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self.names()

    def get(self, name: str) -> T:
        """The entry registered as `name` (UnknownName lists the registered ones)."""
        if name not in self:
            raise self._unknown(f"unknown {self.what} '{name}' (known: {', '.join(self.names())})")
        entry = self._entries[name]
        if isinstance(entry, str):
            try:
                obj = _import(entry)
                current = self._entries[name]
                if not isinstance(current, str):  # the module registered itself as it was imported
                    obj = current
                entry = self._coerce(name, obj) if self._coerce else obj
            except InputError:
                raise
            except Exception as e:  # noqa: BLE001 - whatever a plugin's import raises, it is named
                raise InputError(f"{self.what} '{name}' ({entry}): cannot load "
                                 f"({type(e).__name__}: {e})") from None
            if entry is None:
                raise InputError(f"{self.what} '{name}': {self._entries[name]} names nothing")
            self._entries[name] = entry
        return entry  # type: ignore[return-value]

    def items(self) -> list[tuple[str, T]]:
        return [(n, self.get(n)) for n in self.names()]


def marked(attr: str, cls: type) -> Callable[[str, Any], Any]:
    """A `coerce` for registries whose decorator marks what it decorates with `attr` (a dataclass
    with a `name`): an entry point names the decorated object and takes the entry point's name."""

    def coerce(name: str, obj: Any) -> Any:
        if isinstance(obj, cls):
            spec = obj
        else:
            spec = getattr(obj, attr, None)
        if not isinstance(spec, cls):
            raise InputError(f"{name}: not decorated with @{attr}")
        return dataclasses.replace(spec, name=name) if getattr(spec, "name", name) != name else spec

    return coerce
