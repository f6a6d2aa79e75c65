"""Model limits a config overrides (``[limits]``, ``[models.NAME]``), checked when read.

A typo in a limit's name, a value of the wrong type, a pattern that is not a regular
expression or a minimum above the maximum would otherwise change nothing, or fail mid-run as
an internal error; each is a :class:`ConfigError` naming the key as ``<table>.<key>``. The
profiles (:mod:`fineprep.core.profiles`) apply the overrides; this module judges them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from fineprep.core.errors import ConfigError, did_you_mean

#: The record formats a model may take (``formats``).
FORMATS = (
    "prompt-completion",
    "conversation",
    "claude-messages",
    "pretraining",
    "distillation",
    "image-caption",
    "rft",
)

#: The customization type a record format is trained with, where it is not FINE_TUNING.
RFT = "REINFORCEMENT_FINE_TUNING"
CUSTOMIZATION_BY_FORMAT = {
    "pretraining": "CONTINUED_PRE_TRAINING",
    "distillation": "DISTILLATION",
    "rft": RFT,
}
#: Customization types a model may list (the job's customizationType values).
CUSTOMIZATION_TYPES = ("FINE_TUNING", *CUSTOMIZATION_BY_FORMAT.values())


class Limits(Protocol):
    """What is judged here of a model profile: its limits, by attribute name."""

    @property
    def name(self) -> str: ...

    def _checked(self, key: str, value: Any, name: str) -> Any: ...


#: Profile fields a config cannot set.
NOT_LIMITS = {"key", "sources", "hyperparameters", "customization", "customizations"}

#: Limits whose first may not be above the second.
_BOUNDS = (
    ("min_records", "max_records"),
    ("distillation_min_records", "distillation_max_records"),
    ("caption_min_chars", "caption_max_chars"),
    ("image_min_side", "image_max_side"),
    ("image_min_aspect", "image_max_aspect"),
)


def limit_keys(overrides: dict[str, Any], where: str | Mapping[str, str]) -> dict[str, str]:
    """Each override key as a config key path (``limits.min_records``)."""
    if isinstance(where, str):
        return {key: f"{where}.{key}" for key in overrides}
    return {key: f"{where.get(key, 'limits')}.{key}" for key in overrides}


def check_limits(overrides: dict[str, Any], reference: Limits, where: str = "limits") -> None:
    """What can be checked of limit overrides before the model is known (``[limits]``
    applies to whichever model a run names): names, types, values (judged against
    ``reference``, any profile: types are alike in every one), and the pairs of bounds that
    ``overrides`` sets both of. The model's own bounds count in ``with_overrides``."""
    named = limit_keys(overrides, where)
    changes = {
        key.replace("-", "_"): reference._checked(key, value, named[key])
        for key, value in overrides.items()
    }
    for low, high in _BOUNDS:
        lo, hi = changes.get(low), changes.get(high)
        if lo is not None and hi is not None and lo > hi:
            raise _bound_error(named[low], lo, high, hi, "set in config")


def check_bounds(profile: Limits, named: dict[str, str]) -> None:
    """A minimum the config sets (its key in ``named``) above the maximum in force, from the
    config or the model, is refused: no dataset could pass both. A maximum lowered below the
    model's documented minimum is the user's to choose (N001 then reports the shortfall)."""
    for low, high in _BOUNDS:
        lo, hi = getattr(profile, low), getattr(profile, high)
        if low in named and lo is not None and hi is not None and lo > hi:
            whose = "set in config" if high in named else f"{profile.name}'s limit"
            raise _bound_error(named[low], lo, high, hi, whose)


def _bound_error(name: str, lo: float, high: str, hi: float, whose: str) -> ConfigError:
    low = name.rsplit(".", 1)[-1]
    return ConfigError(
        f"{name} = {lo:,} is above {high} ({hi:,}, {whose})",
        hint=f"lower {low} to at most {hi:,}, or raise {high}",
    )


#: The APIs a model's jobs go through (ModelProfile.job_api).
JOB_APIS = ("bedrock", "openai")


def coerce(attr: str, value: Any, current: Any, name: str) -> Any:
    """One override's value, checked for its type and meaning (``name``: its config key)."""
    if isinstance(current, tuple):
        if not isinstance(value, list):
            raise ConfigError(f"{name} must be a list")
        value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        _check_choices(attr, value, name)
        return value
    if isinstance(current, bool) and not isinstance(value, bool):
        raise ConfigError(f"{name} must be true or false")
    if (
        attr.startswith(("max_", "min_", "hard_min", "caption_"))
        and value is not None
        and (not isinstance(value, int) or isinstance(value, bool) or value < 0)
    ):
        raise ConfigError(f"{name} = {value!r}: must be a whole number of at least 0")
    if attr == "file_name_pattern" and value is not None:
        try:  # the N007 check and the S3 key check match it with re
            re.compile(value)
        except (re.error, TypeError, ValueError, OverflowError, RecursionError) as exc:
            raise ConfigError(
                f"{name} = {value!r} is not a regular expression ({exc})",
                hint="fix the pattern, in Python re syntax, or remove it to use the model's",
            ) from None
    if attr == "job_api" and value not in JOB_APIS:
        raise ConfigError(f"{name} = {value!r}: must be one of {', '.join(JOB_APIS)}")
    if attr == "token_band":
        _check_bands(_table(value, name), name)
    if attr == "token_scale":
        for script, factor in _table(value, name).items():
            if not _number(factor) or not factor > 0:
                raise ConfigError(f"{name}.{script} = {factor!r}: a scale factor must be above 0")
    return value


def _table(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{name} must be a table of scripts (latin, cjk, code)")
    return value


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_choices(attr: str, value: tuple[Any, ...], name: str) -> None:
    """``formats`` and ``customization_types``: at least one, each a known name."""
    choices = {"formats": FORMATS, "customization_types": CUSTOMIZATION_TYPES}.get(attr)
    if choices is None:
        return
    if not value:
        raise ConfigError(f"{name} must list at least one of {', '.join(choices)}")
    for item in value:
        if item not in choices:
            raise ConfigError(
                f"{name}: {item!r} is not one of {', '.join(choices)}"
                f"{did_you_mean(str(item), choices)}"
            )


def _check_bands(bands: dict[str, Any], name: str) -> None:
    """Each script's relative error band is ``[low, high]`` with ``-1 <= low <= high``: the
    estimate times ``1 + low`` is the fewest tokens the text can have, never below none."""
    for script, band in bands.items():
        if not isinstance(band, (list, tuple)) or len(band) != 2 or not all(map(_number, band)):
            raise ConfigError(f"{name}.{script} = {band!r}: a band is [LOW, HIGH]")
        low, high = band
        if not -1 <= low <= high:
            raise ConfigError(
                f"{name}.{script} = {band!r}: a band needs -1 <= low <= high",
                hint="low and high are shares of the estimate: -0.25 is a quarter fewer tokens",
            )
