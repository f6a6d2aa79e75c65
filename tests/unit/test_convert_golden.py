"""Golden conversions: every fixture source kind and target, compared byte for byte.

Each case converts a fixture from ``fixtures/convert/tabular`` (run from that folder, so the
sidecar sources read ``reviews.csv:row 2``) and compares the records, sidecar and rejects with
``fixtures/convert/golden/<case>/``. After an intended change, regenerate with
``FINEPREP_UPDATE_GOLDEN=1 pytest tests/unit/test_convert_golden.py`` and review the diff.

Every output must also pass ``fineprep check`` for the case's model. N001 (too few records)
is ignored: a four-row fixture is below every model's minimum by design.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from fineprep.core.config import Settings
from fineprep.core.model import Severity
from fineprep.stages.check.engine import check_files
from fineprep.stages.convert.runner import convert
from tests.conftest import FIXTURES, needs_tokenizer

TABULAR = FIXTURES / "convert" / "tabular"
GOLDEN = FIXTURES / "convert" / "golden"
UPDATE = os.environ.get("FINEPREP_UPDATE_GOLDEN") == "1"

#: name -> (sources, options, expected (records, rejected, exit code))
CASES: dict[str, tuple[list[str], dict[str, Any], tuple[int, int, int]]] = {
    "reviews-prompt-completion": (
        ["reviews.csv"],
        {
            "model": "titan-text-express",
            "prompt": "Review title: {{ title }}\n{{ body }}",
            "completion": "label",
            "label": "label",
        },
        (4, 0, 0),
    ),
    "reviews-bom-claude": (
        ["reviews-bom.csv"],
        {
            "model": "claude-3-haiku",
            "system": "You label product reviews as positive, neutral or negative.",
            "prompt": "{{ title }}: {{ body }}",
            "completion": "label",
            "label": "label",
        },
        (4, 0, 0),
    ),
    "legacy-cp1252-conversation": (
        ["legacy-cp1252.csv"],
        {
            "model": "nova-micro",
            "prompt": "body",
            "completion": "label",
            "label": "label",
            "encoding": "cp1252",
        },
        (2, 0, 0),
    ),
    "semicolon": (
        ["semicolon.csv"],
        {"to": "prompt-completion", "prompt": "question", "completion": "answer"},
        (2, 0, 0),
    ),
    "tab-and-pipe": (["tabbed.tsv", "pipe.csv"], {"model": "titan-text-lite"}, (4, 0, 0)),
    "ragged": (
        ["ragged.csv"],
        {"to": "prompt-completion", "prompt": "Age of {{ name }}?", "completion": "age"},
        (1, 2, 1),
    ),
    "headers": (
        ["headers.csv"],
        {
            "to": "prompt-completion",
            "prompt": "text",
            "completion": "label",
            "label": "label_2",
            "id": "column_1",
        },
        (2, 0, 0),
    ),
    "empty-cell": (
        ["missing-field.csv"],
        {"to": "prompt-completion", "prompt": "body", "completion": "label"},
        (2, 1, 1),
    ),
    "classlabel-parquet": (
        ["classlabel.parquet"],
        {"model": "nova-micro", "prompt": "text", "completion": "label", "label": "label"},
        (3, 1, 1),
    ),
    "arrow-ipc": (["pairs.arrow"], {"model": "llama3-1-8b", "id": "id"}, (2, 0, 0)),
    "nested-jsonl": (
        ["nested.jsonl"],
        {
            "model": "claude-3-haiku",
            "prompt": "{{ q }} (written by {{ meta.author.name }})",
            "completion": "a",
            "group": "meta.lang",
        },
        (2, 3, 1),
    ),
    "structured-json": (
        ["structured.json"],
        {"to": "prompt-completion", "prompt": "doc", "completion_json": "answer"},
        (2, 1, 1),
    ),
    "images-conversation": (
        ["images.csv"],
        {
            "model": "nova-lite",
            "prompt": "question",
            "completion": "answer",
            "images": "uri",
            "bucket_owner": "111122223333",
        },
        (2, 2, 1),
    ),
    "docs-pretraining": (
        ["docs.jsonl"],
        {
            "model": "titan-text-express",
            "to": "pretraining",
            "id": "id",
            "chunk_tokens": 300,
            "overlap": 30,
            "min_chunk_tokens": 60,
        },
        (0, 1, 1),  # records are counted below; one empty document is rejected
    ),
    "frictionless": (
        ["frictionless/bom.csv", "frictionless/defective-rows.csv"],
        {"to": "prompt-completion", "prompt": "Say {{ name }}", "completion": "id"},
        (2, 2, 1),
    ),
}


def assert_golden(produced_in: Path, folder: Path) -> None:
    """The files in ``produced_in`` equal the golden copies in ``folder`` byte for byte (with
    FINEPREP_UPDATE_GOLDEN=1 they replace them)."""
    produced = {p.name: p.read_bytes() for p in sorted(produced_in.iterdir())}
    if UPDATE:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
        for file_name, data in produced.items():
            (folder / file_name).write_bytes(data)
    expected = {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
    assert sorted(produced) == sorted(expected)
    for file_name, data in produced.items():
        assert data == expected[file_name], (
            f"{folder.name}/{file_name} differs from the golden copy"
        )


def _run(name: str, out_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    sources, options, _ = CASES[name]
    monkeypatch.chdir(TABULAR)
    return convert(sources, output=out_dir / "out.jsonl", settings=Settings(), **options)


@needs_tokenizer
@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _run(name, tmp_path, monkeypatch)
    records, rejected, exit_code = CASES[name][2]
    if records:
        assert result.records == records
    else:
        assert result.records > result.rows - result.rejected  # chunked into several
    assert (result.rejected, result.exit_code) == (rejected, exit_code)
    assert_golden(tmp_path, GOLDEN / name)


@needs_tokenizer
@pytest.mark.parametrize("name", sorted(CASES))
def test_output_passes_check(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _run(name, tmp_path, monkeypatch)
    assert result.output is not None
    model = result.model or {"prompt-completion": "titan-text-express"}[result.target]
    checked = check_files(
        [str(result.output)], Settings(model=model, ignore=["N001"], extend_select=[])
    )
    errors = [f for f in checked.findings if f.severity is Severity.ERROR]
    assert errors == [], [f"{f.code} {f.message}" for f in errors]
    assert checked.records == result.records
    # The sidecar has one line per record, each naming the source row.
    meta_lines = result.sidecar.read_text("utf-8").splitlines()
    assert len(meta_lines) == result.records
    assert all('"source":"' in line for line in meta_lines)
