"""The Python API: the CLI's commands as functions, returning results instead of exit codes.

Every function takes the values its command takes (``fail_on="warning"``, ``select=["T", "D"]``,
``model="nova-lite"``), reads the nearest config file unless ``isolated=True`` or ``settings`` is
given, and returns a result with ``exit_code``, ``to_dict()`` and ``to_pandas()``. ``check``,
``convert`` and ``split`` also take records in memory: a pandas DataFrame, an Arrow table, or
dicts (one per record), reported as ``records.jsonl:N``. Failures of the tool raise
:class:`fineprep.FineprepError` subclasses. Heavy dependencies load only when a function needs
them.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fineprep.core.config import Settings, load_settings
from fineprep.core.errors import ConfigError
from fineprep.core.model import Severity
from fineprep.io.inline import NAME, is_inline, records_file

if TYPE_CHECKING:
    from fineprep.pipeline import RunResult
    from fineprep.stages.augment.result import AugmentResult
    from fineprep.stages.check.state import CheckResult
    from fineprep.stages.convert.result import ConvertResult
    from fineprep.stages.launch.submit import LaunchResult
    from fineprep.stages.split.runner import SplitResult
    from fineprep.stages.upload.runner import UploadResult

#: Paths, or records in memory: a pandas DataFrame, a pyarrow Table, or dicts.
Data = str | Path | Sequence[str | Path] | Iterable[Mapping[str, Any]] | Any
Paths = str | Path | Sequence[str | Path]


def _settings(
    settings: Settings | None, config: str | Path | None, isolated: bool, **values: Any
) -> Settings:
    """Settings from ``settings`` or the config file, with the given values (None: not given)
    over them, each in the form the command line takes."""
    base = settings if settings is not None else load_settings(config, isolated=isolated)
    changes = {k: v for k, v in values.items() if v is not None}
    if "fail_on" in changes and not isinstance(changes["fail_on"], Severity):
        try:
            changes["fail_on"] = Severity.parse(str(changes["fail_on"]))
        except ValueError as exc:
            raise ConfigError(f"fail_on: {exc}") from None
    for key in ("model", "format", "encoding", "tokenizer"):
        if key in changes and not isinstance(changes[key], str):
            kind = type(changes[key]).__name__
            raise ConfigError(f"{key} must be a string, not {kind}")
    for key in ("select", "extend_select", "ignore"):
        if key in changes:
            value = changes[key]
            items = [value] if isinstance(value, str) else list(value)
            # As on the command line: "S,L" is two selectors.
            parts = [part for v in items for part in str(v).split(",")]
            changes[key] = [part.strip().upper() for part in parts if part.strip()]
    return dataclasses.replace(base, **changes)


def _paths(stack: ExitStack, data: Data) -> list[str]:
    """Paths of ``data``: a path, paths, or records in memory (written to a temporary file).
    Anything else is a :class:`ConfigError` naming what was given, as the command line's."""
    if data is None:
        raise ConfigError("no data given", hint="pass a path, a list of paths, or records")
    if is_inline(data):
        return [str(stack.enter_context(records_file(data)))]
    if isinstance(data, (str, os.PathLike)):
        return [os.fspath(data)]
    if not isinstance(data, (list, tuple)):
        raise ConfigError(
            f"data must be a path, a list of paths, or records, not {type(data).__name__}"
        )
    bad = next((p for p in data if not isinstance(p, (str, os.PathLike))), None)
    if bad is not None:
        raise ConfigError(f"a path must be a string or a Path, not {type(bad).__name__}")
    return [os.fspath(p) for p in data]


def _one_path(stack: ExitStack, data: Data, command: str) -> str:
    """The one dataset of ``split``/``augment`` (their command lines take one, too)."""
    paths = _paths(stack, data)
    if len(paths) != 1:
        raise ConfigError(f"{command} takes one dataset, not {len(paths)} paths")
    return paths[0]


