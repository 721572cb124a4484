"""The wire format of data-form tests, and each language's driver (from the registry).

A driver is one generated program per language (codesynth/languages/<name>.py) that reads the
arguments, calls the candidate's function, and prints each result as one JSON line on fd 3.

Arguments travel on stdin in a token format every language parses in a few lines: the
number of calls, then each argument: ints and floats as decimal tokens, bools as 0/1,
strings as `<utf-8 byte length>:<bytes>`, lists as their length followed by the elements.
Result lines are `= <json>` (the value) or `! <message>` (the call raised). The expected
values stay on the host; what a program prints can only be compared, never believed.
"""

from __future__ import annotations

import json
import math

from codesynth import languages
from codesynth.languages.base import NoMapping
from codesynth.models import CallCase, Signature, parse_type

# A signature a language cannot spell (the language's driver raises it).
UnsupportedSignature = NoMapping


# --------------------------------------------------------------------------- arguments


def encode_value(t: tuple, v, out: list[str]) -> None:
    kind = t[0]
    if kind == "list":
        if not isinstance(v, list):
            raise ValueError(f"expected a list, got {v!r}")
        out.append(str(len(v)))
        for x in v:
            encode_value(t[1], x, out)
    elif kind == "int":
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError(f"expected an int, got {v!r}")
        out.append(str(v))
    elif kind == "float":
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError(f"expected a finite number, got {v!r}")
        out.append(repr(float(v)))
    elif kind == "bool":
        if not isinstance(v, bool):
            raise ValueError(f"expected a bool, got {v!r}")
        out.append("1" if v else "0")
    else:
        if not isinstance(v, str):
            raise ValueError(f"expected a string, got {v!r}")
        b = v.encode("utf-8")
        out.append(f"{len(b)}:" + v)


def encode_calls(sig: Signature, calls: list[CallCase]) -> str:
    types = [parse_type(p.type) for p in sig.params]
    out = [str(len(calls))]
    for i, c in enumerate(calls, 1):
        for p, t, v in zip(sig.params, types, c.call, strict=True):
            try:
                encode_value(t, v, out)
            except ValueError as e:
                raise ValueError(f"test {i}, argument {p.name!r}: {e}") from None
        out.append("\n")
    return " ".join(out)


def values_equal(t: tuple, expected, got) -> bool:
    """Host-side comparison by the declared type; floats within 1e-6 (relative or absolute)."""
    kind = t[0]
    if kind == "list":
        return (isinstance(got, list) and isinstance(expected, list) and len(got) == len(expected)
                and all(values_equal(t[1], e, g) for e, g in zip(expected, got, strict=True)))
    if kind == "float":
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return False
        return math.isclose(float(got), float(expected), rel_tol=1e-6, abs_tol=1e-6)
    if kind == "int":
        if isinstance(got, float) and got.is_integer():
            got = int(got)  # JS prints every number alike
        return not isinstance(got, bool) and isinstance(got, int) and got == expected
    if kind == "bool":
        return isinstance(got, bool) and got == expected
    return isinstance(got, str) and got == expected


def parse_results(text: str) -> list[tuple[str, object]]:
    """fd-3 lines -> [("ok", value) | ("exc", message) | ("bad", line)]."""
    out: list[tuple[str, object]] = []
    for line in text.split("\n"):
        if not line:
            continue
        if line.startswith("= "):
            try:
                out.append(("ok", json.loads(line[2:])))
            except ValueError:
                out.append(("bad", line[:200]))
        elif line.startswith("! "):
            out.append(("exc", line[2:][:500]))
        else:
            out.append(("bad", line[:200]))
    return out


def driver(language: str, sig: Signature) -> str:
    """`language`'s driver program for `sig`; UnsupportedSignature when it cannot spell it."""
    return languages.get(language).driver(sig)
