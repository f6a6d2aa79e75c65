"""S3 answers whose body ends early (the promised Content-Length, half the bytes, then the
connection closes): every request upload makes ends as retries and then one line naming what
was being done, never an internal error."""

from __future__ import annotations

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
