"""`codesynth report --html`: the report as one self-contained page people look at.

The numbers are `build_report`'s (nothing is computed twice); plots are drawn with
matplotlib as inline SVG, so the page needs no network and no other file. The failed
samples are a browsable table (filter by category or text) with each one's feedback.
"""

from __future__ import annotations

import html
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from codesynth.rundir import load_run

FAILED_ROWS = 500  # the page stays light; every record is in rewards.jsonl


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog: the SVG is inlined in HTML


def _bar(title: str, labels: list[str], values: list[float], xlabel: str = "", color: str = "#4c72b0") -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, max(1.6, 0.35 * len(labels) + 0.8)))
    ax.barh(labels[::-1], values[::-1], color=color)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _svg(fig)


def _histogram(title: str, bins: list[dict[str, float]], xlabel: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 2.4))
    if bins:
        lefts = [b["from"] for b in bins]
        # One distinct value makes a bin of width 0: draw it as a visible bar.
        widths = [(b["to"] - b["from"]) or 0.05 * max(1.0, abs(b["from"])) for b in bins]
        ax.bar(lefts, [b["count"] for b in bins], width=widths, align="edge", color="#55a868", edgecolor="white")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("candidates")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _svg(fig)


def _figures(rep: dict[str, Any]) -> list[tuple[str, str]]:
    figs: list[tuple[str, str]] = []
    fc = rep.get("failure_categories") or {}
    if fc:
        items = sorted(fc.items(), key=lambda kv: -kv[1])
        figs.append(("failure-categories", _bar("Failure categories", [k for k, _ in items], [v for _, v in items],
                                                "candidates", "#c44e52")))
    figs.append(("reward-histogram", _histogram("Rewards", rep.get("rewards", {}).get("histogram", []), "reward")))
    by_source = rep.get("pass_rate_by_source") or {}
    if by_source:
        figs.append(("pass-rate-by-source", _bar("Pass rate by source", list(by_source),
                                                 [v["pass_rate"] for v in by_source.values()], "pass rate")))
    repairs = rep.get("repairs") or []
    if repairs:
        figs.append(("repair-gains", _bar("Repair rounds: fixed / attempted", [f"turn {r['turn']}" for r in repairs],
                                          [r["fixed"] / r["attempted"] if r["attempted"] else 0 for r in repairs],
                                          "share fixed", "#8172b2")))
    cx = (rep.get("complexity") or {}).get("histograms") or {}
    if cx.get("sloc"):
        figs.append(("complexity-sloc", _histogram("Verified solutions: source lines", cx["sloc"], "SLOC")))
    if cx.get("cc_max"):
        figs.append(("complexity-cc", _histogram("Verified solutions: max cyclomatic complexity", cx["cc_max"],
                                                 "cyclomatic complexity")))
    ts = (rep.get("test_strength") or {}).get("histogram") or []
    if ts:
        figs.append(("test-strength", _histogram("Test strength (mutation score)", ts, "mutants killed")))
    nn = ((rep.get("diversity") or {}).get("semantic") or {}).get("solution_nearest_neighbour") or {}
    if nn.get("histogram"):
        figs.append(("semantic-nearest", _histogram("Nearest-neighbour similarity of each solution (embeddings)",
                                                    nn["histogram"], "cosine")))
    return figs


def _kv_table(rows: list[tuple[str, Any]]) -> str:
    body = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return f"<table class='kv'>{body}</table>"


def _usage(run_dir: Path) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for p in sorted(run_dir.glob("generation_*.json")):
        try:
            g = json.loads(p.read_text())
        except (OSError, ValueError):
            continue
        u = g.get("usage", {})
        rows.append((f"{g.get('mode')} ({g.get('model')})",
                     f"{u.get('requests', 0)} requests, {u.get('cache_hits', 0)} cached, "
                     f"{u.get('prompt_tokens', 0)}+{u.get('completion_tokens', 0)} tokens, "
                     f"{u.get('tokens_per_s', 0)} tokens/s, {g.get('wall_time_s', 0)} s"))
    return rows


def _shown_code(c) -> str:
    """The program judged, or, when the reply held none, the head of the reply (what the model said)."""
    if c.solution.strip():
        return c.solution[:4000]
    head = c.origin.extra.get("reply_head")  # generators/solutions.py keeps the reply's head there
    return f"(no code in the reply; it began:)\n{head}" if head else "(the reply contained no code)"


