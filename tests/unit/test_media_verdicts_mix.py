"""Images and videos across the files of one job (S006): where the finding is pinned, what it
names, which files count as one dataset, and that partitioned runs give the same report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from fineprep.core.config import load_settings
from fineprep.core.model import Finding
from fineprep.engines.base import EngineOptions
from fineprep.report import render
from fineprep.stages.check.engine import check_files


def record(kind: str | None, k: int = 0) -> bytes:
    content: list[dict[str, Any]] = [{"text": f"question {k}"}]
    if kind == "image":
        uri, fmt = f"s3://my-bucket/img/{k}.png", "png"
    elif kind == "video":
        uri, fmt = f"s3://my-bucket/vid/{k}.mp4", "mp4"
    if kind is not None:
        content.append({kind: {"format": fmt, "source": {"s3Location": {"uri": uri}}}})
    rec = {
        "schemaVersion": "bedrock-conversation-2024",
        "messages": [
            {"role": "user", "content": content},
            {"role": "assistant", "content": [{"text": f"answer {k}"}]},
        ],
    }
    return orjson.dumps(rec) + b"\n"


def write(path: Path, kinds: list[str | None]) -> str:
    path.write_bytes(b"".join(record(kind, k) for k, kind in enumerate(kinds)))
    return str(path)


def mixes(
    paths: list[str],
    model: str = "nova-lite",
    validation: list[str] | None = None,
    test: list[str] | None = None,
) -> list[Finding]:
    s = load_settings(isolated=True, overrides={"model": model})
    s.select = ["S006"]
    result = check_files(paths, s, validation=validation or [], test=test or [])
    return [f for f in result.findings if "mix images and videos" in f.message]


def test_the_validation_video_is_reported_with_the_training_image(tmp_path: Path) -> None:
    train = write(tmp_path / "train.jsonl", ["image"] * 8)
    val = write(tmp_path / "val.jsonl", ["video"])
    (f,) = mixes([train], validation=[val])
    assert (f.location.path, f.location.line, f.location.json_path) == (val, 1, "$.messages")
    assert [(r.path, r.line) for r in f.related] == [(train, 1)]
    assert f.data == {
        "image_records": 8,
        "video_records": 1,
        "first_image_path": train,
        "first_image_line": 1,
        "first_video_path": val,
        "first_video_line": 1,
    }
    assert train in f.message and "one dataset" in f.message


def test_one_file_gives_the_same_verdict_as_two(tmp_path: Path) -> None:
    both = write(tmp_path / "both.jsonl", [*["image"] * 8, "video"])
    (f,) = mixes([both])
    assert (f.location.path, f.location.line) == (both, 9)
    assert [(r.path, r.line) for r in f.related] == [(both, 1)]
    assert "one dataset" not in f.message


def test_the_minority_kind_is_pinned_wherever_it_is(tmp_path: Path) -> None:
    train = write(tmp_path / "train.jsonl", [None, "video", "image", None])
    val = write(tmp_path / "val.jsonl", ["video", "video"])
    (f,) = mixes([train], validation=[val])
    assert (f.location.path, f.location.line) == (train, 3)  # 1 image against 3 videos
    assert [(r.path, r.line) for r in f.related] == [(train, 2)]


def test_a_tie_pins_the_kind_met_later(tmp_path: Path) -> None:
    train = write(tmp_path / "train.jsonl", ["video", None])
    val = write(tmp_path / "val.jsonl", ["image"])
    (f,) = mixes([train], validation=[val])
    assert (f.location.path, f.location.line) == (val, 1)


def test_each_training_file_is_its_own_job(tmp_path: Path) -> None:
    """Two training files checked together (the per-file hook) are two jobs: an image
    dataset beside a video dataset is not a mix."""
    images = write(tmp_path / "images.jsonl", ["image", "image"])
    videos = write(tmp_path / "videos.jsonl", ["video", "video"])
    assert mixes([images, videos]) == []
    val = write(tmp_path / "val.jsonl", ["image"])
    (f,) = mixes([images, videos], validation=[val])  # only the video job mixes
    assert (f.location.path, f.location.line) == (val, 1)
    assert [(r.path, r.line) for r in f.related] == [(videos, 1)]


def test_a_validation_record_is_reported_once_for_several_jobs(tmp_path: Path) -> None:
    a = write(tmp_path / "a.jsonl", ["image"] * 3)
    b = write(tmp_path / "b.jsonl", ["image"] * 3)
    val = write(tmp_path / "val.jsonl", ["video"])
    (f,) = mixes([a, b], validation=[val])
    assert (f.location.path, f.location.line) == (val, 1)


def test_a_test_file_is_not_part_of_the_job(tmp_path: Path) -> None:
    train = write(tmp_path / "train.jsonl", ["image"] * 3)
    held_out = write(tmp_path / "test.jsonl", ["video"])
    assert mixes([train], test=[held_out]) == []
    mixed = write(tmp_path / "test.jsonl", ["video", "image", "video"])
    (f,) = mixes([train], test=[mixed])
    assert (f.location.path, f.location.line) == (mixed, 2)


@pytest.mark.parametrize("model", ["nova-pro", "nova-2-lite"])
def test_every_nova_model_that_takes_media(tmp_path: Path, model: str) -> None:
    train = write(tmp_path / "train.jsonl", ["video", "video"])
    val = write(tmp_path / "val.jsonl", ["image"])
    (f,) = mixes([train], model, validation=[val])
    assert (f.location.path, f.location.line) == (val, 1)


def test_no_model_no_verdict(tmp_path: Path) -> None:
    train = write(tmp_path / "train.jsonl", ["image", "video"])
    s = load_settings(isolated=True)
    s.select = ["S006"]
    assert check_files([train], s).findings == []


def test_the_related_record_gets_its_source_row(tmp_path: Path) -> None:
    train = write(tmp_path / "train.jsonl", ["image"] * 3)
    (tmp_path / "train.meta.jsonl").write_text(
        "".join(json.dumps({"source": f"rows.csv:row {k + 2}"}) + "\n" for k in range(3))
    )
    val = write(tmp_path / "val.jsonl", ["video"])
    (f,) = mixes([train], validation=[val])
    assert [(r.path, r.line, r.source) for r in f.related] == [(train, 1, "rows.csv:row 2")]


def _report(paths: list[str], val: list[str], engine: EngineOptions) -> str:
    s = load_settings(isolated=True, overrides={"model": "nova-lite"})
    return render(check_files(paths, s, validation=val, engine=engine), "json", color=False)


@pytest.mark.parametrize(
    ("train_kinds", "val_kinds"),
    [
        ([None, None, "image", None, "image", "video", None], ["image"]),
        ([None] * 5 + ["image"] * 3, ["video", None]),
        (["video", None, None, None, "image", "image"], [None, "video"]),
        ([None] * 6, ["image", "video"]),
    ],
)
def test_partitions_give_the_single_pass_report(
    tmp_path: Path, train_kinds: list[str | None], val_kinds: list[str | None]
) -> None:
    """Partitions of one byte cut after every line: the first image and the first video, and
    the counts, are merged across them and across the two files."""
    train = write(tmp_path / "train.jsonl", train_kinds)
    val = write(tmp_path / "val.jsonl", val_kinds)
    engines = [
        EngineOptions("local", 1),
        EngineOptions("processes", 2, None, min_bytes=1, partition_bytes=1),
        EngineOptions("processes", 4, None, min_bytes=1, partition_bytes=1),
    ]
    reports = [_report([train], [val], e) for e in engines]
    assert reports[1] == reports[0]
    assert reports[2] == reports[0]
    found = [f for f in json.loads(reports[0])["findings"] if "mix images" in f["message"]]
    assert len(found) == 1
