"""Deterministic benchmark data: realistic fine-tuning records with the problems real data has.

``python benchmarks/generate.py OUT.jsonl --records N [--format conversation|prompt-completion]``

Seeded, so every machine benchmarks the same bytes: text lengths 0.2-8 KB (log-normal, like
support tickets and documents), a tail of records near and over the model's token limit, 10%
with image blocks, 5% exact and 2% near duplicates, 20 classes with a Zipf-like imbalance (the
label goes to the sidecar, as ``fineprep convert`` writes it).
"""

from __future__ import annotations

import argparse
import json
import math
import random
from collections.abc import Iterator
from pathlib import Path

VOCAB = (
    "the of and to in is for on that with as by this be are from at or an it not was which "
    "invoice total amount due customer order shipping address payment terms contract party "
    "agreement clause effective date signature witness deed property parcel grantor grantee "
    "county recorded instrument mortgage lender borrower principal interest rate maturity "
    "policy claim coverage premium insured vehicle incident report summary analysis result "
    "patient dosage treatment diagnosis provider account balance statement transaction fee "
    "request response support ticket issue resolved escalated priority refund warranty model"
).split()
CLASSES = [f"class_{i:02d}" for i in range(20)]
WEIGHTS = [1 / (i + 1) for i in range(20)]


def _text(rng: random.Random, target_bytes: int) -> str:
    words: list[str] = []
    size = 0
    while size < target_bytes:
        w = rng.choice(VOCAB)
        if rng.random() < 0.08:
            w = w.capitalize() + rng.choice([".", ",", ":", "?"])
        if rng.random() < 0.03:
            w = str(rng.randint(1, 99999))
        words.append(w)
        size += len(w) + 1
    return " ".join(words)


def _length(rng: random.Random) -> int:
    """Bytes of the prompt: log-normal 0.2-8 KB, plus a 1% tail near/over 32k tokens."""
    if rng.random() < 0.01:
        return rng.randint(120_000, 200_000)
    return int(min(8000, max(200, math.exp(rng.gauss(7.0, 0.8)))))


def records(
    n: int, fmt: str, seed: int = 7
) -> Iterator[tuple[dict[str, object], dict[str, object]]]:
    """Stream ``(record, sidecar)`` pairs; duplicates come from a bounded pool of recent ones,
    so generating any size takes constant memory."""
    rng = random.Random(seed)
    pool: list[tuple[dict[str, object], dict[str, object], str]] = []
    for i in range(n):
        roll = rng.random()
        if pool and roll < 0.05:
            rec, meta, _ = rng.choice(pool)
            yield rec, {**meta, "id": f"r{i}"}
            continue
        label = rng.choices(CLASSES, WEIGHTS)[0]
        prompt = _text(rng, _length(rng))
        if pool and roll < 0.07:  # near duplicate: an earlier prompt with one word changed
            words = rng.choice(pool)[2].split()
            words[rng.randrange(len(words))] = rng.choice(VOCAB)
            prompt = " ".join(words)
        answer = f"{label}: " + _text(rng, rng.randint(20, 600))
        meta: dict[str, object] = {"id": f"r{i}", "label": label, "source": f"gen.csv:row {i + 2}"}
        if fmt == "prompt-completion":
            rec: dict[str, object] = {"prompt": prompt, "completion": answer}
        else:
            content: list[dict[str, object]] = [{"text": prompt}]
            if rng.random() < 0.10:
                content.append(
                    {"image": {"format": "png", "source": {"s3Location": {
                        "uri": f"s3://bench-bucket/images/{i}.png"}}}}
                )  # fmt: skip
            rec = {
                "schemaVersion": "bedrock-conversation-2024",
                "system": [{"text": "You classify and summarise documents."}],
                "messages": [
                    {"role": "user", "content": content},
                    {"role": "assistant", "content": [{"text": answer}]},
                ],
            }
        if len(prompt) < 10_000:
            if len(pool) >= 1000:
                pool[rng.randrange(1000)] = (rec, meta, prompt)
            else:
                pool.append((rec, meta, prompt))
        yield rec, meta


def write(path: Path, n: int, fmt: str, seed: int = 7) -> Path:
    """Write the dataset and its sidecar; returns the data path."""
    side = path.with_name(path.name.removesuffix(".jsonl") + ".meta.jsonl")
    with path.open("w", encoding="utf-8") as data, side.open("w", encoding="utf-8") as meta:
        for rec, m in records(n, fmt, seed):
            data.write(json.dumps(rec, ensure_ascii=False) + "\n")
            meta.write(json.dumps(m) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--format", default="conversation")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    write(args.out, args.records, args.format, args.seed)


if __name__ == "__main__":
    main()
