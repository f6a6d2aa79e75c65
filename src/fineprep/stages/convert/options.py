"""Convert options: ``[tool.fineprep.convert]`` in config, overridden by the command line.

Every key is checked for type here, so a typo in config fails before any row is read, with
the key named. Paths in the config file (``inputs``, ``output``, ``rejects``,
``expectations``) are relative to the file's folder, so a run works from any directory.
Defaults are chosen so the common case needs no mapping at all: a table with ``prompt`` and
``completion`` columns (or ``text`` for pre-training) converts as it is.

``[[convert.sources]]`` tables are several conversions into one output: each overrides keys of
``[convert]`` for its inputs (a CSV with one mapping, a folder of Textract responses with
another). :func:`resolve_jobs` turns them into one :class:`ConvertOptions` per source; inputs
given on the command line or to the API replace them.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fineprep.core.errors import ConfigError

SECTION = "[tool.fineprep.convert]"


@dataclass
class ConvertOptions:
    """What to read, how to map it, and where to write (see ``fineprep convert --help``)."""

    inputs: list[str] = field(default_factory=list)
    output: str | None = None
    to: str | None = None
    model: str | None = None
    prompt: str | None = None
    completion: str | None = None
    system: str | None = None
    input: str | None = None
    completion_json: str | None = None
    images: str | None = None
    image_separator: str | None = None
    bucket_owner: str | None = None
    label: str | None = None
    group: str | None = None
    id: str | None = None
    source: str | None = None
    source_options: dict[str, Any] = field(default_factory=dict)
    encoding: str | None = None
    delimiter: str | None = None
    chunk_tokens: int | None = None
    overlap: int = 0
    min_chunk_tokens: int = 0
    rejects: str | None = None
    expectations: str | None = None
    expectations_chunk_rows: int = 100_000
    #: rft: the field holding the reference answer, and grader fields (NAME or NAME=FIELD).
    reference_answer: str | None = None
    grader_fields: list[str] = field(default_factory=list)
    #: ``LOCAL_FOLDER=s3://bucket/prefix/``: media prepared locally, checked before writing.
    media_dir: str | None = None
    #: The work one row's templates may do: Python steps and seconds (hostile templates).
    template_steps: int = 200_000
    template_seconds: float = 1.0
    no_header: bool = False
    sheet: str | None = None
    null_as: str | None = None
    control_chars: str = "strip"

    def template(self, name: str, default: str) -> str:
        value: str | None = getattr(self, name)
        return default if value is None else value


_PATH_KEYS = ("inputs", "output", "rejects", "expectations")
_INT_KEYS = {
    "chunk_tokens", "overlap", "min_chunk_tokens", "expectations_chunk_rows", "template_steps",
}  # fmt: skip
_BOOL_KEYS = {"no_header"}
_CHOICES = {"control_chars": ("strip", "reject")}
#: Keys that all [[convert.sources]] share (one output), so a source table may not set them.
_SHARED = ("output", "rejects", "to", "model")
_FIELDS = {f.name: f for f in dataclasses.fields(ConvertOptions)}


def options_from_table(table: dict[str, Any], where: str = SECTION) -> dict[str, Any]:
    """A config table's convert keys (kebab-case) as validated option values."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    out: dict[str, Any] = {}
    for key, value in table.items():
        attr = key.replace("-", "_")
        if attr == "source" and isinstance(value, dict):
            # [convert.source]: the reader's own options, plus an optional `kind`.
            options = {k.replace("-", "_"): v for k, v in value.items()}
            kind = options.pop("kind", None)
            if kind is not None:
                out["source"] = _checked("source", kind, f"{where} source.kind")
            out["source_options"] = options
            continue
        if attr not in _FIELDS:
            known = ", ".join(sorted(k.replace("_", "-") for k in _FIELDS))
            raise ConfigError(f"{where}: unknown key {key!r}", hint=f"known keys: {known}")
        out[attr] = _checked(attr, value, f"{where} {key}")
    return out


