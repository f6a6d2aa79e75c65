"""Settings: command-line options over the config file over defaults.

The config lives in ``fineprep.toml`` (top-level keys) or ``[tool.fineprep]`` in
``pyproject.toml``, found by walking up from the working directory like ruff does, so the
pre-commit hook, CI and a labeller's laptop all read the same rules. The file is validated
against ``schemas/config.schema.json`` and every error names the offending key.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fineprep.core.errors import ConfigError
from fineprep.core.model import Severity
from fineprep.core.profiles import ModelProfile, get_profile

CONFIG_FILES = ("fineprep.toml", ".fineprep.toml", "pyproject.toml")


@dataclass
class Settings:
    """Everything that changes what fineprep reports. Values here are already validated."""

    model: str | None = None
    format: str | None = None
    select: list[str] | None = None
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    fail_on: Severity = Severity.ERROR
    severity: dict[str, Severity] = field(default_factory=dict)
    limits: dict[str, Any] = field(default_factory=dict)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    encoding: str | None = None
    #: "auto" (the profile's source), "bedrock" (CountTokens where the model supports it), or
    #: a tokenizer name; and a vocabulary file to count with.
    tokenizer: str | None = None
    tokenizer_file: str | None = None
    exact_tokens: bool = False
    stats: bool = False
    token_sample_size: int = 1000
    #: Longest line check reads (bytes); a longer one is a P007 finding, skipped unread.
    max_line_bytes: int = 64 * 1024 * 1024
    epochs: int | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    validation_files: list[str] = field(default_factory=list)
    completion_format: str = "text"
    completion_schema: str | dict[str, Any] | None = None
    labels: list[str] | None = None
    label_from: str = "auto"
    dataset: dict[str, Any] = field(default_factory=dict)
    #: "all" rules, or only the "record" ones (``check --scope record``: no dataset rules).
    scope: str = "all"
    sections: dict[str, Any] = field(default_factory=dict)
    config_path: Path | None = None
    config_hash: str = ""

    def check_options(self, code: str) -> dict[str, Any]:
        return self.checks.get(code, {})

    def profile_overrides(self, key: str) -> dict[str, Any]:
        merged = dict(self.models.get(key, {}))
        merged.update(self.limits)
        return merged

    def model_profile(self, model: str | None = None) -> ModelProfile | None:
        """The profile of ``model`` (default: the configured one) with this config's
        ``[models.<key>]`` and ``[limits]`` overrides applied; None without a model."""
        name = model or self.model
        if not name:
            return None
        return get_profile(name, self.profile_overrides(get_profile(name).key))

    def declared_role(self, path: str) -> str | None:
        """``validation`` or ``test`` when ``[dataset]`` names this file so (its paths are
        relative to the config file), else None."""
        if path == "-" or not self.dataset:
            return None
        base = self.config_path.parent if self.config_path else Path.cwd()
        here = Path(path).resolve()
        for role in ("validation", "test"):
            declared = self.dataset.get(role)
            if isinstance(declared, str) and (base / declared).resolve() == here:
                return role
        return None

    def rft_hyperparameters(self) -> dict[str, Any]:
        """The RFT job's hyperparameters (``[rft.hyperparameters]``), kept apart from the
        top-level string-valued ``hyperparameters`` of supervised jobs."""
        section = self.sections.get("rft", {})
        chosen = section.get("hyperparameters", {}) if isinstance(section, dict) else {}
        return dict(chosen)

    def batch_size(self) -> int | None:
        value = self.hyperparameters.get("batchSize")
        if value is None:
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(
                f"hyperparameters.batchSize: {value!r} is not a whole number"
            ) from None


#: Keys of Settings that a config file may set, and the sections other commands own.
_SETTING_KEYS = {
    "model",
    "format",
    "select",
    "extend-select",
    "ignore",
    "fail-on",
    "severity",
    "limits",
    "models",
    "encoding",
    "tokenizer",
    "tokenizer-file",
    "exact-tokens",
    "stats",
    "token-sample-size",
    "max-line-bytes",
    "epochs",
    "hyperparameters",
    "checks",
    "validation-files",
    "dataset",
    "completion-format",
    "completion-schema",
    "labels",
    "label-from",
}
_SECTIONS = {
    "convert",
    "augment",
    "split",
    "upload",
    "job",
    "run",
    "report",
    "expectations",
    "rft",
    "engine",
}


def find_config(start: Path | None = None) -> Path | None:
    """The nearest config file at or above ``start`` (pyproject.toml only if it has ours)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        for name in CONFIG_FILES:
            candidate = folder / name
            if candidate.is_file():
                if name == "pyproject.toml" and not _has_tool_section(candidate):
                    continue
                return candidate
    return None


def _has_tool_section(path: Path) -> bool:
    try:
        return b"[tool.fineprep" in path.read_bytes()
    except OSError:
        return False


def _toml_loads(text: str) -> dict[str, Any]:
    from fineprep.core.toml import loads

    return loads(text)


