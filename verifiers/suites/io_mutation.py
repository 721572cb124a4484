"""New stdin inputs from the ones a stdin/stdout suite already has, mutated by type.

A stdin input is read as lines of whitespace-separated tokens, each token parsed as an int,
a float or a string. A new input changes one seed in one of these ways, each keeping what the
seeds show about the problem's input format:

- one token mutated by its type, within what the seeds use at that place (the same line and
  column across seeds, and the other tokens of its line when the line is a list): numbers in
  the seeds' range, never crossing into negatives or zero when no seed does; strings over the
  seeds' alphabet (`input_mutation.mutate_value`, the rule of data-form inputs);
- the tokens of a line shuffled (a list in another order);
- a list grown or shrunk by one element, or the lines after a count grown or shrunk by one
  line, with the count that announces its length (an int token equal to it on an earlier line)
  changed to match: `3\\n1 2 3` becomes `2\\n1 3` or `4\\n1 2 3 2`.

The reference's run then drops the inputs it rejects (it fails, prints nothing or takes too
long): verifiers/suites/oracle.py.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from codesynth.models import IOCase, Problem
from codesynth.verifiers.suites.input_mutation import Position, mutate_value

_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")


def io_seed_inputs(problem: Problem) -> list[str]:
    """The stdin of every case of the problem, public and private (no duplicates)."""
    cases = [*(problem.tests if isinstance(problem.tests, list) else []),
             *(problem.private_tests if isinstance(problem.private_tests, list) else [])]
    return list(dict.fromkeys(c.input for c in cases if isinstance(c, IOCase)))


def _value(tok: str) -> int | float | str:
    if _INT.fullmatch(tok):
        return int(tok)
    if _FLOAT.fullmatch(tok):
        return float(tok)
    return tok


def _text(v: int | float | str, like: str) -> str:
    """`v` written as the seed token `like` is (a float keeps its number of decimals)."""
    if isinstance(v, float):
        if "." in like and "e" not in like.lower():
            return f"{v:.{len(like.split('.', 1)[1])}f}"
        return repr(v)
    return str(v)


@dataclass
class _Input:
    """A stdin text as lines of tokens (and whether it ended with a newline)."""

    lines: list[list[str]]
    newline: bool

    @classmethod
    def parse(cls, text: str) -> _Input:
        body = text.replace("\r\n", "\n")
        newline = body.endswith("\n")
        return cls([ln.split() for ln in (body[:-1] if newline else body).split("\n")], newline)

    def text(self) -> str:
        return "\n".join(" ".join(ln) for ln in self.lines) + ("\n" if self.newline else "")


class _Shape:
    """What the seeds show at each place: (line, column) -> Position; line -> its list's values."""

    def __init__(self, seeds: list[_Input]):
        self.at: dict[tuple[int, int], Position] = {}
        self.line: dict[int, Position] = {}
        self.lengths: dict[int, list[int]] = {}
        self.line_counts = [len(s.lines) for s in seeds]
        # where a seed announces a length (n > 1 there: a lone 1 before one token says nothing)
        self.count_spots = {at for s in seeds for at, _, _ in _counts(s)}
        for s in seeds:
            for i, ln in enumerate(s.lines):
                self.lengths.setdefault(i, []).append(len(ln))
                for j, tok in enumerate(ln):
                    self.at.setdefault((i, j), Position()).values.append(_value(tok))
                    self.line.setdefault(i, Position()).values.append(_value(tok))

    def position(self, i: int, j: int, inp: _Input) -> Position:
        """Where token (i, j) may move: its column across seeds, its line's values when the line is a list."""
        pos = Position(list(self.at.get((i, j), Position()).values))
        if len(inp.lines[i]) > 1:
            kind = type(_value(inp.lines[i][j]))
            pos.values += [v for v in self.line.get(i, Position()).values if type(v) is kind]
        return pos if pos.values else Position([_value(inp.lines[i][j])])


