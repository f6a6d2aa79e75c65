"""The worklist rows (CSV and HTML share them) and records shown as conversations."""

from __future__ import annotations

import json
from pathlib import Path

from fineprep.core.config import Settings
from fineprep.core.model import Finding, Location, Severity
from fineprep.report import REPORTERS, render
from fineprep.report.conversation import MAX_PARTS, conversation
from fineprep.report.worklist import (
    COLUMNS,
    DATASET,
    csv_cell,
    split_source,
    worklist_rows,
)
from fineprep.stages.check.engine import check_files
from fineprep.stages.check.state import CheckResult, FileState


def result_of(findings: list[Finding], files: list[FileState]) -> CheckResult:
    return CheckResult(findings, files, None, Settings(), {})


def test_source_rows_split_into_file_and_row() -> None:
    assert split_source("deeds.csv:row 17") == ("deeds.csv", "row 17")
    assert split_source("book.xlsx:Sheet1:row 5") == ("book.xlsx:Sheet1", "row 5")
    assert split_source("forms/doc-42.json:page 3") == ("forms/doc-42.json", "page 3")
    assert split_source("C:/data/x.csv:row 2") == ("C:/data/x.csv", "row 2")
    assert split_source("notes.txt") == ("notes.txt", "")
    assert split_source(None) == ("", "")


def test_cells_never_become_formulas_and_are_quoted() -> None:
    assert csv_cell('=HYPERLINK("x")') == '"\'=HYPERLINK(""x"")"'
    assert csv_cell("+1") == "'+1" and csv_cell("-2") == "'-2" and csv_cell("@SUM") == "'@SUM"
    assert csv_cell("a,b") == '"a,b"' and csv_cell("two\nlines") == '"two\nlines"'
    assert csv_cell("plain") == "plain"


def test_dataset_findings_form_their_own_group_first() -> None:
    files = [FileState("a.jsonl", records=3), FileState("b.jsonl", records=3)]
    findings = [
        Finding("B001", "class-imbalance", Severity.WARNING, "imbalanced", Location("a.jsonl")),
        Finding("N001", "too-few-records", Severity.ERROR, "3 records", Location("b.jsonl")),
        Finding("S001", "schema", Severity.ERROR, "bad", Location("a.jsonl", 2)),
        Finding("S001", "schema", Severity.ERROR, "bad", Location("b.jsonl", 1)),
        Finding("N006", "legacy-model", Severity.WARNING, "legacy", Location("")),
    ]
    rows = worklist_rows(result_of(findings, files))
    assert [(r.group, r.code) for r in rows] == [
        (DATASET, "B001"), (DATASET, "N001"), (DATASET, "N006"),
        ("a.jsonl", "S001"), ("b.jsonl", "S001"),
    ]  # fmt: skip
    # A class finding is not pinned on the file it was filed under; a count names its file.
    assert rows[0].data_file == "" and rows[1].data_file == "b.jsonl"


def test_worklist_csv_reporter(tmp_path: Path) -> None:
    assert REPORTERS.get("worklist-csv").machine
    data = tmp_path / "train.jsonl"
    lines = [{"prompt": "=cmd|' /C calc'!A0", "completion": "ok fine"}] * 2
    data.write_text("".join(json.dumps(x) + "\n" for x in lines))
    (tmp_path / "train.meta.jsonl").write_text(
        "".join(json.dumps({"source": f"sheet.csv:row {n}", "label": "ok"}) + "\n" for n in (2, 3))
    )
    out = render(check_files([str(data)], Settings(model="nova-lite")), "worklist-csv")
    header, *body = out.split("\r\n")[:-1]
    assert header == ",".join(COLUMNS)
    dup = next(line for line in body if ",D001," in line)
    assert dup.startswith(f"sheet.csv,row 3,{data},2,ok,D001,warning,duplicate of line 1,")
    assert dup.endswith(",sheet.csv:row 2 (line 1)")


