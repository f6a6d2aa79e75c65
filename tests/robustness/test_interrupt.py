"""SIGKILL at random points: no half-written file at a final path, and a rerun finishes the job.

Each command runs once uninterrupted (the reference), then five times killed after a random
delay from a seeded generator (so a failure replays), then once more to completion. After every
kill each final path is absent or complete: byte-identical to the reference where the
reference is reproducible (run twice to find out), and at least parseable where it carries a
time (a report, a manifest). Temporary files of killed runs may remain (nothing can remove
them after SIGKILL); they never sit at a final path.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from tests.conftest import needs_tokenizer
from tests.robustness.conftest import (
    kill,
    reap,
    require_command,
    run_cli,
    start_cli,
    write_dataset,
)

KILLS = 5


def final_files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` that is not a temporary file, an output's lock (``.NAME.lock``,
    empty, left by a killed run and taken over by the next) or a split's journal of files in
    play (``.split.json.pending``, read and removed by the next run), by relative path."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
        and not p.name.endswith(".tmp")
        and not (p.name.startswith(".") and p.name.endswith((".lock", ".pending")))
    }


def complete(name: str, data: bytes) -> bool:
    """Whether a file whose bytes vary between runs is at least whole."""
    if name.endswith(".html"):
        return data.rstrip().endswith(b"</html>")
    if name.endswith(".json"):
        orjson.loads(data)
        return True
    if name.endswith(".jsonl"):
        return data.endswith(b"\n") and all(orjson.loads(x) is not None for x in data.splitlines())
    return True


class Reference:
    """The outputs of an uninterrupted run (made twice, to tell stable files from timed ones)."""

    def __init__(self, make: Callable[[Path], float], tmp: Path, outputs: str) -> None:
        first, second = tmp / "ref1", tmp / "ref2"
        self.seconds = make(first)
        make(second)
        self.outputs = outputs
        self.files = final_files(first / outputs)
        again = final_files(second / outputs)
        assert set(self.files) == set(again)
        self.stable = {k for k, v in self.files.items() if again[k] == v}
        assert self.files, "the reference run wrote nothing"

    def assert_no_partial(self, root: Path, when: str) -> None:
        for name, data in final_files(root / self.outputs).items():
            assert name in self.files, f"{when}: unexpected file {name}"
            if name in self.stable:
                assert data == self.files[name], f"{when}: {name} differs from the reference"
            else:
                assert complete(name, data), f"{when}: {name} is not complete"

    def assert_same(self, root: Path) -> None:
        now = final_files(root / self.outputs)
        assert set(now) == set(self.files)
        for name in self.stable:
            assert now[name] == self.files[name], f"rerun: {name} differs from the reference"


def interrupt(
    args: list[str],
    work: Path,
    ref: Reference,
    seed: int,
    env: dict[str, str] | None = None,
    check: Callable[[str], None] | None = None,
) -> list[float]:
    """Kill ``args`` KILLS times at random points, checking the outputs after each kill; then
    run it to completion and compare with the reference."""
    rng = random.Random(seed)
    delays = []
    for k in range(KILLS):
        proc = start_cli(args, cwd=work, env=env)
        delay = rng.uniform(0.05, ref.seconds * 1.1)
        delays.append(round(delay, 2))
        time.sleep(delay)
        kill(proc)
        reap(proc, 60)
        when = f"after kill {k + 1} at {delay:.2f} s"
        ref.assert_no_partial(work, when)
        if check:
            check(when)
    leftovers = [p.name for p in work.rglob("*.tmp")]
    print(f"{args[0]}: reference {ref.seconds:.2f} s, killed at {delays}; ", end="")
    print(f"{len(leftovers)} temporary files left")
    final = run_cli(args, cwd=work, env=env, timeout=300)
    assert final.code in (0, 1), final.err
    ref.assert_same(work)
    return delays


# --------------------------------------------------------------------------------- convert


def write_tickets(path: Path, rows: int, *, blanks: bool = True) -> None:
    """Support tickets; with ``blanks`` every fourth has no category."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(["ticket_id", "category", "customer_message", "agent_reply"])
    cats = ["billing", "account", "shipping", "" if blanks else "billing"]
    for i in range(rows):
        message = f"Ticket {i}: order {i * 7 % 1000} arrived late and the box was damaged."
        out.writerow([f"T{i}", cats[i % 4], message, f"Sorry about order {i}; refund sent."])
    path.write_text(buf.getvalue())


#: A quarter of the rows have no category: those are rejected, so all three files appear.
CONVERT = ["convert", "tickets.csv", "-o", "out/train.jsonl", "--isolated", "--to",
           "prompt-completion", "--prompt", "customer_message", "--completion", "category",
           "--label", "category", "--id", "ticket_id"]  # fmt: skip


def test_convert_killed_at_random_points(tmp_path: Path) -> None:
    require_command("convert")

    def make(work: Path) -> float:
        work.mkdir()
        write_tickets(work / "tickets.csv", 150_000)
        outcome = run_cli(CONVERT, cwd=work, timeout=300)
        assert outcome.code == 1, outcome.err
        return outcome.seconds

    ref = Reference(make, tmp_path, "out")
    assert set(ref.files) == {
        "train.jsonl",
        "train.meta.jsonl",
        "train.rejects.jsonl",
        "train.set.json",
    }
    assert ref.stable == set(ref.files)
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(tmp_path / "ref1" / "tickets.csv", work / "tickets.csv")
    interrupt(CONVERT, work, ref, seed=11)


