"""Token counting with a catalogue tokenizer, loaded only when a verdict needs it.

Vocabularies come from :mod:`fineprep.tokens.vocab` (packaged, a package that ships them, the
Hugging Face or tiktoken cache, or a file the user names) and are counted with tiktoken's BPE,
which is the reference implementation for Llama 3 and the OpenAI encodings and gives the same
ids as Hugging Face's merge-list BPE for Qwen (tested). A user's ``tokenizer.json`` is counted
with Hugging Face ``tokenizers`` instead. Loading a vocabulary takes 0.1-0.3 s, so nothing here
runs at import time; the parsed ranks are kept in a marshal file for the next process. Counts
use ``encode_ordinary``: special-token text is counted as text, never refused.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fineprep.core.errors import TokenizerUnavailable
from fineprep.tokens.catalogue import TokenizerSpec, catalogue, get_spec
from fineprep.tokens.vocab import Located, locate, read_ranks

_ENCODINGS: dict[tuple[str, str], Any] = {}


def load_encoding(name: str, tokenizer_file: str | None = None) -> Any:
    """The encoder of tokenizer ``name`` (an object with ``encode_ordinary``), cached, or a
    :class:`TokenizerUnavailable` that says how to provide one (this machine may be offline)."""
    key = (name, tokenizer_file or "")
    enc = _ENCODINGS.get(key)
    if enc is not None:
        return enc
    spec = get_spec(name)
    if spec is None:
        raise TokenizerUnavailable(
            f"unknown tokenizer {name!r}",
            hint=f"set `encoding` to one of {', '.join(catalogue())}",
        )
    where = locate(spec, tokenizer_file)
    if where is None:
        raise TokenizerUnavailable(
            f"no copy of the {name} vocabulary on this machine",
            hint=_where_hint(spec),
        )
    enc = _hf_encoder(where.path) if where.format == "hf" else _tiktoken_encoder(spec, where)
    _ENCODINGS[key] = enc
    return enc


def _where_hint(spec: TokenizerSpec) -> str:
    places = ["--tokenizer-file PATH"]
    if spec.package:
        places.append(f"pip install {spec.package.replace('_', '-')}")
    if spec.hf_repos:
        places.append(f"a Hugging Face cache of {spec.hf_repos[0]}")
    if spec.tiktoken:
        places.append("TIKTOKEN_CACHE_DIR with tiktoken's cache")
    return "provide it with " + ", or ".join(places)


def _tiktoken_encoder(spec: TokenizerSpec, where: Located) -> Any:
    try:
        import tiktoken
    except ImportError:  # pragma: no cover - tiktoken is a dependency
        raise TokenizerUnavailable(
            "tiktoken is not installed", hint="pip install tiktoken"
        ) from None
    cache = _rank_cache_path(tiktoken, spec.name, where.path)
    kwargs = _from_rank_cache(cache, spec.name)
    if kwargs is None:
        kwargs = {
            "name": spec.name,
            "pat_str": spec.pattern,
            "mergeable_ranks": read_ranks(spec, where),
            "special_tokens": {},
        }
        _store_rank_cache(cache, kwargs)
    return tiktoken.Encoding(**kwargs)


class _HFEncoder:
    """A Hugging Face ``tokenizer.json`` behind tiktoken's ``encode_ordinary`` name."""

    def __init__(self, path: str) -> None:
        try:
            from tokenizers import Tokenizer
        except ImportError:
            raise TokenizerUnavailable(
                f"{path}: reading a tokenizer.json needs Hugging Face tokenizers",
                hint="pip install 'fineprep[hf]' (or pip install tokenizers)",
            ) from None
        try:
            self._tok = Tokenizer.from_file(path)
        except Exception as exc:
            raise TokenizerUnavailable(f"{path}: not a tokenizer.json ({exc})") from None
        self.name = f"file:{Path(path).name}"

    def encode_ordinary(self, text: str) -> list[int]:
        ids: list[int] = self._tok.encode(text, add_special_tokens=False).ids
        return ids


def _hf_encoder(path: str) -> _HFEncoder:
    return _HFEncoder(path)


def _rank_cache_path(tiktoken: Any, name: str, source: str) -> Path | None:
    """``~/.cache/fineprep/tiktoken-<name>-<version>-<source>.marshal`` (``FINEPREP_ENCODING_
    CACHE`` names another folder; ``off`` disables it)."""
    named = os.environ.get("FINEPREP_ENCODING_CACHE")
    if named == "off":
        return None
    if named:
        folder = Path(named)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        folder = (Path(xdg) if xdg else Path("~/.cache").expanduser()) / "fineprep"
    version = getattr(tiktoken, "__version__", "unknown")
    try:
        info = Path(source).stat()
        stamp = f"{source}:{info.st_size}:{info.st_mtime_ns}"
    except OSError:
        return None
    digest = hashlib.sha256(stamp.encode()).hexdigest()[:12]
    return folder / f"tiktoken-{name}-{version}-{digest}.marshal"


