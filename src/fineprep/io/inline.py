"""Records handed over in memory (a pandas DataFrame, an Arrow table, dicts) as a JSONL file.

The stages read files: they stream, give line numbers and keep sidecars aligned. So the Python
API writes in-memory records to a JSONL file in a temporary folder, one record per line in
their order, and findings point at ``records.jsonl:N`` (N the record's 1-based position).
pandas and pyarrow are never imported here: a DataFrame is recognised by its ``to_dict`` and an
Arrow table by its ``to_pylist``.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from fineprep.core.errors import InputError

NAME = "records.jsonl"


def is_inline(data: Any) -> bool:
    """Whether ``data`` is records in memory rather than paths."""
    if isinstance(data, (str, Path)):
        return False
    if hasattr(data, "to_pylist") or (hasattr(data, "to_dict") and hasattr(data, "columns")):
        return True
    if isinstance(data, Mapping):
        return True
    if isinstance(data, (list, tuple)):
        return any(isinstance(item, Mapping) for item in data)
    return isinstance(data, Iterable) and not isinstance(data, (bytes, bytearray))


def _rows(data: Any) -> Iterable[Any]:
    if hasattr(data, "to_pylist"):  # pyarrow.Table
        rows: Iterable[Any] = data.to_pylist()
        return rows
    if hasattr(data, "to_dict") and hasattr(data, "columns"):  # pandas.DataFrame
        records: Iterable[Any] = data.to_dict(orient="records")
        return records
    if isinstance(data, Mapping):
        return [data]
    return data  # type: ignore[no-any-return]


def _clean(value: Any) -> Any:
    """pandas' missing values (NaN, NaT, None) as JSON null; numpy scalars as Python ones."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (list, dict, str, bytes)):
        try:
            return value.item()
        except (TypeError, ValueError):
            return value
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


@contextmanager
def records_file(data: Any) -> Iterator[Path]:
    """The records of ``data`` as ``records.jsonl`` in a temporary folder, for the block."""
    with tempfile.TemporaryDirectory(prefix="fineprep-") as folder:
        path = Path(folder) / NAME
        with path.open("wb") as fh:
            for index, row in enumerate(_rows(data), 1):
                if not isinstance(row, Mapping):
                    raise InputError(
                        f"record {index} is a {type(row).__name__}, not a dict",
                        hint="pass a DataFrame, an Arrow table, or dicts (one per record)",
                    )
                try:
                    line = {str(k): _clean(v) for k, v in row.items()}
                    fh.write(orjson.dumps(line, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
                except TypeError as exc:
                    raise InputError(f"record {index} cannot be written as JSON ({exc})") from None
        yield path
