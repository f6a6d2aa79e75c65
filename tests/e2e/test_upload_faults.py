"""Uploads through a proxy that fails requests: they recover with verified checksums, or fail
cleanly (one-line error, multipart uploads aborted, no manifest anywhere)."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import orjson
import pytest

from tests.s3server import (  # noqa: F401  (fixtures)
    FaultProxy,
    aws_fixture,
    conversation,
    make_bucket,
    moto_fixture,
    proxy_fixture,
    run_cli,
    write_dataset,
    write_jsonl,
)

BUCKET = "fineprep-data"
DEST = f"s3://{BUCKET}/runs/r1/"
MULTIPART = ["--multipart-threshold", "5MiB", "--part-size", "5MiB", "--concurrency", "2"]


@pytest.fixture(autouse=True)
def short_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real retries, shorter waits: botocore backs off up to seconds after a 503 SlowDown."""
    from botocore.retries.standard import ExponentialBackoff

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.01)


def upload(aws: FaultProxy, *args: str) -> object:
    return run_cli(["upload", *args, "--endpoint-url", aws.url, "--max-attempts", "4"])


def big_dataset(tmp_path: Path) -> Path:
    folder = tmp_path / "big"
    folder.mkdir()
    write_jsonl(folder / "train.jsonl", [conversation(i) for i in range(42_000)])  # 3 parts
    return folder / "train.jsonl"


def stored_checksum(s3: object, key: str) -> str:
    head = s3.head_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")  # type: ignore[attr-defined]
    return str(head["ChecksumSHA256"])


def test_transient_500_503_and_dropped_connection_are_retried(
    aws: FaultProxy, tmp_path: Path
) -> None:
    data = write_dataset(tmp_path / "out")
    s3 = make_bucket(aws.url, BUCKET)
    aws.add("PUT", r"/runs/r1/train\.jsonl$", "503")
    aws.add("PUT", r"/runs/r1/train\.jsonl$", "500")
    aws.add("PUT", r"/runs/r1/validation\.jsonl$", "drop")
    aws.add("HEAD", r"/runs/r1/train\.jsonl$", "503", skip=1)  # the verification read
    res = upload(aws, str(data), "--to", DEST)
    assert res.exit_code == 0, res.stderr
    attempts = aws.requests("PUT", r"/runs/r1/train\.jsonl$")
    assert [r.fault for r in attempts] == ["503", "500", None]
    assert [r.fault for r in aws.requests("PUT", r"validation\.jsonl$")] == ["drop", None]
    body = (data / "train.jsonl").read_bytes()
    expected = base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert stored_checksum(s3, "runs/r1/train.jsonl") == expected
    assert s3.get_object(Bucket=BUCKET, Key="runs/r1/train.jsonl")["Body"].read() == body
    assert (data / "manifest.json").exists()


def test_multipart_survives_failed_and_dropped_parts(aws: FaultProxy, tmp_path: Path) -> None:
    train = big_dataset(tmp_path)
    s3 = make_bucket(aws.url, BUCKET)
    aws.add("PUT", r"partNumber=2", "drop")
    aws.add("PUT", r"partNumber=3", "500")
    aws.add("PUT", r"partNumber=1", "drop-after")  # stored, but the answer is lost
    aws.add("POST", r"uploadId=", "503")
    res = upload(aws, str(train), "--to", DEST, "-m", "nova-lite", "--ignore", "N002", *MULTIPART)
    assert res.exit_code == 0, res.stderr
    assert len(aws.requests("PUT", r"partNumber=")) == 6
    body = train.read_bytes()
    assert s3.get_object(Bucket=BUCKET, Key="runs/r1/train.jsonl")["Body"].read() == body
    entry = orjson.loads((train.parent / "manifest.json").read_bytes())["files"][0]
    assert entry["sha256"] == hashlib.sha256(body).hexdigest()
    assert (
        stored_checksum(s3, "runs/r1/train.jsonl").split("-")[0]
        == entry["checksum_sha256"].split("-")[0]
    )
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads") is None


def test_lost_complete_answer_is_not_a_failure(aws: FaultProxy, tmp_path: Path) -> None:
    train = big_dataset(tmp_path)
    make_bucket(aws.url, BUCKET)
    aws.add("POST", r"uploadId=", "drop-after")
    res = upload(aws, str(train), "--to", DEST, "-m", "nova-lite", "--ignore", "N002", *MULTIPART)
    assert res.exit_code == 0, res.stderr
    assert (train.parent / "manifest.json").exists()


def test_persistent_part_failure_aborts_and_writes_no_manifest(
    aws: FaultProxy, tmp_path: Path
) -> None:
    train = big_dataset(tmp_path)
    s3 = make_bucket(aws.url, BUCKET)
    args = ["--to", DEST, "-m", "nova-lite", "--ignore", "N002", *MULTIPART]
    assert upload(aws, str(train), *args).exit_code == 0  # a first, good upload
    assert (train.parent / "manifest.json").exists()
    with train.open("ab") as fh:  # the data changes: the next upload must replace train.jsonl
        fh.write(orjson.dumps(conversation(99_999)) + b"\n")
    aws.clear()
    aws.add("PUT", r"partNumber=2", "500", times=100)
    res = upload(aws, str(train), *args)
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert lines[-1].startswith("fineprep: error: s3://fineprep-data/runs/r1/train.jsonl: upload")
    assert "InternalError" in lines[-1]
    assert "Traceback" not in res.stderr
    assert len(aws.requests("PUT", r"partNumber=2")) == 4  # max attempts, then give up
    assert aws.requests("DELETE", r"uploadId=")  # the multipart upload was aborted
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads") is None
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert "runs/r1/manifest.json" not in keys  # the stale manifest went first
    assert not (train.parent / "manifest.json").exists()
    assert not (train.parent / "job-request.json").exists()
    old = s3.get_object(Bucket=BUCKET, Key="runs/r1/train.jsonl")["Body"].read()
    assert old != train.read_bytes()  # the previous object is intact, nothing partial


def test_failure_on_a_later_file_leaves_no_manifest(aws: FaultProxy, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "out")
    s3 = make_bucket(aws.url, BUCKET)
    aws.add("PUT", r"/runs/r1/validation\.jsonl$", "drop", times=100)
    res = upload(aws, str(data), "--to", DEST)
    assert res.exit_code == 2
    message = res.stderr.strip().splitlines()[-1]
    assert message.startswith("fineprep: error: s3://fineprep-data/runs/r1/validation.jsonl:")
    assert "cannot reach AWS" in message
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert keys == ["runs/r1/train.jsonl"]  # complete objects only; no manifest
    assert not (data / "manifest.json").exists()
    aws.clear()
    res = upload(aws, str(data), "--to", DEST)  # the rerun sends only what is missing
    assert res.exit_code == 0, res.stderr
    assert "skipped s3://fineprep-data/runs/r1/train.jsonl" in res.stderr
    assert not aws.requests("PUT", r"/runs/r1/train\.jsonl$")
    assert (data / "manifest.json").exists()
