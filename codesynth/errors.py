"""Errors that end a command with one clear line (never a traceback wall).

Each class carries the exit code the CLI ends with (documented in the README):

| code | meaning |
| 0    | the command completed (whatever the pass rate) |
| 2    | bad input: a file, a record, an option (`InputError`, click usage errors) |
| 3    | the sandbox is unavailable (`SandboxUnavailable`) |
| 4    | the LLM endpoint failed (`EndpointError`) |
| 5    | output not writable: permission, read-only file system, disk full (`OutputError`) |
| 6    | the spending cap (`--budget`) was reached; resumable with a higher cap (`BudgetReached`) |
| 130  | interrupted by Ctrl-C (SIGINT) |
| 143  | terminated by SIGTERM |
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

EXIT_OK = 0
EXIT_INPUT = 2
EXIT_SANDBOX = 3
EXIT_ENDPOINT = 4
EXIT_OUTPUT = 5
EXIT_BUDGET = 6
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM


class CodesynthError(Exception):
    """A user-facing failure: bad input, missing engine, dead endpoint.

    The CLI prints `str(err)` on one line and exits non-zero.
    """

    exit_code = EXIT_INPUT


class InputError(CodesynthError):
    """A file the user gave us is unreadable or malformed (names file:line)."""


class DataError(InputError, ValueError):
    """A dataset row handed to a trainer adapter is malformed (names the row and the field).

    A ValueError too, so trainers that catch ValueError see it; never turned into a reward.
    """


class SandboxUnavailable(CodesynthError):
    """The execution backend cannot run anything (no engine, no image)."""

    exit_code = EXIT_SANDBOX


class EndpointError(CodesynthError):
    """The LLM endpoint is dead, refuses us, or does not know the model."""

    exit_code = EXIT_ENDPOINT


class OutputError(CodesynthError):
    """An output path cannot be written: permission, read-only file system, disk full."""

    exit_code = EXIT_OUTPUT


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be so the same clean-up runs; the CLI exits 143."""


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops what runs inside the way Ctrl-C does (records kept, containers and servers
    removed), raising `Terminated`. Only the main thread can hold signal handlers."""
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


class BudgetReached(EndpointError):
    """The run reached its spending cap (`--budget`): stopped cleanly, resumable with a higher cap."""

    exit_code = EXIT_BUDGET
