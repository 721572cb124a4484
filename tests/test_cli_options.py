"""One option-validation path and one wording for every command (issue 22): every option has help,
every bounded option refuses an out-of-range value at parse time naming the option, exit 2."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from codesynth.cli import cli


def walk(cmd: click.Command, path: tuple[str, ...] = ()):
    yield path, cmd
    if isinstance(cmd, click.Group):
        ctx = click.Context(cmd)
        for name in cmd.list_commands(ctx):
            yield from walk(cmd.get_command(ctx, name), (*path, name))


COMMANDS = [(p, c) for p, c in walk(cli) if not isinstance(c, click.Group)]
OPTIONS = [(p, o) for p, c in COMMANDS for o in c.params if isinstance(o, click.Option) and o.name != "help"]


def test_the_walk_sees_every_command():
    names = {" ".join(p) for p, _ in COMMANDS}
    assert {"verify", "synth", "serve", "curate", "export", "report", "generate problems", "quickstart",
            "problems import mbpp"} <= names
    assert len(OPTIONS) > 100


def test_every_option_has_help():
    missing = [f"{' '.join(p)} {o.opts[0]}" for p, o in OPTIONS if not (o.help or "").strip()]
    assert missing == []


def _out_of_range(t: click.ParamType) -> str | None:
    """A value the option's type must refuse (None: the type has no bound)."""
    if isinstance(t, (click.IntRange, click.FloatRange)):
        if t.min is not None:
            return str(t.min - 1 if isinstance(t, click.IntRange) else t.min - 0.5)
        if t.max is not None:
            return str(t.max + 1)
    return None


BOUNDED = [(p, o, v) for p, o in OPTIONS if (v := _out_of_range(o.type)) is not None]


def test_numbers_that_decide_behaviour_are_bounded():
    # a plain int/float option takes anything (serve --queue-size 0 started a server); only seeds are free
    unbounded = [f"{' '.join(p)} {o.opts[0]}" for p, o in OPTIONS
                 if o.type in (click.INT, click.FLOAT) and o.name != "seed"]
    assert unbounded == []


@pytest.mark.parametrize("path,option,value", BOUNDED, ids=[f"{' '.join(p)} {o.opts[0]}" for p, o, _ in BOUNDED])
def test_an_out_of_range_value_is_refused_in_one_wording(path, option, value):
    cmd = cli
    for name in path:
        cmd = cmd.get_command(click.Context(cmd), name)
    args = [*path, option.opts[0], value]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2, (args, r.output)
    assert f"Invalid value for '{option.opts[0]}'" in r.output or \
        any(f"Invalid value for '{o}'" in r.output for o in option.opts), (args, r.output)
    assert "Traceback" not in r.output
