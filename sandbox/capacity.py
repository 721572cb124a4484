"""How many workers this machine can really start, checked before any container starts.

A worker is one warm container (or, for the local backend, one supervisor process) that
may use up to the program's memory limit plus the harness's own overhead. Asking for more
than the machine holds does not fail fast on its own: `docker run` calls queue up and time
out minutes later. So the bound is computed up front from the cores and the memory.
"""

from __future__ import annotations

import os

from codesynth.errors import InputError

#: Workers per core at most. Programs are CPU-bound; beyond a few per core they only
#: queue for the CPU while each still holds a container's memory and start-up time.
WORKERS_PER_CORE = 8
#: Supervisor + tester (+ zygote) on top of the program's own limit, per worker.
OVERHEAD_MB = 192
#: Share of the machine's memory the workers may claim together (the host needs the rest).
MEMORY_SHARE = 0.8


def machine_memory_mb() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1 << 20)
    except (ValueError, OSError, AttributeError):  # pragma: no cover - exotic platforms
        return 0


def max_workers(memory_mb: int, cores: int | None = None, total_mb: int | None = None) -> tuple[int, str]:
    """(the largest worker count this machine can start, why) for programs of `memory_mb`."""
    cores = cores or os.cpu_count() or 1
    total_mb = machine_memory_mb() if total_mb is None else total_mb
    by_cpu = cores * WORKERS_PER_CORE
    per_worker = memory_mb + OVERHEAD_MB
    by_mem = int(total_mb * MEMORY_SHARE) // per_worker if total_mb else by_cpu
    if by_mem < by_cpu:
        why = (f"{MEMORY_SHARE:.0%} of {total_mb / 1024:.1f} GiB memory / {per_worker} MB per worker "
               f"(--memory {memory_mb} + {OVERHEAD_MB} MB harness)")
        return max(1, by_mem), why
    return by_cpu, f"{cores} cores x {WORKERS_PER_CORE}"


def check_workers(workers: int | None, memory_mb: int, option: str = "--workers") -> None:
    """Refuse a worker count the machine cannot start, with one line saying why."""
    if workers is not None and workers < 1:
        raise InputError(f"{option} {workers}: must be at least 1")
    limit, why = max_workers(memory_mb)
    if workers is None:  # the default, one per core, must fit too
        default = os.cpu_count() or 1
        if default > limit:
            raise InputError(f"--memory {memory_mb}: the default {default} workers (one per core) do not fit; "
                             f"this machine can start at most {limit} ({why}): pass {option} {limit}")
        return
    if workers > limit:
        raise InputError(f"{option} {workers}: this machine can start at most {limit} workers ({why})")
