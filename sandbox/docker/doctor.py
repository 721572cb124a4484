"""`codesynth sandbox doctor`: is everything the sandbox needs in place, and if not, how to fix it."""

from __future__ import annotations

import json
from collections.abc import Callable

from pydantic import BaseModel

from codesynth.errors import SandboxUnavailable
from codesynth.models import Limits
from codesynth.sandbox.docker.containers import labels
from codesynth.sandbox.docker.hardening import Hardening

SETUP_FIX = "codesynth sandbox setup"
BUILD_FIX = "codesynth sandbox build"
CLEAN_FIX = "codesynth sandbox clean"


class Check(BaseModel):
    name: str
    ok: bool
    detail: str
    fix: str = ""  # the exact command (or step) that fixes a failed check


def hardened_run_kwargs(scratch_mb: int = 16) -> dict:
    """docker-py `containers.run` options of the probe container: the pool's own spec
    (`codesynth.sandbox.docker.hardening`), so doctor checks what production runs."""
    return Hardening(Limits(scratch_mb=scratch_mb, memory_mb=64)).sdk_kwargs()


# The probe starts where the pool's supervisor starts (uid 0 holding only SETUID, SETGID and
# KILL) and does what it does: drops to uid 61000 keeping nothing, then checks it is locked down.
PROBE = """
import json, os
os.setgroups([]); os.setgid(61000); os.setuid(61000)
st = dict(l.split(':\t', 1) for l in open('/proc/self/status').read().splitlines() if ':\t' in l)
ifs = [l.split(':')[0].strip() for l in open('/proc/net/dev').read().splitlines()[2:]]
try:
    open('/etc/probe', 'w'); ro = False
except OSError:
    ro = True
print(json.dumps({'uid': os.getuid(), 'caps': int(st['CapEff'], 16), 'nnp': st['NoNewPrivs'].strip(),
                  'ifs': ifs, 'read_only': ro}))
"""


def doctor() -> list[Check]:
    checks: list[Check] = []
    sdk = _check_sdk()
    checks.append(sdk)
    engine = _guard("docker engine", _check_engine, SETUP_FIX) if sdk.ok else _not_tried("docker engine", sdk)
    checks.append(engine)
    if not engine.ok:
        for name in ("runner image", "hardened container", "leftover containers"):
            checks.append(_not_tried(name, engine))
        return checks
    image = _guard("runner image", _check_image, BUILD_FIX)
    checks.append(image)
    checks.append(
        _guard("hardened container", _check_container, SETUP_FIX)
        if image.ok
        else _not_tried("hardened container", image)
    )
    checks.append(_guard("leftover containers", _check_leftovers, CLEAN_FIX))
    return checks


def _check_sdk() -> Check:
    try:
        import docker
    except ImportError as e:
        return Check(
            name="docker SDK",
            ok=False,
            detail=f"the docker Python package cannot be imported ({e})",
            fix="pip install 'docker>=6.1'",
        )
    return Check(name="docker SDK", ok=True, detail=f"docker-py {docker.__version__}")


def _check_engine() -> Check:
    from codesynth.sandbox.docker.engine import client

    info = client().info()
    detail = (
        f"Docker {info.get('ServerVersion', '?')}, cgroup v{info.get('CgroupVersion', '?')} "
        f"({info.get('CgroupDriver', '?')}), storage {info.get('Driver', '?')}"
    )
    return Check(name="docker engine", ok=True, detail=detail)


def _check_image() -> Check:
    from codesynth.sandbox.docker.image import harness_hash, image_status, image_tag

    status = image_status()
    tag = image_tag()
    if status == "ok":
        return Check(name="runner image", ok=True, detail=f"{tag} (harness {harness_hash()})")
    why = "does not exist" if status == "missing" else "was built from an older harness"
    return Check(name="runner image", ok=False, detail=f"{tag} {why}", fix=BUILD_FIX)


def _check_container() -> Check:
    import docker.errors

    from codesynth.sandbox.docker.engine import client
    from codesynth.sandbox.docker.image import image_tag

    try:
        out = client().containers.run(
            image_tag(),
            ["python3", "-c", PROBE],
            labels=labels("doctor"),
            remove=True,
            stdout=True,
            stderr=True,
            **hardened_run_kwargs(),
        )
    except docker.errors.ContainerError as e:
        return Check(
            name="hardened container",
            ok=False,
            detail=f"the probe exited {e.exit_status}: {_gist(e.stderr)}",
            fix=f"{BUILD_FIX} --force",
        )
    except docker.errors.APIError as e:
        return Check(
            name="hardened container",
            ok=False,
            detail=f"the engine refused the locked-down options: {_gist(e.explanation or str(e))}",
            fix="check `docker info` warnings (cgroup memory/pids support); then " + SETUP_FIX,
        )
    text = out.decode("utf-8", "replace").strip() if isinstance(out, bytes) else str(out).strip()
    try:
        got = json.loads(text.splitlines()[-1])
    except (ValueError, IndexError):
        return Check(name="hardened container", ok=False, detail=f"the probe printed {text[:80]!r}",
                     fix=f"{BUILD_FIX} --force")
    want = {"uid": 61000, "caps": 0, "nnp": "1", "ifs": ["lo"], "read_only": True}
    wrong = {k: got.get(k) for k, v in want.items() if got.get(k) != v}
    if wrong:
        return Check(name="hardened container", ok=False, detail=f"the container is not locked down: {wrong}",
                     fix="check `docker info` warnings (seccomp, cgroups); then " + SETUP_FIX)
    return Check(
        name="hardened container",
        ok=True,
        detail="the pool's spec: no network, read-only root, uid 61000 with no capabilities, no-new-privileges, "
        "pids/memory caps",
    )


def _check_leftovers() -> Check:
    from codesynth.sandbox.docker.containers import is_leftover, list_containers

    ctrs = list_containers()
    leftovers = sum(1 for c in ctrs if is_leftover(c))
    busy = len(ctrs) - leftovers
    busy_txt = f"; {busy} in use by live runs" if busy else ""
    if leftovers:
        return Check(
            name="leftover containers",
            ok=False,
            detail=f"{leftovers} stopped or orphaned codesynth container(s){busy_txt}",
            fix=CLEAN_FIX,
        )
    return Check(name="leftover containers", ok=True, detail=f"none{busy_txt}")


def _guard(name: str, fn: Callable[[], Check], fix: str) -> Check:
    """A check that blows up is a failed check, not a traceback."""
    try:
        return fn()
    except SandboxUnavailable as e:
        return Check(name=name, ok=False, detail=str(e), fix=fix)
    except Exception as e:
        return Check(name=name, ok=False, detail=f"{type(e).__name__}: {_gist(str(e))}", fix=fix)


def _not_tried(name: str, blocker: Check) -> Check:
    return Check(name=name, ok=False, detail=f"not checked: {blocker.name} failed", fix=blocker.fix)


def _gist(text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    lines = (text or "").strip().splitlines()
    return lines[-1][:200] if lines else ""
