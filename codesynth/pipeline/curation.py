"""A curation run: a run directory's passing programs through the filters, with a sandbox
started only if a filter executes code; or, streamed, a dataset file of any size through the
three filters that hold at a million records (dedup, privacy, decontamination)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from codesynth.errors import InputError
from codesynth.jsonl import write_json
from codesynth.rundir import DATASET
from codesynth.sandbox.registry import LazyBackend
from codesynth.verifiers.curation.curate import CurateConfig, CurateReport, curate
from codesynth.verifiers.curation.filters import Filter


def curate_run(
    run_dir: str | Path,
    out: str | Path,
    cfg: CurateConfig | None = None,
    *,
    backend: str = "docker",
    workers: int | None = None,
    report_path: str | Path | None = None,
    extra_filters: Sequence[Filter] = (),
) -> CurateReport:
    with LazyBackend(backend, workers=workers, limits=(cfg or CurateConfig()).limits) as lazy:
        return curate(run_dir, out, cfg, backend=lazy, report_path=report_path, extra_filters=extra_filters)


# The filters the streamed path runs; every other one needs the records in memory (complexity
# metrics and weights could stream, but agreement, mutation and strength need the run).
STREAMED = ("dedup", "privacy", "decontam")


def curate_streamed(
    source: str | Path,
    out: str | Path,
    cfg: CurateConfig | None = None,
    *,
    workers: int | None = None,
    report_path: str | Path | None = None,
) -> CurateReport:
    """Dedup -> privacy -> decontamination of a dataset file (or a run directory's dataset.jsonl)
    streamed on every core (`at_scale.curate_file`): the same decisions as the in-memory filters,
    in bounded memory. The other filters and the weights are not run: the report lists them as
    skipped. The semantic filter needs every instruction's embedding in memory and is refused."""
    from codesynth.verifiers.curation.at_scale import curate_file
    from codesynth.verifiers.curation.filters import skipped_report
    from codesynth.verifiers.curation.registry import registered

    cfg = cfg or CurateConfig()
    if cfg.section("semantic").enabled:  # type: ignore[attr-defined]
        raise InputError("--stream: the semantic filter holds every embedding in memory; drop --semantic-dedup")
    src = Path(source)
    if src.is_dir():
        src = src / DATASET
    if not src.exists():
        raise InputError(f"{source}: no such dataset file or run directory")
    reports = curate_file(src, out, cfg.section("dedup"), cfg.section("privacy"), cfg.section("decontam"),
                          workers=workers)
    n_in, n_out = reports[0].input, reports[-1].kept
    rest = [skipped_report(name, n_out, note="not run by --stream") for name in registered() if name not in STREAMED]
    report = CurateReport(source=str(source), input_records=n_in, output_records=n_out,
                          filters=[*reports, *rest], config=cfg)
    write_json(Path(report_path) if report_path else Path(str(out) + ".report.json"), report)
    if Path(source).is_dir():  # for `codesynth report`, as the in-memory path does
        write_json(Path(source) / "curation.json", report)
    return report
