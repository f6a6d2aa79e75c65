"""Load: `check` on 2 GB of JSONL and `convert` on 5 million rows, with flat memory.

Both big runs start together (two processes, so the slow test costs the longer of the two) and
each is compared with the same command on a tenth of the input. Peak RSS comes from
``os.wait4`` for exactly that process.

`check` (default selection) keeps compact per-record state for exact duplicates (D001/D002: a
few 64-bit hashes per record), so its bound is "no more than 256 bytes per extra record,
whatever the record's size". The opt-in near-duplicate check D003 keeps a MinHash signature
per record by design and is not part of this bound.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.robustness.conftest import reap, start_cli

pytestmark = pytest.mark.slow

MIB = 1024 * 1024
RSS_BOUND_MIB = 400
CHECK_BYTES = 2 * 1024 * MIB
CONVERT_ROWS = 5_000_000
WORDS = (
    "the parcel arrived two weeks late and the box was crushed so I asked for a refund which "
    "took a month to arrive although the support agent was friendly and answered quickly"
).split()


def write_jsonl(path: Path, target_bytes: int) -> int:
    """Distinct conversation records of ~4 KB built from a few paragraphs; returns the count."""
    rng = random.Random(5)
    paragraphs = [" ".join(rng.choice(WORDS) for _ in range(330)) for _ in range(16)]
    head = '{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"user","content":'
    line = (
        head + '[{"text":"Ticket %d. %s"}]},{"role":"assistant","content":[{"text":"%s %d"}]}]}\n'
    )
    count = written = 0
    with path.open("w", encoding="utf-8") as fh:
        while written < target_bytes:
            chunk = "".join(
                line % (count + k, paragraphs[(count + k) % 16], paragraphs[(count + k) % 13], k)
                for k in range(2000)
            )
            fh.write(chunk)
            written += len(chunk)
            count += 2000
    return count


def write_csv(path: Path, rows: int) -> None:
    reviews = [
        'Late parcel %d,"The parcel arrived two weeks late, and the box was crushed.",negative\n',
        'Great value %d,"Tastes ""just like"" homemade; would buy again.",positive\n',
        "It is fine %d,Nothing special and nothing wrong.,neutral\n",
    ]
    with path.open("w", encoding="utf-8") as fh:
        fh.write("title,body,label\n")
        for start in range(0, rows, 100_000):
            fh.write("".join(reviews[i % 3] % i for i in range(start, min(rows, start + 100_000))))


CHECK = ["check", "--no-cache", "--isolated", "-m", "nova-lite", "-q"]
CONVERT = ["convert", "--isolated", "--to", "prompt-completion", "--prompt",
           "{{ title }}: {{ body }}", "--completion", "label", "--label", "label"]  # fmt: skip


@dataclass
class Measured:
    code: int
    rss_mib: float
    units: int


@pytest.fixture(scope="module")
def load_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Measured]]:
    """Small runs one after the other, then both big runs at once."""
    root = tmp_path_factory.mktemp("load")
    if shutil.disk_usage(root).free < 6 * 1024 * MIB:
        pytest.skip("needs 6 GB of free disk space")
    small_jsonl, big_jsonl = root / "small.jsonl", root / "big.jsonl"
    small_csv, big_csv = root / "small.csv", root / "big.csv"
    counts = {
        "check-small": write_jsonl(small_jsonl, CHECK_BYTES // 10),
        "check-big": write_jsonl(big_jsonl, CHECK_BYTES),
        "convert-small": CONVERT_ROWS // 10,
        "convert-big": CONVERT_ROWS,
    }
    write_csv(small_csv, CONVERT_ROWS // 10)
    write_csv(big_csv, CONVERT_ROWS)
    args = {
        "check-small": [*CHECK, str(small_jsonl)],
        "convert-small": [*CONVERT, str(small_csv), "-o", str(root / "s" / "out.jsonl")],
        "check-big": [*CHECK, str(big_jsonl)],
        "convert-big": [*CONVERT, str(big_csv), "-o", str(root / "b" / "out.jsonl")],
    }
    results: dict[str, Measured] = {}
    rss_file = {name: root / f"{name}.rss" for name in args}
    for name in ("check-small", "convert-small"):
        code, rss, timed_out = reap(
            start_cli(args[name], measure=rss_file[name]), 300, rss_file[name]
        )
        assert not timed_out
        results[name] = Measured(code, rss / 1024, counts[name])
    big = ("check-big", "convert-big")
    procs = {name: start_cli(args[name], measure=rss_file[name]) for name in big}
    for name, proc in procs.items():
        code, rss, timed_out = reap(proc, 600, rss_file[name])
        assert not timed_out, f"{name} did not finish in 10 minutes"
        results[name] = Measured(code, rss / 1024, counts[name])
    print({k: f"exit {v.code}, {v.rss_mib:.1f} MiB, {v.units:,} units" for k, v in results.items()})
    yield results
    shutil.rmtree(root, ignore_errors=True)


def test_check_2gb_with_flat_memory(load_runs: dict[str, Measured]) -> None:
    small, big = load_runs["check-small"], load_runs["check-big"]
    assert small.code == big.code == 1  # N002: more records than Nova Lite takes
    assert big.rss_mib < RSS_BOUND_MIB
    per_record = (big.rss_mib - small.rss_mib) * MIB / (big.units - small.units)
    assert per_record < 256, f"{per_record:.0f} bytes of memory per extra record"


def test_convert_5m_rows_with_flat_memory(load_runs: dict[str, Measured]) -> None:
    small, big = load_runs["convert-small"], load_runs["convert-big"]
    assert small.code == big.code == 0
    assert big.rss_mib < RSS_BOUND_MIB
    assert big.rss_mib < small.rss_mib * 1.25 + 30
