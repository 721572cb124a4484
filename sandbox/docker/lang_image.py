"""Toolchain images: the runner image on a base that also carries compilers and runtimes.

The Python runner image stays as it is (small, fast to build). Every other language needs a
toolchain image: Debian packages (gcc, g++, default-jdk-headless, nodejs, node-typescript,
golang-go, rustc) installed into a debootstrapped tree from the host's apt mirror, imported
as `codesynth-toolchains:<suite>-<hash of the package list>`, then the usual runner build
on top of it. The runner tag carries both the harness hash and the hash of the language set,
`codesynth-runner:<version>-<harness>-l<hash>`, and the image says which languages it has in
its label `codesynth.languages`, so a pool asking for `rust` finds any current image that
has rust.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import codesynth
from codesynth.errors import SandboxUnavailable
from codesynth.sandbox.docker import image
from codesynth.sandbox.docker.engine import Log, client, stderr_log
from codesynth.sandbox.languages.specs import base_languages, image_languages, packages_for, spec

LANG_LABEL = "codesynth.languages"
TOOLCHAIN_LABEL = "codesynth.toolchain"  # the toolchain base it was built on: a new recipe is a new image
TOOLCHAIN_REPO = "codesynth-toolchains"
# Bump when the toolchain tree is made differently by this module; the languages' own recipe
# steps (files, commands) are hashed into the tag already.
# 2: C++ precompiled headers; 3: javac's class archive; 4: recipes from the language registry
TOOLCHAIN_RECIPE = "4"

def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def _recipe(languages: tuple[str, ...]) -> list:
    """Every language's image steps beyond its packages, in a stable order (hashed into the tag)."""
    out = []
    for lang in sorted(languages):
        s = spec(lang)
        if s.image_files or s.image_commands or s.image_scratch:
            out.append([lang, sorted(s.image_files.items()), [list(c) for c in s.image_commands],
                        list(s.image_scratch)])
    return out


def toolchain_tag(languages: tuple[str, ...]) -> str:
    pk = packages_for(languages)
    steps = json.dumps(_recipe(languages), sort_keys=True)
    return f"{TOOLCHAIN_REPO}:{image.BOOTSTRAP_SUITE}-{_key(TOOLCHAIN_RECIPE + ' '.join(image.BOOTSTRAP_PACKAGES) + ' '.join(pk) + steps)}"


def lang_image_tag(languages: tuple[str, ...]) -> str:
    langs = ",".join(sorted(languages))
    return f"{image.IMAGE_REPO}:{codesynth.__version__}-{image.harness_hash()}-l{_key(langs + toolchain_tag(languages))}"


def find_image(needed: set[str]) -> str | None:
    """A current runner image (this harness) whose toolchains cover `needed`; the smallest wins."""
    if needed <= set(base_languages()):
        return image.image_tag() if image.image_status() == "ok" else None
    h = image.harness_hash()
    best = None
    for img in client().images.list(name=image.IMAGE_REPO, filters={"label": LANG_LABEL}):
        labels = img.labels or {}
        have = set(labels.get(LANG_LABEL, "").split(","))
        if labels.get(image.HASH_LABEL) != h or not needed - set(base_languages()) <= have or not img.tags:
            continue
        if labels.get(TOOLCHAIN_LABEL) != toolchain_tag(tuple(sorted(have))):
            continue
        if best is None or len(have) < best[0]:
            best = (len(have), img.tags[0])
    return best[1] if best else None


def image_languages_of(tag: str) -> set[str]:
    """The languages an image can run: its label, or Python alone for the plain runner image."""
    try:
        labels = client().images.get(tag).labels or {}
    except Exception:  # noqa: BLE001 - an image given by name that we cannot inspect: assume Python
        return set(base_languages())
    return set(labels.get(LANG_LABEL, "python").split(",")) | set(base_languages())


def missing_message(needed: set[str]) -> str:
    langs = ",".join(sorted(needed - set(base_languages())))
    return (f"no runner image has the toolchains for {langs}; build one with "
            f"`codesynth sandbox build --languages {langs}` (or `--languages all`)")


def ensure_image(needed: set[str], build: bool = True, log: Log = stderr_log) -> str:
    """The runner image for a pool that runs `needed` languages.

    The Python image is built when missing (if `build`, about a minute). A toolchain image is
    not built behind the user's back (minutes, about 600 MB of packages): one clear error says
    which `codesynth sandbox build --languages ...` makes it, unless `build == "toolchains"`.
    """
    if needed <= set(base_languages()):
        return image.ensure_image(build=bool(build), log=log)
    found = find_image(needed)
    if found:
        return found
    cover = _toolchain_base_covering(needed)
    if build and cover:
        # The packages are here already (only the harness changed): the rebuild takes seconds.
        return build_lang_image(cover, log=log)
    if build == "toolchains":
        return build_lang_image(tuple(sorted(needed | set(base_languages()))), log=log)
    raise SandboxUnavailable(missing_message(needed))


