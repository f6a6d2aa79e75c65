"""The split's copy pass reads blocks and writes each split's lines as joined chunks; its files
must be byte for byte what copying line by line gives (CR LF and a last line without a newline,
blank lines, a byte-order mark, lines longer than a block, a sidecar shorter than the data or
none at all), and a file that changed between the passes must still be refused."""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fineprep.core.errors import InputError
from fineprep.core.model import RecordMeta
from fineprep.io.jsonl import BOM, strip_line
from fineprep.stages.split import write
from fineprep.stages.split.assign import DROPPED, SPLITS
from fineprep.stages.split.scan import Scan


def _terminated(physical: bytes) -> bytes:
    if physical[-1:] == b"\n" and physical[-2:-1] != b"\r":
        return physical
    return strip_line(physical) + b"\n"


def _line_by_line(
    data: bytes, sidecar: bytes | None, targets: list[str], bom: bool
) -> dict[str, tuple[bytes, bytes]]:
    """What each output holds when the input is copied one physical line at a time."""
    out: dict[str, tuple[list[bytes], list[bytes]]] = {}
    side = _physical(sidecar) if sidecar is not None else []
    for index, line in enumerate(_physical(data)):
        target = targets[index]
        side_line = side[index] if index < len(side) else b""
        if target == DROPPED:
            continue
        text = _terminated(line)
        if index == 0 and bom:
            text = text[len(BOM) :]
        lines, metas = out.setdefault(target, ([], []))
        lines.append(text)
        if sidecar is not None:
            metas.append(_terminated(side_line))
        else:
            source = RecordMeta(source=f"in.jsonl:line {index + 1}").to_dict()
            metas.append(orjson.dumps(source) + b"\n")
    return {name: (b"".join(a), b"".join(b)) for name, (a, b) in out.items()}


def _physical(data: bytes) -> list[bytes]:
    """Physical lines as binary file iteration gives them (split after each LF only)."""
    parts = data.split(b"\n")
    lines = [p + b"\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


_PIECES = [b"{}", b'{"a": 1}', b"", b"\r", b"x\r", b"\xc3\xa9", b"y" * 40]


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(st.lists(st.sampled_from(_PIECES), max_size=4).map(b"".join), min_size=1),
    endings=st.data(),
    block=st.integers(1, 64),
    bom=st.booleans(),
    sidecar=st.one_of(st.none(), st.integers(0, 3)),
)
def test_blocks_write_what_copying_line_by_line_writes(
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[bytes],
    endings: st.DataObject,
    block: int,
    bom: bool,
    sidecar: int | None,
) -> None:
    ends = [endings.draw(st.sampled_from([b"\n", b"\r\n"])) for _ in lines]
    last_open = endings.draw(st.booleans())
    data = (BOM if bom else b"") + b"".join(
        line + end for line, end in zip(lines, ends, strict=True)
    )
    if last_open:
        data = data[: -len(ends[-1])] if lines[-1] or len(lines) > 1 else data
    count = len(_physical(data))
    if count == 0:
        return
    targets = [endings.draw(st.sampled_from([*SPLITS, DROPPED])) for _ in range(count)]
    if all(t == DROPPED for t in targets):
        targets[0] = SPLITS[0]
    folder = tmp_path_factory.mktemp("w")
    source = folder / "in.jsonl"
    source.write_bytes(data)
    side_bytes: bytes | None = None
    side_path: Path | None = None
    if sidecar is not None:
        # Shorter than the data (sidecar 0), as long, or longer; CR LF on some lines.
        n = max(0, count - 1) if sidecar == 0 else count + sidecar - 1
        rows = [b'{"source": "r%d"}' % k + (b"\r\n" if k % 3 == 1 else b"\n") for k in range(n)]
        side_bytes = b"".join(rows)
        if sidecar == 3 and side_bytes:
            side_bytes = side_bytes.rstrip(b"\r\n")  # its last line unterminated
        side_path = folder / "in.meta.jsonl"
        side_path.write_bytes(side_bytes)
    scan = Scan(str(source), side_path, sha256=hashlib.sha256(data).hexdigest(), bom=bom)
    out_dir = folder / "out"
    out_dir.mkdir()
    saved = write._BLOCK
    write._BLOCK = block
    try:
        outputs = write.write_splits(scan, targets, out_dir)
    finally:
        write._BLOCK = saved
    expect = _line_by_line(data, side_bytes, targets, bom)
    assert set(outputs) == set(expect)
    for name, (want_data, want_meta) in expect.items():
        out = outputs[name]
        assert out.path.read_bytes() == want_data
        assert out.sidecar.read_bytes() == want_meta
        assert out.records == want_data.count(b"\n")
        assert out.bytes == len(want_data)
        assert out.sha256 == hashlib.sha256(want_data).hexdigest()
        assert out.sidecar_sha256 == hashlib.sha256(want_meta).hexdigest()


def test_a_file_that_changed_between_the_passes_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"{}\n{}\n{}\n")
    scan = Scan(str(source), None, sha256=hashlib.sha256(b"{}\n{}\n").hexdigest())
    with pytest.raises(InputError, match="more lines than before"):
        write.write_splits(scan, ["train", "train"], tmp_path)
    scan = Scan(str(source), None, sha256=hashlib.sha256(b"{}\n{}\n{}\n").hexdigest())
    source.write_bytes(b"{}\n{}\n[]\n")
    with pytest.raises(InputError, match="changed while splitting"):
        write.write_splits(scan, ["train", "train", "train"], tmp_path)
