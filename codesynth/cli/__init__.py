"""The `codesynth` command: a thin shell over the library API.

Each area registers its commands from its own module (`*_cmd.py`, listed in `_register`),
so the CLI grows without one file becoming everybody's. Every way a command can fail ends here as one
line and an exit code from `codesynth.errors` (the table is in the README).
"""

from __future__ import annotations

import errno
import os
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
    sigterm_as_interrupt,
)

#: OSErrors that mean "cannot write there" when they escape a command (reads are turned
#: into InputErrors naming file:line where they happen).
_WRITE_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.ENOTDIR,
                 errno.EISDIR, errno.EEXIST, errno.EFBIG}


class _MainThreadStdout:
    """sys.stdout while a --json command runs: the command's own writes (from the main thread)
    reach stdout; any other thread's (a library's listener printing notices: Ray's node-death
    messages) goes to stderr."""

    def __init__(self, real, other):
        self._real, self._other = real, other

    def write(self, s: str) -> int:
        out = self._real if threading.current_thread() is threading.main_thread() else self._other
        return out.write(s)

    def flush(self) -> None:
        self._real.flush()
        self._other.flush()

    def __getattr__(self, name: str):
        return getattr(self._real, name)


@contextmanager
def _stdout_is_the_document(on: bool):
    """With --json, stdout carries the JSON document and nothing else. Native code and the
    processes a library starts write to file descriptor 1 directly, so fd 1 points at stderr
    meanwhile; Python's sys.stdout keeps the real stdout for the main thread alone."""
    if not on:
        yield
        return
    old = sys.stdout
    old.flush()
    real_fd = os.dup(1)
    os.dup2(2, 1)
    try:
        on_fd1 = old.fileno() == 1
    except (AttributeError, OSError, ValueError):  # a captured stream (click's test runner)
        on_fd1 = False
    real = os.fdopen(real_fd, "w", encoding=old.encoding or "utf-8", closefd=False) if on_fd1 else old
    sys.stdout = _MainThreadStdout(real, sys.stderr)  # type: ignore[assignment]
    try:
        yield
    finally:
        real.flush()
        if _WHOLE_PROCESS:
            # The document is out; what a library prints while the process exits (Ray's shutdown
            # notices) goes to stderr too. Closing our copy lets a reader see the end of stdout.
            sys.stdout = sys.stderr
            os.close(real_fd)
        else:  # called in-process (click's test runner): give the caller its stdout back
            sys.stdout = old
            os.dup2(real_fd, 1)
            os.close(real_fd)


#: Set by `main()`: the command owns the process, so its stdout need not be handed back.
_WHOLE_PROCESS = False


class _Group(click.Group):
    """Turns CodesynthError, usage errors, interrupts and unwritable outputs into one line."""

    def invoke(self, ctx: click.Context):
        # The group clears these before running the subcommand; keep them to name it later.
        argv = [*getattr(ctx, "_protected_args", []), *ctx.args]
        try:
            with sigterm_as_interrupt(), _stdout_is_the_document("--json" in argv):
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
        tests_cmd,
        verifiers_cmd,
        verify_cmd,
    )

    for m in (problems_cmd, verify_cmd, sandbox_cmd, model_cmd, generate_cmd, synth_cmd, verifiers_cmd,
              serve_cmd, tests_cmd):
        m.register(cli)


_register()


def main() -> None:
    global _WHOLE_PROCESS
    _WHOLE_PROCESS = True
    cli(prog_name="codesynth", standalone_mode=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
