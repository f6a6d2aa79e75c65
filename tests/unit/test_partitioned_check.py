"""Partitioned ``check`` gives the single process's answer, byte for byte.

Generated datasets put exact duplicates, conflicting answers and near-duplicates on both
sides of partition boundaries (partitions of one byte each cut after every line), with a
validation file that leaks training records; ``--jobs 1``, 2 and 4 must render the same JSON
report. Small data, nothing timed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fineprep.core.config import load_settings
from fineprep.engines.base import (
    MAX_PARTITION_BYTES,
    MIN_PARTITION_BYTES,
    EngineOptions,
    engine_options,
)
from fineprep.engines.local import LocalEngine
from fineprep.engines.partitions import jsonl_ranges, line_offsets, partition_count, read_range
from fineprep.report import render
from fineprep.stages.check.engine import check_files

QUESTIONS = [f"how do I reset the router in room {k} of the west wing" for k in range(6)]
ANSWERS = ["yes", "no", "call support", "unplug it for ten seconds, then plug it back in", "1",
           "2", "-"]  # fmt: skip


def _record(kind: int, q: int, a: int) -> str:
    if kind == 0:
        return json.dumps({"prompt": QUESTIONS[q], "completion": ANSWERS[a]})
    if kind == 1:  # a near-duplicate: one word changed
        return json.dumps({"prompt": QUESTIONS[q] + " please", "completion": ANSWERS[a]})
    if kind == 2:
        return ""  # blank line (P005)
    if kind == 3:
        return '{"prompt": "broken'  # P001
    return json.dumps([QUESTIONS[q]])  # P002


LINES = st.lists(
    st.tuples(
        st.sampled_from([0, 0, 0, 0, 1, 1, 2, 3, 4]),
        st.integers(0, len(QUESTIONS) - 1),
        st.integers(0, len(ANSWERS) - 1),
    ),
    min_size=1,
    max_size=40,
)


def _run(
    paths: list[str], val: list[str], stats: bool, engine: EngineOptions, exact: bool = False
) -> str:
    s = load_settings(isolated=True, overrides={"model": "nova-lite"})
    s.stats = stats
    s.exact_tokens = exact
    s.token_sample_size = 3
    result = check_files(paths, s, validation=val, engine=engine)
    return render(result, "json", color=False)


def _engines() -> list[EngineOptions]:
    return [
        EngineOptions("local", 1),
        EngineOptions("processes", 2, None, min_bytes=1, partition_bytes=1),
        EngineOptions("processes", 4, None, min_bytes=1, partition_bytes=1),
    ]


@pytest.mark.slow
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    train=LINES,
    leaks=st.lists(st.integers(0, 39), max_size=5),
    stats=st.booleans(),
    sidecar=st.one_of(st.none(), st.integers(-2, 2)),
    exact=st.booleans(),
)
def test_jobs_give_the_same_report(
    tmp_path: Path,
    train: list[tuple[int, int, int]],
    leaks: list[int],
    stats: bool,
    sidecar: int | None,
    exact: bool,
) -> None:
    lines = [_record(*t) for t in train]
    train_path = tmp_path / "train.jsonl"
    train_path.write_text("\n".join(lines) + "\n")
    meta = tmp_path / "train.meta.jsonl"
    meta.unlink(missing_ok=True)
    if sidecar is not None:
        # Labels and groups per line; a sidecar shorter or longer than the data (S009).
        count = max(0, len(lines) + sidecar)
        rows = [json.dumps({"id": f"r{i}", "label": ANSWERS[i % 6]}) for i in range(count)]
        meta.write_text("".join(r + "\n" for r in rows))
    kept = [lines[i] for i in leaks if i < len(lines) and lines[i]]
    val_path = tmp_path / "validation.jsonl"
    val_path.write_text("\n".join([*kept, _record(0, 1, 3)]) + "\n")
    reports = [_run([str(train_path)], [str(val_path)], stats, e, exact) for e in _engines()]
    assert reports[1] == reports[0]
    assert reports[2] == reports[0]


def test_exact_token_counts_of_partitions_join_the_report(tmp_path: Path) -> None:
    """With --exact-tokens every record is counted in its partition's worker; the coordinator
    holds those counts by tickets of its own (negative numbers) beside any it counted."""
    lines = [_record(0, k % 6, k % 7) for k in range(30)]
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(lines) + "\n")
    reports = [json.loads(_run([str(path)], [], True, e, exact=True)) for e in _engines()]
    assert reports[0] == reports[1] == reports[2]
    tokens = reports[0]["summary"]["tokens"]
    assert tokens["exact"] is True and tokens["tokenized_records"] == 30


def test_duplicates_across_a_boundary_are_found(tmp_path: Path) -> None:
    lines = [_record(0, 0, 0), _record(0, 1, 1), _record(0, 0, 0), _record(0, 1, 2)]
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(lines) + "\n")
    reports = [json.loads(_run([str(path)], [], False, e)) for e in _engines()]
    assert reports[0] == reports[1] == reports[2]
    codes = [(f["line"], f["code"]) for f in reports[2]["findings"]]
    assert (3, "D001") in codes and (4, "D002") in codes


def _expected_cuts(data: bytes, count: int) -> list[int]:
    """The definition: just past the first newline at or after each ``size * k // count``."""
    cuts = [0]
    for k in range(1, count):
        found = data.find(b"\n", len(data) * k // count)
        if found < 0:
            break
        if cuts[-1] < found + 1 < len(data):
            cuts.append(found + 1)
    return cuts


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.lists(st.sampled_from([b"\n", b"ab", b"x", b"\r\n", b"{}"]), max_size=80).map(b"".join),
    parts=st.integers(2, 9),
)
def test_ranges_follow_their_definition(tmp_path: Path, data: bytes, parts: int) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(data)
    ranges = jsonl_ranges(LocalEngine(), str(path), len(data), None, parts, min_part=1)
    count = max(1, min(parts, len(data)))
    assert [r.start for r in ranges] == (_expected_cuts(data, count) if count > 1 else [0])
    assert b"".join(b"".join(read_range(str(path), r)) for r in ranges) == data
    for r in ranges:
        assert r.first_line == data[: r.start].count(b"\n") + 1


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(st.integers(0, 9), max_size=3000),
    final_newline=st.booleans(),
    data=st.data(),
)
def test_line_offsets_are_where_the_lines_start(
    tmp_path: Path, lines: list[int], final_newline: bool, data: st.DataObject
) -> None:
    """Offsets of wanted lines in a sidecar (thousands of short lines: the counted windows)
    are those of a line-by-line read: the end of the file for the line after the last."""
    text = b"\n".join(b"x" * n for n in lines) + (b"\n" if final_newline and lines else b"")
    path = tmp_path / "x.meta.jsonl"
    path.write_bytes(text)
    starts = [0] + [k + 1 for k, byte in enumerate(text) if byte == 10]
    total = len(starts) if text and not text.endswith(b"\n") else len(starts) - 1
    wanted = sorted(set(data.draw(st.lists(st.integers(1, total + 3), max_size=12))))
    expect = [
        starts[n - 1]
        if n - 1 < len(starts) and n <= total
        else (len(text) if n == total + 1 else None)
        for n in wanted
    ]
    assert line_offsets(str(path), wanted) == expect


