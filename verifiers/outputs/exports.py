"""Dataset exports: the built-in formats (OpenAI chat JSONL, Alpaca, ShareGPT, Parquet, and a
Hugging Face `datasets` directory, `hf`, opened by `datasets.load_from_disk`), each registered
in `formats`, and `export()`, which writes any registered format. Every export gets a dataset
card: README.md inside a directory, `<name>.README.md` next to a file.

JSON formats write JSONL for a `.jsonl` path and one JSON array for a `.json` path.
Provenance (ids, tests, weight, metadata) rides along where the format tolerates
extra keys (Alpaca, ShareGPT, Parquet); OpenAI's fine-tuning format takes `messages`
only, so its lines carry nothing else.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from codesynth.errors import InputError, OutputError
from codesynth.models import SCHEMA_VERSION, DatasetRecord
from codesynth.verifiers.outputs.cards import dataset_card
from codesynth.verifiers.outputs.formats import export_format, get_format


def answer_text(rec: DatasetRecord) -> str:
    """The assistant turn: the solution in a fenced code block."""
    return f"```{rec.language}\n{rec.solution.rstrip()}\n```"


def tests_text(rec: DatasetRecord) -> str:
    """Tests as one string: assert code, or the stdin/stdout cases as a JSON array."""
    if isinstance(rec.tests, str):
        return rec.tests
    return json.dumps([c.model_dump() for c in rec.tests])


def _provenance(rec: DatasetRecord) -> dict[str, Any]:
    return {
        "id": rec.id,
        "problem_id": rec.problem_id,
        "candidate_id": rec.candidate_id,
        "weight": rec.weight,
        "entry_point": rec.entry_point,
        "language": rec.language,
        "test_kind": "function" if isinstance(rec.tests, str) else "io",
        "tests": tests_text(rec),
        "metadata": rec.metadata,
    }


def to_openai(rec: DatasetRecord, system: str | None = None) -> dict[str, Any]:
    msgs = [{"role": "system", "content": system}] if system else []
    msgs += [{"role": "user", "content": rec.instruction}, {"role": "assistant", "content": answer_text(rec)}]
    return {"messages": msgs}


def to_alpaca(rec: DatasetRecord, system: str | None = None) -> dict[str, Any]:
    row = {"instruction": rec.instruction, "input": "", "output": answer_text(rec)}
    if system:
        row["system"] = system
    return {**row, **_provenance(rec)}


def to_sharegpt(rec: DatasetRecord, system: str | None = None) -> dict[str, Any]:
    conv = [{"from": "system", "value": system}] if system else []
    conv += [{"from": "human", "value": rec.instruction}, {"from": "gpt", "value": answer_text(rec)}]
    return {"conversations": conv, **_provenance(rec)}


def to_multiturn(rec: DatasetRecord, system: str | None = None) -> dict[str, Any]:
    """The whole trajectory as chat (SFT on learning from feedback): each earlier turn's program as
    an assistant turn and the feedback it got as the next user turn, then the verified program.
    A record without earlier turns is the single-turn chat of `to_openai`."""
    msgs = [{"role": "system", "content": system}] if system else []
    msgs.append({"role": "user", "content": rec.instruction})
    for t in rec.metadata.get("turns") or []:
        code = str(t.get("code") or "")
        said = f"```{rec.language}\n{code.rstrip()}\n```" if code.strip() else "(no code)"
        msgs += [{"role": "assistant", "content": said},
                 {"role": "user", "content": str(t.get("feedback") or "The program did not pass the tests.")}]
    msgs.append({"role": "assistant", "content": answer_text(rec)})
    return {"messages": msgs, **_provenance(rec)}


def _write_json_rows(rows: Iterable[dict], out: Path, array: bool) -> None:
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        if array:
            json.dump(list(rows), fh, ensure_ascii=False, indent=1)
            fh.write("\n")
        else:
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    tmp.replace(out)


#: Parquet columns (documented in the README's export section). `metadata` is a JSON string
#: because its keys vary by filter and origin; the commonly used numbers have columns.
PARQUET_COLUMNS: dict[str, str] = {
    "schema_version": "int32: codesynth record schema version",
    "id": "string: record id (problem_id::candidate_id)",
    "problem_id": "string",
    "candidate_id": "string",
    "instruction": "string: the problem prompt",
    "solution": "string: the verified program",
    "messages": "list<struct<role: string, content: string>>: user + assistant chat turns",
    "test_kind": "string: 'function' (assert code) or 'io' (stdin/stdout cases)",
    "tests": "string: assert code, or a JSON array of {input, output}",
    "entry_point": "string (null for io problems)",
    "language": "string",
    "weight": "double: training weight from curation",
    "source": "string (null when unknown): the problem set",
    "mutation_score": "double (null when not measured)",
    "metadata": "string: JSON object with provenance, metrics and filter results",
}


def parquet_schema():
    import pyarrow as pa

    msg = pa.struct([("role", pa.string()), ("content", pa.string())])
    return pa.schema(
        [
            ("schema_version", pa.int32()),
            ("id", pa.string()),
            ("problem_id", pa.string()),
            ("candidate_id", pa.string()),
            ("instruction", pa.string()),
            ("solution", pa.string()),
            ("messages", pa.list_(msg)),
            ("test_kind", pa.string()),
            ("tests", pa.string()),
            ("entry_point", pa.string()),
            ("language", pa.string()),
            ("weight", pa.float64()),
            ("source", pa.string()),
            ("mutation_score", pa.float64()),
            ("metadata", pa.string()),
        ],
        metadata={
            "codesynth.schema_version": str(SCHEMA_VERSION),
            "codesynth.columns": json.dumps(PARQUET_COLUMNS),
        },
    )


def _parquet_row(rec: DatasetRecord, system: str | None) -> dict[str, Any]:
    ts = rec.metadata.get("test_strength") or {}
    return {
        "schema_version": rec.schema_version,
        "id": rec.id,
        "problem_id": rec.problem_id,
        "candidate_id": rec.candidate_id,
        "instruction": rec.instruction,
        "solution": rec.solution,
        "messages": to_openai(rec, system)["messages"],
        "test_kind": "function" if isinstance(rec.tests, str) else "io",
        "tests": tests_text(rec),
        "entry_point": rec.entry_point,
        "language": rec.language,
        "weight": float(rec.weight),
        "source": rec.metadata.get("source"),
        "mutation_score": ts.get("mutation_score"),
        "metadata": json.dumps(rec.metadata, sort_keys=True, default=str),
    }


def _rows_format(name: str, to_row, description: str):
    """A JSON-rows format: JSONL for a `.jsonl` path, one JSON array for a `.json` path."""

    @export_format(name, (".jsonl", ".json"), description)
    def write(records: Sequence[DatasetRecord], out: Path, system: str | None = None) -> None:
        _write_json_rows((to_row(r, system) for r in records), out, array=out.suffix.lower() == ".json")

    return write


write_openai = _rows_format("openai", to_openai, "OpenAI chat fine-tuning rows (`messages` only).")
write_alpaca = _rows_format("alpaca", to_alpaca, "Alpaca rows (instruction, input, output) with provenance.")
write_sharegpt = _rows_format("sharegpt", to_sharegpt, "ShareGPT conversations with provenance.")
write_multiturn = _rows_format("multiturn", to_multiturn, "Chat rows with every turn of a repair trajectory or "
                               "code-environment episode (feedback as user turns), with provenance.")


@export_format("parquet", (".parquet",))
def write_parquet(records: Sequence[DatasetRecord], out: Path, system: str | None = None) -> None:
    """One Parquet file with typed columns (PARQUET_COLUMNS)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("parquet export needs pyarrow (pip install 'codesynth[export]')") from None
    schema = parquet_schema()
    rows = [_parquet_row(r, system) for r in records]
    table = pa.Table.from_pylist(rows, schema=schema)
    tmp = out.with_name(out.name + ".tmp")
    pq.write_table(table, tmp)
    tmp.replace(out)


