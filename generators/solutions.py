"""Model replies -> Candidates: sampling solutions and repairs (no execution here).

Candidate ids come from `codesynth.ids` (deterministic, so a rerun produces the same
ids and a resumed verify skips what is already judged).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from codesynth.extract import program_from_reply
from codesynth.generators.client import ChatClient, ChatRequest, Completion
from codesynth.generators.prompts import repair_messages, solution_messages, translate_messages
from codesynth.generators.selection import fewshot_examples
from codesynth.ids import repair_id, root_of, sample_id
from codesynth.models import Candidate, Origin, Problem


def make_candidate(
    problem: Problem,
    completion: Completion,
    candidate_id: str,
    *,
    model: str,
    sample_index: int,
    mode: str,
    kind: str = "model",
    turn: int = 0,
    parent_id: str | None = None,
    extra: dict[str, Any] | None = None,
    language: str | None = None,
) -> Candidate:
    """A candidate from a reply; a reply without code gives an empty solution marked `no_code`.

    `language`: what it was asked for in (None: the problem's own); recorded on the candidate."""
    code = program_from_reply(completion.text, problem.entry_point, problem.prompt, language or problem.language)
    info: dict[str, Any] = dict(extra or {})
    info["finish_reason"] = completion.finish_reason
    info["completion_tokens"] = completion.completion_tokens
    if code is None:
        info["no_code"] = True
        info["reply_head"] = completion.text[:300]
        if completion.request_error:
            info["request_error"] = completion.request_error
    return Candidate(
        candidate_id=candidate_id,
        problem_id=problem.id,
        solution=code or "",
        origin=Origin(
            kind=kind,
            model=model,
            sample_index=sample_index,
            mode=mode,
            turn=turn,
            parent_id=parent_id,
            extra=info,
        ),
        language=language,
    )


#: Draw `attempt` of sample i asks with sample index i + attempt * RETRY_STRIDE: another seed and
#: another cache key, so a retried sample is a fresh draw rather than the cached reply again.
RETRY_STRIDE = 1_000_003


def solution_requests(
    problems: Iterable[Problem],
    n: int,
    *,
    fewshot_pool: Sequence[Problem] = (),
    k_shots: int = 0,
    seed: int | None = 0,
    skip: set[str] | frozenset[str] = frozenset(),
    attempts: Mapping[str, int] | None = None,
    language: str | None = None,
) -> Iterator[ChatRequest]:
    """n requests per problem; ids in `skip` (already done) are not requested; `attempts` names
    the samples asked again (`--retry-failed`) and which draw each is on."""
    for p in problems:
        examples = fewshot_examples(fewshot_pool, k_shots, p, seed) if k_shots else []
        msgs = solution_messages(p, examples, language or p.language)
        for i in range(n):
            cid = sample_id(p.id, i)
            if cid not in skip:
                a = (attempts or {}).get(cid, 0)
                yield ChatRequest(messages=msgs, sample_index=i + a * RETRY_STRIDE,
                                  tag=(p, cid, [e.id for e in examples], i, a))


def sample_solutions(
    client: ChatClient,
    problems: Iterable[Problem],
    n: int,
    *,
    fewshot_pool: Sequence[Problem] = (),
    k_shots: int = 0,
    skip: set[str] | frozenset[str] = frozenset(),
    mode: str = "solutions",
    attempts: Mapping[str, int] | None = None,
    language: str | None = None,
) -> Iterator[Candidate]:
    """Candidates in completion order (streamed: verification can start on the first one)."""
    reqs = solution_requests(
        problems, n, fewshot_pool=fewshot_pool, k_shots=k_shots, seed=client.sampling.seed, skip=skip,
        attempts=attempts, language=language,
    )
    for req, comp in client.map(reqs):
        problem, cid, shots, index, attempt = req.tag
        extra: dict[str, Any] = {"fewshot": shots} if shots else {}
        if attempt:
            extra["attempt"] = attempt
        yield make_candidate(
            problem, comp, cid, model=client.model, sample_index=index, mode=mode, extra=extra, language=language
        )


#: A repair item: the problem, the failed candidate, its feedback, and whether it failed to compile.
RepairItem = tuple[Problem, Candidate, str, bool]


def repair_requests(items: Iterable[RepairItem], turn: int) -> Iterator[ChatRequest]:
    """(problem, failed candidate, feedback, compile error) -> a request for turn `turn` of its
    trajectory, in the failed candidate's language."""
    for problem, prev, fb, compile_error in items:
        # The sample index keeps trajectories that share a prompt (same code, same
        # feedback) from sharing one cached reply.
        idx = (prev.origin.sample_index or 0) * 1000 + turn
        lang = prev.language or problem.language
        yield ChatRequest(
            messages=repair_messages(problem, prev.solution, fb, lang, compile_error), sample_index=idx,
            tag=(problem, prev),
        )


def sample_repairs(client: ChatClient, items: Iterable[RepairItem], turn: int) -> Iterator[Candidate]:
    for req, comp in client.map(repair_requests(items, turn)):
        problem, prev = req.tag
        yield make_candidate(
            problem,
            comp,
            repair_id(root_of(prev.candidate_id), turn),
            model=client.model,
            sample_index=prev.origin.sample_index or 0,
            mode="repair",
            kind="repair",
            turn=turn,
            parent_id=prev.candidate_id,
            language=prev.language,
        )


#: A translation item: the problem, the verified candidate shown, its language, the new candidate's
#: id, and the sample index (translation i of that source).
TranslateItem = tuple[Problem, Candidate, str, str, int]


def sample_translations(client: ChatClient, items: Iterable[TranslateItem], language: str,
                        mode: str = "translate") -> Iterator[Candidate]:
    """Verified programs shown to the model, written again in `language` (origin.parent_id: the source)."""
    reqs = (
        ChatRequest(messages=translate_messages(p, c.solution, src_lang, language), sample_index=i,
                    tag=(p, c, src_lang, cid))
        for p, c, src_lang, cid, i in items
    )
    for req, comp in client.map(reqs):
        problem, parent, src_lang, cid = req.tag
        yield make_candidate(problem, comp, cid, model=client.model, sample_index=req.sample_index, mode=mode,
                             kind="translation", parent_id=parent.candidate_id,
                             extra={"source_language": src_lang}, language=language)
