"""The one lock-down spec of a sandbox container, for the pool and for `sandbox doctor`.

The container starts as uid 0 only so that its first process can hold CAP_SETUID/SETGID/KILL
(Docker gives a non-root container user no capabilities at all); the supervisor drops to
uid 61000 at once, and the kernel strips every capability from each child the moment it
takes its own uid. Doctor runs its probe under exactly this spec, so it checks the
configuration production uses, not a stricter one production never runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from codesynth.models import Limits

SUPERVISOR_UID = 61000
CAPABILITIES = ("SETUID", "SETGID", "KILL")
MEMORY_OVERHEAD_MB = 192  # supervisor + tester, on top of the program's own limit
PIDS_OVERHEAD = 24
LANG_CACHE_MB = 256  # compile cache of a toolchain container (binaries, Go's build cache)
LANG_PIDS = 64  # compilers and runtimes (javac, go build, the JVM) run many threads


@dataclass(frozen=True)
class Hardening:
    limits: Limits
    cpu: int | None = None  # pin to one core
    # The compile cache (languages other than Python): a tmpfs owned by the compiler uid, so
    # candidates can execute what is in it but never write there.
    compiler_uid: int | None = None
    compiled: bool = False  # the pool runs compilers: room for them and for the cache

    @property
    def cache_mb(self) -> int:
        return LANG_CACHE_MB if self.compiled else 32

    @property
    def memory_mb(self) -> int:
        if self.compiled:  # the cache's pages count against the container's memory too
            lim = self.limits
            return max(lim.memory_mb, lim.compile_memory_mb) + MEMORY_OVERHEAD_MB + self.cache_mb
        return self.limits.memory_mb + MEMORY_OVERHEAD_MB

    @property
    def pids(self) -> int:
        return self.limits.pids + PIDS_OVERHEAD + (LANG_PIDS if self.compiled else 0)

    @property
    def cache(self) -> str:
        u = self.compiler_uid
        return f"rw,nosuid,nodev,exec,size={self.cache_mb}m,uid={u},gid={u},mode=0755"

    @property
    def scratch(self) -> str:
        return f"rw,nosuid,nodev,noexec,size={self.limits.scratch_mb}m,mode=1777"

    def docker_run_args(self) -> list[str]:
        """`docker run` options (the pool starts containers with the CLI: one process, no SDK pool)."""
        return [
            "--init", "--network", "none", "--read-only",
            "--tmpfs", f"/scratch:{self.scratch}",
            *(["--tmpfs", f"/cache:{self.cache}"] if self.compiler_uid is not None else []),
            "--shm-size", "1m",
            "--pids-limit", str(self.pids),
            "--memory", f"{self.memory_mb}m", "--memory-swap", f"{self.memory_mb}m",
            "--cpus", f"{self.limits.cpus:g}",
            *(["--cpuset-cpus", str(self.cpu)] if self.cpu is not None else []),
            "--cap-drop", "ALL", *(a for c in CAPABILITIES for a in ("--cap-add", c)),
            "--security-opt", "no-new-privileges",
            "--user", "0:0",
        ]  # fmt: skip

    def sdk_kwargs(self) -> dict:
        """The same options for docker-py's `containers.run`."""
        return dict(
            init=True,
            network_mode="none",
            read_only=True,
            tmpfs={"/scratch": self.scratch, **({"/cache": self.cache} if self.compiler_uid is not None else {})},
            shm_size="1m",
            pids_limit=self.pids,
            mem_limit=f"{self.memory_mb}m",
            memswap_limit=f"{self.memory_mb}m",
            nano_cpus=int(self.limits.cpus * 1e9),
            cpuset_cpus=str(self.cpu) if self.cpu is not None else None,
            cap_drop=["ALL"],
            cap_add=list(CAPABILITIES),
            security_opt=["no-new-privileges"],
            user="0:0",
        )
