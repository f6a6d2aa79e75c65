"""Finding a tokenizer's vocabulary on this machine, without the network.

Order: a file the user names (``--tokenizer-file``), the file packaged with fineprep, a
package that ships it (Meta's ``llama-models`` for Llama 3), the Hugging Face cache, and
tiktoken's cache. Each candidate is checked (sha256 where the catalogue has one, token count
otherwise) so a truncated or foreign file is skipped rather than counted with.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import lzma
import os
import struct
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

from fineprep.core.errors import TokenizerUnavailable
from fineprep.tokens.catalogue import TokenizerSpec

_MAGIC = b"FPBPE1"


@dataclass(frozen=True)
class Located:
    """Where a vocabulary was found: ``kind`` is packaged, package, hf-cache, file or tiktoken."""

    kind: str
    path: str
    format: str  # "fpbpe" (packaged), "tiktoken" (base64 rank lines), "hf" (tokenizer.json)


def locate(spec: TokenizerSpec, tokenizer_file: str | None = None) -> Located | None:
    """The first place that has ``spec``'s vocabulary, or None (nothing is read but headers)."""
    if tokenizer_file:
        path = Path(tokenizer_file).expanduser()
        if not path.is_file():
            raise TokenizerUnavailable(
                f"{tokenizer_file}: tokenizer file not found",
                hint="pass a tokenizer.json (Hugging Face) or a tiktoken rank file "
                "(tokenizer.model), or leave out --tokenizer-file",
            )
        fmt = "hf" if path.suffix == ".json" else "tiktoken"
        return Located("file", str(path), fmt)
    if spec.packaged:
        packaged = Path(str(_data_dir())) / spec.packaged
        if packaged.is_file():
            return Located("packaged", str(packaged), "fpbpe")
    if spec.package and spec.resource:
        found = importlib.util.find_spec(spec.package) if _importable(spec.package) else None
        for folder in (found.submodule_search_locations or []) if found else []:
            candidate = Path(folder) / spec.resource
            if candidate.is_file():
                return Located("package", str(candidate), "tiktoken")
    for repo in spec.hf_repos:
        hit = _hf_cached(repo)
        if hit is not None:
            return hit
    if spec.tiktoken:
        cached = _tiktoken_cached(spec)
        if cached is not None:
            return Located("tiktoken", cached, "tiktoken")
    return None


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _data_dir() -> object:
    from importlib import resources

    return resources.files("fineprep.tokens").joinpath("data")


def _hf_cache_root() -> Path:
    named = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    if named:
        return Path(named)
    home = os.environ.get("HF_HOME")
    if home:
        return Path(home) / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path("~/.cache").expanduser()) / "huggingface" / "hub"


def _hf_cached(repo: str) -> Located | None:
    """A snapshot of ``repo`` in the Hugging Face cache: its tiktoken-format
    ``original/tokenizer.model`` (Meta's repos), else its ``tokenizer.json``."""
    snapshots = _hf_cache_root() / f"models--{repo.replace('/', '--')}" / "snapshots"
    if not snapshots.is_dir():
        return None
    for snap in sorted(snapshots.iterdir(), reverse=True):
        model = snap / "original" / "tokenizer.model"
        if model.is_file():
            return Located("hf-cache", str(model), "tiktoken")
        js = snap / "tokenizer.json"
        if js.is_file():
            return Located("hf-cache", str(js), "hf")
    return None


def _tiktoken_cached(spec: TokenizerSpec) -> str | None:
    """tiktoken's cache file for the spec's upstream URL (tiktoken names it sha1(url))."""
    folder = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR")
    if not folder or not spec.source.startswith("https://"):
        return None
    path = Path(folder) / hashlib.sha1(spec.source.encode()).hexdigest()
    return str(path) if path.is_file() else None


def read_ranks(spec: TokenizerSpec, where: Located) -> dict[bytes, int]:
    """The mergeable ranks of a packaged or tiktoken-format vocabulary, verified."""
    try:
        data = Path(where.path).read_bytes()
    except OSError as exc:
        raise TokenizerUnavailable(f"{where.path}: cannot read ({exc.strerror or exc})") from None
    expected = spec.sha256 if where.format == "fpbpe" else ""
    if where.kind == "package":
        expected = spec.resource_sha256
    elif where.kind == "tiktoken":
        expected = spec.upstream_sha256
    if expected and hashlib.sha256(data).hexdigest() != expected:
        raise TokenizerUnavailable(
            f"{where.path}: not the {spec.name} vocabulary (sha256 differs)",
            hint="reinstall fineprep, or pass the right file with --tokenizer-file",
        )
    ranks = _unpack(data) if where.format == "fpbpe" else _tiktoken_ranks(data, where.path)
    if where.kind == "file" and spec.tokens and len(ranks) != spec.tokens:
        raise TokenizerUnavailable(
            f"{where.path}: {len(ranks):,} tokens, but {spec.name} has {spec.tokens:,}",
            hint=f"pass the {spec.name} vocabulary, or choose the tokenizer it belongs to",
        )
    return ranks


def _unpack(data: bytes) -> dict[bytes, int]:
    body = lzma.decompress(data)
    if not body.startswith(_MAGIC):
        raise TokenizerUnavailable("packaged vocabulary is damaged", hint="reinstall fineprep")
    (count,) = struct.unpack_from("<I", body, len(_MAGIC))
    start = len(_MAGIC) + 4
    lengths = body[start : start + count]
    blob = body[start + count :]
    ends = list(accumulate(lengths))
    starts = [0, *ends[:-1]]
    return {blob[a:b]: i for i, (a, b) in enumerate(zip(starts, ends, strict=True))}


def _tiktoken_ranks(data: bytes, path: str) -> dict[bytes, int]:
    try:
        return {
            base64.b64decode(token): int(rank)
            for token, rank in (line.split() for line in data.splitlines() if line)
        }
    except ValueError:
        raise TokenizerUnavailable(
            f"{path}: not a tiktoken rank file (expected 'base64-token rank' lines)",
            hint="pass a tokenizer.json for Hugging Face tokenizers",
        ) from None
