"""From (language, candidate source, problem) to what the container gets: files + commands."""

from __future__ import annotations

from codesynth.models import Limits, Signature
from codesynth.sandbox.languages.drivers import driver, encode_calls
from codesynth.sandbox.languages.specs import compile_argv, java_main_class, spec

GO_SEED = "/opt/codesynth/gocache"
CACHE_MB = 512  # the compile cache tmpfs of a toolchain container


def files_for(language: str, solution: str, sig: Signature | None) -> tuple[dict[str, str], str]:
    """The source files and the Java main class ("" elsewhere). `sig`: data-form tests."""
    s = spec(language)
    if sig is None:
        if language == "java":
            cls = java_main_class(solution)
            return {f"{cls}.java": solution}, cls
        return {s.source: solution}, ""
    drv = driver(language, sig)
    if language == "java":  # the candidate writes `class Solution`, the driver is `public class Main`
        return {"Solution.java": solution, "Main.java": drv}, "Main"
    if language == "go":  # package main in both files; the candidate defines no main()
        return {"main.go": solution, "driver.go": drv}, ""
    sep = "\n" if solution.endswith("\n") else "\n\n"
    return {s.source: solution + sep + drv}, ""


def lang_header(language: str, main_class: str, limits: Limits, results_fd: bool, speedups: bool = True) -> dict:
    """`speedups=False`: the plain compile command (the benchmark's bare loop)."""
    s = spec(language)
    run = [a.replace("{main_class}", main_class) for a in s.run]
    return {
        "language": language,
        "compile": compile_argv(s, speedups),
        "syntax_check": language if speedups and s.syntax_check_in_fork else None,
        "compile_env": s.compile_env,
        "seed": [[GO_SEED, "{cache}/gocache"]] if language == "go" else [],
        "compile_limits": {"timeout_s": limits.compile_timeout_s, "memory_mb": limits.compile_memory_mb,
                           "cache_mb": CACHE_MB, "pids": max(limits.pids, 64)},
        "run": run,
        "address_space": s.address_space_limit,
        "results_fd": results_fd,
    }


def call_input(sig: Signature, calls) -> str:
    return encode_calls(sig, calls)
