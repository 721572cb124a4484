"""Option types that refuse bad values at parse time, with one line naming the option and the range.

Click's own ranges let NaN through (every comparison with NaN is false) and accept inf;
`Finite` closes both. Ranges mirror the pydantic models they feed (`Limits`, `VerifyConfig`,
`EndpointConfig`, `CurateConfig`), so the CLI refuses exactly what the library refuses.
"""

from __future__ import annotations

import math

import click

from codesynth.errors import InputError
from codesynth.sandbox.capacity import machine_memory_mb

MAX_TIMEOUT_S = 86400.0  # a day per program: beyond that a limit is a typo, not a limit
MIN_MEMORY_MB = 32  # Limits.memory_mb: below this not even the interpreter starts


class Finite(click.FloatRange):
    """A float range that also refuses nan and +-inf."""

    name = "finite float"

    def convert(self, value, param, ctx):
        rv = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(rv):
            self.fail(f"{value!r} is not a finite number (allowed: {self._describe_range()})", param, ctx)
        return super().convert(rv, param, ctx)


def seconds(max_s: float = MAX_TIMEOUT_S) -> Finite:
    return Finite(min=0, min_open=True, max=max_s)


FRACTION = Finite(min=0, max=1)
NONNEG = Finite(min=0)
AT_LEAST_1 = click.IntRange(min=1)
AT_LEAST_0 = click.IntRange(min=0)


def memory_mb() -> click.IntRange:
    total = machine_memory_mb()
    return click.IntRange(min=MIN_MEMORY_MB, max=total or None)


def resolved_by(lookup):
    """A click callback that resolves the value with a registry's `lookup` while parsing (a bogus
    name must not wait for the sandbox or the endpoint), its InputError in click's option wording."""

    def check(ctx, param, value):
        if value is None:
            return value
        try:
            lookup(value)
        except InputError as e:
            raise click.BadParameter(str(e), ctx=ctx, param=param) from None
        return value

    return check


def _scheme(value: str) -> None:
    from codesynth.verifiers.rewards import get_scheme

    get_scheme(value)


def reward_scheme_option(default: str = "binary", *names: str, what: str = "A registered scheme"):
    return click.option(*(names or ("--reward-scheme",)), default=default, show_default=True,
                        callback=resolved_by(_scheme), metavar="SCHEME",
                        help=f"{what} (binary, partial, shaped, rlef, or one a plugin registers), "
                             "NAME:key=value,... or a RewardScheme JSON file.")


def workers_option(help: str = "Programs in parallel (default: cores).") -> click.Option:
    return click.option("--workers", type=AT_LEAST_1, default=None, help=help)


class TimeoutOrAuto(click.ParamType):
    """Seconds, or `auto`: each problem's limit from its reference's own run time."""

    name = "seconds|auto"

    def convert(self, value, param, ctx):
        if isinstance(value, str) and value.strip().lower() == "auto":
            return "auto"
        return seconds().convert(value, param, ctx)


def limits_options(f):
    f = click.option("--timeout", type=TimeoutOrAuto(), default=10.0, show_default=True,
                     help=f"CPU seconds per program (0 < s <= {MAX_TIMEOUT_S:g}; the wall clock stops it at 3x + 1 s), "
                          "or auto: 4 x the CPU time of the problem's reference, 1 s at least, 10 s at most.")(f)
    f = click.option("--memory", type=memory_mb(), default=512, show_default=True,
                     help=f"MB per program (at least {MIN_MEMORY_MB}).")(f)
    return f


def profile_options(f):
    """--profile / --packages: the runner image profile (sandbox/docker/profiles.py), as one
    value `profile` (None: minimal). A bad package file is one line naming file:line, at parse time."""

    def resolve(value):
        from codesynth.sandbox.docker.profiles import resolve

        return resolve(value)

    check = resolved_by(resolve)
    f = click.option("--packages", type=click.Path(dir_okay=False, exists=True), default=None, callback=check,
                     help="Python packages for the runner image, one pinned `name==version` a line: built into "
                          "a profile image on first use (pip on this host fetches the wheels), offline after.")(f)
    f = click.option("--profile", type=click.Choice(["minimal", "scientific"]), default=None, callback=check,
                     help="Runner image profile. minimal (default): the standard library only. scientific: "
                          "numpy, pandas, scipy, sympy, networkx, scikit-learn, requests, pytest... pinned, built "
                          "on first use (a few minutes; docs/topics/image-profiles.md).")(f)
    return f


def chosen_profile(profile: str | None, packages: str | None) -> str | None:
    """The one profile spec --profile/--packages name (None: minimal)."""
    if packages and profile not in (None, "minimal"):
        raise click.BadParameter("not with --profile: a package file is a profile of its own",
                                 param_hint="'--packages'")
    return packages or (None if profile in (None, "minimal") else profile)
