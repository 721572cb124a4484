"""`codesynth curate`, `codesynth export`, `codesynth report`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from pydantic import ValidationError

from codesynth.cli.options import AT_LEAST_1, FRACTION, resolved_by
from codesynth.errors import InputError
from codesynth.outpath import writable_file
from codesynth.sandbox.registry import backend_kinds
from codesynth.verifiers.outputs.formats import format_names, get_format


@click.command("curate")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="Curated dataset (JSONL).")
@click.option(
    "--report", "report_path", type=click.Path(path_type=Path), help="JSON report (default OUT.report.json)."
)
@click.option(
    "--config", "config_path", type=click.Path(path_type=Path), help="CurateConfig JSON (flags override it)."
)
@click.option("--no-dedup", is_flag=True, help="Keep duplicates.")
@click.option("--no-near-dup", is_flag=True, help="Exact duplicates only.")
@click.option("--dup-threshold", type=FRACTION, help="Jaccard threshold for near duplicates (default 0.85).")
@click.option(
    "--dedup-scope",
    type=click.Choice(["problem", "global"]),
    help="Compare within a problem (default) or across all.",
)
@click.option(
    "--semantic-dedup", is_flag=True, help='Drop paraphrased problems (embeddings; needs "codesynth[semantic]").'
)
@click.option("--semantic-threshold", type=FRACTION, help="Cosine similarity of a semantic duplicate (default 0.9).")
@click.option(
    "--privacy",
    "privacy_mode",
    type=click.Choice(["report", "drop", "off"]),
    help="Secrets/e-mail/phone/IP findings: report them (default), drop the records, or skip the scan.",
)
@click.option("--no-complexity", is_flag=True, help="Skip radon metrics and the trivial/pathological filter.")
@click.option("--keep-trivial", is_flag=True, help="Record radon metrics but drop nothing for complexity.")
@click.option("--no-decontam", is_flag=True, help="Skip decontamination.")
@click.option(
    "--benchmark",
    "benchmarks",
    multiple=True,
    help="'humaneval' or a problem file (repeatable; default humaneval).",
)
@click.option(
    "--decontam-threshold", type=FRACTION, help="n-gram containment that counts as contaminated (default 0.5)."
)
@click.option("--no-agreement", is_flag=True, help="Skip the confidence/agreement filter.")
@click.option(
    "--agreement",
    "agreement_mode",
    type=click.Choice(["pass_rate", "inputs"]),
    help="pass_rate (default) or inputs (CodeT-style, runs code).",
)
@click.option("--min-passing", type=AT_LEAST_1, help="Passing samples a problem needs (default 1).")
@click.option(
    "--min-pass-rate", type=FRACTION, help="Fraction of a problem's samples that must pass (default 0)."
)
@click.option(
    "--min-agreement", type=FRACTION, help="inputs mode: cluster share a solution needs (default 0.5)."
)
@click.option("--no-mutation", is_flag=True, help="Skip mutation testing (no code is run).")
@click.option("--max-mutants", type=AT_LEAST_1, help="Mutants per record (default 10).")
@click.option(
    "--min-mutation-score", type=FRACTION, help="Mutation score below which tests are toothless (default 0.5)."
)
@click.option(
    "--mutation-action", type=click.Choice(["drop", "downweight"]), help="What to do with toothless tests."
)
@click.option("--min-tnr", type=FRACTION,
              help="Drop records whose suite's measured TNR (harden certificate) is below this.")
@click.option("--filter", "filter_opts", multiple=True, metavar="NAME[:KEY=VALUE,...]",
              help="Enable a registered filter (built-in or plugin) with options, e.g. "
                   "'privacy:mode=redact' or 'decontam:benchmarks=[\"humaneval\",\"mbpp\"]'; repeatable.")
@click.option("--backend", type=click.Choice(backend_kinds()), default="docker", show_default=True,
              help="Where mutation testing and input agreement run programs.")
@click.option("--workers", type=AT_LEAST_1, help="Programs in parallel (default: cores).")
@click.option("--stream", is_flag=True,
              help="Dedup, privacy and decontamination only, streamed on every core in bounded memory "
                   "(a dataset file of any size; the other filters and the weights are not run).")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report instead of the table.")
def curate_cmd(
    run_dir,
    out,
    report_path,
    config_path,
    no_dedup,
    no_near_dup,
    dup_threshold,
    dedup_scope,
    semantic_dedup,
    semantic_threshold,
    privacy_mode,
    no_complexity,
    keep_trivial,
    no_decontam,
    benchmarks,
    decontam_threshold,
    no_agreement,
    agreement_mode,
    min_passing,
    min_pass_rate,
    min_agreement,
    no_mutation,
    max_mutants,
    min_mutation_score,
    mutation_action,
    min_tnr,
    filter_opts,
    backend,
    workers,
    stream,
    as_json,
):
    """Filter a run's passing programs into a weighted dataset; show what each filter dropped and why."""
    from codesynth.pipeline.curation import curate_run, curate_streamed
    from codesynth.verifiers.curation.curate import CurateConfig, format_table, load_config
    from codesynth.verifiers.curation.registry import parse_filter_option

    cfg = load_config(config_path) if config_path else CurateConfig()
    upd = {
        ("dedup", "enabled"): False if no_dedup else None,
        ("dedup", "near"): False if no_near_dup else None,
        ("dedup", "threshold"): dup_threshold,
        ("dedup", "scope"): dedup_scope,
        ("semantic", "enabled"): True if semantic_dedup else None,
        ("semantic", "threshold"): semantic_threshold,
        ("privacy", "enabled"): False if privacy_mode == "off" else None,
        ("privacy", "mode"): privacy_mode if privacy_mode in ("report", "drop") else None,
        ("complexity", "enabled"): False if no_complexity else None,
        ("complexity", "drop"): False if keep_trivial else None,
        ("decontam", "enabled"): False if no_decontam else None,
        ("decontam", "benchmarks"): list(benchmarks) if benchmarks else None,
        ("decontam", "threshold"): decontam_threshold,
        ("agreement", "enabled"): False if no_agreement else None,
        ("agreement", "mode"): agreement_mode,
        ("agreement", "min_passing"): min_passing,
        ("agreement", "min_pass_rate"): min_pass_rate,
        ("agreement", "min_agreement"): min_agreement,
        ("mutation", "enabled"): False if no_mutation else None,
        ("mutation", "max_mutants"): max_mutants,
        ("mutation", "min_score"): min_mutation_score,
        ("mutation", "action"): mutation_action,
        ("strength", "min_tnr"): min_tnr,
    }
    data = cfg.model_dump()
    for (section, key), value in upd.items():
        if value is not None:
            data[section][key] = value
    for text in filter_opts:
        name, settings = parse_filter_option(text)
        data.setdefault(name, {}).update(settings)
    try:
        cfg = CurateConfig.model_validate(data)
    except ValidationError as e:  # a bad flag value
        raise InputError(
            f"invalid curate option: {e.errors()[0]['loc'][-1]}: {e.errors()[0]['msg']}"
        ) from None

    from codesynth.sandbox.capacity import check_workers

    check_workers(workers, cfg.limits.memory_mb)
    writable_file(out)
    if report_path is not None:
        writable_file(report_path, "--report")
    if stream:
        report = curate_streamed(run_dir, out, cfg, workers=workers, report_path=report_path)
    else:
        report = curate_run(run_dir, out, cfg, backend=backend, workers=workers, report_path=report_path)
    if as_json:
        click.echo(report.model_dump_json(indent=2))
    else:
        click.echo(format_table(report))
        click.echo(f"dataset: {out}   report: {report_path or str(out) + '.report.json'}")


