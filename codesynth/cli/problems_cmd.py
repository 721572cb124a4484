"""`codesynth problems ...`: validate, show and import problem sets."""

from __future__ import annotations

import difflib
import json
from collections import Counter
from pathlib import Path

import click

from codesynth.errors import InputError
from codesynth.jsonl import iter_json_lines
from codesynth.models import Problem
from codesynth.problems import load_problems, python_syntax_error, save_problems


def _check_python(path: Path, problems: list[Problem]) -> None:
    """Refuse a set whose Python reference solutions or test code do not even parse."""
    lines = {str(obj.get("id")): lineno for lineno, obj in iter_json_lines(path)}
    for p in problems:
        if p.language != "python":
            continue
        fields = [("reference_solution", p.reference_solution)]
        if isinstance(p.tests, str):
            fields.append(("tests", p.tests))
        for name, code in fields:
            why = code is not None and python_syntax_error(code)
            if why:
                raise InputError(f"{path}:{lines.get(p.id, '?')}: field '{name}' of '{p.id}': {why}")


def _summary(path: Path, problems: list[Problem]) -> dict:
    return {
        "path": str(path),
        "count": len(problems),
        "by_kind": dict(Counter(p.kind for p in problems)),
        "by_source": dict(Counter(p.source or "(none)" for p in problems)),
        "by_difficulty": dict(Counter(p.difficulty or "(none)" for p in problems)),
        "with_reference_solution": sum(1 for p in problems if p.reference_solution),
    }


def _fmt_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


@click.group("problems")
def problems_group() -> None:
    """Problem sets: validate, show, and import HumanEval/MBPP."""


@problems_group.command("validate")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def validate_cmd(path: Path, as_json: bool) -> None:
    """Check a problem set (JSONL, one Problem per line) and summarise it.

    Exits 2 with one line naming file:line and the field on the first bad record.
    """
    problems = load_problems(path)
    _check_python(path, problems)
    s = _summary(path, problems)
    if as_json:
        click.echo(json.dumps(s, indent=2))
        return
    click.echo(f"{path}: {s['count']} problems OK")
    click.echo(f"  kind:        {_fmt_counts(s['by_kind'])}")
    click.echo(f"  source:      {_fmt_counts(s['by_source'])}")
    click.echo(f"  difficulty:  {_fmt_counts(s['by_difficulty'])}")
    click.echo(f"  reference solutions: {s['with_reference_solution']}/{s['count']}")


def _section(title: str, body: str) -> str:
    return f"--- {title} " + "-" * max(3, 60 - len(title)) + "\n" + body.strip("\n") + "\n"


def render_problem(p: Problem) -> str:
    """A human-readable view of one problem."""
    head = [f"{p.id}  [{p.kind}, {p.difficulty or 'no difficulty'}, {p.source or 'no source'}]"]
    if p.entry_point:
        head.append(f"entry point: {p.entry_point}")
    if p.tags:
        head.append(f"tags: {', '.join(p.tags)}")
    if p.language != "python":
        head.append(f"language: {p.language}")
    out = ["\n".join(head) + "\n", _section("prompt", p.prompt)]
    if isinstance(p.tests, str):
        out.append(_section("tests", p.tests))
    else:
        cases = []
        for i, c in enumerate(p.tests, 1):
            inp = c.input if c.input.strip() else repr(c.input)
            outp = c.output if c.output.strip() else repr(c.output)
            cases.append(f"case {i}\n  input:\n{_indent(inp)}\n  output:\n{_indent(outp)}")
        out.append(_section(f"tests ({len(p.tests)} stdin/stdout cases)", "\n".join(cases)))
    out.append(_section("reference solution", p.reference_solution or "(none)"))
    if p.metadata:
        out.append(_section("metadata", json.dumps(p.metadata, indent=2, ensure_ascii=False)))
    return "\n".join(out)


def _indent(text: str, prefix: str = "    ") -> str:
    lines = text.rstrip("\n").split("\n")
    if len(lines) > 40:  # a 2000-line input is not worth a screenful
        lines = lines[:40] + [f"... ({len(lines) - 40} more lines)"]
    return "\n".join(prefix + ln for ln in lines)


@problems_group.command("show")
@click.argument("path", type=click.Path(path_type=Path))
@click.argument("problem_id")
@click.option("--json", "as_json", is_flag=True, help="Print the raw record as JSON.")
def show_cmd(path: Path, problem_id: str, as_json: bool) -> None:
    """Print one problem of a set."""
    problems = load_problems(path)
    by_id = {p.id: p for p in problems}
    p = by_id.get(problem_id)
    if p is None:
        close = difflib.get_close_matches(problem_id, list(by_id), n=3)
        hint = f" (did you mean: {', '.join(close)}?)" if close else ""
        raise InputError(f"{path}: no problem with id '{problem_id}'{hint}")
    if as_json:
        click.echo(json.dumps(p.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        click.echo(render_problem(p), nl=False)


def _write(out: Path, problems: list[Problem]) -> None:
    try:
        save_problems(out, problems)
    except OSError as e:
        raise InputError(f"{out}: cannot write ({e.strerror or e})") from None
    click.echo(f"wrote {len(problems)} problems to {out}")


def _option(name: str, info) -> click.Option:
    """A click option for one field of an importer's options model (a bool is a flag)."""
    flag = "--" + name.replace("_", "-")
    if info.annotation is bool:
        return click.Option([flag, name], is_flag=True, default=bool(info.default), help=info.description)
    path = "Path" in str(info.annotation)
    return click.Option([flag, name], type=click.Path(path_type=Path) if path else str, default=info.default,
                        help=info.description)


def _import_command(name: str) -> click.Command:
    """`problems import NAME [SOURCE] --out FILE [options]`, built from the registered importer."""
    from codesynth.importers import get_importer

    imp = get_importer(name)

    def run(source: Path | None, out: Path, **options) -> None:
        res = imp.run(source, **options)
        _write(out, res.problems)
        if res.skipped:
            click.echo(f"skipped {len(res.skipped)} rows that do not convert:", err=True)
            for line in res.skipped:
                click.echo(f"  {line}", err=True)

    params: list[click.Parameter] = [
        click.Argument(["source"], type=click.Path(path_type=Path), required=imp.default_source is None),
        click.Option(["--out"], required=True, type=click.Path(path_type=Path), help="Problem set to write (JSONL)."),
    ]
    if imp.options is not None:
        params += [_option(n, f) for n, f in imp.options.model_fields.items()]
    return click.Command(name, callback=run, params=params, help=imp.description)


class _ImportGroup(click.Group):
    """Its sub-commands are the importer registry's entries (built-ins and entry points)."""

    def list_commands(self, ctx):
        from codesynth.importers import importer_names

        return importer_names()

    def get_command(self, ctx, name):
        from codesynth.importers import importer_names

        return _import_command(name) if name in importer_names() else None


@problems_group.group("import", cls=_ImportGroup)
def import_group() -> None:
    """Convert benchmark files to a codesynth problem set (one sub-command per registered importer;
    a package adds one through the codesynth.importers entry point group)."""


def register(cli: click.Group) -> None:
    cli.add_command(problems_group)