def _from_rank_cache(path: Path | None, name: str) -> dict[str, Any] | None:
    """The encoding's arguments from its cached rank table (~0.04 s instead of 0.1-0.3 s of
    parsing: the fixed cost of a pre-commit run), or None."""
    if path is None or not path.is_file():
        return None
    try:
        kwargs = marshal.loads(path.read_bytes())
    except Exception:  # a stale, truncated or foreign file is a miss
        return None
    if not isinstance(kwargs, dict) or kwargs.get("name") != name:
        return None
    return kwargs


def _store_rank_cache(path: Path | None, kwargs: dict[str, Any]) -> None:
    """Keep the rank table for the next process; best effort (read-only homes are fine)."""
    if path is None or path.exists():
        return
    try:
        from fineprep.io.atomic import AtomicWriter

        with AtomicWriter(path) as fh:
            fh.write(marshal.dumps(kwargs))
    except Exception:
        return


#: Texts at least this long are counted word by word through a cache (below, one call is cheaper).
_CHUNKED_MIN_CHARS = 2000
#: Cached word counts per encoding; cleared when full (memory stays bounded, ~20 MB).
_CACHE_LIMIT = 200_000
_COUNTERS: dict[tuple[str, str], Callable[[str], int]] = {}


def text_counter(name: str, tokenizer_file: str | None = None) -> Callable[[str], int]:
    """``text -> tokens`` for tokenizer ``name``: exactly ``len(encode_ordinary(text))`` (after
    NFC for tokenizers that normalize), ~2x faster on long natural-language text.

    Why it is exact: in the cl100k, o200k, Llama 3 and Qwen pre-tokenizers a space followed by
    a non-space character always starts a piece (no pattern holds a space after its first
    character unless only whitespace follows it), and pieces are encoded independently; NFC
    never composes across a space. So a text split before each such space is counted chunk by
    chunk, and chunks (" word", " invoice:") repeat, so most are a dictionary lookup. A space
    followed by whitespace is not a piece start (``"\\n \\n"`` is one token, not two): such
    texts, other tokenizers and texts with lone surrogates use one ``encode_ordinary`` call.
    Property-tested against the reference tokenizers.
    """
    key = (name, tokenizer_file or "")
    counter = _COUNTERS.get(key)
    if counter is not None:
        return counter
    encode = load_encoding(name, tokenizer_file).encode_ordinary
    spec = get_spec(name)
    nfc = bool(spec and spec.normalize == "NFC") and not tokenizer_file

    def one(text: str) -> int:
        if nfc and not text.isascii():
            text = unicodedata.normalize("NFC", text)
        return len(encode(text))

    if tokenizer_file or spec is None or not spec.word_bound:
        _COUNTERS[key] = one
        return one
    from itertools import islice

    cache: dict[str, int] = {}
    known = cache.__getitem__

    def count(text: str) -> int:
        if len(text) < _CHUNKED_MIN_CHARS or not _well_formed(text):
            return one(text)
        words = text.split(" ")
        total = one(words[0]) if words[0] else 0
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        # Summed in C, one lookup a word; the chunks not counted yet are counted first.
        try:
            return total + sum(map(known, islice(words, 1, None)))
        except KeyError:
            pass
        for word in set(islice(words, 1, None)).difference(cache):
            if not word or word[0].isspace():
                return one(text)  # a space before whitespace: no piece start
            cache[word] = one(" " + word)
        return total + sum(map(known, islice(words, 1, None)))

    _COUNTERS[key] = count
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
    return bool(_ENCODINGS) if name is None else any(k[0] == name for k in _ENCODINGS)


def longest_token(name: str, tokenizer_file: str | None = None) -> int:
    """Bytes of the tokenizer's longest token (``bytes / longest`` bounds the count below)."""
    enc = load_encoding(name, tokenizer_file)
    values = getattr(enc, "token_byte_values", None)
    return max(len(b) for b in values()) if values else 1


def budget_counter(name: str) -> Callable[[str], int]:
    """``text -> tokens`` for budgets (chunking a document to fit a limit): ``name``'s counter,
    or the packaged o200k_base when ``name``'s vocabulary is not on this machine, so a
    missing file never stops a conversion (the chunker keeps a margin below the limit)."""
    try:
        return text_counter(name)
    except TokenizerUnavailable:
        return text_counter("o200k_base")