@export_format("hf", ("",))
def write_hf(records: Sequence[DatasetRecord], out: Path, system: str | None = None) -> None:
    """A `datasets` directory with the Parquet export's columns (written aside, then renamed)."""
    try:
        import pyarrow as pa
        from datasets import Dataset
    except ImportError:
        raise InputError("hf export needs datasets and pyarrow (pip install 'codesynth[export]')") from None
    table = pa.Table.from_pylist([_parquet_row(r, system) for r in records], schema=parquet_schema())
    tmp = out.with_name(out.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    Dataset(table).save_to_disk(str(tmp))
    if out.exists():
        shutil.rmtree(out)
    tmp.replace(out)


def check_extension(fmt: str, out: str | Path) -> None:
    """Refuse an --out whose extension does not match the format (InputError, before any writing):
    a trainer that opens `x.jsonl` must not get Parquet bytes."""
    f = get_format(fmt)
    p = Path(out)
    if f.directory:
        if p.suffix or p.is_file():
            raise InputError(f"--out {p}: --format {fmt} writes a directory; name it e.g. {p.with_suffix('')}")
        return
    if p.suffix.lower() not in f.extensions:
        wanted = " or ".join(f.extensions)
        fix = p.with_suffix(f.extensions[0]) if p.suffix else Path(str(p) + f.extensions[0])
        raise InputError(f"--out {p}: --format {fmt} writes a {wanted} file; name it e.g. {fix}")


def export(records: list[DatasetRecord], fmt: str, out: str | Path, system: str | None = None,
           title: str | None = None, run_facts: Sequence[tuple[str, object]] = (),
           card_path: str | Path | None = None) -> Path:
    """Write `records` to `out` in `fmt`, with its dataset card; returns the path.
    An empty dataset is an error, not an empty file."""
    check_extension(fmt, out)
    if not records:
        raise InputError("no records to export: the dataset is empty")
    p = Path(out)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        get_format(fmt).write(records, p, system)
    except OSError as e:
        tmp = p.with_name(p.name + ".tmp")
        if tmp.exists():
            tmp.unlink()
        raise OutputError(f"{p}: cannot write ({e.strerror or e})") from None
    directory = get_format(fmt).directory
    card = Path(card_path) if card_path else p / "README.md" if directory else p.with_name(p.name + ".README.md")
    files = f"`{p.name}/` (`datasets.load_from_disk`)" if fmt == "hf" else f"`{p.name}/`" if directory else f"`{p.name}`"
    card.parent.mkdir(parents=True, exist_ok=True)
    card.write_text(dataset_card(records, title=title or p.stem, fmt=fmt, files=files, run_facts=run_facts),
                    encoding="utf-8")
    return p
