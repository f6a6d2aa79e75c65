"""Every record a finding is about names its source row, and the per-file scope of rules.

Duplicates (D001), conflicts (D002), near-duplicates (D003) and leaks (D004) keep only line
numbers while the run streams; after it, each finding's related records and every location
without a source get their row from the sidecar. ``--scope record`` keeps only the rules that
judge a record alone (the per-file pre-commit hook).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from fineprep.core.config import Settings
from fineprep.core.model import Finding
from fineprep.report import render
from fineprep.stages.check import related
from fineprep.stages.check.engine import check_files
from fineprep.stages.check.rules import RULES
from fineprep.stages.check.selection import resolve_selection

ROOT = Path(__file__).resolve().parents[2]
LONG = (
    "Dear support team, I ordered a blue kettle on the third of May and paid for express "
    "delivery, but the parcel only arrived on the twentieth, the lid was cracked, the cable was "
    "missing and nobody answered my two emails, so I would like a full refund including the "
    "delivery charge and a prepaid label to send the kettle back to your warehouse in Leeds as "
    "soon as possible please"
)


def write(path: Path, records: list[tuple[str, str]], sources: list[str]) -> None:
    path.write_text("".join(json.dumps({"prompt": p, "completion": c}) + "\n" for p, c in records))
    meta = path.with_name(path.name.replace(".jsonl", ".meta.jsonl"))
    meta.write_text("".join(json.dumps({"source": s, "label": "x"}) + "\n" for s in sources))


def dataset(tmp_path: Path) -> tuple[Path, Path]:
    train, val = tmp_path / "train.jsonl", tmp_path / "validation.jsonl"
    write(
        train,
        [("What is 2+2?", "four"), ("Capital of France?", "Paris"), ("What is 2+2?", "four"),
         ("Capital of France?", "Lyon"), (LONG, "Refunds are issued within 14 days."),
         (LONG.replace("Leeds", "Hull"), "Refunds are issued within 14 days.")],
        [f"deeds.csv:row {n}" for n in range(2, 8)],
    )  # fmt: skip
    write(val, [("Capital of France?", "Paris")], ["holdout.xlsx:Sheet1:row 9"])
    return train, val


def by_code(findings: list[Finding]) -> dict[str, Finding]:
    return {f.code: f for f in findings}


def test_every_record_involved_names_its_source_row(tmp_path: Path) -> None:
    train, val = dataset(tmp_path)
    settings = Settings(model="nova-lite", extend_select=["D003"])
    result = check_files([str(train)], settings, validation=[str(val)])
    found = by_code(result.findings)
    dup, conflict, near, leak = (found[c] for c in ("D001", "D002", "D003", "D004"))
    assert (dup.location.line, dup.location.source) == (3, "deeds.csv:row 4")
    assert [(r.line, r.source) for r in dup.related] == [(1, "deeds.csv:row 2")]
    assert (conflict.location.source, conflict.related[0].source) == (
        "deeds.csv:row 5",
        "deeds.csv:row 3",
    )
    assert (near.location.source, near.related[0].source) == ("deeds.csv:row 7", "deeds.csv:row 6")
    assert leak.location.source == "holdout.xlsx:Sheet1:row 9"
    assert [(r.path, r.line, r.source) for r in leak.related] == [
        (str(train), 2, "deeds.csv:row 3")
    ]

    doc = json.loads(render(result, "json"))
    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text("utf-8"))
    jsonschema.validate(doc, schema)
    d001 = next(f for f in doc["findings"] if f["code"] == "D001")
    assert d001["related"] == [{"path": str(train), "line": 1, "source": "deeds.csv:row 2"}]
    assert "related" not in next(f for f in doc["findings"] if f["code"] == "N001")

    sarif = json.loads(render(result, "sarif"))
    item = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "D004")
    (rel,) = item["relatedLocations"]
    assert rel["physicalLocation"]["region"]["startLine"] == 2
    assert "deeds.csv:row 3" in rel["message"]["text"]

    text = render(result, "text")
    assert (
        f"{train}:3: D001 [warning] duplicate of line 1  [source: deeds.csv:row 4]  "
        f"[also: {train}:1 = deeds.csv:row 2]"
    ) in text


def test_related_survive_the_result_cache(tmp_path: Path) -> None:
    train, _ = dataset(tmp_path)
    result = check_files([str(train)], Settings(model="nova-lite"))
    again = [Finding.from_dict(f.to_dict()) for f in result.findings]
    assert [f.to_dict() for f in again] == [f.to_dict() for f in result.findings]


def test_record_scope_drops_every_dataset_rule(tmp_path: Path) -> None:
    every = resolve_selection(Settings(select=["ALL"], stats=True))
    record = resolve_selection(Settings(select=["ALL"], stats=True, scope="record"))
    dropped = every - record
    assert {"N001", "N002", "B001", "B002", "D001", "D002", "D003", "D004", "T005"} <= dropped
    assert all(RULES.get(c).scope == "dataset" for c in dropped)
    assert {"P001", "S001", "L002", "T001", "H001", "C003"} <= record

    train, _ = dataset(tmp_path)
    shard = check_files([str(train)], Settings(model="nova-lite", scope="record"))
    codes = {f.code for f in shard.findings}
    assert not codes & {"N001", "D001", "D002", "D003", "B002"}, codes


def test_findings_the_reader_emits_get_their_source_row_too(tmp_path: Path) -> None:
    data = tmp_path / "train.jsonl"
    data.write_text('{"prompt": "ok", "completion": "fine"}\n{"prompt": "cut\n\n')
    meta = [{"source": f"sheet.csv:row {n}"} for n in (2, 3, 4)]
    (tmp_path / "train.meta.jsonl").write_text("".join(json.dumps(m) + "\n" for m in meta))
    result = check_files([str(data)], Settings(model="nova-lite", select=["P"]))
    assert [(f.code, f.location.line, f.location.source) for f in result.findings] == [
        ("P001", 2, "sheet.csv:row 3"),
        ("P005", 3, "sheet.csv:row 4"),
    ]


def test_short_labels_are_judged_over_the_whole_file_when_partitioned(tmp_path: Path) -> None:
    """L002/L007 hold short answers per file: partitions (one line each) merge what they held,
    and the report is the single process's."""
    from fineprep.core.config import load_settings
    from fineprep.engines.base import EngineOptions

    labels = tmp_path / "labels.jsonl"
    labels.write_text(
        "".join(
            json.dumps({"prompt": f"story {i}", "completion": "1234"[i % 4]}) + "\n"
            for i in range(16)
        )
    )
    mixed = tmp_path / "mixed.jsonl"
    answers = ["1"] * 8 + ["."] + ["2"] * 7  # a "." is not a label: every short answer warns
    mixed.write_text(
        "".join(
            json.dumps({"prompt": f"q {i}", "completion": a}) + "\n" for i, a in enumerate(answers)
        )
    )
    engines = [
        EngineOptions("local", 1),
        EngineOptions("processes", 2, None, min_bytes=1, partition_bytes=1),
    ]
    for path, expect in ((labels, {"L007": 1}), (mixed, {"L002": 16})):
        reports = []
        for engine in engines:
            s = load_settings(isolated=True, overrides={"model": "nova-lite", "select": ["L"]})
            reports.append(render(check_files([str(path)], s, engine=engine), "json"))
        assert reports[0] == reports[1]
        assert json.loads(reports[0])["summary"]["by_code"] == expect


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(
        st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"")), min_size=0, max_size=30
    ),
    ending=st.sampled_from([b"\n", b"\r\n"]),
    final_newline=st.booleans(),
    block=st.integers(1, 16),
    max_bytes=st.integers(1, 20),
    data=st.data(),
)
def test_picked_lines_are_the_wanted_lines_of_a_line_by_line_read(
    lines: list[bytes],
    ending: bytes,
    final_newline: bool,
    block: int,
    max_bytes: int,
    data: st.DataObject,
) -> None:
    """The block reader returns, for every wanted line, what reading line by line gives (the
    line without its newline; a CR stays, which JSON reads as whitespace), whatever the block
    size; a line longer than the maximum is passed over."""
    text = ending.join(lines) + (ending if final_newline and lines else b"")
    physical = text.split(b"\n")
    if physical and physical[-1] == b"":
        physical.pop()
    wanted = sorted(set(data.draw(st.lists(st.integers(1, len(physical) + 2), max_size=10))))
    expect = [
        (n, physical[n - 1])
        for n in wanted
        if n <= len(physical) and len(physical[n - 1]) <= max_bytes + 1
    ]
    got = list(related.picked_lines(io.BytesIO(text), wanted, max_bytes, block))
    assert got == expect


