"""Source readers: CSV, Parquet/Arrow (ClassLabel), JSON/JSONL, and kind detection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fineprep.core.errors import ConfigError, InputError
from fineprep.stages.convert.sources.base import SourceReject, SourceRow
from fineprep.stages.convert.sources.csv import read_csv, unique_headers
from fineprep.stages.convert.sources.detect import kind_of, plan
from fineprep.stages.convert.sources.json import read_json, read_jsonl
from fineprep.stages.convert.sources.tabular import (
    BATCH_ROWS,
    apply_labels,
    class_labels,
    read_arrow,
    read_parquet,
)
from tests.conftest import FIXTURES

TABULAR = FIXTURES / "convert" / "tabular"


def _items(reader: Any, path: Path | str, **options: Any) -> list[Any]:
    return list(reader([str(path)], options))


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# -- CSV ------------------------------------------------------------------------------------
def test_csv_rows_are_numbered_like_a_spreadsheet(tmp_path: Path) -> None:
    data = b'q,a\n"two\nlines",x\n\nlast,y\n'
    items = _items(read_csv, _write(tmp_path, "t.csv", data))
    assert [i.source.rsplit(":", 1)[1] for i in items] == ["row 2", "row 4"]
    assert items[0].fields == {"q": "two\nlines", "a": "x"}


def test_csv_ragged_rows_are_rejected_with_their_row(tmp_path: Path) -> None:
    items = _items(read_csv, TABULAR / "ragged.csv")
    rejects = [i for i in items if isinstance(i, SourceReject)]
    assert [(r.source.endswith("row 2"), r.raw) for r in rejects] == [
        (True, "1101,John"),
        (False, "1102,Julie,26,Potatoes"),
    ]
    assert rejects[0].reason == "row has 2 fields but the header has 3 (id, name, age)"
    assert [i.fields for i in items if isinstance(i, SourceRow)] == [
        {"id": "1103", "name": "Ann", "age": "41"}
    ]


def test_csv_unclosed_quote_is_hinted(tmp_path: Path) -> None:
    items = _items(read_csv, _write(tmp_path, "t.csv", b'a,b\n"oops,1\n2,3\n'))
    assert len(items) == 1 and isinstance(items[0], SourceReject)
    assert "a quote may be unclosed" in items[0].reason


def test_headers_are_named_and_numbered() -> None:
    notices: list[str] = []
    names = unique_headers(["", "text", "label", "label", " label_2 ", ""], "h.csv", 1, notices)
    assert names == ["column_1", "text", "label", "label_3", "label_2", "column_6"]
    assert notices[0] == "h.csv:row 1: column 1 has no header; named 'column_1'"
    assert "column 4 repeats the header 'label'; named 'label_3'" in notices[1]


def test_legacy_encoding_is_reported_and_decoded_without_replacement_chars() -> None:
    path = TABULAR / "encodings" / "reviews-gb18030.csv"
    notices: list[str] = []
    rows = list(read_csv([str(path)], {"notices": notices}))
    assert rows[0].fields["review"] == "这家店的菜很好吃，服务也很周到，下次还会再来。"
    assert rows[0].fields["label"] == "正面"
    assert notices == [
        f"{path}: encoding gb18030 (not UTF-8 (byte 0xD5 at offset 18); detected as gb18030)"
    ]


def test_an_encoding_that_cannot_be_told_is_refused_with_both_readings() -> None:
    # cp1250 and cp1252 read this French text equally well but spell "crème" differently.
    with pytest.raises(InputError) as caught:
        list(read_csv([str(TABULAR / "legacy-cp1252.csv")], {}))
    message = str(caught.value)
    assert "cannot tell its encoding: it reads as cp1250 or cp1252" in message
    assert "'crčme,Smooth' vs 'crème,Smooth'" in message
    assert "pass --encoding cp1250 or --encoding cp1252" in message
    rows = _items(read_csv, TABULAR / "legacy-cp1252.csv", encoding="cp1252")
    text = " ".join(v for r in rows for v in r.fields.values())
    assert "“café” I’ve had for €3" in text and "\ufffd" not in text


def test_bom_is_not_part_of_the_first_header() -> None:
    rows = _items(read_csv, TABULAR / "frictionless" / "bom.csv")
    assert rows[1].fields == {"id": "2", "name": "中国人"}


def test_explicit_encoding_and_delimiter(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.txt", "a|b\nx;y|é\n".encode("latin-1"))
    rows = _items(read_csv, path, encoding="latin-1", delimiter="pipe")
    assert rows[0].fields == {"a": "x;y", "b": "é"}


def test_wrong_explicit_encoding_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.csv", b"a\n" + b"ok\n" * 3 + b"caf\xe9\n")
    with pytest.raises(InputError, match=r"t\.csv: byte 0xE9 at offset 14 \(line 5\) cannot"):
        _items(read_csv, path, encoding="utf-8")


def test_csv_streams(tmp_path: Path) -> None:
    # Bad bytes near the end: rows before them are produced before the error is reached.
    body = b"a\n" + b"fine\n" * 20000 + b"\xff\n"
    stream = read_csv([str(_write(tmp_path, "t.csv", body))], {"encoding": "utf-8"})
    first = next(stream)
    assert isinstance(first, SourceRow) and first.source.endswith("row 2")
    with pytest.raises(InputError, match=r"\(line 20002\) cannot be decoded as utf-8"):
        list(stream)


def test_empty_csv(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no header row"):
        _items(read_csv, _write(tmp_path, "t.csv", b"\n\n"))


# -- Parquet and Arrow ----------------------------------------------------------------------
def _hf(features: dict[str, Any]) -> dict[bytes, bytes]:
    return {b"huggingface": json.dumps({"info": {"features": features}}).encode()}


def test_class_labels_from_hugging_face_metadata() -> None:
    meta = _hf(
        {
            "text": {"dtype": "string", "_type": "Value"},
            "label": {"names": ["neg", "pos"], "_type": "ClassLabel"},
            "tags": {"feature": {"names": ["a", "b"], "_type": "ClassLabel"}, "_type": "Sequence"},
            "old": [{"names": ["x"], "_type": "ClassLabel"}],
        }
    )
    labels = class_labels(meta)
    assert labels == {
        "label": (["neg", "pos"], False),
        "tags": (["a", "b"], True),
        "old": (["x"], True),
    }
    fields: dict[str, Any] = {"label": 1, "tags": [0, 1], "old": [0], "text": "t"}
    assert apply_labels(fields, labels) is None
    assert fields == {"label": "pos", "tags": ["a", "b"], "old": ["x"], "text": "t"}
    assert apply_labels({"label": 7}, labels) == "column 'label' holds 7: not a class index (0-1)"
    assert class_labels({b"huggingface": b"not json"}) == {}
    assert class_labels(None) == {}


def test_parquet_classlabel_fixture() -> None:
    items = _items(read_parquet, TABULAR / "classlabel.parquet")
    assert [i.fields["label"] for i in items[:3]] == ["negative", "neutral", "positive"]
    assert isinstance(items[3], SourceReject)
    assert items[3].reason == "column 'label' holds -1: no label (-1)"
    assert items[3].source.endswith("classlabel.parquet:row 4")


def test_parquet_rows_count_across_batches(tmp_path: Path) -> None:
    n = BATCH_ROWS * 2 + 5
    path = tmp_path / "big.parquet"
    pq.write_table(pa.table({"i": list(range(n))}), path, row_group_size=1000)
    items = _items(read_parquet, path)
    assert len(items) == n
    assert items[-1].source.endswith(f"row {n}") and items[-1].fields == {"i": n - 1}


def test_arrow_file_and_stream(tmp_path: Path) -> None:
    rows = _items(read_arrow, TABULAR / "pairs.arrow")
    assert [r.fields["completion"] for r in rows] == ["cat", "dog"]
    table = pa.table({"x": ["a", "b"]})
    path = tmp_path / "s.arrows"
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    assert [r.fields for r in _items(read_arrow, path)] == [{"x": "a"}, {"x": "b"}]


def test_unreadable_binary_files(tmp_path: Path) -> None:
    bad = _write(tmp_path, "bad.parquet", b"this is not parquet")
    with pytest.raises(InputError, match=r"bad\.parquet: not a readable Parquet file"):
        _items(read_parquet, bad)
    with pytest.raises(InputError, match=r"bad\.arrow: not a readable Arrow IPC file"):
        _items(read_arrow, _write(tmp_path, "bad.arrow", b"nope" * 10))


# -- JSON -----------------------------------------------------------------------------------
def test_jsonl_rows_and_rejects() -> None:
    items = _items(read_jsonl, TABULAR / "nested.jsonl")
    assert items[0].fields["meta"]["author"]["name"] == "Ada"
    assert [type(i).__name__ for i in items] == ["SourceRow"] * 3 + ["SourceReject"] * 2
    assert items[4].reason == "line is an array, not a JSON object"
    assert items[4].source.endswith("nested.jsonl:line 5")


def test_jsonl_bom_and_blank_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.jsonl", b'\xef\xbb\xbf{"a": 1}\n\n  \n{"a": 2}\n')
    items = _items(read_jsonl, path)
    assert [(i.fields["a"], i.source.rsplit(":", 1)[1]) for i in items] == [
        (1, "line 1"),
        (2, "line 4"),
    ]


def test_json_documents(tmp_path: Path) -> None:
    one = _items(read_json, _write(tmp_path, "one.json", b'{"a": {"b": 1}}'))
    assert one == [SourceRow({"a": {"b": 1}}, str(tmp_path / "one.json"))]
    items = _items(read_json, _write(tmp_path, "arr.json", b'[{"a": 1}, 2]'))
    assert items[1].reason == "item is a number, not a JSON object"
    with pytest.raises(InputError, match="the document is a string"):
        _items(read_json, _write(tmp_path, "s.json", b'"x"'))
    with pytest.raises(InputError, match="invalid JSON"):
        _items(read_json, _write(tmp_path, "b.json", b"{broken"))
    notices: list[str] = []
    rows = list(
        read_json([str(_write(tmp_path, "l.json", b'{"a":1}\n{"a":2}\n'))], {"notices": notices})
    )
    assert [r.fields["a"] for r in rows] == [1, 2] and notices[0].endswith("read as JSON Lines")


# -- kinds ----------------------------------------------------------------------------------
def test_kind_of_by_extension(tmp_path: Path) -> None:
    for name, kind in [
        ("a.csv", "csv"),
        ("a.TSV", "csv"),
        ("a.parquet", "parquet"),
        ("a.feather", "arrow"),
        ("a.ndjson", "jsonl"),
    ]:
        assert kind_of(str(_write(tmp_path, name, b"x")), None) == kind
    assert kind_of(str(_write(tmp_path, "a.xlsx", b"x")), None) == "xlsx"
    with pytest.raises(InputError, match=r"unknown file type '\.docx'"):
        kind_of(str(_write(tmp_path, "a.docx", b"x")), None)
    with pytest.raises(InputError, match=r"a\.xls: an Excel 97-2003 workbook: save it as \.xlsx"):
        kind_of(str(_write(tmp_path, "a.xls", b"x")), None)
    with pytest.raises(InputError, match="is a directory"):
        kind_of(str(tmp_path), None)
    with pytest.raises(InputError, match="no such file"):
        kind_of(str(tmp_path / "missing.csv"), None)
    with pytest.raises(ConfigError, match="unknown source kind 'excel'"):
        kind_of("x", "excel")
    assert kind_of(str(tmp_path), "csv") == "csv"


def test_plan_groups_consecutive_inputs_of_one_kind() -> None:
    paths = [str(TABULAR / n) for n in ("reviews.csv", "pipe.csv", "pairs.arrow", "tabbed.tsv")]
    assert [(k, len(p)) for k, p in plan(paths, None)] == [("csv", 2), ("arrow", 1), ("csv", 1)]


def test_textract_json_is_recognised(tmp_path: Path) -> None:
    pytest.importorskip("fineprep.stages.convert.textract.reader")
    doc = {"DocumentMetadata": {"Pages": 1}, "Blocks": [{"BlockType": "PAGE", "Id": "p"}]}
    path = _write(tmp_path, "doc.json", json.dumps(doc).encode())
    assert kind_of(str(path), None) == "textract"
    assert kind_of(str(_write(tmp_path, "plain.json", b'{"a": 1}')), None) == "json"
