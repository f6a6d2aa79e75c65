"""A run's token source: which tokenizer counts, and whether its counts are exact or estimates.

A profile names its tokenizer (`encoding`) and says whether it is the model's own
(`token_source = "exact"`) or a proxy calibrated per script (`token_scale`, `token_band`). When
the exact vocabulary is not on this machine, the source falls back to the proxy and every count
is labelled an estimate: a missing file never stops a run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from fineprep.tokens.catalogue import exact_tokenizer_for, get_spec

if TYPE_CHECKING:
    from fineprep.core.profiles import ModelProfile

SCRIPTS = ("latin", "cjk", "code")
#: The proxy of models with no calibration of their own: o200k, and a band wide enough that an
#: estimate alone rarely proves anything.
DEFAULT_PROXY = "o200k_base"
DEFAULT_BAND = (-0.5, 1.0)


@dataclass(frozen=True)
class TokenSource:
    """How a run counts tokens. ``scale``/``band`` are per script (latin, cjk, code)."""

    tokenizer: str
    exact: bool
    scale: tuple[float, float, float] = (1.0, 1.0, 1.0)
    band: tuple[tuple[float, float], ...] = ((0.0, 0.0),) * 3
    file: str | None = None
    #: The exact tokenizer that was wanted but is not on this machine (the run fell back).
    missing: str | None = None
    #: Model ID for Bedrock's CountTokens (``--tokenizer bedrock``), else None.
    remote: str | None = None

    @property
    def floor(self) -> float:
        """The smallest factor any script's estimate may be off by: ``proxy x floor`` bounds
        the model's count from below under the calibration (1.0 when exact)."""
        if self.exact:
            return 1.0
        return min(s * (1 + lo) for s, (lo, _) in zip(self.scale, self.band, strict=True))

    def describe(self) -> str:
        """One line for messages and `fineprep models --show`."""
        if self.exact:
            where = f" from {self.file}" if self.file else ""
            return f"exact ({self.tokenizer}{where})"
        parts = ", ".join(
            f"{name} x{s:g} ({lo:+.0%}..{hi:+.0%})"
            for name, s, (lo, hi) in zip(SCRIPTS, self.scale, self.band, strict=True)
        )
        why = f"; {self.missing} vocabulary not found" if self.missing else ""
        return f"estimate ({self.tokenizer} proxy: {parts}{why})"

    def as_data(self) -> dict[str, object]:
        data: dict[str, object] = {"tokenizer": self.tokenizer, "exact": self.exact}
        if self.missing:
            data["missing_tokenizer"] = self.missing
        return data


def profile_source(profile: ModelProfile | None, encoding: str | None = None) -> TokenSource:
    """The source a profile declares; ``encoding`` (config or ``--tokenizer NAME``) counts with
    another tokenizer, as an estimate unless it is the model's own. Nothing is loaded."""
    if profile is None:
        return TokenSource(encoding or DEFAULT_PROXY, exact=False, band=(DEFAULT_BAND,) * 3)
    own = _own_tokenizer(profile)
    if own and encoding in (None, own):
        return TokenSource(own, exact=True)
    proxy = encoding or _proxy_of(profile)
    if proxy == _proxy_of(profile):
        scale, band = _calibration(profile)
        return TokenSource(proxy, exact=False, scale=scale, band=band)
    return TokenSource(proxy, exact=False, band=(DEFAULT_BAND,) * 3)  # an uncalibrated proxy


def fallback(source: TokenSource, profile: ModelProfile | None) -> TokenSource:
    """The source to use when ``source``'s vocabulary is not on this machine: the profile's
    calibrated proxy, labelled an estimate, naming the vocabulary that was missing."""
    proxy = _proxy_of(profile) if profile is not None else DEFAULT_PROXY
    if proxy == source.tokenizer:
        proxy = DEFAULT_PROXY if proxy != DEFAULT_PROXY else "cl100k_base"
    scale, band = (
        _calibration(profile) if profile is not None else ((1.0,) * 3, (DEFAULT_BAND,) * 3)
    )
    return replace(
        source, tokenizer=proxy, exact=False, scale=scale, band=band, file=None,
        missing=source.tokenizer,
    )  # fmt: skip


def _own_tokenizer(profile: ModelProfile) -> str | None:
    """The model's own tokenizer: the profile's ``encoding`` when it says ``exact``, else the
    catalogue's tokenizer for its base model ID (profiles that name no tokenizer)."""
    if profile.token_source == "exact" and profile.encoding:
        return profile.encoding
    if profile.token_source == "estimate" and profile.encoding:
        return None
    return exact_tokenizer_for(profile.base_model_id)


def _proxy_of(profile: ModelProfile) -> str:
    """The proxy the profile's ``token_scale``/``token_band`` were calibrated for."""
    if profile.token_proxy:
        return profile.token_proxy
    if profile.token_source != "exact" and profile.encoding:
        return profile.encoding
    return DEFAULT_PROXY


def _calibration(
    profile: ModelProfile,
) -> tuple[tuple[float, float, float], tuple[tuple[float, float], ...]]:
    scale = tuple(float(profile.token_scale.get(s, 1.0)) for s in SCRIPTS)
    band = tuple(
        (float(v[0]), float(v[1]))
        for v in (profile.token_band.get(s, DEFAULT_BAND) for s in SCRIPTS)
    )
    return scale, band  # type: ignore[return-value]


def word_bound_holds(source: TokenSource) -> bool:
    """Whether the word lower bound is proven for the counted tokenizer's pre-tokenizer."""
    spec = get_spec(source.tokenizer)
    return bool(spec and spec.word_bound and not source.file)


#: ``--tokenizer`` values besides a catalogue name.
AUTO, BEDROCK = "auto", "bedrock"


def run_source(
    profile: ModelProfile | None,
    encoding: str | None = None,
    tokenizer: str | None = None,
    tokenizer_file: str | None = None,
) -> TokenSource:
    """The source of one run: the profile's, another catalogue tokenizer (``tokenizer`` or the
    ``encoding`` setting), a file the user names, and/or Bedrock's CountTokens."""
    from fineprep.core.errors import ConfigError
    from fineprep.tokens.catalogue import catalogue

    choice = (tokenizer or AUTO).strip().lower()
    named = None if choice in (AUTO, BEDROCK) else choice
    if named is not None and named not in catalogue():
        raise ConfigError(
            f"unknown tokenizer {tokenizer!r}",
            hint=f"use auto, bedrock or one of {', '.join(catalogue())}",
        )
    if named is None and encoding is not None and encoding not in catalogue():
        raise ConfigError(
            f"encoding {encoding!r} is not a tokenizer fineprep knows",
            hint=f"set `encoding` to one of {', '.join(catalogue())}, or leave it out",
        )
    source = profile_source(profile, named or encoding)
    if tokenizer_file:
        source = replace(source, exact=True, file=tokenizer_file, scale=(1.0,) * 3,
                         band=((0.0, 0.0),) * 3)  # fmt: skip
    if choice == BEDROCK:
        if profile is None:
            raise ConfigError("--tokenizer bedrock needs a model", hint="pass --model MODEL")
        source = replace(source, remote=profile.id_without_context)
    return source
