"""``upload`` never leaves S3 saying something untrue: an encryption change is a change, a
manifest whose read-back fails is removed, and multipart uploads an earlier run left open under
the destination are aborted by the rerun (moto server through the fault proxy)."""

from __future__ import annotations

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

BUCKET = "fineprep-integrity"


@pytest.fixture(autouse=True)
def short_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.retries.standard import ExponentialBackoff

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.01)


def upload(aws: FaultProxy, *args: str) -> object:
    return run_cli(["upload", *args, "--endpoint-url", aws.url, "--max-attempts", "3"])


def keys(s3: object, prefix: str) -> list[str]:
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)  # type: ignore[attr-defined]
    return sorted(o["Key"] for o in listing.get("Contents", []))


def test_a_new_kms_key_or_sse_mode_is_a_change(aws: FaultProxy, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "out")
    s3 = make_bucket(aws.url, BUCKET)
    dest = f"s3://{BUCKET}/kms/"
    assert upload(aws, str(data), "--to", dest, "--kms-key-id", "key-a").exit_code == 0
    aws.clear()
    res = upload(aws, str(data), "--to", dest, "--kms-key-id", "key-b")
    assert res.exit_code == 0, res.stderr  # type: ignore[attr-defined]
    assert "skipped" not in res.stderr  # type: ignore[attr-defined]
    assert len(aws.requests("PUT")) == 5  # four files and the manifest, all sent again
    for key in keys(s3, "kms/"):
        head = s3.head_object(Bucket=BUCKET, Key=key)
        assert (head["ServerSideEncryption"], head.get("SSEKMSKeyId")) == ("aws:kms", "key-b")
    manifest = orjson.loads((data / "manifest.json").read_bytes())
    assert manifest["encryption"] == {"algorithm": "aws:kms", "kms_key_id": "key-b"}
    # The same key again: nothing to send.
    aws.clear()
    assert upload(aws, str(data), "--to", dest, "--kms-key-id", "key-b").exit_code == 0
    assert aws.requests("PUT") == []
    # SSE-KMS to SSE-S3 is a change too.
    res = upload(aws, str(data), "--to", dest)
    assert res.exit_code == 0 and "skipped" not in res.stderr  # type: ignore[attr-defined]
    for key in keys(s3, "kms/"):
        assert s3.head_object(Bucket=BUCKET, Key=key)["ServerSideEncryption"] == "AES256"
    manifest = orjson.loads((data / "manifest.json").read_bytes())
    assert manifest["encryption"] == {"algorithm": "AES256", "kms_key_id": None}


def test_a_rerun_with_the_same_alias_skips(aws: FaultProxy, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "out")
    make_bucket(aws.url, BUCKET)
    dest = f"s3://{BUCKET}/alias/"
    assert upload(aws, str(data), "--to", dest, "--kms-key-id", "alias/team").exit_code == 0
    aws.clear()
    assert upload(aws, str(data), "--to", dest, "--kms-key-id", "alias/team").exit_code == 0
    assert aws.requests("PUT") == []


def test_a_manifest_whose_read_back_fails_is_removed(aws: FaultProxy, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "out")
    s3 = make_bucket(aws.url, BUCKET)
    dest = f"s3://{BUCKET}/readback/"
    # The first HEAD of manifest.json asks whether it is stored already; the next ones are the
    # read-back after its PUT, failing every attempt.
    aws.add("HEAD", r"/readback/manifest\.json$", "500", skip=1, times=100)
    res = upload(aws, str(data), "--to", dest)
    assert res.exit_code == 2  # type: ignore[attr-defined]
    last = res.stderr.strip().splitlines()[-1]  # type: ignore[attr-defined]
    assert "manifest.json" in last and "the object was removed" in last
    assert aws.requests("PUT", r"/readback/manifest\.json$")
    assert aws.requests("DELETE", r"/readback/manifest\.json$")
    assert "readback/manifest.json" not in keys(s3, "readback/")
    assert not (data / "manifest.json").exists() and not (data / "job-request.json").exists()


def test_a_data_object_whose_answer_was_lost_is_verified_not_trusted(
    aws: FaultProxy, tmp_path: Path
) -> None:
    data = write_dataset(tmp_path / "out")
    s3 = make_bucket(aws.url, BUCKET)
    dest = f"s3://{BUCKET}/lost/"
    # Stored by S3, but every answer is lost: the run fails, and says the object it finds
    # there afterwards is its own, verified.
    aws.add("PUT", r"/lost/train\.jsonl$", "drop-after", times=100)
    res = upload(aws, str(data), "--to", dest)
    assert res.exit_code == 2  # type: ignore[attr-defined]
    assert "stored and verified" in res.stderr  # type: ignore[attr-defined]
    assert "lost/manifest.json" not in keys(s3, "lost/")
    aws.clear()
    res = upload(aws, str(data), "--to", dest)
    assert res.exit_code == 0  # type: ignore[attr-defined]
    assert "skipped s3://fineprep-integrity/lost/train.jsonl" in res.stderr  # type: ignore[attr-defined]


def test_a_rerun_aborts_multipart_uploads_an_earlier_run_left(
    aws: FaultProxy, tmp_path: Path
) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    train = write_jsonl(folder / "train.jsonl", [conversation(i) for i in range(42_000)])
    s3 = make_bucket(aws.url, BUCKET)
    dest = f"s3://{BUCKET}/orphans/"
    args = ["--to", dest, "-m", "nova-lite", "--ignore", "N002,D", "--multipart-threshold",
            "5MiB", "--part-size", "5MiB", "--concurrency", "1"]  # fmt: skip
    # A first run fails on a part and cannot abort (every answer to the abort is lost): the
    # multipart upload stays open, as after a SIGKILL.
    aws.add("PUT", r"partNumber=2", "500", times=100)
    aws.add("DELETE", r"uploadId=", "drop", times=100)
    assert upload(aws, str(train), *args).exit_code == 2  # type: ignore[attr-defined]
    left = s3.list_multipart_uploads(Bucket=BUCKET, Prefix="orphans/").get("Uploads")
    assert left and left[0]["Key"] == "orphans/train.jsonl"
    # Another orphan under the prefix, from a run that was killed mid-way.
    s3.create_multipart_upload(Bucket=BUCKET, Key="orphans/old/validation.jsonl")
    elsewhere = s3.create_multipart_upload(Bucket=BUCKET, Key="other/train.jsonl")
    aws.clear()
    res = upload(aws, str(train), *args)
    assert res.exit_code == 0, res.stderr  # type: ignore[attr-defined]
    assert "aborted 2 incomplete multipart uploads under" in res.stderr  # type: ignore[attr-defined]
    assert s3.list_multipart_uploads(Bucket=BUCKET, Prefix="orphans/").get("Uploads") is None
    rest = s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads")
    assert [u["UploadId"] for u in rest] == [elsewhere["UploadId"]]  # not under the prefix
    assert (folder / "manifest.json").exists()
