"""``fineprep split``: a deterministic, stratified, group-aware train/validation/test split.

Two passes over the dataset: the first keeps a key, group and label per record (see
:mod:`fineprep.stages.split.scan`), the pure assignment decides each unit's split
(:mod:`fineprep.stages.split.assign`), the second copies every line byte for byte into its split.
The model profile caps or refuses the validation set, and the check engine then runs on the
outputs (record counts N, leakage D004, class balance B), so what a split writes is judged by
the same rules as ``fineprep check``. ``split.json`` is written only after that check, so a
directory with one holds a finished split (see :mod:`fineprep.stages.split.summary`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fineprep.core.config import Settings, load_settings
from fineprep.core.errors import InputError, require
from fineprep.core.results import Result
from fineprep.core.rules import option
from fineprep.io.outputs import OutputSet, refuse_mixed_set
from fineprep.io.remote import input_aws, is_remote
from fineprep.io.staging import RemoteOrigin, StagedDataset
from fineprep.stages.split.assign import (
    DROPPED,
    SPLITS,
    TRAIN,
    VALIDATION,
    Plan,
    assign,
)
from fineprep.stages.split.explain import explain, shortfalls
from fineprep.stages.split.fields import check_fields
from fineprep.stages.split.grouping import (
    UnionFind,
    merge_leaky_units,
    merge_summary,
    merge_variants,
    regrouped,
)
from fineprep.stages.split.identity import Identities
from fineprep.stages.split.options import SplitOptions, resolve_options
from fineprep.stages.split.partitions import scan_dataset
from fineprep.stages.split.scan import Scan
from fineprep.stages.split.strata import split_units
from fineprep.stages.split.summary import (
    augmented_summary,
    class_counts,
    previous_files,
    split_summary,
    withdraw_summary,
    write_summary,
)
from fineprep.stages.split.verify import check_outputs, leaked_records
from fineprep.stages.split.write import (
    locked_output,
    refuse_overwrite,
    remove_stale,
    write_splits,
)

if TYPE_CHECKING:
    from fineprep.core.profiles import ModelProfile
    from fineprep.stages.check.state import CheckResult

#: Rounds of "split, check for leaks, merge what leaked" before giving up (one is the norm).
_MAX_REGROUPS = 5


@dataclass
class SplitResult(Result):
    """What a split wrote, why, and what the checks found in it."""

    out_dir: Path
    files: dict[str, Path]
    counts: dict[str, int]
    classes: dict[str, dict[str, int]]
    notes: list[str]
    summary: dict[str, Any]
    check: CheckResult | None = None
    rare: dict[str, int] = field(default_factory=dict)
    #: The split each input record went to (for mapping findings back to input lines).
    per_record: list[str] = field(default_factory=list, repr=False)

    @property
    def exit_code(self) -> int:
        return self.check.exit_code if self.check is not None else 0


def split(
    dataset: str | Path,
    out_dir: str | Path | None = None,
    *,
    validation: float | None = None,
    test: float | None = None,
    stratify: str | None = None,
    group: str | None = None,
    seed: int | None = None,
    model: str | None = None,
    max_per_class: int | None = None,
    format: str | None = None,
    config: str | Path | None = None,
    settings: Settings | None = None,
    select: list[str] | None = None,
    run_checks: bool = True,
) -> SplitResult:
    """Split a JSONL dataset into ``train``/``validation``(/``test``) files in ``out_dir``.

    Arguments left as None come from the ``[split]`` config section, then the defaults
    (validation 0.1, test 0, seed 0). Returns what was written and the check of the outputs.

    >>> result = split("data.jsonl", "out", stratify="label", model="nova-lite")  # doctest: +SKIP
    >>> result.counts, result.exit_code                                           # doctest: +SKIP
    """
    require("numpy", "split")  # the [dataset] extra: say so before any work
    if settings is None:
        settings = load_settings(config)
    if model:
        settings = dataclasses.replace(settings, model=model)
    if format:
        settings = dataclasses.replace(settings, format=format)
    opts = resolve_options(
        settings.sections.get("split", {}),
        out_dir=out_dir,
        validation=validation,
        test=test,
        stratify=stratify,
        group=group,
        seed=seed,
        max_per_class=max_per_class,
    )
    path = str(dataset)
    remote = is_remote(path)
    refuse_overwrite(path, opts.out_dir, local=not remote)
    # One split writes this directory at a time: a second is refused before it reads (or
    # downloads) anything, never after a scan of minutes, and never interleaved.
    with locked_output(opts.out_dir):
        if remote:
            # Read twice (plan, write): from one local copy, so both passes see the same bytes.
            with StagedDataset(path, input_aws(settings.sections.get("upload"))) as staged:
                refuse_mixed_set(staged.path)
                return _split_dataset(
                    staged.path, opts, settings, select, run_checks, staged.origin
                )
        return _split_dataset(path, opts, settings, select, run_checks, None)


def _split_dataset(
    path: str,
    opts: SplitOptions,
    settings: Settings,
    select: list[str] | None,
    run_checks: bool,
    origin: RemoteOrigin | None,
) -> SplitResult:
    profile = settings.model_profile()
    notes: list[str] = []
    target = _validation_share(opts, profile, notes)
    identities = Identities(settings.check_options("D003"), settings.format, profile)
    sc = scan_dataset(
        path,
        settings.sections.get("engine"),
        stratify=opts.stratify,
        group=opts.group,
        fmt=settings.format,
        label_from=settings.label_from,
        profile=profile,
        identities=identities,
        origin=origin,
    )
    shown = sc.name = origin.uri if origin is not None else path
    if not sc.records:
        raise InputError(f"{path}: no records to split", hint="check that it is the right file")
    notes += check_fields(sc, opts)
    if sc.bom:
        notes.append(f"{shown} starts with a byte-order mark; it is not copied")
    merges = UnionFind(len(sc.unit_keys))
    merge_leaky_units(identities, sc.unit_of, merges, settings)
    sc.identities = None  # the signatures are not needed again
    orphans = merge_variants(sc, merges)
    if orphans:
        notes.append(
            f"{orphans:,} augmented records name an original (augmented_from) that is not in "
            f"{shown}: they are split on their own"
        )
    min_count = option(settings.check_options("B002"), "min-count", 10, int)
    listed = previous_files(opts.out_dir)
    for _ in range(_MAX_REGROUPS):
        result = _split_once(
            sc, merges, opts, settings, profile, target, min_count, notes[:], listed
        )
        listed = {**listed, **result.summary["files"]}
        if not run_checks:
            return _finished(result)
        # split.json is not written yet: until this check has run, the split is not done.
        result.check = check_outputs(result.files, settings, select)
        leaks = leaked_records(result.check, result.files, result.per_record)
        if not leaks:
            return _finished(result)
        # LSH missed these pairs when grouping: merge them and split again.
        for a, b in leaks:
            merges.union(sc.unit_of[a], sc.unit_of[b], "leak_check")
    result.notes.append(f"leaks remain after {_MAX_REGROUPS} regroupings (see D004)")
    return _finished(result)


def _finished(result: SplitResult) -> SplitResult:
    """Write split.json, which seals the checked files as one finished split."""
    write_summary(result.out_dir, result.summary)
    return result


def _split_once(
    scanned: Scan,
    merges: UnionFind,
    opts: SplitOptions,
    settings: Settings,
    profile: ModelProfile | None,
    target: Fraction,
    min_count: int,
    notes: list[str],
    listed: dict[str, Any],
) -> SplitResult:
    """Assign the merged units and write the split files; prepare ``split.json``, which the
    caller writes once the files are checked. ``listed``: files earlier splits wrote here."""
    sc = regrouped(scanned, merges)
    units, rare = split_units(sc, opts, min_count)
    plan = Plan(
        validation=target,
        test=Fraction(repr(opts.test)),
        seed=opts.seed,
        validation_cap=profile.max_validation_records if profile else None,
        keep_in_train=frozenset(rare),
        max_per_class=opts.max_per_class,
    )
    done = assign(units, plan)
    per_record = [done.split[u] for u in sc.unit_of]
    counts = {name: per_record.count(name) for name in (*SPLITS, DROPPED)}
    explain(done, plan, profile, rare, min_count, opts, notes)
    shortfalls(done, units, counts, notes)
    if not counts[TRAIN]:  # assign() keeps one: a split with nothing to train on is not written
        raise InputError(f"{sc.name or sc.path}: the split left no record for train")
    outputs = write_splits(sc, per_record, opts.out_dir)
    notes += remove_stale(opts.out_dir, outputs, listed)
    # The earlier split.json no longer describes the files: this run's replaces it once checked.
    withdraw_summary(opts.out_dir, {**listed, **{n: o.summary() for n, o in outputs.items()}})
    small = opts.validation > 0 and target > 0 and VALIDATION not in outputs
    if small and VALIDATION not in done.reserved and not done.requested[VALIDATION]:
        notes.append("no record went to validation (the dataset is too small for the ratio)")
    classes = class_counts(sc.labels, per_record) if opts.stratify else {}
    summary = split_summary(sc, opts, settings, outputs, counts, classes, rare, done, notes)
    summary["requested"] = done.requested
    grouping = merge_summary(scanned, merges)
    summary["groups"].update(grouping)
    summary["augmented"] = augmented_summary(scanned, per_record, bool(opts.stratify))
    if grouping["merged_records"]:
        why = ", ".join(f"{k.replace('_', ' ')}: {v:,}" for k, v in grouping["merges"].items() if v)
        summary["notes"].append(
            f"{grouping['merged_records']:,} records kept together with their identical, "
            f"same-input, near-duplicate or augmented records so that no leak crosses splits "
            f"({why})"
        )
    # split.json seals the files as one run's set (check verifies it); written once checked.
    members = [p for o in outputs.values() for p in (o.path, o.sidecar)]
    known = {o.path: o.sha256 for o in outputs.values()}
    known.update({o.sidecar: o.sidecar_sha256 for o in outputs.values()})
    summary["set"] = OutputSet(opts.out_dir / "split.json").record(members, known)
    files = {n: o.path for n, o in outputs.items()}
    result = SplitResult(opts.out_dir, files, counts, classes, notes, summary, rare=rare)
    result.per_record = per_record
    return result


def _validation_share(
    opts: SplitOptions, profile: ModelProfile | None, notes: list[str]
) -> Fraction:
    if opts.validation > 0 and profile is not None and not profile.validation_supported:
        notes.append(
            f"{profile.name} takes no validation set: no validation.jsonl is written and its "
            f"{opts.validation:.0%} stays in train"
        )
        return Fraction(0)
    return Fraction(repr(opts.validation))
