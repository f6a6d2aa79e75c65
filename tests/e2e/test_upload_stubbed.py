"""What moto does not enforce, with botocore's Stubber: S3 answering with a checksum that is not
ours, rejecting a body (BadDigest), refusing a bucket owner, and the exact parameters of every
request (checksums, encryption, owner, never an ACL)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from fineprep.core.errors import UploadError
from fineprep.stages.upload.digest import MIB, PART_SIZE_KEY, TransferSettings
from fineprep.stages.upload.runner import upload
from fineprep.stages.upload.transfer import Uploader
from tests.s3server import ACCOUNT_ID, FAKE_KEY_ID, FAKE_SECRET, conversation, write_jsonl

BUCKET = "fineprep-data"
OWNER = {"ExpectedBucketOwner": ACCOUNT_ID}
SSE = {"ServerSideEncryption": "AES256"}


@pytest.fixture
def s3() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "s3",
        region_name="us-east-1",
        aws_access_key_id=FAKE_KEY_ID,
        aws_secret_access_key=FAKE_SECRET,
    )
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def b64sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def head_params(key: str) -> dict[str, Any]:
    return {"Bucket": BUCKET, "Key": key, "ChecksumMode": "ENABLED", **OWNER}


def not_found(stub: Stubber, key: str) -> None:
    stub.add_client_error("head_object", "404", "Not Found", 404, expected_params=head_params(key))


def stored(stub: Stubber, key: str, checksum: str, size: int, part_size: int = 0) -> None:
    response = {
        "ChecksumSHA256": checksum,
        "ContentLength": size,
        "ServerSideEncryption": "AES256",
        "Metadata": {PART_SIZE_KEY: str(part_size)},
    }
    stub.add_response("head_object", response, head_params(key))


def put_params(key: str, body: bytes, content_type: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "Bucket": BUCKET,
        "Key": key,
        "Body": ANY,
        "ChecksumAlgorithm": "SHA256",
        "ChecksumSHA256": b64sha(body),
        "Metadata": {PART_SIZE_KEY: "0"},
        **SSE,
        **OWNER,
    }
    if content_type:
        params["ContentType"] = content_type
    else:
        params["ContentLength"] = len(body)
    return params


def no_open_uploads(stub: Stubber) -> None:
    """The rerun's first write-side request: no multipart upload is left open under r/."""
    params = {"Bucket": BUCKET, "Prefix": "r/", **OWNER}
    stub.add_response("list_multipart_uploads", {"IsTruncated": False}, params)


def dataset(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "train.jsonl", [conversation(i) for i in range(20)])


def run(tmp_path: Path, client: Any) -> Any:
    return upload(
        tmp_path / "train.jsonl",
        f"s3://{BUCKET}/r/",
        model="nova-lite",
        isolated=True,
        s3_client=client,
        expected_bucket_owner=ACCOUNT_ID,
    )


def test_every_request_has_exact_parameters_and_no_acl(
    s3: tuple[Any, Stubber], tmp_path: Path
) -> None:
    """Exact parameters (no ACL, grants or anything else) up to the manifest, whose stored
    checksum is then answered wrongly: the upload fails and no local manifest appears."""
    client, stub = s3
    body = dataset(tmp_path).read_bytes()
    stub.add_response("get_bucket_location", {}, {"Bucket": BUCKET, **OWNER})
    no_open_uploads(stub)
    not_found(stub, "r/train.jsonl")
    stub.add_response("delete_object", {}, {"Bucket": BUCKET, "Key": "r/manifest.json", **OWNER})
    stub.add_response("put_object", {"ETag": '"e"'}, put_params("r/train.jsonl", body))
    stored(stub, "r/train.jsonl", b64sha(body), len(body))
    not_found(stub, "r/manifest.json")
    manifest_put = put_params("r/manifest.json", b"", "application/json")
    manifest_put["ChecksumSHA256"] = ANY
    stub.add_response("put_object", {"ETag": '"m"'}, manifest_put)
    stored(stub, "r/manifest.json", b64sha(b"not the manifest"), 1)
    stub.add_response("delete_object", {}, {"Bucket": BUCKET, "Key": "r/manifest.json", **OWNER})
    with pytest.raises(UploadError, match=r"manifest\.json: stored SHA-256 checksum"):
        run(tmp_path, client)
    assert not (tmp_path / "manifest.json").exists()
    assert not (tmp_path / "job-request.json").exists()


