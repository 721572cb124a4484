"""The importer registry: a source format is one module and one registration.

An importer is a function `load(source, options) -> Imported` registered with `@importer`:
`source` is the file to read (a Path; the importer's `default_source()` when the user gave
none, or an InputError saying the format needs one), `options` an instance of the importer's
pydantic `options` model (or None when it declares none), whose fields `codesynth problems
import NAME` offers as `--field-name` options (a bool is a flag; the field's description is
its help). It returns the problems it made and the rows it skipped, each skipped row as one
line naming file:line and why. Bad input is an InputError naming file:line and the field.

A package outside codesynth names its function in the `codesynth.importers` entry-point group
(`toy = "mypkg.importers:load_toy"`). See docs/extending/importers.md.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from codesynth.errors import InputError
from codesynth.jsonl import describe_validation_error
from codesynth.models import Problem

GROUP = "codesynth.importers"


@dataclass
class Imported:
    """What an importer made: the problems, and one line per row it skipped (file:line: why)."""

    problems: list[Problem]
    skipped: list[str] = field(default_factory=list)


Loader = Callable[[Path, Any], Imported]


@dataclass(frozen=True)
class Importer:
    name: str
    load: Loader
    description: str = ""
    #: a pydantic model of the importer's own options (None: it has none)
    options: type[BaseModel] | None = None
    #: where the source is when none is given (None: a source is required)
    default_source: Callable[[], Path] | None = None

    def run(self, source: str | os.PathLike | None = None, **options: Any) -> Imported:
        """Load `source` with `options` (the options model's fields, as keywords)."""
        if source is None:
            if self.default_source is None:
                raise InputError(f"the {self.name} importer needs a source file")
            path = self.default_source()
        else:
            path = Path(source)
        opts = None
        if self.options is not None:
            try:
                opts = self.options(**options)
            except ValidationError as e:
                raise InputError(f"{self.name} importer: {describe_validation_error(e)}") from None
        elif options:
            raise InputError(f"the {self.name} importer takes no options (given: {', '.join(sorted(options))})")
        return self.load(path, opts)


_importers: dict[str, Importer] = {}
_loaded = False

#: the modules holding the built-in importers (imported when the registry is first read)
BUILTIN = ("humaneval", "mbpp", "multipl_e", "native")


def importer(name: str, *, description: str = "", options: type[BaseModel] | None = None,
             default_source: Callable[[], Path] | None = None) -> Callable[[Loader], Loader]:
    """Register the decorated `load(source, options) -> Imported` as importer `name`."""

    def deco(load: Loader) -> Loader:
        imp = Importer(name, load, description or (load.__doc__ or "").strip().split("\n")[0], options,
                       default_source)
        _importers[name] = imp
        load.importer = imp  # type: ignore[attr-defined]  # what an entry point resolves to
        return load

    return deco


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for mod in BUILTIN:
        importlib.import_module(f"codesynth.importers.{mod}")
    for ep in entry_points(group=GROUP):
        if ep.name in _importers:
            continue  # a built-in keeps its name
        try:
            obj = ep.load()
        except Exception as e:  # a broken plugin is named, not a traceback
            raise InputError(f"importer '{ep.name}' (entry point {ep.value}): cannot load ({e})") from None
        imp = getattr(obj, "importer", None)
        if not isinstance(imp, Importer):
            raise InputError(f"importer '{ep.name}' (entry point {ep.value}): not a function decorated with "
                             "@importer")
        _importers[ep.name] = Importer(ep.name, imp.load, imp.description, imp.options, imp.default_source)


def importer_names() -> list[str]:
    _load()
    return list(_importers)


def get_importer(name: str) -> Importer:
    _load()
    key = name.strip().lower()
    imp = _importers.get(key) or _importers.get(key.replace("_", "-"))
    if imp is None:
        raise InputError(f"unknown problem format '{name}' (choose from: {', '.join(_importers)})")
    return imp


def import_problems(fmt: str, source: str | os.PathLike | None = None, **options: Any) -> list[Problem]:
    """Problems from `source` in the registered format `fmt` (a skipped row is an error here unless the
    importer's options say to skip)."""
    return get_importer(fmt).run(source, **options).problems
