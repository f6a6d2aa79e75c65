"""CSV and other delimited text, streamed row by row with Python's csv module.

Row numbers are what a spreadsheet shows: the header is row 1, so the first data row is
``file.csv:row 2``, and a quoted field spanning several lines still counts as one row. Blank
lines are skipped (they still take a row number, as in a spreadsheet) because they hold no data.

Headers are made usable rather than refused: an empty header becomes ``column_N`` (N is the
1-based column position) and a repeated one gets a suffix (``title``, ``title_2``), with a
notice naming the original cells, so templates can address every column. A row whose field
count differs from the header's is rejected with its row number (never padded or truncated:
a shifted column would put the wrong text in a training record).

With ``no_header`` the first row is data (``file.csv:row 1``) and the columns are named
``c1``...``cN`` after the width of the first row; rows of another width are rejected the same way.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fineprep.core.errors import InputError
from fineprep.stages.convert.sources.base import SourceItem, SourceReject, SourceRow
from fineprep.stages.convert.sources.encoding import (
    SAMPLE_BYTES,
    check_codec,
    detect_encoding,
    locate_invalid,
    parse_delimiter,
    sniff_delimiter,
)

# Long documents in one cell are normal for fine-tuning data (the default is 128 KiB).
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

_TAB_SUFFIXES = (".tsv", ".tab")


def read_csv(paths: list[str], options: dict[str, Any]) -> Iterator[SourceItem]:
    """Stream the rows of each delimited text file (the ``csv`` source kind)."""
    for path in paths:
        yield from _read_one(path, options)


def _read_one(path: str, options: dict[str, Any]) -> Iterator[SourceItem]:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{path}: no such file" if not p.exists() else f"{path}: not a file")
    notices: list[str] = options.setdefault("notices", [])
    if options.get("encoding"):
        encoding = check_codec(str(options["encoding"]))
    else:
        detected = detect_encoding(path)
        encoding = detected.encoding
        if encoding != "utf-8":
            notices.append(f"{path}: encoding {encoding} ({detected.reason})")
    with p.open(encoding=encoding, newline="", errors="strict") as fh:
        try:
            sample = fh.read(SAMPLE_BYTES)
        except UnicodeError:
            raise InputError(
                f"{path}: {locate_invalid(path, encoding)} cannot be decoded as {encoding}",
                hint="pass the right --encoding, or leave it out to detect it",
            ) from None
        fh.seek(0)
        if options.get("delimiter"):
            delimiter = parse_delimiter(str(options["delimiter"]))
        else:
            default = "\t" if p.suffix.lower() in _TAB_SUFFIXES else ","
            delimiter = sniff_delimiter(sample, default)
            if delimiter != ",":
                notices.append(f"{path}: delimiter {delimiter!r}")
        yield from _rows(path, fh, delimiter, encoding, notices, bool(options.get("no_header")))


def positional_headers(width: int) -> list[str]:
    """Column names of a table without a header row: ``c1``...``cN``."""
    return [f"c{n}" for n in range(1, width + 1)]


def _rows(
    path: str,
    fh: io.TextIOBase,
    delimiter: str,
    encoding: str,
    notices: list[str],
    no_header: bool,
) -> Iterator[SourceItem]:
    reader = csv.reader(fh, delimiter=delimiter)
    row = 0
    header: list[str] | None = None
    try:
        for fields in reader:
            row += 1
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            if header is None:
                if not no_header:
                    header = unique_headers(fields, path, row, notices)
                    continue
                header = positional_headers(len(fields))
            source = f"{path}:row {row}"
            if len(fields) != len(header):
                yield SourceReject(source, _ragged(fields, header), _raw(fields, delimiter))
                continue
            yield SourceRow(dict(zip(header, fields, strict=True)), source)
    except UnicodeError:
        raise InputError(
            f"{path}: {locate_invalid(path, encoding)} cannot be decoded as {encoding}",
            hint="pass the right --encoding, or leave it out to detect it",
        ) from None
    except csv.Error as exc:
        raise InputError(f"{path}:row {row + 1}: unreadable CSV ({exc})") from None
    if header is None:
        if no_header:
            raise InputError(f"{path}: empty file (no rows)")
        raise InputError(
            f"{path}: empty file (no header row)",
            hint="the first row names columns; pass --no-header for a file without one",
        )


def unique_headers(cells: list[str], path: str, row: int, notices: list[str]) -> list[str]:
    """Column names templates can use: empty ones named by position, repeats numbered."""
    names: list[str] = []
    seen: set[str] = set()
    taken = {c.strip() for c in cells}
    for index, cell in enumerate(cells, 1):
        name = cell.strip()
        if not name:
            name = f"column_{index}"
            notices.append(f"{path}:row {row}: column {index} has no header; named {name!r}")
        if name in seen:
            base, n = name, 2
            while f"{base}_{n}" in seen or f"{base}_{n}" in taken:
                n += 1
            name = f"{base}_{n}"
            notices.append(
                f"{path}:row {row}: column {index} repeats the header {base!r}; named {name!r}"
            )
        seen.add(name)
        names.append(name)
    return names


def _ragged(fields: list[str], header: list[str]) -> str:
    shown = ", ".join(header[:8]) + (", ..." if len(header) > 8 else "")
    reason = f"row has {len(fields)} fields but the header has {len(header)} ({shown})"
    if any("\n" in f for f in fields):
        reason += "; a field spans lines, so a quote may be unclosed"
    return reason


def _raw(fields: list[str], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="").writerow(fields)
    return out.getvalue()