def test_ranges_cut_on_lines_and_number_them(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    data = b"".join(b"%d\n" % k for k in range(100)) + b"tail"
    path.write_bytes(data)
    ranges = jsonl_ranges(LocalEngine(), str(path), len(data), None, 4, min_part=1)
    assert len(ranges) == 4
    assert b"".join(b"".join(read_range(str(path), r)) for r in ranges) == data
    for r in ranges:
        assert r.first_line == data[: r.start].count(b"\n") + 1
        assert r.start == 0 or data[r.start - 1 : r.start] == b"\n"


def test_jobs_resolve_option_over_environment_over_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINEPREP_JOBS", "3")
    assert engine_options({"jobs": 5}).jobs == 3
    assert engine_options({"jobs": 5}, jobs=2).jobs == 2
    monkeypatch.delenv("FINEPREP_JOBS")
    assert engine_options({"jobs": 5}).jobs == 5
    assert engine_options({}, scheduler="tcp://h:1").engine == "dask"


def test_a_small_file_stays_in_one_process(tmp_path: Path) -> None:
    from fineprep.engines.base import EngineHolder
    from fineprep.stages.check.engine import new_run
    from fineprep.stages.check.partition import plan
    from fineprep.stages.check.state import FileState

    path = tmp_path / "train.jsonl"
    path.write_text(_record(0, 0, 0) + "\n" + _record(0, 1, 0) + "\n")
    s = load_settings(isolated=True)
    run, _ = new_run(s)
    options = EngineOptions("processes", 4)  # default threshold: megabytes
    holder = EngineHolder(options)
    assert plan(str(path), FileState(str(path)), run, options, holder) is None
    small = EngineOptions("processes", 4, None, min_bytes=1, partition_bytes=1)
    assert plan(str(path), FileState(str(path)), run, small, EngineHolder(small)) is not None


def test_many_findings_come_back_through_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fineprep.stages.check import partition

    monkeypatch.setattr(partition, "_INLINE_FINDINGS", 0)  # forked workers inherit it
    lines = [_record(0, k % 6, 0) for k in range(60)] + ["", '{"prompt": "broken']
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(lines) + "\n")
    reports = [_run([str(path)], [], False, e) for e in _engines()]
    assert reports[1] == reports[0] and reports[2] == reports[0]
    assert json.loads(reports[0])["summary"]["warnings"] > 50


