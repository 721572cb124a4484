"""Writes problem_sets/multilang.jsonl from calls.py and io.py: `python problem_sets/multilang/build.py`.

Every problem carries a reference solution in every language (`reference_solution` in
Python, the others in `reference_solutions`); `codesynth verify problem_sets/multilang.jsonl`
runs all of them.
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import calls  # noqa: E402
import io_problems  # noqa: E402

LANGS = ("python", "c", "cpp", "java", "javascript", "typescript", "go", "rust")


def records():
    for p in calls.PROBLEMS + io_problems.PROBLEMS:
        sols = p["sols"]
        missing = [lang for lang in LANGS if lang not in sols]
        if missing:
            raise SystemExit(f"{p['id']}: no solution in {', '.join(missing)}")
        rec = {"id": p["id"], "prompt": p["prompt"], "tests": p["tests"], "language": "python",
               "reference_solution": sols["python"],
               "reference_solutions": {lang: sols[lang] for lang in LANGS if lang != "python"},
               "source": "codesynth-multilang", "tags": p["tags"], "difficulty": p["difficulty"]}
        if "signature" in p:
            rec["signature"] = p["signature"]
        if p.get("compare", "exact") != "exact":
            rec["compare"] = p["compare"]
        yield rec


if __name__ == "__main__":
    out = HERE.parent / "multilang.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in records()]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} problems to {out}")
