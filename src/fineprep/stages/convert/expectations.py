"""Validate the source table with a great-expectations 1.x suite before converting (G001).

great-expectations is heavy (pandas, scipy, a second of import time), so it is an extra
(``fineprep[gx]``) imported only here, only when a suite is given. It needs a DataFrame; rows
are fed to it in chunks of ``chunk_rows`` (100,000 by default, more than Bedrock accepts in a
dataset) so memory stays bounded on big inputs. The DataFrame index is the row's position, so
every unexpected value maps back to its source row (``file.csv:row 17``) and column.

CSV cells are strings, so empty cells are given to the suite as nulls, as pandas.read_csv
would: ``expect_column_values_to_not_be_null`` then means "not empty" for CSV too.
Suite parameters (``{"$PARAMETER": "labels"}``) are filled from config: ``labels``.
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

import orjson

from fineprep.core.errors import ConfigError
from fineprep.core.model import Finding, Location, Severity
from fineprep.stages.convert.sources.base import SourceItem, SourceRow

_INDEX = "__fineprep_row__"
_SOURCE_TAIL = re.compile(r":(row|line|item|page) \d+$")
_SUITE_KEYS = ("name", "expectations", "meta", "notes")
_SHOWN_KWARGS = ("value_set", "min_value", "max_value", "regex", "type_", "column_list")


@dataclass
class Outcome:
    """What the suite found: findings, failing rows (source -> reasons), table failures."""

    findings: list[Finding] = field(default_factory=list)
    failed_rows: dict[str, list[str]] = field(default_factory=dict)
    table_failed: bool = False
    rows: int = 0


def load_suite(path: str) -> dict[str, Any]:
    """The suite document, checked for shape (a bad file is a config error)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{path}: expectation suite not found")
    try:
        doc = orjson.loads(p.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise ConfigError(f"{path}: expectation suite is not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("expectations"), list):
        raise ConfigError(f"{path}: expectation suite needs an 'expectations' list")
    doc.setdefault("name", p.stem)
    return {k: doc[k] for k in _SUITE_KEYS if k in doc}


def _import_gx() -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    logging.getLogger("great_expectations").setLevel(logging.CRITICAL + 1)
    try:
        import great_expectations as gx
    except ImportError:
        raise ConfigError(
            "--expectations needs great-expectations 1.x, which is not installed",
            hint="pip install 'fineprep[gx]'",
        ) from None
    return gx


def validate_source(
    items: Iterable[SourceItem],
    suite_path: str,
    *,
    parameters: dict[str, Any],
    severity: Severity,
    empty_is_null: bool = False,
    chunk_rows: int = 100_000,
) -> Outcome:
    """Run the suite over the rows of ``items`` (rejects are skipped: they are not a table)."""
    doc = load_suite(suite_path)
    gx = _import_gx()
    pd = import_module("pandas")  # a gx dependency; imported by name to stay untyped
    from great_expectations.core import ExpectationSuite
    from great_expectations.data_context.types.base import ProgressBarsConfig

    try:
        suite = ExpectationSuite(**doc)
    except Exception as exc:  # gx raises many types for a bad suite
        raise ConfigError(f"{suite_path}: invalid expectation suite ({exc})") from None
    _all_loaded(doc, suite, suite_path)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("fineprep").add_dataframe_asset("source")
    batches = asset.add_batch_definition_whole_dataframe("rows")
    outcome = Outcome()
    for sources, rows in _chunks(items, max(chunk_rows, 1)):
        start = outcome.rows
        frame = pd.DataFrame(rows, index=pd.Index(range(start, start + len(rows)), name=_INDEX))
        if empty_is_null:
            frame = frame.replace("", None)
        outcome.rows += len(rows)
        batch = batches.get_batch(batch_parameters={"dataframe": frame})
        try:
            result = batch.validate(
                suite,
                result_format={"result_format": "COMPLETE"},
                expectation_parameters=parameters or None,
            )
        except Exception as exc:  # e.g. a $PARAMETER with no value
            raise ConfigError(
                f"{suite_path}: the suite cannot run ({exc})",
                hint="suite parameters come from config (labels = [...])",
            ) from None
        for res in result.results:
            if not res.success:
                _record(res, sources, start, outcome, severity)
    outcome.findings.sort(key=_row_order)
    return outcome


def _row_order(finding: Finding) -> tuple[str, int, str]:
    source = finding.location.source or ""
    tail = _SOURCE_TAIL.search(source)
    number = int(tail.group().rsplit(" ", 1)[1]) if tail else 0
    return (finding.location.path, number, finding.message)


def _all_loaded(doc: dict[str, Any], suite: Any, suite_path: str) -> None:
    """gx logs and drops an expectation it cannot build; a dropped check must not pass."""
    wanted = [str(e.get("type")) if isinstance(e, dict) else repr(e) for e in doc["expectations"]]
    built = [e.expectation_type for e in suite.expectations]
    for name in built:
        if name in wanted:
            wanted.remove(name)
    if wanted:
        raise ConfigError(
            f"{suite_path}: invalid expectation suite (cannot build: {', '.join(wanted)})",
            hint="check the expectation types and their kwargs against great-expectations 1.x",
        )


def _chunks(items: Iterable[SourceItem], size: int) -> Iterator[tuple[list[str], list[Any]]]:
    sources: list[str] = []
    rows: list[Any] = []
    for item in items:
        if not isinstance(item, SourceRow):
            continue
        sources.append(item.source)
        rows.append(item.fields)
        if len(rows) >= size:
            yield sources, rows
            sources, rows = [], []
    if rows:
        yield sources, rows


def _record(res: Any, sources: list[str], start: int, out: Outcome, severity: Severity) -> None:
    config = res.expectation_config
    kind = config.type
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    column = kwargs.get("column")
    shown = ", ".join(f"{k} {kwargs[k]!r}" for k in _SHOWN_KWARGS if k in kwargs)
    detail = f" ({shown})" if shown else ""
    error = _exception_message(res.exception_info)
    unexpected = (res.result or {}).get("unexpected_index_list") or []
    if error is None and unexpected and column is not None:
        for hit in unexpected:
            position: Any = hit.get(_INDEX) if isinstance(hit, dict) else hit
            source = sources[int(position) - start]
            value = _plain(hit.get(column)) if isinstance(hit, dict) else None
            message = f"{kind} failed on column {column!r}: value {value!r}{detail}"
            out.failed_rows.setdefault(source, []).append(message)
            data = {"expectation": kind, "column": column, "value": value, "kwargs": kwargs}
            out.findings.append(_finding(message, source, severity, data))
        return
    out.table_failed = True
    if error is not None:
        message = f"{kind} could not run{_on(column)}: {error}"
    else:
        observed = _plain((res.result or {}).get("observed_value"))
        message = f"{kind} failed{_on(column)}: observed {observed!r}{detail}"
    data = {"expectation": kind, "column": column, "kwargs": kwargs}
    first = sources[0] if sources else ""
    out.findings.append(_finding(message, _SOURCE_TAIL.sub("", first), severity, data))


def _on(column: Any) -> str:
    return f" on column {column!r}" if column is not None else ""


def _finding(message: str, source: str, severity: Severity, data: dict[str, Any]) -> Finding:
    from fineprep.stages.check.rules.outside import G001

    path = _SOURCE_TAIL.sub("", source)
    return Finding(
        "G001",
        G001.name,
        severity,
        message,
        Location(path, None, None, source),
        orjson.loads(orjson.dumps(data, default=str, option=orjson.OPT_NON_STR_KEYS)),
    )


def _exception_message(info: Any) -> str | None:
    """gx nests exception info per metric; find the first message that was raised."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "unknown error")
    for value in info.values():
        found = _exception_message(value)
        if found:
            return found
    return None


def _plain(value: Any) -> Any:
    """numpy scalars and NaN as plain JSON values."""
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        try:
            value = value.item()
        except (TypeError, ValueError):
            value = str(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
