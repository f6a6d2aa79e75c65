"""``s3://`` inputs for convert, split and run, read from a real moto server process.

Each stage's output from S3 is compared with the same stage run on the same files on disk: the
records are the same bytes, and every name a user sees (sidecar sources, rejects, notices,
split.json, errors) is the object's URI, never the temporary copy it was read from.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES
from tests.e2e.cli import Run, fineprep
from tests.s3server import (  # noqa: F401  (fixtures)
    FaultProxy,
    aws_env,
    aws_fixture,
    make_bucket,
    moto_fixture,
    proxy_fixture,
)

BUCKET = "lake"
DEMO = FIXTURES / "demo" / "run"
TEMP_MARK = "fineprep-s3-"


@pytest.fixture(name="lake")
def lake_fixture(proxy: FaultProxy) -> tuple[FaultProxy, Any]:
    return proxy, make_bucket(proxy.url, BUCKET)


def _cli(proxy: FaultProxy, *args: str, cwd: Path | None = None) -> Run:
    env = {**aws_env(proxy.url), "FINEPREP_NO_CACHE": "1"}
    return fineprep(*args, env=env, **({"cwd": cwd} if cwd else {}))


def _put_tree(s3: Any, folder: Path, prefix: str) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            s3.put_object(Bucket=BUCKET, Key=f"{prefix}{path.relative_to(folder).as_posix()}",
                          Body=path.read_bytes())  # fmt: skip


def _no_temp_paths(*texts: str) -> None:
    for text in texts:
        assert TEMP_MARK not in text


def _sources(sidecar: Path) -> list[str]:
    return [json.loads(line)["source"] for line in sidecar.read_text().splitlines()]


def test_convert_a_prefix_reads_like_a_folder(lake: tuple[FaultProxy, Any], tmp_path: Path) -> None:
    proxy, s3 = lake
    local = tmp_path / "tables"
    local.mkdir()
    (local / "a.csv").write_text("text,label\nhello there,pos\nbad day,neg\n")
    (local / "b.csv").write_text("text,label\nok then,pos\n,neg\n")
    (local / "notes.pdf").write_bytes(b"%PDF-1.4")
    (local / ".hidden.csv").write_text("text,label\nnot,read\n")
    _put_tree(s3, local, "tables/")
    mapping = ["--prompt", "{{ text }}", "--completion", "label", "--to", "prompt-completion"]
    mapping += ["--model", "titan-text-express"]
    here = _cli(proxy, "convert", str(local), "-o", str(tmp_path / "l" / "out.jsonl"), *mapping)
    remote_out = str(tmp_path / "r" / "out.jsonl")
    there = _cli(proxy, "convert", f"s3://{BUCKET}/tables/", "-o", remote_out, *mapping)
    assert there.code == here.code == 1, there.err  # the row with no text is rejected
    assert (tmp_path / "r" / "out.jsonl").read_bytes() == (
        tmp_path / "l" / "out.jsonl"
    ).read_bytes()
    got = _sources(tmp_path / "r" / "out.meta.jsonl")
    assert got == [s.replace(str(local), f"s3://{BUCKET}/tables") for s in
                   _sources(tmp_path / "l" / "out.meta.jsonl")]  # fmt: skip
    assert got[0] == f"s3://{BUCKET}/tables/a.csv:row 2"
    rejects = (tmp_path / "r" / "out.rejects.jsonl").read_text()
    assert f"s3://{BUCKET}/tables/b.csv:row 3" in rejects
    assert f"s3://{BUCKET}/tables/notes.pdf: skipped" in there.out + there.err
    assert ".hidden" not in there.out + there.err
    _no_temp_paths(there.out, there.err, rejects, (tmp_path / "r" / "out.meta.jsonl").read_text())


def test_partitions_read_their_own_objects(lake: tuple[FaultProxy, Any], tmp_path: Path) -> None:
    proxy, s3 = lake
    for k in range(4):
        rows = [json.dumps({"instruction": f"say {k}-{i}", "output": f"{k}-{i}"}) for i in range(6)]
        s3.put_object(Bucket=BUCKET, Key=f"chats/part{k}.jsonl", Body="\n".join(rows) + "\n")
    config = tmp_path / "fineprep.toml"
    config.write_text("[engine]\nmin-bytes = 1\npartition-bytes = 1\n")
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / jobs / "train.jsonl"
        run = _cli(proxy, "convert", f"s3://{BUCKET}/chats/", "-o", str(out), "--to",
                   "conversation", "--config", str(config), "--jobs", jobs)  # fmt: skip
        assert run.code == 0, run.err
        outs.append((out.read_bytes(), (out.parent / "train.meta.jsonl").read_bytes()))
    assert outs[0] == outs[1]
    assert b"s3://lake/chats/part3.jsonl:line 6" in outs[1][1]


def test_unreadable_objects_are_named_by_uri(lake: tuple[FaultProxy, Any], tmp_path: Path) -> None:
    proxy, s3 = lake
    s3.put_object(Bucket=BUCKET, Key="mixed/good.csv", Body=b"text,label\nfine,pos\n")
    s3.put_object(Bucket=BUCKET, Key="mixed/broken.csv", Body=b"\x00\xff\x00binary\x00" * 50)
    out = tmp_path / "out.jsonl"
    mapping = ["--prompt", "{{ text }}", "--completion", "label", "--to", "prompt-completion"]
    run = _cli(proxy, "convert", f"s3://{BUCKET}/mixed/", "-o", str(out), *mapping)
    assert run.code == 1, run.err
    rejects = (tmp_path / "out.rejects.jsonl").read_text()
    assert f"s3://{BUCKET}/mixed/broken.csv" in rejects
    _no_temp_paths(run.out, run.err, rejects)
    missing = _cli(proxy, "convert", f"s3://{BUCKET}/mixed/nope.csv", "-o", str(out), *mapping)
    assert missing.code == 2
    assert f"s3://{BUCKET}/mixed/nope.csv: no such object" in missing.err
    assert "Traceback" not in missing.err
    empty = _cli(proxy, "convert", f"s3://{BUCKET}/nothing/", "-o", str(out), *mapping)
    assert empty.code == 2 and "no objects under this prefix" in empty.err


def test_split_from_s3_equals_the_local_split(lake: tuple[FaultProxy, Any], tmp_path: Path) -> None:
    proxy, s3 = lake
    answers = ["yes", "no"]
    rows = [json.dumps({"prompt": f"question {i} about refunds", "completion": answers[i % 2]})
            for i in range(40)]  # fmt: skip
    metas = [json.dumps({"id": str(i), "label": ["yes", "no"][i % 2], "group": None,
                         "source": f"t.csv:row {i + 2}"}) for i in range(40)]  # fmt: skip
    local = tmp_path / "in"
    local.mkdir()
    (local / "train.jsonl").write_text("\n".join(rows) + "\n")
    (local / "train.meta.jsonl").write_text("\n".join(metas) + "\n")
    _put_tree(s3, local, "sets/")
    common = ["--stratify", "label", "--validation", "0.2", "-m", "nova-lite"]
    here = _cli(proxy, "split", str(local / "train.jsonl"), "-o", str(tmp_path / "l"), *common)
    there = _cli(proxy, "split", f"s3://{BUCKET}/sets/train.jsonl", "-o", str(tmp_path / "r"),
                 *common)  # fmt: skip
    assert here.code == there.code == 0, there.err
    for name in ("train.jsonl", "train.meta.jsonl", "validation.jsonl", "validation.meta.jsonl"):
        assert (tmp_path / "r" / name).read_bytes() == (tmp_path / "l" / name).read_bytes()
    summary = json.loads((tmp_path / "r" / "split.json").read_text())
    assert summary["input"]["path"] == f"s3://{BUCKET}/sets/train.jsonl"
    assert summary["input"]["sidecar"] == "train.meta.jsonl"
    _no_temp_paths(there.out, there.err, (tmp_path / "r" / "split.json").read_text())
    missing = _cli(proxy, "split", f"s3://{BUCKET}/sets/nope.jsonl", "-o", str(tmp_path / "x"))
    assert missing.code == 2 and f"s3://{BUCKET}/sets/nope.jsonl: no such object" in missing.err
    s3.put_object(Bucket=BUCKET, Key="sets/bad.jsonl", Body=rows[0] + "\n{broken\n")
    bad = _cli(proxy, "split", f"s3://{BUCKET}/sets/bad.jsonl", "-o", str(tmp_path / "y"))
    assert bad.code == 2 and f"s3://{BUCKET}/sets/bad.jsonl:2" in bad.err, bad.err
    _no_temp_paths(bad.err)


def test_run_converts_sources_in_s3(lake: tuple[FaultProxy, Any], tmp_path: Path) -> None:
    """The demo pipeline with its CSV and its folder of Textract responses in S3."""
    proxy, s3 = lake
    _put_tree(s3, DEMO, "demo/")
    shutil.copytree(DEMO, tmp_path / "local")
    here = _cli(proxy, "run", "--config", str(tmp_path / "local" / "fineprep.toml"))
    remote = tmp_path / "remote"
    remote.mkdir()
    config = (DEMO / "fineprep.toml").read_text()
    config = config.replace(
        'inputs = ["tickets.csv"]', f'inputs = ["s3://{BUCKET}/demo/tickets.csv"]'
    )
    config = config.replace('inputs = ["forms"]', f'inputs = ["s3://{BUCKET}/demo/forms/"]')
    (remote / "fineprep.toml").write_text(config)
    there = _cli(proxy, "run", "--config", str(remote / "fineprep.toml"))
    assert here.code == there.code == 0, there.out + there.err
    for name in ("train.jsonl", "validation.jsonl"):
        got = (remote / "out" / "split" / name).read_bytes()
        assert got == (tmp_path / "local" / "out" / "split" / name).read_bytes()
    sources = _sources(remote / "out" / "split" / "train.meta.jsonl")
    assert all(s.startswith(f"s3://{BUCKET}/demo/") for s in sources)
    _no_temp_paths(there.out, there.err, "\n".join(sources))


def test_a_cluster_partition_reads_the_planned_version(aws: FaultProxy) -> None:
    """A split partition on a worker reads its byte range from S3 (no local copy there), and
    only while the object is the version that was planned."""
    from fineprep.engines.partitions import ByteRange
    from fineprep.io.aws import AwsOptions
    from fineprep.io.staging import StagedDataset
    from fineprep.stages.split.partitions import ScanTask, scan_partition

    s3 = make_bucket(aws.url, BUCKET)
    rows = [json.dumps({"prompt": f"q{i}", "completion": "a"}) + "\n" for i in range(6)]
    s3.put_object(Bucket=BUCKET, Key="p/data.jsonl", Body="".join(rows))
    opts = AwsOptions(endpoint_url=aws.url)
    with StagedDataset(f"s3://{BUCKET}/p/data.jsonl", opts) as staged:
        origin = staged.origin
    assert origin is not None and origin.etag and origin.sidecar is None
    start = len(rows[0]) + len(rows[1])
    task = ScanTask("/nonexistent/data.jsonl", ByteRange(start, start + len(rows[2]) * 2, 3),
                    None, None, False, None, None, "prompt-completion", "completion", None,
                    None, None, origin)  # fmt: skip
    part = scan_partition(task)
    assert part.error is None and part.scan.records == 2
    s3.put_object(Bucket=BUCKET, Key="p/data.jsonl", Body="".join(rows[::-1]))
    changed = scan_partition(task)
    assert changed.error is not None
    assert changed.error[0] == f"s3://{BUCKET}/p/data.jsonl: changed while it was read"


def test_a_check_partition_reads_the_planned_version(
    aws: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An object replaced after it was cut into ranges would be read at the old offsets (cut
    records, shifted lines): every range read is pinned to the measured version, so the
    check stops with a clear error instead."""
    import fineprep.stages.check.partition as partition
    from fineprep.api import check
    from fineprep.core.errors import InputError
    from fineprep.engines.base import resolve_into

    s3 = make_bucket(aws.url, BUCKET)
    rows = [json.dumps({"prompt": f"q{i}", "completion": f"a{i}"}) + "\n" for i in range(40)]
    s3.put_object(Bucket=BUCKET, Key="p/data.jsonl", Body="".join(rows))
    cut = partition.jsonl_ranges

    def replaced_after_the_cut(*args: Any, **kwargs: Any) -> Any:
        ranges = cut(*args, **kwargs)
        body = "".join(r.replace("\n", "\r\n") for r in rows)
        s3.put_object(Bucket=BUCKET, Key="p/data.jsonl", Body=body)
        return ranges

    monkeypatch.setattr(partition, "jsonl_ranges", replaced_after_the_cut)
    for key, value in aws_env(aws.url).items():
        monkeypatch.setenv(key, value)
    from fineprep.core.config import load_settings

    settings = load_settings(isolated=True)
    settings.model = "llama3-1-8b"
    section = {"min-bytes": 1, "partition-bytes": 1}
    settings.sections["engine"] = resolve_into(section, jobs=2, engine="processes")
    with pytest.raises(InputError, match="changed while it was read"):
        check(f"s3://{BUCKET}/p/data.jsonl", settings=settings)


