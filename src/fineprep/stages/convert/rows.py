"""One source row -> its records and sidecar lines, with control characters handled.

C0 control characters other than tab, newline and carriage return, DEL and the C1 range come
from broken exports (a backspace pasted into a review, an escape sequence from a terminal) and
are exactly what check reports as L004; Bedrock's tokenizers either choke on them or learn
them. The converter controls that rule, so no record it writes breaks it: by default the
characters are removed and counted (per row in the sidecar, ``control_chars_removed``, and in
the summary), with ``--control-chars reject`` the row is rejected instead.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import orjson

from fineprep.core import jsonexact
from fineprep.core.model import RecordMeta
from fineprep.stages.convert.chunking import Chunker
from fineprep.stages.convert.result import describe
from fineprep.stages.convert.sources.base import SourceRow
from fineprep.stages.convert.targets import Mapping, build_record, input_text, row_meta
from fineprep.stages.convert.values import RowError

#: What check's L004 reports (kept equal to its pattern by a test): C0 but \t \n \r, DEL, C1.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: The same characters as orjson writes them (``\u001b``, ``\b``, ``\f``, raw DEL, C1 in
#: UTF-8): a record whose JSON has none of these has no control characters, so most records
#: are checked by one scan of the line that is written anyway. A hit (or an escaped backslash
#: before ``b``) sends the record through the exact walk. Pre-training chunks always take the
#: walk (chunking already costs far more).
_IN_JSON = re.compile(rb"\\u00[01][0-9a-fA-F]|\\[bf]|\x7f|\xc2[\x80-\x9f]")
_LINE = orjson.OPT_APPEND_NEWLINE
_META_KEYS = frozenset({"id", "label", "group", "source"})
#: (record, its sidecar line, the record as the JSON line to write)
Converted = list[tuple[dict[str, Any], RecordMeta, bytes]]


def clean_json(line: bytes) -> bool:
    """No control character in a JSON line: every match of ``_IN_JSON`` starts with a
    backslash, DEL or 0xC2, so a line without those three bytes (three ``memchr`` scans, 4x
    cheaper than the pattern; ``find`` takes half the time of ``in`` on bytes) needs no
    pattern at all."""
    if line.find(b"\\") == -1 and line.find(b"\x7f") == -1 and line.find(b"\xc2") == -1:
        return True
    return _IN_JSON.search(line) is None


def control_chars(value: Any, found: Counter[str]) -> Any:
    """``value`` with control characters removed from every string in it, counted in ``found``
    (keys stay as they are: records have no free-text keys)."""
    if isinstance(value, str):
        if CONTROL.search(value) is None:
            return value
        found.update(CONTROL.findall(value))
        return CONTROL.sub("", value)
    if isinstance(value, dict):
        return {k: control_chars(v, found) for k, v in value.items()}
    if isinstance(value, list):
        return [control_chars(v, found) for v in value]
    return value


def convert_row(
    row: SourceRow, mapping: Mapping, chunker: Chunker | None, strip: bool
) -> tuple[Converted, Counter[str] | None]:
    """The row's records with their sidecar lines, and the control characters removed from
    them (None: there were none); a :class:`RowError` when the row cannot become a record."""
    rid, label, group = row_meta(mapping, row)
    extra = {k: v for k, v in row.extra.items() if k not in _META_KEYS} if row.extra else {}
    if chunker is None:
        record = build_record(mapping, row)
        line = jsonexact.dumps(record, option=_LINE)
        if clean_json(line):  # most rows: one scan of the line to be written
            return [(record, RecordMeta(rid, label, group, row.source, extra), line)], None
        records = [record]
    else:
        records = [{"input": chunk} for chunk in chunker.split(input_text(mapping, row))]
        if not records:
            raise RowError("the pre-training text is empty")
    found: Counter[str] = Counter()
    records = [control_chars(r, found) for r in records]
    lines = [jsonexact.dumps(r, option=_LINE) for r in records]
    removed = sum(found.values())
    if removed:
        if not strip:
            raise RowError(
                f"the record text holds {removed} control characters ({describe(found)}); "
                "remove them from the source, or --control-chars strip to drop them"
            )
        extra = {**extra, "control_chars_removed": removed}
    if len(records) == 1:
        meta = RecordMeta(rid, label, group, row.source, extra)
        return [(records[0], meta, lines[0])], found or None
    n = len(records)
    # Chunks of one document share a group so a split never puts them on both sides.
    shared = group if group is not None else row.source
    return [
        (
            record,
            RecordMeta(
                None if rid is None else f"{rid}#{k}",
                label,
                shared,
                f"{row.source} (chunk {k}/{n})",
                extra,
            ),
            line,
        )
        for k, (record, line) in enumerate(zip(records, lines, strict=True), 1)
    ], found or None


def raw(row: SourceRow) -> str:
    """The row as JSON for the rejects file; rows JSON cannot hold (nested deeper than 255
    levels) are kept as their truncated Python repr, so the reject is still written."""
    try:
        return jsonexact.dumps(row.fields, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):
        try:
            return repr(row.fields)[:10_000]
        except RecursionError:
            return "(row nested too deeply to show)"
