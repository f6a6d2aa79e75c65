"""Throughput and memory of ``fineprep check`` on a generated conversation dataset.

Usage: python benchmarks/bench_check.py [--records N] [--model MODEL]

Generates N realistic records (varied lengths, some duplicates) in a temp folder, runs the check
engine in-process once cold and once warm, and prints records/s, MB/s and peak RSS. Not part of
the test suite: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

WORDS = [
    "invoice",
    "total",
    "amount",
    "due",
    "customer",
    "order",
    "shipping",
    "address",
    "payment",
    "terms",
    "net",
    "thirty",
    "contract",
    "party",
    "agreement",
    "clause",
    "effective",
    "date",
    "signature",
    "witness",
    "deed",
    "property",
    "parcel",
]


def make_dataset(path: Path, n: int, seed: int = 1) -> int:
    """Write n conversation records; return the file size in bytes."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            words = rng.choices(WORDS, k=rng.randint(20, 400))
            prompt = " ".join(words)
            answer = " ".join(rng.choices(WORDS, k=rng.randint(5, 80)))
            if i % 50 == 7:
                prompt, answer = "duplicate prompt", "duplicate answer"
            rec = {
                "schemaVersion": "bedrock-conversation-2024",
                "system": [{"text": "You extract fields from documents."}],
                "messages": [
                    {"role": "user", "content": [{"text": prompt}]},
                    {"role": "assistant", "content": [{"text": answer}]},
                ],
            }
            f.write(json.dumps(rec) + "\n")
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--model", default="nova-lite")
    args = parser.parse_args()
    from fineprep.api import check

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "train.jsonl"
        size = make_dataset(data, args.records)
        for label in ("cold", "warm"):
            start = time.perf_counter()
            result = check([data], model=args.model, isolated=True)
            elapsed = time.perf_counter() - start
            print(
                f"{label}: {args.records} records, {size / 1e6:.1f} MB in {elapsed:.2f} s "
                f"= {args.records / elapsed:,.0f} records/s, {size / 1e6 / elapsed:.1f} MB/s; "
                f"findings {result.by_code()}"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS {peak / 1024:.0f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
