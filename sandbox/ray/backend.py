"""A Backend whose capacity is the whole Ray cluster: `codesynth verify --backend ray` and
`codesynth serve --ray ADDRESS` run on every node's pool (one request per call, placed like
RayPool's batches: the local node's pool first, then the least loaded). A request whose node
dies is run again on another node, so each call still returns exactly one result."""

from __future__ import annotations

import itertools
import os
import threading
from typing import Any

from codesynth.errors import InputError, SandboxUnavailable
from codesynth.models import ExecutionResult, Limits
from codesynth.sandbox.backend import Backend, ExecRequest


class RayBackend(Backend):
    name = "ray"

    def __init__(self, workers: int | None = None, limits: Limits | None = None, run_id: str | None = None,
                 address: str | None = None, **_: Any):
        # run_id: every pool actor names its own containers (ray<pid>), one run per node
        self._address = address or os.environ.get("RAY_ADDRESS") or "auto"
        self._workers = workers
        self.limits = limits or Limits()
        self._pool: Any = None
        self._lock = threading.Lock()
        self._ids = itertools.count()
        self._reruns = 0  # requests run again because their node died under them

    @property
    def capacity(self) -> int:
        assert self._pool is not None, "start() first"
        return max(1, sum(p.capacity for p in self._pool.pools if p.alive))

    def start(self) -> None:
        try:
            from codesynth.sandbox.ray.client import RayPool
        except ImportError:
            raise InputError("the ray backend needs Ray: pip install 'codesynth[ray]'") from None
        try:
            self._pool = RayPool(address=self._address, workers_per_node=self._workers, limits=self.limits,
                                 batch_size=1)
        except ConnectionError as e:
            raise SandboxUnavailable(f"cannot reach the Ray cluster at {self._address}: {e}") from None

    @property
    def stats(self) -> dict:
        """For /v1/stats: every node's pool (its containers carry `codesynth.run=<run_id>`), which
        are still alive, and how many requests were run again after their node died."""
        pools = self._pool.pools if self._pool is not None else []
        return {"nodes": len(pools), "nodes_alive": sum(p.alive for p in pools), "reruns": self._reruns,
                "pools": [{"node_id": p.node_id, "run_id": p.run_id, "alive": p.alive} for p in pools]}

    def _take(self):
        with self._lock:
            live = [p for p in self._pool.pools if p.alive]
            if not live:
                raise SandboxUnavailable("every codesynth pool in the Ray cluster is gone")
            local = [p for p in live if p.node_id == self._pool.local_node and p.outstanding < p.capacity]
            pool = local[0] if local else min(live, key=lambda p: p.outstanding / p.capacity)
            pool.outstanding += 1
            return pool

    def execute(self, request: ExecRequest) -> ExecutionResult:
        import ray
        from ray.exceptions import RayActorError

        rid = f"b{next(self._ids)}"
        while True:
            pool = self._take()
            try:
                [(_, res)] = ray.get(pool.actor.run_batch.remote([(rid, request)]))
                return res
            except RayActorError:
                pool.alive = False  # its node died: run the request on another one
                with self._lock:
                    self._reruns += 1
            finally:
                with self._lock:
                    pool.outstanding -= 1

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None
