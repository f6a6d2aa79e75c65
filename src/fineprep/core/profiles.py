"""Model profiles: Bedrock's per-model rules, loaded from ``data/models.toml``.

Keeping the rules as data (with a source per value) means a limit that AWS changes is a
one-line edit with a citation, not a code change, and users can override any value in config
when their account's quota differs.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from fineprep.core.errors import ConfigError

#: Bedrock's S3 URI pattern for data locations (CreateModelCustomizationJob), and its length cap.
S3_URI_PATTERN = (
    r"s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9]"
    r"(?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?"
)
MAX_URI = 1024

FORMATS = (
    "prompt-completion",
    "conversation",
    "claude-messages",
    "pretraining",
    "distillation",
    "image-caption",
)


@dataclass(frozen=True)
class HyperParameter:
    """One tunable value of a customization job; Bedrock takes every value as a string."""

    name: str
    type: str
    min: float
    max: float
    default: float
    allow: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelProfile:
    """Everything fineprep knows about customizing one base model. ``None`` means no limit."""

    key: str
    name: str
    base_model_id: str
    family: str
    regions: tuple[str, ...]
    customization_types: tuple[str, ...]
    formats: tuple[str, ...]
    legacy: bool = False
    aliases: tuple[str, ...] = ()
    min_records: int | None = None
    hard_min_records: int | None = None
    max_records: int | None = None
    validation_supported: bool = True
    max_validation_records: int | None = None
    count_train_and_validation: bool = False
    max_record_tokens: int | None = None
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    batch_token_limits: tuple[tuple[int, int], ...] = ()
    max_record_chars: int | None = None
    template_tokens_per_message: int = 0
    #: Template tokens once per record (Llama 3's <|begin_of_text|>).
    template_tokens_per_record: int = 0
    #: The tokenizer fineprep counts with (a name in fineprep/tokens/data/tokenizers.toml).
    encoding: str = "cl100k_base"
    #: "exact" (``encoding`` is the model's own tokenizer), "estimate" (a proxy), or "" (not
    #: declared: exact when the tokenizer catalogue knows the base model, else an estimate).
    token_source: str = ""
    #: For exact profiles, the proxy counted with when the vocabulary is not on this machine.
    token_proxy: str = ""
    #: Per-script factors (latin, cjk, code) from the proxy's count to the model's, and the
    #: relative error band around them ([low, high]) they were calibrated with.
    token_scale: dict[str, float] = field(default_factory=dict, hash=False, compare=False)
    token_band: dict[str, list[float]] = field(default_factory=dict, hash=False, compare=False)
    #: Whether Bedrock's CountTokens API counts for this model (``--tokenizer bedrock``).
    count_tokens_api: bool = False
    max_train_file_bytes: int | None = None
    max_validation_file_bytes: int | None = None
    pretraining_max_train_file_bytes: int | None = None
    reserved_strings: tuple[str, ...] = ()
    reserved_case_insensitive: bool = False
    reserved_scope: str = "all"
    file_name_pattern: str | None = None
    image_formats: tuple[str, ...] = ()
    video_formats: tuple[str, ...] = ()
    max_images_per_record: int | None = None
    max_videos_per_record: int | None = None
    max_image_bytes: int | None = None
    max_video_bytes: int | None = None
    max_video_seconds: int | None = None
    #: Tokens one image costs at most, and at least (the documented formula's range; both 0
    #: when the model documents no charge, which the token findings then say).
    image_tokens: int = 0
    image_tokens_min: int = 0
    media_mixing: bool = True
    media_same_bucket: bool = False
    reasoning: bool = False
    caption_min_chars: int | None = None
    caption_max_chars: int | None = None
    hyperparameters: tuple[HyperParameter, ...] = ()
    distillation_min_records: int | None = None
    distillation_max_records: int | None = None
    distillation_multi_turn: bool = True
    distillation_teachers: tuple[str, ...] = ()
    unconfirmed: tuple[str, ...] = ()
    notes: str = ""
    sources: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def region(self) -> str:
        return self.regions[0]

    @property
    def id_without_context(self) -> str:
        """``amazon.nova-lite-v1:0:300k`` -> ``amazon.nova-lite-v1:0`` (the inference model ID)."""
        parts = self.base_model_id.split(":")
        if len(parts) == 3 and re.fullmatch(r"\d+k", parts[2]):
            return ":".join(parts[:2])
        return self.base_model_id

    def accepts(self, fmt: str) -> bool:
        return fmt in self.formats

    def record_token_limit(self, batch_size: int | None = None) -> int | None:
        """The per-record limit, which for Titan Text shrinks as the batch size grows."""
        if batch_size is not None and self.batch_token_limits:
            for max_batch, tokens in self.batch_token_limits:
                if batch_size <= max_batch:
                    return tokens
            return min(t for _, t in self.batch_token_limits)
        return self.max_record_tokens

    def hyperparameter(self, name: str) -> HyperParameter | None:
        for hp in self.hyperparameters:
            if hp.name == name:
                return hp
        return None

    def source_url(self, field_name: str) -> str | None:
        return self.sources.get(field_name)

    def with_overrides(self, overrides: dict[str, Any]) -> ModelProfile:
        """A copy with config overrides applied; unknown keys are a config error."""
        if not overrides:
            return self
        known = {f.name for f in dataclasses.fields(self)}
        changes: dict[str, Any] = {}
        for key, value in overrides.items():
            attr = key.replace("-", "_")
            if attr not in known or attr in {"key", "sources", "hyperparameters"}:
                raise ConfigError(
                    f"unknown model limit {key!r} in config",
                    hint="see `fineprep models --show MODEL` for the names",
                )
            changes[attr] = _coerce(attr, value, getattr(self, attr))
        sources = dict(self.sources)
        for attr in changes:
            sources[attr] = "config"
        changes["sources"] = sources
        return dataclasses.replace(self, **changes)


def _coerce(attr: str, value: Any, current: Any) -> Any:
    if isinstance(current, tuple):
        if not isinstance(value, list):
            raise ConfigError(f"model limit {attr!r} must be a list")
        return tuple(tuple(v) if isinstance(v, list) else v for v in value)
    if isinstance(current, bool) and not isinstance(value, bool):
        raise ConfigError(f"model limit {attr!r} must be true or false")
    if (
        attr.startswith(("max_", "min_", "hard_min", "caption_"))
        and value is not None
        and (not isinstance(value, int) or isinstance(value, bool) or value < 0)
    ):
        raise ConfigError(f"model limit {attr!r} must be a non-negative whole number")
    return value


def _load_toml(text: str) -> dict[str, Any]:
    from fineprep.core.toml import loads

    return loads(text)


@lru_cache(maxsize=1)
def _raw() -> dict[str, Any]:
    text = resources.files("fineprep.core").joinpath("data/models.toml").read_text("utf-8")
    return _load_toml(text)


def _resolve(key: str, raw_models: dict[str, Any], seen: tuple[str, ...] = ()) -> dict[str, Any]:
    if key in seen:
        raise ValueError(f"cyclic extends in model profiles: {' -> '.join((*seen, key))}")
    entry = dict(raw_models[key])
    parent_key = entry.pop("extends", None)
    if parent_key is None:
        entry["sources"] = dict(entry.get("sources", {}))
        return entry
    parent = _resolve(parent_key, raw_models, (*seen, key))
    merged = {k: v for k, v in parent.items() if k not in {"aliases"}}
    own_sources = entry.pop("sources", {})
    merged.update(entry)
    merged["sources"] = {**parent["sources"], **own_sources}
    return merged


def _build(key: str, entry: dict[str, Any], raw: dict[str, Any]) -> ModelProfile:
    url_by_tag: dict[str, str] = raw["sources"]
    hp_set = entry.pop("hyperparameters", None)
    hps: tuple[HyperParameter, ...] = ()
    if hp_set is not None:
        hps = tuple(
            HyperParameter(
                name=name,
                type=spec["type"],
                min=spec["min"],
                max=spec["max"],
                default=spec["default"],
                allow=tuple(spec.get("allow", ())),
            )
            for name, spec in raw["hyperparameters"][hp_set].items()
        )
    sources = {name: url_by_tag.get(tag, tag) for name, tag in entry.pop("sources", {}).items()}
    values: dict[str, Any] = {}
    for name, value in entry.items():
        if name == "batch_token_limits":
            values[name] = tuple((int(b), int(t)) for b, t in value)
        elif isinstance(value, list):
            values[name] = tuple(value)
        elif (
            name
            in {
                "max_input_tokens",
                "max_output_tokens",
                "max_validation_records",
                "distillation_min_records",
                "distillation_max_records",
            }
            and value == 0
        ):
            values[name] = None
        else:
            values[name] = value
    aliases = {key, entry["base_model_id"]}
    profile = ModelProfile(key=key, hyperparameters=hps, sources=sources, **values)
    aliases.add(profile.id_without_context)
    aliases.update(values.get("aliases", ()))
    return dataclasses.replace(profile, aliases=tuple(sorted(aliases)))


@lru_cache(maxsize=1)
def all_profiles() -> dict[str, ModelProfile]:
    """Every profile, keyed by short name, in file order."""
    raw = _raw()
    models = raw["models"]
    return {key: _build(key, _resolve(key, models), raw) for key in models}


def _normalise(name: str) -> str:
    name = name.strip().lower()
    if "foundation-model/" in name:  # a foundation-model ARN
        name = name.rsplit("foundation-model/", 1)[1]
    return name


@lru_cache(maxsize=1)
def _alias_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for key, profile in all_profiles().items():
        for alias in profile.aliases:
            index[alias.lower()] = key
            index[alias.lower().replace(".", "-").replace("_", "-")] = key
    return index


def get_profile(name: str, overrides: dict[str, Any] | None = None) -> ModelProfile:
    """Look a model up by short name, base-model ID (with or without context), alias or ARN."""
    norm = _normalise(name)
    index = _alias_index()
    key = index.get(norm) or index.get(norm.replace(".", "-").replace("_", "-"))
    if key is None:
        suggestions = ", ".join(all_profiles())
        raise ConfigError(
            f"unknown model {name!r}",
            hint=f"run `fineprep models` to list them; known: {suggestions}",
        )
    profile = all_profiles()[key]
    return profile.with_overrides(overrides or {})
