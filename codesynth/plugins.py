"""The shape every extensible registry shares (export formats, importers): built-ins registered by
a decorator when their modules are imported, third-party entries named by an entry point.

A registry's decorator marks what it registers with an attribute (`export_format`, `importer`);
an entry point names the decorated object, and loading it imports the package's module. A
built-in name cannot be taken over. A broken plugin is one line naming the entry point, never a
traceback; an unknown name is one line listing the known ones.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from codesynth.errors import InputError

T = TypeVar("T")


class Registry(Generic[T]):
    """Entries of type `cls` (a dataclass with a `name`), by name, in registration order."""

    def __init__(self, what: str, group: str, attr: str, cls: type[T], builtin_modules: Iterable[str]):
        self.what, self.group, self.attr, self.cls = what, group, attr, cls
        self._builtin = tuple(builtin_modules)
        self._entries: dict[str, T] = {}
        self._loaded = False

    def add(self, entry: T, obj: object) -> None:
        """Register `entry`, marking `obj` (what the decorator decorated) so that an entry point can name it."""
        self._entries[entry.name] = entry  # type: ignore[attr-defined]
        setattr(obj, self.attr, entry)

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        for mod in self._builtin:
            importlib.import_module(mod)
        for ep in entry_points(group=self.group):
            if ep.name in self._entries:
                continue  # a built-in keeps its name
            try:
                obj = ep.load()
            except Exception as e:  # noqa: BLE001 - whatever a plugin's import raises, it is named
                raise InputError(f"{self.what} '{ep.name}' (entry point {ep.value}): cannot load ({e})") from None
            entry = getattr(obj, self.attr, None)
            if not isinstance(entry, self.cls):
                raise InputError(f"{self.what} '{ep.name}' (entry point {ep.value}): not decorated with "
                                 f"@{self.attr}")
            self._entries[ep.name] = dataclasses.replace(entry, name=ep.name)  # type: ignore[type-var]

    def names(self) -> list[str]:
        self._load()
        return list(self._entries)

    def get(self, name: str) -> T:
        self._load()
        entry = self._entries.get(name)
        if entry is None:
            raise InputError(f"unknown {self.what} '{name}' (choose from: {', '.join(self._entries)})")
        return entry
