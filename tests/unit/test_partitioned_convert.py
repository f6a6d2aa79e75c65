"""``convert`` of a folder in partitions (one per file, or per set of files read together)
writes the output, sidecar and rejects a single process writes, byte for byte, with the same
summary. Small fixtures, nothing timed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fineprep.core.config import Settings, load_settings
from fineprep.engines.base import resolve_into
from fineprep.stages.convert.runner import convert

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "convert"


def _settings(jobs: int) -> Settings:
    s = load_settings(isolated=True)
    section = {"min-bytes": 1, "partition-bytes": 1}
    engine = "local" if jobs == 1 else "processes"
    s.sections["engine"] = resolve_into(section, jobs=jobs, engine=engine)
    return s


def _run(src: Path, out: Path, jobs: int, **options: object) -> tuple[dict[str, bytes], object]:
    out.mkdir()
    result = convert([str(src)], output=out / "train.jsonl", settings=_settings(jobs), **options)
    files = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    # The summary names the output folder and ends with the run's speed.
    lines = [line.replace(str(out), "OUT") for line in result.summary() if " rows/s)" not in line]
    summary = (result.rows, result.records, result.rejected, result.files_failed,
               result.notices, result.first_rejects, lines)  # fmt: skip
    return files, summary


@pytest.mark.parametrize(
    ("folder", "options"),
    [
        ("chat", {"to": "conversation"}),
        ("tabular", {"to": "prompt-completion", "prompt": "{{ text }}", "completion": "label"}),
    ],
)
def test_a_folder_converts_the_same_in_partitions(
    tmp_path: Path, folder: str, options: dict[str, object]
) -> None:
    src = tmp_path / "src"
    shutil.copytree(FIXTURES / folder, src, ignore=shutil.ignore_patterns("*.py", "encodings"))
    one = _run(src, tmp_path / "one", 1, **options)
    two = _run(src, tmp_path / "two", 2, **options)
    four = _run(src, tmp_path / "four", 4, **options)
    assert one[0], "nothing written"
    assert two == one
    assert four == one
    assert not list((tmp_path / "four").glob(".fineprep-part*"))


def test_an_interrupted_partitioned_run_leaves_no_part_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while parts are appended: the parts the workers already wrote go with the run."""
    import fineprep.stages.convert.runner as runner

    src = tmp_path / "src"
    shutil.copytree(FIXTURES / "chat", src, ignore=shutil.ignore_patterns("*.py", "encodings"))
    out = tmp_path / "out"
    out.mkdir()

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "add_part", interrupted)
    with pytest.raises(KeyboardInterrupt):
        convert([str(src)], output=out / "train.jsonl", settings=_settings(2), to="conversation")
    assert list(out.iterdir()) == []


def test_one_parquet_file_converts_in_runs_of_row_groups(tmp_path: Path) -> None:
    """A single table of many row groups is cut into slices of them; row numbers, rejects (a
    ClassLabel of -1), the one ClassLabel notice and the order are a single pass's."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    import itertools
    import json

    from fineprep.stages.convert.row_groups import parquet_slices

    n = 500
    labels = [(-1 if i % 97 == 5 else i % 3) for i in range(n)]
    table = pa.table({"text": [f"row {i} text" for i in range(n)], "label": labels})
    features = {
        "text": {"_type": "Value"},
        "label": {"_type": "ClassLabel", "names": ["a", "b", "c"]},
    }
    meta = {b"huggingface": json.dumps({"info": {"features": features}}).encode()}
    src = tmp_path / "table.parquet"
    pq.write_table(table.replace_schema_metadata(meta), src, row_group_size=37)
    slices = parquet_slices(str(src), 4, 1)
    assert slices is not None and len(slices) == 4
    assert slices[0].start == 0 and slices[-1].stop == 14
    assert all(a.stop == b.start for a, b in itertools.pairwise(slices))
    options = {"to": "prompt-completion", "prompt": "{{ text }}", "completion": "label"}
    one = _run(src, tmp_path / "one", 1, **options)
    four = _run(src, tmp_path / "four", 4, **options)
    assert four == one
    sources = [json.loads(x)["source"] for x in one[0]["train.meta.jsonl"].splitlines()]
    assert sources[-1].endswith("table.parquet:row 500")
    assert b"table.parquet:row 6" in one[0]["train.rejects.jsonl"]
    notices = one[1][4]
    assert sum("ClassLabel" in x for x in notices) == 1
    assert parquet_slices(str(tmp_path / "nope.parquet"), 4, 1) is None
