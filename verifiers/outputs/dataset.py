"""A passing program becomes a DatasetRecord with its provenance."""

from __future__ import annotations

from codesynth.models import Candidate, DatasetRecord, ExecutionResult, Problem


def make_dataset_record(problem: Problem, candidate: Candidate, result: ExecutionResult) -> DatasetRecord:
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
        },
    )
