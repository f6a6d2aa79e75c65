"""The output URI's bucket gets the destination's check: it must exist, in the job's region
(U004 otherwise), and a bucket that cannot be read is a note, not an error."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
from botocore.stub import Stubber

from fineprep.core.model import Location
from fineprep.stages.upload.output_bucket import check_output_bucket
from tests import s3server
from tests.s3server import aws_fixture, moto_fixture, proxy_fixture  # noqa: F401  (fixtures)

DEST = "s3://fineprep-data/runs/r1/"


def upload(aws: s3server.FaultProxy, tmp_path: Path, output_uri: str) -> object:
    s3server.make_bucket(aws.url, "fineprep-data")
    data = s3server.write_dataset(tmp_path / "out")
    args = ["upload", str(data), "--to", DEST, "--endpoint-url", aws.url, "--isolated"]
    return s3server.run_cli([*args, "--output-uri", output_uri, "--output-format", "json"])


def test_an_output_bucket_in_another_region_is_u004(
    aws: s3server.FaultProxy, tmp_path: Path
) -> None:
    s3 = s3server.make_bucket(aws.url, "fineprep-west", "us-west-2")
    res = upload(aws, tmp_path, "s3://fineprep-west/out/")
    assert res.exit_code == 1  # type: ignore[attr-defined]
    report, _ = json.JSONDecoder().raw_decode(res.stdout)  # type: ignore[attr-defined]
    (u004,) = [f for f in report["findings"] if f["code"] == "U004"]
    assert (
        "output bucket fineprep-west is in us-west-2; the job runs in us-east-1"
        in (u004["message"])
    )
    assert u004["data"]["bucket_region"] == "us-west-2"
    assert "Contents" not in s3.list_objects_v2(Bucket="fineprep-west")


def test_an_output_bucket_in_the_jobs_region_passes(
    aws: s3server.FaultProxy, tmp_path: Path
) -> None:
    s3server.make_bucket(aws.url, "fineprep-out")
    res = upload(aws, tmp_path, "s3://fineprep-out/out/")
    assert res.exit_code == 0, res.stderr  # type: ignore[attr-defined]


def test_a_missing_output_bucket_is_one_clear_error(
    aws: s3server.FaultProxy, tmp_path: Path
) -> None:
    res = upload(aws, tmp_path, "s3://fineprep-nowhere/out/")
    assert res.exit_code == 2  # type: ignore[attr-defined]
    (line,) = res.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert "output URI s3://fineprep-nowhere/out/: bucket fineprep-nowhere does not exist" in line
    assert "create it in us-east-1" in line


def test_an_output_bucket_that_cannot_be_read_is_a_note() -> None:
    client = boto3.client(
        "s3",
        region_name="us-east-1",
        aws_access_key_id=s3server.FAKE_KEY_ID,
        aws_secret_access_key=s3server.FAKE_SECRET,
    )
    found: list[tuple[str, str, Location]] = []
    said: list[str] = []
    with Stubber(client) as stub:
        stub.add_client_error("get_bucket_location", "AccessDenied", "denied", 403)
        check_output_bucket(
            client,
            "s3://partner-bucket/out/",
            "fineprep-data",
            "us-east-1",
            lambda code, msg, where, _data: found.append((code, msg, where)),
            said.append,
        )
    assert found == []
    (note,) = said
    assert "could not check the region of output bucket partner-bucket (AccessDenied)" in note
    assert "must be in us-east-1" in note