def check(
    data: Data,
    *,
    model: str | None = None,
    format: str | None = None,
    validation: Paths | None = None,
    test: Paths | None = None,
    select: str | Sequence[str] | None = None,
    extend_select: str | Sequence[str] | None = None,
    ignore: str | Sequence[str] | None = None,
    fail_on: str | Severity | None = None,
    stats: bool | None = None,
    exact_tokens: bool | None = None,
    encoding: str | None = None,
    limits: dict[str, Any] | None = None,
    checks: dict[str, dict[str, Any]] | None = None,
    labels: list[str] | None = None,
    completion_format: str | None = None,
    completion_schema: str | dict[str, Any] | None = None,
    validation_files: list[str] | None = None,
    tokenizer: str | None = None,
    tokenizer_file: str | None = None,
    config: str | Path | None = None,
    isolated: bool = False,
    settings: Settings | None = None,
) -> CheckResult:
    """Check JSONL files, or records in memory; the values are the command line's.

    >>> result = check("train.jsonl", model="nova-lite", fail_on="warning")  # doctest: +SKIP
    >>> result.exit_code, result.to_pandas().groupby("code").size()          # doctest: +SKIP
    """
    from fineprep.stages.check.engine import check_files

    chosen = _settings(
        settings, config, isolated, model=model, format=format, select=select,
        extend_select=extend_select, ignore=ignore, fail_on=fail_on, stats=stats,
        exact_tokens=exact_tokens, encoding=encoding, limits=limits, checks=checks,
        labels=labels, completion_format=completion_format,
        completion_schema=completion_schema, validation_files=validation_files,
        tokenizer=tokenizer, tokenizer_file=tokenizer_file,
    )  # fmt: skip
    with ExitStack() as stack:
        paths = _paths(stack, data)
        if not paths:
            raise ConfigError("no files to check", hint="pass a path, a list of paths, or records")
        result = check_files(
            paths,
            chosen,
            validation=_paths(stack, validation) if validation is not None else [],
            test=_paths(stack, test) if test is not None else [],
        )
        if is_inline(data):
            _rename(result, paths[0], NAME)
    return result


def _rename(result: CheckResult, temp: str, name: str) -> None:
    """Findings of in-memory records point at ``records.jsonl``, not a temporary path."""
    for f in result.findings:
        if f.location.path == temp:
            f.location = dataclasses.replace(f.location, path=name)
    for file in result.files:
        if file.path == temp:
            file.path = name


def convert(
    sources: Data | None = None,
    *,
    output: str | Path | None = None,
    to: str | None = None,
    model: str | None = None,
    prompt: str | None = None,
    completion: str | None = None,
    system: str | None = None,
    input: str | None = None,
    completion_json: str | None = None,
    images: str | None = None,
    label: str | None = None,
    group: str | None = None,
    id: str | None = None,
    source: str | None = None,
    rejects: str | Path | None = None,
    media_dir: str | None = None,
    reference_answer: str | None = None,
    null_as: str | None = None,
    config: str | Path | None = None,
    isolated: bool = False,
    settings: Settings | None = None,
    **options: Any,
) -> ConvertResult:
    """Convert sources (files, folders, or rows in memory) to Bedrock JSONL. The named values
    are the common ones; every other ``fineprep convert`` option is accepted by its
    Python name (``chunk_tokens=2000``, ``source_options={"unit": "page"}``).

    >>> result = convert(df, output="train.jsonl", model="nova-lite",      # doctest: +SKIP
    ...                  prompt="question", completion="answer")
    """
    from fineprep.stages.convert.runner import convert as _convert

    named: dict[str, Any] = {
        "to": to, "prompt": prompt, "completion": completion, "system": system, "input": input,
        "completion_json": completion_json, "images": images, "label": label, "group": group,
        "id": id, "source": source, "media_dir": media_dir, "null_as": null_as,
        "reference_answer": reference_answer,
        "rejects": None if rejects is None else str(rejects),
    }  # fmt: skip
    with ExitStack() as stack:
        inputs = _paths(stack, sources) if sources is not None else []
        return _convert(
            inputs, output=output, model=model, config=config, isolated=isolated,
            settings=settings, **{k: v for k, v in named.items() if v is not None}, **options,
        )  # fmt: skip


def split(
    dataset: Data,
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
    select: str | Sequence[str] | None = None,
    config: str | Path | None = None,
    isolated: bool = False,
    settings: Settings | None = None,
    run_checks: bool = True,
) -> SplitResult:
    """Split a dataset (a JSONL file or records in memory) into train/validation(/test),
    deterministic, stratified, grouped and leak-free; the outputs are checked."""
    from fineprep.stages.split.runner import split as _split

    chosen = _settings(settings, config, isolated)
    picks = [select] if isinstance(select, str) else list(select) if select else None
    with ExitStack() as stack:
        path = _one_path(stack, dataset, "split")
        return _split(
            path, out_dir, validation=validation, test=test, stratify=stratify, group=group,
            seed=seed, model=model, max_per_class=max_per_class, format=format,
            settings=chosen, select=picks, run_checks=run_checks,
        )  # fmt: skip


