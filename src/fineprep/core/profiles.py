"""Model profiles: Bedrock's per-model rules, loaded from ``data/models.toml``.

Keeping the rules as data (with a source per value) means a limit that AWS changes is a
one-line edit with a citation, not a code change, and users can override any value in config
when their account's quota differs.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from fineprep.core.errors import ConfigError, did_you_mean
from fineprep.core.limits import (
    NOT_LIMITS,
    check_bounds,
    coerce,
    limit_keys,
)

#: Bedrock's S3 URI pattern for data locations (CreateModelCustomizationJob), and its length cap.
S3_URI_PATTERN = (
    r"s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9]"
    r"(?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?"
)
MAX_URI = 1024


@dataclass(frozen=True)
class HyperParameter:
    """One tunable value of a customization job.

    Bedrock takes ``hyperParameters`` values as strings; the RFT hyperparameters
    (``rftConfig.hyperParameters``) are typed numbers, and ``enum`` values (``reasoningEffort``)
    are one of ``allow``. ``min``/``max`` are None where the API states no bound, ``default``
    is None where AWS documents none (the value is then sent only when chosen).
    """

    name: str
    type: str
    min: float | None
    max: float | None
    default: float | None
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
    #: ISO date from which the model can no longer be customized (None: none announced).
    end_of_life: str | None = None
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
    #: Whether AWS lists ``max_record_chars`` as a maximum (the requirements page's "character
    #: quota per sample", which Bedrock enforces: L001 is then an error); otherwise it is
    #: only AWS's planning estimate of 6 characters per token (L001 warns).
    record_chars_documented: bool = False
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
    #: File name endings the model's service accepts for dataset files (empty: not restricted).
    file_extensions: tuple[str, ...] = ()
    #: Whether conversation records may carry any string as ``schemaVersion`` (Nova), rather
    #: than exactly ``bedrock-conversation-2024``; distillation always needs the exact value.
    any_schema_version: bool = False
    image_formats: tuple[str, ...] = ()
    video_formats: tuple[str, ...] = ()
    max_images_per_record: int | None = None
    max_videos_per_record: int | None = None
    max_image_bytes: int | None = None
    max_video_bytes: int | None = None
    max_video_seconds: int | None = None
    image_min_side: int | None = None
    image_max_side: int | None = None
    image_max_pixels: int | None = None
    #: Allowed width/height ratio of an image (1:4 is 0.25).
    image_min_aspect: float | None = None
    image_max_aspect: float | None = None
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
    #: The customization type these limits are for ("" = the first of customization_types).
    customization: str = ""
    #: The API AWS documents for this model's jobs: "bedrock" (CreateModelCustomizationJob) or
    #: "openai" (Bedrock's OpenAI-compatible fine-tuning API: open-weight RFT).
    job_api: str = "bedrock"
    #: Limits that differ for the model's other customization types, keyed by type; applied by
    #: :meth:`for_customization` (already converted, with their own sources).
    customizations: dict[str, dict[str, Any]] = field(
        default_factory=dict, hash=False, compare=False
    )
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
    def active_customization(self) -> str:
        return self.customization or self.customization_types[0]

    def for_customization(self, ctype: str) -> ModelProfile:
        """This model's profile for one customization type: the type's own limits (from
        ``[models.<key>.customizations.<TYPE>]``) over the model's, except values the user
        set in config, which always win."""
        if ctype == self.active_customization:
            return self
        if ctype not in self.customization_types:
            raise ConfigError(
                f"{self.name} does not support {ctype}",
                hint=f"it supports {', '.join(self.customization_types)}",
            )
        overrides = self.customizations.get(ctype, {})
        own_sources: dict[str, str] = overrides.get("sources", {})
        changes = {
            k: v for k, v in overrides.items() if k != "sources" and self.sources.get(k) != "config"
        }
        sources = dict(self.sources)
        sources.update({k: v for k, v in own_sources.items() if k in changes})
        return dataclasses.replace(self, **changes, customization=ctype, sources=sources)

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

    def record_char_limit(self, batch_size: int | None = None) -> int | None:
        """The per-record character quota: token quota x 6, so it shrinks with the token
        limit where the batch size lowers that (Titan Text: 24,576 at 4,096 tokens, 12,288 at
        2,048)."""
        chars, tokens = self.max_record_chars, self.max_record_tokens
        if chars is None or not tokens or not self.batch_token_limits:
            return chars
        limit = self.record_token_limit(batch_size)
        return chars if limit is None else chars * limit // tokens

    def hyperparameter(self, name: str) -> HyperParameter | None:
        for hp in self.hyperparameters:
            if hp.name == name:
                return hp
        return None

    def source_url(self, field_name: str) -> str | None:
        return self.sources.get(field_name)

    def with_overrides(
        self, overrides: dict[str, Any], where: str | Mapping[str, str] = "limits"
    ) -> ModelProfile:
        """A copy with config overrides applied, each checked now: an unknown key, a value of
        the wrong type or with no meaning, or a minimum the overrides set above the maximum in
        force is a ConfigError naming the key as ``<table>.<key>``. ``where`` is the table
        (``limits``, ``models.nova-lite``), or maps each key to its own."""
        if not overrides:
            return self
        named = limit_keys(overrides, where)
        changes = {
            key.replace("-", "_"): self._checked(key, value, named[key])
            for key, value in overrides.items()
        }
        sources = dict(self.sources)
        sources.update(dict.fromkeys(changes, "config"))
        profile = dataclasses.replace(self, **changes, sources=sources)
        check_bounds(profile, {k.replace("-", "_"): n for k, n in named.items()})
        return profile

    def _checked(self, key: str, value: Any, name: str) -> Any:
        """One override's value for this profile, or a ConfigError naming ``name``: a typo in
        a limit's name would otherwise change nothing, silently."""
        known = {f.name for f in dataclasses.fields(self)} - NOT_LIMITS
        attr = key.replace("-", "_")
        if attr not in known:
            raise ConfigError(
                f"unknown model limit {name!r}{did_you_mean(key, sorted(known))}",
                hint="see `fineprep models --show MODEL` for the names",
            )
        return coerce(attr, value, getattr(self, attr), name)


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


