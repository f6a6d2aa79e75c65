"""The tokenizers fineprep knows, as data (``tokens/data/tokenizers.toml``).

A tokenizer is a vocabulary plus a pre-tokenizer pattern (and, for Qwen, NFC normalization).
Keeping them as data means adding a model family is a table, and the README's third-party
notices and `fineprep models --show` read the same licence and origin lines the loader uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

#: Patterns whose pieces start at every space followed by a letter, and in which a space
#: followed by a non-space character always starts a piece (see :mod:`fineprep.tokens.bounds`).
#: Property-tested per vocabulary in tests/unit/test_tokenizers.py.
WORD_BOUND_PATTERNS = frozenset({"cl100k", "o200k", "qwen"})


@dataclass(frozen=True)
class TokenizerSpec:
    """One tokenizer: where its vocabulary comes from and how text is split before BPE."""

    name: str
    description: str
    pattern_name: str
    pattern: str
    tokens: int
    normalize: str = ""
    packaged: str = ""
    sha256: str = ""
    upstream_sha256: str = ""
    package: str = ""
    resource: str = ""
    resource_sha256: str = ""
    tiktoken: str = ""
    hf_repos: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    licence: str = ""
    source: str = ""
    chat_tokens_per_message: int | None = None
    chat_tokens_per_record: int | None = None

    @property
    def word_bound(self) -> bool:
        """Whether the word lower bound and the chunked count are exact for this pattern."""
        return self.pattern_name in WORD_BOUND_PATTERNS


@lru_cache(maxsize=1)
def _raw() -> dict[str, Any]:
    from fineprep.core.toml import loads

    text = resources.files("fineprep.tokens").joinpath("data/tokenizers.toml").read_text("utf-8")
    return loads(text)


@lru_cache(maxsize=1)
def catalogue() -> dict[str, TokenizerSpec]:
    """Every tokenizer, keyed by name, in file order."""
    raw = _raw()
    patterns: dict[str, str] = raw["patterns"]
    out: dict[str, TokenizerSpec] = {}
    for name, entry in raw["tokenizers"].items():
        values = dict(entry)
        pattern_name = values.pop("pattern")
        for key in ("hf_repos", "models"):
            if key in values:
                values[key] = tuple(values[key])
        out[name] = TokenizerSpec(
            name=name, pattern_name=pattern_name, pattern=patterns[pattern_name], **values
        )
    return out


def get_spec(name: str) -> TokenizerSpec | None:
    return catalogue().get(name)


def exact_tokenizer_for(base_model_id: str) -> str | None:
    """The catalogue tokenizer that is ``base_model_id``'s own, if its tokenizer is public."""
    model = base_model_id.lower()
    for spec in catalogue().values():
        if any(model.startswith(prefix) for prefix in spec.models):
            return spec.name
    return None