@click.command("export")
@click.argument("dataset", type=click.Path(path_type=Path))
@click.option("--format", "fmt", required=True, metavar="NAME", callback=resolved_by(get_format),
              help=f"Export format: {', '.join(format_names())} (a package adds more through the "
                   "codesynth.exports entry point group).")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="Output file (.jsonl = one record per line, .json = one array; .parquet for parquet; "
         "a directory for hf).",
)
@click.option("--system", default=None, help="Optional system prompt to put in front of every conversation.")
@click.option("--privacy", "privacy_mode", type=click.Choice(["drop", "redact", "report", "off"]), default="drop",
              show_default=True, help="Records holding secrets or personal data: drop them, redact the values, "
              "only list them, or skip the scan.")
def export_cmd(dataset, fmt, out, system, privacy_mode):
    """Export a dataset (a curated file or a run directory) for fine-tuning."""
    from codesynth.rundir import load_dataset
    from codesynth.verifiers.outputs.exports import check_extension, export

    p = Path(dataset)
    if not p.exists():
        raise InputError(f"{p}: no such dataset file or run directory")
    check_extension(fmt, out)  # before reading: a wrong --out is known without the data
    writable_file(out)
    records = load_dataset(p)
    if not records:
        raise InputError(f"{p}: the dataset holds no records; nothing to export (no program passed?)")
    if privacy_mode != "off":
        from codesynth.verifiers.curation.privacy import PrivacyConfig, privacy_filter

        records, rep = privacy_filter(records, PrivacyConfig(mode=privacy_mode))
        for d in rep.drops:
            kinds = ", ".join(sorted({f["kind"] for f in d.detail["findings"]}))
            click.echo(f"privacy: dropped {d.id} ({kinds})")
        for f in rep.stats.get("flagged", []):
            verb = "redacted" if privacy_mode == "redact" else "found"
            click.echo(f"privacy: {verb} in {f['id']}: " + ", ".join(sorted({x["kind"] for x in f["findings"]})))
        if not records:
            raise InputError(f"{p}: every record holds secrets or personal data (--privacy {privacy_mode}); nothing to export")
    export(records, fmt, out, system=system)
    click.echo(f"wrote {len(records)} record(s) to {out} ({fmt})")


