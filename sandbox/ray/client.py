"""Spread ExecRequests over every node's pool: the local node's pool first, then the pool with
the fewest requests outstanding, in batches. Every request carries an id; a batch lost with
its node is resubmitted elsewhere, and a result whose id was already delivered is dropped,
so each request is delivered exactly once."""

from __future__ import annotations

import collections
import logging
import signal
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import ray
from ray.exceptions import RayActorError, RayError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from codesynth.errors import SandboxUnavailable
from codesynth.models import ExecutionResult, Limits
from codesynth.sandbox.backend import ExecRequest
from codesynth.sandbox.ray.actor import RESOURCE, PoolActor


@dataclass
class _Pool:
    actor: object
    node_id: str
    capacity: int
    run_id: str
    outstanding: int = 0  # requests sent and not answered
    alive: bool = True


class RayPool:
    def __init__(self, address: str | None = "auto", workers_per_node: int | None = None,
                 limits: Limits | None = None, batch_size: int = 8, batches_in_flight: int = 2):
        if not ray.is_initialized():
            # ray.init replaces the SIGTERM handler with sys.exit(15); keep the caller's (the CLI's
            # clean-up, then exit 143: codesynth.errors), or `serve --ray` would exit 15.
            main = threading.current_thread() is threading.main_thread()
            before = signal.getsignal(signal.SIGTERM) if main else None
            # Quiet: a `--json` caller's stdout must stay JSON (Ray logs its connection there).
            ray.init(address=address, ignore_reinit_error=True, log_to_driver=False, logging_level=logging.WARNING)
            if before is not None:
                signal.signal(signal.SIGTERM, before)
        nodes = [n for n in ray.nodes() if n.get("Alive") and n.get("Resources", {}).get(RESOURCE, 0) >= 1]
        if not nodes:
            raise SandboxUnavailable(f"no Ray node offers the '{RESOURCE}' resource; start the nodes that run "
                                     f"programs with: ray start ... --resources='{{\"{RESOURCE}\": 1}}'")
        actors = [PoolActor.options(
            resources={RESOURCE: 1},  # takes the node's one unit: one pool per node
            scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=n["NodeID"], soft=False),
        ).remote(workers_per_node, limits) for n in nodes]
        try:
            infos = ray.get([a.info.remote() for a in actors])
        except RayError as e:
            for a in actors:
                ray.kill(a)
            raise SandboxUnavailable(f"a codesynth pool actor failed to start: {e}") from None
        self.pools = [_Pool(a, i["node_id"], i["capacity"], i["run_id"]) for a, i in zip(actors, infos, strict=True)]
        self.local_node = ray.get_runtime_context().get_node_id()
        self.batch_size = batch_size
        self.batches_in_flight = batches_in_flight
        self.delivered_by: collections.Counter[str] = collections.Counter()
        self.resubmitted = 0

    @classmethod
    def attach(cls, pools: list[tuple[object, str, int, str]], batch_size: int = 8) -> RayPool:
        """A client over pool actors another RayPool started (e.g. inside a Ray Data worker:
        actor handles travel, the pools stay one per node). Closing it closes nothing."""
        self = cls.__new__(cls)
        self.pools = [_Pool(a, node, cap, run_id) for a, node, cap, run_id in pools]
        self.local_node = ray.get_runtime_context().get_node_id()
        self.batch_size, self.batches_in_flight = batch_size, 2
        self.delivered_by, self.resubmitted = collections.Counter(), 0
        self._attached = True
        return self

    def handles(self) -> list[tuple[object, str, int, str]]:
        return [(p.actor, p.node_id, p.capacity, p.run_id) for p in self.pools if p.alive]

    # ------------------------------------------------------------------ placement

    def _room(self, p: _Pool) -> bool:
        return p.alive and p.outstanding < self.batches_in_flight * max(self.batch_size, p.capacity)

    def _choose(self) -> _Pool | None:
        local = [p for p in self.pools if p.node_id == self.local_node and self._room(p)]
        if local:
            return local[0]
        others = [p for p in self.pools if self._room(p)]
        return min(others, key=lambda p: p.outstanding / p.capacity) if others else None

    # ------------------------------------------------------------------ running

    def run(self, requests: Iterable[ExecRequest]) -> Iterator[tuple[ExecRequest, ExecutionResult]]:
        """Yield (request, result) in completion order, each request exactly once."""
        by_id = {str(i): r for i, r in enumerate(requests)}
        pending = collections.deque(by_id)
        delivered: set[str] = set()
        inflight: dict = {}
        while pending or inflight:
            while pending:
                pool = self._choose()
                if pool is None:
                    break
                batch = []
                while pending and len(batch) < self.batch_size:
                    rid = pending.popleft()
                    if rid not in delivered:
                        batch.append(rid)
                if not batch:
                    continue
                ref = pool.actor.run_batch.remote([(rid, by_id[rid]) for rid in batch])
                inflight[ref] = (pool, batch)
                pool.outstanding += len(batch)
            if not inflight:
                if pending:
                    raise SandboxUnavailable(f"every codesynth pool is gone; {len(pending)} requests not run")
                break
            ready, _ = ray.wait(list(inflight), num_returns=1)
            for ref in ready:
                pool, batch = inflight.pop(ref)
                pool.outstanding -= len(batch)
                try:
                    answers = ray.get(ref)
                except RayActorError:
                    # Its node (or the actor) died: the batch never came back. Run it elsewhere.
                    pool.alive = False
                    again = [rid for rid in batch if rid not in delivered]
                    self.resubmitted += len(again)
                    pending.extendleft(reversed(again))
                    continue
                for rid, res in answers:
                    if rid in delivered:
                        continue
                    delivered.add(rid)
                    self.delivered_by[pool.node_id] += 1
                    yield by_id[rid], res

    def close(self) -> None:
        if getattr(self, "_attached", False):
            return
        for p in self.pools:
            if p.alive:
                try:
                    ray.get(p.actor.close.remote(), timeout=120)
                except RayError:
                    pass
            ray.kill(p.actor)

    def __enter__(self) -> RayPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
