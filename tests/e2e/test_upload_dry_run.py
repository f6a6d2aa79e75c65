"""``upload --dry-run`` lists what would be sent and writes nothing, in S3 or locally."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.s3server import (  # noqa: F401  (fixtures)
    FaultProxy,
    aws_fixture,
    make_bucket,
    moto_fixture,
    proxy_fixture,
    run_cli,
    s3_client,
    write_dataset,
)

BUCKET = "fineprep-data"
DEST = f"s3://{BUCKET}/runs/dry/"


def test_dry_run_lists_keys_sizes_hashes_and_encryption_and_writes_nothing(
    aws: FaultProxy, tmp_path: Path
) -> None:
    data = write_dataset(tmp_path / "out")
    before = sorted(p.name for p in data.iterdir())
    make_bucket(aws.url, BUCKET)
    aws.clear()
    args = ["upload", str(data), "--to", DEST, "--endpoint-url", aws.url, "--dry-run"]
    res = run_cli([*args, "--kms-key-id", "alias/data"])
    assert res.exit_code == 0, res.stderr
    train = data / "train.jsonl"
    digest = hashlib.sha256(train.read_bytes()).hexdigest()
    line = next(x for x in res.stdout.splitlines() if x.startswith(f"would upload {DEST}train"))
    assert f"{train.stat().st_size:,} bytes" in line and digest in line
    assert "aws:kms (alias/data)" in line
    assert "manifest.json" in res.stdout and "dry run: nothing sent" in res.stderr
    writes = [r for r in aws.requests() if r.method in ("PUT", "POST", "DELETE")]
    assert writes == [], writes  # reads only (the bucket's region, HEADs)
    listing = s3_client(aws.url).list_objects_v2(Bucket=BUCKET)
    assert listing.get("KeyCount", 0) == 0
    assert sorted(p.name for p in data.iterdir()) == before  # no manifest/job request locally


def test_dry_run_after_an_upload_says_what_would_be_skipped(
    aws: FaultProxy, tmp_path: Path
) -> None:
    data = write_dataset(tmp_path / "out")
    make_bucket(aws.url, BUCKET)
    base = ["upload", str(data), "--to", DEST, "--endpoint-url", aws.url]
    assert run_cli(base).exit_code == 0
    aws.clear()
    res = run_cli([*base, "--dry-run"])
    assert res.exit_code == 0, res.stderr
    assert "would skip (already stored)" in res.stdout and "would upload" not in res.stdout
    assert [r for r in aws.requests() if r.method in ("PUT", "POST", "DELETE")] == []
