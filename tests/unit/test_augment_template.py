"""The template strategy: convert's prompt re-rendered from each record's source row with the
alternative templates; records that no longer match their row are left alone."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from fineprep.api import convert
from fineprep.core.config import load_settings
from fineprep.core.errors import ConfigError
from fineprep.stages.augment.runner import augment
from tests.conftest import FIXTURES

CONFIG = """
model = "nova-lite"

[convert]
inputs = ["tickets.csv"]
to = "conversation"
system = "You are a support agent."
prompt = "{{ customer_message }}"
completion = "{{ agent_reply }}"
label = "category"
id = "ticket_id"

[augment]
strategy = "template"

[augment.template]
prompts = [
  "Customer writes: {{ customer_message }}",
  "Ticket {{ ticket_id }}: {{ customer_message }}",
]
"""


@pytest.fixture
def converted(tmp_path: Path) -> tuple[Path, Path]:
    shutil.copy(FIXTURES / "demo" / "run" / "tickets.csv", tmp_path / "tickets.csv")
    config = tmp_path / "fineprep.toml"
    config.write_text(CONFIG)
    out = tmp_path / "tickets.jsonl"
    assert convert(output=out, config=config).exit_code == 0
    return config, out


def _rows(tmp_path: Path) -> dict[str, dict[str, str]]:
    with (tmp_path / "tickets.csv").open(newline="") as fh:
        return {row["ticket_id"]: row for row in csv.DictReader(fh)}


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_variants_are_the_alternative_templates_over_the_source_row(
    tmp_path: Path, converted: tuple[Path, Path]
) -> None:
    config, data = converted
    result = augment(data, tmp_path / "more.jsonl", per_class=14, settings=load_settings(config))
    assert result.strategies == {"template": 6} and not result.short
    rows = _rows(tmp_path)
    records, metas = _lines(tmp_path / "more.jsonl"), _lines(tmp_path / "more.meta.jsonl")
    originals = {m["id"]: r for r, m in zip(records[:36], metas[:36], strict=True)}
    for record, meta in zip(records[36:], metas[36:], strict=True):
        row = rows[str(meta["augmented_from"])]
        prompt = record["messages"][0]["content"][0]["text"]  # type: ignore[index]
        assert prompt in (
            f"Customer writes: {row['customer_message']}",
            f"Ticket {row['ticket_id']}: {row['customer_message']}",
        )
        original = originals[meta["augmented_from"]]
        assert record["messages"][1] == original["messages"][1]  # type: ignore[index]
        assert record["system"] == original["system"]
        assert meta["augment_strategy"] == "template"
        assert str(meta["augment_detail"]).startswith("prompt template ")
        assert meta["source"] == f"{Path(str(meta['source'])).name}" or ":row " in str(
            meta["source"]
        )
    counts = {label: row["original"] + row["augmented"] for label, row in result.classes.items()}
    assert counts == {"account": 14, "billing": 14, "shipping": 14}


def test_records_edited_after_conversion_are_left_alone(
    tmp_path: Path, converted: tuple[Path, Path]
) -> None:
    config, data = converted
    fixed = []
    for line in data.read_text().splitlines():
        obj = json.loads(line)
        text = obj["messages"][0]["content"][0]
        text["text"] = "EDITED " + text["text"]  # the prompt no longer matches its row
        fixed.append(json.dumps(obj))
    data.write_text("\n".join(fixed) + "\n")
    result = augment(data, tmp_path / "more.jsonl", per_class=13, settings=load_settings(config))
    assert result.made == 0 and result.short == {"account": 1, "billing": 1, "shipping": 1}
    assert any("no longer match their source row" in note for note in result.notes)


def test_sources_converted_from_another_folder_match_by_file_name(
    tmp_path: Path, converted: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, data = converted
    elsewhere = tmp_path / "deep" / "er"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)  # the sources are now named by another relative path
    result = augment(data, tmp_path / "more.jsonl", target=40, settings=load_settings(config))
    assert result.made == 4 and result.strategies == {"template": 4}


def test_template_strategy_needs_templates_and_sources(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text('{"prompt": "p", "completion": "c"}\n')
    settings = load_settings(None, isolated=True)
    with pytest.raises(ConfigError, match="no alternative prompt templates"):
        augment(data, tmp_path / "o.jsonl", target=2, strategy="template", settings=settings)
    with pytest.raises(ConfigError, match="configure \\[convert\\] inputs"):
        augment(
            data, tmp_path / "o.jsonl", target=2, strategy="template", templates=("x {{ a }}",),
            settings=settings,
        )  # fmt: skip
