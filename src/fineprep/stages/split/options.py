"""Split parameters: explicit arguments over the ``[split]`` config section over defaults.

Every value is checked here, once, with an error that names the option and the config key, so
the splitter itself can assume sane ratios, seeds and limits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from fineprep.core.errors import ConfigError
from fineprep.io.outputs import refuse_remote

_KEYS = {"validation", "test", "stratify", "group", "seed", "max-per-class", "output"}
#: Seeds key blake2b, whose key is at most 64 bytes; 2**63 leaves plenty of room.
_MAX_SEED = 1 << 63


@dataclass(frozen=True)
class SplitOptions:
    out_dir: Path
    validation: float
    test: float
    stratify: str | None
    group: str | None
    seed: int
    max_per_class: int | None
    #: The options taken from the ``[split]`` section, not the command line.
    from_config: frozenset[str] = frozenset()

    def shown(self, key: str) -> str:
        """Option ``key`` as the user gave it, for messages: ``--stratify label`` on the
        command line, ``[split] stratify = "label"`` from the config."""
        value = getattr(self, key.replace("-", "_"))
        return _spelled(key, value, key in self.from_config)

    def as_dict(self) -> dict[str, Any]:
        return {
            "validation": self.validation,
            "test": self.test,
            "stratify": self.stratify,
            "group": self.group,
            "seed": self.seed,
            "max_per_class": self.max_per_class,
        }


def _spelled(key: str, value: Any, from_config: bool) -> str:
    return f"[split] {key} = {json.dumps(value)}" if from_config else f"--{key} {value}"


def _pick(explicit: Any, section: dict[str, Any], key: str, default: Any) -> Any:
    return explicit if explicit is not None else section.get(key, default)


def _ratio(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"split {name}: {value!r} is not a number (use e.g. 0.1 for 10%)")
    if not 0 <= value < 1:
        raise ConfigError(f"split {name}: {value} must be at least 0 and below 1 (0.1 = 10%)")
    return float(value)


def _whole(value: Any, name: str, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"split {name}: {value!r} must be a whole number >= {minimum}")
    if maximum is not None and value >= maximum:
        raise ConfigError(f"split {name}: {value} is too large (below {maximum})")
    return value


def _field(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"split {name}: {value!r} must be a field name such as 'label'")
    return value.strip()


def resolve_options(
    section: dict[str, Any],
    *,
    out_dir: str | Path | None,
    validation: float | None,
    test: float | None,
    stratify: str | None,
    group: str | None,
    seed: int | None,
    max_per_class: int | None,
) -> SplitOptions:
    unknown = sorted(set(section) - _KEYS)
    if unknown:
        raise ConfigError(
            f"[split] unknown key {unknown[0]!r}", hint=f"known keys: {', '.join(sorted(_KEYS))}"
        )
    out = _pick(out_dir, section, "output", None)
    if out is None:
        raise ConfigError("split: no output directory", hint="give -o DIR or [split] output")
    refuse_remote(out, "[split] output")
    val = _ratio(_pick(validation, section, "validation", 0.1), "validation")
    tst = _ratio(_pick(test, section, "test", 0.0), "test")
    # Compared as the exact fractions the assignment uses, so that the two never disagree.
    # Ratios that leave train nothing only once rounded to a small dataset's records are the
    # assignment's to handle: it keeps a record in train and says so.
    if Fraction(repr(val)) + Fraction(repr(tst)) >= 1:
        raise ConfigError(f"split: validation {val} + test {tst} leave nothing for train")
    given = {"stratify": stratify, "group": group, "max-per-class": max_per_class}
    from_config = frozenset(k for k, v in given.items() if v is None and k in section)
    limit = _pick(max_per_class, section, "max-per-class", None)
    strat = _field(_pick(stratify, section, "stratify", None), "stratify")
    if limit is not None:
        limit = _whole(limit, "max-per-class", 1)
        if strat is None:
            shown = _spelled("max-per-class", limit, "max-per-class" in from_config)
            raise ConfigError(
                f"split {shown} needs classes: give --stratify label (or a sidecar field)"
            )
    return SplitOptions(
        out_dir=Path(out),
        validation=val,
        test=tst,
        stratify=strat,
        group=_field(_pick(group, section, "group", None), "group"),
        seed=_whole(_pick(seed, section, "seed", 0), "seed", 0, _MAX_SEED),
        max_per_class=limit,
        from_config=from_config,
    )