def test_many_source_rows_read_with_the_typed_decoder_equal_the_general_parse(
    tmp_path: Path,
) -> None:
    """Past ``FAST_AFTER`` wanted lines the sidecar's plain lines take the check's typed
    decoder; every other line (a number, an extra key, a list, invalid JSON, a long integer)
    is parsed whole, and the sources are the same as parsing every line."""
    odd = [
        b'{"source": 12345678901234567890123, "label": "x"}',
        b'{"source": "rows.csv:row 9", "label": "x", "note": [1]}',
        b'{"source": 7}',
        b"[1, 2]",
        b"{not json",
        b'{"label": "x"}',
        b'{"source": null}',
        b'{"source": "caf\\u00e9.csv:row 1", "id": "a"}',
    ]
    lines = [
        odd[i % len(odd)] if i % 97 == 0 else json.dumps({"source": f"s.csv:row {i}"}).encode()
        for i in range(related.FAST_AFTER * 2)
    ]
    data = tmp_path / "d.jsonl"
    data.write_text("")
    data.with_name("d.meta.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    wanted = set(range(1, len(lines) + 1, 2)) | {1 + 97 * k for k in range(len(lines) // 97)}
    expect: dict[int, str] = {}
    for n in sorted(wanted):
        try:
            obj = json.loads(lines[n - 1])
        except ValueError:
            continue
        if isinstance(obj, dict) and obj.get("source") is not None:
            expect[n] = obj["source"] if isinstance(obj["source"], str) else str(obj["source"])
    assert len(wanted) > related.FAST_AFTER
    assert related._sources(str(data), wanted) == expect
    assert expect[1] == "12345678901234567890123"  # exact, not a float