def _mutate_token(inp: _Input, shape: _Shape, rng: random.Random) -> _Input | None:
    # a length changes only with what it counts (_resize)
    counts = shape.count_spots | {at for at, _, _ in _counts(inp, shape.count_spots)}
    spots = [(i, j) for i, ln in enumerate(inp.lines) for j in range(len(ln)) if (i, j) not in counts]
    if not spots:
        return None
    i, j = rng.choice(spots)
    tok = inp.lines[i][j]
    new = mutate_value(_value(tok), shape.position(i, j, inp), rng)
    text = _text(new, tok)
    if not text or any(ch.isspace() for ch in text) or text == tok:
        return None
    lines = [list(ln) for ln in inp.lines]
    lines[i][j] = text
    return _Input(lines, inp.newline)


def _shuffle_line(inp: _Input, rng: random.Random) -> _Input | None:
    lists = [i for i, ln in enumerate(inp.lines) if len(set(ln)) > 1]
    if not lists:
        return None
    i = rng.choice(lists)
    lines = [list(ln) for ln in inp.lines]
    rng.shuffle(lines[i])
    return _Input(lines, inp.newline)


def _counts(inp: _Input, spots: set[tuple[int, int]] = frozenset()) -> list[tuple[tuple[int, int], str, int]]:
    """Int tokens that announce a length: ((line, column), "tokens" | "lines", the line they count).
    A count of 1 only at `spots` (where some seed announces a longer length)."""
    found = []
    for i, ln in enumerate(inp.lines):
        for j, tok in enumerate(ln):
            if not _INT.fullmatch(tok) or int(tok) < 1:
                continue
            n = int(tok)
            if n == 1 and (i, j) not in spots:
                continue
            if i + 1 < len(inp.lines) and len(inp.lines[i + 1]) == n:
                found.append(((i, j), "tokens", i + 1))
            rest = [ln2 for ln2 in inp.lines[i + 1:] if ln2]
            if len(rest) == n and len({len(r) for r in rest}) == 1:
                found.append(((i, j), "lines", i + 1))
    return found


def _resize(inp: _Input, shape: _Shape, rng: random.Random) -> _Input | None:
    found = _counts(inp, shape.count_spots)
    if not found:
        return None
    (ci, cj), what, at = rng.choice(found)
    lines = [list(ln) for ln in inp.lines]
    n = int(lines[ci][cj])
    grow = rng.random() < 0.5
    if what == "tokens":
        row = lines[at]
        lengths = shape.lengths.get(at, [len(row)])
        if grow and len(row) + 1 <= max(2 * max(lengths), max(lengths) + 3):
            pool = [*row, *(str(v) for v in shape.line.get(at, Position()).values)]
            row.insert(rng.randrange(len(row) + 1), rng.choice(pool))
        elif not grow and len(row) > 1:
            row.pop(rng.randrange(len(row)))
        else:
            return None
        lines[ci][cj] = str(len(row))
    else:
        body = [k for k in range(at, len(lines)) if lines[k]]
        if grow and len(body) + 1 <= max(2 * max(shape.line_counts), max(shape.line_counts) + 3):
            k = rng.choice(body)
            lines.insert(k, list(lines[k]))
            n += 1
        elif not grow and len(body) > 1:
            del lines[rng.choice(body)]
            n -= 1
        else:
            return None
        lines[ci][cj] = str(n)
    return _Input(lines, inp.newline)


def mutated_io_inputs(seeds: list[str], limit: int, seed: int | str = 0) -> list[str]:
    """Up to `limit` new stdin texts, each one seed changed in one way (deterministic)."""
    parsed = [_Input.parse(s) for s in seeds if s.strip()]
    if not parsed:
        return []
    shape = _Shape(parsed)
    rng = random.Random(f"harden-io:{seed}")
    known = {p.text() for p in parsed}
    out: list[str] = []
    made: list[_Input] = []
    tries = 0
    while len(out) < limit and tries < limit * 20:
        tries += 1
        # a second round on a previous mutant reaches further, still inside the seeds' format
        base = rng.choice(made) if made and rng.random() < 0.3 else rng.choice(parsed)
        op = rng.random()
        new = (_mutate_token(base, shape, rng) if op < 0.6 else
               _resize(base, shape, rng) if op < 0.85 else _shuffle_line(base, rng))
        if new is None:
            continue
        text = new.text()
        if text not in known:
            known.add(text)
            out.append(text)
            made.append(new)
    return out
