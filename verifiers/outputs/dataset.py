"""A passing program becomes a DatasetRecord with its provenance."""

from __future__ import annotations

from codesynth.models import Candidate, DatasetRecord, ExecutionResult, Problem


def make_dataset_record(problem: Problem, candidate: Candidate, result: ExecutionResult,
                        turns: list[dict[str, str]] | None = None) -> DatasetRecord:
    """`turns`: the earlier turns of its trajectory (repair, episode), each the program the model
    wrote and the feedback it was shown, oldest first (`metadata["turns"]`, for multi-turn exports)."""
    return DatasetRecord(
        id=f"{problem.id}::{candidate.candidate_id}",
        problem_id=problem.id,
        candidate_id=candidate.candidate_id,
        instruction=problem.prompt,
        solution=candidate.solution,
        tests=problem.tests,
        entry_point=problem.entry_point,
        language=candidate.language or problem.language,
        strength=problem.strength,
        metadata={
            "source": problem.source,
            "tags": problem.tags,
            "difficulty": problem.difficulty,
            "origin": candidate.origin.model_dump(exclude_defaults=True),
            "tests_total": result.tests_total,
            "duration_s": result.duration_s,
            **({"turns": turns} if turns else {}),
        },
    )
