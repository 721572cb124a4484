"""Candidate ids: one scheme, built by these functions and never by string literals.

Ids are deterministic, so a rerun produces the same ids and a resumed run skips what is
already judged:

- `<problem>#ref`          a problem's reference solution
- `<problem>#ref-<lang>`   its reference solution in another language (`reference_solutions`)
- `<problem>#s<i>`         sample i of a model for a problem
- `<problem>#<k>`          the k-th candidate of a problem in a candidates file
- `<root>#r<turn>`         repair turn `turn` of the trajectory that started at `root`
- `<problem>#e<episode>`   turn 0 of a code-environment episode (its later turns: `#r<turn>`)
- `<problem>#null`         the do-nothing function that checks tests test something
- `<test>@<runner>`        a generated test run against one solution
- `<problem>#<hash>#<i>`   completion i of a trainer batch (the hash of its code)
- `<candidate>~mutant<i>`  mutant i of a verified program (test strength)
- `<candidate>~probe`      a verified program run on probe inputs (input agreement)
- `<candidate>~<lang><i>`  translation i of a verified program into language `lang`
"""

from __future__ import annotations

import hashlib


def ref_id(problem_id: str, language: str | None = None) -> str:
    """`<problem>#ref`, or `<problem>#ref-<language>` for a reference in another language."""
    return f"{problem_id}#ref" if language is None else f"{problem_id}#ref-{language}"


def sample_id(problem_id: str, index: int) -> str:
    return f"{problem_id}#s{index}"


def file_id(problem_id: str, index: int) -> str:
    return f"{problem_id}#{index}"


def repair_id(root_id: str, turn: int) -> str:
    return f"{root_id}#r{turn}"


def episode_root(problem_id: str, episode: str) -> str:
    return f"{problem_id}#e{episode}"


def null_id(problem_id: str) -> str:
    return f"{problem_id}#null"


def test_run_id(test_id: str, runner_id: str) -> str:
    return f"{test_id}@{runner_id}"


def root_of(candidate_id: str) -> str:
    """The turn-0 candidate a repair trajectory started from."""
    head, sep, tail = candidate_id.rpartition("#r")
    return head if sep and tail.isdigit() else candidate_id


def completion_id(problem_id: str, code: str, index: int) -> str:
    digest = hashlib.sha256(code.encode("utf-8", "replace")).hexdigest()[:12]
    return f"{problem_id}#{digest}#{index}"


def mutant_id(candidate_id: str, index: int) -> str:
    return f"{candidate_id}~mutant{index}"


def probe_id(candidate_id: str) -> str:
    return f"{candidate_id}~probe"


def translation_id(candidate_id: str, language: str, index: int = 0) -> str:
    return f"{candidate_id}~{language}{index}"
