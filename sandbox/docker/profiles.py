"""Runner image profiles: a runner image plus a pinned set of Python packages.

`minimal` (the default) is the runner image as `codesynth sandbox build` makes it: the standard
library only. `scientific` adds SCIENTIFIC below (numpy, pandas, scipy, sympy, networkx,
scikit-learn, requests, pytest and what they need, every version pinned). `--packages FILE` adds
a requirements file of your own (`name==version` lines).

How a profile image is made, so that nothing at run time reaches a package index:
  1. pip on this host (its configured index) fetches wheels for the image's Python and this
     machine's architecture, never a build from source, into a folder (`pip install --target`);
  2. a docker build with no network, FROM the runner image it extends (the Python image or a
     toolchain image), copies that folder into the image's dist-packages and byte-compiles it
     (the root fs is read-only at run time);
  3. the image is tagged `codesynth-runner-<profile>:<the base's tag>-p<hash of the set>` and
     labelled with the profile's name and the exact distributions installed.
A pool asks for it by name (`DockerBackend(profile=...)`); a changed set or a rebuilt base is a
new tag, so an image is built once per set and base, on demand, and reused after.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from codesynth.errors import InputError, SandboxUnavailable
from codesynth.sandbox.docker import image
from codesynth.sandbox.docker.engine import Log, client, stderr_log
from codesynth.sandbox.docker.image_modules import PYTHON

PROFILE_LABEL = "codesynth.profile"
PACKAGES_LABEL = "codesynth.packages"  # the distributions installed, "name==version" space-separated
KEY_LABEL = "codesynth.profile_key"  # Profile.key: the set asked for
DEFAULT = "minimal"
SITE = f"/usr/local/lib/python{PYTHON}/dist-packages"  # on the image's sys.path (Debian's python3)

#: The scientific profile: the libraries programs in today's code data import (BigCodeBench,
#: KodCode, SandboxFusion's own image), with everything they pull in pinned too, so the set is
#: the same wherever and whenever it is built. Wheels exist for CPython 3.13 on x86_64 and aarch64.
SCIENTIFIC: tuple[str, ...] = (
    "numpy==2.2.6", "pandas==2.2.3", "scipy==1.15.3", "sympy==1.13.3", "mpmath==1.3.0", "networkx==3.4.2",
    "scikit-learn==1.6.1", "joblib==1.6.0", "threadpoolctl==3.8.0", "requests==2.32.3", "certifi==2026.10.19.post1",
    "charset-normalizer==3.5.3", "idna==3.21", "urllib3==2.8.0", "pytest==8.3.5", "pluggy==1.7.0",
    "iniconfig==2.3.1", "packaging==26.4", "sortedcontainers==2.4.0", "python-dateutil==2.9.0.post0",
    "six==1.17.0", "pytz==2026.6", "tzdata==2026.6",
)
BUILTIN: dict[str, tuple[str, ...]] = {"scientific": SCIENTIFIC}

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([A-Za-z0-9][A-Za-z0-9.+!_-]*)$")

# Several threads per BLAS call fail under the candidates' process limit and gain nothing on one
# pinned core: one thread each, as a judge wants.
_DOCKERFILE = f"""\
ARG BASE
FROM ${{BASE}}
USER 0:0
ENV OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
COPY site/ {SITE}/
RUN python3 -m compileall -q -j 0 --invalidation-mode unchecked-hash {SITE} >/dev/null \\
 && chmod -R a+rX,go-w {SITE}
USER 61000:61000
"""


@dataclass(frozen=True)
class Profile:
    name: str  # "scientific", or "packages" for a file of one's own
    packages: tuple[str, ...]  # "name==version", sorted, normalised names
    source: str = ""  # the file it came from

    @property
    def key(self) -> str:
        return hashlib.sha256(json.dumps([PYTHON, list(self.packages)]).encode()).hexdigest()[:10]

    def describe(self) -> str:
        return f"{self.name} ({len(self.packages)} packages{', ' + self.source if self.source else ''})"


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_requirements(text: str, origin: str) -> tuple[str, ...]:
    """`name==version` lines (comments, blank lines allowed); anything else names its file:line."""
    out: dict[str, str] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = _PIN.match(line.replace(" ", ""))
        if not m:
            raise InputError(f"{origin}:{n}: {line!r} is not a pinned requirement `name==version` "
                             "(a profile must build the same image every time)")
        name = _normalise(m.group(1))
        if name in out:
            raise InputError(f"{origin}:{n}: {m.group(1)} is listed twice")
        out[name] = f"{name}{m.group(2) or ''}=={m.group(3)}"
    if not out:
        raise InputError(f"{origin}: no packages listed")
    return tuple(sorted(out.values()))


def resolve(spec: str | None) -> Profile | None:
    """`minimal`/None -> None (the plain runner image); a built-in name; or a requirements file."""
    if spec is None or spec == DEFAULT:
        return None
    if spec in BUILTIN:
        return Profile(spec, tuple(sorted(BUILTIN[spec])))
    p = Path(spec)
    if not p.is_file():
        raise InputError(f"profile {spec!r}: not one of {', '.join([DEFAULT, *BUILTIN])} and not a file")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{spec}: cannot read the package list: {e}") from None
    return Profile("packages", parse_requirements(text, spec), source=str(p))


def modules_of(profile: Profile | None) -> frozenset[str]:
    """Top-level modules the profile's distributions provide, as far as this host knows them (the
    local backend's import check asks only about modules the host has, so that is enough)."""
    if profile is None:
        return frozenset()
    import importlib.metadata

    names = {p.split("==")[0].split("[")[0] for p in profile.packages}
    return frozenset(mod for mod, dists in importlib.metadata.packages_distributions().items()
                     if any(_normalise(d) in names for d in dists))


