"""Languages beyond Python, the sandbox's side: toolchain lookups, request files, verdicts.

Each language's facts live in its own module (codesynth/languages/<name>.py, the registry);
here is the generic machinery that reads them. Everything is host-side: the container is told,
per request, which files to write, which compiler command to run (under a uid of its own, with
its own limits) and which command runs the result; it knows nothing about languages itself
(harness/langrun.py).
"""

from __future__ import annotations

from codesynth.sandbox.languages.specs import (
    LangSpec,
    base_languages,
    compiled,
    image_languages,
    packages_for,
    spec,
)

__all__ = ["LangSpec", "base_languages", "compiled", "image_languages", "packages_for", "spec"]
