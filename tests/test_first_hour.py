"""A newcomer's first hour (issue 22), one test per class of mistake: messages that list every
problem and say what is wrong, money printed with the digits that matter, refusals that offer only
what the command has, a synth folder pointing at its run/, report --html saying where the page went."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli
from pydantic import ValidationError

from codesynth.errors import BudgetReached, InputError
from codesynth.generators.budget import Budget, Prices, usd
from codesynth.generators.client import UsageStats
from codesynth.jsonl import describe_validation_error, write_models
from codesynth.models import DatasetRecord, Problem
from codesynth.rundir import check_fingerprint


def _why(**fields) -> str:
    with pytest.raises(ValidationError) as e:
        Problem(**fields)
    return describe_validation_error(e.value)


def test_an_error_lists_every_problem_of_a_record():
    why = _why(id="", prompt=3, tests="assert True\n", bogus=1)
    assert why == ("field 'id': String should have at least 1 character; field 'prompt': Input should be a valid "
                   "string; field 'bogus': unknown field")
    assert "more problem" not in why


@pytest.mark.parametrize("empty", [[], "", "  \n"])
def test_empty_tests_say_they_are_empty(empty):
    assert _why(id="a", prompt="p", tests=empty) == "field 'tests': is empty (give test code, or at least one case)"


def test_wrong_tests_name_every_form_they_may_take():
    assert _why(id="a", prompt="p", tests=5) == (
        "field 'tests': expected test code (a string), a list of {input, output} cases or a list of "
        "{call, expect} cases")


def test_a_problem_file_error_lists_every_problem_on_its_line(tmp_path):
    bad = tmp_path / "p.jsonl"
    bad.write_text(json.dumps({"id": "", "prompt": "p", "tests": []}) + "\n")
    r = run_cli("problems", "validate", str(bad))
    assert r.returncode == 2
    assert f"{bad}:1:" in r.stderr and "field 'id'" in r.stderr and "field 'tests': is empty" in r.stderr


@pytest.mark.parametrize("amount,shown", [(0.003, "$0.003"), (0.0155, "$0.0155"), (0.2, "$0.20"), (0, "$0.00"),
                                          (12.5, "$12.50")])
def test_money_keeps_the_digits_that_matter(amount, shown):
    assert usd(amount) == shown


def test_a_small_budget_is_not_printed_as_nothing():
    usage = UsageStats(requests=3, prompt_tokens=2000, completion_tokens=1000)
    with pytest.raises(BudgetReached) as e:
        Budget(0.003, Prices(prompt_per_mtok=1.0, completion_per_mtok=1.0)).check(usage)
    assert str(e.value).startswith("budget of $0.003 reached ($0.003 spent on 3 requests)")


def test_a_refused_resume_offers_update_only_where_the_command_has_it(tmp_path):
    check_fingerprint(tmp_path, "verify", {"timeout": 1})
    with pytest.raises(InputError) as no_update:  # verify: no --update to offer
        check_fingerprint(tmp_path, "verify", {"timeout": 2})
    assert "--update" not in str(no_update.value) and "timeout (1 -> 2)" in str(no_update.value)
    check_fingerprint(tmp_path, "solutions", {"n": 1}, update=False)
    with pytest.raises(InputError) as gen:  # generate / synth: --update exists
        check_fingerprint(tmp_path, "solutions", {"n": 2}, update=False)
    assert "pass --update" in str(gen.value)


def _synth_folder(tmp_path: Path) -> Path:
    """What `synth --out` leaves: synth.json, curated.jsonl and the run in run/."""
    out = tmp_path / "out"
    (out / "run").mkdir(parents=True)
    rec = DatasetRecord(id="p::c", problem_id="p", candidate_id="c", instruction="Write f.",
                        solution="def f():\n    return 1\n", tests="assert f() == 1\n", entry_point="f")
    write_models(out / "run" / "dataset.jsonl", [rec])
    (out / "run" / "rewards.jsonl").write_text("")
    write_models(out / "curated.jsonl", [rec])
    (out / "synth.json").write_text("{}")
    return out


@pytest.mark.parametrize("command", [["report"], ["curate", "--out", "x.jsonl"], ["export", "--format", "openai",
                                                                                 "--out", "x.jsonl"]])
def test_commands_on_a_synth_folder_point_at_its_run(tmp_path, command):
    out = _synth_folder(tmp_path)
    r = run_cli(command[0], str(out), *command[1:], cwd=tmp_path)
    assert r.returncode == 2
    assert f"{out}: a synth output folder, not a run directory: its run is {out / 'run'}" in r.stderr
    assert "codesynth verify" not in r.stderr and "Traceback" not in r.stderr


def test_report_html_takes_an_optional_file_and_says_where_the_page_went(tmp_path):
    help_ = run_cli("report", "--help").stdout
    assert "--html [FILE]" in help_
    run = _synth_folder(tmp_path) / "run"
    bare = run_cli("report", str(run), "--html", "--benchmark", "none", cwd=tmp_path)
    assert bare.returncode == 0, bare.stderr
    assert f"html report: {run / 'report.html'}" in bare.stdout and (run / "report.html").is_file()
    page = tmp_path / "page.html"
    named = run_cli("report", str(run), "--html", str(page), "--benchmark", "none", cwd=tmp_path)
    assert named.returncode == 0, named.stderr
    assert f"html report: {page}" in named.stdout and page.is_file()


def test_a_dataset_file_given_by_hand_is_read_whole_and_left_as_it_is(tmp_path):
    # Files of two runs joined share candidate ids; a hand-written file has no final newline.
    # Every record counts, the user's file is never rewritten, and a repeated record id (what a
    # filter's drops are keyed by) is refused with its line.
    def rec(i: int, cid: str) -> DatasetRecord:
        return DatasetRecord(id=f"r{i}", problem_id=f"p{i}", candidate_id=cid, instruction=f"Task {i}.",
                             solution=f"def f{i}(x):\n    return x + {i}\n", tests=f"assert f{i}(1) == {1 + i}\n")

    src = tmp_path / "joined.jsonl"
    text = "\n".join(rec(i, "p/0").model_dump_json() for i in range(3))  # no final newline
    src.write_text(text)
    res = run_cli("curate", str(src), "--out", str(tmp_path / "cur.jsonl"), "--no-decontam", "--no-agreement",
                  "--no-mutation", "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["input_records"] == 3 and src.read_text() == text
    out = run_cli("export", str(src), "--format", "openai", "--out", str(tmp_path / "chat.jsonl"))
    assert out.returncode == 0, out.stderr
    assert len((tmp_path / "chat.jsonl").read_text().splitlines()) == 3
    src.write_text(text + "\n" + rec(1, "p/9").model_dump_json() + "\n")
    bad = run_cli("curate", str(src), "--out", str(tmp_path / "x.jsonl"), "--no-mutation")
    assert bad.returncode == 2 and f"{src}:4: duplicate record id 'r1' (first at line 2)" in bad.stderr, bad.stderr