@click.command("report")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    help="Where to write the JSON (default RUN_DIR/report.json).",
)
@click.option(
    "--benchmark",
    "benchmarks",
    multiple=True,
    help="Benchmarks to check contamination against (default humaneval).",
)
@click.option("--html", "html_out", is_flag=False, flag_value="", default=None, type=click.Path(dir_okay=False),
              metavar="[FILE]",
              help="Also write the report as a page with plots and the failed samples to FILE "
                   "(bare --html: RUN_DIR/report.html); prints where the page went.")
@click.option("--semantic", is_flag=True,
              help="Also the diversity by meaning (sentence embeddings; needs codesynth[semantic]).")
def report_cmd(run_dir, as_json, out, benchmarks, html_out, semantic):
    """Pass rates, failures, rewards, duplicates, contamination, complexity, test strength, diversity."""
    from codesynth.jsonl import write_json
    from codesynth.verifiers.outputs.report import build_report, format_report

    target = out or (
        Path(run_dir) / "report.json" if Path(run_dir).is_dir() else Path(str(run_dir) + ".report.json")
    )
    if Path(run_dir).exists():  # a missing run is bad input (exit 2), said by build_report
        writable_file(target, "--out" if out else "report file")
    rep = build_report(run_dir, list(benchmarks) if benchmarks else None, semantic=semantic)
    if html_out is not None:
        from codesynth.pipeline.synth import facts_of_run
        from codesynth.verifiers.outputs.report_html import write_html

        page = write_html(run_dir, rep, Path(html_out) if html_out else Path(run_dir) / "report.html",
                          facts_of_run(run_dir) if Path(run_dir).is_dir() else ())
        click.echo(f"html report: {page}", err=as_json)
    write_json(target, rep)
    if as_json:
        sys.stdout.write(json.dumps(rep, indent=2) + "\n")
    else:
        click.echo(format_report(rep))
        click.echo(f"report: {target}")


def register(cli: click.Group) -> None:
    cli.add_command(curate_cmd)
    cli.add_command(export_cmd)
    cli.add_command(report_cmd)
