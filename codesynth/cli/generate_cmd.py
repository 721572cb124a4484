"""`codesynth generate MODE ...`: solutions, translate, tests, problems, grounded, repair, evolve."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click

from codesynth.cli.options import (
    AT_LEAST_0,
    AT_LEAST_1,
    FRACTION,
    MAX_TIMEOUT_S,
    Finite,
    memory_mb,
    seconds,
)
from codesynth.models import LANGUAGES, Limits
from codesynth.sandbox.registry import backend_kinds


def _language_option(help_text: str = "Write every program in this language (default: each problem's own)."):
    return click.option("--language", type=click.Choice(LANGUAGES), default=None, help=help_text)


def _proposal_options(id_prefix: str):
    """The options of every mode that proposes new problems (problems, grounded, evolve)."""

    def deco(f):
        f = _language_option("Propose problems whose reference is in this language (data-form tests; "
                             "default Python).")(f)
        f = click.option("--id-prefix", default=id_prefix, show_default=True, help="New problem ids are PREFIX/<n>.")(f)
        f = click.option("--min-tests", type=AT_LEAST_1, default=2, show_default=True,
                         help="Keep a proposal only if its reference passes at least this many of its tests.")(f)
        return click.option("--similarity", type=FRACTION, default=0.7, show_default=True,
                            help="ROUGE-L above which a new problem is a near-duplicate of a known one "
                                 "(recipe: problems.similarity).")(f)

    return deco


def _endpoint_options(f):
    opts = [
        click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
                     help="TOML config (default: $CODESYNTH_CONFIG, ./codesynth.toml, ~/.config/codesynth/config.toml)."),
        click.option("--base-url", default=None, help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1. "
                     "None anywhere: the bundled local model is started."),
        click.option("--model", default=None, help="Model name (default: the endpoint's only model)."),
        click.option("--api-key-env", default=None, help="Environment variable holding the API key."),
        click.option("--concurrency", type=AT_LEAST_1, default=None, help="Requests in flight."),
        click.option("--request-timeout", type=seconds(), default=None, help="Seconds per request."),
        click.option("--max-retries", type=AT_LEAST_0, default=None, help="Retries on 429/5xx/timeouts."),
        click.option("--temperature", type=Finite(min=0), default=None,
                     help="Sampling temperature (default: the config's, else the endpoint's)."),
        click.option("--top-p", type=Finite(min=0, min_open=True, max=1), default=None,
                     help="Nucleus sampling: the probability mass sampled from (0 < p <= 1)."),
        click.option("--max-tokens", type=AT_LEAST_1, default=None, help="Most tokens one reply may have."),
        click.option("--seed", type=int, default=None, help="Sample i uses seed+i."),
        click.option("--cache-dir", type=click.Path(file_okay=False), default=None, help="Response cache directory."),
        click.option("--no-cache", is_flag=True, help="Do not read or write the response cache."),
        click.option("--out", type=click.Path(file_okay=False), required=True, help="Output directory."),
        click.option("--resume", is_flag=True, help="Continue DIR; nothing already received or run is repeated."),
        click.option("--update", is_flag=True, help="With --resume: inputs changed since DIR was started are not "
                     "refused; only what the change touches is made anew (unchanged replies come from the cache)."),
        click.option("--workers", type=AT_LEAST_1, default=None, help="Programs executed in parallel (default: cores)."),
        click.option("--timeout", type=seconds(), default=10.0, show_default=True,
                     help=f"Seconds per program (0 < s <= {MAX_TIMEOUT_S:g})."),
        click.option("--memory", type=memory_mb(), default=512, show_default=True, help="MB per program (at least 32)."),
        click.option("--backend", type=click.Choice(backend_kinds()), default="docker", show_default=True,
                     help="`local` is NOT an isolation boundary."),
        click.option("--json", "as_json", is_flag=True, help="Print the generation report as JSON on stdout."),
    ]  # fmt: skip
    for o in reversed(opts):
        f = o(f)
    return f


def _setup(kw: dict):
    """Split the shared options into (Config, VerifyConfig, max_tokens_given)."""
    from pydantic import ValidationError

    from codesynth.config import load_config
    from codesynth.errors import InputError
    from codesynth.jsonl import describe_validation_error
    from codesynth.outpath import writable_dir
    from codesynth.pipeline import VerifyConfig
    from codesynth.sandbox.capacity import check_workers

    check_workers(kw["workers"], kw["memory"])
    writable_dir(kw["out"])
    if kw.get("cache_dir") and not kw.get("no_cache"):
        writable_dir(kw["cache_dir"], "--cache-dir")
    cfg = load_config(kw.pop("config_path"))
    ep = {k: v for k, v in {
        "base_url": kw.pop("base_url"), "model": kw.pop("model"), "api_key_env": kw.pop("api_key_env"),
        "concurrency": kw.pop("concurrency"), "timeout_s": kw.pop("request_timeout"),
        "max_retries": kw.pop("max_retries"),
    }.items() if v is not None}  # fmt: skip
    sp = {k: v for k, v in {
        "temperature": kw.pop("temperature"), "top_p": kw.pop("top_p"), "max_tokens": kw.pop("max_tokens"),
        "seed": kw.pop("seed"),
    }.items() if v is not None}  # fmt: skip
    try:
        cfg.endpoint = cfg.endpoint.model_validate({**cfg.endpoint.model_dump(), **ep})
        cfg.sampling = cfg.sampling.model_validate({**cfg.sampling.model_dump(), **sp})
    except ValidationError as e:
        raise InputError(f"bad option: {describe_validation_error(e)}") from None
    cache_dir, no_cache = kw.pop("cache_dir"), kw.pop("no_cache")
    if cache_dir:
        cfg.cache.dir = cache_dir
    if no_cache:
        cfg.cache.enabled = False
    update = kw.pop("update")
    if update and not kw["resume"]:
        raise InputError("--update continues a run: pass --resume too")
    vcfg = VerifyConfig(
        update=update,
        workers=kw.pop("workers"),
        limits=Limits(timeout_s=kw.pop("timeout"), memory_mb=kw.pop("memory")),
        backend=kw.pop("backend"),
        resume=kw["resume"],
        progress=sys.stderr.isatty(),
    )
    return cfg, vcfg, "max_tokens" in sp


def _run(mode_fn):
    """Wrap a mode: open the client (local model if no endpoint), run, print the report."""

    @functools.wraps(mode_fn)
    def wrapper(**kw):
        from codesynth.generators.session import open_client

        cfg, vcfg, mt_given = _setup(kw)
        out, as_json = Path(kw.pop("out")), kw.pop("as_json")
        kw.pop("resume")
        with open_client(cfg, max_tokens_given=mt_given) as client:
            rep = mode_fn(client=client, out=out, vcfg=vcfg, **kw)
        _print(rep, as_json)

    return wrapper


def _print(rep, as_json: bool) -> None:
    if as_json:
        click.echo(rep.model_dump_json(indent=2))
        return
    u = rep.usage
    click.echo(f"{rep.mode}: model {rep.model}; {u['requests']} completions requested, {u['cache_hits']} from cache, "
               f"{u['retries']} retries; {u['prompt_tokens']}+{u['completion_tokens']} tokens, "
               f"{u['tokens_per_s']} tokens/s")  # fmt: skip
    if g := rep.governor:
        pace = (f", paced at {g['rate_limit_per_s']:g}/s after {g['rate_cuts']} 429 cuts"
                if g.get("rate_limit_per_s") is not None else "")
        click.echo(f"  concurrency: {g['mode']}, {g['limit']} in flight at the end (max {g['max_limit']}, ceiling "
                   f"{g['ceiling']}), {g['cuts']} cuts on 429/5xx{pace}; last decision: {g['decisions'][-1]['reason']}")
    for k, v in rep.counts.items():
        click.echo(f"  {k}: {json.dumps(v) if isinstance(v, (dict, list)) else v}")
    for k, v in rep.pass_at_k.items():
        click.echo(f"  {k}: {v:.4f}")
    click.echo(f"  output: {rep.out}  (report: generation_{rep.mode}.json)")


def _load(path):
    from codesynth.problems import load_problems

    return load_problems(path)


def _limit(problems, limit):
    return problems if limit is None else problems[:limit]


def register(cli: click.Group) -> None:
    @cli.group()
    def generate() -> None:
        """LLMs write solutions, tests and problems; execution decides what is kept.

        Any OpenAI-compatible endpoint (--base-url/--model, or a config file); with
        none configured, the bundled SmolLM2-135M model is started locally.
        """

    @generate.command()
    @click.argument("problems", type=click.Path(dir_okay=False))
    @click.option("--n", type=AT_LEAST_1, default=1, show_default=True, help="Samples per problem.")
    @click.option("--k-shots", type=AT_LEAST_0, default=0, show_default=True, help="Few-shot examples per prompt.")
    @click.option("--fewshot-pool", type=click.Path(dir_okay=False), default=None,
                  help="Problem set the examples are drawn from (default: PROBLEMS itself).")  # fmt: skip
    @click.option("--limit", type=AT_LEAST_1, default=None, help="Only the first N problems (N >= 1).")
    @click.option(
        "--verify", is_flag=True, help="Run every candidate in the sandbox into DIR (verify's layout)."
    )
    @click.option("--retry-failed", is_flag=True,
                  help="With --resume: ask again (a fresh draw) for the samples whose reply held no code.")
    @_language_option()
    @_endpoint_options
    @_run
    def solutions(client, out, vcfg, problems, n, k_shots, fewshot_pool, limit, verify, retry_failed, language):
        """Sample N solutions per problem (zero- or few-shot); with --verify, rewards, dataset and pass@k."""
        from codesynth.errors import InputError
        from codesynth.pipeline.generate import generate_solutions

        if retry_failed and not vcfg.resume:
            raise InputError("--retry-failed continues a run: pass --resume too")
        vcfg.retry_failed = retry_failed

        probs = _limit(_load(problems), limit)
        pool = _load(fewshot_pool) if fewshot_pool else ()
        return generate_solutions(probs, client, out, n=n, fewshot_pool=pool, k_shots=k_shots, verify=verify,
                                  config=vcfg, language=language)  # fmt: skip

    @generate.command()
    @click.argument("problems", type=click.Path(dir_okay=False))
    @click.option("--from-run", type=click.Path(file_okay=False), default=None,
                  help="Translate the passed candidates of this run directory (default: the reference solutions).")
    @click.option("--source-language", type=click.Choice(LANGUAGES), default="python", show_default=True,
                  help="Language of the verified programs shown to the model.")
    @click.option("--language", type=click.Choice(LANGUAGES), required=True, help="Language to translate into.")
    @click.option("--n", type=AT_LEAST_1, default=1, show_default=True, help="Translations per source program.")
    @click.option("--per-problem", type=AT_LEAST_1, default=1, show_default=True,
                  help="Distinct verified programs per problem to translate.")
    @click.option("--limit", type=AT_LEAST_1, default=None, help="Only the first N problems (N >= 1).")
    @click.option("--verify", is_flag=True, help="Run every translation in the sandbox into DIR (verify's layout).")
    @_endpoint_options
    @_run
    def translate(client, out, vcfg, problems, from_run, source_language, language, n, per_problem, limit, verify):
        """Verified programs in one language, written by the model in another (and verified there)."""
        from codesynth.pipeline.generate import generate_translate

        return generate_translate(_limit(_load(problems), limit), client, out, language=language,
                                  source_language=source_language, from_run=from_run, n=n, per_problem=per_problem,
                                  verify=verify, config=vcfg)  # fmt: skip

    @generate.command()
    @click.argument("problems", type=click.Path(dir_okay=False))
    @click.option("--n", type=AT_LEAST_1, default=1, show_default=True, help="Test-writing samples per problem.")
    @click.option("--tests-per-sample", type=AT_LEAST_1, default=5, show_default=True,
                  help="Test cases to ask for in each reply.")
    @click.option("--solutions", "n_solutions", type=AT_LEAST_1, default=5, show_default=True,
                  help="Sampled solutions for problems without a reference (CodeT agreement).")  # fmt: skip
    @click.option("--limit", type=AT_LEAST_1, default=None, help="Only the first N problems (N >= 1).")
    @_language_option("Judge data-form tests with the reference (or sampled solutions) in this language.")
    @click.option("--public", is_flag=True,
                  help="Add kept tests to the public tests (shown to models); by default they are private.")
    @_endpoint_options
    @_run
    def tests(client, out, vcfg, problems, n, tests_per_sample, n_solutions, limit, language, public):
        """The model writes assert tests; a test is kept only if the reference (or agreeing solutions)
        passes it and it rejects a known-wrong program; vacuous ones are counted and dropped."""
        from codesynth.pipeline.generate import generate_tests

        return generate_tests(_limit(_load(problems), limit), client, out, n=n, tests_per_sample=tests_per_sample,
                              n_solutions=n_solutions, config=vcfg, language=language, public=public)  # fmt: skip

    @generate.command()
    @click.argument("seeds", type=click.Path(dir_okay=False))
    @click.option("--n", type=AT_LEAST_1, default=10, show_default=True, help="Proposals to request.")
    @click.option(
        "--k-seeds", type=AT_LEAST_1, default=3, show_default=True, help="Seed problems shown per request."
    )
    @_proposal_options("synth")
    @_endpoint_options
    @_run
    def problems(client, out, vcfg, seeds, n, k_seeds, similarity, min_tests, id_prefix, language):
        """Self-Instruct: new problems (with solution and tests) from SEEDS; survivors -> DIR/problems.jsonl."""
        from codesynth.pipeline.generate import generate_problems

        return generate_problems(_load(seeds), client, out, n=n, k_seeds=k_seeds, threshold=similarity,
                                 min_tests=min_tests, id_prefix=id_prefix, config=vcfg,
                                 language=language)  # fmt: skip

    @generate.command()
    @click.argument("source", type=click.Path(exists=False))
    @click.option("--n", type=AT_LEAST_1, default=10, show_default=True, help="Problems to request.")
    @click.option("--query", default=None, help="Rank snippets by BM25 against this text (default: random).")
    @click.option("--window", type=AT_LEAST_1, default=40, show_default=True, help="Lines per text snippet.")
    @click.option("--seeds", type=click.Path(dir_okay=False), default=None,
                  help="Existing problems the new ones must not duplicate.")  # fmt: skip
    @_proposal_options("grounded")
    @_endpoint_options
    @_run
    def grounded(client, out, vcfg, source, n, query, window, seeds, similarity, min_tests, id_prefix, language):
        """OSS-Instruct: problems grounded in snippets of SOURCE (a folder or file), with provenance."""
        from codesynth.pipeline.generate import generate_grounded

        existing = _load(seeds) if seeds else ()
        return generate_grounded(source, client, out, n=n, query=query, window=window, existing=existing,
                                 threshold=similarity, min_tests=min_tests, id_prefix=id_prefix,
                                 config=vcfg, language=language)  # fmt: skip

    @generate.command()
    @click.argument("problems", type=click.Path(dir_okay=False))
    @click.option("--from-run", type=click.Path(file_okay=False), default=None,
                  help="Repair the failures of this run directory (default: sample turn 0 here).")  # fmt: skip
    @click.option("--rounds", type=AT_LEAST_1, default=2, show_default=True, help="Repair rounds at most.")
    @click.option(
        "--n", type=AT_LEAST_1, default=1, show_default=True, help="Turn-0 samples per problem (no --from-run)."
    )
    @click.option("--limit", type=AT_LEAST_1, default=None, help="Only the first N problems (N >= 1).")
    @_language_option("Language of the turn-0 samples (repairs keep each candidate's own language).")
    @_endpoint_options
    @_run
    def repair(client, out, vcfg, problems, from_run, rounds, n, limit, language):
        """Show failed candidates their feedback for up to R rounds; the reward log keeps every turn."""
        from codesynth.pipeline.generate import generate_repair

        return generate_repair(_limit(_load(problems), limit), client, out, rounds=rounds, from_run=from_run, n=n,
                               config=vcfg, language=language)  # fmt: skip

    @generate.command()
    @click.argument("problems", type=click.Path(dir_okay=False))
    @click.option("--from-run", required=True, type=click.Path(),
                  help="Reward log: a run directory or its rewards.jsonl.")  # fmt: skip
    @click.option("--parents", type=AT_LEAST_1, default=5, show_default=True, help="Most-failed problems to evolve.")
    @click.option(
        "--per-parent", type=AT_LEAST_1, default=3, show_default=True, help="New problems asked per parent."
    )
    @click.option("--min-fail-rate", type=FRACTION, default=0.5, show_default=True,
                  help="Only problems failed at least this often (a fraction of their attempts) are parents.")
    @_proposal_options("evolved")
    @_endpoint_options
    @_run
    def evolve(client, out, vcfg, problems, from_run, parents, per_parent, min_fail_rate, similarity, min_tests,
               id_prefix, language):  # fmt: skip
        """New problems seeded by the ones the model failed most in a reward log."""
        from codesynth.pipeline.generate import generate_evolve
        from codesynth.rundir import read_rewards

        return generate_evolve(_load(problems), read_rewards(from_run), client, out, parents=parents,
                               per_parent=per_parent, min_fail_rate=min_fail_rate, threshold=similarity,
                               min_tests=min_tests, id_prefix=id_prefix, config=vcfg,
                               language=language)  # fmt: skip