def _toolchain_base_covering(needed: set[str]) -> tuple[str, ...] | None:
    """The language set of an existing toolchain base that covers `needed` (smallest first)."""
    sets = {tuple(sorted(needed | set(base_languages())))}
    for img in client().images.list(name=image.IMAGE_REPO, filters={"label": LANG_LABEL}):
        have = tuple(sorted((img.labels or {}).get(LANG_LABEL, "").split(",")))
        if needed - set(base_languages()) <= set(have):
            sets.add(have)
    for langs in sorted(sets, key=len):
        if image._image_id(toolchain_tag(langs)) is not None:
            return langs
    return None


def build_lang_image(languages: tuple[str, ...] | str, force: bool = False, log: Log = stderr_log) -> str:
    """Build (if needed) the toolchain base and the runner image on it; returns the runner tag."""
    langs = image_languages(languages) if isinstance(languages, str) else tuple(sorted(set(languages)))
    if set(langs) <= set(base_languages()):
        return image.build_image(force=force, log=log)
    tag = lang_image_tag(langs)
    if not force and find_image(set(langs)) == tag:
        log(f"runner image {tag} ({','.join(langs)}) is up to date")
        return tag
    base = toolchain_tag(langs)
    if force or image._image_id(base) is None:
        pk = packages_for(langs)
        log(f"making {base}: debootstrap + {' '.join(pk)} (several minutes on 2 cores, about 2 GB with all)")
        image.bootstrap_base(log=log, image=base, extra=lambda root, mirror: _install(root, mirror, langs, log))
    return image.build_image(base=base, force=force, log=log, tag=tag,
                             labels={LANG_LABEL: ",".join(langs), TOOLCHAIN_LABEL: base})


def _install(root: Path, mirror: str, languages: tuple[str, ...], log: Log) -> None:
    packages = packages_for(languages)
    """apt-get install the toolchains inside the debootstrapped tree, from the same mirror."""
    (root / "etc/apt/sources.list").write_text(f"deb {mirror} {image.BOOTSTRAP_SUITE} main\n")
    resolv = root / "etc/resolv.conf"
    if Path("/etc/resolv.conf").exists():
        shutil.copyfile("/etc/resolv.conf", resolv)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive", "LANG": "C.UTF-8",
           "HOME": "/root"}
    proc_dir = root / "proc"
    proc_dir.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "proc", "proc", str(proc_dir)], check=True, stdin=subprocess.DEVNULL)
    try:
        _chroot(root, ["apt-get", "update", "-q"], env, "apt-get update")
        log(f"  apt-get install {' '.join(packages)}")
        _chroot(root, ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages], env,
                "apt-get install")
        _language_steps(root, languages, env)
        _chroot(root, ["apt-get", "clean"], env, "apt-get clean")
    finally:
        subprocess.run(["umount", "-l", str(proc_dir)], stdin=subprocess.DEVNULL, capture_output=True)
        resolv.unlink(missing_ok=True)
        (root / "etc/apt/sources.list").unlink(missing_ok=True)


def _language_steps(root: Path, languages: tuple[str, ...], env: dict[str, str]) -> None:
    """Each language's recipe (LangSpec.image_files / image_commands / image_scratch), then
    /opt/codesynth made world-readable and nobody's to write."""
    specs = [spec(lang) for lang in sorted(languages)]
    for s in specs:
        for path, text in s.image_files.items():
            f = root / path.lstrip("/")
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(text)
    for s in specs:
        for what, argv, extra_env in s.image_commands:
            _chroot(root, argv, {**env, **extra_env}, what)
    for s in specs:
        for path in s.image_scratch:
            p = root / path.lstrip("/")
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
    if (root / "opt/codesynth").exists():
        subprocess.run(["chmod", "-R", "a+rX,go-w", str(root / "opt/codesynth")], check=True)


def _chroot(root: Path, argv: list[str], env: dict[str, str], what: str) -> None:
    proc = subprocess.run(["chroot", str(root), *argv], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        tail = " | ".join((proc.stdout + proc.stderr).strip().splitlines()[-3:])
        raise SandboxUnavailable(f"building the toolchain image: {what} failed (exit {proc.returncode}): {tail}")


