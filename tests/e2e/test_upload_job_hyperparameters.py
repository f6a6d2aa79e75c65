"""``upload -H`` values are the ones the data is checked with, as config values are: Titan
Text's per-record token limit is 4,096 at batchSize 1 and 2,048 above it, so a -H batchSize=4
must find the records that only fit the larger limit."""

from __future__ import annotations

import json
from pathlib import Path

from tests import s3server
from tests.s3server import aws_fixture, moto_fixture, proxy_fixture  # noqa: F401  (fixtures)

BUCKET = "fineprep-titan"


def records(tmp_path: Path) -> Path:
    """40 records of about 3,000 tokens: under 4,096, over 2,048."""
    rows = [
        {"prompt": f"Record {i}: " + "word " * 3000, "completion": f"ok {i}"} for i in range(40)
    ]
    return s3server.write_jsonl(tmp_path / "t.jsonl", rows)


def upload(aws: s3server.FaultProxy, data: Path, *args: str) -> tuple[int, list[str]]:
    s3server.make_bucket(aws.url, BUCKET)
    res = s3server.run_cli(
        [
            "upload",
            str(data),
            "--to",
            f"s3://{BUCKET}/titan/",
            "-m",
            "titan-text-express",
            "--endpoint-url",
            aws.url,
            "--dry-run",
            "--output-format",
            "json",
            *args,
        ]
    )
    report, _ = json.JSONDecoder().raw_decode(res.stdout)  # the check report comes first
    return res.exit_code, [str(f["code"]) for f in report["findings"]]


def test_batch_size_from_the_command_line_shrinks_the_record_limit(
    aws: s3server.FaultProxy, tmp_path: Path
) -> None:
    data = records(tmp_path)
    code, found = upload(aws, data, "--isolated", "-H", "batchSize=4")
    assert code == 1 and "T001" in found
    code, found = upload(aws, data, "--isolated", "-H", "batchSize=1")
    assert code == 0 and "T001" not in found


def test_the_command_line_wins_over_the_config(aws: s3server.FaultProxy, tmp_path: Path) -> None:
    data = records(tmp_path)
    config = tmp_path / "fineprep.toml"
    config.write_text("[hyperparameters]\nbatchSize = 4\n")
    code, found = upload(aws, data, "--config", str(config))
    assert code == 1 and "T001" in found
    code, found = upload(aws, data, "--config", str(config), "-H", "batchSize=1")
    assert code == 0 and "T001" not in found
