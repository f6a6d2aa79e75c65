"""Settings: command-line options over the config file over defaults.

The config lives in ``fineprep.toml`` (top-level keys) or ``[tool.fineprep]`` in
``pyproject.toml``, found by walking up from the working directory like ruff does, so the
pre-commit hook, CI and a labeller's laptop all read the same rules. The file is validated
against ``schemas/config.schema.json`` and every error names the offending key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from fineprep.core.errors import ConfigError
from fineprep.core.limits import check_limits
from fineprep.core.model import Severity
from fineprep.core.profiles import ModelProfile, all_profiles, get_profile

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
        key = get_profile(name).key
        where = dict.fromkeys(self.models.get(key, {}), f"models.{key}")
        where.update(dict.fromkeys(self.limits, "limits"))
        try:
            return get_profile(name, self.profile_overrides(key), where)
        except ConfigError as exc:  # a limit against the model's own: name the config file
            if self.config_path is None:
                raise
            raise ConfigError(f"{self.config_path}: {exc.message}", hint=exc.hint) from None

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
        """``hyperparameters.batchSize`` as a number (Titan Text's record limit shrinks as it
        grows), held to the rule the config loader applies: 2.5 is refused, never read as 2."""
        value = self.hyperparameters.get("batchSize")
        if value is None:
            return None
        whole = whole_hyperparameter("batchSize", value)
        return whole if isinstance(whole, int) else None


_WHOLE = re.compile(r"[+-]?\d+")


@cache
def _whole_range(name: str) -> tuple[float | None, float | None, tuple[str, ...]] | None:
    """The widest range any model gives a whole-number hyperparameter of supervised jobs and
    the words some model takes instead (``Auto``); None unless every model that has it
    counts it in whole numbers."""
    specs = [hp for p in all_profiles().values() for hp in p.hyperparameters if hp.name == name]
    if not specs or any(hp.type != "int" for hp in specs):
        return None
    lows, highs = [hp.min for hp in specs], [hp.max for hp in specs]
    low = None if None in lows else min(v for v in lows if v is not None)
    high = None if None in highs else max(v for v in highs if v is not None)
    return low, high, tuple(dict.fromkeys(w for hp in specs for w in hp.allow))


def whole_hyperparameter(name: str, value: Any) -> Any:
    """A ``hyperparameters`` value that is a whole number for every model (``batchSize``,
    ``epochCount``) as an int, or the word a model takes instead; a ConfigError naming it
    when no model would take it. Bedrock reads the values as strings, so ``"8"`` is 8. Other
    values are returned as they are: the model's own ranges are checked when its job request
    is written, where the model is known."""
    spec = _whole_range(name)
    if spec is None:
        return value
    low, high, words = spec
    if isinstance(value, str) and value in words:
        return value
    whole = (
        (isinstance(value, int) and not isinstance(value, bool))
        or (isinstance(value, float) and value.is_integer())
        or (isinstance(value, str) and _WHOLE.fullmatch(value.strip()) is not None)
    )
    number = int(value) if whole else None
    key = f"hyperparameters.{name} = {value!r}"
    hint = "each model's range: `fineprep models --show MODEL`"
    if number is None:
        also = f" or {' / '.join(repr(w) for w in words)}" if words else ""
        raise ConfigError(f"{key}: must be a whole number{also}", hint=hint)
    if low is not None and number < low:
        raise ConfigError(f"{key}: must be at least {low:g}", hint=hint)
    if high is not None and number > high:
        raise ConfigError(f"{key}: must be at most {high:g} (no model takes more)", hint=hint)
    return number


#: Numeric check options whose rules read them with no range of their own, each with its
#: smallest meaningful value and whether it counts whole things: a negative length or count,
#: or a class-size ratio below 1 (the largest class is never smaller than the smallest),
#: would make the check pass or fail everything without saying why.
_OPTION_RANGES: dict[tuple[str, str], tuple[int, bool]] = {
    ("L002", "min_chars"): (0, True),
    ("B001", "ratio"): (1, False),
    ("B002", "min-count"): (0, True),
}


def _check_options(checks: dict[str, dict[str, Any]]) -> None:
    """Refuse, when the config is read, an option of :data:`_OPTION_RANGES` out of range (its
    rule would read it only once the run reaches it, if the check is selected at all)."""
    for (code, option), (lowest, whole) in _OPTION_RANGES.items():
        value = checks.get(code, {}).get(option)
        if value is None:
            continue
        kind = "a whole number" if whole else "a number"
        number = isinstance(value, int if whole else (int, float)) and not isinstance(value, bool)
        if not number or value < lowest:
            raise ConfigError(
                f"checks.{code}.{option} = {value!r}: must be {kind} of at least {lowest}"
            )


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
            _check_options(value)
        elif attr == "models":
            value = _model_tables(value)
        elif attr == "model" and isinstance(value, str):
            get_profile(value)  # a typo is named now, with the config file, not at first use
        elif attr == "limits":
            check_limits(value, next(iter(all_profiles().values())))
        elif attr == "hyperparameters":
            for name, chosen in value.items():
                whole_hyperparameter(name, chosen)
        setattr(s, attr, value)
    return s


def _model_tables(tables: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``[models.<name>]`` keyed by the profile's key (an alias or model ID finds it), every
    name and limit checked now: a typo in either would otherwise change nothing, silently."""
    out: dict[str, dict[str, Any]] = {}
    for name, limits in tables.items():
        try:
            key = get_profile(name).key
        except ConfigError as exc:
            raise ConfigError(f"[models.{name}]: {exc.message}", hint=exc.hint) from None
        get_profile(key, dict(limits), f"models.{name}")
        out[key] = {**out.get(key, {}), **limits}
    return out


def merged(settings: Settings, **changes: Any) -> Settings:
    """A copy of settings with some attributes replaced (CLI options win over the file)."""
    return dataclasses.replace(settings, **{k: v for k, v in changes.items() if v is not None})
