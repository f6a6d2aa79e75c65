"""S3 answers whose body ends early (the promised Content-Length, half the bytes, then the
connection closes): every request upload makes ends as retries and then one line naming what
was being done, never an internal error."""

from __future__ import annotations

import json
from pathlib import Path

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
)

BUCKET = "fineprep-trunc"
DEST = f"s3://{BUCKET}/runs/r1/"


@pytest.fixture(autouse=True)
def short_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.retries.standard import ExponentialBackoff

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.01)


@pytest.mark.parametrize(
    ("method", "skip"), [("GET", 0), ("GET", 1), ("GET", 2), ("GET", 4), ("POST", 0), ("PUT", 0)]
)
def test_truncated_bodies_end_in_one_line(
    aws: FaultProxy, tmp_path: Path, method: str, skip: int
) -> None:
    """Every answer of one method cut short, after the first ``skip`` of them."""
    data = write_dataset(tmp_path / "out")
    make_bucket(aws.url, BUCKET)
    aws.add(method, r".", "truncate", times=1000, skip=skip)
    res = run_cli(
        ["upload", str(data), "--to", DEST, "--endpoint-url", aws.url, "--max-attempts", "2"]
    )
    err = [line for line in res.stderr.splitlines() if line.strip()]
    assert "internal error" not in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert res.exit_code in (0, 2), res.stderr
    if res.exit_code == 2:
        assert len(err) == 1 and err[0].startswith("fineprep: error: "), err


@pytest.mark.parametrize("skip", [0, 1])
def test_check_of_an_s3_input_cut_short_is_one_line(
    aws: FaultProxy, tmp_path: Path, skip: int
) -> None:
    """``check s3://...``: HEAD, then GETs of the object; whichever answer is cut short."""
    s3 = make_bucket(aws.url, BUCKET)
    body = "".join(json.dumps(conversation(i)) + "\n" for i in range(2000)).encode()
    s3.put_object(Bucket=BUCKET, Key="data/train.jsonl", Body=body)
    config = tmp_path / "fineprep.toml"
    config.write_text(f'[tool.fineprep.upload]\nendpoint-url = "{aws.url}"\n')
    aws.add("GET", r"train\.jsonl", "truncate", times=1000, skip=skip)
    res = run_cli(
        ["check", f"s3://{BUCKET}/data/train.jsonl", "--config", str(config), "--jobs", "1"]
    )
    err = [line for line in res.stderr.splitlines() if line.strip()]
    assert "internal error" not in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert res.exit_code == 2 and len(err) == 1 and "cut short" in err[0], res.stderr