def _hyperparameter_set(raw: dict[str, Any], name: str) -> tuple[HyperParameter, ...]:
    return tuple(
        HyperParameter(
            name=hp_name,
            type=spec["type"],
            min=spec.get("min"),
            max=spec.get("max"),
            default=spec.get("default"),
            allow=tuple(spec.get("allow", ())),
        )
        for hp_name, spec in raw["hyperparameters"][name].items()
    )


_ZERO_IS_NONE = {
    "max_input_tokens",
    "max_output_tokens",
    "max_record_tokens",
    "max_record_chars",
    "max_validation_records",
    "hard_min_records",
    "distillation_min_records",
    "distillation_max_records",
}


def _values(entry: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    """TOML values -> ModelProfile values (lists to tuples, a hyperparameter set by name,
    0 for "no limit" where the parent has one, sources as URLs)."""
    url_by_tag: dict[str, str] = raw["sources"]
    values: dict[str, Any] = {}
    for name, value in entry.items():
        if name == "sources":
            values[name] = {k: url_by_tag.get(tag, tag) for k, tag in value.items()}
        elif name == "hyperparameters":
            values[name] = _hyperparameter_set(raw, value)
        elif name == "batch_token_limits":
            values[name] = tuple((int(b), int(t)) for b, t in value)
        elif isinstance(value, list):
            values[name] = tuple(value)
        elif name in _ZERO_IS_NONE and value == 0:
            values[name] = None
        else:
            values[name] = value
    return values


def _build(key: str, entry: dict[str, Any], raw: dict[str, Any]) -> ModelProfile:
    per_type = entry.pop("customizations", {})
    values = _values(entry, raw)
    values.setdefault("sources", {})
    customizations = {ctype: _values(dict(sub), raw) for ctype, sub in per_type.items()}
    aliases = {key, entry["base_model_id"]}
    profile = ModelProfile(key=key, customizations=customizations, **values)
    aliases.add(profile.id_without_context)
    aliases.update(values.get("aliases", ()))
    return dataclasses.replace(profile, aliases=tuple(sorted(aliases)))


@lru_cache(maxsize=1)
def grader_limits() -> dict[str, Any]:
    """What AWS states about reward-function Lambdas (timeouts), with sources."""
    raw = _raw()
    table = dict(raw.get("grader", {}))
    tags = table.pop("sources", {})
    table["sources"] = {k: raw["sources"].get(t, t) for k, t in tags.items()}
    return table


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


def get_profile(
    name: str,
    overrides: dict[str, Any] | None = None,
    where: str | Mapping[str, str] = "limits",
) -> ModelProfile:
    """Look a model up by short name, base-model ID (with or without context), alias or ARN;
    with ``overrides`` from the config table ``where`` (see :meth:`ModelProfile.with_overrides`)."""
    norm = _normalise(name)
    index = _alias_index()
    key = index.get(norm) or index.get(norm.replace(".", "-").replace("_", "-"))
    if key is None:
        raise ConfigError(
            f"unknown model {name!r}{did_you_mean(norm, [*all_profiles(), *index])}",
            hint="run `fineprep models` to list them",
        )
    profile = all_profiles()[key]
    return profile.with_overrides(overrides or {}, where)


def check_lambda_arn(arn: Any, where: str = "grader") -> str:
    """The ARN if Bedrock's LambdaGraderConfig pattern accepts it, else a ConfigError."""
    limits = grader_limits()
    if (
        not isinstance(arn, str)
        or len(arn) > int(limits["lambda_arn_max_length"])
        or not re.fullmatch(str(limits["lambda_arn_pattern"]), arn)
    ):
        raise ConfigError(
            f"{where}: {arn!r} is not a Lambda function ARN",
            hint="use arn:aws:lambda:REGION:ACCOUNT:function:NAME[:ALIAS]",
        )
    return arn


def teachers_via_inference_profile() -> frozenset[str]:
    """Distillation teachers reached only through an inference profile (``[teachers]``)."""
    table = _raw().get("teachers", {})
    return frozenset(str(x) for x in table.get("inference_profile_only", ()))


def teacher_source() -> str:
    """Where the teacher rules come from (a URL)."""
    raw = _raw()
    tag = str(raw.get("teachers", {}).get("source", "R8c"))
    return str(raw["sources"].get(tag, tag))
