"""A named registry of extension points: built-ins and plugins registered the same way.

An entry is an object, or an import path ("package.module:attr", or "package.module" for a
module) resolved on first use, so a registry lists what exists without importing it. Plugins
come from an entry-point group (`[project.entry-points."<group>"] name = "package.module:attr"`),
read once, and never replace a name registered in code.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, group: str, what: str, entries: dict[str, T | str] | None = None):
        self.group, self.what = group, what
        self._entries: dict[str, T | str] = dict(entries or {})
        self._plugins_loaded = False

    def register(self, name: str, entry: T | str) -> None:
        self._entries[name] = entry

    def decorator(self, name: str) -> Callable[[T], T]:
        def deco(obj: T) -> T:
            self.register(name, obj)
            return obj

        return deco

    def names(self) -> list[str]:
        if not self._plugins_loaded:
            self._plugins_loaded = True
            for ep in entry_points(group=self.group):
                self._entries.setdefault(ep.name, ep.value)
        return sorted(self._entries)

    def __contains__(self, name: str) -> bool:
        return name in self.names()

    def get(self, name: str) -> T:
        """The entry registered as `name` (ValueError naming the registered ones)."""
        if name not in self:
            raise ValueError(f"unknown {self.what} '{name}' (registered: {', '.join(self.names())})")
        entry = self._entries[name]
        if isinstance(entry, str):
            mod, _, attr = entry.partition(":")
            obj: Any = importlib.import_module(mod)
            entry = self._entries[name] = getattr(obj, attr) if attr else obj
        return entry  # type: ignore[return-value]
