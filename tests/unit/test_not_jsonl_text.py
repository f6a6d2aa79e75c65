"""Files that are not JSONL text at all: one finding for the file, the same on every engine,
and nothing "fixed" out of them.

A gzip or zstd file, a zip archive or a UTF-16 file would otherwise give one P001/P003 per
line (and a partitioned run one set per partition); a JSON array's lines are not records, so
``--fix`` must not keep ``{...},`` and ``]`` as if they were.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from fineprep.core.config import settings_from_table
from fineprep.engines.base import EngineOptions
from fineprep.stages.check.engine import check_files
from fineprep.stages.check.fix import write_fixes

LINES = "".join(f'{{"prompt": "question {i}", "completion": "answer {i}"}}\n' for i in range(50))


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (gzip.compress(LINES.encode()), "gzip-compressed"),
        (b"\x28\xb5\x2f\xfd" + bytes(range(256)) * 4, "zstd-compressed"),
        (b"PK\x03\x04" + bytes(range(256)) * 4, "a zip archive"),
        (LINES.encode("utf-16"), "UTF-16 (little-endian byte-order mark)"),
        (LINES.encode("utf-16-be").join([b"\xfe\xff", b""]), "UTF-16 (big-endian byte-order mark)"),
    ],
)
@pytest.mark.parametrize("jobs", [1, 2])
def test_one_finding_for_the_file(tmp_path: Path, content: bytes, what: str, jobs: int) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(content)
    settings = settings_from_table({})
    engine = EngineOptions(jobs=jobs, min_bytes=1, partition_bytes=64)
    result = check_files([str(path)], settings, engine=engine)
    parse = [(f.code, f.location.line, f.message) for f in result.findings if f.code[0] == "P"]
    assert len(parse) == 1 and parse[0][:2] == ("P003", 1)
    assert parse[0][2].startswith(f"file is {what}, not UTF-8 JSONL text")
    summary = write_fixes(result, str(path))
    assert summary.kept == 0 and not (tmp_path / "train.fixed.jsonl").exists()


def test_fix_keeps_nothing_of_a_json_array(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text(
        '[\n{"prompt": "a", "completion": "b"},\n{"prompt": "c", "completion": "d"}\n]\n'
    )
    result = check_files([str(path)], settings_from_table({}))
    assert [f.code for f in result.findings] == ["P006"]
    summary = write_fixes(result, str(path))
    assert summary.kept == 0 and not (tmp_path / "train.fixed.jsonl").exists()
