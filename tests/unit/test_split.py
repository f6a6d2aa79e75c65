"""``fineprep.stages.split.runner.split``: files written, byte copies, groups, models, errors."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fineprep.core.config import Settings, settings_from_table
from fineprep.core.errors import ConfigError, InputError
from fineprep.stages.split.runner import split
from tests.conftest import REALDATA, needs_realdata


def pc(prompt: str, completion: str) -> str:
    return json.dumps({"prompt": prompt, "completion": completion})


def write_dataset(
    folder: Path,
    n: int,
    *,
    labels: list[str] | None = None,
    groups: int | None = None,
    seed: int = 0,
    meta: bool = True,
) -> Path:
    rng = random.Random(seed)
    data, side = [], []
    for i in range(n):
        label = rng.choice(labels or ["pos", "neg"])
        data.append(pc(f"review number {i} says {rng.random():.6f}", label))
        entry: dict[str, Any] = {"id": f"r{i}", "label": label}
        if groups:
            entry["group"] = f"g{rng.randrange(groups)}"
        side.append(json.dumps(entry))
    path = folder / "data.jsonl"
    path.write_text("\n".join(data) + "\n")
    if meta:
        (folder / "data.meta.jsonl").write_text("\n".join(side) + "\n")
    return path


def read_lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines() if path.exists() else []


def isolated(**table: Any) -> Settings:
    return settings_from_table(table)


def test_writes_splits_sidecars_and_split_json(tmp_path: Path) -> None:
    data = write_dataset(tmp_path, 200)
    out = tmp_path / "out"
    result = split(data, out, validation=0.1, test=0.1, settings=isolated())
    assert result.counts == {"train": 160, "validation": 20, "test": 20, "dropped": 0}
    for name in ("train", "validation", "test"):
        assert len(read_lines(out / f"{name}.jsonl")) == result.counts[name]
        assert len(read_lines(out / f"{name}.meta.jsonl")) == result.counts[name]
    summary = json.loads((out / "split.json").read_text())
    assert summary["input"]["records"] == 200
    assert len(summary["input"]["sha256"]) == 64
    assert summary["parameters"]["validation"] == 0.1
    assert summary["files"]["train"]["records"] == 160
    assert result.check is not None and result.exit_code == 0


def test_records_are_copied_byte_for_byte_with_their_sidecar_lines(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    lines = [
        b'{"prompt":"a",   "completion":"x"}',
        b'{"completion": "y", "prompt": "caf\\u00e9 \xc3\xa9"}',
        b'{"prompt": "c", "completion": "z"}\r',
    ]
    data.write_bytes(b"\n".join(lines) + b"\n")
    side = [
        b'{"id": "1", "extra": [1, 2]}',
        b'{"id": "2"}',
        b'{"id": "3", "source": "s.csv:row 9"}',
    ]
    (tmp_path / "data.meta.jsonl").write_bytes(b"\n".join(side) + b"\n")
    out = tmp_path / "out"
    split(data, out, validation=0.34, settings=isolated(), run_checks=False)
    pairs = []
    for name in ("train", "validation"):
        data_lines = read_lines(out / f"{name}.jsonl")
        pairs += zip(data_lines, read_lines(out / f"{name}.meta.jsonl"), strict=True)
    expected = [(line.rstrip(b"\r"), meta) for line, meta in zip(lines, side, strict=True)]
    assert sorted(pairs) == sorted(expected)


def test_reruns_are_byte_identical(tmp_path: Path) -> None:
    data = write_dataset(tmp_path, 300, labels=["a", "b", "c"], groups=40)
    one, two = tmp_path / "one", tmp_path / "two"
    for out in (one, two):
        split(data, out, validation=0.2, test=0.1, stratify="label", settings=isolated())
    for name in ("train.jsonl", "validation.jsonl", "test.jsonl", "split.json"):
        assert (one / name).read_bytes() == (two / name).read_bytes()


def test_without_sidecar_one_is_written_with_source_lines(tmp_path: Path) -> None:
    data = write_dataset(tmp_path, 20, meta=False)
    out = tmp_path / "out"
    split(data, out, validation=0.25, settings=isolated(), run_checks=False)
    metas = [json.loads(x) for x in read_lines(out / "validation.meta.jsonl")]
    lines = read_lines(out / "validation.jsonl")
    source = data.read_bytes().splitlines()
    for meta, line in zip(metas, lines, strict=True):
        number = int(meta["source"].rsplit(" ", 1)[1])
        assert source[number - 1] == line


@given(st.integers(0, 10_000), st.integers(1, 12))
@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_groups_never_straddle_and_identical_records_stay_together(
    tmp_path: Path, seed: int, groups: int
) -> None:
    folder = tmp_path / f"case-{seed}-{groups}"
    folder.mkdir()
    data = write_dataset(folder, 60, groups=groups, seed=seed)
    plain = [pc(f"single {i}", "x") for i in range(6)]
    (folder / "plain.jsonl").write_text("\n".join([*plain, *plain]) + "\n")
    out = folder / "out"
    split(data, out, validation=0.3, test=0.2, seed=seed, settings=isolated(), run_checks=False)
    where: dict[str, set[str]] = {}
    for name in ("train", "validation", "test"):
        for meta in read_lines(out / f"{name}.meta.jsonl"):
            where.setdefault(json.loads(meta)["group"], set()).add(name)
    assert all(len(splits) == 1 for splits in where.values())
    split(folder / "plain.jsonl", out / "plain", validation=0.5, settings=isolated())
    seen: dict[bytes, set[str]] = {}
    for name in ("train", "validation"):
        for line in read_lines(out / "plain" / f"{name}.jsonl"):
            seen.setdefault(line, set()).add(name)
    assert all(len(s) == 1 for s in seen.values())


def test_stratified_split_keeps_class_proportions(tmp_path: Path) -> None:
    data = write_dataset(tmp_path, 997, labels=["a"] * 6 + ["b"] * 3 + ["c"])
    result = split(data, tmp_path / "out", validation=0.1, stratify="label", settings=isolated())
    totals = Counter()
    for row in result.classes.values():
        totals.update(row)
    for label, n in totals.items():
        assert abs(result.classes["validation"][label] - 0.1 * n) < 1


def test_rare_classes_stay_in_train_and_are_reported(tmp_path: Path) -> None:
    data = write_dataset(tmp_path, 200)
    lines = [*data.read_text().splitlines(), pc("odd one", "rare"), pc("odd two", "rare")]
    metas = (tmp_path / "data.meta.jsonl").read_text().splitlines()
    metas += ['{"label": "rare"}', '{"label": "rare"}']
    data.write_text("\n".join(lines) + "\n")
    (tmp_path / "data.meta.jsonl").write_text("\n".join(metas) + "\n")
    result = split(data, tmp_path / "out", validation=0.5, stratify="label", settings=isolated())
    assert result.classes["train"]["rare"] == 2
    assert "rare" not in result.classes["validation"]
    assert result.rare == {"rare": 2}
    assert any("too rare" in note for note in result.notes)
    assert result.check is not None
    codes = {(f.code, f.data.get("label")) for f in result.check.findings}
    assert ("B002", "rare") in codes
    assert ("B003", "rare") not in codes


def test_multi_label_stratification_uses_the_rarest_label(tmp_path: Path) -> None:
    rng = random.Random(1)
    data, side = [], []
    for i in range(400):
        tags = ["common"] + (["mid"] if i % 4 == 0 else []) + (["scarce"] if i % 20 == 0 else [])
        data.append(pc(f"ticket {i} {rng.random()}", "ok"))
        side.append(json.dumps({"label": tags}))
    (tmp_path / "data.jsonl").write_text("\n".join(data) + "\n")
    (tmp_path / "data.meta.jsonl").write_text("\n".join(side) + "\n")
    result = split(
        tmp_path / "data.jsonl",
        tmp_path / "out",
        validation=0.1,
        stratify="label",
        settings=isolated(),
        run_checks=False,
    )
    val = result.classes["validation"]
    assert val["scarce"] == 2 and val["mid"] in (9, 10, 11) and val["common"] == 40


def test_model_without_validation_gets_no_validation_file(tmp_path: Path) -> None:
    data = write_dataset(tmp_path, 300)
    out = tmp_path / "out"
    result = split(data, out, validation=0.1, model="nova-2-lite", settings=isolated())
    assert not (out / "validation.jsonl").exists()
    assert result.counts["train"] == 300
    assert any("takes no validation set" in note for note in result.notes)


def test_validation_is_capped_at_the_model_maximum(tmp_path: Path) -> None:
    data = write_dataset(tmp_path, 400)
    cfg = isolated(models={"claude-3-haiku": {"max_validation_records": 15}})
    result = split(data, tmp_path / "out", validation=0.1, model="claude-3-haiku", settings=cfg)
    assert result.counts["validation"] == 15
    assert result.summary["validation_cap"] == {"requested": 40, "cap": 15}
    assert any("capped at 15" in note for note in result.notes)


def test_train_plus_validation_totals_are_checked_on_the_outputs(tmp_path: Path) -> None:
    data = write_dataset(tmp_path, 120)
    cfg = isolated(models={"nova-lite": {"max_records": 110}})
    result = split(data, tmp_path / "out", validation=0.1, model="nova-lite", settings=cfg)
    assert result.check is not None
    assert [f.code for f in result.check.findings if f.code.startswith("N")] == ["N002"]
    assert result.exit_code == 1


def test_max_per_class_downsamples_and_reports(tmp_path: Path) -> None:
    data = write_dataset(tmp_path, 300, labels=["a", "a", "a", "b"])
    result = split(
        data,
        tmp_path / "out",
        validation=0.1,
        stratify="label",
        max_per_class=50,
        settings=isolated(),
    )
    kept = Counter()
    for name in ("train", "validation"):
        kept.update(result.classes.get(name, {}))
    assert kept == {"a": 50, "b": 50}
    assert result.counts["dropped"] == sum(result.summary["downsampled"].values()) == 200
    assert any("--max-per-class 50" in note for note in result.notes)


def test_stale_outputs_of_an_earlier_split_are_removed(tmp_path: Path) -> None:
    data = write_dataset(tmp_path, 50)
    out = tmp_path / "out"
    split(data, out, validation=0.1, test=0.1, settings=isolated(), run_checks=False)
    assert (out / "test.jsonl").exists()
    result = split(data, out, validation=0.1, settings=isolated(), run_checks=False)
    assert not (out / "test.jsonl").exists() and not (out / "test.meta.jsonl").exists()
    assert any("earlier split" in note for note in result.notes)


def test_bom_is_not_copied(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    data.write_bytes(b"\xef\xbb\xbf" + "\n".join(pc(f"p{i}", "c") for i in range(10)).encode())
    out = tmp_path / "out"
    result = split(data, out, validation=0.2, settings=isolated(), run_checks=False)
    written = read_lines(out / "train.jsonl") + read_lines(out / "validation.jsonl")
    assert not any(line.startswith(b"\xef\xbb\xbf") for line in written)
    assert any("byte-order mark" in note for note in result.notes)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"prompt": "a", "completion": "b"}\n{"prompt": \n', "data.jsonl:2: invalid JSON"),
        (b'{"prompt": "a", "completion": "b"}\n\n{"prompt": "c"}\n', "data.jsonl:2: blank line"),
        (b"[1, 2]\n", "data.jsonl:1: line is not a JSON object"),
    ],
)
def test_unparseable_lines_stop_the_split_with_their_line(
    tmp_path: Path, content: bytes, message: str
) -> None:
    (tmp_path / "data.jsonl").write_bytes(content)
    with pytest.raises(InputError, match=message):
        split(tmp_path / "data.jsonl", tmp_path / "out", settings=isolated())
    assert not (tmp_path / "out" / "train.jsonl").exists()


def test_sidecar_must_match_the_dataset_line_for_line(tmp_path: Path) -> None:
    data = write_dataset(tmp_path, 10)
    meta = tmp_path / "data.meta.jsonl"
    meta.write_text("\n".join(meta.read_text().splitlines()[:7]) + "\n")
    with pytest.raises(InputError, match="fewer lines than the dataset"):
        split(data, tmp_path / "out", settings=isolated())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"validation": 0.6, "test": 0.5}, "leave nothing for train"),
        ({"validation": 1.5}, "below 1"),
        ({"seed": -1}, "whole number"),
        ({"max_per_class": 5}, "needs classes"),
        ({"group": "team"}, None),
    ],
)
def test_bad_parameters_are_config_errors(
    tmp_path: Path, kwargs: dict[str, Any], message: str | None
) -> None:
    data = write_dataset(tmp_path, 10, meta=message is not None)
    with pytest.raises(ConfigError, match=message or "no sidecar"):
        split(data, tmp_path / "out", settings=isolated(), **kwargs)


def test_refuses_to_overwrite_its_input(tmp_path: Path) -> None:
    data = tmp_path / "train.jsonl"
    data.write_text(pc("a", "b") + "\n")
    with pytest.raises(ConfigError, match="overwrite its input"):
        split(data, tmp_path, settings=isolated())


def test_free_text_answers_cannot_be_stratified(tmp_path: Path) -> None:
    data = write_dataset(tmp_path, 50, meta=False)
    lines = [pc(f"p{i}", f"a long free-text answer number {i}") for i in range(50)]
    data.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match="not classification data"):
        split(data, tmp_path / "out", stratify="label", settings=isolated())


def test_config_section_supplies_defaults(tmp_path: Path) -> None:
    data = write_dataset(tmp_path, 100)
    cfg = isolated(split={"validation": 0.2, "seed": 4, "output": str(tmp_path / "cfg-out")})
    result = split(data, settings=cfg, run_checks=False)
    assert result.counts["validation"] == 20
    assert result.summary["parameters"]["seed"] == 4
    with pytest.raises(ConfigError, match="unknown key 'ratio'"):
        split(data, settings=isolated(split={"ratio": 0.2, "output": "x"}))


@needs_realdata
def test_real_claude_dataset_splits_into_exact_copies(tmp_path: Path) -> None:
    source = REALDATA / "bedrock_jsonl" / "test_ft.jsonl"
    out = tmp_path / "out"
    result = split(source, out, validation=0.2, model="claude-3-haiku", settings=isolated())
    original = Counter(source.read_bytes().splitlines())
    written = Counter(read_lines(out / "train.jsonl") + read_lines(out / "validation.jsonl"))
    assert written == original
    assert result.counts["validation"] in range(20, 29)
    assert result.check is not None
    assert not [f for f in result.check.findings if f.code == "D004" and f.data["kind"] == "exact"]


def test_empty_input_stdin_and_file_as_output_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="no records to split"):
        split(empty, tmp_path / "out", settings=isolated())
    with pytest.raises(ConfigError, match="standard input"):
        split("-", tmp_path / "out", settings=isolated())
    data = write_dataset(tmp_path, 5)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="not a directory"):
        split(data, tmp_path / "file", settings=isolated())
