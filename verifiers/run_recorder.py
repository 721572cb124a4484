"""The run recorder: appends verdicts to a run directory, results.jsonl first (the commit point).

Every writer of verdicts uses it: `verify` and the generation modes (codesynth.pipeline), the
code environment's episodes (codesynth.verifiers.environment). It lives in the verifiers layer
because it judges (`scoring.judge`), rewards and makes dataset records, all of which are here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from codesynth.jsonl import JsonlWriter
from codesynth.models import Candidate, ExecutionResult, Problem, Status
from codesynth.rundir import CANDIDATES, DATASET, RESULTS, REWARDS, RunState, drop_orphans, read_run
from codesynth.verifiers.outputs.dataset import make_dataset_record
from codesynth.verifiers.rewards import make_reward
from codesynth.verifiers.scoring import judge


class RunRecorder:
    """Appends verdicts to a run directory; results.jsonl first (the commit point).

    Opening it repairs the derived files (rewards, candidates, dataset) for results that
    landed just before a kill, so every file holds each candidate exactly once.
    """

    def __init__(self, out: Path, problems: Sequence[Problem], reward_scheme: str,
                 known: Iterable[Candidate] = ()):
        self.out = out
        self.scheme = reward_scheme
        self.by_pid = {p.id: p for p in problems}
        out.mkdir(parents=True, exist_ok=True)
        self.state: RunState = read_run(out)
        drop_orphans(out, self.state)
        self._writers = {name: JsonlWriter(out / name) for name in (RESULTS, CANDIDATES, REWARDS, DATASET)}
        self._lock = threading.Lock()
        self._closed = False
        cand_by_id = {c.candidate_id: c for c in known}
        for cid, res in list(self.state.results.items()):
            c = self.state.candidates.get(cid) or cand_by_id.get(cid)
            if c is not None and c.problem_id in self.by_pid:
                self.record(c, res)

    def done(self, candidate_id: str) -> bool:
        return candidate_id in self.state.results

    def record(self, c: Candidate, res: ExecutionResult) -> None:
        # Turns that stream into each other record from several threads; a line is whole either way,
        # the lock keeps the in-memory state and the files agreeing.
        with self._lock:
            if not self._closed:
                self._record(c, res)

    def _record(self, c: Candidate, res: ExecutionResult) -> None:
        st, cid = self.state, c.candidate_id
        if cid not in st.results:
            # judged once, here: the record keeps no private test's content (codesynth.test_split)
            res = judge(self.by_pid[c.problem_id], res) if c.problem_id in self.by_pid else res
            self._writers[RESULTS].write(res)  # the commit point
            st.results[cid] = res
        if st.candidates.get(cid) != c:  # new, or made anew after `forget` (the last line wins)
            self._writers[CANDIDATES].write(c)
            st.candidates[cid] = c
        if cid not in st.rewards:
            rew = make_reward(res, c, self.scheme)
            self._writers[REWARDS].write(rew)
            st.rewards[cid] = rew
        if res.status is Status.passed and cid not in st.dataset:
            rec = make_dataset_record(self.by_pid[c.problem_id], c, res)
            self._writers[DATASET].write(rec)
            st.dataset[cid] = rec

    def close(self) -> None:
        with self._lock:
            self._closed = True  # a verdict landing after this is not committed: a resume runs it again
            for w in self._writers.values():
                w.close()

    def __enter__(self) -> RunRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
