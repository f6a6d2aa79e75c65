"""Tabular sources: Parquet and Arrow IPC (read in record batches), and the registrations of
every table-like source kind (``csv``, ``xlsx``, ``parquet``, ``arrow``, ``json``, ``jsonl``).

Hugging Face datasets store class labels as integers and keep the names only in the schema
metadata (``huggingface`` -> ``info.features.<column>`` of ``_type`` ``ClassLabel``). A label
of ``61`` teaches a model nothing, so such columns are mapped to their names as they are read;
an index outside the names (``-1`` is Hugging Face's "no label") rejects the row.
Row numbers are 1-based data rows (Parquet has no header row): ``file.parquet:row 1``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from fineprep.core.errors import InputError
from fineprep.stages.convert.sources.base import SOURCES, SourceItem, SourceReject, SourceRow
from fineprep.stages.convert.sources.csv import read_csv
from fineprep.stages.convert.sources.json import read_json, read_jsonl
from fineprep.stages.convert.sources.xlsx import read_xlsx

BATCH_ROWS = 2048

#: column -> (class names, whether the column holds a list of labels)
ClassLabels = dict[str, tuple[list[str], bool]]


def class_labels(metadata: dict[bytes, bytes] | None) -> ClassLabels:
    """ClassLabel columns from Arrow schema metadata written by Hugging Face ``datasets``."""
    if not metadata or b"huggingface" not in metadata:
        return {}
    try:
        info = orjson.loads(metadata[b"huggingface"])
        features = info.get("info", {}).get("features", {})
    except (orjson.JSONDecodeError, AttributeError):
        return {}
    out: ClassLabels = {}
    if not isinstance(features, dict):
        return out
    for column, feature in features.items():
        names = _names(feature)
        if names is not None:
            out[column] = (names, False)
            continue
        inner = None
        if isinstance(feature, dict) and feature.get("_type") in ("Sequence", "List"):
            inner = feature.get("feature")
        elif isinstance(feature, list) and len(feature) == 1:
            inner = feature[0]
        names = _names(inner)
        if names is not None:
            out[column] = (names, True)
    return out


def _names(feature: Any) -> list[str] | None:
    if isinstance(feature, dict) and feature.get("_type") == "ClassLabel":
        names = feature.get("names")
        if isinstance(names, list) and all(isinstance(n, str) for n in names):
            return names
    return None


def apply_labels(fields: dict[str, Any], labels: ClassLabels) -> str | None:
    """Replace class indices by names in place; the reason if an index has no name."""
    for column, (names, many) in labels.items():
        value = fields.get(column)
        if value is None:
            continue
        values = value if many and isinstance(value, list) else [value]
        mapped = []
        for v in values:
            if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < len(names):
                what = "no label (-1)" if v == -1 else f"not a class index (0-{len(names) - 1})"
                return f"column {column!r} holds {v!r}: {what}"
            mapped.append(names[v])
        fields[column] = mapped if many and isinstance(value, list) else mapped[0]
    return None


def read_parquet(paths: list[str], options: dict[str, Any]) -> Iterator[SourceItem]:
    """Stream Parquet files in record batches (the ``parquet`` source kind)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for path in paths:
        _require_file(path)
        try:
            pf = pq.ParquetFile(path)
        except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:  # a damaged column name
            raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
        labels = class_labels(pf.schema_arrow.metadata)
        rows = options.get("row_slice")  # a partition's run of row groups (see row_groups)
        if rows is None or rows.start == 0:
            _note_labels(path, labels, options)
        if rows is None:
            yield from _batches(path, pf.iter_batches(batch_size=BATCH_ROWS), labels)
            continue
        groups = list(range(rows.start, rows.stop))
        batches = pf.iter_batches(batch_size=BATCH_ROWS, row_groups=groups)
        yield from _batches(path, batches, labels, rows.first_row)


def read_arrow(paths: list[str], options: dict[str, Any]) -> Iterator[SourceItem]:
    """Stream Arrow IPC files or streams (Feather v2) batch by batch (``arrow``)."""
    import pyarrow as pa

    for path in paths:
        _require_file(path)
        source = pa.memory_map(path, "r")
        try:
            try:
                reader: Any = pa.ipc.open_file(source)
                batches: Any = (reader.get_batch(i) for i in range(reader.num_record_batches))
            except pa.ArrowInvalid:
                source.seek(0)
                reader = pa.ipc.open_stream(source)
                batches = iter(reader)
        except (pa.ArrowException, OSError) as exc:
            source.close()
            raise InputError(f"{path}: not a readable Arrow IPC file ({exc})") from None
        labels = class_labels(reader.schema.metadata)
        _note_labels(path, labels, options)
        try:
            yield from _batches(path, batches, labels)
        finally:
            source.close()


def _batches(
    path: str, batches: Iterator[Any], labels: ClassLabels, first_row: int = 0
) -> Iterator[SourceItem]:
    import pyarrow as pa

    row = first_row
    try:
        for batch in batches:
            for fields in batch.to_pylist():
                row += 1
                source = f"{path}:row {row}"
                problem = apply_labels(fields, labels) if labels else None
                if problem:
                    yield SourceReject(source, problem, _raw(fields))
                else:
                    yield SourceRow(fields, source)
    except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:
        # a damaged file's string column can hold bytes that are not UTF-8
        raise InputError(f"{path}: unreadable after row {row} ({exc})") from None


def _raw(fields: dict[str, Any]) -> str:
    return orjson.dumps(fields, default=str).decode()


def _note_labels(path: str, labels: ClassLabels, options: dict[str, Any]) -> None:
    notices: list[str] = options.setdefault("notices", [])
    for column, (names, _) in labels.items():
        notices.append(f"{path}: column {column!r} mapped to {len(names)} ClassLabel names")


def _require_file(path: str) -> None:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{path}: no such file" if not p.exists() else f"{path}: not a file")


SOURCES.add("csv", read_csv)
SOURCES.add("xlsx", read_xlsx)
SOURCES.add("parquet", read_parquet)
SOURCES.add("arrow", read_arrow)
SOURCES.add("json", read_json)
SOURCES.add("jsonl", read_jsonl)
