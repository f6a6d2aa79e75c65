"""The ``comprehend`` source: Amazon Comprehend custom classification job output.

A classification job writes ``output.tar.gz`` holding ``predictions.jsonl``: one line per input
document with the input ``File``, for one-document-per-line input the 0-based ``Line``, and the
``Classes`` (multi-class) or ``Labels`` (multi-label) with their scores; a document Comprehend
could not read has ``ErrorCode``/``ErrorMessage`` instead. The archive and the extracted file
are both read.

The output holds no text, so the source needs the job's input: ``input_dir`` names the folder
of the input files (as uploaded to S3), read as UTF-8 as Comprehend reads them. Each prediction
becomes a document of one page: its text, ``class`` (the top class; for multi-label, the top
label), ``classes`` (multi-class: every class, best first; multi-label: the labels scoring at
least ``threshold``, default 0.5, best first) and ``meta`` (``file``, ``line``, ``scores``).

A prediction is rejected with the reason when its input file or line is not in ``input_dir``,
the input is not text (a PDF or image classified natively: convert its Textract output
instead), Comprehend reported an error for it, or no label reaches the threshold.
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from fineprep.core.errors import ConfigError, InputError
from fineprep.stages.convert.document import Document, Page
from fineprep.stages.convert.sources.base import SOURCES, SourceItem, SourceReject
from fineprep.stages.convert.textract.files import as_dict, as_float, as_int, as_list, as_str
from fineprep.stages.convert.textract.reader import document_rows

_OPTIONS = ("input_dir", "input_format", "threshold", "notices")
_BINARY = (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".docx")


def sniff_comprehend(value: Any) -> bool:
    """A prediction line of a classification job (or the first of an array of them)."""
    first = value[0] if isinstance(value, list) and value else value
    return (
        isinstance(first, dict)
        and "File" in first
        and ("Classes" in first or "Labels" in first or "ErrorCode" in first)
    )


class _Inputs:
    """The job's input files, read once each (the last file's lines are kept)."""

    def __init__(self, folder: str, fmt: str) -> None:
        self.folder = Path(folder)
        self.fmt = fmt
        self._cached: tuple[str, list[str]] | None = None
        if not self.folder.is_dir():
            raise ConfigError(f"comprehend source: input_dir {folder!r} is not a folder")

    def text(self, name: str, line: int | None) -> str:
        """The document's text, or raise :class:`LookupError` with the reason."""
        if Path(name).suffix.lower() in _BINARY:
            raise LookupError(
                f"input {name!r} is not text (classified as a document); convert its Textract "
                "output with the class as the label instead"
            )
        path = (self.folder / name).resolve()
        if not path.is_relative_to(self.folder.resolve()) or not path.is_file():
            raise LookupError(f"input file {name!r} is not in {self.folder}")
        by_line = self.fmt == "line" or (self.fmt == "auto" and line is not None)
        if self._cached is None or self._cached[0] != str(path):
            try:
                body = path.read_text("utf-8")
            except UnicodeDecodeError:
                raise LookupError(f"input file {name!r} is not UTF-8 text") from None
            self._cached = (str(path), body.splitlines() if by_line else [body])
        lines = self._cached[1]
        if not by_line:
            return lines[0]
        if line is None or not 0 <= line < len(lines):
            raise LookupError(f"input file {name!r} has no line {line} (it has {len(lines)})")
        return lines[line]


def _options(options: dict[str, Any]) -> tuple[_Inputs, float]:
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise ConfigError(
            f"comprehend source: unknown option {unknown[0]!r} (known: input_dir, "
            "input_format, threshold)"
        )
    folder = options.get("input_dir")
    if not isinstance(folder, str) or not folder:
        raise ConfigError(
            "comprehend source: predictions hold no text; give input_dir, the folder of the "
            "job's input files (-S input_dir=docs/)"
        )
    fmt = options.get("input_format", "auto")
    if fmt not in ("auto", "line", "file"):
        raise ConfigError(
            f"comprehend source: input_format must be auto, line or file, not {fmt!r}"
        )
    try:
        threshold = float(options.get("threshold", 0.5))
    except (TypeError, ValueError):
        raise ConfigError("comprehend source: threshold must be a number") from None
    return _Inputs(folder, fmt), threshold


def _streams(path: str) -> Iterator[tuple[str, IO[bytes]]]:
    if path.lower().endswith((".tar.gz", ".tgz")):
        try:
            with tarfile.open(path, "r:gz") as tar:
                for member in tar.getmembers():
                    if member.isfile() and member.name.endswith(".jsonl"):
                        stream = tar.extractfile(member)
                        if stream is not None:
                            yield f"{path}!{member.name}", stream
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise InputError(f"{path}: not a readable output.tar.gz ({exc})") from None
        return
    with Path(path).open("rb") as stream:
        yield path, stream


def read_comprehend(paths: list[str], options: dict[str, Any]) -> Iterator[SourceItem]:
    """Rows of classification predictions (see the module docstring)."""
    inputs, threshold = _options(options)
    for path in paths:
        for shown, stream in _streams(path):
            for number, raw in enumerate(stream, 1):
                if raw.strip():
                    yield _prediction(raw, f"{shown}:line {number}", inputs, threshold)


def _prediction(raw: bytes, source: str, inputs: _Inputs, threshold: float) -> SourceItem:
    text = raw.decode("utf-8", "replace")
    try:
        obj = as_dict(orjson.loads(raw))
    except orjson.JSONDecodeError as exc:
        return SourceReject(source, f"not valid JSON ({exc.msg})", text)
    name = as_str(obj.get("File"))
    if "ErrorCode" in obj:
        said = f"{as_str(obj.get('ErrorCode'))}: {as_str(obj.get('ErrorMessage'))}"
        return SourceReject(source, f"Comprehend could not classify {name!r} ({said})", text)
    given = obj.get("Line")
    line = int(given) if isinstance(given, str) and given.isdigit() else as_int(given)
    multi_label = "Labels" in obj
    scored = [
        (as_float(c.get("Score")) or 0.0, as_str(c.get("Name")).strip())
        for c in map(as_dict, as_list(obj.get("Labels" if multi_label else "Classes")))
    ]
    ranked = [
        n
        for s, n in sorted(scored, key=lambda sn: -sn[0])
        if n and (not multi_label or s >= threshold)
    ]
    if not ranked:
        return SourceReject(source, f"no class scores at least {threshold} for {name!r}", text)
    try:
        body = inputs.text(name, line)
    except LookupError as exc:
        return SourceReject(source, str(exc), text)
    doc_id = f"{Path(name).stem}-{line}" if line is not None else Path(name).stem
    meta = {"file": name, "line": line, "scores": {n: s for s, n in scored}}
    doc = Document(
        doc_id,
        source,
        "comprehend",
        [Page(1, body, source=source)],
        classes=tuple(ranked),
        meta=meta,
    )
    return next(iter(document_rows(doc, "document")))


SOURCES.add("comprehend", read_comprehend)
