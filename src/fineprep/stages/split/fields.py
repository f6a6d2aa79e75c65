"""The fields ``--group`` and ``--stratify`` name must be in the data.

A misspelt field would otherwise group or stratify nothing: every record would be its own
unit, groups would straddle splits and the split would still pass, so a field that no record
has is a usage error, raised after the scan and before anything is written. A field that only
some records have is valid (those records are ungrouped or unstratified, as documented), and
the notes say how many records lack it, so a half-filled field is not mistaken for a full one.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from fineprep.core.errors import ConfigError, did_you_mean
from fineprep.stages.split.options import SplitOptions
from fineprep.stages.split.scan import Scan
from fineprep.stages.split.strata import elements


def check_fields(sc: Scan, opts: SplitOptions) -> list[str]:
    """Refuse a ``--group`` or ``--stratify`` field that no record has a value for; return notes
    for one that only some records have. The default group field (``group``, no ``--group``)
    may be absent: a dataset without groups is the common case."""
    notes = []
    if opts.group is not None:
        if not sc.grouped_records:
            raise _missing(opts.shown("group"), opts.group, sc)
        ungrouped = sc.records - sc.grouped_records
        if ungrouped:
            notes.append(
                f"{opts.shown('group')}: {ungrouped:,} of {sc.records:,} records have no "
                f"{opts.group!r} value; each of them is split on its own"
            )
    if opts.stratify is not None:
        unlabelled = sum(1 for label in sc.labels if not elements(label))
        if unlabelled == sc.records:
            if opts.stratify == "label":
                raise ConfigError(
                    f"{opts.shown('stratify')}: no record has a label",
                    hint="give each record a 'label' in its sidecar line, or split without "
                    "--stratify",
                )
            raise _missing(opts.shown("stratify"), opts.stratify, sc)
        if unlabelled:
            what = "label" if opts.stratify == "label" else f"{opts.stratify!r} value"
            notes.append(
                f"{opts.shown('stratify')}: {unlabelled:,} of {sc.records:,} records have no "
                f"{what}; they are balanced as one class of their own, '(none)'"
            )
    return notes


def _missing(shown: str, name: str, sc: Scan) -> ConfigError:
    sidecar = sc.sidecar.name if sc.sidecar is not None else "the sidecar"
    found = sidecar_fields(sc.sidecar) if sc.sidecar is not None else []
    listed = ", ".join(repr(f) for f in found) if found else "none"
    return ConfigError(
        f"{shown}: no line of {sidecar} has a {name!r} value{did_you_mean(name, found)}",
        hint=f"fields with values: {listed}",
    )


def sidecar_fields(sidecar: Path) -> list[str]:
    """The fields that some line of ``sidecar`` gives a value (not null), sorted.

    Read only to explain a missing field, so the scan keeps no per-field state; the scan has
    already refused a sidecar line that is not a JSON object."""
    found: set[str] = set()
    with sidecar.open("rb") as stream:
        for raw in stream:
            try:
                line = orjson.loads(raw)
            except orjson.JSONDecodeError:
                continue
            if isinstance(line, dict):
                found.update(key for key, value in line.items() if value is not None)
    return sorted(found)