def render_html(run_dir: str | Path, rep: dict[str, Any], run_facts: Sequence[tuple[str, object]] = ()) -> str:
    """The page; `run_facts` (model, recipe, pass@k, requests, tokens, cost of the whole run) are the
    dataset card's, given by the caller that knows the run (`synth`, or `report` on a synth's run/)."""
    d = Path(run_dir)
    run = load_run(d)
    failed = [r for r in run.rewards.values() if not r.passed][:FAILED_ROWS]
    code = {cid: _shown_code(c) for cid, c in run.candidates.items()}
    pct = (lambda x: "-" if x is None else f"{x:.1%}")  # noqa: E731
    summary = [
        ("candidates", rep["candidates"]), ("samples (first tries)", rep["samples"]),
        ("passed samples", f"{rep['samples_passed']} ({pct(rep['pass_rate'])})"),
        ("problems", rep["problems"]), ("problems with no pass", rep["problems_with_no_pass"]),
        *((k, f"{v:.4f}") for k, v in (rep.get("pass_at_k") or {}).items()),
        ("verified records", rep["dataset_records"]),
        ("duplicates (exact / near)", f"{rep['duplicates']['exact']} / {rep['duplicates']['near']}"),
        ("contamination", rep["contamination"].get("records", rep["contamination"].get("error", "-"))),
        ("test strength (median mutation score)", rep["test_strength"].get("median", rep["test_strength"].get("source"))),
        ("diversity (distinct-2)", rep["diversity"].get("distinct_2")),
    ]
    sem = rep["diversity"].get("semantic") or {}
    if sem.get("computed"):
        summary.append(("semantic diversity (mean cosine distance: instructions / solutions)",
                        f"{sem['instructions']['mean_cosine_distance']:.3f} / "
                        f"{sem['solutions']['mean_cosine_distance']:.3f}"))
    if rep.get("complexity"):
        cx = rep["complexity"]
        summary.append(("complexity (median SLOC / cyclomatic)", f"{cx['sloc']['median']:g} / {cx['cc_max']['median']:g}"))
    figures = "".join(f"<figure id='{fid}'>{svg}</figure>" for fid, svg in _figures(rep))
    cats = sorted({r.failure_category.value for r in failed if r.failure_category})
    options = "".join(f"<option>{html.escape(c)}</option>" for c in cats)
    rows = "".join(
        f"<tr data-category='{html.escape(r.failure_category.value if r.failure_category else '')}'>"
        f"<td>{html.escape(r.problem_id)}</td><td>{html.escape(r.candidate_id)}</td>"
        f"<td>{html.escape(r.failure_category.value if r.failure_category else r.status.value)}</td>"
        f"<td>{r.origin.turn}</td><td><pre>{html.escape(r.feedback[:1500])}</pre></td>"
        f"<td><details><summary>code</summary><pre>{html.escape(code.get(r.candidate_id, ''))}</pre>"
        "</details></td></tr>"
        for r in failed
    )
    usage = _usage(d) if d.is_dir() else []  # the last session of each mode
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>codesynth report: {html.escape(str(rep['run']))}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }}
h1 {{ font-size: 20px; }} h2 {{ font-size: 16px; margin-top: 28px; }}
table {{ border-collapse: collapse; }} th, td {{ border: 1px solid #ddd; padding: 4px 8px; vertical-align: top; }}
table.kv th {{ text-align: left; background: #f6f6f6; }}
#failed pre {{ white-space: pre-wrap; margin: 0; max-width: 60ch; font-size: 12px; }}
figure {{ display: inline-block; margin: 8px 16px 8px 0; }} figure svg {{ max-width: 520px; height: auto; }}
</style></head><body>
<h1>codesynth report</h1><p>run: <code>{html.escape(str(rep['run']))}</code></p>
{'<h2>Run</h2>' + _kv_table(list(run_facts)) if run_facts else ''}
<h2>Summary</h2>{_kv_table(summary)}
<h2>Plots</h2><div id="plots">{figures}</div>
{'<h2>Throughput (last session of each stage; the run totals are above)</h2>' + _kv_table(usage) if usage else ''}
<h2>Failed samples</h2>
<p><label>category <select id="cat"><option value="">all</option>{options}</select></label>
<label> search <input id="q" type="search" placeholder="problem, feedback..."></label>
<span id="shown"></span></p>
<table id="failed"><thead><tr><th>problem</th><th>candidate</th><th>category</th><th>turn</th><th>feedback</th>
<th>code</th></tr></thead><tbody>{rows}</tbody></table>
<script>
const cat = document.getElementById('cat'), q = document.getElementById('q');
function filter() {{
  let n = 0;
  for (const tr of document.querySelectorAll('#failed tbody tr')) {{
    const ok = (!cat.value || tr.dataset.category === cat.value) &&
               (!q.value || tr.textContent.toLowerCase().includes(q.value.toLowerCase()));
    tr.style.display = ok ? '' : 'none'; n += ok;
  }}
  document.getElementById('shown').textContent = n + ' shown';
}}
cat.onchange = filter; q.oninput = filter; filter();
</script>
</body></html>
"""


def write_html(run_dir: str | Path, rep: dict[str, Any], out: str | Path,
               run_facts: Sequence[tuple[str, object]] = ()) -> Path:
    p = Path(out)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(render_html(run_dir, rep, run_facts), encoding="utf-8")
    return p
