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
import shutil
import subprocess
from pathlib import Path

import codesynth
from codesynth.errors import SandboxUnavailable
from codesynth.sandbox.docker import image
from codesynth.sandbox.docker.engine import Log, client, stderr_log
from codesynth.sandbox.languages.specs import (
    CPP_FLAGS,
    CPP_PCH_DIR,
    CPP_PCH_HEADERS,
    JAVAC_JSA,
    JAVAC_JVM_FLAGS,
    PYTHON_ONLY,
    image_languages,
    packages_for,
)

LANG_LABEL = "codesynth.languages"
TOOLCHAIN_LABEL = "codesynth.toolchain"  # the toolchain base it was built on: a new recipe is a new image
TOOLCHAIN_REPO = "codesynth-toolchains"
GO_SEED = "/opt/codesynth/gocache"  # Go's standard library, compiled once at image build
# Bump when the toolchain tree is made differently (a new prewarm step, other flags).
TOOLCHAIN_RECIPE = "3"  # 2: C++ precompiled headers; 3: javac's class archive

# A Go program importing what solutions commonly use: compiling it at build time fills the
# build cache with the standard library, which each container copies instead of compiling.
_GO_WARM = """package main
import ("bufio"; "encoding/json"; "fmt"; "math"; "os"; "sort"; "strconv"; "strings"; "unicode")
func main() { w := bufio.NewWriter(os.Stdout); defer w.Flush(); b, _ := json.Marshal([]int{1})
fmt.Fprintln(w, string(b), math.Sqrt(2), strconv.Itoa(3), strings.ToUpper("a"), unicode.IsDigit('1'))
sort.Ints([]int{2, 1}) }
"""


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def toolchain_tag(languages: tuple[str, ...]) -> str:
    pk = packages_for(languages)
    return f"{TOOLCHAIN_REPO}:{image.BOOTSTRAP_SUITE}-{_key(TOOLCHAIN_RECIPE + ' '.join(pk))}"


def lang_image_tag(languages: tuple[str, ...]) -> str:
    langs = ",".join(sorted(languages))
    return f"{image.IMAGE_REPO}:{codesynth.__version__}-{image.harness_hash()}-l{_key(langs + toolchain_tag(languages))}"


def find_image(needed: set[str]) -> str | None:
    """A current runner image (this harness) whose toolchains cover `needed`; the smallest wins."""
    if needed <= set(PYTHON_ONLY):
        return image.image_tag() if image.image_status() == "ok" else None
    h = image.harness_hash()
    best = None
    for img in client().images.list(name=image.IMAGE_REPO, filters={"label": LANG_LABEL}):
        labels = img.labels or {}
        have = set(labels.get(LANG_LABEL, "").split(","))
        if labels.get(image.HASH_LABEL) != h or not needed <= have or not img.tags:
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
        return set(PYTHON_ONLY)
    return set(labels.get(LANG_LABEL, "python").split(",")) | set(PYTHON_ONLY)


def missing_message(needed: set[str]) -> str:
    langs = ",".join(sorted(needed - set(PYTHON_ONLY)))
    return (f"no runner image has the toolchains for {langs}; build one with "
            f"`codesynth sandbox build --languages {langs}` (or `--languages all`)")


def ensure_image(needed: set[str], build: bool = True, log: Log = stderr_log) -> str:
    """The runner image for a pool that runs `needed` languages.

    The Python image is built when missing (if `build`, about a minute). A toolchain image is
    not built behind the user's back (minutes, about 600 MB of packages): one clear error says
    which `codesynth sandbox build --languages ...` makes it, unless `build == "toolchains"`.
    """
    if needed <= set(PYTHON_ONLY):
        return image.ensure_image(build=bool(build), log=log)
    found = find_image(needed)
    if found:
        return found
    cover = _toolchain_base_covering(needed)
    if build and cover:
        # The packages are here already (only the harness changed): the rebuild takes seconds.
        return build_lang_image(cover, log=log)
    if build == "toolchains":
        return build_lang_image(tuple(sorted(needed | set(PYTHON_ONLY))), log=log)
    raise SandboxUnavailable(missing_message(needed))


def _toolchain_base_covering(needed: set[str]) -> tuple[str, ...] | None:
    """The language set of an existing toolchain base that covers `needed` (smallest first)."""
    sets = {tuple(sorted(needed | set(PYTHON_ONLY)))}
    for img in client().images.list(name=image.IMAGE_REPO, filters={"label": LANG_LABEL}):
        have = tuple(sorted((img.labels or {}).get(LANG_LABEL, "").split(",")))
        if needed <= set(have):
            sets.add(have)
    for langs in sorted(sets, key=len):
        if image._image_id(toolchain_tag(langs)) is not None:
            return langs
    return None


