"""What every part of the supervisor shares: the uids, the scratch directory, the candidate
and tester it holds between requests (one Ctx per supervisor process)."""

from __future__ import annotations

import os

import explain
import spawn
import testers
import zygote

SCRATCH_WORK = "work"


HARNESS_DIR = os.path.dirname(os.path.abspath(__file__))


class Ctx:
    def __init__(self, args):
        self.privileged = args.supervisor_uid is not None
        self.supervisor_uid = args.supervisor_uid
        self.tester_uid = args.tester_uid
        self.cand_uid = args.candidate_uid
        self.compiler_uid = args.compiler_uid  # other languages' compile step (langrun.py)
        self.scratch = args.scratch
        self.work = os.path.join(self.scratch, SCRATCH_WORK)
        self.devnull = os.open(os.devnull, os.O_RDWR)
        self.protected = set()
        self.tests_buf = bytearray()
        self.served = 0
        self.tester: testers.TesterServer | None = None
        self.spare: spawn.Spare | None = None
        self.deferred_reap: list[int] = []
        self.zygote: zygote.Zygote | None = None
        # A killed zygote-forked candidate: protected from straggler scans until the zygote,
        # which reaps it before forking the next one, has answered.
        self.zombie = 0
        self.pending_anomaly = False
        self.oom_count = explain.oom_kills()  # refreshed after any kill; read only on the death path


def child_env(ctx: Ctx) -> None:
    os.environ.clear()
    os.environ.update(
        PATH="/usr/local/bin:/usr/bin:/bin", HOME=ctx.work, TMPDIR=ctx.work, LANG="C.UTF-8",
        PYTHONIOENCODING="utf-8", PYTHONDONTWRITEBYTECODE="1",
    )
