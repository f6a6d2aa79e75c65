"""Text encoding and delimiter detection for delimited text sources.

A converter that guesses an encoding wrong writes mojibake (``Ã©``, ``crčme``) into training
data, and nothing downstream can undo it. So the rule is strict: a byte-order mark decides; a
file that decodes as UTF-8 *in full* (streamed, without holding it) is UTF-8; anything else goes
to charset-normalizer, a maintained statistical detector that covers the legacy CJK (GB18030,
Big5, Shift-JIS, EUC-JP, EUC-KR), Cyrillic (cp1251, KOI8-R, ISO 8859-5) and Western code pages.

Its answer is used only when it is clear. Candidates are ranked by charset-normalizer's mess
ratio minus a share of its language coherence; when the runner-up decodes the bytes to a
*different* text and scores within :data:`TIE` of the winner (cp1250 and cp1252 read French text
equally well, but ``crème`` becomes ``crčme`` in one of them), the file is refused with both
readings shown and a request for ``--encoding``: a person can tell at a glance which is right,
a detector cannot. The chosen codec must also decode the whole file.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from typing import Any

from fineprep.core.errors import ConfigError, InputError

SAMPLE_BYTES = 64 * 1024
#: How much of a non-UTF-8 file the detector reads (it samples within this itself).
DETECT_BYTES = 1024 * 1024
_CHUNK = 1024 * 1024
#: Weight of language coherence against the mess ratio when ranking candidates.
COHERENCE_WEIGHT = 0.2
#: Scores closer than this, for candidates giving different text, mean "cannot tell".
TIE = 0.02
#: A best candidate messier than this is not text in any encoding we can name.
MAX_CHAOS = 0.3
DELIMITERS = (",", "\t", ";", "|")
_DELIMITER_NAMES = {
    "comma": ",",
    "tab": "\t",
    "\\t": "\t",
    "semicolon": ";",
    "pipe": "|",
}
_ENCODING_HINT = (
    "pass --encoding with the file's encoding (e.g. gb18030, shift_jis, cp1251, cp1252)"
)


@dataclass(frozen=True)
class Detected:
    """The codec to read a file with, and why (shown in the convert summary)."""

    encoding: str
    reason: str


#: Codecs Python calls text encodings that no file is written in (IDNA labels, Punycode).
_NOT_FOR_FILES = frozenset({"idna", "punycode", "raw-unicode-escape", "unicode-escape"})


def check_codec(name: str) -> str:
    """A codec name the user gave, validated (a typo is a config error, not a decode error)."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise ConfigError(
            f"unknown encoding {name!r}", hint="use e.g. utf-8, gb18030, shift_jis, cp1251, cp1252"
        ) from None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_FOR_FILES:
        raise ConfigError(
            f"--encoding {name!r} is not a text encoding of files",
            hint="use e.g. utf-8, utf-16, gb18030, shift_jis, cp1251, cp1252",
        )
    return info.name


def parse_delimiter(value: str) -> str:
    """``tab``, ``\\t``, ``;``... -> the one-character delimiter."""
    delim = _DELIMITER_NAMES.get(value.lower(), value)
    if len(delim) != 1 or delim in '"\r\n':
        raise ConfigError(
            f"delimiter must be one character (or comma, tab, semicolon, pipe), got {value!r}"
        )
    return delim


def detect_encoding(path: str) -> Detected:
    """Decide how to decode ``path``, or raise :class:`InputError` when it cannot be told."""
    try:
        with open(path, "rb") as fh:  # noqa: PTH123 - a plain binary read of a str path
            head = fh.read(DETECT_BYTES)
    except OSError as exc:
        raise InputError(f"{path}: cannot open ({exc.strerror or exc})") from None
    if head.startswith(codecs.BOM_UTF8):
        return Detected("utf-8-sig", "UTF-8 byte-order mark")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Detected("utf-16", "UTF-16 byte-order mark")
    if b"\x00" in head[:SAMPLE_BYTES]:
        raise InputError(
            f"{path}: contains NUL bytes, so it is binary or UTF-16 without a byte-order mark",
            hint="export it as CSV in UTF-8, or pass --source for its real kind",
        )
    bad = _first_invalid(path, "utf-8")
    if bad is None:
        return Detected("utf-8", "valid UTF-8")
    offset, byte = bad
    why = f"not UTF-8 (byte 0x{byte:02X} at offset {offset})"
    sample, lines = _informative(path)
    _refuse_mixed(path, sample, lines)
    return _statistical(path, sample, lines, why)


