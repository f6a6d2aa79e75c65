"""Encoding and delimiter detection for delimited text sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from fineprep.core.errors import ConfigError, InputError
from fineprep.stages.convert.sources.encoding import (
    SAMPLE_BYTES,
    check_codec,
    detect_encoding,
    parse_delimiter,
    sniff_delimiter,
)
from tests.conftest import FIXTURES


def _file(tmp_path: Path, data: bytes, name: str = "t.csv") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_plain_utf8(tmp_path: Path) -> None:
    assert detect_encoding(_file(tmp_path, "a,b\n1,é\n".encode())).encoding == "utf-8"


def test_bom_decides(tmp_path: Path) -> None:
    found = detect_encoding(_file(tmp_path, b"\xef\xbb\xbfa,b\n1,2\n"))
    assert found.encoding == "utf-8-sig"
    assert "byte-order mark" in found.reason
    utf16 = "a,b\n1,2\n".encode("utf-16")
    assert detect_encoding(_file(tmp_path, utf16, "u16.csv")).encoding == "utf-16"


ENCODINGS = FIXTURES / "convert" / "tabular" / "encodings"


@pytest.mark.parametrize(
    ("name", "codecs_ok"),
    [
        ("reviews-gb18030.csv", {"gb18030"}),
        ("reviews-big5.csv", {"big5", "big5hkscs", "cp950"}),
        ("reviews-shift_jis.csv", {"shift_jis", "cp932", "shift_jis_2004"}),
        ("reviews-euc_kr.csv", {"euc_kr", "cp949"}),
        ("reviews-cp1251.csv", {"cp1251"}),
        ("reviews-koi8_r.csv", {"koi8_r"}),
    ],
)
def test_legacy_cjk_and_cyrillic_encodings_are_detected(name: str, codecs_ok: set[str]) -> None:
    path = ENCODINGS / name
    found = detect_encoding(str(path))
    assert found.encoding in codecs_ok
    assert found.reason.startswith("not UTF-8 (byte 0x")
    encoding = name.removeprefix("reviews-").removesuffix(".csv")
    assert path.read_bytes().decode(found.encoding) == path.read_bytes().decode(encoding)


def test_an_unclear_detection_is_refused_naming_the_first_bad_byte(tmp_path: Path) -> None:
    data = "name\ncafé “x” très\n".encode("cp1252")
    with pytest.raises(InputError) as caught:
        detect_encoding(_file(tmp_path, data))
    message = str(caught.value)
    assert f"byte 0xE9 at offset {data.index(0xE9)}" in message
    assert "cannot tell its encoding" in message and "pass --encoding" in message


def test_bytes_no_encoding_reads_clearly_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="pass --encoding"):
        detect_encoding(_file(tmp_path, b"name\nab\x81\xe9\n"))


def test_the_whole_stream_is_checked_not_only_the_sample(tmp_path: Path) -> None:
    head = b"a,b\n" + b"x,y\n" * ((SAMPLE_BYTES + 4096) // 4)
    tail = "\n".join(["1,Очень вкусно, персонал вежливый, обязательно придём ещё."] * 5)
    found = detect_encoding(_file(tmp_path, head + tail.encode("cp1251") + b"\n"))
    assert found.encoding == "cp1251"
    assert f"offset {len(head) + 2}" in found.reason


def test_a_candidate_must_decode_the_whole_file(tmp_path: Path) -> None:
    # The sample the detector sees is cp1251; a byte cp1251 leaves undefined comes later.
    from fineprep.stages.convert.sources.encoding import DETECT_BYTES

    line = "1,Очень вкусно, персонал вежливый, обязательно придём ещё.\n".encode("cp1251")
    body = line * (DETECT_BYTES // len(line) + 10) + b"\x98\n"
    with pytest.raises(InputError, match=r"no text encoding reads it cleanly|cannot tell"):
        detect_encoding(_file(tmp_path, body))


def test_a_character_split_across_read_chunks_is_still_utf8(tmp_path: Path) -> None:
    data = b"a" * (1024 * 1024 - 1) + "é\n".encode()
    assert detect_encoding(_file(tmp_path, data)).encoding == "utf-8"


def test_nul_bytes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"t\.csv: contains NUL bytes"):
        detect_encoding(_file(tmp_path, b"a,b\n\x00\x01\x02\n"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot open"):
        detect_encoding(str(tmp_path / "nope.csv"))


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("a,b,c\n1,2,3\n4,5,6\n", ","),
        ("a;b;c\n1,5;2,5;3\n4,0;5,0;6\n", ";"),
        ("a\tb\n1\t2, 3\n", "\t"),
        ("a|b\nx, y|z\n", "|"),
        ('title,body\n"a; b",c\n"d; e",f\n', ","),
        ("only\none\ncolumn\n", ","),
    ],
)
def test_sniff_delimiter(sample: str, expected: str) -> None:
    assert sniff_delimiter(sample) == expected


def test_sniff_prefers_the_default_on_ties_and_ignores_a_cut_last_line() -> None:
    assert sniff_delimiter("single\nvalues\n", "\t") == "\t"
    # The sample ends mid-row: that row must not count against the comma.
    assert sniff_delimiter("a,b,c\n1,2,3\n4,5") == ","


def test_parse_delimiter_and_codec() -> None:
    assert parse_delimiter("tab") == "\t"
    assert parse_delimiter("\\t") == "\t"
    assert parse_delimiter(";") == ";"
    with pytest.raises(ConfigError, match="one character"):
        parse_delimiter(",,")
    assert check_codec("latin1") == "iso8859-1"
    with pytest.raises(ConfigError, match="unknown encoding 'utf-9'"):
        check_codec("utf-9")


@pytest.mark.parametrize(
    "name", ["utf-16", "utf-32", "rot13", "hex", "base64", "zlib", "punycode", "idna", "nonesuch"]
)
def test_every_encoding_a_user_may_type_is_a_clear_error(tmp_path: Path, name: str) -> None:
    import subprocess
    import sys

    source = tmp_path / "t.csv"
    source.write_text("prompt,completion\nhello,world\n")
    proc = subprocess.run(
        [sys.executable, "-m", "fineprep", "convert", str(source), "-o", str(tmp_path / "o.jsonl"),
         "--isolated", "--encoding", name, "--to", "prompt-completion"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fineprep: error: ")
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr


def test_a_broken_utf16_byte_order_mark_is_a_clear_error(tmp_path: Path) -> None:
    from fineprep.api import convert
    from fineprep.core.errors import InputError

    source = tmp_path / "t.csv"
    source.write_bytes(b"\xff\xfep\x00r\x00\n")  # a BOM, then half a character
    with pytest.raises(InputError, match="cannot be decoded as utf-16"):
        convert(source, output=tmp_path / "o.jsonl", to="prompt-completion", isolated=True)
