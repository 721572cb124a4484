"""Inputs with more than one right answer: the reference's pick among them is no test.

"Return the two closest numbers" has two right answers when two pairs are equally close; the
reference returns the one its loop meets first, and a correct program that scans in another
order returns the other. Measured on real completions of HumanEval/20, such cases rejected
correct programs that HumanEval+ accepts. The seeds show whether the order of a list argument
matters: when the reference gives every seed the same answer with its lists reversed, the
problem is order-blind, and a new input whose answer changes when its lists are reversed has
several right answers. It is dropped like an input the reference rejects.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from codesynth.models import Limits, Problem
from codesynth.sandbox.backend import Backend
from codesynth.verifiers.suites.oracle import INVALID, reference_run


def reversed_lists(args: tuple) -> tuple | None:
    """The arguments with every list / tuple of two or more elements reversed; None without one."""
    if not any(isinstance(a, (list, tuple)) and len(a) > 1 for a in args):
        return None
    return tuple(type(a)(reversed(a)) if isinstance(a, (list, tuple)) else a for a in args)


def same_answer(a: Any, b: Any) -> bool:
    """Equal, floats within rounding (a sum taken in the other order differs in the last bits)."""
    if isinstance(a, float) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same_answer, a, b))
    return a is not INVALID and b is not INVALID and a == b


def order_ambiguous(problem: Problem, code: str, lang: str, seeds: Sequence[tuple], inputs: Sequence[tuple],
                    outputs: Sequence[Any], backend: Backend, limits: Limits | None, budget: float) -> set[int]:
    """Indexes of `inputs` whose answer changes with their lists reversed, when no seed's does."""
    seed_pairs = [(s, v) for s in seeds if (v := reversed_lists(s)) is not None]
    new_pairs = [(i, v) for i, a in enumerate(inputs) if outputs[i] is not INVALID
                 and (v := reversed_lists(a)) is not None]
    if not seed_pairs or not new_pairs:
        return set()
    batch = [s for s, _ in seed_pairs] + [v for _, v in seed_pairs] + [v for _, v in new_pairs]
    outs, _ = reference_run(problem, code, lang, batch, backend, limits, budget)
    n = len(seed_pairs)
    if not all(same_answer(outs[k], outs[n + k]) for k in range(n)):
        return set()  # the seeds show that order matters (or the reference refuses a reversed seed)
    return {i for (i, _), o in zip(new_pairs, outs[2 * n:], strict=True) if not same_answer(outputs[i], o)}
