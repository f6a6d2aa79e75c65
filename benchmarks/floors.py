"""Floors: the minimal code doing the irreducible work of each workload.

A ratio against a floor says how much of fineprep's time is overhead, independent of the
machine. Each floor is what any validator must at least do: read every line, parse it, and
touch every text field (parse floor); also tokenize every text field (token floor); or read
Arrow batches and write JSONL (convert floor).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson


def _texts(obj: Any) -> Iterator[str]:
    if "messages" in obj:
        for block in obj.get("system", []):
            yield block["text"]
        for msg in obj["messages"]:
            for block in msg["content"]:
                if "text" in block:
                    yield block["text"]
    else:
        for key in ("prompt", "completion", "input"):
            if key in obj:
                yield obj[key]


def parse_floor(path: Path) -> int:
    """Stream lines with orjson and touch every text field."""
    total = 0
    with path.open("rb") as fh:
        for line in fh:
            for text in _texts(orjson.loads(line)):
                total += len(text)
    return total


def token_floor(path: Path, encoding: str = "cl100k_base") -> int:
    """The parse floor plus tiktoken ``encode_ordinary`` of every text field."""
    import tiktoken

    enc = tiktoken.get_encoding(encoding)
    total = 0
    with path.open("rb") as fh:
        for line in fh:
            for text in _texts(orjson.loads(line)):
                total += len(enc.encode_ordinary(text))
    return total


def convert_floor(parquet: Path, out: Path) -> int:
    """pyarrow batch read + orjson write of the same conversation records."""
    import pyarrow.parquet as pq

    n = 0
    with out.open("wb") as fh:
        for batch in pq.ParquetFile(parquet).iter_batches(batch_size=8192):
            cols = batch.to_pydict()
            for prompt, completion in zip(cols["prompt"], cols["completion"], strict=True):
                rec = {
                    "schemaVersion": "bedrock-conversation-2024",
                    "messages": [
                        {"role": "user", "content": [{"text": prompt}]},
                        {"role": "assistant", "content": [{"text": completion}]},
                    ],
                }
                fh.write(orjson.dumps(rec) + b"\n")
                n += 1
    return n
