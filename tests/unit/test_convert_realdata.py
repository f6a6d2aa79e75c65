"""Every real third-party input converts to records that pass ``check``, or fails clearly.

Skipped when ../shared/realdata is absent. The Textract and IDP cases also skip until those
readers are installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fineprep.core.config import Settings
from fineprep.core.errors import FineprepError
from fineprep.core.model import Severity
from fineprep.stages.check.engine import check_files
from fineprep.stages.convert.runner import convert
from tests.conftest import REALDATA, needs_realdata, needs_tokenizer

pytestmark = [needs_realdata, needs_tokenizer]

TABULAR = REALDATA / "labelled_tabular"

#: file name -> convert options (a file not listed converts with the defaults)
MAPPINGS: dict[str, dict[str, Any]] = {
    "AG_news_samples.csv": {
        "model": "titan-text-express",
        "prompt": "Classify the news article.\nTitle: {{ title }}\n{{ description }}",
        "completion": "label",
        "label": "label",
    },
    "fine_food_reviews_1k.csv": {
        "model": "claude-3-haiku",
        "system": "Rate the review from 1 to 5.",
        "prompt": "{{ Summary }}\n{{ Text }}",
        "completion": "Score",
        "label": "Score",
        "group": "UserId",
        "id": "column_1",
    },
    "validation-00000-of-00001.parquet": {
        "model": "nova-micro",
        "prompt": "text",
        "completion": "intent",
        "label": "intent",
    },
    "bom.csv": {"model": "titan-text-express", "prompt": "Say {{ name }}", "completion": "id"},
    "defective-rows.csv": {"model": "titan-text-express", "prompt": "name", "completion": "age"},
}
#: files with no usable row: conversion must stop with exit code 2 and say why
NOTHING_USABLE = {"defective-rows.csv"}


def _passes_check(result: Any) -> None:
    checked = check_files([str(result.output)], Settings(model=result.model, ignore=["N001"]))
    errors = [f"{f.code} {f.message}" for f in checked.findings if f.severity is Severity.ERROR]
    assert errors == []
    assert checked.records == result.records
    meta = Path(result.sidecar).read_text("utf-8").splitlines()
    assert len(meta) == result.records


def _tabular_files() -> list[Path]:
    if not TABULAR.is_dir():
        return []
    return sorted(p for p in TABULAR.rglob("*") if p.is_file())


@pytest.mark.parametrize("path", _tabular_files(), ids=lambda p: p.name)
def test_labelled_tabular(path: Path, tmp_path: Path) -> None:
    options = MAPPINGS.get(path.name, {"to": "prompt-completion"})
    result = convert(path, output=tmp_path / "out.jsonl", settings=Settings(), **options)
    if path.name in NOTHING_USABLE:
        assert result.exit_code == 2 and result.output is None
        assert result.stopped and "rejected" in result.stopped
        assert "row has 2 fields but the header has 3" in result.first_rejects[0]
        return
    assert result.exit_code == 0, result.first_rejects
    assert result.records == result.rows
    _passes_check(result)


def test_classlabel_names_are_used_for_clinc() -> None:
    from fineprep.stages.convert.sources.tabular import read_parquet

    rows = read_parquet([str(TABULAR / "validation-00000-of-00001.parquet")], {})
    labels = {row.fields["intent"] for row in rows}
    assert len(labels) == 151 and "oos" in labels and "translate" in labels


def _documents(folder: str) -> list[Path]:
    root = REALDATA / folder
    return sorted(root.glob("*.json")) if root.is_dir() else []


@pytest.mark.parametrize("path", _documents("textract"), ids=lambda p: p.name)
@pytest.mark.parametrize("unit", ["document", "page"])
def test_textract(path: Path, unit: str, tmp_path: Path) -> None:
    pytest.importorskip("fineprep.stages.convert.textract.reader")
    try:
        result = convert(
            path,
            output=tmp_path / "cpt.jsonl",
            to="pretraining",
            model="titan-text-express",
            source_options={"unit": unit},
            min_chunk_tokens=50,
            settings=Settings(),
        )
    except FineprepError as exc:
        assert path.name in str(exc)
        assert "FAILED" in str(exc)
        return
    assert result.exit_code in (0, 1)
    assert result.records >= 1
    _passes_check(result)


@pytest.mark.parametrize("path", _documents("other_idp"), ids=lambda p: p.name)
def test_other_idp(path: Path, tmp_path: Path) -> None:
    pytest.importorskip("fineprep.stages.convert.idp.reader")
    result = convert(
        path,
        output=tmp_path / "idp.jsonl",
        source="idp",
        model="nova-lite",
        source_options={"image_uri": "s3://fineprep-data/{id}/pages/{page}.png"},
        prompt="Classify this document.",
        completion="{{ class or fields_json }}",
        bucket_owner="111122223333",
        settings=Settings(),
    )
    if path.name == "sample_1099_gt.json":  # ground truth only: no text, no page numbers
        assert result.exit_code == 2 and result.output is None
        assert "give textract_dir" in result.first_rejects[0]
        return
    assert result.exit_code in (0, 1), result.first_rejects
    _passes_check(result)


def _chat_files() -> list[Path]:
    return [p for folder in ("chat_jsonl_bad", "bedrock_jsonl") for p in _documents_of(folder)]


def _documents_of(folder: str) -> list[Path]:
    root = REALDATA / folder
    return sorted(root.glob("*.jsonl")) if root.is_dir() else []


@pytest.mark.parametrize("path", _chat_files(), ids=lambda p: p.name)
def test_chat_and_bedrock_files_convert_to_conversations(path: Path, tmp_path: Path) -> None:
    """OpenAI chat (with its deliberate defects) and Bedrock's own samples, by content alone."""
    result = convert(path, output=tmp_path / "chat.jsonl", model="nova-lite", settings=Settings())
    if path.name == "prompts_dataset.jsonl":  # {"input"} records: no answer to learn
        assert result.exit_code == 2 and "uses undefined field 'prompt'" in result.first_rejects[0]
        return
    assert result.exit_code in (0, 1), result.first_rejects
    _passes_check(result)
    if path.name == "toy_chat_fine_tuning.jsonl":
        assert (result.records, result.rejected) == (4, 1)
        assert "before any user message" in result.first_rejects[0]
