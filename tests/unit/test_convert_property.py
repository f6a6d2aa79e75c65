"""Property: no row is dropped without a reject. For any input, rows read = records written
(one per row, outside pre-training) + reject lines, and the sidecar has a line per record.

The inputs are generated to hold what real exports hold: nulls, empty and whitespace cells,
control characters, ragged rows, lines that are not JSON objects, chat turns in any order,
and folders where some files cannot be read at all.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fineprep.core.config import Settings
from fineprep.core.errors import FineprepError
from fineprep.stages.convert.runner import convert

PROPERTY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",))
    | st.sampled_from("\x00\x08\x1b\t\n\r é中"),
    max_size=12,
)
CELL = st.none() | TEXT | st.integers(-5, 5) | st.floats(allow_nan=True, allow_infinity=False)


def _count(path: Path) -> int:
    return len(path.read_bytes().splitlines()) if path.is_file() else 0


def _conserved(folder: Path, result: Any, rows_in: int) -> None:
    out = folder / "out.jsonl"
    rejects = _count(folder / "out.rejects.jsonl")
    assert result.rows == rows_in
    assert result.rejected == rejects
    assert _count(out) == result.records == _count(folder / "out.meta.jsonl")
    assert result.records + rejects == rows_in, (result.records, rejects, rows_in)


def _run(inputs: list[Path], folder: Path, **options: Any) -> Any:
    try:
        return convert(inputs, output=folder / "out.jsonl", settings=Settings(), **options)
    except FineprepError:
        return None


@PROPERTY
@given(
    rows=st.lists(
        st.dictionaries(st.sampled_from(["prompt", "completion", "note"]), CELL), max_size=12
    ),
    junk=st.lists(st.sampled_from(["[1]", "{bad", '"x"', "null"]), max_size=3),
)
def test_json_lines_rows_in_equal_records_plus_rejects(
    rows: list[dict[str, Any]], junk: list[str]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        lines = [json.dumps(r, allow_nan=True) for r in rows] + junk
        (folder / "in.jsonl").write_text("\n".join(lines) + "\n")
        result = _run(
            [folder / "in.jsonl"], folder, to="prompt-completion",
            prompt="{{ prompt }} {{ note | default('') }}", completion="completion",
        )  # fmt: skip
        if result is None:  # no rows at all: nothing to conserve
            assert not lines
            return
        _conserved(folder, result, len(lines))
        assert "None" not in (folder / "out.jsonl").read_text("utf-8") if result.records else True


CSV_CELL = st.text(alphabet=st.sampled_from('ab,"\n é\x08;'), max_size=6)


@PROPERTY
@given(rows=st.lists(st.lists(CSV_CELL, min_size=2, max_size=4), max_size=10))
def test_csv_rows_in_equal_records_plus_rejects(rows: list[list[str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows([["prompt", "completion", "x"], *rows])
        (folder / "in.csv").write_text(text.getvalue(), encoding="utf-8")
        result = _run([folder / "in.csv"], folder, to="prompt-completion", delimiter=",")
        if result is None:
            assert not rows
            return
        _conserved(folder, result, len(rows))


MESSAGE = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["system", "user", "assistant", "tool", "bot"]),
        "content": st.none() | TEXT,
    }
)


@PROPERTY
@given(
    records=st.lists(
        st.fixed_dictionaries({"messages": st.lists(MESSAGE, max_size=6)}), min_size=1, max_size=8
    )
)
def test_chat_records_in_equal_records_plus_rejects(records: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "chat.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
        result = _run([folder / "chat.jsonl"], folder, model="nova-micro", source="openai-chat")
        assert result is not None
        _conserved(folder, result, len(records))


@PROPERTY
@given(
    files=st.lists(
        st.sampled_from(["good", "good2", "nul", "empty", "badjson"]), min_size=1, max_size=6
    )
)
def test_a_folder_counts_each_unreadable_file_as_one_reject(files: list[str]) -> None:
    contents = {
        "good": b"prompt,completion\nq,a\n",
        "good2": b"prompt,completion\nq1,a1\nq2,a2\n",
        "nul": b"prompt,completion\nq,\x00\n",
        "empty": b"",
        "badjson": b"{nope",
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        inputs = folder / "in"
        inputs.mkdir()
        expected = 0
        for n, kind in enumerate(files):
            suffix = ".json" if kind == "badjson" else ".csv"
            (inputs / f"{n:02d}-{kind}{suffix}").write_bytes(contents[kind])
            expected += {"good": 1, "good2": 2}.get(kind, 1)
        result = _run([inputs], folder, to="prompt-completion")
        if result is None:  # the only file could not be read: its error was raised
            assert len(files) == 1 and files[0] not in ("good", "good2")
            return
        _conserved(folder, result, expected)
        assert result.files_failed == sum(k not in ("good", "good2") for k in files)
