"""The check engine: stream every file once, run every enabled check, collect findings.

Per line: parse (P codes), detect or apply the file's format, walk the record once with the
format's analyzer (S codes, text segments), then hand the record to each per-record check.
Dataset-level checks keep compact state (hashes, counters) and report in ``finish``.
"""

from __future__ import annotations

import fnmatch
import os
import time
from collections.abc import Sequence
from pathlib import Path

import orjson

from fineprep.core.config import Settings
from fineprep.core.errors import ConfigError, InputError
from fineprep.core.model import Finding
from fineprep.engines.base import EngineHolder, EngineOptions, engine_options
from fineprep.formats import detect
from fineprep.io.aws import AwsOptions
from fineprep.io.jsonl import (
    BOM,
    LineTooLong,
    bounded_lines,
    not_text,
    peek_start,
    strip_line,
)
from fineprep.io.remote import expand_inputs, input_aws, is_remote, open_source
from fineprep.stages.check.partition import check_partitioned, plan
from fineprep.stages.check.records import emit_bom, start_file_state, stream_records
from fineprep.stages.check.related import attach_related
from fineprep.stages.check.rules import Check
from fineprep.stages.check.run import new_run, run_profile
from fineprep.stages.check.state import CheckResult, FileState, RunState

#: What a prefix of S3 inputs expands to.
JSONL = (".jsonl",)

#: ``new_run`` and ``run_profile`` live in :mod:`.run`; they are named here for callers.
__all__ = ["check_files", "file_role", "first_format", "new_run", "run_profile"]


def file_role(path: str, settings: Settings, validation: set[str], test: set[str]) -> str:
    """A file's role, only from what the user said: ``--validation``/``--test``, the files
    ``[dataset]`` declares, and the ``validation-files`` globs of the config. A file's name never
    decides: a training file called ``claude_dev.jsonl`` is still held to the training minimums."""
    if path in validation:
        return "validation"
    if path in test:
        return "test"
    declared = settings.declared_role(path)
    if declared is not None:
        return declared
    for pattern in settings.validation_files:
        if fnmatch.fnmatch(path, pattern):
            return "validation"
    return "train"


#: How each way of naming a file reads in a message.
_ROLE_WORDS = {"train": "training data", "validation": "--validation", "test": "--test"}


def _refuse_repeats(named: list[tuple[str, str]]) -> None:
    """A :class:`ConfigError` when one file is given twice (two spellings, or a folder and a
    file in it, count): as training and validation data it would take one role and lose the
    other's checks, and twice in one role every record would be its own duplicate."""
    seen: dict[object, tuple[str, str]] = {}
    for path, role in named:
        key: object = path
        if path != "-" and not is_remote(path):
            try:
                info = Path(path).stat()
                key = (info.st_dev, info.st_ino)
            except OSError:
                key = os.path.realpath(path)
        if key in seen:
            first, first_role = seen[key]
            words = _ROLE_WORDS[role]
            how = (
                f"twice as {words}"
                if role == first_role
                else (f"as {_ROLE_WORDS[first_role]} and as {words}")
            )
            raise ConfigError(
                f"{path}: given {how}" + (f" (first as {first})" if first != path else ""),
                hint="give each file once: training files as arguments, the others with "
                "--validation or --test",
            )
        seen[key] = (path, role)


def first_format(
    path: str, aws: AwsOptions | None = None, accepted: Sequence[str] = ()
) -> str | None:
    """The format of a file's first record, read without consuming stdin (None if unknown);
    ``accepted``: the model's formats (see :func:`fineprep.formats.detect`)."""
    if path == "-":
        return None
    try:
        with open_source(path, aws or AwsOptions()) as stream:
            for physical in bounded_lines(stream):
                if isinstance(physical, LineTooLong):
                    return None
                raw = strip_line(physical).lstrip(BOM)
                if raw and not raw.isspace():
                    try:
                        return detect(orjson.loads(raw), accepted)
                    except orjson.JSONDecodeError:
                        return None
    except (OSError, InputError):
        return None
    return None