# ----------------------------------------------------------------------------------- split


SPLIT = ["split", "data.jsonl", "-o", "out", "--validation", "0.1", "--test", "0.1",
         "--stratify", "label", "--seed", "3", "--isolated"]  # fmt: skip


def test_split_killed_at_random_points(tmp_path: Path) -> None:
    require_command("split")

    def make(work: Path) -> float:
        write_dataset(work, 25_000)
        outcome = run_cli(SPLIT, cwd=work, timeout=300)
        assert outcome.code in (0, 1), outcome.err
        return outcome.seconds

    ref = Reference(make, tmp_path, "out")
    assert {"train.jsonl", "validation.jsonl", "test.jsonl", "split.json"} <= set(ref.files)
    work = tmp_path / "work"
    write_dataset(work, 25_000)
    interrupt(SPLIT, work, ref, seed=12)


# ------------------------------------------------------------------------------------- run

RUN_CONFIG = """model = "nova-lite"
[convert]
to = "conversation"
system = "You are a concise, friendly support agent."
[[convert.sources]]
inputs = ["tickets.csv"]
prompt = "{{ customer_message }}"
completion = "{{ agent_reply }}"
label = "category"
id = "ticket_id"
[split]
validation = 0.2
stratify = "label"
seed = 0
[run]
output-dir = "out"
"""


@needs_tokenizer
def test_run_killed_at_random_points(tmp_path: Path) -> None:
    require_command("run")

    def setup(work: Path) -> None:
        work.mkdir()
        write_tickets(work / "tickets.csv", 6_000, blanks=False)
        (work / "fineprep.toml").write_text(RUN_CONFIG)

    def make(work: Path) -> float:
        setup(work)
        outcome = run_cli(["run"], cwd=work, timeout=300)
        assert outcome.code in (0, 1), outcome.out + outcome.err
        return outcome.seconds

    ref = Reference(make, tmp_path, "out")
    assert "dataset.jsonl" in ref.files and "report.html" in ref.files
    work = tmp_path / "work"
    setup(work)
    interrupt(["run"], work, ref, seed=13)


# ---------------------------------------------------------------------------------- upload


def bucket_objects(client: Any, bucket: str) -> dict[str, bytes]:
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


def test_upload_killed_at_random_points(tmp_path: Path, s3: Any) -> None:
    """No object is ever half there (each one is the whole local file); a manifest, local or
    in S3, appears only when every object it lists is stored; the rerun completes."""
    require_command("upload")
    server, url = s3
    env = {**server.aws_env(), "FINEPREP_NO_CACHE": "1"}

    def args(bucket: str) -> list[str]:
        return ["upload", "data", "--to", f"s3://{bucket}/runs/r1/", "-m", "nova-lite",
                "--endpoint-url", url, "--multipart-threshold", "5MiB", "--part-size", "5MiB",
                "--concurrency", "1", "--select", "P,S", "--isolated", "-q"]  # fmt: skip

    def setup(work: Path) -> None:
        write_dataset(work / "data", 12_000, chars=6000)
        (work / "data" / "data.jsonl").rename(work / "data" / "train.jsonl")
        (work / "data" / "data.meta.jsonl").rename(work / "data" / "train.meta.jsonl")

    def make(work: Path) -> float:
        setup(work)
        server.make_bucket(url, work.name)
        outcome = run_cli(args(work.name), cwd=work, env=env, timeout=300)
        assert outcome.code == 0, outcome.err
        return outcome.seconds

    ref = Reference(make, tmp_path, "data")
    assert {"manifest.json", "job-request.json"} <= set(ref.files)
    work = tmp_path / "work"
    setup(work)
    client = server.make_bucket(url, "work")
    local = {p.name: p.read_bytes() for p in (work / "data").iterdir()}

    seen: list[str] = []

    def consistent(when: str) -> None:
        stored = bucket_objects(client, "work")
        pending = len(client.list_multipart_uploads(Bucket="work").get("Uploads", []))
        manifest = " + manifest" if "runs/r1/manifest.json" in stored else ""
        seen.append(f"{len(stored)} objects{manifest}, {pending} unfinished multipart")
        for key, body in stored.items():
            name = key.removeprefix("runs/r1/")
            if name != "manifest.json":
                assert body == local[name], f"{when}: {key} is not the whole local file"
        manifests = [stored.get("runs/r1/manifest.json")]
        if (work / "data" / "manifest.json").exists():
            manifests.append((work / "data" / "manifest.json").read_bytes())
        for data in filter(None, manifests):
            for entry in orjson.loads(data)["files"]:
                key = entry["uri"].removeprefix("s3://work/")
                assert key in stored, f"{when}: the manifest lists {key}, which is not stored"
                assert hashlib.sha256(stored[key]).hexdigest() == entry["sha256"]

    interrupt(args("work"), work, ref, seed=14, env=env, check=consistent)
    consistent("after the rerun")
    print(f"upload: S3 after each kill and the rerun: {seen}")
    assert "runs/r1/manifest.json" in bucket_objects(client, "work")
