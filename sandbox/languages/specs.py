"""The toolchain of each registered language, as the sandbox reads it (codesynth/languages).

The specs themselves live with their languages (codesynth/languages/<name>.py); this module
is the sandbox's view: look one up, list what an image must carry, and the compile command
the pool runs.
"""

from __future__ import annotations

from codesynth import languages
from codesynth.languages.base import LangSpec

__all__ = ["LangSpec", "base_languages", "compile_argv", "compiled", "image_languages", "packages_for",
           "spec"]


def spec(language: str) -> LangSpec:
    try:
        return languages.get(language).toolchain
    except languages.UnknownLanguage as e:
        raise ValueError(str(e)) from None


def compiled() -> tuple[str, ...]:
    """Languages with a compile step other than a syntax check."""
    return tuple(n for n in languages.names() if spec(n).compile and not spec(n).syntax_check_in_fork)


def base_languages() -> tuple[str, ...]:
    """Languages that need no package beyond the runner image's own (Python; a shell...):
    every image runs them, the plain Python image included."""
    return tuple(n for n in languages.names() if not spec(n).packages)


def compile_argv(s: LangSpec, speedups: bool = True, mode: str | None = None) -> list[str] | None:
    """The compile command the pool runs: the speed-only options go right after the compiler."""
    argv = s.compile_for(mode)
    if argv is None or not (speedups and s.compile_speedups) or mode not in (None, s.default_mode):
        return argv
    return [argv[0], *s.compile_speedups, *argv[1:]]


def image_languages(spec_text: str) -> tuple[str, ...]:
    """`cpp,java` or `all` -> the sorted languages an image must carry (python always)."""
    if spec_text.strip() == "all":
        return tuple(sorted(languages.names()))
    names = [x.strip() for x in spec_text.split(",") if x.strip()]
    for n in names:
        spec(n)
    return tuple(sorted(set(names) | {"python"}))


def packages_for(langs: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({p for lang in langs for p in spec(lang).packages}))
