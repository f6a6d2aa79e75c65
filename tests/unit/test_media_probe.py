"""Media headers read as encoders write them (Pillow for images, ffmpeg for videos), and the
model limits applied to what they say."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fineprep.core.media_limits import media_problems
from fineprep.core.profiles import get_profile
from fineprep.io.media_probe import (
    ImageInfo,
    block_reader,
    file_reader,
    image_info,
    video_seconds,
)

Image = pytest.importorskip("PIL.Image")


def reader(data: bytes):  # type: ignore[no-untyped-def]
    return lambda offset, length: data[offset : offset + length]


@pytest.mark.parametrize(
    ("fmt", "options", "name"),
    [
        ("PNG", {}, "png"),
        ("GIF", {}, "gif"),
        ("JPEG", {}, "jpeg"),
        ("JPEG", {"exif": b"Exif\x00\x00" + b"x" * 65000}, "jpeg"),
        ("JPEG", {"progressive": True}, "jpeg"),
        ("WEBP", {}, "webp"),
        ("WEBP", {"lossless": True}, "webp"),
    ],
)
def test_image_sizes_as_encoders_write_them(
    fmt: str, options: dict[str, object], name: str
) -> None:
    for size in ((1, 1), (321, 123), (4096, 17)):
        out = io.BytesIO()
        Image.new("RGB", size).save(out, fmt, **options)
        assert image_info(reader(out.getvalue())) == ImageInfo(name, *size)


def test_webp_with_alpha_is_an_extended_file() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (300, 200)).save(out, "WEBP")
    assert image_info(reader(out.getvalue())) == ImageInfo("webp", 300, 200)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_garbage_is_never_an_error(data: bytes) -> None:
    for prefix in (b"", b"\xff\xd8", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", b"RIFF\0\0\0\0WEBPVP8X"):
        image_info(reader(prefix + data))
        video_seconds(reader(prefix + data), len(prefix + data))
    video_seconds(reader(b"\x1a\x45\xdf\xa3" + data), len(data) + 4)
    video_seconds(reader(b"\0\0\0\x18ftyp" + data), len(data) + 8)


def test_block_reader_fetches_each_block_once() -> None:
    data = bytes(range(256)) * 1000
    fetched: list[tuple[int, int]] = []

    def fetch(offset: int, length: int) -> bytes:
        fetched.append((offset, length))
        return data[offset : offset + length]

    read = block_reader(fetch, block=4096)
    assert read(4000, 200) == data[4000:4200]
    assert read(4090, 10) == data[4090:4100]
    assert read(len(data) - 5, 100) == data[-5:]
    assert fetched == [(0, 4096), (4096, 4096), ((len(data) // 4096) * 4096, 4096)]


def _ffmpeg() -> str:
    exe: str = pytest.importorskip("imageio_ffmpeg").get_ffmpeg_exe()
    return exe


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("a.mp4", ["-pix_fmt", "yuv420p"]),  # moov after mdat: found by walking the boxes
        ("b.mp4", ["-pix_fmt", "yuv420p", "-movflags", "+faststart"]),  # moov first
        ("c.mov", ["-pix_fmt", "yuv420p"]),
        ("d.mkv", ["-c:v", "mpeg4"]),
        ("e.webm", []),
    ],
)
def test_video_lengths_as_ffmpeg_writes_them(tmp_path: Path, name: str, extra: list[str]) -> None:
    path = tmp_path / name
    subprocess.run(
        [_ffmpeg(), "-loglevel", "error", "-f", "lavfi", "-i",
         "testsrc=duration=3:size=32x32:rate=10", *extra, str(path)],
        check=True, timeout=120,
    )  # fmt: skip
    seconds = video_seconds(file_reader(path), path.stat().st_size)
    assert seconds is not None and abs(seconds - 3) < 0.2, seconds


def test_limits_name_value_and_limit() -> None:
    canvas = get_profile("nova-canvas")
    problems = media_problems(canvas, "image", size=60_000_000, width=300, height=2000)
    assert [(p.limit, p.value) for p in problems] == [
        ("max_bytes", 60_000_000),
        ("image_min_side", 300),
        ("image_aspect", 0.15),
    ]
    assert media_problems(canvas, "image", width=4096, height=3072) == []  # 12,582,912 pixels
    assert [p.limit for p in media_problems(canvas, "image", width=4096, height=3073)] == [
        "image_max_pixels"
    ]
    lite = get_profile("nova-lite")
    assert [p.limit for p in media_problems(lite, "video", size=50_000_001, seconds=90.5)] == [
        "max_bytes",
        "max_video_seconds",
    ]
    assert media_problems(lite, "video", size=50_000_000, seconds=90) == []
    assert media_problems(lite, "image", width=10_000, height=1) == []  # Nova sets no pixel limit
    for key in ("image_min_side", "image_max_side", "image_max_pixels", "image_min_aspect"):
        assert canvas.source_url(key), key
