"""The `codesynth` command: a thin shell over the library API.

Each area registers its commands from its own module (`*_cmd.py`, listed in `_register`),
so the CLI grows without one file becoming everybody's. Every way a command can fail ends here as one
line and an exit code from `codesynth.errors` (the table is in the README).
"""

from __future__ import annotations

import errno
import signal
import sys
import threading
from contextlib import contextmanager

import click

from codesynth import __version__
from codesynth.errors import (
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OUTPUT,
    EXIT_TERMINATED,
    CodesynthError,
    Terminated,
)

#: OSErrors that mean "cannot write there" when they escape a command (reads are turned
#: into InputErrors naming file:line where they happen).
_WRITE_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.ENOTDIR,
                 errno.EISDIR, errno.EEXIST, errno.EFBIG}


@contextmanager
def _sigterm_raises():
    """SIGTERM unwinds like Ctrl-C (records kept, containers and servers removed), but exits 143."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Terminated()

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


class _Group(click.Group):
    """Turns CodesynthError, usage errors, interrupts and unwritable outputs into one line."""

    def invoke(self, ctx: click.Context):
        # The group clears these before running the subcommand; keep them to name it later.
        argv = [*getattr(ctx, "_protected_args", []), *ctx.args]
        try:
            with _sigterm_raises():
                return super().invoke(ctx)
        except CodesynthError as e:
            click.echo(f"codesynth: error: {e}", err=True)
            ctx.exit(e.exit_code)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as e:
            where = e.ctx.command_path if e.ctx is not None else "codesynth"
            click.echo(f"codesynth: error: {e.format_message()} (see `{where} --help`)", err=True)
            ctx.exit(EXIT_INPUT)
        except KeyboardInterrupt as e:
            what = "terminated" if isinstance(e, Terminated) else "interrupted"
            hint = " (finished records are kept; rerun with --resume)" if self._resumable(ctx, argv) else ""
            click.echo(f"codesynth: {what}{hint}", err=True)
            ctx.exit(EXIT_TERMINATED if isinstance(e, Terminated) else EXIT_INTERRUPTED)
        except OSError as e:
            if e.errno not in _WRITE_ERRNOS:
                raise
            where = e.filename or "output"
            click.echo(f"codesynth: error: {where}: cannot write ({e.strerror or e})", err=True)
            ctx.exit(EXIT_OUTPUT)

    def _resumable(self, ctx: click.Context, args: list[str]) -> bool:
        """Whether the command that was running has a --resume to continue it with."""
        cmd: click.Command = self
        try:
            while isinstance(cmd, click.Group) and args:
                _, found, args = cmd.resolve_command(ctx, args)
                if found is None:
                    return False
                cmd = found
        except click.UsageError:
            return False
        return any(p.name == "resume" for p in cmd.params)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="codesynth")
def cli() -> None:
    """Verified code data from LLMs: generate, execute in a hardened sandbox, verify, reward."""


def _register() -> None:
    # Explicit: a command module that fails to import is a broken install, and says so.
    from codesynth.cli import (
        generate_cmd,
        model_cmd,
        problems_cmd,
        sandbox_cmd,
        serve_cmd,
        synth_cmd,
        verifiers_cmd,
        verify_cmd,
    )

    for m in (problems_cmd, verify_cmd, sandbox_cmd, model_cmd, generate_cmd, synth_cmd, verifiers_cmd,
              serve_cmd):
        m.register(cli)


_register()


def main() -> None:
    cli(prog_name="codesynth", standalone_mode=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
