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


def split_floor(path: Path, out_dir: Path) -> int:
    """Read every line, hash it, write it to train or validation by the hash."""
    import hashlib

    out_dir.mkdir(parents=True, exist_ok=True)
    n = 0
    with (
        path.open("rb") as fh,
        (out_dir / "train.jsonl").open("wb") as train,
        (out_dir / "validation.jsonl").open("wb") as val,
    ):
        for line in fh:
            digest = hashlib.blake2b(line, digest_size=8).digest()
            (val if digest[0] < 26 else train).write(line)
            n += 1
    return n


def make_parquet(path: Path, rows: int, seed: int = 7) -> Path:
    """A prompt/completion table of short support-ticket-like rows (for the convert workload)."""
    import random

    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(seed)
    words = "order invoice refund parcel account password delivery address warranty".split()
    writer = None
    for start in range(0, rows, 100_000):
        n = min(100_000, rows - start)
        prompts = [" ".join(rng.choices(words, k=rng.randint(8, 40))) for _ in range(n)]
        answers = [" ".join(rng.choices(words, k=rng.randint(4, 20))) for _ in range(n)]
        table = pa.table({"prompt": prompts, "completion": answers})
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    if writer is not None:
        writer.close()
    return path