@pytest.mark.parametrize("tail", [[], ["-"]])
def test_short_answers_are_judged_over_the_whole_file(tmp_path: Path, tail: list[str]) -> None:
    """L002/L007 decide from every short answer of the file, whatever the partitions."""
    answers = ["1", "2"] * 10 + tail + ["3"] * 4
    lines = [json.dumps({"prompt": QUESTIONS[k % 6] + f" {k}", "completion": a})
             for k, a in enumerate(answers)]  # fmt: skip
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(lines) + "\n")
    reports = [_run([str(path)], [], False, e) for e in _engines()]
    assert reports[1] == reports[0] and reports[2] == reports[0]
    codes = json.loads(reports[0])["summary"]["by_code"]
    assert ("L002" in codes) == bool(tail) and ("L007" in codes) != bool(tail)


def test_short_answers_without_labels_warn_one_by_one(tmp_path: Path) -> None:
    lines = [json.dumps({"prompt": f"{QUESTIONS[k % 6]} {k}", "completion": "1"}) for k in range(9)]
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(lines) + "\n")
    reports = []
    for engine in _engines():
        s = load_settings(isolated=True, overrides={"model": "nova-lite"})
        s.checks["L002"] = {"labels": False}
        reports.append(render(check_files([str(path)], s, engine=engine), "json", color=False))
    assert reports[1] == reports[0] and reports[2] == reports[0]
    assert json.loads(reports[0])["summary"]["by_code"]["L002"] == 9


def test_the_result_cache_ignores_where_partitions_run(tmp_path: Path) -> None:
    from fineprep.engines.base import resolve_into
    from fineprep.stages.check.cache import cache_key

    path = tmp_path / "train.jsonl"
    path.write_text(_record(0, 0, 0) + "\n")
    keys = set()
    for jobs in (1, 3):
        s = load_settings(isolated=True)
        s.sections["engine"] = resolve_into({}, jobs=jobs)
        key = cache_key(s, {"train": [str(path)]})
        assert key is not None
        keys.add(key.digest)
    assert len(keys) == 1


@given(size=st.integers(0, 1 << 40), parts=st.integers(2, 64))
def test_partitions_come_in_whole_rounds_of_the_workers(size: int, parts: int) -> None:
    """No partition over the maximum, none under the minimum unless the input is, and more
    partitions than workers only in whole rounds (no worker runs a last partition alone)."""
    count = partition_count(size, parts, MIN_PARTITION_BYTES)
    if count == 1:
        assert size < 2 * MIN_PARTITION_BYTES
        return
    assert size <= count * MAX_PARTITION_BYTES
    assert size // count >= MIN_PARTITION_BYTES
    assert count <= parts or count % parts == 0
