"""The runner image: its tag, its freshness, and building it without a registry.

The image is `Dockerfile.runner` + the harness folder. Its label
`codesynth.harness_hash` records which harness it carries, so a changed harness makes
the image "stale" and it gets rebuilt. With no registry reachable the base image is
made locally from Debian packages (debootstrap + `docker import`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import codesynth
from codesynth.errors import SandboxUnavailable
from codesynth.sandbox.docker.engine import Log, apt_install, client, stderr_log

IMAGE_REPO = "codesynth-runner"
HASH_LABEL = "codesynth.harness_hash"

# trixie: its Python 3.13 has immortal objects, so forked candidates copy far fewer pages
# (refcount writes) than with 3.11: about 15 % more programs/s in bench/.
BOOTSTRAP_SUITE = "trixie"
# What every image's Python has beyond the standard library: pytest, because pytest test files
# are a test kind (the tester runs them with the real pytest; docs/topics/test-kinds.md).
# Part of the base's tag and of the runner's hash, so a changed set is a new image.
BOOTSTRAP_PACKAGES = ("python3", "python3-pytest")
BOOTSTRAP_BASE = f"codesynth-base:{BOOTSTRAP_SUITE}-" + hashlib.sha256(" ".join(BOOTSTRAP_PACKAGES).encode()).hexdigest()[:8]
LONG_TIMEOUT_S = 900  # builds and imports stream for a while

_SANDBOX_DIR = Path(__file__).resolve().parent.parent  # sandbox/: the harness and Dockerfile.runner


def image_tag() -> str:
    # The harness hash is part of the tag, so checkouts with different harnesses (branches,
    # upgrades) each keep their own image instead of rebuilding one tag back and forth.
    return f"{IMAGE_REPO}:{codesynth.__version__}-{harness_hash()}"


def harness_dir() -> Path:
    return _SANDBOX_DIR / "harness"


def dockerfile_path() -> Path:
    """Dockerfile.runner: package data when installed, the repo root in a checkout."""
    for p in (_SANDBOX_DIR / "Dockerfile.runner", _SANDBOX_DIR.parent / "Dockerfile.runner"):
        if p.is_file():
            return p
    raise SandboxUnavailable(
        f"Dockerfile.runner is missing next to {_SANDBOX_DIR}; reinstall codesynth (`pip install .`)"
    )


def _harness_files(root: Path) -> list[Path]:
    return sorted(
        (p for p in root.rglob("*.py") if "__pycache__" not in p.parts),
        key=lambda p: p.relative_to(root).as_posix(),
    )


def harness_hash(harness: Path | None = None, dockerfile: Path | None = None) -> str:
    """sha256 over the harness *.py files (sorted names + contents) and Dockerfile.runner."""
    harness = harness or harness_dir()
    dockerfile = dockerfile or dockerfile_path()
    h = hashlib.sha256()
    for p in _harness_files(harness):
        h.update(p.relative_to(harness).as_posix().encode() + b"\0")
        h.update(p.read_bytes() + b"\0")
    h.update(b"Dockerfile.runner\0" + dockerfile.read_bytes())
    h.update(b"\0base\0" + " ".join(BOOTSTRAP_PACKAGES).encode())
    return h.hexdigest()[:16]


def image_status() -> Literal["ok", "missing", "stale"]:
    import docker.errors

    try:
        img = client().images.get(image_tag())
    except docker.errors.ImageNotFound:
        return "missing"
    labels = img.labels or {}
    return "ok" if labels.get(HASH_LABEL) == harness_hash() else "stale"


def ensure_image(build: bool = True, log: Log = stderr_log) -> str:
    """The runner image tag, building the image first when it is missing or stale."""
    status = image_status()
    if status == "ok":
        return image_tag()
    if not build:
        raise SandboxUnavailable(f"runner image {image_tag()} is {status}; run `codesynth sandbox build`")
    log(f"runner image {image_tag()} is {status}; building it")
    return build_image(log=log)


def build_image(base: str | None = None, force: bool = False, log: Log = stderr_log,
                tag: str | None = None, labels: dict[str, str] | None = None) -> str:
    """Build the runner image (skipped when it is current, unless `force`); returns its tag.

    `tag`/`labels`: a toolchain image (sandbox/docker/lang_image.py) is this same build on another base.
    """
    if tag is None:
        tag = image_tag()
        if not force and image_status() == "ok":
            log(f"runner image {tag} is up to date")
            return tag
    started = time.monotonic()
    base = base or _pick_base(log)
    c = _long_client()
    old_id = _image_id(tag)
    with tempfile.TemporaryDirectory(prefix="codesynth-build-") as ctx, _closing(c):
        _fill_context(Path(ctx))
        # Hash the copy we send, so the label matches the image even if files change meanwhile.
        h = harness_hash(Path(ctx) / "harness", Path(ctx) / "Dockerfile.runner")
        log(f"building {tag} from {base} (harness {h})")
        stream = c.api.build(
            path=ctx,
            dockerfile="Dockerfile.runner",
            tag=tag,
            buildargs={"BASE": base, "HARNESS_HASH": h, "CODESYNTH_VERSION": codesynth.__version__},
            labels={"codesynth.base": base, **(labels or {})},
            rm=True,
            forcerm=True,
            pull=False,
            nocache=force,
            network_mode="none",  # nothing in the build needs the network
            decode=True,
        )
        _follow_build(stream, log)
    new_id = _image_id(tag)
    if new_id is None:
        raise SandboxUnavailable(f"the build of {tag} finished but the image is not there")
    if old_id and old_id != new_id:
        _remove_quietly(old_id)
    log(f"built {tag} in {time.monotonic() - started:.0f} s ({_size_mb(new_id)} MB)")
    return tag


def _fill_context(ctx: Path) -> None:
    shutil.copyfile(dockerfile_path(), ctx / "Dockerfile.runner")
    src = harness_dir()
    for p in _harness_files(src):
        dest = ctx / "harness" / p.relative_to(src)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, dest)
    (ctx / "harness").mkdir(exist_ok=True)


def _follow_build(stream, log: Log) -> None:
    tail: list[str] = []
    for chunk in stream:
        if "error" in chunk:
            detail = (chunk.get("errorDetail") or {}).get("message") or chunk["error"]
            context = " | ".join(tail[-3:])
            raise SandboxUnavailable(f"building the runner image failed: {detail.strip()} ({context})")
        line = (chunk.get("stream") or "").strip()
        if line:
            tail.append(line)
            if line.startswith("Step "):
                log(f"  {line}")


# ---- base image ---------------------------------------------------------------------------


def _pick_base(log: Log) -> str:
    # Always a base made here from Debian packages: the engine is never asked to pull from a
    # registry (no traffic leaves this machine, and the image is the same wherever it is built).
    if _image_id(BOOTSTRAP_BASE):
        log(f"using the local base {BOOTSTRAP_BASE}")
        return BOOTSTRAP_BASE
    return bootstrap_base(log)


def bootstrap_base(log: Log = stderr_log, image: str = BOOTSTRAP_BASE,
                   extra: Callable[[Path, str], None] | None = None) -> str:
    """Make `codesynth-base:<suite>` from Debian packages: debootstrap, trim, `docker import`.

    `extra(rootfs, mirror)` adds to the tree before it is trimmed (the toolchain images).
    """
    mirror = debian_mirror()
    if shutil.which("debootstrap") is None:
        if os.geteuid() != 0:
            raise SandboxUnavailable("debootstrap is missing; run `sudo apt-get install debootstrap`")
        log("installing debootstrap")
        apt_install(["debootstrap"], log=log)
    if os.geteuid() != 0:
        raise SandboxUnavailable(
            "building the offline base image needs root (debootstrap); rerun `codesynth sandbox build` as root"
        )
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="codesynth-debootstrap-"))
    try:
        root = tmp / "rootfs"
        log(f"debootstrap {BOOTSTRAP_SUITE} from {mirror} (takes about a minute)")
        proc = subprocess.run(
            ["debootstrap", "--variant=minbase", "--include=" + ",".join(BOOTSTRAP_PACKAGES), BOOTSTRAP_SUITE, str(root), mirror],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            tail = " | ".join((proc.stdout + proc.stderr).strip().splitlines()[-3:])
            raise SandboxUnavailable(f"debootstrap failed (exit {proc.returncode}): {tail}")
        if extra is not None:
            extra(root, mirror)
        _trim_rootfs(root)
        tarball = tmp / "rootfs.tar"
        subprocess.run(
            ["tar", "-C", str(root), "--numeric-owner", "--exclude=./dev/*", "--exclude=./proc/*",
             "--exclude=./sys/*", "-cf", str(tarball), "."],
            check=True,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        repo, _, tag = image.partition(":")
        with _closing(_long_client()) as c:
            c.api.import_image_from_file(
                str(tarball),
                repository=repo,
                tag=tag,
                changes=[
                    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "ENV LANG=C.UTF-8",
                    'CMD ["python3"]',
                ],
            )
    finally:
        _unmount_under(tmp)
        shutil.rmtree(tmp, ignore_errors=True)
    if _image_id(image) is None:
        raise SandboxUnavailable(f"docker import did not produce {image}")
    log(f"made {image} in {time.monotonic() - started:.0f} s ({_size_mb(image)} MB)")
    return image


def _trim_rootfs(root: Path) -> None:
    """Drop what a sandbox never reads (apt lists, caches, docs, man pages); keep python3 whole."""
    for rel in (
        "var/lib/apt/lists",
        "var/cache/apt",
        "var/cache/debconf",
        "usr/share/doc",
        "usr/share/man",
        "usr/share/info",
        "usr/share/lintian",
        "usr/share/common-licenses",
        "var/log",
    ):
        d = root / rel
        if d.is_dir():
            for child in d.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
    locale = root / "usr/share/locale"
    if locale.is_dir():
        for child in locale.iterdir():
            if child.name != "locale.alias":
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)


def _unmount_under(path: Path) -> None:
    """debootstrap mounts /proc etc. in the target; a failed run can leave them behind."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return
    prefix = str(path) + "/"
    points = [m.split()[1] for m in mounts if len(m.split()) > 1 and m.split()[1].startswith(prefix)]
    for mp in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "-l", mp], stdin=subprocess.DEVNULL, capture_output=True)