def read_config_file(path: Path) -> dict[str, Any]:
    """The fineprep table of a config file, validated against the config schema."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror or exc})") from None
    try:
        doc = _toml_loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: config is not UTF-8 text") from None
    except ValueError as exc:  # tomllib.TOMLDecodeError subclasses ValueError
        raise ConfigError(f"{path}: invalid TOML: {exc}", hint="fix the syntax") from None
    except RecursionError:
        raise ConfigError(
            f"{path}: config nests arrays or tables too deeply to read",
            hint=f"a config needs at most {MAX_DEPTH} levels",
        ) from None
    tool = doc.get("tool")
    if tool is not None and not isinstance(tool, dict):
        raise ConfigError(f"{path}: 'tool' must be a table ([tool.fineprep]), not {tool!r}")
    if path.name == "pyproject.toml":
        table = (tool or {}).get("fineprep", {})
    else:
        table = tool.get("fineprep", doc) if tool is not None else doc
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.fineprep] must be a table")
    _check_values(table, str(path))
    from fineprep.core.schemas import validate_config

    validate_config(table, str(path))
    return table


#: Deepest nesting a config may have (the deepest real table is four levels).
MAX_DEPTH = 32


def _check_values(obj: Any, where: str, key: str = "", depth: int = 0) -> None:
    """Refuse what TOML can say but no setting means: nesting beyond :data:`MAX_DEPTH`
    (validating it would exhaust the stack) and ``nan``/``inf`` (no limit, share or
    hyperparameter is infinite or not a number; Bedrock would refuse the job later)."""
    import math

    if depth > MAX_DEPTH:
        raise ConfigError(
            f"{where}: config key {key.split('[', maxsplit=1)[0]!r} nests deeper than "
            f"{MAX_DEPTH} levels",
            hint="flatten it",
        )
    if isinstance(obj, float) and not math.isfinite(obj):
        raise ConfigError(
            f"{where}: config key {key!r}: {obj!r} is not a finite number", hint="give a number"
        )
    if isinstance(obj, dict):
        for k, v in obj.items():
            _check_values(v, where, f"{key}.{k}" if key else str(k), depth + 1)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            _check_values(v, where, f"{key}[{i}]", depth + 1)


def load_settings(
    config: str | Path | None = None,
    *,
    isolated: bool = False,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    """Build Settings from the config file (explicit, discovered, or none) plus CLI overrides."""
    table: dict[str, Any] = {}
    path: Path | None = None
    if config is not None:
        path = Path(config)
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found")
    elif not isolated:
        path = find_config()
    if path is not None:
        table = read_config_file(path)
    try:
        settings = settings_from_table(table)
    except ConfigError as exc:
        if path is None:
            raise
        raise ConfigError(f"{path}: {exc.message}", hint=exc.hint) from None
    settings.config_path = path
    settings.config_hash = hashlib.sha256(repr(sorted(_flatten(table))).encode()).hexdigest()[:16]
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if not hasattr(settings, key):
            raise ConfigError(f"unknown setting {key!r}")
        setattr(settings, key, value)
    return settings


def _flatten(obj: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(obj, dict):
        out: list[tuple[str, str]] = []
        for k, v in obj.items():
            out.extend(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return [(prefix, repr(obj))]


def settings_from_table(table: dict[str, Any]) -> Settings:
    """Translate a validated config table into Settings (kebab-case keys -> attributes)."""
    s = Settings()
    for key, value in table.items():
        if key in _SECTIONS:
            s.sections[key] = value
            continue
        if key not in _SETTING_KEYS:  # the schema already refused it; keep mypy and us honest
            raise ConfigError(f"unknown config key {key!r}")
        attr = key.replace("-", "_")
        if attr == "fail_on":
            value = Severity.parse(value)
        elif attr == "severity":
            value = {code.upper(): Severity.parse(sev) for code, sev in value.items()}
        elif attr in {"select", "extend_select", "ignore"}:
            value = [str(v).upper() for v in value]
        elif attr == "checks":
            value = {code.upper(): dict(opts) for code, opts in value.items()}
        elif attr == "models":
            value = _model_tables(value)
        setattr(s, attr, value)
    return s


def _model_tables(tables: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``[models.<name>]`` keyed by the profile's key (an alias or model ID finds it), every
    name and limit checked now: a typo in either would otherwise change nothing, silently."""
    out: dict[str, dict[str, Any]] = {}
    for name, limits in tables.items():
        try:
            profile = get_profile(name, dict(limits))
        except ConfigError as exc:
            raise ConfigError(f"[models.{name}]: {exc.message}", hint=exc.hint) from None
        out[profile.key] = {**out.get(profile.key, {}), **limits}
    return out


def merged(settings: Settings, **changes: Any) -> Settings:
    """A copy of settings with some attributes replaced (CLI options win over the file)."""
    return dataclasses.replace(settings, **{k: v for k, v in changes.items() if v is not None})
