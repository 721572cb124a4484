"""New inputs from a data-form problem's signature, drawn with `hypothesis` strategies.

Mutation needs seeds: a problem whose tests have one or two calls gives it little to work
with. The signature says each parameter's type (`int`, `float`, `bool`, `str`, `list[...]`),
and the seeds still show the problem's preconditions: a strategy per parameter stays inside
them as mutation does (numbers in the seeds' range, stretched a little, never crossing into
negatives or zero when no seed does; lists about as long as the seeds' lists, of elements in
the range the seeds' elements use; strings over the seeds' alphabet). With no seed value at a
place, small values: ints and floats in [0, 20], lists of up to 5 elements, lowercase strings of
up to 8 letters. The reference's run then drops what it rejects (verifiers/suites/oracle.py).

Examples are drawn deterministically (`hypothesis.seed`), outside any test, no example database.
"""

from __future__ import annotations

import hashlib
import string
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from codesynth.models import Problem, parse_type

#: Below this many distinct seed calls, hardening tops its inputs up from the signature.
FEW_SEEDS = 4


def _numbers(values: list[Any], kind: str) -> st.SearchStrategy:
    nums = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    lo, hi = (min(nums), max(nums)) if nums else (0, 20)
    pad = max(1, (hi - lo) * 0.1)
    lo = max(1, lo - pad) if lo >= 1 else 0 if lo >= 0 else lo - pad
    hi = hi + pad
    if kind == "int":
        return st.integers(int(lo), int(hi))
    return st.floats(float(lo), float(hi), allow_nan=False, allow_infinity=False).map(lambda x: round(x, 6))


def _strategy(t: tuple, values: list[Any]) -> st.SearchStrategy:
    """Values of type `t` within what the seed `values` of that place show."""
    kind = t[0]
    if kind in ("int", "float"):
        return _numbers(values, kind)
    if kind == "bool":
        return st.booleans()
    if kind == "str":
        strs = [v for v in values if isinstance(v, str)]
        alphabet = "".join(sorted({ch for s in strs for ch in s})) or string.ascii_lowercase
        lo = min(map(len, strs)) if strs else 0
        hi = max(max(map(len, strs)) * 2, max(map(len, strs)) + 2) if strs else 8
        return st.text(alphabet=alphabet, min_size=lo, max_size=hi)
    seqs = [v for v in values if isinstance(v, list)]
    lo = min(map(len, seqs)) if seqs else 0
    hi = max(max(map(len, seqs)) * 2, max(map(len, seqs)) + 3) if seqs else 5
    return st.lists(_strategy(t[1], [x for s in seqs for x in s]), min_size=lo, max_size=hi)


def signature_strategy(problem: Problem, seeds: list[tuple]) -> st.SearchStrategy | None:
    """Argument tuples for the problem's signature, within what `seeds` show (None: no signature)."""
    sig = problem.signature
    if sig is None:
        return None
    n = len(sig.params)
    at = [[s[i] for s in seeds if len(s) == n] for i in range(n)]
    return st.tuples(*(_strategy(parse_type(p.type), at[i]) for i, p in enumerate(sig.params)))


def signature_inputs(problem: Problem, seeds: list[tuple], limit: int, seed: int | str = 0) -> list[tuple]:
    """Up to `limit` new argument tuples drawn from the signature (none repeats a seed; deterministic)."""
    strategy = signature_strategy(problem, seeds)
    if strategy is None or limit <= 0:
        return []
    known = {repr(s) for s in seeds}
    out: list[tuple] = []

    @hypothesis_seed(int.from_bytes(hashlib.sha256(f"signature:{seed}".encode()).digest()[:8], "big"))
    @settings(max_examples=limit * 3, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(args: tuple) -> None:
        key = repr(args)
        if len(out) < limit and key not in known:
            known.add(key)
            out.append(args)

    collect()
    return out
