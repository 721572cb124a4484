"""Errors that end a command with one clear line (never a traceback wall)."""

from __future__ import annotations


class CodesynthError(Exception):
    """A user-facing failure: bad input, missing engine, dead endpoint.

    The CLI prints `str(err)` on one line and exits non-zero.
    """

    exit_code = 2


class InputError(CodesynthError):
    """A file the user gave us is unreadable or malformed (names file:line)."""


class SandboxUnavailable(CodesynthError):
    """The execution backend cannot run anything (no engine, no image)."""

    exit_code = 3


class EndpointError(CodesynthError):
    """The LLM endpoint is dead, refuses us, or does not know the model."""

    exit_code = 4


class BudgetReached(EndpointError):
    """The run reached its spending cap (`--budget`): stopped cleanly, resumable with a higher cap."""

    exit_code = 6
