"""What a language is to codesynth: one `LanguageSpec` holding every fact the layers ask for.

A language module (codesynth/languages/<name>.py, or a module of another package registered
by entry point) builds one `LanguageSpec` and registers it. The layers read it, never a table
of their own: the problem format validates names against the registry, extraction reads the
fence tags and the shape of a first line, prompts read the label, the declaration and the
rules, the sandbox reads the toolchain (Debian packages, compile and run commands) and the
driver, the image recipe is the union of the registered toolchains' packages.

Everything here is data plus pure functions of a `Signature`: importable by every layer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from codesynth.models import Signature, parse_type


class NoMapping(ValueError):
    """The signature has no spelling in that language (C has no nested lists)."""


@dataclass(frozen=True)
class LangSpec:
    """The toolchain side: what the container is told to write, compile and run.

    Commands are argv lists with placeholders filled in the container: `{dir}` is the compile
    cache entry (read-only for the candidate), `{mem}` the program's memory limit in MB,
    `{sources}` every source file, `{main_class}` Java's class to run.
    """

    name: str
    packages: tuple[str, ...]  # Debian packages of the toolchain (trixie names); () = in every image
    source: str  # file the candidate's program is written to
    run: list[str]
    compile: list[str] | None = None  # None: nothing to compile
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
    # Other compile commands a problem or run may select by name (`ExecRequest.language_mode`);
    # `compile` is the default one. TypeScript: "check" (tsc) and "strip" (esbuild).
    modes: Mapping[str, list[str]] = field(default_factory=dict)
    default_mode: str | None = None
    # Files written beside the program for every compile (e.g. TypeScript's tsconfig.json).
    extra_files: Mapping[str, str] = field(default_factory=dict)
    # [image path, path under {cache}] copied into a container's compile cache (Go's prebuilt stdlib).
    seed: tuple[tuple[str, str], ...] = ()
    # The image recipe beyond `packages` (sandbox/lang_image.py runs it in the toolchain tree,
    # after apt-get): files written (absolute path -> text), then commands run as
    # (what, argv, env), then scratch paths removed. Everything under /opt/codesynth ends up
    # world-readable, nothing writable. Prewarmed caches and shims: changing any of it makes
    # a new toolchain image (the tag hashes it).
    image_files: Mapping[str, str] = field(default_factory=dict)
    image_commands: tuple[tuple[str, list[str], dict[str, str]], ...] = ()
    image_scratch: tuple[str, ...] = ()

    def compile_for(self, mode: str | None) -> list[str] | None:
        """The compile command of `mode` (None: the default); an unknown mode is a ValueError."""
        if mode is None or mode == self.default_mode:
            return self.compile
        if mode not in self.modes:
            known = ", ".join(sorted({*self.modes, *([self.default_mode] if self.default_mode else [])}))
            raise ValueError(f"{self.name}: unknown mode {mode!r} (known: {known or 'none'})")
        return self.modes[mode]


def _generic_files(spec: LanguageSpec, solution: str, sig: Signature | None,
                   driver: str | None) -> tuple[dict[str, str], str]:
    """The program alone, or the program followed by the driver in the same file."""
    if driver is None:
        return {spec.toolchain.source: solution}, ""
    sep = "\n" if solution.endswith("\n") else "\n\n"
    return {spec.toolchain.source: solution + sep + driver}, ""


@dataclass(frozen=True)
class LanguageSpec:
    """One language: its names, how replies and prompts spell it, its toolchain and its driver."""

    name: str  # the name problems, candidates and `--language` use
    label: str  # what a model is told it writes in ("C++")
    toolchain: LangSpec
    fence_tags: frozenset[str]  # code-fence tags that mean this language (lower case)
    fence_tag: str  # the tag prompts put on its code blocks
    # The function's header for a data-form signature (body left out); NoMapping when the
    # language cannot express the signature.
    declaration: Callable[[Signature], str]
    # Program for data-form tests: reads the calls on stdin, writes one `= <json>` or
    # `! <message>` line per call on fd 3 (sandbox/languages/drivers.py has the wire format).
    driver: Callable[[Signature], str]
    solution_rule: str  # prompts: what a data-form solution must look like (no main, ...)
    program_rule: str = ""  # prompts: what a whole stdin/stdout program must do beyond the obvious
    aliases: tuple[str, ...] = ()  # other names clients use (SandboxFusion's `language` field)
    # A real compile step (a binary or class files): SandboxFusion-style /run_code answers carry
    # a `compile_result` for it (not for a syntax check or a transpile).
    compiles: bool = False
    accepts: tuple[str, ...] = ()  # languages whose fenced blocks are worth trying (C in a C++ reply)
    # The first line of unfenced code in this language (a reply without fences).
    code_start: re.Pattern | None = None
    # Does code define function `{name}`? A regex with `{n}` for the escaped name (ranks blocks only).
    # (The default fits C, C++ and Java: a header followed by its body's brace.)
    defines: str = r"\b{n}\s*\([^;{}]*\)\s*(const\s*)?(throws\s[^{]*)?\{"
    # (spec, solution, signature or None, driver or None) -> (files, Java's main class or "").
    files: Callable[[LanguageSpec, str, Signature | None, str | None], tuple[dict[str, str], str]] = _generic_files

    def __post_init__(self) -> None:
        if self.toolchain.name != self.name:
            raise ValueError(f"language {self.name!r}: its toolchain is named {self.toolchain.name!r}")

    def defines_function(self, code: str, name: str) -> bool:
        return re.search(self.defines.replace("{n}", re.escape(name)), code) is not None

    def program_files(self, solution: str, sig: Signature | None) -> tuple[dict[str, str], str]:
        """The files the container writes (driver included for data-form tests), Java's main class."""
        files, main = self.files(self, solution, sig, None if sig is None else self.driver(sig))
        return {**self.toolchain.extra_files, **files}, main


# --------------------------------------------------------------------------- helpers for drivers


def signature_types(sig: Signature) -> tuple[list[tuple], tuple]:
    return [parse_type(p.type) for p in sig.params], parse_type(sig.returns)


def flat(t: tuple) -> str:
    """`list[list[int]]` -> `list_list_int`: the suffix of a driver's reader/writer names."""
    return t[0] if t[0] != "list" else "list_" + flat(t[1])


def list_types(types: list[tuple]) -> list[tuple]:
    """Every list type used, innermost first (driver helpers are emitted in that order)."""
    seen: list[tuple] = []

    def walk(t: tuple) -> None:
        if t[0] == "list":
            walk(t[1])
            if t not in seen:
                seen.append(t)

    for t in types:
        walk(t)
    return seen


def spelled(scalars: Mapping[str, str], wrap: Callable[[str], str]) -> Callable[[tuple], str]:
    """A type speller: scalars from the table, `list[x]` as `wrap(spelling of x)`."""

    def spell(t: tuple) -> str:
        return wrap(spell(t[1])) if t[0] == "list" else scalars[t[0]]

    return spell
