"""The four export formats load with the libraries their users use."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from datasets import load_dataset
from helpers import run_cli

from codesynth.jsonl import write_models
from codesynth.models import DatasetRecord, IOCase
from codesynth.verifiers.outputs.exports import PARQUET_COLUMNS, export, parquet_schema

RECORDS = [
    DatasetRecord(
        id="p/add::c1",
        problem_id="p/add",
        candidate_id="c1",
        instruction="Write add(a, b).",
        solution="def add(a, b):\n    return a + b\n",
        tests="assert add(1, 2) == 3\n",
        entry_point="add",
        weight=0.75,
        metadata={"source": "mine", "test_strength": {"mutation_score": 0.75}, "origin": {"kind": "model"}},
    ),
    DatasetRecord(
        id="p/echo::c2",
        problem_id="p/echo",
        candidate_id="c2",
        instruction="Echo the input, upper-cased.",
        solution="print(input().upper())\n",
        tests=[IOCase(input="ab\n", output="AB\n")],
        metadata={"complexity": {"sloc": 1}},
    ),
]


@pytest.fixture()
def dataset_file(tmp_path):
    p = tmp_path / "dataset.jsonl"
    write_models(p, RECORDS)
    return p


def test_openai_chat_jsonl(tmp_path):
    out = export(RECORDS, "openai", tmp_path / "o.jsonl", system="You write Python.")
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 2
    assert set(rows[0]) == {"messages"}  # the fine-tuning API accepts nothing else
    roles = [m["role"] for m in rows[0]["messages"]]
    assert roles == ["system", "user", "assistant"]
    assert rows[0]["messages"][2]["content"] == "```python\ndef add(a, b):\n    return a + b\n```"
    assert rows[1]["messages"][1]["content"] == "Echo the input, upper-cased."


def test_alpaca_json_array_and_jsonl(tmp_path):
    arr = json.loads(export(RECORDS, "alpaca", tmp_path / "a.json").read_text())
    assert isinstance(arr, list) and len(arr) == 2
    assert {"instruction", "input", "output"} <= set(arr[0])
    assert arr[0]["input"] == "" and "return a + b" in arr[0]["output"]
    # provenance rides along
    assert (
        arr[0]["id"] == "p/add::c1"
        and arr[0]["weight"] == 0.75
        and arr[0]["tests"] == "assert add(1, 2) == 3\n"
    )
    assert (
        json.loads(arr[1]["tests"]) == [{"input": "ab\n", "output": "AB\n"}] and arr[1]["test_kind"] == "io"
    )
    lines = export(RECORDS, "alpaca", tmp_path / "a.jsonl").read_text().splitlines()
    assert [json.loads(x)["id"] for x in lines] == ["p/add::c1", "p/echo::c2"]


def test_sharegpt(tmp_path):
    rows = [json.loads(x) for x in export(RECORDS, "sharegpt", tmp_path / "s.jsonl").read_text().splitlines()]
    conv = rows[0]["conversations"]
    assert [t["from"] for t in conv] == ["human", "gpt"]
    assert conv[0]["value"] == "Write add(a, b)." and "def add" in conv[1]["value"]
    assert rows[0]["metadata"]["origin"] == {"kind": "model"}


def test_parquet_loads_with_pyarrow_and_datasets(tmp_path):
    out = export(RECORDS, "parquet", tmp_path / "d.parquet")
    table = pq.read_table(out)
    assert table.schema.equals(parquet_schema(), check_metadata=False)
    assert table.column_names == list(PARQUET_COLUMNS)
    assert json.loads(table.schema.metadata[b"codesynth.columns"]) == PARQUET_COLUMNS
    ds = load_dataset("parquet", data_files=str(out), split="train", cache_dir=str(tmp_path / "hf"))
    assert ds.num_rows == 2
    row = ds[0]
    assert row["id"] == "p/add::c1" and row["weight"] == 0.75 and row["mutation_score"] == 0.75
    assert row["messages"] == [
        {"role": "user", "content": "Write add(a, b)."},
        {"role": "assistant", "content": "```python\ndef add(a, b):\n    return a + b\n```"},
    ]
    assert json.loads(row["metadata"])["source"] == "mine"
    assert ds[1]["entry_point"] is None and ds[1]["test_kind"] == "io" and ds[1]["mutation_score"] is None


def test_hf_directory_opens_with_load_from_disk_and_every_export_has_a_card(tmp_path):
    from datasets import load_from_disk

    out = export(RECORDS, "hf", tmp_path / "hfds")
    ds = load_from_disk(str(out))
    assert ds.num_rows == 2 and set(PARQUET_COLUMNS) <= set(ds.column_names)
    assert ds[0]["problem_id"] == "p/add" and ds[1]["test_kind"] == "io"
    card = (out / "README.md").read_text()
    assert card.startswith("---\n") and "| records | 2 |" in card and "| problems | 2 |" in card
    assert "stdin/stdout (1)" in card and "function (1)" in card
    side = export(RECORDS, "openai", tmp_path / "o.jsonl")
    assert "| records | 2 |" in (tmp_path / "o.jsonl.README.md").read_text() and side.is_file()
    with pytest.raises(Exception, match="writes a directory"):
        export(RECORDS, "hf", tmp_path / "x.jsonl")


def test_export_cli_all_formats(dataset_file, tmp_path):
    for fmt, name in (
        ("openai", "o.jsonl"),
        ("alpaca", "a.json"),
        ("sharegpt", "s.json"),
        ("parquet", "p.parquet"),
        ("hf", "hf-dir"),
    ):
        res = run_cli("export", str(dataset_file), "--format", fmt, "--out", str(tmp_path / name))
        assert res.returncode == 0, res.stderr
        assert f"wrote 2 record(s) to {tmp_path / name} ({fmt})" in res.stdout
    assert len(json.loads((tmp_path / "s.json").read_text())) == 2
    assert pq.read_table(tmp_path / "p.parquet").num_rows == 2


def test_export_cli_errors(tmp_path):
    res = run_cli(
        "export", str(tmp_path / "missing.jsonl"), "--format", "openai", "--out", str(tmp_path / "x")
    )
    assert res.returncode != 0 and "no such dataset" in res.stderr and "Traceback" not in res.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text(RECORDS[0].model_dump_json() + "\n{not json\n")
    res = run_cli("export", str(bad), "--format", "alpaca", "--out", str(tmp_path / "x.json"))
    assert res.returncode != 0 and f"{bad}:2: invalid JSON" in res.stderr
    res = run_cli("export", str(bad), "--format", "csv", "--out", str(tmp_path / "x"))
    assert res.returncode != 0 and "csv" in res.stderr