# ---- apt sources ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AptSource:
    uri: str
    suites: tuple[str, ...]
    origin: str  # file it came from


def host_codename() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("VERSION_CODENAME="):
                return line.split("=", 1)[1].strip().strip('"') or BOOTSTRAP_SUITE
    except OSError:
        pass
    return BOOTSTRAP_SUITE


def apt_sources(etc: Path = Path("/etc/apt")) -> list[AptSource]:
    """The host's `deb` entries, from one-line *.list files and deb822 *.sources files."""
    files = [etc / "sources.list"]
    d = etc / "sources.list.d"
    if d.is_dir():
        files += sorted(p for p in d.iterdir() if p.suffix in (".list", ".sources"))
    out: list[AptSource] = []
    for f in files:
        try:
            text = f.read_text(errors="replace")
        except OSError:
            continue
        out += _parse_deb822(text, str(f)) if f.suffix == ".sources" else _parse_one_line(text, str(f))
    return out


def _parse_one_line(text: str, origin: str) -> list[AptSource]:
    out = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        line = re.sub(r"\[[^\]]*\]", " ", line)  # drop [arch=... signed-by=...] options
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "deb":
            out.append(AptSource(parts[1], (parts[2],), origin))
    return out


def _parse_deb822(text: str, origin: str) -> list[AptSource]:
    out = []
    for para in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = None
        for raw in para.splitlines():
            if raw.startswith("#") or not raw.strip():
                continue
            if raw[0] in " \t" and key:  # continuation line
                fields[key] += " " + raw.strip()
                continue
            if ":" in raw:
                key, _, value = raw.partition(":")
                key = key.strip().lower()
                fields[key] = value.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").lower() == "no":
            continue
        suites = tuple(fields.get("suites", "").split())
        out += [AptSource(uri, suites, origin) for uri in fields.get("uris", "").split()]
    return out


