"""`codesynth synth RECIPE.toml --out DIR`."""

from __future__ import annotations

import json
import sys

import click

from codesynth.cli.options import Finite


def print_plan(p) -> None:
    click.echo(f"recipe {p.recipe}: {p.seeds} seed problem(s)")
    for e in p.stages:
        bound = " (at most)" if e.upper_bound else ""
        click.echo(f"  {e.stage:<10} {e.requests:>7} requests{bound}  ~{e.prompt_tokens} prompt + "
                   f"<={e.completion_tokens} completion tokens")
    click.echo(f"  total      {p.requests:>7} requests  ~{p.prompt_tokens + p.completion_tokens} tokens  "
               f"~${p.cost_usd:.4f}")


def print_summary(s) -> None:
    """The run's numbers (all invocations, see docs/topics/run-totals.md); dicts as JSON, as generate prints."""
    from codesynth.generators.budget import usd

    runs = f", {s.invocations} invocations" if s.invocations > 1 else ""
    click.echo(f"synth {s.recipe} -> {s.out} (model {s.model}, {s.wall_time_s:.1f} s, {usd(s.cost_usd)}, "
               f"{s.usage.get('requests', 0)} requests{runs})")
    sol = s.stages.get("solutions", {})
    click.echo(f"  solutions: {sol.get('candidates', 0)} generated, {sol.get('passed', 0)} passed, "
               f"{sol.get('no_code', 0)} without code; status {json.dumps(sol.get('status', {}))}")
    for k, v in sol.get("pass_at_k", {}).items():
        click.echo(f"  {k}: {v:.4f}")
    for stage in ("solutions", "repair"):
        if s.stages.get(stage, {}).get("refused_by_endpoint"):
            c = s.stages[stage]
            click.echo(f"  {stage}: {c['refused_by_endpoint']} request(s) refused by the endpoint ({c['refusal']}): "
                       "not judged or rewarded; --resume asks them again")
    if s.failure_categories:
        why = ", ".join(f"{k} {v}" for k, v in sorted(s.failure_categories.items(), key=lambda kv: -kv[1]))
        click.echo(f"  why the rest failed (every attempt, repairs included): {why}")
    rep = s.stages.get("repair")
    if rep:
        click.echo(f"  repair: {rep.get('fixed', 0)} fixed of {rep.get('initially_failing', 0)} failing "
                   f"({rep.get('still_failing', 0)} still failing)")
    for stage in ("problems", "evolve"):
        if stage in s.stages:
            c = s.stages[stage]
            click.echo(f"  {stage}: {c.get('accepted', 0)} accepted of {c.get('proposals', 0)}; "
                       f"dropped {json.dumps(c.get('dropped') or {})}")
    if "tests" in s.stages:
        click.echo(f"  tests stage: {json.dumps(s.stages['tests'])}")
    if "curate" in s.stages:
        dropped = {k: v for k, v in s.stages["curate"].items() if v}
        click.echo(f"  curation: {s.curated_records} kept of {s.dataset_records} verified; dropped "
                   f"{json.dumps(dropped) if dropped else 'none'}")
    click.echo(f"  dataset: {s.export or 'nothing passed, nothing exported'}; report: {s.report}")
    click.echo(f"  every candidate with its verdict and feedback: {s.out}/run/rewards.jsonl")


def register(cli: click.Group) -> None:
    @cli.command()
    @click.argument("recipe", type=click.Path(dir_okay=False))
    @click.option("--out", type=click.Path(file_okay=False), required=True, help="Output directory.")
    @click.option("--resume", is_flag=True, help="Continue DIR: nothing received is requested again.")
    @click.option("--update", is_flag=True,
                  help="With --resume: a changed recipe is not refused; each stage makes anew only what the change "
                       "touches (unchanged replies come from the cache).")
    @click.option("--retry-failed", is_flag=True,
                  help="With --resume: ask again (a fresh draw) for the solution samples whose reply held no code.")
    @click.option("--dry-run", is_flag=True, help="Print the expected requests, tokens and cost; call nothing.")
    @click.option("--budget", type=Finite(min=0, min_open=True), default=None,
                  help="Stop cleanly (resumable) once this many USD are spent (prices from the recipe).")
    @click.option("--base-url", default=None, help="Point the recipe at this OpenAI-compatible endpoint.")
    @click.option("--model", default=None, help="Model name at the endpoint.")
    @click.option("--json", "as_json", is_flag=True, help="Print the summary (or the plan) as JSON.")
    def synth(recipe, out, resume, update, retry_failed, dry_run, budget, base_url, model, as_json):
        """Seeds -> problems -> tests -> solutions -> verify -> repair -> evolve -> curate -> export."""
        from codesynth.pipeline.synth import load_recipe, plan, seed_problems
        from codesynth.pipeline.synth import synth as run_synth

        r = load_recipe(recipe, {"endpoint": {"base_url": base_url, "model": model}})
        if dry_run:
            p = plan(r, seed_problems(r))
            click.echo(p.model_dump_json(indent=2)) if as_json else print_plan(p)
            return
        from codesynth.outpath import writable_dir

        writable_dir(out)

        def say(m: str) -> None:
            click.echo(f"codesynth: {m}", err=True)

        s = run_synth(r, out, resume=resume, update=update, retry_failed=retry_failed, budget_usd=budget, progress=sys.stderr.isatty(), log=say)
        click.echo(s.model_dump_json(indent=2)) if as_json else print_summary(s)
