"""The curation filter registry: a filter is one registration, not a config field plus a branch.

A filter is a function `(records, config, ctx) -> (kept records, FilterReport)` registered
with its pydantic config model under a name:

    @register_filter("toy", config=ToyConfig, order=500)
    def toy(records, cfg, ctx): ...

The config model should have an `enabled: bool` field (a disabled filter is skipped and says
so in the report); its other fields are the filter's options. `curate`'s config, the CLI's
`--filter NAME[:key=value,...]` and a recipe's `[curate.filters.NAME]` table are all read
against these models, so a new filter needs no edit anywhere else. Filters run by `order`
(then name); built-ins use 10..70, a user filter defaults to 1000 (after them).

Built-ins are registered by importing their modules (the decorator, as a user's filter);
third-party packages add filters through the `codesynth.filters` entry-point group
(`name = "package.module"`: importing the module registers what it decorates).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from codesynth.errors import InputError
from codesynth.importers.common import split_top  # the one top-level splitter
from codesynth.models import DatasetRecord
from codesynth.registry import Registry
from codesynth.verifiers.curation.filters import CurationContext, FilterReport, skipped

FilterFn = Callable[[list[DatasetRecord], Any, CurationContext], tuple[list[DatasetRecord], FilterReport]]

#: The built-in filters' modules (each registers itself on import, as a plugin would).
BUILTINS = tuple(
    f"codesynth.verifiers.curation.{m}"
    for m in ("dedup", "semantic", "privacy", "complexity", "decontam", "strength", "agreement", "mutation_step")
)
GROUP = "codesynth.filters"


@dataclass(frozen=True)
class FilterSpec:
    name: str
    config: type[BaseModel]
    run: FilterFn
    order: int
    doc: str

    def __call__(self, records: list[DatasetRecord], cfg: BaseModel, ctx: CurationContext):
        if not getattr(cfg, "enabled", True):
            return skipped(self.name, records)
        return self.run(records, cfg, ctx)


def _spec(name: str, obj: Any) -> FilterSpec:
    if not isinstance(obj, FilterSpec):
        raise InputError(f"filter plugin '{name}': importing it registered no filter named '{name}'")
    return obj


#: Plugins are loaded at first read: the curate config is derived from every filter's model.
_filters: Registry[FilterSpec] = Registry(GROUP, "curation filter", builtin_modules=BUILTINS, coerce=_spec,
                                          eager_plugins=True)


def register_filter(name: str, *, config: type[BaseModel], order: int = 1000) -> Callable[[FilterFn], FilterFn]:
    """Register the decorated function as curation filter `name` configured by `config`."""
    if not name.isidentifier() or name in ("weights", "limits"):
        raise ValueError(f"filter name {name!r}: must be an identifier other than 'weights'/'limits'")

    def deco(fn: FilterFn) -> FilterFn:
        _filters.register(name, FilterSpec(name, config, fn, order, (fn.__doc__ or "").strip().split("\n")[0]))
        return fn

    return deco


def registered() -> dict[str, FilterSpec]:
    """Every filter, in run order."""
    return dict(sorted(_filters.items(), key=lambda kv: (kv[1].order, kv[0])))


def get_filter(name: str) -> FilterSpec:
    return _filters.get(name)


def parse_filter_option(text: str) -> tuple[str, dict[str, Any]]:
    """`NAME[:key=value,...]` -> (name, settings); a value is JSON if it parses, else a string.
    Naming a filter enables it unless the settings say `enabled=false`."""
    name, _, rest = text.partition(":")
    name = name.strip()
    spec = get_filter(name)
    settings: dict[str, Any] = {"enabled": True} if "enabled" in spec.config.model_fields else {}
    for item in split_top(rest):  # commas inside [..] / quotes stay
        key, eq, raw = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise InputError(f"--filter {text}: '{item}' is not key=value")
        if key not in spec.config.model_fields:
            raise InputError(f"--filter {text}: filter '{name}' has no option '{key}' "
                             f"(options: {', '.join(spec.config.model_fields)})")
        try:
            settings[key] = json.loads(raw)
        except json.JSONDecodeError:
            settings[key] = raw.strip()
    return name, settings