def debian_mirror(sources: list[AptSource] | None = None, codename: str | None = None) -> str:
    """The Debian archive URL the host already uses: the entry whose suite is the host's codename."""
    sources = apt_sources() if sources is None else sources
    for suite in dict.fromkeys((codename or host_codename(), BOOTSTRAP_SUITE)):
        for s in sources:
            if suite in s.suites:
                return s.uri
    raise SandboxUnavailable(
        f"no Debian `{BOOTSTRAP_SUITE}` apt source found in /etc/apt; pass a Python 3 base image "
        "already on this engine instead: `codesynth sandbox build --base IMAGE`"
    )


# ---- small helpers ------------------------------------------------------------------------


def _long_client():
    import docker

    return docker.from_env(timeout=LONG_TIMEOUT_S)


@contextlib.contextmanager
def _closing(c):
    try:
        yield c
    finally:
        c.close()


def _image_id(ref: str) -> str | None:
    import docker.errors

    try:
        return client().images.get(ref).id
    except docker.errors.ImageNotFound:
        return None


def _size_mb(image_id: str) -> int:
    try:
        return round(client().images.get(image_id).attrs.get("Size", 0) / 1e6)
    except Exception:
        return 0


def _remove_quietly(image_id: str) -> None:
    try:
        client().images.remove(image_id)
    except Exception:
        pass  # still used by a container, or already gone: harmless
