"""Record excerpts for the HTML report, read back from the checked files after the run.

Reporters get findings, not records, so the excerpt of a finding is read again from its file:
one streaming pass per file that keeps only the wanted lines and stops after the last one.
Where the finding has a JSON path, the excerpt is the value there (the text that is wrong),
centred on the finding's ``position`` when it has one; otherwise the start of the raw line.

A report is shared more widely than the data, so credentials and personal data are masked
with the same patterns as the H001/H002 checks, and private key material is cut out.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from fineprep.core import jsonexact
from fineprep.core.model import Finding
from fineprep.io.jsonl import BOM, iter_lines
from fineprep.report.escaping import visible
from fineprep.stages.check.rules.patterns import PII, SECRET, redact

EXCERPT_CHARS = 300
#: Text masked around an excerpt: more than the longest bounded secret pattern, so a
#: credential that starts inside the excerpt is masked whole.
_MARGIN = 400
_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END[^-]{0,40}-----|\Z)", re.S
)
_KEY_START = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY")
#: Secret-like tokens no rule named: long runs of key characters (checked by
#: :func:`_secret_like`: letters and digits mixed, high entropy, not a UUID).
_TOKEN = re.compile(r"(?<![A-Za-z0-9+/_=.*-])[A-Za-z0-9+/_=-]{20,}(?![A-Za-z0-9+/_=*-])")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
#: Shannon entropy (bits per character) from which a mixed token counts as random: English
#: words and identifiers stay well below it, keys drawn from 36+ symbols well above.
_ENTROPY_BITS = 3.5
#: Share of neighbouring characters of different classes from which a token looks random
#: (random base64: ~0.6, random hex: ~0.45; camelCase words and ids with numbers: under 0.3).
_CLASS_CHANGES = 0.3
_PATH_PART = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]")


@dataclass(frozen=True)
class Excerpt:
    text: str
    truncated: bool
    #: True when ``text`` is the value at the finding's JSON path, False for the raw line.
    of_value: bool


def read_lines(path: Path, wanted: set[int]) -> dict[int, bytes]:
    """The wanted lines of one file (1-based, as the checks number them); {} if unreadable."""
    if not wanted:
        return {}
    try:
        stream = path.open("rb")
    except OSError:
        return {}
    with stream:
        return pick_lines(stream, wanted)


def pick_lines(stream: BinaryIO, wanted: set[int]) -> dict[int, bytes]:
    """Keep only the wanted lines of a stream; stop reading after the last of them."""
    out: dict[int, bytes] = {}
    last = max(wanted, default=0)
    for number, raw in iter_lines(stream):
        if number > last:
            break
        if number in wanted:
            out[number] = raw[len(BOM) :] if number == 1 and raw.startswith(BOM) else raw
        if number == last:
            break
    return out


def wanted_lines(
    findings: Iterable[Finding], root: Path | None = None
) -> Iterator[tuple[str, Path, set[int]]]:
    """``(name, path, lines)`` per file the findings name lines of (``root`` resolves relative
    names)."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for f in findings:
        if f.location.path and f.location.line is not None:
            wanted[f.location.path].add(f.location.line)
    for name, lines in wanted.items():
        path = Path(name)
        if root is not None and not path.is_absolute():
            path = root / path
        yield name, path, lines


def collect(findings: Iterable[Finding], root: Path | None = None) -> dict[tuple[str, int], bytes]:
    """Raw lines for every finding that names a file and line, one pass per file."""
    out: dict[tuple[str, int], bytes] = {}
    for name, path, lines in wanted_lines(findings, root):
        if not path.is_file():  # <stdin>, or a file moved since the run
            continue
        for number, raw in read_lines(path, lines).items():
            out[(name, number)] = raw
    return out


def excerpt(raw: bytes, json_path: str | None, data: dict[str, Any]) -> Excerpt:
    """The text to show for a finding on this line (masked, capped at EXCERPT_CHARS)."""
    value = _value_at(raw, json_path) if json_path else None
    if value is None:
        return _window(raw.decode("utf-8", errors="replace"), 0, of_value=False)
    text = value if isinstance(value, str) else jsonexact.dumps(value).decode()
    return clip(text, data.get("position"))


