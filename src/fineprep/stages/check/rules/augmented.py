"""B005 and the counts "with and without augmented records" of the N and B checks.

A record made by ``fineprep augment`` names its original in the sidecar (``augmented_from``).
Bedrock counts it like any other record, so the verdicts of N001-N003 and B001-B004 are taken
on every record; their messages and ``data`` also give the original and augmented counts, so a
class that reaches its minimum only through variants is visible as such. B005 says when
variants make up more than a share (default 50%) of a class or of the dataset: a model trained
mostly on rewordings of a few examples learns those few examples.
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING, Any

from fineprep.core.hashing import hash_bytes
from fineprep.core.rules import option, rule

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from fineprep.core.config import Settings
    from fineprep.stages.check.state import FileState, RunState

rule(
    "B005",
    "augmented-share",
    "warning",
    "augmented records over a share of a class or of the dataset",
    what="More than `max-share` (default 0.5) of a class's records, or of all records, are "
    "variants made by `fineprep augment` (their sidecar names the original in "
    "`augmented_from`). Original and augmented counts are in `data`.",
    why="Variants reword an original; they add no new facts. A class of 3 originals and 7 "
    "rewordings reaches B002's minimum on paper, but the model still learns 3 examples, and "
    "validation on such a class measures how well it recognises rewordings.",
    example="class 'refund-fraud': 7 of 10 records are augmented (70%, max-share 50%)",
    fix="Collect more real examples of the class, or make fewer variants (`fineprep augment "
    "--per-class N` with a lower N). Tune with [tool.fineprep.checks.B005] max-share = 0.6.",
    options={"max-share": "share (0-1) of augmented records above which to warn (0.5)"},
)


def count_note(records: int, augmented: int) -> str:
    """`` (12 original + 8 augmented)`` when some of ``records`` are augmented, else ``""``."""
    if not augmented:
        return ""
    return f" ({records - augmented:,} original + {augmented:,} augmented)"


def count_data(records: int, augmented: int) -> dict[str, int]:
    """The ``data`` keys that give a count without its augmented records (none if there are
    none, so findings about data that was never augmented keep their shape)."""
    if not augmented:
        return {}
    return {"original": records - augmented, "augmented": augmented}


def max_share(settings: Settings) -> float:
    """B005's ``max-share`` (checked): the check, augment's summary and the report use it."""
    value = float(option(settings.check_options("B005"), "max-share", 0.5, float))
    if not 0.0 <= value < 1.0:
        from fineprep.core.errors import ConfigError

        raise ConfigError(f"checks.B005.max-share must be at least 0 and below 1, got {value}")
    return value


def strategies(files: list[FileState]) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in files:
        for name, n in f.augmented.items():
            out[name] = out.get(name, 0) + n
    return dict(sorted(out.items()))


def share_findings(
    run: RunState,
    where: FileState | None,
    classes: dict[str, tuple[int, int]] | None,
) -> None:
    """B005 for the dataset (every file) and, for labelled data, per class:
    ``classes`` maps a label to ``(records, augmented)`` over every split."""
    if not run.is_enabled("B005"):
        return
    limit = max_share(run.settings)
    records = sum(f.records for f in run.files)
    augmented = sum(f.augmented_records for f in run.files)
    if not augmented:
        return
    by_strategy = strategies(run.files)
    # Counted over the whole dataset, and said so when that is more than the file it names.
    files = len([f for f in run.files if f.records])
    across = f" of the {files:,} files together" if files > 1 else ""
    if augmented > limit * records:
        run.emit(
            "B005",
            f"{augmented:,} of {records:,} records{across} are augmented "
            f"({augmented / records:.0%}, "
            f"max-share {limit:.0%}): {_listed(by_strategy)}",
            where,
            None,
            None,
            _data("dataset", records, augmented, limit, {"strategies": by_strategy}),
        )
    for label, (total, aug) in sorted((classes or {}).items()):
        if aug and aug > limit * total:
            run.emit(
                "B005",
                f"class {label!r}: {aug:,} of {total:,} records{across} are augmented "
                f"({aug / total:.0%}, max-share {limit:.0%})",
                where,
                None,
                None,
                _data("class", total, aug, limit, {"label": label}),
            )


def _data(
    scope: str, records: int, augmented: int, limit: float, extra: dict[str, Any]
) -> dict[str, Any]:
    return {
        "scope": scope,
        **extra,
        "records": records,
        "original": records - augmented,
        "augmented": augmented,
        "share": round(augmented / records, 4),
        "max_share": limit,
    }


def _listed(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n:,}" for name, n in counts.items())


def id_hash(value: str | None) -> int:
    """A sidecar id as a non-zero 64-bit hash (0: no id), for D003's per-record arrays."""
    return hash_bytes(value.encode("utf-8", "surrogatepass")) | 1 if value is not None else 0


def without_own_originals(
    ident: array[int],
    origin: array[int],
    i: npt.NDArray[np.int64],
    j: npt.NDArray[np.int64],
    sim: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """D003's pairs ``(i, j, sim)`` without those of a variant and the original it was made
    from (``origin`` of one is the ``ident`` of the other)."""
    import numpy as np

    made_from = np.frombuffer(origin, dtype=np.uint64)
    if not len(i) or not made_from.any():
        return i, j, sim
    ids = np.frombuffer(ident, dtype=np.uint64)
    own = ((made_from[i] != 0) & (made_from[i] == ids[j])) | (
        (made_from[j] != 0) & (made_from[j] == ids[i])
    )
    keep = ~own
    return i[keep], j[keep], sim[keep]
