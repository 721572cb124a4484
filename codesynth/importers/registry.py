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

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from codesynth.errors import InputError
from codesynth.jsonl import describe_validation_error
from codesynth.models import Problem
from codesynth.registry import Registry, marked

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


#: the modules holding the built-in importers (imported when the registry is first read)
BUILTIN = ("humaneval", "mbpp", "multipl_e", "native", "codecontests", "codecontests_plus", "apps", "taco",
           "livecodebench", "kodcode", "hardtests")
REGISTRY: Registry[Importer] = Registry(GROUP, "problem format",
                                        builtin_modules=[f"codesynth.importers.{m}" for m in BUILTIN],
                                        coerce=marked("importer", Importer))


def importer(name: str, *, description: str = "", options: type[BaseModel] | None = None,
             default_source: Callable[[], Path] | None = None) -> Callable[[Loader], Loader]:
    """Register the decorated `load(source, options) -> Imported` as importer `name`."""

    def deco(load: Loader) -> Loader:
        return REGISTRY.register_marked(Importer(name, load, description or (load.__doc__ or "").strip().split("\n")[0],
                                                 options, default_source), load, "importer")

    return deco


def importer_names() -> list[str]:
    return REGISTRY.names()


def get_importer(name: str) -> Importer:
    names = REGISTRY.names()
    key = name.strip().lower()  # `HumanEval`, `multipl_e`: the names people type
    return REGISTRY.get(key if key in names else key.replace("_", "-"))


def import_problems(fmt: str, source: str | os.PathLike | None = None, **options: Any) -> list[Problem]:
    """Problems from `source` in the registered format `fmt` (a skipped row is an error here unless the
    importer's options say to skip)."""
    return get_importer(fmt).run(source, **options).problems
