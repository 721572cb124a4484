"""From (language, candidate source, problem) to what the container gets: files + commands."""

from __future__ import annotations

from codesynth import languages
from codesynth.models import Limits, Signature
from codesynth.sandbox.languages.drivers import encode_calls
from codesynth.sandbox.languages.specs import compile_argv, spec

CACHE_MB = 512  # the compile cache tmpfs of a toolchain container


def files_for(language: str, solution: str, sig: Signature | None) -> tuple[dict[str, str], str]:
    """The source files and the Java main class ("" elsewhere). `sig`: data-form tests."""
    return languages.get(language).program_files(solution, sig)


def lang_header(language: str, main_class: str, limits: Limits, results_fd: bool, speedups: bool = True,
                mode: str | None = None) -> dict:
    """`speedups=False`: the plain compile command (the benchmark's bare loop). `mode`: one of the
    language's compile modes (TypeScript's `strip`), None for its default."""
    s = spec(language)
    run = [a.replace("{main_class}", main_class) for a in s.run]
    return {
        "language": language,
        "compile": compile_argv(s, speedups, mode),
        "syntax_check": language if speedups and s.syntax_check_in_fork else None,
        "compile_env": s.compile_env,
        "seed": [list(x) for x in s.seed],
        "compile_limits": {"timeout_s": limits.compile_timeout_s, "memory_mb": limits.compile_memory_mb,
                           "cache_mb": CACHE_MB, "pids": max(limits.pids, 64)},
        "run": run,
        "address_space": s.address_space_limit,
        "results_fd": results_fd,
    }


def call_input(sig: Signature, calls) -> str:
    return encode_calls(sig, calls)
