"""A curation run: a run directory's passing programs through the filters, with a sandbox
started only if a filter executes code."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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
