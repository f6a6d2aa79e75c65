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

Quotes are read strictly, because a lenient reader rewrites text without a word: ``"Hi" she
said`` becomes ``Hi she said``, a quote left open swallows every later row into one field, and
one that closes on a later line merges two rows. A row whose quoting is broken is rejected
with its lines, as written, and what to fix: a quote still open at the end of the file names
the line it opens on (the lines after it cannot be told apart from the field's own text, so
they stay in that one reject), and text after a closing quote names its line; reading goes
on with the next line.

Tab-separated files are often written without quoting (a cell may begin with a quote that is
part of its text), and sometimes with it (Excel and pandas quote cells holding tabs, newlines
or quotes). A tab file in which some cell begins with a quote is checked first: if its quoting
is well-formed throughout, quoted cells are read as such; if not, the file is read with no
quote processing at all, so every cell is its text exactly. A notice says which reading was
used and why. Other delimiters always use quoting, as CSV does.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable, Iterator
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
_CHUNK = 1024 * 1024
_FIX_QUOTES = 'quote the whole field and double each quote in it ("say ""hi"" now")'


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
            raise _undecodable(path, encoding) from None
        fh.seek(0)
        if options.get("delimiter"):
            delimiter = parse_delimiter(str(options["delimiter"]))
        else:
            default = "\t" if p.suffix.lower() in _TAB_SUFFIXES else ","
            delimiter = sniff_delimiter(sample, default)
            if delimiter != ",":
                notices.append(f"{path}: delimiter {delimiter!r}")
        quoted = _tab_quoting(path, fh, notices) if delimiter == "\t" else True
        no_header = bool(options.get("no_header"))
        yield from _rows(path, fh, delimiter, quoted, encoding, notices, no_header)


def _undecodable(path: str, encoding: str) -> InputError:
    return InputError(
        f"{path}: {locate_invalid(path, encoding)} cannot be decoded as {encoding}",
        hint="pass the right --encoding, or leave it out to detect it",
    )


def positional_headers(width: int) -> list[str]:
    """Column names of a table without a header row: ``c1``...``cN``."""
    return [f"c{n}" for n in range(1, width + 1)]


def _rows(
    path: str,
    fh: io.TextIOBase,
    delimiter: str,
    quoted: bool,
    encoding: str,
    notices: list[str],
    no_header: bool,
) -> Iterator[SourceItem]:
    lines = _Lines(fh)
    reader = csv.reader(
        lines,
        delimiter=delimiter,
        quoting=csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE,
        strict=True,
    )
    done = lines.record.clear  # the lines of a record read without error are not needed
    row = rejected = 0
    header: list[str] | None = None
    try:
        while True:
            try:
                for fields in reader:
                    row += 1
                    done()
                    if not fields or (len(fields) == 1 and not fields[0].strip()):
                        continue
                    if header is None:
                        if not no_header:
                            header = unique_headers(fields, path, row, notices)
                            continue
                        header = positional_headers(len(fields))
                    source = f"{path}:row {row}"
                    if len(fields) != len(header):
                        raw = _raw(fields, delimiter, quoted)
                        yield SourceReject(source, _ragged(fields, header), raw)
                        continue
                    yield SourceRow(dict(zip(header, fields, strict=True)), source)
                break
            except csv.Error as exc:
                row += 1
                reason = _broken(lines, reader.line_num, exc, header, delimiter)
                if reason is None:
                    raise InputError(f"{path}:row {row}: unreadable CSV ({exc})") from None
                if header is None and not no_header:
                    raise InputError(f"{path}:row {row}: unreadable header row: {reason}") from None
                rejected += 1
                raw = "".join(lines.record).removesuffix("\n").removesuffix("\r")
                yield SourceReject(f"{path}:row {row}", reason, raw)  # as other rows: unended
                done()
                if lines.ended:
                    break
    except UnicodeError:
        raise _undecodable(path, encoding) from None
    if header is None and not rejected:
        if no_header:
            raise InputError(f"{path}: empty file (no rows)")
        raise InputError(
            f"{path}: empty file (no header row)",
            hint="the first row names columns; pass --no-header for a file without one",
        )


