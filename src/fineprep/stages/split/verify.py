"""What a split wrote, judged by ``fineprep check``: counts, balance, near duplicates and, always,
leakage (D004) between the files it wrote.

A D004 pair means the grouping missed two records that belong together (LSH is probabilistic);
the runner merges their units and splits again, so a split never ships a leak it can see.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from fineprep.core.config import Settings
from fineprep.core.errors import InputError
from fineprep.stages.split.assign import TEST, TRAIN, VALIDATION

if TYPE_CHECKING:
    from fineprep.stages.check.state import CheckResult

#: Codes checked on the outputs unless a selection is given: counts, near duplicates, leakage,
#: balance.
DEFAULT_SELECT = ("N", "D003", "D004", "B")


def check_outputs(
    files: dict[str, Path], settings: Settings, select: list[str] | None
) -> CheckResult:
    """Run the check engine on the written files, with their roles (train/validation/test).

    Train is always among them, however small (N001 judges its record count against the
    model's minimum); a split without a training file is refused, since without one N001 would
    have nothing to judge and the check would pass a split no model can be tuned on."""
    from fineprep.stages.check.engine import check_files
    from fineprep.stages.check.selection import resolve_selection

    train = files.get(TRAIN)
    if train is None:
        where = next(iter(files.values())).parent if files else "the output"
        raise InputError(
            f"{where}: the split has no training file (train.jsonl) to check",
            hint="split again; a model is tuned on train.jsonl",
        )
    # The outputs are a whole dataset: its rules run even where the config's scope is "record".
    wanted = dataclasses.replace(settings, select=list(select or DEFAULT_SELECT), scope="all")
    # D004 always runs, whatever --select or --ignore say: split verifies that it wrote no leak
    # (see leaked_records), and one it could not repair is shown, not hidden.
    shown = resolve_selection(wanted)
    checked = dataclasses.replace(
        settings, select=sorted(shown | {"D004"}), extend_select=[], ignore=[], scope="all"
    )
    return check_files(
        [str(train)],
        checked,
        validation=[str(files[VALIDATION])] if VALIDATION in files else [],
        test=[str(files[TEST])] if TEST in files else [],
    )


def leaked_records(
    check: CheckResult, files: dict[str, Path], per_record: list[str]
) -> list[tuple[int, int]]:
    """Input record indices of every D004 pair the check found in what was written
    (``per_record``: the split each input record went to)."""
    rows: dict[str, list[int]] = {}
    for index, name in enumerate(per_record):
        rows.setdefault(name, []).append(index)
    by_path = {str(path): name for name, path in files.items()}
    pairs = []
    for f in check.findings:
        side = by_path.get(f.location.path)
        train_line = f.data.get("train_line")
        if f.code != "D004" or side is None or f.location.line is None or train_line is None:
            continue
        train_side = by_path.get(str(f.data.get("train_path")), "train")
        pairs.append((rows[side][f.location.line - 1], rows[train_side][int(train_line) - 1]))
    return pairs
