"""Text encoding and delimiter detection for delimited text sources.

Spreadsheets exported on Windows are often cp1252, and a converter that guesses wrong writes
mojibake (``Ã©``) or U+FFFD into training data, which nothing downstream can undo. So the rule is
strict and explicit: a byte-order mark decides; otherwise the file must decode as UTF-8 *in full*
(a sample first, then the whole stream, without holding it), else it is read as cp1252, or as
latin-1 when it holds bytes cp1252 leaves undefined. The choice is reported, and
``--encoding`` overrides it.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

from fineprep.core.errors import ConfigError, InputError

SAMPLE_BYTES = 64 * 1024
_CHUNK = 1024 * 1024
DELIMITERS = (",", "\t", ";", "|")
_DELIMITER_NAMES = {
    "comma": ",",
    "tab": "\t",
    "\\t": "\t",
    "semicolon": ";",
    "pipe": "|",
}


@dataclass(frozen=True)
class Detected:
    """The codec to read a file with, and why (shown in the convert summary)."""

    encoding: str
    reason: str


def check_codec(name: str) -> str:
    """A codec name the user gave, validated (a typo is a config error, not a decode error)."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise ConfigError(
            f"unknown encoding {name!r}", hint="use e.g. utf-8, utf-8-sig, cp1252, latin-1"
        ) from None


def parse_delimiter(value: str) -> str:
    """``tab``, ``\\t``, ``;``... -> the one-character delimiter."""
    delim = _DELIMITER_NAMES.get(value.lower(), value)
    if len(delim) != 1 or delim in '"\r\n':
        raise ConfigError(
            f"delimiter must be one character (or comma, tab, semicolon, pipe), got {value!r}"
        )
    return delim


def detect_encoding(path: str) -> Detected:
    """Decide how to decode ``path``; reads it at most three times, a chunk at a time."""
    try:
        with open(path, "rb") as fh:  # noqa: PTH123 - a plain binary read of a str path
            head = fh.read(SAMPLE_BYTES)
    except OSError as exc:
        raise InputError(f"{path}: cannot open ({exc.strerror or exc})") from None
    if head.startswith(codecs.BOM_UTF8):
        return Detected("utf-8-sig", "UTF-8 byte-order mark")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Detected("utf-16", "UTF-16 byte-order mark")
    if b"\x00" in head:
        raise InputError(
            f"{path}: contains NUL bytes, so it is binary or UTF-16 without a byte-order mark",
            hint="export it as CSV in UTF-8, or pass --source for its real kind",
        )
    bad = _first_invalid(path, "utf-8")
    if bad is None:
        return Detected("utf-8", "valid UTF-8")
    offset, byte = bad
    why = f"not UTF-8 (byte 0x{byte:02X} at offset {offset})"
    if _first_invalid(path, "cp1252") is None:
        return Detected("cp1252", f"{why}; read as cp1252")
    return Detected("latin-1", f"{why} and not cp1252; read as latin-1")


def _first_invalid(path: str, encoding: str) -> tuple[int, int] | None:
    """Offset and value of the first byte that does not decode, or None (streamed)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    with open(path, "rb") as fh:  # noqa: PTH123
        while True:
            chunk = fh.read(_CHUNK)
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                return offset - pending + exc.start, exc.object[exc.start]
            if not chunk:
                return None
            offset += len(chunk)


def locate_invalid(path: str, encoding: str) -> str:
    """Where a file stops decoding, for an error message: ``byte 0xFF at offset 9 (line 3)``.

    Text layers decode ahead of the csv reader, so the row being read when decoding fails is
    not the row holding the bad byte; the byte offset and physical line are exact.
    """
    bad = _first_invalid(path, encoding)
    if bad is None:
        return "the file"
    offset, byte = bad
    lines = 1
    done = 0
    with open(path, "rb") as fh:  # noqa: PTH123
        while done < offset:
            chunk = fh.read(min(_CHUNK, offset - done))
            if not chunk:
                break
            lines += chunk.count(b"\n")
            done += len(chunk)
    return f"byte 0x{byte:02X} at offset {offset} (line {lines})"


def sniff_delimiter(sample: str, default: str = ",") -> str:
    """The delimiter that splits the sample into the most consistent rows of >1 field.

    ``csv.Sniffer`` guesses from character frequencies and is easily fooled by prose; parsing
    the sample with each candidate and preferring the one whose rows agree with the header is
    slower but predictable. More consistent rows win, then more columns; remaining ties go to
    ``default`` first, then ``, \\t ; |`` in that order.
    """
    if "\n" in sample.rstrip("\r\n"):
        sample = sample[: sample.rstrip("\r\n").rfind("\n") + 1] or sample
    best: tuple[float, int] = (0.0, 0)
    choice = default
    candidates = [default, *(d for d in DELIMITERS if d != default)]
    for delim in candidates:
        rows = [r for r in _rows(sample, delim) if r][:200]
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        score = (sum(1 for r in rows if len(r) == width) / len(rows), width)
        if score > best:
            best, choice = score, delim
    return choice


def _rows(sample: str, delim: str) -> list[list[str]]:
    try:
        return list(csv.reader(io.StringIO(sample, newline=""), delimiter=delim))
    except csv.Error:
        return []