def parts(record: object, path: str | None = None) -> list[tuple[str, str, bool]]:
    found = conversation(json.dumps(record).encode(), path, {})
    assert found is not None
    return [(p.role, p.text, p.hit) for p in found]


def test_conversation_records_read_as_turns_with_media_names() -> None:
    record = {
        "schemaVersion": "bedrock-conversation-2024",
        "system": [{"text": "Be brief."}],
        "messages": [
            {"role": "user", "content": [
                {"text": "What is in the file?"},
                {"image": {"format": "png", "source": {"s3Location": {"uri": "s3://b/i/cat.png"}}}},
                {"video": {"format": "mp4", "source": {"s3Location": {"uri": "s3://b/v/walk.mp4"}}}},
                {"document": {"format": "pdf", "name": "Invoice 7", "source": {"bytes": "AA=="}}},
            ]},
            {"role": "assistant", "content": [
                {"reasoningContent": {"reasoningText": {"text": "Look first."}}},
                {"text": "A cat."},
            ]},
        ],
    }  # fmt: skip
    assert parts(record, "$.messages[1].content[1].text") == [
        ("system", "Be brief.", False),
        ("user", "What is in the file?", False),
        ("user", "[image: cat.png]", False),
        ("user", "[video: walk.mp4]", False),
        ("user", "[document: Invoice 7 (pdf)]", False),
        ("reasoning", "Look first.", False),
        ("assistant", "A cat.", True),
    ]


def test_every_format_reads_as_a_conversation() -> None:
    claude = {
        "anthropic_version": "bedrock-2023-05-31", "system": "Be kind.",
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "Hi"},
                {"type": "image",
                 "source": {"type": "base64", "media_type": "image/png", "data": "AA"}},
                {"type": "document", "title": "Lease", "source": {"type": "base64", "data": "AA"}},
            ]},
            {"role": "assistant", "content": "Hello"},
        ],
    }  # fmt: skip
    assert parts(claude, "$.messages[1].content") == [
        ("system", "Be kind.", False), ("user", "Hi", False),
        ("user", "[image: base64 image/png]", False), ("user", "[document: Lease]", False),
        ("assistant", "Hello", True),
    ]  # fmt: skip
    assert parts({"prompt": "2+2?", "completion": "4"}, "$.completion") == [
        ("prompt", "2+2?", False),
        ("completion", "4", True),
    ]
    rft = {"messages": [{"role": "user", "content": "Add 2 and 2"}], "reference_answer": {"n": 4}}
    assert parts(rft) == [("user", "Add 2 and 2", False), ("reference answer", '{"n":4}', False)]
    caption = {"image-ref": "s3://b/dog.png", "caption": "A dog"}
    assert parts(caption, "$['image-ref']") == [
        ("image", "[image: dog.png]", True),
        ("caption", "A dog", False),
    ]
    assert parts({"input": "Plain text."}) == [("input", "Plain text.", False)]
    assert conversation(b'{"prompt": "cut', None) is None
    assert conversation(b"[1, 2]", None) is None


def test_long_conversations_keep_the_start_the_finding_and_the_end() -> None:
    turns = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": [{"text": f"turn {i}"}]}
        for i in range(20)
    ]
    found = parts({"schemaVersion": "bedrock-conversation-2024", "messages": turns},
                  "$.messages[9].content[0].text")  # fmt: skip
    assert len(found) <= MAX_PARTS + 2
    assert found[0][1] == "turn 0" and found[-1][1] == "turn 19"
    assert ("assistant", "turn 9", True) in found
    assert any(role == "…" for role, _, _ in found)


def test_text_is_masked_and_capped() -> None:
    found = parts({"prompt": "mail jane.doe@example.com " + "x" * 1000, "completion": "ok"})
    assert "jane.doe@example.com" not in found[0][1] and len(found[0][1]) < 200
