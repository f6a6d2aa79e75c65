"""Upload speed of fineprep's S3 transfer against plain boto3 ``upload_file``.

Usage: python benchmarks/bench_upload.py [--size 1GB] [--part-size 16MiB]
       [--threshold 64MiB] [--concurrency 8] [--rounds 2]

Starts a local moto server, writes a generated JSONL file of ``--size`` bytes, and uploads it
with both, using the same transfer settings (threshold, part size, concurrency), SHA-256
checksums and SSE-S3. fineprep additionally computes the whole-file SHA-256 for the manifest
and reads the stored checksum back to verify it; that is the cost being measured.
Rounds rotate the order; the best time of each is compared (target: fineprep <= 1.3x boto3).
``boto3-same-client`` runs upload_file on the client fineprep builds (no SigV4 payload
hashing on plain-HTTP endpoints), separating client configuration from fineprep's own work.
Not part of the test suite: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.s3server import aws_env, moto_server  # noqa: E402

BUCKET = "fineprep-bench"


def make_file(path: Path, size: int, seed: int = 1) -> None:
    """Write ``size`` bytes of conversation records (a 4 MiB block of varied lines, repeated)."""
    rng = random.Random(seed)
    words = "invoice total amount due customer order shipping payment terms contract".split()
    lines = []
    block = 0
    while block < 4 * 2**20:
        text = " ".join(rng.choices(words, k=rng.randint(10, 200)))
        rec = {
            "schemaVersion": "bedrock-conversation-2024",
            "messages": [
                {"role": "user", "content": [{"text": text}]},
                {"role": "assistant", "content": [{"text": rng.choice(words)}]},
            ],
        }
        line = (json.dumps(rec) + "\n").encode()
        lines.append(line)
        block += len(line)
    chunk = b"".join(lines)
    with path.open("wb") as fh:
        written = 0
        while written < size:
            piece = chunk[: size - written]
            fh.write(piece)
            written += len(piece)


def boto3_client(endpoint: str, concurrency: int) -> Any:
    """A plain boto3 client: its defaults, plus the same retries and connection pool."""
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "total_max_attempts": 8},
        max_pool_connections=max(16, concurrency + 4),
    )
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", config=config)


def fineprep_client(endpoint: str, concurrency: int) -> Any:
    """The client ``fineprep upload`` builds (fineprep.io.aws.make_client)."""
    from fineprep.io.aws import AwsOptions, make_client

    opts = AwsOptions(
        region="us-east-1",
        endpoint_url=endpoint,
        max_attempts=8,
        max_pool_connections=max(16, concurrency + 4),
    )
    return make_client("s3", opts)


def run_fineprep(s3: Any, path: Path, threshold: int, part: int, concurrency: int) -> float:
    from fineprep.stages.upload.digest import TransferSettings
    from fineprep.stages.upload.transfer import Uploader

    settings = TransferSettings(threshold=threshold, part_size=part, concurrency=concurrency)
    uploader = Uploader(
        s3, BUCKET, sse={"ServerSideEncryption": "AES256"}, owner={}, settings=settings
    )
    start = time.perf_counter()
    digest, _ = uploader.put_file(path, "fineprep/train.jsonl")
    elapsed = time.perf_counter() - start
    assert digest.size == path.stat().st_size
    return elapsed


def run_boto3(s3: Any, path: Path, threshold: int, part: int, concurrency: int) -> float:
    from boto3.s3.transfer import TransferConfig

    config = TransferConfig(
        multipart_threshold=threshold,
        multipart_chunksize=part,
        max_concurrency=concurrency,
        use_threads=True,
    )
    extra = {"ChecksumAlgorithm": "SHA256", "ServerSideEncryption": "AES256"}
    start = time.perf_counter()
    s3.upload_file(str(path), BUCKET, "boto3/train.jsonl", ExtraArgs=extra, Config=config)
    return time.perf_counter() - start


def main() -> None:
    from fineprep.stages.upload.digest import parse_size

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1GB", help="file size (default 1GB)")
    parser.add_argument("--part-size", default="16MiB")
    parser.add_argument("--threshold", default="64MiB")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dir", default=None, help="where to write the file (default: temp)")
    args = parser.parse_args()
    size = parse_size(args.size, "--size")
    part = parse_size(args.part_size, "--part-size")
    threshold = parse_size(args.threshold, "--threshold")
    os.environ.update(aws_env())
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp, moto_server() as server:
        path = Path(tmp) / "train.jsonl"
        make_file(path, size)
        print(
            f"file {size / 1e6:,.0f} MB, part {part / 2**20:g} MiB, threshold "
            f"{threshold / 2**20:g} MiB, concurrency {args.concurrency}, moto at {server.url}"
        )
        # boto3-same-client: upload_file on the client fineprep builds (no SigV4 payload
        # hashing), to separate the client configuration from fineprep's own work.
        names = ["boto3", "fineprep", "boto3-same-client"]
        times: dict[str, list[float]] = {name: [] for name in names}
        runners = {"boto3": run_boto3, "fineprep": run_fineprep, "boto3-same-client": run_boto3}
        clients = {
            "boto3": boto3_client,
            "fineprep": fineprep_client,
            "boto3-same-client": fineprep_client,
        }
        for round_no in range(args.rounds):
            shift = round_no % len(names)
            for name in names[shift:] + names[:shift]:
                server.reset()  # frees the previous objects; moto keeps them in memory
                s3 = clients[name](server.url, args.concurrency)
                s3.create_bucket(Bucket=BUCKET)
                elapsed = runners[name](s3, path, threshold, part, args.concurrency)
                times[name].append(elapsed)
                rate = size / 1e6 / elapsed
                print(f"round {round_no + 1} {name:17s} {elapsed:7.2f} s  {rate:7.1f} MB/s")
        best = {name: min(values) for name, values in times.items()}
        print("best: " + ", ".join(f"{name} {best[name]:.2f} s" for name in names))
        for other in ("boto3", "boto3-same-client"):
            ratio = best["fineprep"] / best[other]
            print(f"fineprep / {other}: {ratio:.2f}x (target <= 1.3x)")


if __name__ == "__main__":
    main()