def clip(text: str, position: Any = None, chars: int = EXCERPT_CHARS) -> Excerpt:
    """A masked window of ``text`` (``chars`` long), centred on ``position`` when it is one."""
    start = 0
    if type(position) is int and position > chars - 60:  # not bool: a position
        start = min(position - 60, max(len(text) - chars, 0))
    return _window(text, max(start, 0), of_value=True, chars=chars)


def _window(text: str, start: int, *, of_value: bool, chars: int = EXCERPT_CHARS) -> Excerpt:
    lo = max(start - _MARGIN, 0)
    region = text[lo : start + chars + _MARGIN]
    if _unterminated_key(text[:lo]):
        return Excerpt("[inside private key material: not shown]", True, of_value)
    masked = mask(region)
    # Masking keeps lengths except where a key was cut out; near one, the window may shift.
    offset = min(start - lo, len(masked))
    shown = masked[offset : offset + chars]
    truncated = start > 0 or len(text) > start + chars
    shown = ("…" if start > 0 else "") + shown + ("…" if len(text) > start + chars else "")
    return Excerpt(visible(shown, multiline=True), truncated, of_value)


def _unterminated_key(prefix: str) -> bool:
    """Whether text before the excerpt opens a private key that it does not close."""
    starts = list(_KEY_START.finditer(prefix))
    return bool(starts) and "-----END" not in prefix[starts[-1].end() :]


def mask(text: str) -> str:
    """Mask credentials and personal data (first 4 and last 2 characters kept), cut keys,
    and mask secret-like tokens that no pattern named (a key of a kind fineprep does not
    know is still a key)."""
    text = _PRIVATE_KEY.sub(lambda m: f"-----{m.group().split('-----')[1]}----- [removed]", text)
    text = SECRET.sub(lambda m: redact(m.group()), text)
    text = PII.sub(lambda m: redact(m.group()), text)
    return _TOKEN.sub(lambda m: redact(m.group()) if _secret_like(m.group()) else m.group(), text)


def _secret_like(token: str) -> bool:
    """Random-looking: high entropy and the character classes (lower, upper, digit) changing
    often, as they do in random keys (about every other character) and rarely in words, paths,
    identifiers, dates or numbers (``FINEPREP_UPDATE_GOLDEN``, ``job-1005/detailedResponse``);
    UUIDs (identifiers the reader needs to find the record) are kept."""
    if "*" in token or _UUID.search(token):
        return False
    core = token.strip("=-_")
    changes = pairs = 0
    for segment in re.split(r"[^A-Za-z0-9]+", core):
        kinds = ["d" if c.isdigit() else "u" if c.isupper() else "l" for c in segment]
        pairs += max(len(kinds) - 1, 0)
        changes += sum(a != b for a, b in pairwise(kinds))
    longest = max(len(run) for run in re.split(r"[^A-Za-z0-9]+", core))
    if longest < 12 or not any(c.isdigit() for c in core) or changes < _CLASS_CHANGES * pairs:
        return False
    counts = Counter(core)
    n = len(core)
    entropy = -sum(k / n * math.log2(k / n) for k in counts.values())
    return entropy >= _ENTROPY_BITS


def _value_at(raw: bytes, json_path: str) -> Any:
    """The value at ``$.a[1]['b c']`` in the line, or None when the line or path do not fit."""
    if not json_path.startswith("$"):
        return None
    try:
        node: Any = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    pos = 1
    while pos < len(json_path):
        m = _PATH_PART.match(json_path, pos)
        if m is None:
            return None
        key, index, quoted = m.groups()
        pos = m.end()
        if index is not None:
            if not isinstance(node, list) or int(index) >= len(node):
                return None
            node = node[int(index)]
        else:
            name = key if key is not None else re.sub(r"\\(.)", r"\1", quoted)
            if not isinstance(node, dict) or name not in node:
                return None
            node = node[name]
    return node
