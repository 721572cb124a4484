"""Languages beyond Python: what each one needs (Debian packages, how to compile, how to run).

Everything here is host-side data. The container is told, per request, which files to write,
which compiler command to run (under a uid of its own, with its own limits) and which command
runs the result; it knows nothing about languages itself (harness/langrun.py).
"""

from __future__ import annotations

from codesynth.sandbox.languages.specs import (
    COMPILED,
    LANGUAGES,
    SPECS,
    LangSpec,
    image_languages,
    packages_for,
    spec,
)

__all__ = ["COMPILED", "LANGUAGES", "SPECS", "LangSpec", "image_languages", "packages_for", "spec"]
