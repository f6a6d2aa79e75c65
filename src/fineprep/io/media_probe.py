"""What a media file is, from its header: image format and pixel size, video duration.

Bedrock's media limits (Nova: 10 MB images, 50 MB and 90 s videos; Titan Image and Nova Canvas:
512-4,096 px a side, 12.6 M pixels, aspect 1:4 to 4:1) are judged before a job, from a local
file at convert time or an S3 object at upload time. Neither should read the whole file, so the
readers here take ``read(offset, length) -> bytes`` and ask only for the bytes a header needs:
a PNG or GIF size is in its first 32 bytes, a JPEG's in its frame header after any EXIF block,
an MP4's duration in its ``mvhd`` box (at the start, or after the media data at the end), a
Matroska/WebM duration in its ``Info`` element near the start. Unknown or damaged data gives
None, never an exception: the caller says the property could not be read.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: ``read(offset, length)``: at most ``length`` bytes from ``offset`` (fewer at the end).
Reader = Callable[[int, int], bytes]

_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
#: How far into a file the probes look (a JPEG with a huge EXIF block, an MP4 box chain).
_MAX_SCAN = 16 << 20
_MAX_BOXES = 10_000


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


def file_reader(path: Path) -> Reader:
    """A reader over a local file (opened per call: probes ask for a few small ranges)."""

    def read(offset: int, length: int) -> bytes:
        with path.open("rb") as fh:
            fh.seek(offset)
            return fh.read(length)

    return read


def block_reader(fetch: Reader, block: int = 1 << 16, max_blocks: int = 64) -> Reader:
    """A reader that fetches whole ``block``-sized ranges, once each: probes ask for a few
    bytes at a time, and each fetch may be an HTTP request."""
    cache: dict[int, bytes] = {}

    def get(index: int) -> bytes:
        data = cache.get(index)
        if data is None:
            if len(cache) >= max_blocks:
                cache.clear()
            data = cache[index] = fetch(index * block, block)
        return data

    def read(offset: int, length: int) -> bytes:
        out = bytearray()
        while length > 0:
            index, start = divmod(offset, block)
            chunk = get(index)[start : start + length]
            if not chunk:
                break
            out += chunk
            offset += len(chunk)
            length -= len(chunk)
        return bytes(out)

    return read


def image_info(read: Reader) -> ImageInfo | None:
    """Format and pixel size of a PNG, JPEG, GIF or WebP image, or None."""
    head = read(0, 32)
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR" and len(head) >= 24:
        width, height = struct.unpack(">II", head[16:24])
        return ImageInfo("png", width, height)
    if head[:6] in (b"GIF87a", b"GIF89a") and len(head) >= 10:
        width, height = struct.unpack("<HH", head[6:10])
        return ImageInfo("gif", width, height)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _webp(head)
    if head[:2] == b"\xff\xd8":
        return _jpeg(read)
    return None


def _webp(head: bytes) -> ImageInfo | None:
    kind = head[12:16]
    if kind == b"VP8 " and len(head) >= 30 and head[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", head[26:30])
        return ImageInfo("webp", width & 0x3FFF, height & 0x3FFF)
    if kind == b"VP8L" and len(head) >= 25 and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return ImageInfo("webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if kind == b"VP8X" and len(head) >= 30:
        width = int.from_bytes(head[24:27], "little") + 1
        height = int.from_bytes(head[27:30], "little") + 1
        return ImageInfo("webp", width, height)
    return None


def _jpeg(read: Reader) -> ImageInfo | None:
    offset = 2
    while offset < _MAX_SCAN:
        marker = read(offset, 4)
        if len(marker) < 4 or marker[0] != 0xFF:
            return None
        code = marker[1]
        if code == 0xFF:  # fill byte
            offset += 1
            continue
        if code in (0xD8, 0x01) or 0xD0 <= code <= 0xD7:  # markers without a length
            offset += 2
            continue
        length = int.from_bytes(marker[2:4], "big")
        if length < 2:
            return None
        if code in _JPEG_SOF:
            frame = read(offset + 4, 5)
            if len(frame) < 5:
                return None
            height, width = struct.unpack(">HH", frame[1:5])
            return ImageInfo("jpeg", width, height)
        if code == 0xDA:  # start of scan before any frame header: not a valid JPEG
            return None
        offset += 2 + length
    return None


def video_seconds(read: Reader, size: int) -> float | None:
    """Duration of an MP4/MOV or Matroska/WebM video, or None when it cannot be read."""
    head = read(0, 12)
    if head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip"):
        return _mp4_seconds(read, size)
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return _matroska_seconds(read(0, 1 << 16))
    return None


def _mp4_seconds(read: Reader, size: int) -> float | None:
    offset, boxes = 0, 0
    while offset + 8 <= size and boxes < _MAX_BOXES:
        boxes += 1
        header = read(offset, 16)
        if len(header) < 8:
            return None
        length, kind = struct.unpack(">I4s", header[:8])
        start = 8
        if length == 1 and len(header) >= 16:
            length, start = struct.unpack(">Q", header[8:16])[0], 16
        elif length == 0:
            length = size - offset
        if length < start:
            return None
        if kind == b"moov":
            return _mvhd_seconds(read(offset + start, min(length - start, 1 << 22)))
        offset += length
    return None


def _mvhd_seconds(moov: bytes) -> float | None:
    pos = 0
    while pos + 8 <= len(moov):
        length, kind = struct.unpack(">I4s", moov[pos : pos + 8])
        if length < 8:
            return None
        if kind == b"mvhd":
            body = moov[pos + 8 : pos + length]
            if body[:1] == b"\x01" and len(body) >= 32:
                scale, duration = struct.unpack(">IQ", body[20:32])
            elif len(body) >= 20:
                scale, duration = struct.unpack(">II", body[12:20])
            else:
                return None
            return duration / scale if scale else None
        pos += length
    return None


def _ebml_id(data: bytes, pos: int) -> tuple[int, int] | None:
    if pos >= len(data):
        return None
    first = data[pos]
    width = 1 + next((i for i in range(4) if first & (0x80 >> i)), 4)
    if width > 4 or pos + width > len(data):
        return None
    return int.from_bytes(data[pos : pos + width], "big"), pos + width


def _ebml_size(data: bytes, pos: int) -> tuple[int, int] | None:
    if pos >= len(data):
        return None
    first = data[pos]
    width = 1 + next((i for i in range(8) if first & (0x80 >> i)), 8)
    if width > 8 or pos + width > len(data):
        return None
    value = first & (0xFF >> width)
    for b in data[pos + 1 : pos + width]:
        value = (value << 8) | b
    return value, pos + width


_SEGMENT, _INFO, _SCALE, _DURATION = 0x18538067, 0x1549A966, 0x2AD7B1, 0x4489
_UNKNOWN_SIZES = {(1 << (7 * w)) - 1 for w in range(1, 9)}


def _matroska_seconds(data: bytes) -> float | None:
    """Walk EBML elements: into Segment and Info, read TimecodeScale and Duration."""
    pos, scale, duration = 0, 1_000_000, None
    while pos < len(data):
        ident = _ebml_id(data, pos)
        size = _ebml_size(data, ident[1]) if ident else None
        if ident is None or size is None:
            break
        element, (length, body) = ident[0], size
        if element in (_SEGMENT, _INFO) or length in _UNKNOWN_SIZES:
            pos = body  # descend (Segment's size is often "unknown" in streams)
            continue
        value = data[body : body + length]
        if element == _SCALE:
            scale = int.from_bytes(value, "big") or scale
        elif element == _DURATION and length in (4, 8):
            duration = struct.unpack(">f" if length == 4 else ">d", value)[0]
        pos = body + length
    return duration * scale / 1e9 if duration is not None else None
