"""Episodes as data: every turn to `episodes.jsonl`, every final program through the run recorder.

A run directory shared by many concurrent episodes (one server, one trainer): each line is
appended whole (codesynth.jsonl), under a lock. The final program of an episode is a candidate
like any other (`results`, `rewards`, `candidates`, and `dataset` when it passed), with
`origin.kind == "episode"`, its turn and the previous turn's candidate as `parent_id`: so curation,
reports and exports read episodes as they read repair trajectories.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from codesynth.jsonl import JsonlWriter, read_models, repair_tail
from codesynth.models import Candidate, ExecutionResult, Problem
from codesynth.rundir import EPISODES
from codesynth.verifiers.environment.records import EpisodeTurn
from codesynth.verifiers.run_recorder import RunRecorder


class EpisodeRecorder:
    """Appends episode turns and final verdicts to run directory `out` (close it when done)."""

    def __init__(self, out: str | os.PathLike, problems: Sequence[Problem], scheme: str):
        self.out = Path(out)
        self.scheme = scheme
        self.run = RunRecorder(self.out, problems, scheme)
        self._turns = JsonlWriter(self.out / EPISODES)
        self._lock = threading.Lock()

    def turn(self, record: EpisodeTurn) -> None:
        with self._lock:
            self._turns.write(record)

    def final(self, candidate: Candidate, result: ExecutionResult) -> None:
        """The final program's raw verdict: the run recorder judges (redacts) and rewards it."""
        self.run.record(candidate, result)

    def close(self) -> None:
        with self._lock:
            self._turns.close()
        self.run.close()

    def __enter__(self) -> EpisodeRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_episodes(out: str | os.PathLike) -> list[EpisodeTurn]:
    """Every turn a run directory's episodes recorded, in the order they were written."""
    p = Path(out) / EPISODES
    if not p.exists():
        return []
    repair_tail(p)
    return list(read_models(p, EpisodeTurn))
