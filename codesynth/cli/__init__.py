"""The `codesynth` command: a thin shell over the library API.

Each area registers its commands from its own module (`*_cmd.py`, listed in `_register`),
so the CLI grows without one file becoming everybody's.
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
    # Explicit: a command module that fails to import is a broken install, and says so.
    from codesynth.cli import generate_cmd, problems_cmd, sandbox_cmd, synth_cmd, verifiers_cmd, verify_cmd

    for m in (problems_cmd, verify_cmd, sandbox_cmd, generate_cmd, synth_cmd, verifiers_cmd):
        m.register(cli)


_register()


def main() -> None:
    cli(prog_name="codesynth", standalone_mode=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
