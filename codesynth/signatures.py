"""How each language spells a data-form signature: its function's declaration, and whether a
problem can be posed in a language at all.

The spellings live with each language (codesynth/languages/<name>.py, `declaration`): the
sandbox's drivers call the function with the same types, and a generator's prompt shows the
same declaration, so the program a model writes links against the driver that will call it.
"""

from __future__ import annotations

from codesynth import languages
from codesynth.languages.base import NoMapping
from codesynth.models import Signature

__all__ = ["NoMapping", "declaration", "fence_tag", "label", "unposable"]


def label(language: str) -> str:
    """What a model is told it writes in ("C++")."""
    return languages.get(language).label


def fence_tag(language: str) -> str:
    """The tag a prompt's code block in `language` gets."""
    return languages.get(language).fence_tag


def declaration(language: str, sig: Signature) -> str:
    """The function's header in `language` (what a solution must define, body left out).

    Raises NoMapping when the language cannot express the signature, ValueError (UnknownLanguage)
    for a language nobody registered."""
    return languages.get(language).declaration(sig)


def unposable(problem, language: str) -> str | None:
    """Why `problem` cannot be asked for in `language` (None when it can).

    stdin/stdout cases and data-form tests run in every language; test code (a string) tests
    the problem's own language only (Python's tester); a signature must have a spelling in
    the language."""
    if problem.kind == "io" or (problem.kind == "function" and language == problem.language):
        return None
    if problem.kind == "function":
        return "it has Python test code only (no signature with {call, expect} tests, no stdin/stdout cases)"
    try:
        declaration(language, problem.signature)
    except NoMapping as e:
        return str(e)
    return None
