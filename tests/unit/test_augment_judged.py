"""Variants are held to what ``check`` says of them: the per-record rules (an error is never
written), D004 against held-out files, and --max-per-record across runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fineprep.api import check, convert
from fineprep.core.config import load_settings
from fineprep.core.errors import InputError
from fineprep.stages.augment.runner import augment
from tests.conftest import FIXTURES
from tests.unit.test_augment_template import CONFIG as TEMPLATE_CONFIG

#: The template strategy's own config, with a template that writes Nova's reserved "User:".
CONFIG = TEMPLATE_CONFIG.replace(
    '"Customer writes: {{ customer_message }}"', '"User: {{ customer_message }}"'
)


def _metas(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_variant_with_a_reserved_string_is_not_written(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "demo" / "run" / "tickets.csv", tmp_path / "tickets.csv")
    config = tmp_path / "fineprep.toml"
    config.write_text(CONFIG)
    data = tmp_path / "tickets.jsonl"
    assert convert(output=data, config=config).exit_code == 0
    out = tmp_path / "more.jsonl"
    result = augment(data, out, per_class=14, settings=load_settings(config))
    assert result.rejected.get("fails S005", 0) > 0
    text = out.read_text()
    assert '"User: ' not in text and '"Ticket ' in text
    assert check(str(out), model="nova-lite", select="S005").exit_code == 0


def _conversation(prompt: str, answer: str) -> str:
    return json.dumps(
        {
            "schemaVersion": "bedrock-conversation-2024",
            "messages": [
                {"role": "user", "content": [{"text": prompt}]},
                {"role": "assistant", "content": [{"text": answer}]},
            ],
        }
    )


def _split_dir(tmp_path: Path) -> Path:
    """A split's output: train holds 'How can I ...', validation their 'How do I ...' twins."""
    out = tmp_path / "sp"
    out.mkdir()
    train = [_conversation(f"How can I change my address number {i}?", f"Go to settings {i}.")
             for i in range(6)]  # fmt: skip
    val = [_conversation(f"How do I change my address number {i}?", f"Go to settings {i}.")
           for i in range(6)]  # fmt: skip
    (out / "train.jsonl").write_text("\n".join(train) + "\n")
    (out / "validation.jsonl").write_text("\n".join(val) + "\n")
    manifest = {
        "files": {
            "train": {"path": "train.jsonl"},
            "validation": {"path": "validation.jsonl"},
        }
    }
    (out / "split.json").write_text(json.dumps(manifest))
    return out


def test_no_variant_leaks_into_the_split_s_validation_file(tmp_path: Path) -> None:
    sp = _split_dir(tmp_path)
    out = tmp_path / "train_aug.jsonl"
    result = augment(sp / "train.jsonl", out, target=10, model="nova-lite")
    assert any("split.json" in note for note in result.notes)
    leak = check(str(out), validation=str(sp / "validation.jsonl"), select="D004")
    assert leak.exit_code == 0, [f.message for f in leak.findings]
    # Without the manifest, the same run writes the variant that reads as the validation record.
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(sp / "train.jsonl", alone / "train.jsonl")
    bare = tmp_path / "bare.jsonl"
    augment(alone / "train.jsonl", bare, target=10, model="nova-lite")
    leaked = check(str(bare), validation=str(sp / "validation.jsonl"), select="D004")
    assert leaked.findings and {f.code for f in leaked.findings} == {"D004"}
    # Given on the command line, the held-out file has the same effect.
    given = tmp_path / "given.jsonl"
    augment(alone / "train.jsonl", given, target=10, model="nova-lite",
            validation=str(sp / "validation.jsonl"))  # fmt: skip
    assert check(str(given), validation=str(sp / "validation.jsonl"), select="D004").exit_code == 0


def test_the_dataset_itself_is_not_a_held_out_file(tmp_path: Path) -> None:
    sp = _split_dir(tmp_path)
    with pytest.raises(InputError, match="is the dataset being augmented"):
        augment(sp / "train.jsonl", tmp_path / "o.jsonl", target=10, validation=sp / "train.jsonl")


def test_max_per_record_counts_variants_from_an_earlier_run(tmp_path: Path) -> None:
    prompts = ["How do I reset my password?", "Can you tell me what is the refund policy?",
               "I want to cancel my order.", "How do I change my address?"]  # fmt: skip
    data = tmp_path / "data.jsonl"
    data.write_text("".join(_conversation(p, f"Answer {i}.") + "\n" for i, p in enumerate(prompts)))
    first = tmp_path / "first.jsonl"
    augment(data, first, target=8, model="nova-lite", max_per_record=1)
    assert len(first.read_text().splitlines()) == 8
    second = tmp_path / "second.jsonl"
    augment(first, second, target=40, model="nova-lite", max_per_record=2)
    made: dict[str, int] = {}
    for meta in _metas(tmp_path / "second.meta.jsonl"):
        if meta.get("augmented_from") is not None:
            made[str(meta["augmented_from"])] = made.get(str(meta["augmented_from"]), 0) + 1
    assert made and max(made.values()) == 2
