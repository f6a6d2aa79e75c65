"""``fineprep augment``: new records for what falls short, the originals untouched.

Three passes over the dataset: the inventory (labels, identities, what can be reworded), the
originals of the classes that need records, and the copy (originals byte for byte, then the
variants). The goal (:mod:`.plan`) comes from ``--to-min``, ``--per-class`` and ``--target``;
the strategies propose, the guard keeps, the producer spreads variants over originals. The
output is then checked (record counts N, balance B with B005, duplicates D001, near duplicates
D003), so what augment wrote is judged by the same rules as ``fineprep check``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fineprep.core.config import Settings, load_settings, merged
from fineprep.core.errors import ConfigError, InputError, require
from fineprep.core.rules import option
from fineprep.stages.augment.fit import keep_fitting
from fineprep.stages.augment.guard import Guard
from fineprep.stages.augment.heldout import held_out_files
from fineprep.stages.augment.options import AugmentOptions, resolve_options
from fineprep.stages.augment.plan import Goal, plan
from fineprep.stages.augment.produce import ALL, Producer, elements, produce
from fineprep.stages.augment.records import Inventory, Original, inventory, load
from fineprep.stages.augment.result import AugmentResult, build_result
from fineprep.stages.augment.strategy import Strategy
from fineprep.stages.augment.write import write_output

if TYPE_CHECKING:
    from fineprep.core.profiles import ModelProfile
    from fineprep.stages.augment.bedrock import BedrockStrategy
    from fineprep.stages.check.state import CheckResult

#: Codes checked on the output unless a selection is given.
DEFAULT_SELECT = ("N", "B", "D001", "D003", "S", "L", "T001", "T002", "T003")


def augment(
    dataset: str | Path,
    output: str | Path | None = None,
    *,
    to_min: bool | None = None,
    per_class: int | None = None,
    target: int | None = None,
    strategy: str | list[str] | None = None,
    seed: int | None = None,
    max_per_record: int | None = None,
    system: bool | None = None,
    held_out: float | None = None,
    templates: tuple[str, ...] = (),
    model: str | None = None,
    format: str | None = None,
    config: str | Path | None = None,
    settings: Settings | None = None,
    select: list[str] | None = None,
    run_checks: bool = True,
    bedrock: dict[str, Any] | None = None,
    bedrock_client: Any = None,
    validation: str | Path | Sequence[str | Path] | None = None,
    test: str | Path | Sequence[str | Path] | None = None,
) -> AugmentResult:
    """Add variants to a JSONL dataset until the goal is met; write ``output`` (+ sidecar).

    ``bedrock`` holds ``[augment.bedrock]`` keys as arguments (``model``, ``max_calls``,
    ``max_tokens``, ``retries``, ``region``, ``endpoint_url``...); ``bedrock_client`` is a
    ready boto3 ``bedrock-runtime`` client (tests pass a stubbed one). ``validation`` and
    ``test`` are held-out files no variant may leak into (D004); a split's own are found from
    the ``split.json`` beside ``dataset``.

    >>> result = augment("train.jsonl", "more.jsonl", to_min=True, model="claude-3-haiku")
    ...                                                                   # doctest: +SKIP
    >>> result.summary(), result.exit_code                                # doctest: +SKIP
    """
    require("numpy", "augment")  # the [dataset] extra: say so before any work
    settings = merged(settings or load_settings(config), model=model, format=format)
    opts = resolve_options(
        settings.sections.get("augment", {}),
        output=output,
        to_min=to_min,
        per_class=per_class,
        target=target,
        strategies=strategy,
        seed=seed,
        max_per_record=max_per_record,
        system=system,
        held_out=held_out,
        templates=templates,
        bedrock=bedrock,
        base=settings.config_path.parent if settings.config_path else None,
    )
    path = str(dataset)
    _refuse_overwrite(path, opts.output)
    held, held_note = held_out_files(path, [*_paths(validation), *_paths(test)])
    profile = settings.model_profile()
    inv = inventory(
        path,
        forced=settings.format,
        profile=profile,
        label_from=settings.label_from,
        declared_labels=settings.labels is not None or settings.label_from == "completion",
        system=opts.system,
    )
    if not inv.records:
        raise InputError(f"{path}: no records to augment", hint="check that it is the right file")
    if inv.format is not None and profile is not None:
        from fineprep.stages.check.engine import run_profile

        profile = run_profile(settings, inv.format)
    counts = _class_counts(inv)
    goal = _goal(inv, counts, opts, settings, profile)
    needy = set(goal.per_class) | ({ALL} if goal.total else set())
    wanted = {
        i
        for i, kind in enumerate(inv.kind)
        if kind == Inventory.ORIGINAL
        and (ALL in needy or needy.intersection(elements(inv.labels[i])))
    }
    originals = load(inv, wanted, profile, opts.system)
    strategies, extra = _strategies(opts, settings, originals, profile, bedrock_client)
    assert inv.format is not None or not originals
    guard = Guard(inv.format or "", profile, inv.known, settings.check_options("D003"), opts.system)
    producer = Producer(originals, strategies, guard, opts.max_per_record, opts.seed, set(inv.ids))
    producer.made.update(
        (o.index, inv.variants_of[o.id]) for o in originals.values() if o.id in inv.variants_of
    )
    short = produce(producer, goal, counts, inv.records)
    short = keep_fitting(producer, goal, counts, inv.records, settings, inv.format, short, held)
    variants = sorted(producer.variants, key=lambda v: v.original)
    sidecar = write_output(inv, originals, variants, opts.output)
    result = build_result(inv, opts, goal, short, producer, settings, sidecar)
    for made_by in strategies:
        notes = getattr(made_by, "notes", None)
        if notes is not None:
            result.notes.extend(notes())
    result.bedrock = extra.stats() if extra is not None else None
    if held_note is not None:
        result.notes.append(held_note)
    if run_checks:
        result.check = check_output(opts.output, settings, select)
    return result


def _paths(given: str | Path | Sequence[str | Path] | None) -> list[str]:
    if given is None:
        return []
    if isinstance(given, (str, Path)):
        return [str(given)]
    return [str(p) for p in given]


def _goal(
    inv: Inventory,
    counts: dict[str, int],
    opts: AugmentOptions,
    settings: Settings,
    profile: ModelProfile | None,
) -> Goal:
    if opts.per_class and not inv.labelled:
        raise ConfigError(
            f"augment --per-class: {inv.path} has no classes",
            hint="label the records in the sidecar (convert --label) or use --target",
        )
    minimum = None
    if profile is not None:
        minimum = profile.min_records
        if inv.format == "distillation" and profile.distillation_min_records:
            minimum = profile.distillation_min_records
    validation, test = _held_out(opts, settings, profile)
    return plan(
        counts,
        inv.records,
        to_min=opts.to_min,
        per_class=opts.per_class,
        target=opts.target,
        min_count=option(settings.check_options("B002"), "min-count", 10, int),
        profile=profile,
        minimum=minimum,
        validation=validation,
        test=test,
    )


def _held_out(
    opts: AugmentOptions, settings: Settings, profile: ModelProfile | None
) -> tuple[float, float]:
    """The shares a later split takes out of training: ``held-out``, else ``[split]``'s
    validation (default 0.1, none for a model without validation) and test."""
    if opts.held_out is not None:
        return opts.held_out, 0.0
    section = settings.sections.get("split", {})
    validation = float(section.get("validation", 0.1))
    if profile is not None and not profile.validation_supported:
        validation = 0.0
    return validation, float(section.get("test", 0.0))


def _class_counts(inv: Inventory) -> dict[str, int]:
    counts: dict[str, int] = {}
    if inv.labelled:
        for label in inv.labels:
            for one in elements(label):
                counts[one] = counts.get(one, 0) + 1
    return counts


def _strategies(
    opts: AugmentOptions,
    settings: Settings,
    originals: dict[int, Original],
    profile: ModelProfile | None,
    client: Any,
) -> tuple[list[Strategy], BedrockStrategy | None]:
    out: list[Strategy] = []
    bedrock = None
    for name in opts.strategies:
        if name == "rules":
            from fineprep.stages.augment.rules import RulesStrategy, rule_table

            out.append(RulesStrategy(rule_table(opts.rules, opts.builtin_rules), opts.seed))
        elif name == "template":
            from fineprep.stages.augment.template import TemplateStrategy

            out.append(TemplateStrategy(settings, opts.templates, originals, profile, opts.seed))
        elif originals:
            from fineprep.stages.augment.bedrock import BedrockStrategy

            bedrock = BedrockStrategy(opts.bedrock, opts.max_per_record * 2, client)
            out.append(bedrock)
    return out, bedrock


def check_output(output: Path, settings: Settings, select: list[str] | None) -> CheckResult:
    """The check engine on what augment wrote (counts, balance, duplicates, near duplicates)."""
    from fineprep.stages.check.engine import check_files

    checked = dataclasses.replace(settings, select=list(select or DEFAULT_SELECT))
    return check_files([str(output)], checked)


def _refuse_overwrite(path: str, output: Path) -> None:
    from fineprep.io.jsonl import sidecar_path

    if path == "-":
        raise ConfigError(
            "augment reads its input three times and cannot take standard input",
            hint="save it to a .jsonl file first",
        )
    from fineprep.io.outputs import refuse_mixed_set, same_file

    inputs = [Path(path), sidecar_path(path)]
    if any(same_file(o, i) for o in (output, sidecar_path(output)) for i in inputs):
        raise ConfigError(
            f"-o {output}: augment would overwrite its input {path}",
            hint="write the augmented dataset to another file",
        )
    refuse_mixed_set(path)
