"""Augment options: explicit arguments over the ``[augment]`` config section over defaults.

Every value is checked here, once, with an error naming the option and the config key, so
the strategies can assume sane goals, budgets and rule tables. ``[augment.rules]`` maps a
phrase (or ``/regex/``) to its alternatives, ``[augment.template]`` lists alternative prompt
templates and ``[augment.bedrock]`` configures the paraphrasing model and its budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fineprep.core.errors import ConfigError

STRATEGIES = ("rules", "template", "bedrock")
_KEYS = {
    "output",
    "to-min",
    "per-class",
    "target",
    "strategy",
    "seed",
    "max-per-record",
    "system",
    "held-out",
    "builtin-rules",
    "rules",
    "template",
    "bedrock",
}
_BEDROCK_KEYS = {
    "model",
    "max-calls",
    "max-tokens",
    "retries",
    "temperature",
    "min-length-ratio",
    "max-length-ratio",
    "region",
    "endpoint-url",
    "profile",
}
#: Seeds key blake2b, whose key is at most 64 bytes.
_MAX_SEED = 1 << 63


@dataclass(frozen=True)
class BedrockOptions:
    """The paraphrasing model, its budget (calls and tokens for the whole run) and the bounds
    a paraphrase's length must keep (as a share of the original's characters)."""

    model: str | None = None
    max_calls: int = 100
    max_tokens: int = 100_000
    retries: int = 3
    temperature: float = 0.7
    min_length_ratio: float = 0.5
    max_length_ratio: float = 2.0
    region: str | None = None
    endpoint_url: str | None = None
    profile: str | None = None


@dataclass(frozen=True)
class AugmentOptions:
    output: Path
    to_min: bool = False
    per_class: int | None = None
    target: int | None = None
    strategies: tuple[str, ...] = ("rules",)
    seed: int = 0
    max_per_record: int = 3
    system: bool = False
    held_out: float | None = None
    builtin_rules: bool = True
    rules: dict[str, list[str]] = field(default_factory=dict)
    templates: tuple[str, ...] = ()
    bedrock: BedrockOptions = field(default_factory=BedrockOptions)

    def goals(self) -> dict[str, Any]:
        return {"to_min": self.to_min, "per_class": self.per_class, "target": self.target}


def _pick(explicit: Any, section: dict[str, Any], key: str, default: Any) -> Any:
    return explicit if explicit is not None else section.get(key, default)


def _whole(value: Any, name: str, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"augment {name}: {value!r} must be a whole number >= {minimum}")
    if maximum is not None and value >= maximum:
        raise ConfigError(f"augment {name}: {value} is too large (below {maximum})")
    return value


def _number(value: Any, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ConfigError(f"augment {name}: {value!r} must be a number from {low:g} to {high:g}")
    return float(value)


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"augment {name}: {value!r} must be true or false")
    return value


def _optional_whole(value: Any, name: str) -> int | None:
    return None if value is None else _whole(value, name, 1)


def _strategies(value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not items:
        raise ConfigError(f"augment strategy: {value!r} must name one or more of {STRATEGIES}")
    out: list[str] = []
    for item in items:
        for name in str(item).split(","):
            name = name.strip()
            if name not in STRATEGIES:
                raise ConfigError(
                    f"augment strategy: unknown strategy {name!r}", hint=f"use {STRATEGIES}"
                )
            if name not in out:
                out.append(name)
    return tuple(out)


def _rules(table: Any) -> dict[str, list[str]]:
    if not isinstance(table, dict):
        raise ConfigError("[augment.rules] must be a table of phrase = [alternatives]")
    out: dict[str, list[str]] = {}
    for phrase, alternatives in table.items():
        alts = [alternatives] if isinstance(alternatives, str) else alternatives
        if (
            not str(phrase).strip()
            or not isinstance(alts, list)
            or not alts
            or not all(isinstance(a, str) for a in alts)
        ):
            raise ConfigError(
                f"[augment.rules] {phrase!r}: expected a list of alternative strings",
                hint='e.g. "How do I" = ["How can I"]',
            )
        out[str(phrase)] = list(alts)
    return out


def _templates(section: dict[str, Any], explicit: tuple[str, ...]) -> tuple[str, ...]:
    table = section.get("template", {})
    if not isinstance(table, dict) or not table.keys() <= {"prompts"}:
        raise ConfigError("[augment.template] takes one key, prompts = [templates]")
    prompts = table.get("prompts", [])
    if not isinstance(prompts, list) or not all(isinstance(p, str) and p for p in prompts):
        raise ConfigError("[augment.template] prompts must be a list of prompt templates")
    return tuple(dict.fromkeys([*prompts, *explicit]))


def _bedrock(table: Any, explicit: dict[str, Any]) -> BedrockOptions:
    if not isinstance(table, dict):
        raise ConfigError("[augment.bedrock] must be a table")
    unknown = sorted(set(table) - _BEDROCK_KEYS)
    if unknown:
        raise ConfigError(
            f"[augment.bedrock] unknown key {unknown[0]!r}",
            hint=f"known keys: {', '.join(sorted(_BEDROCK_KEYS))}",
        )
    values = {k.replace("-", "_"): v for k, v in table.items()}
    values.update({k: v for k, v in explicit.items() if v is not None})
    opts = BedrockOptions(**values)
    for name in ("model", "region", "endpoint_url", "profile"):
        value = getattr(opts, name)
        if value is not None and (not isinstance(value, str) or not value):
            raise ConfigError(f"augment bedrock {name.replace('_', '-')}: must be a string")
    _whole(opts.max_calls, "max-calls", 1)
    _whole(opts.max_tokens, "max-tokens", 1)
    _whole(opts.retries, "retries", 0, 11)
    _number(opts.temperature, "temperature", 0.0, 1.0)
    low = _number(opts.min_length_ratio, "min-length-ratio", 0.0, 1.0)
    high = _number(opts.max_length_ratio, "max-length-ratio", 1.0, 100.0)
    if low >= high:
        raise ConfigError("augment bedrock: min-length-ratio must be below max-length-ratio")
    return opts


def resolve_options(
    section: dict[str, Any],
    *,
    output: str | Path | None = None,
    to_min: bool | None = None,
    per_class: int | None = None,
    target: int | None = None,
    strategies: str | list[str] | tuple[str, ...] | None = None,
    seed: int | None = None,
    max_per_record: int | None = None,
    system: bool | None = None,
    held_out: float | None = None,
    templates: tuple[str, ...] = (),
    bedrock: dict[str, Any] | None = None,
    base: Path | None = None,
) -> AugmentOptions:
    """``base`` is the config file's folder: ``[augment] output`` is relative to it."""
    if not isinstance(section, dict):
        raise ConfigError("[augment] must be a table")
    unknown = sorted(set(section) - _KEYS)
    if unknown:
        raise ConfigError(
            f"[augment] unknown key {unknown[0]!r}", hint=f"known keys: {', '.join(sorted(_KEYS))}"
        )
    out = output
    if out is None and section.get("output") is not None:
        out = Path(str(section["output"]))
        out = out if out.is_absolute() or base is None else base / out
    if out is None:
        raise ConfigError("augment: no output file", hint="give -o OUT.jsonl or [augment] output")
    if not str(out).endswith(".jsonl"):
        raise ConfigError(f"augment -o {out}: the output must be a .jsonl file")
    held = _pick(held_out, section, "held-out", None)
    opts = AugmentOptions(
        output=Path(out),
        to_min=_flag(_pick(to_min, section, "to-min", False), "to-min"),
        per_class=_optional_whole(_pick(per_class, section, "per-class", None), "per-class"),
        target=_optional_whole(_pick(target, section, "target", None), "target"),
        strategies=_strategies(_pick(strategies or None, section, "strategy", ["rules"])),
        seed=_whole(_pick(seed, section, "seed", 0), "seed", 0, _MAX_SEED),
        max_per_record=_whole(
            _pick(max_per_record, section, "max-per-record", 3), "max-per-record", 1
        ),
        system=_flag(_pick(system, section, "system", False), "system"),
        held_out=None if held is None else _number(held, "held-out", 0.0, 0.9),
        builtin_rules=_flag(section.get("builtin-rules", True), "builtin-rules"),
        rules=_rules(section.get("rules", {})),
        templates=_templates(section, tuple(templates)),
        bedrock=_bedrock(section.get("bedrock", {}), bedrock or {}),
    )
    if not (opts.to_min or opts.per_class or opts.target):
        raise ConfigError(
            "augment: no goal", hint="give --to-min, --per-class N or --target N ([augment])"
        )
    if "template" in opts.strategies and not opts.templates:
        raise ConfigError(
            "augment --strategy template: no alternative prompt templates",
            hint="give --template TEMPLATE or [augment.template] prompts = [...]",
        )
    if "bedrock" in opts.strategies and not opts.bedrock.model:
        raise ConfigError(
            "augment --strategy bedrock: no model to paraphrase with",
            hint="give --bedrock-model MODEL_ID or [augment.bedrock] model",
        )
    return opts


def has_goal(section: Any) -> bool:
    """Whether an ``[augment]`` section asks for records (``fineprep run`` runs it then)."""
    return isinstance(section, dict) and any(
        section.get(key) not in (None, False) for key in ("to-min", "per-class", "target")
    )
