"""``convert --media-dir DIR=s3://bucket/prefix/``: local media become S3 URIs, and each file is
judged by the model's media limits before a record is written (the rest are rejects with the
number and the limit)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from fineprep.api import check, convert

Image = pytest.importorskip("PIL.Image")
PREFIX = "s3://fineprep-media/tuning/images/"


def _png(path: Path, size: tuple[int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    out = io.BytesIO()
    Image.new("RGB", size).save(out, "PNG")
    path.write_bytes(out.getvalue())


def _table(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_local_media_are_checked_and_written_as_s3_uris(tmp_path: Path) -> None:
    media = tmp_path / "images"
    _png(media / "ok.png", (640, 480))
    _png(media / "pages" / "tiny.png", (5, 5))  # Llama 3.2 vision takes 10-8,192 px a side
    (media / "broken.png").write_bytes(b"not an image at all")
    rows = [
        {"q": "Total?", "a": "12", "img": "ok.png"},
        {"q": "Total?", "a": "13", "img": f"{PREFIX}ok.png"},
        {"q": "Total?", "a": "14", "img": "pages/tiny.png"},
        {"q": "Total?", "a": "15", "img": "missing.png"},
        {"q": "Total?", "a": "16", "img": "broken.png"},
        {"q": "Total?", "a": "17", "img": "s3://elsewhere/not-local.png"},
        {"q": "Total?", "a": "18", "img": "../outside.png"},
    ]
    out = tmp_path / "train.jsonl"
    result = convert(
        _table(tmp_path / "rows.csv", rows),
        output=out,
        to="conversation",
        model="llama3-2-11b",
        isolated=True,
        prompt="q",
        completion="a",
        images="img",
        media_dir=f"{media}={PREFIX}",
        rejects=str(tmp_path / "rejects.jsonl"),
    )
    assert (result.records, result.rejected) == (3, 4)
    uris = [
        json.loads(line)["messages"][0]["content"][0]["image"]["source"]["s3Location"]["uri"]
        for line in out.read_text().splitlines()
    ]
    assert uris == [f"{PREFIX}ok.png", f"{PREFIX}ok.png", "s3://elsewhere/not-local.png"]
    reasons = [json.loads(line)["reason"] for line in (tmp_path / "rejects.jsonl").open()]
    assert "image is 5x5 px; Meta Llama 3.2 11B Vision Instruct needs at least 10 px" in reasons[0]
    assert "no file" in reasons[1] and "missing.png" in reasons[1]
    assert "not a readable image" in reasons[2]
    assert "outside --media-dir" in reasons[3]
    written = check(out, model="llama3-2-11b", isolated=True, select=["S006"])
    assert written.findings == []


def test_a_malformed_media_dir_is_a_config_error(tmp_path: Path) -> None:
    from fineprep.core.errors import ConfigError

    src = _table(tmp_path / "rows.csv", [{"q": "a", "a": "b", "img": "x.png"}])
    with pytest.raises(ConfigError, match="LOCAL_FOLDER=s3://bucket/prefix/"):
        convert(src, output=tmp_path / "o.jsonl", to="conversation", isolated=True,
                prompt="q", completion="a", images="img", media_dir=str(tmp_path))  # fmt: skip
    with pytest.raises(ConfigError, match="is not a folder"):
        convert(src, output=tmp_path / "o.jsonl", to="conversation", isolated=True,
                prompt="q", completion="a", images="img",
                media_dir=f"{tmp_path / 'nope'}={PREFIX}")  # fmt: skip