def test_stored_checksum_mismatch_fails_and_removes_the_object(
    s3: tuple[Any, Stubber], tmp_path: Path
) -> None:
    client, stub = s3
    body = dataset(tmp_path).read_bytes()
    stub.add_response(
        "get_bucket_location", {"LocationConstraint": "us-east-1"}, {"Bucket": BUCKET, **OWNER}
    )
    no_open_uploads(stub)
    not_found(stub, "r/train.jsonl")
    stub.add_response("delete_object", {}, {"Bucket": BUCKET, "Key": "r/manifest.json", **OWNER})
    stub.add_response("put_object", {"ETag": '"e"'}, put_params("r/train.jsonl", body))
    stored(stub, "r/train.jsonl", b64sha(b"something else"), len(body))
    stub.add_response("delete_object", {}, {"Bucket": BUCKET, "Key": "r/train.jsonl", **OWNER})
    with pytest.raises(UploadError) as err:
        run(tmp_path, client)
    message = str(err.value)
    assert message.startswith("s3://fineprep-data/r/train.jsonl: stored SHA-256 checksum")
    assert "does not match" in message and "the object was removed" in message
    assert "\n" not in message
    assert not (tmp_path / "manifest.json").exists()
    assert not (tmp_path / "job-request.json").exists()


def test_bad_digest_is_a_clean_upload_error(s3: tuple[Any, Stubber], tmp_path: Path) -> None:
    client, stub = s3
    body = dataset(tmp_path).read_bytes()
    stub.add_response("get_bucket_location", {}, {"Bucket": BUCKET, **OWNER})
    no_open_uploads(stub)
    not_found(stub, "r/train.jsonl")
    stub.add_response("delete_object", {}, {"Bucket": BUCKET, "Key": "r/manifest.json", **OWNER})
    stub.add_client_error(
        "put_object",
        "BadDigest",
        "The SHA256 you specified did not match the calculated checksum.",
        400,
        expected_params=put_params("r/train.jsonl", body),
    )
    not_found(stub, "r/train.jsonl")  # nothing landed: nothing to remove
    with pytest.raises(UploadError) as err:
        run(tmp_path, client)
    assert str(err.value) == (
        "s3://fineprep-data/r/train.jsonl: upload failed: BadDigest: The SHA256 you specified "
        "did not match the calculated checksum."
    )


def test_wrong_bucket_owner_is_refused(s3: tuple[Any, Stubber], tmp_path: Path) -> None:
    client, stub = s3
    dataset(tmp_path)
    stub.add_client_error(
        "get_bucket_location",
        "AccessDenied",
        "Access Denied",
        403,
        expected_params={"Bucket": BUCKET, **OWNER},
    )
    with pytest.raises(UploadError) as err:
        run(tmp_path, client)
    assert "AccessDenied: Access Denied" in str(err.value)
    assert "--expected-bucket-owner" in str(err.value)


def multipart_stubs(stub: Stubber, body: bytes) -> tuple[list[bytes], str]:
    chunks = [body[: 5 * MIB], body[5 * MIB :]]
    digests = [hashlib.sha256(c).digest() for c in chunks]
    composite = base64.b64encode(hashlib.sha256(b"".join(digests)).digest()).decode()
    stub.add_response(
        "create_multipart_upload",
        {"UploadId": "u1"},
        {
            "Bucket": BUCKET,
            "Key": "big.jsonl",
            "ChecksumAlgorithm": "SHA256",
            "Metadata": {PART_SIZE_KEY: str(5 * MIB)},
            **SSE,
            **OWNER,
        },
    )
    for number, chunk in enumerate(chunks, 1):
        stub.add_response(
            "upload_part",
            {"ETag": f'"p{number}"', "ChecksumSHA256": b64sha(chunk)},
            {
                "Bucket": BUCKET,
                "Key": "big.jsonl",
                "UploadId": "u1",
                "PartNumber": number,
                "Body": chunk,
                "ContentLength": len(chunk),
                "ChecksumAlgorithm": "SHA256",
                "ChecksumSHA256": b64sha(chunk),
                **OWNER,
            },
        )
    return chunks, composite


