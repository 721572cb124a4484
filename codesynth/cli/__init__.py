"""The `codesynth` command: a thin shell over the library API.

Each area registers its commands from its own module (`*_cmd.py`), so the CLI grows
without one file becoming everybody's.
"""

from __future__ import annotations

import sys

import click

from codesynth import __version__
from codesynth.errors import CodesynthError


class _Group(click.Group):
    """Turns CodesynthError into one clear line and an exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CodesynthError as e:
            click.echo(f"codesynth: error: {e}", err=True)
            ctx.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("codesynth: interrupted (finished records are kept; rerun with --resume)", err=True)
            ctx.exit(130)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="codesynth")
def cli() -> None:
    """Verified code data from LLMs: generate, execute in a hardened sandbox, verify, reward."""


def _register() -> None:
    import importlib

    for mod in (
        "problems_cmd",
        "verify_cmd",
        "sandbox_cmd",
        "generate_cmd",
        "verifiers_cmd",
    ):
        try:
            m = importlib.import_module(f"codesynth.cli.{mod}")
        except ModuleNotFoundError as e:
            if e.name == f"codesynth.cli.{mod}":
                continue
            raise
        m.register(cli)


_register()


def main() -> None:
    cli(prog_name="codesynth", standalone_mode=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
