"""Our containers: the labels every one carries, who owns it, and cleaning up after runs.

Every container codesynth starts carries `codesynth=1`, `codesynth.run=<run id>` and
`codesynth.owner=<host>:<pid>` of the process that started it, so a cleaner can tell an
orphan (its owner is gone) from a container of a live run on a shared machine.
"""

from __future__ import annotations

import os
import socket

LABEL = "codesynth"  # every container we start carries label codesynth=1
RUN_LABEL = f"{LABEL}.run"  # ...and codesynth.run=<run_id> when it belongs to a run
OWNER_LABEL = f"{LABEL}.owner"  # ...and codesynth.owner=<host>:<pid> of the process that started it


def owner_label() -> str:
    """`host:pid` of this process: lets a later cleaner tell orphans from live runs."""
    return f"{socket.gethostname()}:{os.getpid()}"


def labels(run_id: str) -> dict[str, str]:
    return {LABEL: "1", RUN_LABEL: run_id, OWNER_LABEL: owner_label()}


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, someone else's
    return True


def is_leftover(ctr) -> bool:
    """Stopped, or its owning process on this host is gone. Unknown owners count as live."""
    if ctr.status != "running":
        return True
    host, _, pid = (ctr.labels or {}).get(OWNER_LABEL, "").rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and not pid_alive(int(pid))


def list_containers(run_id: str | None = None) -> list:
    from codesynth.sandbox.docker.engine import client

    label = LABEL if run_id is None else f"{RUN_LABEL}={run_id}"
    return client().containers.list(all=True, filters={"label": label})


def cleanup_containers(run_id: str | None = None, leftovers_only: bool = False) -> int:
    """Force-remove our containers (all, or one run's); returns how many were removed.

    `leftovers_only` spares containers of live runs (see `is_leftover`), so a cleanup
    on a shared machine never pulls the rug from under someone else's run.
    """
    import docker.errors

    removed = 0
    for ctr in list_containers(run_id):
        if leftovers_only and not is_leftover(ctr):
            continue
        try:
            ctr.remove(force=True, v=True)
            removed += 1
        except docker.errors.NotFound:
            pass  # removed meanwhile (auto-remove, another cleaner)
        except docker.errors.APIError as e:
            if e.status_code != 409:  # 409: removal already in progress
                raise
    return removed
