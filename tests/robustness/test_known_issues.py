"""Regression tests for robustness problems the corpus, the fuzzers and the load tests found.

Each test states the behaviour the contract asks for. A newly found problem gets its test here
marked ``xfail(strict=True)`` (and an entry in ``test_corpus.KNOWN``) until it is fixed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.robustness.conftest import run_cli


def _convert(tmp_path: Path, source: Path, *args: str) -> tuple[int, list[str]]:
    out = tmp_path / "out" / "out.jsonl"
    outcome = run_cli(["convert", str(source), "-o", str(out), "--isolated", *args])
    assert not outcome.timed_out and outcome.code >= 0
    assert "Traceback" not in outcome.err
    return outcome.code, outcome.err_lines


def test_deep_row_is_rejected(tmp_path: Path) -> None:
    source = tmp_path / "deep.jsonl"
    source.write_bytes(b'{"prompt": ' + b"[" * 300 + b"]" * 300 + b', "completion": "x"}\n')
    code, lines = _convert(tmp_path, source, "--to", "prompt-completion")
    assert not any("internal error" in line for line in lines), lines
    assert code == 2 and lines[-1].startswith("fineprep: error: nothing converted")


def test_unreadable_parquet_error_is_one_line(tmp_path: Path) -> None:
    source = tmp_path / "bad.parquet"
    source.write_bytes(b"PAR1" + bytes(range(200)) + b"\x10\x00\x00\x00PAR1")
    code, lines = _convert(tmp_path, source, "--to", "prompt-completion")
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith("fineprep: error: ") and str(source) in lines[0]


def test_empty_input_error_names_the_file(tmp_path: Path) -> None:
    source = tmp_path / "empty.csv"
    source.write_bytes(b"title,body,label\n")
    code, lines = _convert(tmp_path, source, "--to", "prompt-completion")
    assert code == 2 and lines[-1].startswith("fineprep: error: ")
    assert source.name in lines[-1]


def _huge_record(tmp_path: Path, text: bytes = b"word " * 10_000_000) -> Path:
    """One 50 MB record: words, or one unbroken blob (say, base64 pasted into a prompt)."""
    source = tmp_path / "train.jsonl"
    source.write_bytes(b'{"prompt": "' + text + b'", "completion": "x"}\n')
    return source


def _peak_mib(args: list[str]) -> float:
    outcome = run_cli(["check", "--no-cache", "--isolated", *args], timeout=300, measure=True)
    assert outcome.code in (0, 1), outcome.err
    return outcome.maxrss_kb / 1024


@pytest.mark.slow
def test_one_huge_record_stays_under_1gb(tmp_path: Path) -> None:
    """The default check holds a 50 MB record a few times over, not forty."""
    peak = _peak_mib([str(_huge_record(tmp_path))])
    assert peak < 1000, f"peak RSS {peak:.0f} MiB"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("option", "text"),
    [(["-m", "titan-text-express"], b"QUJD" * 12_500_000), (["--select", "D003"], None)],
    ids=["tokens-of-a-blob", "near-duplicates"],
)
def test_one_huge_record_stays_under_1gb_with(
    tmp_path: Path, option: list[str], text: bytes | None
) -> None:
    source = _huge_record(tmp_path, text) if text else _huge_record(tmp_path)
    peak = _peak_mib([*option, str(source)])
    assert peak < 1000, f"peak RSS {peak:.0f} MiB"


def _short_records(path: Path, n: int) -> None:
    words = "parcel late box crushed refund month agent friendly quick order billing".split()
    line = (
        '{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"user","content":'
        '[{"text":"Ticket %d: %s"}]},{"role":"assistant","content":[{"text":"%s"}]}]}\n'
    )
    with path.open("w") as fh:
        for start in range(0, n, 50_000):
            fh.write(
                "".join(
                    line % (i, " ".join(words[(i * k) % 11] for k in range(1, 16)), words[i % 11])
                    for i in range(start, min(n, start + 50_000))
                )
            )


@pytest.mark.slow
def test_split_leak_state_is_not_kept_without_a_validation_file(tmp_path: Path) -> None:
    rss = {}
    for n in (60_000, 600_000):
        source = tmp_path / f"train-{n}.jsonl"
        _short_records(source, n)
        args = ["check", "--no-cache", "--isolated", "--select", "D004", str(source)]
        outcome = run_cli(args, timeout=300, measure=True)
        assert outcome.code == 0, outcome.err
        rss[n] = outcome.maxrss_kb * 1024  # D004 cannot fire without a validation file
    per_record = (rss[600_000] - rss[60_000]) / 540_000
    assert per_record < 64, f"{per_record:.0f} bytes per record for a check that cannot fire"
