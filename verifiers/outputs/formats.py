"""The export-format registry: a format is one registration, not edits in every caller.

A format is a writer `write(records, out, system)` that writes `records` (DatasetRecords) to
the path `out` (a file with one of the format's extensions, or a directory when its only
extension is ""), putting `system` (a system prompt or None) in front of every conversation
if it has conversations. It registers with the `@export_format` decorator; a package outside
codesynth names its module in the `codesynth.exports` entry-point group
(`toy = "mypkg.formats:write_toy"`), and `codesynth export --format toy`, `export()` and a
recipe's `[export] format = "toy"` find it. The writer raises InputError for a missing
optional dependency and may leave the dataset card to `export()`, which writes it for every
format. See docs/extending/export-formats.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from codesynth.models import DatasetRecord
from codesynth.registry import Registry, marked

Writer = Callable[[Sequence[DatasetRecord], Path, "str | None"], None]
GROUP = "codesynth.exports"


@dataclass(frozen=True)
class ExportFormat:
    name: str
    write: Writer
    #: the names `out` may end with (first = the one `synth` uses); ("",) = a directory
    extensions: tuple[str, ...]
    description: str = ""

    @property
    def directory(self) -> bool:
        return self.extensions == ("",)

    def default_name(self) -> str:
        """The file or folder name a `synth` run writes this format to."""
        return f"export-{self.name}{self.extensions[0]}"


REGISTRY: Registry[ExportFormat] = Registry(GROUP, "export format",
                                            builtin_modules=["codesynth.verifiers.outputs.exports"],
                                            coerce=marked("export_format", ExportFormat))


def export_format(name: str, extensions: Sequence[str] = (".jsonl",), description: str = "") -> Callable[
        [Writer], Writer]:
    """Register the decorated writer as export format `name` (returns the writer unchanged)."""
    if not extensions:
        raise ValueError(f"export format {name!r}: give at least one extension ('' for a directory)")

    def deco(write: Writer) -> Writer:
        return REGISTRY.register_marked(ExportFormat(name, write, tuple(e.lower() for e in extensions),
                                                     description or (write.__doc__ or "").strip().split("\n")[0]),
                                        write, "export_format")

    return deco


def format_names() -> list[str]:
    return REGISTRY.names()


def get_format(name: str) -> ExportFormat:
    return REGISTRY.get(name)
