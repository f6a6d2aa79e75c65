"""``upload --verify-media`` judges each image and video by the model's limits (U005), from a
HEAD for the size and a ranged read of the header for pixels and length (real moto server)."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.s3server import (  # noqa: F401  (fixtures)
    ACCOUNT_ID,
    FaultProxy,
    aws_fixture,
    conversation,
    make_bucket,
    moto_fixture,
    proxy_fixture,
    run_cli,
    write_jsonl,
)

PIL = pytest.importorskip("PIL.Image")
BUCKET = "fineprep-media"
DEST = f"s3://{BUCKET}/runs/m1/"


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    PIL.new("RGB", (width, height)).save(out, "PNG")
    return out.getvalue()


def jpeg_with_big_exif(width: int, height: int) -> bytes:
    out = io.BytesIO()  # the frame header comes after 60 KB of EXIF: more than one read
    PIL.new("RGB", (width, height)).save(out, "JPEG", exif=b"Exif\x00\x00" + b"x" * 60000)
    return out.getvalue()


def caption(i: int, uri: str) -> dict[str, Any]:
    return {"image-ref": uri, "caption": f"a plain test card number {i}"}


def findings(res: Any) -> list[dict[str, Any]]:
    return [f for f in json.loads(res.stdout)["findings"] if f["code"].startswith("U")]


def test_image_pixels_and_aspect_for_nova_canvas(aws: FaultProxy, tmp_path: Path) -> None:
    s3 = make_bucket(aws.url, BUCKET)
    bodies = {
        "ok.png": png(1024, 768),
        "small.png": png(300, 600),
        "wide.jpg": jpeg_with_big_exif(4000, 600),
    }
    for key, body in bodies.items():
        s3.put_object(Bucket=BUCKET, Key=f"img/{key}", Body=body)
    rows = [caption(i, f"s3://{BUCKET}/img/ok.png") for i in range(6)]
    rows[2] = caption(2, f"s3://{BUCKET}/img/small.png")
    rows[4] = caption(4, f"s3://{BUCKET}/img/wide.jpg")
    write_jsonl(tmp_path / "train.jsonl", rows)
    aws.clear()
    res = run_cli(
        ["upload", str(tmp_path / "train.jsonl"), "--to", DEST, "-m", "nova-canvas",
         "--verify-media", "--output-format", "json", "--endpoint-url", aws.url]
    )  # fmt: skip
    assert res.exit_code == 1, res.stderr
    got = sorted((f["line"], f["data"]["limit"], f["data"]["value"]) for f in findings(res))
    assert got == [
        (3, "image_min_side", 300),
        (5, "image_aspect", 6.6667),
    ]
    assert aws.requests("PUT") == []  # nothing is sent when the media are wrong
    ranged = [r for r in aws.requests("GET") if r.target.endswith("wide.jpg")]
    assert ranged and all("range" in {k.lower() for k in r.headers} for r in ranged)


def test_image_size_from_head(aws: FaultProxy, tmp_path: Path) -> None:
    s3 = make_bucket(aws.url, BUCKET)
    s3.put_object(Bucket=BUCKET, Key="img/ok.png", Body=png(64, 64))
    s3.put_object(Bucket=BUCKET, Key="img/huge.png", Body=png(64, 64) + b"\0" * 10_000_001)
    rows = [conversation(i, f"s3://{BUCKET}/img/ok.png") for i in range(10)]
    rows[7] = conversation(7, f"s3://{BUCKET}/img/huge.png")
    write_jsonl(tmp_path / "train.jsonl", rows)
    res = run_cli(
        ["upload", str(tmp_path / "train.jsonl"), "--to", DEST, "-m", "nova-lite",
         "--verify-media", "--output-format", "json", "--endpoint-url", aws.url]
    )  # fmt: skip
    assert res.exit_code == 1
    (only,) = findings(res)
    assert only["code"] == "U005" and only["line"] == 8
    assert only["data"]["limit"] == "max_bytes" and only["data"]["value"] > 10_000_000
    assert "Amazon Nova Lite takes at most 10.0 MB" in only["message"]


def _video(path: Path, seconds: float) -> bytes:
    ffmpeg = pytest.importorskip("imageio_ffmpeg").get_ffmpeg_exe()
    subprocess.run(
        [ffmpeg, "-loglevel", "error", "-f", "lavfi", "-i",
         f"color=c=black:size=32x32:rate=1:duration={seconds}", "-pix_fmt", "yuv420p", str(path)],
        check=True, timeout=120,
    )  # fmt: skip
    return path.read_bytes()


def test_video_length_from_the_container(aws: FaultProxy, tmp_path: Path) -> None:
    s3 = make_bucket(aws.url, BUCKET)
    s3.put_object(Bucket=BUCKET, Key="vid/short.mp4", Body=_video(tmp_path / "s.mp4", 20))
    s3.put_object(Bucket=BUCKET, Key="vid/long.mp4", Body=_video(tmp_path / "l.mp4", 95))
    rows = []
    for i in range(10):
        rec = conversation(i)
        key = "long" if i == 5 else "short"
        source = {"s3Location": {"uri": f"s3://{BUCKET}/vid/{key}.mp4", "bucketOwner": ACCOUNT_ID}}
        rec["messages"][0]["content"].insert(0, {"video": {"format": "mp4", "source": source}})
        rows.append(rec)
    write_jsonl(tmp_path / "train.jsonl", rows)
    res = run_cli(
        ["upload", str(tmp_path / "train.jsonl"), "--to", DEST, "-m", "nova-lite",
         "--verify-media", "--output-format", "json", "--endpoint-url", aws.url]
    )  # fmt: skip
    assert res.exit_code == 1, res.stderr
    (only,) = findings(res)
    assert (only["line"], only["data"]["limit"]) == (6, "max_video_seconds")
    assert 94 <= only["data"]["value"] <= 96