class _Lines:
    """A file's lines as the csv reader takes them, keeping those of the record being read, so
    a record the reader refuses reaches the rejects file as it was written. ``ended`` tells a
    quote still open at the end of the file from one closed with text after it. A generator,
    not a ``__next__`` method: resuming one costs a third of a method call per line."""

    __slots__ = ("_lines", "ended", "record")

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = lines
        self.record: list[str] = []
        self.ended = False

    def __iter__(self) -> Iterator[str]:
        keep = self.record.append
        for line in self._lines:
            keep(line)
            yield line
        self.ended = True


def _broken(
    lines: _Lines, end: int, exc: csv.Error, header: list[str] | None, delimiter: str
) -> str | None:
    """Why the record in ``lines`` (ending on line ``end``) cannot be read, or ``None`` for an
    error that is not about quoting."""
    start = end - len(lines.record) + 1
    if not lines.ended:
        if "expected after" not in str(exc):
            return None
        if start == end:
            return f"text follows the closing quote of a quoted field on line {end}; {_FIX_QUOTES}"
        return (
            f"text follows the closing quote of a quoted field on lines {start}-{end}, so a "
            f"quote may be unclosed; close it, or {_FIX_QUOTES}"
        )
    # Read leniently, the record ends in the open field: the fields before it say where it is.
    fields = next(csv.reader(lines.record, delimiter=delimiter), [""])
    column = len(fields)
    opens = start + sum(f.count("\n") + f.count("\r") - f.count("\r\n") for f in fields[:-1])
    name = f" ({header[column - 1]})" if header and column <= len(header) else ""
    reason = f"the quote that opens column {column}{name} on line {opens} is never closed"
    if end > opens:
        reason += f", so lines {opens}-{end} (to the end of the file) read as one field"
    else:
        reason += " by the end of the file"
    reason += '; close it, or double it ("") if it is part of the text'
    if header and len(fields) != len(header):
        ragged = _ragged(fields, header)
        reason = f"{ragged}{':' if ragged.endswith('unclosed') else ';'} {reason}"
    return reason


def _tab_quoting(path: str, fh: io.TextIOBase, notices: list[str]) -> bool:
    """Whether a tab-separated file is read with quoting (see the module docstring): yes when
    no cell begins with a quote (both readings agree) or its quoting is well-formed throughout.
    Reads the file ahead only if it has a quote; rewinds it."""
    try:
        first = _first_quoted_cell(fh)
        if first is None:
            return True
        fh.seek(0)
        problem = _quoting_problem(fh)
    except UnicodeError:  # reported where the rows reach it, after the rows before it
        return True
    finally:
        fh.seek(0)
    if problem is None:
        notices.append(
            f"{path}:line {first}: cells in double quotes are read as quoted, as Excel and "
            'pandas write them: the enclosing quotes are not part of the text and "" is one quote'
        )
        return True
    line, what = problem
    notices.append(
        f"{path}:line {line}: {what}, so the file is read without quoting: "
        "every quote is part of the text"
    )
    return False


def _first_quoted_cell(fh: io.TextIOBase) -> int | None:
    """The first line with a cell that begins with a quote; a file with no quote at all is
    told in large reads, without going line by line."""
    for chunk in iter(lambda: fh.read(_CHUNK), ""):
        if '"' in chunk:
            break
    else:
        return None
    fh.seek(0)
    for number, line in enumerate(fh, 1):
        if line.startswith('"') or '\t"' in line:
            return number
    return None


def _quoting_problem(fh: io.TextIOBase) -> tuple[int, str] | None:
    """Where and how a tab file breaks the quoting rules, if it does."""
    lines = _Lines(fh)
    reader = csv.reader(lines, delimiter="\t", strict=True)
    done = lines.record.clear
    try:
        for _ in reader:
            done()
    except csv.Error:
        if lines.ended:
            start = reader.line_num - len(lines.record) + 1
            return start, "a quote opens a cell and is never closed"
        return reader.line_num, "text follows the closing quote of a quoted cell"
    return None


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


def _raw(fields: list[str], delimiter: str, quoted: bool) -> str:
    """The row as written (as far as the fields tell): quoted only where the file quotes."""
    if not quoted:
        return delimiter.join(fields)
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="").writerow(fields)
    return out.getvalue()
