"""convert on hostile inputs: nothing garbled, nothing lost, nothing half-written.

A CSV with rows in two encodings is refused (any one codec garbles one of them); a JSON Lines
line over the maximum is that line's reject and the lines after it still convert; a chat file
whose first line is broken is still read as a chat file; an output path taken by a folder fails
before anything is written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fineprep.api import convert
from fineprep.core.errors import InputError
from fineprep.io.jsonl import MAX_LINE_BYTES
from tests.conftest import FIXTURES


def test_a_csv_of_two_encodings_is_refused_naming_a_line_of_each(tmp_path: Path) -> None:
    data = tmp_path / "mixed.csv"
    data.write_bytes(
        b"prompt,completion\n"
        + '"Où est le café ?","Près de la crème brûlée"\n'.encode()
        + '"Zürich?","Schön"\n'.encode("latin-1")
    )
    with pytest.raises(InputError, match="mixes encodings: line 2 is UTF-8 and line 3 is not"):
        convert(str(data), output=tmp_path / "o.jsonl", model="nova-lite",
                prompt="{{prompt}}", completion="{{completion}}")  # fmt: skip
    assert not (tmp_path / "o.jsonl").exists()


def test_a_legacy_file_with_one_chance_utf8_pair_is_not_mixed() -> None:
    from fineprep.stages.convert.sources.encoding import _refuse_mixed

    # "Ã©" written in cp1252 is C3 A9, which is also UTF-8 for one character: chance, not UTF-8.
    lines = ['"AÃ©B","x"\n'.encode("cp1252"), '"Zürich ist schön","y"\n'.encode("cp1252")]
    _refuse_mixed("legacy.csv", b"".join(lines), [2, 3])
    lines.append('"Où est le café ?","z"\n'.encode())
    with pytest.raises(InputError, match="line 2 is UTF-8 and line 3 is not"):
        _refuse_mixed("legacy.csv", b"".join(lines), [2, 3, 4])


def test_a_line_over_the_maximum_is_its_own_reject(tmp_path: Path) -> None:
    data = tmp_path / "long.jsonl"
    good = [json.dumps({"prompt": f"p{i}", "completion": f"c{i}"}) for i in range(4)]
    big = json.dumps({"prompt": "x" * (MAX_LINE_BYTES + 10), "completion": "y"})
    data.write_text("\n".join([*good[:2], big, *good[2:]]) + "\n")
    out = tmp_path / "o.jsonl"
    result = convert(str(data), output=out, model="nova-lite",
                     prompt="{{prompt}}", completion="{{completion}}")  # fmt: skip
    assert len(out.read_text().splitlines()) == 4
    rejects = [json.loads(x) for x in (tmp_path / "o.rejects.jsonl").read_text().splitlines()]
    assert [r["source"] for r in rejects] == [f"{data}:line 3"]
    assert "longer than the maximum" in rejects[0]["reason"]
    assert result.rejected == 1


def test_a_chat_file_with_a_broken_first_line_is_still_a_chat_file(tmp_path: Path) -> None:
    lines = (FIXTURES / "demo" / "train.jsonl").read_text().splitlines()
    data = tmp_path / "chat.jsonl"
    data.write_text("\n".join([lines[0].rstrip("}") + ",}", *lines[1:]]) + "\n")
    out = tmp_path / "o.jsonl"
    result = convert(str(data), output=out, model="nova-lite")
    assert len(out.read_text().splitlines()) == len(lines) - 1
    assert result.rejected == 1


def test_an_output_path_taken_by_a_folder_fails_before_writing(tmp_path: Path) -> None:
    data = tmp_path / "x.jsonl"
    data.write_text('{"prompt": "p", "completion": "c"}\n')
    (tmp_path / "o.set.json").mkdir()
    with pytest.raises(InputError, match=r"o\.set\.json: exists and is a directory"):
        convert(str(data), output=tmp_path / "o.jsonl", model="nova-lite",
                prompt="{{prompt}}", completion="{{completion}}")  # fmt: skip
    assert not (tmp_path / "o.jsonl").exists() and not (tmp_path / "o.meta.jsonl").exists()
