"""The per-node pool actor: a DockerBackend on the node it is pinned to."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import ray

from codesynth.models import ExecutionResult, Limits
from codesynth.sandbox.backend import ExecRequest

RESOURCE = "codesynth"


@ray.remote(num_cpus=0, max_restarts=0, max_concurrency=16)
class PoolActor:
    """Holds the node's warm containers; runs batches of (request id, ExecRequest)."""

    def __init__(self, workers: int | None = None, limits: Limits | None = None):
        from codesynth.sandbox.docker.backend import DockerBackend

        self._node = ray.get_runtime_context().get_node_id()
        self._backend = DockerBackend(workers=workers, limits=limits, run_id=f"ray{os.getpid()}")
        self._backend.start()
        # threaded actor: several batches may be in flight; the backend's slots bound the programs
        self._threads = ThreadPoolExecutor(max_workers=self._backend.capacity, thread_name_prefix="codesynth-ray")

    def info(self) -> dict:
        return {"node_id": self._node, "capacity": self._backend.capacity, "run_id": self._backend.run_id,
                "pid": os.getpid()}

    def run_batch(self, batch: list[tuple[str, ExecRequest]]) -> list[tuple[str, ExecutionResult]]:
        results = list(self._threads.map(lambda item: self._backend.execute(item[1]), batch))
        return [(rid, res) for (rid, _), res in zip(batch, results, strict=True)]

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)
        self._backend.close()
