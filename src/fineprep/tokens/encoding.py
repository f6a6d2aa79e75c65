"""Token counting with tiktoken, loaded only when a verdict needs it.

Loading an encoding takes 0.1-0.35 s and counting costs ~20x parsing, so nothing here runs at
import time. Counts use ``encode_ordinary`` (special-token text is counted as text, never
refused). For non-OpenAI models the counts are estimates; the byte bound used to skip counting
is exact for every byte-level tokenizer (a token is at least one byte).
"""

from __future__ import annotations

import marshal
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fineprep.core.errors import TokenizerUnavailable
from fineprep.tokens.bounds import PIECE_BOUND_ENCODINGS

_ENCODINGS: dict[str, Any] = {}


def load_encoding(name: str) -> Any:
    """The tiktoken encoding ``name``, cached, or a :class:`TokenizerUnavailable` that says how
    to provide one (this machine may be offline)."""
    enc = _ENCODINGS.get(name)
    if enc is not None:
        return enc
    try:
        import tiktoken
    except ImportError:  # pragma: no cover - tiktoken is a dependency
        raise TokenizerUnavailable(
            "tiktoken is not installed", hint="pip install tiktoken"
        ) from None
    enc = _from_rank_cache(tiktoken, name)
    if enc is not None:
        _ENCODINGS[name] = enc
        return enc
    try:
        enc = tiktoken.get_encoding(name)
    except ValueError as exc:
        raise TokenizerUnavailable(
            f"unknown tiktoken encoding {name!r} ({exc})",
            hint="set `encoding` in config to cl100k_base or o200k_base",
        ) from None
    except Exception as exc:  # network errors from requests, blobfile, OSError...
        cache = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR")
        where = (
            f"TIKTOKEN_CACHE_DIR={cache} has no copy of it"
            if cache
            else ("TIKTOKEN_CACHE_DIR is not set")
        )
        raise TokenizerUnavailable(
            f"cannot load the tiktoken encoding {name!r}: {type(exc).__name__} (offline? {where})",
            hint="run once with network access, or copy a tiktoken cache folder to this machine "
            "and set TIKTOKEN_CACHE_DIR to it; or skip token checks with --ignore T",
        ) from None
    _ENCODINGS[name] = enc
    _store_rank_cache(tiktoken, name)
    return enc


def _rank_cache_path(tiktoken: Any, name: str) -> Path | None:
    """``~/.cache/fineprep/tiktoken-<name>-<version>.marshal`` (``FINEPREP_ENCODING_CACHE``
    names another folder; ``off`` disables it)."""
    named = os.environ.get("FINEPREP_ENCODING_CACHE")
    if named == "off":
        return None
    if named:
        folder = Path(named)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        folder = (Path(xdg) if xdg else Path("~/.cache").expanduser()) / "fineprep"
    version = getattr(tiktoken, "__version__", "unknown")
    return folder / f"tiktoken-{name}-{version}.marshal"


def _from_rank_cache(tiktoken: Any, name: str) -> Any:
    """The encoding from its cached rank table (~0.04 s instead of ~0.08 s of parsing
    tiktoken's base64 file: the fixed cost of a pre-commit run), or None."""
    path = _rank_cache_path(tiktoken, name)
    if path is None or not path.is_file():
        return None
    try:
        kwargs = marshal.loads(path.read_bytes())
        if not isinstance(kwargs, dict) or kwargs.get("name") != name:
            return None
        return tiktoken.Encoding(**kwargs)
    except Exception:  # a stale, truncated or foreign file is a miss
        return None


def _store_rank_cache(tiktoken: Any, name: str) -> None:
    """Keep the rank table for the next process; best effort (read-only homes are fine)."""
    path = _rank_cache_path(tiktoken, name)
    if path is None or path.exists():
        return
    try:
        from tiktoken.registry import ENCODING_CONSTRUCTORS

        constructor = (ENCODING_CONSTRUCTORS or {}).get(name)
        if constructor is None:
            return
        data = marshal.dumps(constructor())
        from fineprep.io.jsonl import AtomicWriter

        with AtomicWriter(path) as fh:
            fh.write(data)
    except Exception:
        return


#: Texts at least this long are counted word by word through a cache (below, one call is cheaper).
_CHUNKED_MIN_CHARS = 2000
#: Cached word counts per encoding; cleared when full (memory stays bounded, ~20 MB).
_CACHE_LIMIT = 200_000
_COUNTERS: dict[str, Callable[[str], int]] = {}


def text_counter(encoding: str) -> Callable[[str], int]:
    """``text -> tokens`` for ``encoding``: exactly ``len(encode_ordinary(text))``, ~2x faster
    on long natural-language text.

    Why it is exact: in the cl100k_base and o200k_base pre-tokenizers a space followed by a
    non-space character always starts a piece (no pattern holds a space after its first
    character unless only whitespace follows it), and pieces are encoded independently. So a
    text split before each such space is counted chunk by chunk, and chunks (" word",
    " invoice:") repeat, so most are a dictionary lookup. A space followed by whitespace is not
    a piece start (``"\\n \\n"`` is one token, not two): such texts, other encodings and texts
    with lone surrogates use one
    ``encode_ordinary`` call. Property-tested against tiktoken.
    """
    counter = _COUNTERS.get(encoding)
    if counter is not None:
        return counter
    encode = load_encoding(encoding).encode_ordinary
    if encoding not in PIECE_BOUND_ENCODINGS:

        def plain(text: str) -> int:
            return len(encode(text))

        _COUNTERS[encoding] = plain
        return plain
    from collections import Counter

    cache: dict[str, int] = {}

    def count(text: str) -> int:
        if len(text) < _CHUNKED_MIN_CHARS or not _well_formed(text):
            return len(encode(text))
        words = text.split(" ")
        total = len(encode(words[0])) if words[0] else 0
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        for word, times in Counter(words[1:]).items():
            n = cache.get(word)
            if n is None:
                if not word or word[0].isspace():
                    return len(encode(text))  # a space before whitespace: no piece start
                n = cache[word] = len(encode(" " + word))
            total += n * times
        return total

    _COUNTERS[encoding] = count
    return count


def _well_formed(text: str) -> bool:
    """No lone surrogates (tiktoken repairs those, and a repair may span a split)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def encoding_loaded(name: str | None = None) -> bool:
    """Whether an encoding (any, or ``name``) was loaded in this process (used by tests)."""
    return bool(_ENCODINGS) if name is None else name in _ENCODINGS
