"""The Dask engine on a real cluster, with inputs in S3: same report as one process.

A module fixture starts the moto S3 server, a ``dask scheduler`` and two ``dask worker``
processes on 127.0.0.1 (the workers read their own partitions from moto by byte range). The
data is small: partitions of one byte make every line a boundary. Nothing is timed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fineprep.engines.base import EngineOptions
from tests.s3server import MotoServer, aws_env, free_port
from tests.unit.test_partitioned_check import LINES, _record, _run

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

BUCKET = "lake"


def _records() -> list[str]:
    rows = []
    for i in range(30):
        q = f"question {i % 9} about the account statement and the refund"
        rows.append(json.dumps({"prompt": q, "completion": ["yes", "no", "later"][i % 3]}))
    rows.insert(7, "")
    rows.insert(12, '{"prompt": "broken')
    return rows


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    moto = MotoServer()
    moto.start()
    env = {**os.environ, **aws_env(moto.url)}
    procs: list[subprocess.Popen[bytes]] = []
    try:
        port = free_port()
        address = f"tcp://127.0.0.1:{port}"
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "distributed.cli.dask_scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--no-dashboard",
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "distributed.cli.dask_worker",
                        address,
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                    ],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        import boto3

        s3 = boto3.client(
            "s3",
            endpoint_url=moto.url,
            region_name="us-east-1",
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )
        s3.create_bucket(Bucket=BUCKET)
        rows = _records()
        s3.put_object(Bucket=BUCKET, Key="data/train.jsonl", Body="\n".join(rows) + "\n")
        s3.put_object(Bucket=BUCKET, Key="eval/validation.jsonl", Body=rows[3] + "\n" + rows[20])
        config = tmp_path_factory.mktemp("cfg") / "fineprep.toml"
        config.write_text("[engine]\nmin-bytes = 1\npartition-bytes = 1\n")
        yield {**aws_env(moto.url), "scheduler": address, "config": str(config)}
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        moto.stop()


def _fineprep(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    run_env = {**os.environ, **{k: v for k, v in env.items() if k.isupper()}}
    run_env["FINEPREP_NO_CACHE"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "fineprep", *args],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_check_s3_through_dask_matches_one_process(cluster: dict[str, str]) -> None:
    common = [
        *("check", f"s3://{BUCKET}/data/"),
        *("--validation", f"s3://{BUCKET}/eval/validation.jsonl", "-m", "nova-lite"),
        *("--config", cluster["config"], "--output-format", "json"),
    ]
    one = _fineprep(cluster, *common, "--jobs", "1")
    assert one.returncode in (0, 1), one.stderr
    report = json.loads(one.stdout)
    assert report["files"][0]["path"] == f"s3://{BUCKET}/data/train.jsonl"
    codes = {(f["line"], f["code"]) for f in report["findings"]}
    assert (8, "P005") in codes and (13, "P001") in codes
    assert any(code == "D004" for _, code in codes)
    dask = _fineprep(cluster, *common, "--engine", "dask", "--scheduler", cluster["scheduler"])
    assert dask.stderr == one.stderr
    assert dask.stdout == one.stdout
    local = _fineprep(cluster, *common, "--jobs", "2")
    assert local.stdout == one.stdout


def test_a_missing_object_is_one_line(cluster: dict[str, str]) -> None:
    out = _fineprep(cluster, "check", f"s3://{BUCKET}/data/nope.jsonl", "--jobs", "1")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "no such object" in out.stderr


def test_an_unreachable_scheduler_is_one_line(cluster: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "t.jsonl"
    data.write_text("\n".join(_records()) + "\n")
    port = free_port()
    out = _fineprep(cluster, "check", str(data), "--config", cluster["config"],
                    "--engine", "dask", "--scheduler", f"tcp://127.0.0.1:{port}")  # fmt: skip
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr


def test_split_through_dask_matches_one_process(cluster: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    rows = [r for r in _records() if r.startswith('{"prompt": "question')]
    data.write_text("\n".join(rows) + "\n")
    common = ["split", str(data), "--validation", "0.2", "--config", cluster["config"], "-q"]
    one = _fineprep(cluster, *common, "-o", str(tmp_path / "one"), "--jobs", "1")
    assert one.returncode in (0, 1), one.stderr
    dask = _fineprep(cluster, *common, "-o", str(tmp_path / "dask"), "--engine", "dask",
                     "--scheduler", cluster["scheduler"])  # fmt: skip
    assert dask.returncode == one.returncode, dask.stderr
    names = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "dask").iterdir())
    for name in names:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes()


def test_convert_through_dask_matches_one_process(cluster: dict[str, str], tmp_path: Path) -> None:
    src = tmp_path / "chats"
    src.mkdir()
    for k in range(3):
        rows = [json.dumps({"instruction": f"say {k}-{i}", "output": f"{k}-{i}"}) for i in range(5)]
        (src / f"part{k}.jsonl").write_text("\n".join(rows) + "\n")
    outs = {}
    dask = ["--engine", "dask", "--scheduler", cluster["scheduler"]]
    for name, extra in (("one", ["--jobs", "1"]), ("dask", dask)):
        out = tmp_path / name / "train.jsonl"
        run = _fineprep(cluster, "convert", str(src), "-o", str(out), "--to", "conversation",
                        "--config", cluster["config"], *extra)  # fmt: skip
        assert run.returncode == 0, run.stderr
        outs[name] = (out.read_bytes(), (out.parent / "train.meta.jsonl").read_bytes())
    assert outs["dask"] == outs["one"]


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(train=LINES, leaks=st.lists(st.integers(0, 39), max_size=5))
def test_generated_datasets_give_the_same_report_on_dask(
    cluster: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
    train: list[tuple[int, int, int]],
    leaks: list[int],
) -> None:
    tmp = tmp_path_factory.mktemp("gen")
    lines = [_record(*t) for t in train]
    train_path = tmp / "train.jsonl"
    train_path.write_text("\n".join(lines) + "\n")
    val_path = tmp / "validation.jsonl"
    kept = [lines[i] for i in leaks if i < len(lines) and lines[i]]
    val_path.write_text("\n".join([*kept, _record(0, 1, 3)]) + "\n")
    dask = EngineOptions("dask", 1, cluster["scheduler"], min_bytes=1, partition_bytes=1)
    single = _run([str(train_path)], [str(val_path)], True, EngineOptions("local", 1))
    assert _run([str(train_path)], [str(val_path)], True, dask) == single


def test_convert_and_split_from_s3_through_dask(cluster: dict[str, str], tmp_path: Path) -> None:
    """The workers fetch their own units (convert) and read their own byte ranges, pinned to
    the planned version (split), from S3: the outputs are one process's."""
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=cluster["AWS_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id=cluster["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=cluster["AWS_SECRET_ACCESS_KEY"],
    )
    for k in range(3):
        rows = [json.dumps({"instruction": f"ask {k}-{i}", "output": f"{k}-{i}"}) for i in range(4)]
        s3.put_object(Bucket=BUCKET, Key=f"chats/part{k}.jsonl", Body="\n".join(rows) + "\n")
    rows = [r for r in _records() if r.startswith('{"prompt": "question')]
    s3.put_object(Bucket=BUCKET, Key="sets/data.jsonl", Body="\n".join(rows) + "\n")
    metas = [json.dumps({"id": str(i), "label": None, "group": f"g{i % 5}", "source": None})
             for i in range(len(rows))]  # fmt: skip
    s3.put_object(Bucket=BUCKET, Key="sets/data.meta.jsonl", Body="\n".join(metas) + "\n")
    dask = ["--engine", "dask", "--scheduler", cluster["scheduler"]]
    common = ["--config", cluster["config"]]
    outs = {}
    for name, extra in (("one", ["--jobs", "1"]), ("dask", dask)):
        out = tmp_path / name / "train.jsonl"
        run = _fineprep(cluster, "convert", f"s3://{BUCKET}/chats/", "-o", str(out), "--to",
                        "conversation", *common, *extra)  # fmt: skip
        assert run.returncode == 0, run.stderr
        split = _fineprep(cluster, "split", f"s3://{BUCKET}/sets/data.jsonl", "--group", "group",
                          "--validation", "0.2", "-o", str(tmp_path / name / "split"), "-q",
                          *common, *extra)  # fmt: skip
        assert split.returncode in (0, 1), split.stderr
        files = sorted((tmp_path / name / "split").iterdir())
        outs[name] = [out.read_bytes(), (out.parent / "train.meta.jsonl").read_bytes()]
        outs[name] += [(f.name, f.read_bytes()) for f in files]
    assert outs["dask"] == outs["one"]
    assert b"s3://lake/chats/part2.jsonl:line 4" in outs["dask"][1]
