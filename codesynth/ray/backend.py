"""A Backend whose capacity is the whole Ray cluster: `codesynth serve --ray ADDRESS` serves
HTTP from any node with every node's pool behind it (one request at a time per call, placed
like RayPool's batches: the local node's pool first, then the least loaded)."""

from __future__ import annotations

import itertools
import threading

import ray
from ray.exceptions import RayActorError

from codesynth.errors import SandboxUnavailable
from codesynth.models import ExecutionResult, Limits
from codesynth.ray.client import RayPool, _Pool
from codesynth.sandbox.backend import Backend, ExecRequest


class RayBackend(Backend):
    name = "ray"

    def __init__(self, address: str | None = "auto", workers_per_node: int | None = None,
                 limits: Limits | None = None):
        self._args = (address, workers_per_node, limits)
        self._pool: RayPool | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count()
        self.limits = limits or Limits()
        self.stats: dict = {}

    @property
    def capacity(self) -> int:
        assert self._pool is not None, "start() first"
        return sum(p.capacity for p in self._pool.pools if p.alive)

    def start(self) -> None:
        address, workers, limits = self._args
        self._pool = RayPool(address=address, workers_per_node=workers, limits=limits, batch_size=1)
        self.stats = {"nodes": len(self._pool.pools)}

    def _take(self) -> _Pool:
        assert self._pool is not None
        with self._lock:
            live = [p for p in self._pool.pools if p.alive]
            if not live:
                raise SandboxUnavailable("every codesynth pool in the Ray cluster is gone")
            local = [p for p in live if p.node_id == self._pool.local_node and p.outstanding < p.capacity]
            pool = local[0] if local else min(live, key=lambda p: p.outstanding / p.capacity)
            pool.outstanding += 1
            return pool

    def execute(self, request: ExecRequest) -> ExecutionResult:
        rid = f"h{next(self._ids)}"
        while True:
            pool = self._take()
            try:
                [(_, res)] = ray.get(pool.actor.run_batch.remote([(rid, request)]))
                return res
            except RayActorError:
                pool.alive = False  # its node died: run the request on another one
            finally:
                with self._lock:
                    pool.outstanding -= 1

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None