def test_check_reads_the_sidecar_beside_an_object(
    lake: tuple[FaultProxy, Any], tmp_path: Path
) -> None:
    """The same report from S3 as from the local pair: source rows, and S009 for a sidecar
    that ends before the data, come from the sidecar object beside the data object."""
    proxy, s3 = lake
    rows = [json.dumps({"prompt": f"q{i}", "completion": f" a{i}"}) for i in range(6)]
    metas = [json.dumps({"source": f"doc{i}"}) for i in range(5)]  # one line short
    data = "\n".join(rows) + "\n"
    meta = "\n".join(metas) + "\n"
    (tmp_path / "d.jsonl").write_text(data)
    (tmp_path / "d.meta.jsonl").write_text(meta)
    s3.put_object(Bucket=BUCKET, Key="side/d.jsonl", Body=data)
    s3.put_object(Bucket=BUCKET, Key="side/d.meta.jsonl", Body=meta)
    reports = []
    for path in (str(tmp_path / "d.jsonl"), f"s3://{BUCKET}/side/d.jsonl"):
        run = _cli(proxy, "check", path, "-m", "llama3-1-8b", "--isolated", "--select", "L003,S009",
                   "--output-format", "json")  # fmt: skip
        findings = json.loads(run.out)["findings"]
        reports.append([(f["code"], f["line"], f["source"]) for f in findings])
    assert reports[0] == reports[1]
    assert ("L003", 1, "doc0") in reports[1] and any(code == "S009" for code, *_ in reports[1])
