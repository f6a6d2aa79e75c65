"""The ``split.json`` record of a split: parameters, input hash, counts per split and class.

It is written last and is byte-identical across reruns (no timestamps), so a changed
split.json in version control means the data or the parameters changed.

It is also what marks a split as finished: its ``set`` seals the files as one run's, and it is
written only once the outputs have been checked (whatever the check found: a split too small
for the model is what ``augment`` fills, guided by this file). A run withdraws the split.json
of an earlier run as soon as its own files have replaced that run's (the old one would vouch
for files no longer there), so an interrupted or failed verification leaves no split.json at
all, and a run killed before the withdrawal leaves one that ``check`` finds does not describe
the files (S009). The withdrawal first records the files in play in ``.split.json.pending``,
so the next run still removes a test.jsonl that an interrupted run wrote and it does not.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import orjson

from fineprep.core import __version__
from fineprep.core.config import Settings
from fineprep.io.atomic import atomic_write_bytes
from fineprep.stages.split.assign import DROPPED, SPLITS, VALIDATION, Assignment
from fineprep.stages.split.options import SplitOptions
from fineprep.stages.split.scan import Scan
from fineprep.stages.split.strata import elements
from fineprep.stages.split.write import Output

SUMMARY_NAME = "split.json"


def class_counts(labels: list[Any], per_record: list[str]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for label, where in zip(labels, per_record, strict=True):
        row = out.setdefault(where, {})
        for one in set(elements(label)) or {"(none)"}:
            row[one] = row.get(one, 0) + 1
    return {name: dict(sorted(out[name].items())) for name in (*SPLITS, DROPPED) if name in out}


def augmented_summary(sc: Scan, per_record: list[str], stratified: bool) -> dict[str, Any]:
    """For ``split.json``: augmented records in all, per strategy, per split and (stratified)
    per split and class; and how many name an original that is not in the dataset."""
    strategies: dict[str, int] = {}
    splits: dict[str, int] = {}
    for index, _, strategy in sc.augmented:
        strategies[strategy] = strategies.get(strategy, 0) + 1
        splits[per_record[index]] = splits.get(per_record[index], 0) + 1
    out: dict[str, Any] = {
        "records": len(sc.augmented),
        "strategies": dict(sorted(strategies.items())),
        "splits": {name: splits[name] for name in (*SPLITS, DROPPED) if name in splits},
        "without_original": sc.orphans,
    }
    if stratified:
        rows = [index for index, _, _ in sc.augmented]
        out["classes"] = class_counts([sc.labels[i] for i in rows], [per_record[i] for i in rows])
    return out


def split_summary(
    sc: Scan,
    opts: SplitOptions,
    settings: Settings,
    outputs: dict[str, Output],
    counts: dict[str, int],
    classes: dict[str, dict[str, int]],
    rare: dict[str, int],
    done: Assignment,
    notes: list[str],
) -> dict[str, Any]:
    return {
        "version": 1,
        "tool": {"name": "fineprep", "version": __version__},
        "input": {
            "path": sc.name or sc.path,
            "sha256": sc.sha256,
            "records": sc.records,
            "sidecar": sc.sidecar.name if sc.sidecar else None,
        },
        "parameters": {
            **opts.as_dict(),
            "model": settings.model,
            "label_from": settings.label_from,
        },
        "files": {name: out.summary() for name, out in sorted(outputs.items())},
        "counts": counts,
        "classes": classes,
        "rare_classes": rare,
        "validation_cap": None
        if done.uncapped_validation is None
        else {"requested": done.uncapped_validation, "cap": done.requested[VALIDATION]},
        "downsampled": {
            str(k): v for k, v in sorted(done.dropped.items(), key=lambda kv: str(kv[0]))
        },
        "groups": {"field": opts.group or "group", "grouped_records": sc.grouped_records},
        "notes": notes,
    }


#: Hidden beside split.json while a run has withdrawn it: the files that run may have written,
#: so a later run removes the stale ones even when the run was killed before finishing.
PENDING_NAME = ".split.json.pending"


def previous_files(out_dir: Path) -> dict[str, Any]:
    """The ``files`` earlier splits wrote in ``out_dir``: those its split.json lists and those
    an unfinished run recorded as pending (empty if none or unreadable)."""
    found: dict[str, Any] = {}
    for name in (PENDING_NAME, SUMMARY_NAME):
        try:
            listed = orjson.loads((out_dir / name).read_bytes()).get("files", {})
        except (OSError, orjson.JSONDecodeError, AttributeError):
            continue
        if isinstance(listed, dict):
            found.update(listed)
    return found


def withdraw_summary(out_dir: Path, written: dict[str, Any]) -> None:
    """Remove an earlier run's split.json once this run's files have replaced its files,
    recording first which files (``written``, with the earlier ones) are now unfinished."""
    body = orjson.dumps({"files": written}, option=orjson.OPT_SORT_KEYS)
    atomic_write_bytes(out_dir / PENDING_NAME, body)
    with contextlib.suppress(FileNotFoundError):
        (out_dir / SUMMARY_NAME).unlink()


def write_summary(out_dir: Path, summary: dict[str, Any]) -> None:
    """Write split.json (atomically): the split is finished once it is in place."""
    body = orjson.dumps(summary, option=orjson.OPT_INDENT_2) + b"\n"
    atomic_write_bytes(out_dir / SUMMARY_NAME, body)
    with contextlib.suppress(FileNotFoundError):
        (out_dir / PENDING_NAME).unlink()