def upload(
    paths: Paths,
    to: str | None = None,
    *,
    model: str | None = None,
    validation: Paths | None = None,
    test: Paths | None = None,
    config: str | Path | None = None,
    isolated: bool = False,
    settings: Settings | None = None,
    **options: Any,
) -> UploadResult:
    """Check, upload and verify a dataset; write manifest.json and job-request.json.
    ``options`` are upload options by their Python names (``kms_key_id=...``,
    ``verify_media=True``, ``endpoint_url=...``, ``job=JobOptions(...)``)."""
    from fineprep.stages.upload.runner import upload as _upload

    def listed(value: Paths | None) -> list[str | Path] | None:
        if value is None:
            return None
        return [value] if isinstance(value, (str, Path)) else list(value)

    return _upload(
        listed(paths) or [], to, model=model, config=config, isolated=isolated,
        settings=settings, validation=listed(validation), test=listed(test), **options,
    )  # fmt: skip


def run(
    config: str | Path | None = None,
    *,
    out_dir: str | Path | None = None,
    settings: Settings | None = None,
) -> RunResult:
    """The whole pipeline from one config file: convert, check, split, upload, report.html."""
    from fineprep.pipeline import run as _run

    return _run(config, settings=settings, out_dir=out_dir)


def grade(
    dataset: str | Path,
    grader: str | None = None,
    *,
    model: str | None = None,
    score_range: tuple[float, float] | None = None,
    timeout: float | None = None,
    batch_size: int | None = None,
    responses: str | Path | None = None,
    config: str | Path | None = None,
    isolated: bool = False,
    settings: Settings | None = None,
) -> CheckResult:
    """Dry-run an RFT reward function over a dataset: R findings, scores in
    ``stats["grade"]``.

    >>> result = grade("train.jsonl", "grader.py:lambda_handler")  # doctest: +SKIP
    """
    from fineprep.stages.grade.runner import grade as _grade
    from fineprep.stages.grade.runner import options_from

    chosen = _settings(settings, config, isolated or config is None, model=model)
    opts = options_from(
        chosen, grader=grader, score_range=score_range, timeout=timeout, batch_size=batch_size,
        responses=None if responses is None else str(responses),
    )  # fmt: skip
    return _grade(str(dataset), chosen, opts)


def launch(
    request: str | Path | dict[str, Any],
    *,
    role_arn: str | None = None,
    dry_run: bool = False,
    region: str | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
) -> LaunchResult:
    """Validate a job request and (unless ``dry_run``) submit it; a job submitted before from
    the same request is returned as it is (``already``)."""
    from fineprep.io.aws import AwsOptions
    from fineprep.stages.launch.submit import launch as _launch

    aws = AwsOptions(profile=profile, region=region, endpoint_url=endpoint_url)
    return _launch(request, role_arn=role_arn, dry_run=dry_run, aws=aws)


def augment(
    dataset: Data,
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
    select: str | Sequence[str] | None = None,
    bedrock: dict[str, Any] | None = None,
    config: str | Path | None = None,
    isolated: bool = False,
    settings: Settings | None = None,
    run_checks: bool = True,
) -> AugmentResult:
    """Add variants of records (a JSONL file or records in memory) until a goal is met:
    ``to_min=True`` (the model's minimum), ``per_class=N`` or ``target=N``. Originals are kept
    byte for byte; each variant's sidecar line names its original.

    >>> done = augment("train.jsonl", "more.jsonl", to_min=True, model="claude-3-haiku")
    ...                                                                  # doctest: +SKIP
    >>> done.made, done.classes, done.exit_code                         # doctest: +SKIP
    """
    from fineprep.stages.augment.runner import augment as _augment

    chosen = _settings(settings, config, isolated)
    picks = [select] if isinstance(select, str) else list(select) if select else None
    with ExitStack() as stack:
        path = _one_path(stack, dataset, "augment")
        return _augment(
            path, output, to_min=to_min, per_class=per_class, target=target,
            strategy=strategy, seed=seed, max_per_record=max_per_record, system=system,
            held_out=held_out, templates=templates, model=model, format=format,
            settings=chosen, select=picks, run_checks=run_checks, bedrock=bedrock,
        )  # fmt: skip