def test_lost_complete_then_no_such_upload_is_verified_by_checksum(
    s3: tuple[Any, Stubber], tmp_path: Path
) -> None:
    client, stub = s3
    body = bytes(range(256)) * (6 * MIB // 256)
    path = tmp_path / "big.jsonl"
    path.write_bytes(body)
    chunks, composite = multipart_stubs(stub, body)
    parts = [
        {"PartNumber": n, "ETag": f'"p{n}"', "ChecksumSHA256": b64sha(c)}
        for n, c in enumerate(chunks, 1)
    ]
    stub.add_client_error(
        "complete_multipart_upload",
        "NoSuchUpload",
        "The specified upload does not exist.",
        404,
        expected_params={
            "Bucket": BUCKET,
            "Key": "big.jsonl",
            "UploadId": "u1",
            "MultipartUpload": {"Parts": parts},
            **OWNER,
        },
    )
    stored(stub, "big.jsonl", f"{composite}-2", len(body), 5 * MIB)  # completed after all
    stored(stub, "big.jsonl", f"{composite}-2", len(body), 5 * MIB)  # the verification
    settings = TransferSettings(threshold=5 * MIB, part_size=5 * MIB, concurrency=1)
    uploader = Uploader(client, BUCKET, sse=SSE, owner=OWNER, settings=settings)
    digest, _ = uploader.put_file(path, "big.jsonl")
    assert digest.checksum == f"{composite}-2"
    assert digest.sha256 == hashlib.sha256(body).hexdigest()


def test_part_stored_with_other_checksum_aborts(s3: tuple[Any, Stubber], tmp_path: Path) -> None:
    client, stub = s3
    body = bytes(range(256)) * (6 * MIB // 256)
    path = tmp_path / "big.jsonl"
    path.write_bytes(body)
    chunk = body[: 5 * MIB]
    stub.add_response(
        "create_multipart_upload",
        {"UploadId": "u2"},
        {
            "Bucket": BUCKET,
            "Key": "big.jsonl",
            "ChecksumAlgorithm": "SHA256",
            "Metadata": {PART_SIZE_KEY: str(5 * MIB)},
            **SSE,
        },
    )
    stub.add_response(
        "upload_part",
        {"ETag": '"p1"', "ChecksumSHA256": b64sha(b"not this part")},
        {
            "Bucket": BUCKET,
            "Key": "big.jsonl",
            "UploadId": "u2",
            "PartNumber": 1,
            "Body": chunk,
            "ContentLength": len(chunk),
            "ChecksumAlgorithm": "SHA256",
            "ChecksumSHA256": b64sha(chunk),
        },
    )
    stub.add_response(
        "abort_multipart_upload", {}, {"Bucket": BUCKET, "Key": "big.jsonl", "UploadId": "u2"}
    )
    settings = TransferSettings(threshold=5 * MIB, part_size=5 * MIB, concurrency=1)
    uploader = Uploader(client, BUCKET, sse=SSE, owner={}, settings=settings)
    with pytest.raises(UploadError, match="part 1 stored with checksum"):
        uploader.put_file(path, "big.jsonl")


def test_encryption_mismatch_on_a_data_object_removes_it(
    s3: tuple[Any, Stubber], tmp_path: Path
) -> None:
    """S3 (a bucket policy, a default rewriting the request) stored the object under another
    encryption than asked: it is removed, never left where a job would read it."""
    client, stub = s3
    body = dataset(tmp_path).read_bytes()
    stub.add_response("get_bucket_location", {}, {"Bucket": BUCKET, **OWNER})
    no_open_uploads(stub)
    not_found(stub, "r/train.jsonl")
    stub.add_response("delete_object", {}, {"Bucket": BUCKET, "Key": "r/manifest.json", **OWNER})
    stub.add_response("put_object", {"ETag": '"e"'}, put_params("r/train.jsonl", body))
    response = {
        "ChecksumSHA256": b64sha(body),
        "ContentLength": len(body),
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": "arn:aws:kms:us-east-1:111122223333:key/other",
        "Metadata": {PART_SIZE_KEY: "0"},
    }
    stub.add_response("head_object", response, head_params("r/train.jsonl"))
    stub.add_response("delete_object", {}, {"Bucket": BUCKET, "Key": "r/train.jsonl", **OWNER})
    with pytest.raises(UploadError) as err:
        run(tmp_path, client)
    message = str(err.value)
    assert message.startswith("s3://fineprep-data/r/train.jsonl: stored with encryption aws:kms")
    assert "not AES256; the object was removed" in message
    assert not (tmp_path / "manifest.json").exists()


def test_kms_key_spellings_compare_by_key_id() -> None:
    from fineprep.stages.upload.digest import same_kms_key

    arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert same_kms_key(arn, "1234abcd-12ab-34cd-56ef-1234567890ab") is True
    assert same_kms_key(arn, arn) is True
    assert same_kms_key(arn, "arn:aws:kms:us-east-1:111122223333:key/other") is False
    assert same_kms_key(arn, "alias/team") is None  # only KMS can tell
    assert same_kms_key(None, "key-a") is False
