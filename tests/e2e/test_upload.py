"""``fineprep upload`` against a real moto server over HTTP (through the test proxy)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import orjson
import pytest

from fineprep.stages.upload.manifest import first_schema_error
from tests.s3server import (  # noqa: F401  (fixtures)
    ACCOUNT_ID,
    FaultProxy,
    aws_fixture,
    conversation,
    make_bucket,
    moto_fixture,
    proxy_fixture,
    run_cli,
    s3_client,
    write_dataset,
    write_jsonl,
)

BUCKET = "fineprep-data"
DEST = f"s3://{BUCKET}/runs/r1/"


def upload(aws: FaultProxy, *args: str) -> object:
    return run_cli(["upload", *args, "--endpoint-url", aws.url])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_upload_writes_verified_objects_manifest_and_job_request(
    aws: FaultProxy, tmp_path: Path
) -> None:
    data = write_dataset(tmp_path / "out")
    s3 = make_bucket(aws.url, BUCKET)
    res = upload(aws, str(data), "--to", DEST)
    assert res.exit_code == 0, res.stderr
    assert "uploaded s3://fineprep-data/runs/r1/train.jsonl" in res.stderr
    listed = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert listed == [
        "runs/r1/manifest.json",
        "runs/r1/split.json",
        "runs/r1/train.jsonl",
        "runs/r1/train.meta.jsonl",
        "runs/r1/validation.jsonl",
    ]
    for name in ("train.jsonl", "validation.jsonl"):
        body = (data / name).read_bytes()
        head = s3.head_object(Bucket=BUCKET, Key=f"runs/r1/{name}", ChecksumMode="ENABLED")
        assert head["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
        assert head["ServerSideEncryption"] == "AES256"
        stored = s3.get_object(Bucket=BUCKET, Key=f"runs/r1/{name}")["Body"].read()
        assert stored == body
        grants = s3.get_object_acl(Bucket=BUCKET, Key=f"runs/r1/{name}")["Grants"]
        assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]  # owner only, never public
    local = (data / "manifest.json").read_bytes()
    assert s3.get_object(Bucket=BUCKET, Key="runs/r1/manifest.json")["Body"].read() == local
    manifest = orjson.loads(local)
    assert first_schema_error("manifest", manifest) is None
    files = {f["name"]: f for f in manifest["files"]}
    assert files["train.jsonl"]["sha256"] == sha256(data / "train.jsonl")
    assert files["train.jsonl"]["records"] == 40
    assert files["validation.jsonl"]["records"] == 10
    assert files["train.jsonl"]["bytes"] == (data / "train.jsonl").stat().st_size
    assert files["train.meta.jsonl"]["of"] == "train.jsonl"
    assert files["train.jsonl"]["format"] == "conversation"
    tokens = files["train.jsonl"]["tokens"]
    assert tokens is None or tokens["total"] > 40
    assert manifest["split"]["parameters"]["model"] == "nova-lite"
    assert manifest["model"]["key"] == "nova-lite"
    check = manifest["check"]
    assert check["valid"] is True and check["errors"] == 0 and check["forced"] is False
    assert sum(check["by_code"].values()) == check["warnings"] + check["infos"]
    assert len(manifest["config_hash"]) == 16
    request = json.loads((data / "job-request.json").read_text())
    assert first_schema_error("job-request", request) is None
    assert manifest["job_request"]["sha256"] == sha256(data / "job-request.json")
    assert request["baseModelIdentifier"] == "amazon.nova-lite-v1:0:300k"
    assert request["trainingDataConfig"] == {"s3Uri": DEST + "train.jsonl"}
    assert request["validationDataConfig"]["validators"] == [{"s3Uri": DEST + "validation.jsonl"}]
    assert request["outputDataConfig"] == {"s3Uri": DEST + "output/"}
    assert request["hyperParameters"] == {
        "epochCount": "2",
        "learningRate": "0.00001",
        "learningRateWarmupSteps": "10",
    }


def test_rerun_skips_matching_objects_and_sends_no_data(aws: FaultProxy, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "out")
    make_bucket(aws.url, BUCKET)
    assert upload(aws, str(data), "--to", DEST).exit_code == 0
    first = (data / "manifest.json").read_bytes()
    aws.clear()
    res = upload(aws, str(data), "--to", DEST)
    assert res.exit_code == 0, res.stderr
    assert res.stderr.count("skipped") == 4
    assert "already stored with the same SHA-256 checksum" in res.stderr
    assert aws.requests("PUT") == []  # nothing re-sent, manifest unchanged too
    assert (data / "manifest.json").read_bytes() == first


def test_changed_file_is_reuploaded_and_manifest_replaced(aws: FaultProxy, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "out")
    s3 = make_bucket(aws.url, BUCKET)
    assert upload(aws, str(data), "--to", DEST).exit_code == 0
    write_jsonl(data / "validation.jsonl", [conversation(i) for i in range(2000, 2012)])
    aws.clear()
    res = upload(aws, str(data), "--to", DEST)
    assert res.exit_code == 0, res.stderr
    assert "uploaded s3://fineprep-data/runs/r1/validation.jsonl" in res.stderr
    assert "skipped s3://fineprep-data/runs/r1/train.jsonl" in res.stderr
    assert [r.target for r in aws.requests("DELETE")] == ["/fineprep-data/runs/r1/manifest.json"]
    manifest = orjson.loads(
        s3.get_object(Bucket=BUCKET, Key="runs/r1/manifest.json")["Body"].read()
    )
    files = {f["name"]: f for f in manifest["files"]}
    assert files["validation.jsonl"]["sha256"] == sha256(data / "validation.jsonl")
    assert files["validation.jsonl"]["records"] == 12


def test_dataset_with_errors_is_refused_and_nothing_sent(aws: FaultProxy, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "out")
    with (data / "train.jsonl").open("ab") as fh:
        fh.write(b'{"schemaVersion": "bedrock-conversation-2024", "messages": []}\n')
    s3 = make_bucket(aws.url, BUCKET)
    aws.clear()
    res = upload(aws, str(data), "--to", DEST, "--output-format", "json")
    assert res.exit_code == 1
    report = json.loads(res.stdout)
    assert report["summary"]["errors"] >= 1
    assert "nothing uploaded" in res.stderr
    assert {r.method for r in aws.requests()} <= {"GET", "HEAD"}  # read-only checks, no writes
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)
    assert not (data / "manifest.json").exists()
    assert not (data / "job-request.json").exists()


def test_force_uploads_despite_errors_and_says_so(aws: FaultProxy, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "out")
    with (data / "train.jsonl").open("ab") as fh:
        fh.write(b'{"schemaVersion": "bedrock-conversation-2024", "messages": []}\n')
    make_bucket(aws.url, BUCKET)
    res = upload(aws, str(data), "--to", DEST, "--force")
    assert res.exit_code == 0, res.stderr
    check = orjson.loads((data / "manifest.json").read_bytes())["check"]
    assert check["forced"] is True
    assert check["valid"] is False
    assert check["errors"] >= 1


def test_invalid_key_is_u001_before_any_request(aws: FaultProxy, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "out")
    make_bucket(aws.url, BUCKET)
    aws.clear()
    res = upload(aws, str(data), "--to", f"s3://{BUCKET}/runs/run=1 a/", "--output-format", "json")
    assert res.exit_code == 1
    findings = json.loads(res.stdout)["findings"]
    u001 = [f for f in findings if f["code"] == "U001"]
    assert {f["path"] for f in u001} >= {str(data / "train.jsonl"), str(data / "split.json")}
    assert all(f["data"]["uri"].startswith(f"s3://{BUCKET}/runs/run=1 a/") for f in u001)
    assert aws.requests() == []


def test_nova_file_name_rule_is_u001(aws: FaultProxy, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "out")
    make_bucket(aws.url, BUCKET)
    res = upload(aws, str(data), "--to", f"s3://{BUCKET}/runs/(draft)/", "--output-format", "json")
    assert res.exit_code == 1
    findings = json.loads(res.stdout)["findings"]
    assert {f["code"] for f in findings if f["severity"] == "error"} == {"U001"}


def test_bucket_in_wrong_region_is_u004(aws: FaultProxy, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "out")
    s3 = make_bucket(aws.url, "fineprep-eu", "eu-west-1")
    res = upload(aws, str(data), "--to", "s3://fineprep-eu/r/", "--output-format", "json")
    assert res.exit_code == 1
    u004 = [f for f in json.loads(res.stdout)["findings"] if f["code"] == "U004"]
    assert len(u004) == 1
    assert u004[0]["data"] == {"bucket_region": "eu-west-1", "model_regions": ["us-east-1"]}
    assert "Contents" not in s3.list_objects_v2(Bucket="fineprep-eu")


def test_llama_bucket_region_us_west_2(aws: FaultProxy, tmp_path: Path) -> None:
    folder = tmp_path / "pc"
    folder.mkdir()
    rows = [{"prompt": f"Classify invoice {i}.", "completion": "paid"} for i in range(120)]
    write_jsonl(folder / "train.jsonl", rows)
    make_bucket(aws.url, "fineprep-west", "us-west-2")
    res = upload(
        aws, str(folder / "train.jsonl"), "--to", "s3://fineprep-west/p/", "-m", "llama3-1-8b"
    )
    assert res.exit_code == 0, res.stderr
    manifest = orjson.loads((folder / "manifest.json").read_bytes())
    assert manifest["bucket_region"] == "us-west-2"
    assert [f["name"] for f in manifest["files"]] == ["train.jsonl"]
    request = json.loads((folder / "job-request.json").read_text())
    assert request["baseModelIdentifier"] == "meta.llama3-1-8b-instruct-v1:0:128k"
    assert "validationDataConfig" not in request


def test_kms_and_expected_owner_are_sent_on_every_request(aws: FaultProxy, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "out")
    s3 = make_bucket(aws.url, BUCKET)
    aws.clear()
    res = upload(
        aws,
        str(data),
        "--to",
        DEST,
        "--kms-key-id",
        "alias/fineprep-data",
        "--expected-bucket-owner",
        ACCOUNT_ID,
    )
    assert res.exit_code == 0, res.stderr
    sent = aws.requests()
    assert sent
    assert all(r.headers.get("x-amz-expected-bucket-owner") == ACCOUNT_ID for r in sent)
    puts = aws.requests("PUT")
    assert len(puts) == 5  # four files and the manifest
    for r in puts:
        assert r.headers["x-amz-server-side-encryption"] == "aws:kms"
        assert r.headers["x-amz-server-side-encryption-aws-kms-key-id"] == "alias/fineprep-data"
        assert r.headers["x-amz-checksum-sha256"]
        assert not any(
            h.lower().startswith("x-amz-grant") or h.lower() == "x-amz-acl" for h in r.headers
        )
    head = s3.head_object(Bucket=BUCKET, Key="runs/r1/train.jsonl")
    assert head["ServerSideEncryption"] == "aws:kms"
    manifest = orjson.loads((data / "manifest.json").read_bytes())
    assert manifest["encryption"] == {"algorithm": "aws:kms", "kms_key_id": "alias/fineprep-data"}
    assert manifest["expected_bucket_owner"] == ACCOUNT_ID


def test_multipart_upload_composite_checksum_and_rerun(aws: FaultProxy, tmp_path: Path) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    rows = [conversation(i) for i in range(45_000)]  # about 12 MB: three 5 MiB parts
    train = write_jsonl(folder / "train.jsonl", rows)
    s3 = make_bucket(aws.url, BUCKET)
    args = ["--to", DEST, "-m", "nova-lite", "--multipart-threshold", "5MiB", "--part-size", "5MiB"]
    res = upload(aws, str(train), *args, "--ignore", "N002,D")
    assert res.exit_code == 0, res.stderr
    assert "3 parts" in res.stderr
    parts = aws.requests("PUT", r"partNumber=")
    assert len(parts) == 3
    body = train.read_bytes()
    chunks = [body[i : i + 5 * 2**20] for i in range(0, len(body), 5 * 2**20)]
    digests = b"".join(hashlib.sha256(c).digest() for c in chunks)
    composite = base64.b64encode(hashlib.sha256(digests).digest()).decode()
    head = s3.head_object(Bucket=BUCKET, Key="runs/r1/train.jsonl", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"].split("-")[0] == composite
    assert s3.get_object(Bucket=BUCKET, Key="runs/r1/train.jsonl")["Body"].read() == body
    entry = orjson.loads((folder / "manifest.json").read_bytes())["files"][0]
    assert entry["checksum_sha256"] == f"{composite}-3"
    assert entry["sha256"] == hashlib.sha256(body).hexdigest()
    assert entry["part_size"] == 5 * 2**20
    aws.clear()
    res = upload(aws, str(train), *args, "--ignore", "N002,D")
    assert "skipped s3://fineprep-data/runs/r1/train.jsonl" in res.stderr
    assert aws.requests("PUT") == []


def test_verify_media_reports_missing_and_foreign_bucket(aws: FaultProxy, tmp_path: Path) -> None:
    s3 = make_bucket(aws.url, BUCKET)
    make_bucket(aws.url, "other-bucket")
    for key in ("img/a.png", "img/b.png"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"\x89PNG")
    s3_client(aws.url).put_object(Bucket="other-bucket", Key="img/c.png", Body=b"\x89PNG")
    images = [f"s3://{BUCKET}/img/a.png", f"s3://{BUCKET}/img/b.png"]
    rows = [conversation(i, images[i % 2]) for i in range(10)]
    rows[3] = conversation(3, f"s3://{BUCKET}/img/missing.png")
    rows[6] = conversation(6, "s3://other-bucket/img/c.png")
    folder = tmp_path / "media"
    folder.mkdir()
    write_jsonl(folder / "train.jsonl", rows)
    aws.clear()
    res = upload(
        aws,
        str(folder / "train.jsonl"),
        "--to",
        DEST,
        "-m",
        "nova-lite",
        "--verify-media",
        "--output-format",
        "json",
    )
    assert res.exit_code == 1
    findings = json.loads(res.stdout)["findings"]
    found = [(f["code"], f["line"]) for f in findings if f["code"].startswith("U")]
    assert sorted(found) == [("U002", 7), ("U003", 4)]
    u003 = next(f for f in json.loads(res.stdout)["findings"] if f["code"] == "U003")
    assert u003["json_path"] == "$.messages[0].content[0].image.source.s3Location.uri"
    assert u003["data"] == {"uri": f"s3://{BUCKET}/img/missing.png", "status": 404}
    assert "checked 4 media objects" in res.stderr
    assert aws.requests("PUT") == []


def test_verify_media_passes_when_all_present(aws: FaultProxy, tmp_path: Path) -> None:
    s3 = make_bucket(aws.url, BUCKET)
    s3.put_object(Bucket=BUCKET, Key="img/a.png", Body=b"\x89PNG")
    folder = tmp_path / "media"
    folder.mkdir()
    write_jsonl(
        folder / "train.jsonl", [conversation(i, f"s3://{BUCKET}/img/a.png") for i in range(10)]
    )
    res = upload(
        aws, str(folder / "train.jsonl"), "--to", DEST, "-m", "nova-lite", "--verify-media"
    )
    assert res.exit_code == 0, res.stderr
    heads = [r for r in aws.requests("HEAD") if r.target == f"/{BUCKET}/img/a.png"]
    assert len(heads) == 1  # one request per distinct URI
    assert heads[0].headers["x-amz-expected-bucket-owner"] == ACCOUNT_ID  # from bucketOwner


def test_explicit_files_and_options_from_config(aws: FaultProxy, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "out")
    make_bucket(aws.url, BUCKET)
    config = tmp_path / "fineprep.toml"
    config.write_text(
        'model = "nova-micro"\n'
        "[upload]\n"
        f'to = "{DEST}"\n'
        "[job]\n"
        'job-name = "invoices-1"\n'
        "hyperparameters = { epochCount = 3 }\n"
        'tags = { project = "fineprep" }\n'
    )
    res = run_cli(
        [
            "upload",
            str(data / "train.jsonl"),
            "--validation",
            str(data / "validation.jsonl"),
            "--config",
            str(config),
            "--endpoint-url",
            aws.url,
            "-H",
            "learningRate=0.00002",
            "--no-sidecars",
            "-o",
            str(tmp_path / "records"),
        ]
    )
    assert res.exit_code == 0, res.stderr
    request = json.loads((tmp_path / "records" / "job-request.json").read_text())
    assert request["jobName"] == "invoices-1"
    assert request["hyperParameters"]["epochCount"] == "3"
    assert request["hyperParameters"]["learningRate"] == "0.00002"
    assert request["jobTags"] == [{"key": "project", "value": "fineprep"}]
    manifest = orjson.loads((tmp_path / "records" / "manifest.json").read_bytes())
    assert manifest["model"]["key"] == "nova-lite"  # split.json beside the data names the model
    assert [f["role"] for f in manifest["files"]] == ["train", "validation", "split"]


def test_bad_job_option_fails_before_upload(aws: FaultProxy, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "out")
    make_bucket(aws.url, BUCKET)
    aws.clear()
    res = upload(aws, str(data), "--to", DEST, "-H", "epochCount=9")
    assert res.exit_code == 2
    assert res.stderr.strip().splitlines() == [
        "fineprep: error: hyperparameter epochCount=9 is outside Amazon Nova Lite's range 1-5"
    ]
    assert aws.requests() == []


def test_missing_bucket_is_one_line(aws: FaultProxy, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "out")
    res = upload(aws, str(data), "--to", "s3://no-such-bucket/x/")
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "no-such-bucket" in lines[0] and "NoSuchBucket" in lines[0]
    assert not (data / "manifest.json").exists()


def test_missing_credentials_is_one_line(
    aws: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    data = write_dataset(tmp_path / "out")
    res = upload(aws, str(data), "--to", DEST)
    assert res.exit_code == 2
    assert res.stderr.strip().splitlines() == [
        "fineprep: error: s3://fineprep-data: reading the bucket's region: no usable AWS "
        "credentials (set AWS_PROFILE or pass --profile, or export AWS_ACCESS_KEY_ID/"
        "AWS_SECRET_ACCESS_KEY)"
    ]


def test_python_api_counts_tokens_with_the_packaged_tokenizer(
    aws: FaultProxy, tmp_path: Path
) -> None:
    from fineprep.core.config import Settings
    from fineprep.core.errors import ConfigError
    from fineprep.stages.upload.runner import upload as upload_api

    data = write_dataset(tmp_path / "out")
    make_bucket(aws.url, BUCKET)
    with pytest.raises(ConfigError, match="no_such_encoding"):
        upload_api(data, DEST, settings=Settings(encoding="no_such_encoding"), endpoint_url=aws.url)
    assert aws.requests("PUT") == [] or all("runs/r1" not in r.target for r in aws.requests("PUT"))
    lines: list[str] = []
    result = upload_api(
        data, DEST, settings=Settings(), endpoint_url=aws.url, progress=lines.append
    )
    assert not result.refused
    assert result.manifest is not None
    (tokens,) = [f["tokens"] for f in result.manifest["files"] if f["role"] == "train"]
    assert tokens is not None and tokens["total"] > 40  # counted offline, no cache needed
    assert result.uploaded == [DEST + n for n in ("train.jsonl", "validation.jsonl")] + [
        DEST + "train.meta.jsonl",
        DEST + "split.json",
    ]
    assert result.manifest_uri == DEST + "manifest.json"
    assert lines[-1].startswith("manifest s3://fineprep-data/runs/r1/manifest.json")
