"""Per-language specs: Debian packages, source file names, compile and run commands.

Commands are argv lists with placeholders filled in the container: `{dir}` is the compile
cache entry (read-only for the candidate), `{mem}` the program's memory limit in MB.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from codesynth.models import LANGUAGES, Language

# Java's and JS's heap flags; the JVM also gets a small fixed stack and no perf-data file
# (its default home, /tmp, is read-only here).
_JAVA_RUN = ["java", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-XX:-UsePerfData",
             "-Xmx{mem}m", "-Xss64m", "-XX:ActiveProcessorCount=1",
             # the data-form driver wraps fd 3 (the results pipe) in a FileDescriptor
             "--add-opens=java.base/java.io=ALL-UNNAMED", "-cp", "{dir}", "{main_class}"]
_NODE_RUN = ["node", "--max-old-space-size={mem}", "--stack-size=8000", "{dir}/main.js"]

# C++: precompiled standard headers built into the toolchain image (lang_image.py). GCC looks
# for `<h>.gch` in each include directory before `<h>`, and uses it only where it is valid (the
# first include, same flags and macros); anywhere else the stub `<h>` next to it is read, which
# is `#include_next <h>`. So the PCH changes how fast a program compiles, never whether it does
# or what it means: a program that forgets `#include <vector>` still fails.
CPP_PCH_DIR = "/opt/codesynth/pch"
CPP_PCH_HEADERS = ("bits/stdc++.h", "iostream", "vector", "string", "algorithm")
CPP_FLAGS = ["-O2", "-std=gnu++17"]  # the PCH is built with exactly these
# javac: a class-data-sharing archive of the compiler's own classes, dumped at image build by a
# javac run with the pool's flags (lang_image.py). javac then maps its classes instead of
# loading and verifying them (about 40% of a small compile); the JVM ignores an archive that
# does not match and compiles as before. It holds JDK classes only, and is read-only.
JAVAC_JSA = "/opt/codesynth/javac.jsa"
JAVAC_JVM_FLAGS = ["-J-XX:+UseSerialGC", "-J-XX:TieredStopAtLevel=1", "-J-Xshare:auto", "-J-XX:-UsePerfData",
                   "-J-Xmx512m"]


@dataclass(frozen=True)
class LangSpec:
    name: Language
    packages: tuple[str, ...]  # Debian packages of the toolchain (trixie names)
    source: str  # file the candidate's program is written to
    run: list[str]
    compile: list[str] | None = None  # None: nothing to compile (still syntax-checked where cheap)
    # RLIMIT_AS is a fine memory cap for native code; runtimes that reserve large address
    # ranges up front (JVM, V8, Go) get their own heap flag plus the container cgroup instead.
    address_space_limit: bool = True
    compile_env: dict[str, str] = field(default_factory=dict)
    # Options the pool adds to `compile` that change only its speed (never the verdict or the
    # binary's behaviour): C++'s precompiled headers, javac's class archive. bench/languages.py's
    # bare loop runs `compile` without them (and, as `bare+`, with them).
    compile_speedups: tuple[str, ...] = ()
    # Python's syntax check runs inside the pool's forked compile child instead of a new
    # python3 (sandbox/harness/langrun.py); the bare loop runs `compile` as it stands.
    syntax_check_in_fork: bool = False
    # stderr lines that mean "ran out of memory" for this runtime (a failed run only).
    oom_markers: tuple[str, ...] = ()
    # The driver for data-form tests goes into its own file (Java, Go) or after the program.
    driver_file: str | None = None
    comment: str = "//"


_GO_ENV = {"GOCACHE": "{cache}/gocache", "GOPATH": "{cache}/gopath", "GOTOOLCHAIN": "local",
           "GOFLAGS": "-buildvcs=false", "CGO_ENABLED": "0", "GO111MODULE": "off", "GOMAXPROCS": "2"}

SPECS: dict[str, LangSpec] = {
    "python": LangSpec(
        "python", (), "main.py", ["python3", "-I", "{dir}/main.py"],
        compile=["python3", "-I", "-c", "import sys; compile(open(sys.argv[1], encoding='utf-8').read(), "
                 "'main.py', 'exec')", "main.py"],
        oom_markers=("MemoryError",), comment="#", syntax_check_in_fork=True,
    ),
    "c": LangSpec(
        "c", ("gcc", "libc6-dev"), "main.c", ["{dir}/main"],
        compile=["gcc", "-O2", "-std=gnu17", "-pipe", "-o", "main", "main.c", "-lm"],
    ),
    "cpp": LangSpec(
        "cpp", ("g++",), "main.cpp", ["{dir}/main"],
        compile=["g++", *CPP_FLAGS, "-pipe", "-o", "main", "main.cpp"],
        oom_markers=("std::bad_alloc",), compile_speedups=("-isystem", CPP_PCH_DIR),
    ),
    "java": LangSpec(
        "java", ("default-jdk-headless",), "Main.java", _JAVA_RUN,
        compile=["javac", *JAVAC_JVM_FLAGS, "-encoding", "UTF-8", "-nowarn", "-d", ".", "{sources}"],
        compile_speedups=(f"-J-XX:SharedArchiveFile={JAVAC_JSA}",),
        address_space_limit=False, oom_markers=("java.lang.OutOfMemoryError",), driver_file="Driver.java",
    ),
    "javascript": LangSpec(
        "javascript", ("nodejs",), "main.js", _NODE_RUN,
        compile=["node", "--check", "main.js"],
        address_space_limit=False, oom_markers=("JavaScript heap out of memory",),
    ),
    "typescript": LangSpec(
        "typescript", ("nodejs", "node-typescript"), "main.ts", _NODE_RUN,
        compile=["tsc", "--pretty", "false", "--target", "es2020", "--module", "commonjs", "--strict",
                 "--noEmitOnError",
                 # the bundled node typings are trusted: checking them took most of tsc's time
                 "--skipLibCheck", "--lib", "es2020", "--typeRoots", "/usr/share/nodejs/@types", "--types", "node",
                 "--outDir", ".", "main.ts"],
        address_space_limit=False, oom_markers=("JavaScript heap out of memory",),
    ),
    "go": LangSpec(
        "go", ("golang-go",), "main.go", ["{dir}/main"],
        compile=["go", "build", "-o", "main", "{sources}"],
        address_space_limit=False, compile_env=_GO_ENV,
        oom_markers=("runtime: out of memory",), driver_file="driver.go",
    ),
    "rust": LangSpec(
        "rust", ("rustc",), "main.rs", ["{dir}/main"],
        compile=["rustc", "-O", "--edition", "2021", "-C", "debuginfo=0", "-o", "main", "main.rs"],
        oom_markers=("memory allocation of",),
    ),
}

COMPILED = tuple(k for k, s in SPECS.items() if s.compile and k != "python")
# The default runner image has Python only; every other language lives in a toolchain image.
PYTHON_ONLY = ("python",)


def compile_argv(s: LangSpec, speedups: bool = True) -> list[str] | None:
    """The compile command the pool runs: the speed-only options go right after the compiler."""
    if s.compile is None or not (speedups and s.compile_speedups):
        return s.compile
    return [s.compile[0], *s.compile_speedups, *s.compile[1:]]


def spec(language: str) -> LangSpec:
    try:
        return SPECS[language]
    except KeyError:
        raise ValueError(f"unknown language {language!r} (known: {', '.join(LANGUAGES)})") from None


def image_languages(spec_text: str) -> tuple[str, ...]:
    """`cpp,java` or `all` -> the sorted languages an image must carry (python always)."""
    if spec_text.strip() == "all":
        return tuple(sorted(LANGUAGES))
    names = [x.strip() for x in spec_text.split(",") if x.strip()]
    for n in names:
        spec(n)
    return tuple(sorted(set(names) | {"python"}))


def packages_for(languages: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({p for lang in languages for p in spec(lang).packages}))


def java_main_class(program: str) -> str:
    """`public class X` names the file and the class to run; `Main` when there is none."""
    m = re.search(r"\bpublic\s+(?:final\s+)?class\s+([A-Za-z_$][\w$]*)", program)
    return m.group(1) if m else "Main"
