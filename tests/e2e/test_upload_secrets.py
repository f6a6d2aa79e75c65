"""Credentials never leave the AWS SDK: fake keys are planted in the environment, fineprep runs
as a real process through successes and failures (including a server that quotes the key ID
back), and every output (stdout, stderr, reports, manifest, job request, S3 objects) is
searched for them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.s3server import (  # noqa: F401  (fixtures)
    FAKE_KEY_ID,
    FAKE_SECRET,
    FaultProxy,
    aws_fixture,
    make_bucket,
    moto_fixture,
    proxy_fixture,
    write_dataset,
)

SESSION_TOKEN = "IQoJb3JpZ2luX2VjEFAKEfinepreptoken/0123456789+session=="
SECRETS = (FAKE_KEY_ID, FAKE_SECRET, SESSION_TOKEN)
BUCKET = "fineprep-data"


def fineprep(aws: FaultProxy, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("FINEPREP_DEBUG", None)
    env["AWS_SESSION_TOKEN"] = SESSION_TOKEN
    return subprocess.run(
        [sys.executable, "-m", "fineprep", *args, "--endpoint-url", aws.url],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_no_output_contains_a_credential(aws: FaultProxy, tmp_path: Path) -> None:
    assert os.environ["AWS_ACCESS_KEY_ID"] == FAKE_KEY_ID
    assert os.environ["AWS_SECRET_ACCESS_KEY"] == FAKE_SECRET
    data = write_dataset(tmp_path / "out")
    s3 = make_bucket(aws.url, BUCKET)
    make_bucket(aws.url, "fineprep-eu", "eu-west-1")
    dest = f"s3://{BUCKET}/runs/r1/"
    runs = [
        (0, fineprep(aws, "upload", str(data), "--to", dest, "--kms-key-id", "alias/k")),
        (0, fineprep(aws, "upload", str(data), "--to", dest, "--output-format", "json")),
        (
            1,
            fineprep(
                aws, "upload", str(data), "--to", "s3://fineprep-eu/x/", "--output-format", "sarif"
            ),
        ),
        (2, fineprep(aws, "upload", str(data), "--to", "s3://missing-bucket/x/")),
    ]
    request = str(data / "job-request.json")
    role = "arn:aws:iam::123456789012:role/Tuning"
    runs += [
        (0, fineprep(aws, "launch", request, "--dry-run")),
        (0, fineprep(aws, "launch", request, "--role-arn", role, "--output-format", "json")),
    ]
    job_name = (data / "job-request.json").read_text().split('"jobName": "')[1].split('"')[0]
    runs.append((0, fineprep(aws, "launch", "--status", job_name, "--output-format", "json")))
    aws.add("GET", r"\?location", "403-echo-key")
    echoed = fineprep(aws, "upload", str(data), "--to", dest)
    runs.append((2, echoed))
    aws.add("POST", r"model-customization-jobs", "403-echo-key")
    runs.append((2, fineprep(aws, "launch", request, "--role-arn", role)))
    aws.add("PUT", r"train\.jsonl", "drop", times=100)
    (data / "train.jsonl").write_bytes((data / "train.jsonl").read_bytes() + b"\n")
    runs.append(
        (2, fineprep(aws, "upload", str(data), "--to", dest, "--force", "--max-attempts", "2"))
    )

    # the server really did quote the key ID, and fineprep blanked it out
    assert [r for r in aws.requests("GET", r"\?location") if r.fault == "403-echo-key"]
    assert "InvalidAccessKeyId: The AWS Access Key Id *** is unknown." in echoed.stderr
    outputs = []
    for expected, run in runs:
        assert run.returncode == expected, (run.args, run.stderr)
        assert "Traceback" not in run.stderr
        outputs += [run.stdout, run.stderr]
    outputs += [p.read_text("utf-8", "replace") for p in tmp_path.rglob("*") if p.is_file()]
    for obj in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        outputs.append(s3.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read().decode())
    assert any("manifest" in text for text in outputs)
    for text in outputs:
        for secret in SECRETS:
            assert secret not in text
        assert "AKIA" not in text


def test_redact_removes_known_values_and_key_shapes() -> None:
    from fineprep.io import aws as s3_client

    s3_client._SECRETS.add("s3cr3t/value+with=symbols")
    text = "key AKIAABCDEFGHIJKLMNOP secret s3cr3t/value+with=symbols aws_secret_access_key = zzz"
    assert s3_client.redact(text) == "key *** secret *** aws_secret_access_key = ***"
