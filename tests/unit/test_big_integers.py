"""JSON integers beyond 64 bits stay exact everywhere fineprep reads and writes them: two
distinct 21-digit order ids never collapse into one float."""

from __future__ import annotations

import json
from pathlib import Path

import orjson

from fineprep.core import jsonexact
from fineprep.core.config import Settings
from fineprep.stages.check.engine import check_files
from fineprep.stages.check.fix import write_fixes
from fineprep.stages.convert.runner import convert
from fineprep.stages.split.runner import split
from fineprep.stages.split.scan import parse_record, record_key

A, B = 123456789012345678901, 123456789012345678902


def test_loads_and_dumps_keep_long_integers_exact() -> None:
    raw = f'{{"a": {A}, "b": [{B}, -{A}], "s": "{A}", "f": 1.5}}'.encode()
    assert orjson.loads(str(A)) == orjson.loads(str(B))  # what orjson alone does
    value = jsonexact.loads(raw)
    assert value == {"a": A, "b": [B, -A], "s": str(A), "f": 1.5}
    assert jsonexact.loads(jsonexact.dumps(value)) == value
    assert jsonexact.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE) == (
        f'{{"a":{A},"b":[{B},-{A}],"f":1.5,"s":"{A}"}}\n'.encode()
    )
    assert jsonexact.loads(b'{"small": 18446744073709551615}') == {"small": 2**64 - 1}


def _rft(tmp_path: Path) -> Path:
    path = tmp_path / "rft.jsonl"
    lines = [
        {"messages": [{"role": "user", "content": "Which order?"}], "reference_answer": {"id": n}}
        for n in (A, B)
    ]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def test_a_long_integer_beside_a_float_orjson_writes_as_null() -> None:
    """The fallback writes what orjson writes for the rest of the value (a table row with a
    long id and an infinite measurement is still a row the rejects file can hold)."""
    row = {"id": 123456789012345678901, "score": float("inf"), "v": [float("nan"), 1.5]}
    assert jsonexact.dumps(row) == b'{"id":123456789012345678901,"score":null,"v":[null,1.5]}'
    assert orjson.dumps({"score": float("inf")}) == b'{"score":null}'


def test_check_does_not_call_two_distinct_ids_duplicates(tmp_path: Path) -> None:
    path = _rft(tmp_path)
    settings = Settings(model="gpt-oss-20b", select=["D001"])
    result = check_files([str(path)], settings)
    assert not [f for f in result.findings if f.code == "D001"]
    summary = write_fixes(result, str(path), drop_duplicates=True)
    assert summary.kept == 2 and summary.dropped_duplicates == 0
    assert Path(summary.fixed_path).read_bytes() == path.read_bytes()


def test_convert_writes_long_integers_exactly(tmp_path: Path) -> None:
    src = tmp_path / "orders.jsonl"
    rows = [{"order": n, "q": f"status of {i}", "a": "shipped"} for i, n in enumerate((A, B))]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "train.jsonl"
    result = convert(
        src,
        output=out,
        to="prompt-completion",
        prompt="Order {{ order }}: {{ q }}",
        completion="a",
        id="order",
        settings=Settings(),
    )
    assert result.records == 2, result.summary()
    prompts = [json.loads(line)["prompt"] for line in out.read_text().splitlines()]
    assert prompts == [f"Order {A}: status of 0", f"Order {B}: status of 1"]
    ids = [
        json.loads(line)["id"]
        for line in out.with_name("train.meta.jsonl").read_text().splitlines()
    ]
    assert ids == [str(A), str(B)]


def test_split_keeps_records_with_distinct_long_ids_apart(tmp_path: Path) -> None:
    one = parse_record(f'{{"prompt": "p", "completion": "c", "n": {A}}}'.encode(), "x", 1)
    two = parse_record(f'{{"prompt": "p", "completion": "c", "n": {B}}}'.encode(), "x", 2)
    assert record_key(one, None) != record_key(two, None)
    data = tmp_path / "data.jsonl"
    lines = [f'{{"prompt": "q{i}", "completion": "c", "n": {A + i}}}' for i in range(40)]
    data.write_text("\n".join(lines) + "\n")
    done = split(data, tmp_path / "out", validation=0.25, settings=Settings(), run_checks=False)
    written = sorted(
        line for name in done.files.values() for line in Path(name).read_text().splitlines()
    )
    assert written == sorted(lines)  # byte for byte, every id intact


def test_a_whitespace_fix_never_loses_a_repeated_key_or_a_numbers_spelling(
    tmp_path: Path,
) -> None:
    """The L003 fix writes a record back from its parsed JSON: a record that would lose a key
    given twice or change how a number is spelt is kept byte for byte, and counted."""
    lines = [
        b'{"messages": [{"role": "user", "content": " Q1?"}], "reference_answer": "1"}',
        b'{"messages": [{"role": "user", "content": " Q2?"}], '
        b'"reference_answer": {"k": 1, "k": 2}}',
        b'{"messages": [{"role": "user", "content": " Q3?"}], "reference_answer": 1E2}',
        b'{"messages": [{"role": "user", "content": " Q4?"}], "reference_answer": 1.10}',
        b'{"messages": [{"role": "user", "content": " Q5?"}], "reference_answer": 7}',
    ]
    path = tmp_path / "rft.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = check_files([str(path)], Settings(model="gpt-oss-20b", select=["L003"]))
    assert len([f for f in result.findings if f.code == "L003"]) == 5
    summary = write_fixes(result, str(path))
    assert summary.whitespace_fixed == 2 and summary.whitespace_kept == 3
    fixed = Path(summary.fixed_path).read_bytes().splitlines()
    assert fixed[1:4] == lines[1:4]
    assert json.loads(fixed[0])["messages"][0]["content"] == "Q1?"
    assert fixed[4] == b'{"messages":[{"role":"user","content":"Q5?"}],"reference_answer":7}'