def build_lang_image(languages: tuple[str, ...] | str, force: bool = False, log: Log = stderr_log) -> str:
    """Build (if needed) the toolchain base and the runner image on it; returns the runner tag."""
    langs = image_languages(languages) if isinstance(languages, str) else tuple(sorted(set(languages)))
    if set(langs) <= set(PYTHON_ONLY):
        return image.build_image(force=force, log=log)
    tag = lang_image_tag(langs)
    if not force and find_image(set(langs)) == tag:
        log(f"runner image {tag} ({','.join(langs)}) is up to date")
        return tag
    base = toolchain_tag(langs)
    if force or image._image_id(base) is None:
        pk = packages_for(langs)
        log(f"making {base}: debootstrap + {' '.join(pk)} (several minutes on 2 cores, about 2 GB with all)")
        image.bootstrap_base(log=log, image=base, extra=lambda root, mirror: _install(root, mirror, pk, log))
    return image.build_image(base=base, force=force, log=log, tag=tag,
                             labels={LANG_LABEL: ",".join(langs), TOOLCHAIN_LABEL: base})


def _install(root: Path, mirror: str, packages: tuple[str, ...], log: Log) -> None:
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
        if "golang-go" in packages:
            warm = root / "tmp/warm.go"
            warm.write_text(_GO_WARM)
            genv = {**env, "GOCACHE": GO_SEED, "GOPATH": "/tmp/gopath", "GOTOOLCHAIN": "local",
                    "GOFLAGS": "-buildvcs=false", "CGO_ENABLED": "0", "GO111MODULE": "off"}
            _chroot(root, ["go", "build", "-o", "/tmp/warm", "/tmp/warm.go"], genv, "go build (warm-up)")
            subprocess.run(["chmod", "-R", "a+rX,go-w", str(root / GO_SEED.lstrip("/"))], check=True)
            for p in ("tmp/warm", "tmp/warm.go"):
                (root / p).unlink(missing_ok=True)
            shutil.rmtree(root / "tmp/gopath", ignore_errors=True)
        if "g++" in packages:
            _cpp_pch(root, env)
        if "default-jdk-headless" in packages:
            _javac_archive(root, env)
        _chroot(root, ["apt-get", "clean"], env, "apt-get clean")
    finally:
        subprocess.run(["umount", "-l", str(proc_dir)], stdin=subprocess.DEVNULL, capture_output=True)
        resolv.unlink(missing_ok=True)
        (root / "etc/apt/sources.list").unlink(missing_ok=True)


def _cpp_pch(root: Path, env: dict[str, str]) -> None:
    """Precompile the standard headers C++ programs most often include first (see specs.py).

    Each `<h>` gets a stub `#include_next <h>` (what GCC reads wherever the PCH does not apply)
    and `<h>.gch` built from that stub with the pool's own flags.
    """
    d = root / CPP_PCH_DIR.lstrip("/")
    for h in CPP_PCH_HEADERS:
        stub = d / h
        stub.parent.mkdir(parents=True, exist_ok=True)
        stub.write_text(f"#include_next <{h}>\n")
        _chroot(root, ["g++", *CPP_FLAGS, "-isystem", CPP_PCH_DIR, "-x", "c++-header", f"{CPP_PCH_DIR}/{h}",
                       "-o", f"{CPP_PCH_DIR}/{h}.gch"], env, f"g++ (precompiling <{h}>)")
    subprocess.run(["chmod", "-R", "a+rX,go-w", str(d)], check=True)


# What a javac run touches for a typical program (and the data-form driver): collections,
# Scanner, I/O, reflection. The archive holds the compiler's classes that such a compile loads.
_JAVA_WARM = """import java.io.*;
import java.util.*;
import java.util.stream.*;
public class Main {
    public static void main(String[] args) throws Exception {
        Scanner in = new Scanner(System.in);
        List<Long> xs = new ArrayList<>();
        Map<String, Integer> m = new HashMap<>();
        while (in.hasNextLong()) xs.add(in.nextLong());
        StringBuilder o = new StringBuilder();
        o.append(xs.stream().mapToLong(Long::longValue).sum()).append(String.format("%d", m.size()));
        java.lang.reflect.Field f = FileDescriptor.class.getDeclaredField("fd");
        System.out.println(o + " " + f.getName() + Arrays.toString(new int[] {1}));
    }
}
"""


def _javac_archive(root: Path, env: dict[str, str]) -> None:
    """Dump javac's class archive (specs.JAVAC_JSA) from a javac run with the pool's flags."""
    d = root / "tmp/javawarm"
    d.mkdir(parents=True, exist_ok=True)
    (d / "Main.java").write_text(_JAVA_WARM)
    _chroot(root, ["javac", *JAVAC_JVM_FLAGS, f"-J-XX:ArchiveClassesAtExit={JAVAC_JSA}", "-encoding", "UTF-8",
                   "-nowarn", "-d", "/tmp/javawarm", "/tmp/javawarm/Main.java"], env, "javac (class archive)")
    shutil.rmtree(d, ignore_errors=True)
    subprocess.run(["chmod", "a+r,go-w", str(root / JAVAC_JSA.lstrip("/"))], check=True)


def _chroot(root: Path, argv: list[str], env: dict[str, str], what: str) -> None:
    proc = subprocess.run(["chroot", str(root), *argv], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        tail = " | ".join((proc.stdout + proc.stderr).strip().splitlines()[-3:])
        raise SandboxUnavailable(f"building the toolchain image: {what} failed (exit {proc.returncode}): {tail}")