def profile_tag(base_tag: str, profile: Profile) -> str:
    tag = base_tag.rpartition(":")[2]
    return f"{image.IMAGE_REPO}-{profile.name}:{tag}-p{profile.key}"


def profile_of(tag: str) -> str:
    """What an image says of itself: its profile and packages, for `verify`/`serve` to report."""
    try:
        labels = client().images.get(tag).labels or {}
    except Exception:  # noqa: BLE001 - an image we cannot inspect: say so rather than guess
        return "unknown"
    name = labels.get(PROFILE_LABEL)
    if not name:
        return DEFAULT
    return f"{name} ({len(labels.get(PACKAGES_LABEL, '').split())} packages)"


def ensure_profile_image(base_tag: str, profile: Profile, log: Log = stderr_log, force: bool = False) -> str:
    """The image of `profile` on `base_tag`, built first when missing (a few minutes: the wheels
    are fetched once, then the build is offline)."""
    tag = profile_tag(base_tag, profile)
    if not force and image._image_id(tag) is not None:
        return tag
    try:
        if (client().images.get(base_tag).labels or {}).get(KEY_LABEL) == profile.key:
            return base_tag  # given the profile image itself
    except Exception:  # noqa: BLE001 - a base we cannot inspect: the build below says why
        pass
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="codesynth-profile-") as ctx:
        installed = _fetch_wheels(profile, Path(ctx) / "site", log)
        (Path(ctx) / "Dockerfile.profile").write_text(_DOCKERFILE)
        log(f"building {tag} on {base_tag}: {len(installed)} packages")
        c = image._long_client()
        with image._closing(c):
            stream = c.api.build(
                path=ctx, dockerfile="Dockerfile.profile", tag=tag, buildargs={"BASE": base_tag},
                labels={PROFILE_LABEL: profile.name, PACKAGES_LABEL: " ".join(installed), KEY_LABEL: profile.key,
                        "codesynth.profile_base": base_tag},
                rm=True, forcerm=True, pull=False, nocache=force, network_mode="none", decode=True,
            )
            image._follow_build(stream, log)
    if image._image_id(tag) is None:
        raise SandboxUnavailable(f"the build of {tag} finished but the image is not there")
    log(f"built {tag} in {time.monotonic() - started:.0f} s ({image._size_mb(tag)} MB)")
    return tag


def _platforms() -> list[str]:
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(platform.machine().lower(), platform.machine().lower())
    return [f"manylinux_2_{v}_{arch}" for v in (39, 34, 31, 28, 27, 24, 17)] + [f"manylinux2014_{arch}"]


def _fetch_wheels(profile: Profile, target: Path, log: Log) -> list[str]:
    """pip on the host puts the wheels for the image's Python into `target`; returns what it installed."""
    target.mkdir(parents=True)
    reqs = target.parent / "requirements.txt"
    reqs.write_text("\n".join(profile.packages) + "\n")
    abi = "cp" + PYTHON.replace(".", "")
    argv = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
            "--target", str(target), "--only-binary=:all:", "--python-version", PYTHON, "--implementation", "cp",
            "--abi", abi, *[a for p in _platforms() for a in ("--platform", p)], "-r", str(reqs)]
    log(f"fetching {len(profile.packages)} pinned packages for Python {PYTHON} (pip, its configured index)")
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        tail = " | ".join(line for line in proc.stderr.strip().splitlines()[-3:] if not line.startswith("WARNING"))
        raise SandboxUnavailable(f"profile {profile.describe()}: pip could not fetch the wheels: {tail}")
    shutil.rmtree(target / "bin", ignore_errors=True)  # console scripts: nothing runs them by path
    installed = []
    for d in sorted(target.glob("*.dist-info")):
        name, _, version = d.name.removesuffix(".dist-info").rpartition("-")
        installed.append(f"{_normalise(name)}=={version}")
    return installed