def _checked(attr: str, value: Any, where: str) -> Any:
    if attr in _PATH_KEYS and isinstance(value, os.PathLike):
        value = os.fspath(value)
    if attr == "grader_fields":
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return list(value)
        raise ConfigError(f"{where}: expected a list of field names, got {value!r}")
    if attr == "inputs":
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        raise ConfigError(f"{where}: expected a list of paths, got {value!r}")
    if attr == "source_options":
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table of reader options, got {value!r}")
        return {str(k).replace("-", "_"): v for k, v in value.items()}
    if attr == "template_seconds":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 3600:
            raise ConfigError(f"{where}: expected seconds (0-3600], got {value!r}")
        return float(value)
    if attr in _INT_KEYS:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{where}: expected a whole number >= 0, got {value!r}")
        return value
    if attr in _BOOL_KEYS:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if attr == "sheet" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if attr in _CHOICES and value not in _CHOICES[attr]:
        raise ConfigError(f"{where}: expected one of {', '.join(_CHOICES[attr])}, got {value!r}")
    if attr == "bucket_owner" and isinstance(value, int) and not isinstance(value, bool):
        return f"{value:012d}"
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    return value


def resolve_jobs(
    config_table: dict[str, Any] | None,
    overrides: dict[str, Any],
    *,
    top_model: str | None,
    base: Path | None = None,
) -> list[ConvertOptions]:
    """One set of options per conversion into the output: the ``[[convert.sources]]`` entries
    (each over ``[convert]``), or ``[convert]`` alone when there are none or inputs are given."""
    table = dict(config_table or {})
    jobs = table.pop("sources", None)
    if jobs is None or overrides.get("inputs"):
        return [resolve_options(table, overrides, top_model=top_model, base=base)]
    if not isinstance(jobs, list) or not jobs:
        raise ConfigError(f"{SECTION} sources: expected [[convert.sources]] tables")
    out = []
    for n, job in enumerate(jobs, 1):
        where = f"[[tool.fineprep.convert.sources]] entry {n}"
        if not isinstance(job, dict):
            raise ConfigError(f"{where} must be a table")
        for key in _SHARED:
            if key in job:
                raise ConfigError(
                    f"{where}: {key!r} is shared by every source (one output file)",
                    hint=f"set {key} in [tool.fineprep.convert] or on the command line",
                )
        merged = {**table, **job}
        out.append(resolve_options(merged, overrides, top_model=top_model, base=base, where=where))
    return out


def resolve_options(
    config_table: dict[str, Any] | None,
    overrides: dict[str, Any],
    *,
    top_model: str | None,
    base: Path | None = None,
    where: str = SECTION,
) -> ConvertOptions:
    """Config section, then command-line/API values (``None`` means not given); ``base`` is
    the config file's folder."""
    values = options_from_table(config_table or {}, where)
    if base is not None:
        for key in _PATH_KEYS:
            if key in values:
                values[key] = _rebase(values[key], base)
        if "media_dir" in values and "=" in values["media_dir"]:
            folder, _, prefix = values["media_dir"].partition("=")
            values["media_dir"] = f"{_rebase(folder, base)}={prefix}"
    for key, value in overrides.items():
        if key not in _FIELDS:
            raise ConfigError(f"unknown convert option {key!r}")
        if value is None or (key in ("inputs", "source_options") and not value):
            continue
        checked = _checked(key, value, f"option {key.replace('_', '-')}")
        if key == "source_options":  # command-line reader options add to the config's
            checked = {**values.get("source_options", {}), **checked}
        values[key] = checked
    opts = ConvertOptions(**values)
    if opts.model is None:
        opts.model = top_model
    return opts


def _rebase(value: Any, base: Path) -> Any:
    if isinstance(value, list):
        return [_rebase(v, base) for v in value]
    path = Path(value)
    if path.is_absolute() or str(value).startswith("s3://"):
        return value
    return os.path.relpath(base / path)
