"""Google Document AI files whose names look like shards: only files with ``shardInfo`` are
joined into one document, and only when their text offsets follow each other."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fineprep.stages.convert.docai.reader import read_docai
from fineprep.stages.convert.sources.base import SourceReject, SourceRow


def document(text: str, shard: dict[str, str] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "mimeType": "application/pdf",
        "text": text,
        "pages": [
            {
                "pageNumber": 1,
                "layout": {"textAnchor": {"textSegments": [{"endIndex": str(len(text))}]}},
            }
        ],
    }
    if shard is not None:
        doc["shardInfo"] = shard
    return doc


def items(folder: Path, docs: dict[str, dict[str, Any]]) -> list[SourceRow | SourceReject]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, doc in docs.items():
        (folder / name).write_text(json.dumps(doc))
    return list(read_docai([str(p) for p in sorted(folder.iterdir())], {}))


def summary(found: list[SourceRow | SourceReject]) -> list[tuple[str, str]]:
    return [
        (i.fields["document"]["id"], i.fields["document"]["text"])
        if isinstance(i, SourceRow)
        else ("rejected", i.reason)
        for i in found
    ]


def test_documents_named_with_a_number_are_not_shards(tmp_path: Path) -> None:
    found = items(
        tmp_path,
        {"invoice-2023.json": document("Invoice for Alice"), "invoice-2024.json": document("Bob")},
    )
    assert summary(found) == [("invoice-2023", "Invoice for Alice"), ("invoice-2024", "Bob")]


def test_a_document_beside_a_one_shard_output_of_the_same_name(tmp_path: Path) -> None:
    found = items(
        tmp_path,
        {"doc-0.json": document("Sharded", {"shardCount": "1"}), "doc.json": document("Whole")},
    )
    assert summary(found) == [("doc", "Sharded"), ("doc", "Whole")]


def two_shards(offset: str) -> dict[str, dict[str, Any]]:
    """``big-0.json`` and ``big-1.json``, the second saying its text starts at ``offset``."""
    second = {"shardCount": "2", "shardIndex": "1", "textOffset": offset}
    return {
        "big-0.json": document("One ", {"shardCount": "2"}),
        "big-1.json": document("two", second),
    }


def test_shards_are_joined_and_an_unsharded_namesake_stays_apart(tmp_path: Path) -> None:
    found = items(tmp_path, {**two_shards("4"), "big-2.json": document("Other")})
    assert summary(found) == [("big", "One\n\ntwo"), ("big-2", "Other")]


def test_shards_whose_offsets_do_not_follow_are_refused(tmp_path: Path) -> None:
    [(what, reason)] = summary(items(tmp_path, two_shards("9")))
    assert what == "rejected"
    assert f"{tmp_path}/big-1.json (shard 1) says its text starts at character 9" in reason
    assert "the shards before it hold 4" in reason