#: Non-ASCII characters in lines that are valid UTF-8 that make a file "partly UTF-8": one can
#: be chance in a legacy code page (``Ã©`` is two cp1252 characters), two rarely are.
MIXED_MIN_CHARS = 2


def _refuse_mixed(path: str, sample: bytes, lines: list[int]) -> None:
    """A file with some lines in UTF-8 and others not (rows pasted from two exports): any one
    codec garbles one kind, so it is refused, naming a line of each."""
    utf8_line = other_line = None
    chars = 0
    for number, line in zip(lines, sample.split(b"\n"), strict=False):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            other_line = other_line or number
        else:
            chars += sum(1 for c in text if ord(c) > 127)
            utf8_line = utf8_line or number
        if other_line and utf8_line and chars >= MIXED_MIN_CHARS:
            raise InputError(
                f"{path}: mixes encodings: line {utf8_line} is UTF-8 and line {other_line} is "
                "not, so one of them would be garbled whatever the encoding",
                hint="re-export the file in one encoding (UTF-8), or fix those lines",
            )


def _informative(path: str) -> tuple[bytes, list[int]]:
    """The lines that hold non-ASCII bytes, up to :data:`DETECT_BYTES`: ASCII lines read the
    same in every candidate, and a file of mostly ASCII rows would otherwise drown the few
    that tell the encodings apart (the detector samples its input)."""
    kept: list[bytes] = []
    numbers: list[int] = []
    size = 0
    with open(path, "rb") as fh:  # noqa: PTH123
        for number, line in enumerate(fh, 1):
            if not line.isascii():
                kept.append(line)
                numbers.append(number)
                size += len(line)
                if size >= DETECT_BYTES:
                    break
    return b"".join(kept), numbers


def _score(match: Any) -> float:
    return float(match.chaos) - COHERENCE_WEIGHT * float(match.coherence)


def _statistical(path: str, sample: bytes, lines: list[int], why: str) -> Detected:
    from charset_normalizer import from_bytes

    best: Any = None
    rival: Any = None
    # Sorted by score, so the first codec that decodes the whole file wins, and only a rival
    # within TIE of it can make the answer unclear (each candidate costs one streamed read).
    for match in sorted(from_bytes(sample), key=_score):
        if best is None:
            if _first_invalid(path, match.encoding) is None:
                best = match
            continue
        if _score(match) - _score(best) >= TIE:
            break
        if str(match) != str(best) and _first_invalid(path, match.encoding) is None:
            rival = match
            break
    if best is None or best.chaos > MAX_CHAOS:
        raise InputError(
            f"{path}: {why}, and no text encoding reads it cleanly", hint=_ENCODING_HINT
        )
    if rival is not None:
        one, other = sorted((best, rival), key=lambda m: str(m.encoding))
        shown = _difference(str(one), str(other), lines)
        raise InputError(
            f"{path}: {why}; cannot tell its encoding: it reads as {one.encoding} or "
            f"{other.encoding}, which give different text ({shown})",
            hint=f"pass --encoding {one.encoding} or --encoding {other.encoding}, whichever "
            "shows the text correctly",
        )
    return Detected(best.encoding, f"{why}; detected as {best.encoding}")


def _difference(one: str, other: str, lines: list[int]) -> str:
    """The first word that the two readings spell differently: ``'crème' vs 'crčme'``."""
    at = next((i for i, (a, b) in enumerate(zip(one, other, strict=False)) if a != b), 0)

    def word(text: str) -> str:
        start = at
        while start > 0 and not text[start - 1].isspace() and at - start < 20:
            start -= 1
        end = at
        while end < len(text) and not text[end].isspace() and end - at < 20:
            end += 1
        return text[start:end]

    index = one.count("\n", 0, at)
    line = lines[index] if index < len(lines) else index + 1
    return f"line {line}: {word(one)!r} vs {word(other)!r}"


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
            except UnicodeError:  # utf-16 without a byte-order mark, and the like
                return offset, chunk[0] if chunk else 0
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