def check_files(
    paths: list[str],
    settings: Settings,
    *,
    validation: list[str] | None = None,
    test: list[str] | None = None,
    stdin_name: str = "<stdin>",
    engine: EngineOptions | None = None,
) -> CheckResult:
    """Check JSONL files (``-`` is stdin) and return every finding, sorted by location.

    ``engine`` (default: the ``[engine]`` config section, ``FINEPREP_JOBS``, the machine's
    cores) says where big files are checked in partitions; the result is the same."""
    aws = input_aws(settings.sections.get("upload"))
    paths, validation, test = (
        expand_inputs(p or [], aws, JSONL) for p in (paths, validation, test)
    )
    val, tst = set(validation), set(test)
    every = [*paths, *validation, *test]
    _refuse_repeats([(p, "train") for p in paths] + [(p, "validation") for p in validation]
                    + [(p, "test") for p in test])  # fmt: skip
    roles = [file_role(path, settings, val, tst) for path in every]
    model = settings.model_profile()
    accepted = model.formats if model is not None else ()
    hint = None if settings.format or not every else first_format(every[0], aws, accepted)
    run, checks = new_run(settings, frozenset(roles), hint)
    options = engine or engine_options(settings.sections.get("engine"))
    engines = EngineHolder(options)
    try:
        for path, role in zip(every, roles, strict=True):
            display = stdin_name if path == "-" else path
            file = FileState(path=display, role=role)
            run.files.append(file)
            if _not_text(path, file, run):
                continue
            planned = plan(path, file, run, options, engines) if options.parallel else None
            if planned is None:
                _check_file(path, file, run, checks)
            else:
                check_partitioned(engines.get(), path, file, run, checks, planned, hint)
        started = time.perf_counter()
        for check in sorted(checks, key=lambda c: c.finish_order):
            check.finish(run)
        if "engine" in run.stats:
            run.stats["engine"]["finish"] = time.perf_counter() - started
    finally:
        engines.close()
        tokenized = run.close_tokens()
    run.stats["tokenized_records"] = tokenized
    run.stats["encoding"] = run.encoding
    if run._tokens is not None:
        run.stats["token_source"] = run._tokens.effective.describe()
    run.findings.sort(key=Finding.sort_key)
    run.findings = attach_related(run.findings, run.files)
    return CheckResult(run.findings.settled(), run.files, run.profile, settings, run.stats)


def _not_text(path: str, file: FileState, run: RunState) -> bool:
    """A local file that starts like a compressed file, an archive or UTF-16: one P003 for the
    file, whatever the engine (the partitions would each report their lines)."""
    if path == "-" or is_remote(path) or not Path(path).is_file():  # a FIFO would block here
        return False
    try:
        with Path(path).open("rb") as fh:
            kind = not_text(fh.read(8))
    except OSError:
        return False  # reading it fails with its own error in a moment
    if kind is None:
        return False
    what, fix = kind
    run.emit("P003", f"file is {what}, not UTF-8 JSONL text: {fix}", file, 1)
    file.unparsed = True
    return True


def _check_file(path: str, file: FileState, run: RunState, checks: list[Check]) -> None:
    start_file_state(file, run, False)
    stream = open_source(path, input_aws(run.settings.sections.get("upload")))
    try:
        head = peek_start(stream)
        has_bom = head.startswith(BOM)
        if has_bom:
            emit_bom(file, run)
        body = head[3:] if has_bom else head
        if body.lstrip().startswith(b"["):
            run.emit(
                "P006",
                "file is a JSON array, not JSONL (one JSON object per line); "
                "convert it with: jq -c '.[]' FILE > FILE.jsonl",
                file,
                1,
            )
            file.unparsed = True
            return
        for check in checks:
            check.start_file(file)
        stream_records(stream, path, file, run, checks, has_bom)
        for check in checks:
            check.finish_file(file)
    finally:
        if path != "-":
            stream.close()
