"""Record identity covers all content: text, media, tool blocks, tool definitions, reasoning.

Two Nova records that ask the same question about different images are different records: not
duplicates (D001), not conflicting labels (D002), not near-duplicates (D003) and not leaks
(D004); ``--fix --fix-duplicates`` drops a record only when its JSON equals its first copy's.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from fineprep.api import check
from fineprep.stages.check.fix import write_fixes

SCHEMA = "bedrock-conversation-2024"


def image_record(uri: str, question: str = "What is the invoice total?", fmt: str = "png") -> Any:
    return {
        "schemaVersion": SCHEMA,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"image": {"format": fmt, "source": {"s3Location": {"uri": uri}}}},
                    {"text": question},
                ],
            },
            {"role": "assistant", "content": [{"text": "1,204.50"}]},
        ],
    }


def write(path: Path, records: list[Any]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def codes(result: Any) -> list[tuple[int | None, str]]:
    return [(f.location.line, f.code) for f in result.findings]


def test_same_question_about_1000_images_is_1000_records(tmp_path: Path) -> None:
    records = [image_record(f"s3://bucket/pages/page-{i:04d}.png") for i in range(1000)]
    path = write(tmp_path / "train.jsonl", records)
    result = check(path, model="nova-lite", isolated=True, extend_select=["D003"])
    found = {code for _, code in codes(result)}
    assert not found & {"D001", "D002", "D003"}, sorted(found)
    summary = write_fixes(result, str(path), drop_duplicates=True)
    assert summary.dropped_duplicates == 0 and summary.kept == 1000


def test_same_image_same_question_is_still_a_duplicate(tmp_path: Path) -> None:
    rec = image_record("s3://bucket/pages/page-0001.png")
    other = image_record("s3://bucket/pages/page-0002.png")
    path = write(tmp_path / "train.jsonl", [rec, other, rec])
    result = check(path, model="nova-lite", isolated=True, select=["D001", "D002"])
    assert codes(result) == [(3, "D001")]


def test_same_image_different_answer_is_a_conflict_and_images_split_contexts(
    tmp_path: Path,
) -> None:
    a = image_record("s3://bucket/p/1.png")
    b = copy.deepcopy(a)
    b["messages"][1]["content"][0]["text"] = "99.00"
    c = image_record("s3://bucket/p/2.png")
    c["messages"][1]["content"][0]["text"] = "99.00"
    path = write(tmp_path / "train.jsonl", [a, b, c])
    result = check(path, model="nova-lite", isolated=True, select=["D001", "D002"])
    assert codes(result) == [(2, "D002")]


def test_leak_check_compares_images(tmp_path: Path) -> None:
    train = write(
        tmp_path / "train.jsonl", [image_record(f"s3://b/train/{i}.png") for i in range(50)]
    )
    val = write(tmp_path / "val.jsonl", [image_record(f"s3://b/val/{i}.png") for i in range(10)])
    result = check(train, model="nova-lite", isolated=True, validation=[val], select=["D004"])
    assert codes(result) == []
    leaked = write(tmp_path / "val2.jsonl", [image_record("s3://b/train/7.png")])
    result = check(train, model="nova-lite", isolated=True, validation=[leaked], select=["D004"])
    assert codes(result) == [(1, "D004")]


#: Ways to change one content field of a rich conversation record.
def _rich() -> Any:
    return {
        "schemaVersion": SCHEMA,
        "system": [{"text": "You read invoices."}],
        "toolConfig": {"tools": [{"toolSpec": {"name": "total", "inputSchema": {"json": {}}}}]},
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "image": {
                            "format": "png",
                            "source": {
                                "s3Location": {"uri": "s3://b/a.png", "bucketOwner": "111122223333"}
                            },
                        }
                    },
                    {"document": {"format": "pdf", "name": "inv", "source": {"bytes": "QUJD"}}},
                    {"text": "Total?"},
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"toolUse": {"toolUseId": "t1", "name": "total", "input": {"page": 1}}},
                ],
            },
            {
                "role": "user",
                "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "12"}]}}],
            },
            {
                "role": "assistant",
                "content": [
                    {"reasoningContent": {"reasoningText": {"text": "The tool said 12."}}},
                    {"text": "12.00"},
                ],
            },
        ],
    }


MUTATIONS: dict[str, Any] = {
    "system text": lambda r: r["system"][0].update(text="You read receipts."),
    "tool definition": lambda r: r["toolConfig"]["tools"][0]["toolSpec"].update(name="sum"),
    "image uri": lambda r: r["messages"][0]["content"][0]["image"]["source"]["s3Location"].update(
        uri="s3://b/b.png"
    ),
    "image format": lambda r: r["messages"][0]["content"][0]["image"].update(format="jpeg"),
    "bucket owner": lambda r: r["messages"][0]["content"][0]["image"]["source"][
        "s3Location"
    ].update(bucketOwner="444455556666"),
    "document bytes": lambda r: r["messages"][0]["content"][1]["document"]["source"].update(
        bytes="WFla"
    ),
    "question": lambda r: r["messages"][0]["content"][2].update(text="Total due?"),
    "tool use input": lambda r: r["messages"][1]["content"][0]["toolUse"].update(input={"page": 2}),
    "tool result": lambda r: r["messages"][2]["content"][0]["toolResult"].update(
        content=[{"text": "13"}]
    ),
    "reasoning": lambda r: r["messages"][3]["content"][0]["reasoningContent"][
        "reasoningText"
    ].update(text="It said twelve."),
    "answer": lambda r: r["messages"][3]["content"][1].update(text="12"),
}


@settings(max_examples=40, deadline=None)
@given(st.sets(st.sampled_from(sorted(MUTATIONS)), min_size=1))
def test_records_that_differ_in_any_content_field_are_never_duplicates(
    tmp_path_factory: Any, changed: set[str]
) -> None:
    base = _rich()
    other = copy.deepcopy(base)
    for name in changed:
        MUTATIONS[name](other)
    path = write(tmp_path_factory.mktemp("d") / "train.jsonl", [base, other, base])
    result = check(path, model="nova-2-lite", isolated=True, select=["D001"])
    assert codes(result) == [(3, "D001")], changed


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.sampled_from(["q1", "q2"]), st.booleans()),
        min_size=2,
        max_size=12,
    )
)
def test_fix_duplicates_drops_only_records_equal_in_every_field(
    tmp_path_factory: Any, picks: list[tuple[int, str, bool]]
) -> None:
    records = []
    for image, question, reorder in picks:
        rec = image_record(f"s3://b/{image}.png", question)
        if reorder:  # the same content with another key order: still the same record
            rec = {"messages": rec["messages"], "schemaVersion": SCHEMA}
        records.append(rec)
    path = write(tmp_path_factory.mktemp("f") / "train.jsonl", records)
    result = check(path, model="nova-lite", isolated=True, select=["D001"])
    write_fixes(result, str(path), drop_duplicates=True)
    kept = [orjson.loads(x) for x in (path.parent / "train.fixed.jsonl").read_bytes().splitlines()]
    canon = [orjson.dumps(r, option=orjson.OPT_SORT_KEYS) for r in records]
    kept_canon = [orjson.dumps(r, option=orjson.OPT_SORT_KEYS) for r in kept]
    assert kept_canon == list(dict.fromkeys(canon))  # first copies, in order; nothing else lost


def test_split_of_1000_image_records_finds_no_leak_and_merges_nothing(tmp_path: Path) -> None:
    from fineprep.api import split

    records = [image_record(f"s3://bucket/pages/page-{i:04d}.png") for i in range(1000)]
    path = write(tmp_path / "pages.jsonl", records)
    result = split(path, tmp_path / "out", validation=0.2, model="nova-lite")
    assert [f for f in result.check.findings if f.code.startswith("D")] == []
    assert result.summary["groups"]["merged_records"] == 0
    assert result.counts["validation"] == 200
