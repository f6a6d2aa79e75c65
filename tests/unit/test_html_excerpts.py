"""Record excerpts: only the wanted lines are read, values at JSON paths, masking, caps."""

from __future__ import annotations

import io
import json
from pathlib import Path

from fineprep.core.model import Finding, Location, Severity
from fineprep.report.excerpts import (
    EXCERPT_CHARS,
    collect,
    excerpt,
    mask,
    pick_lines,
    read_lines,
)


def test_pick_lines_stops_after_the_last_wanted_line() -> None:
    body = b"".join(b'{"n": %d}\n' % n for n in range(1, 1001))
    stream = io.BytesIO(body)
    lines = pick_lines(stream, {2, 5})
    assert lines == {2: b'{"n": 2}', 5: b'{"n": 5}'}
    assert stream.tell() < 200 < len(body)  # the other 995 lines were never read


def test_read_lines_strips_bom_and_crlf_and_tolerates_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}\r\n{"a": 2}\r\n')
    assert read_lines(path, {1, 2}) == {1: b'{"a": 1}', 2: b'{"a": 2}'}
    assert read_lines(tmp_path / "missing.jsonl", {1}) == {}
    assert read_lines(path, set()) == {}


def test_collect_reads_each_file_once_for_its_findings(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"a": 1}\n{"a": 2}\n{"a": 3}\n', encoding="utf-8")

    def f(p: str, line: int | None) -> Finding:
        return Finding("S001", "schema", Severity.ERROR, "m", Location(p, line))

    got = collect([f("d.jsonl", 3), f("d.jsonl", 1), f("<stdin>", 1), f("d.jsonl", None)], tmp_path)
    assert got == {("d.jsonl", 3): b'{"a": 3}', ("d.jsonl", 1): b'{"a": 1}'}


def test_excerpt_is_the_value_at_the_json_path() -> None:
    raw = b'{"messages": [{"role": "user", "content": [{"text": "hi"}]}], "a b": {"c\'d": 7}}'
    e = excerpt(raw, "$.messages[0].content[0].text", {})
    assert (e.text, e.of_value, e.truncated) == ("hi", True, False)
    assert excerpt(raw, "$['a b']['c\\'d']", {}).text == "7"
    assert excerpt(raw, "$.messages[0]", {}).text == '{"role":"user","content":[{"text":"hi"}]}'
    for missing in ("$.messages[3].x", "$.nope", "$.messages.role", "messages", "$..x"):
        e = excerpt(raw, missing, {})
        assert not e.of_value and e.text == raw.decode()


def test_invalid_lines_show_their_start_with_bad_bytes_replaced() -> None:
    e = excerpt(b'{"prompt": "caf\xe9', "$.prompt", {})
    assert e.text == '{"prompt": "caf\ufffd' and not e.of_value


def test_long_text_is_capped_and_centred_on_the_position() -> None:
    text = "a" * 1000 + "<HERE>" + "b" * 1000
    raw = ('{"prompt": "' + text + '"}').encode()
    e = excerpt(raw, "$.prompt", {"position": 1000})
    assert e.truncated and e.text.startswith("…") and e.text.endswith("…")
    assert "<HERE>" in e.text
    assert len(e.text) == EXCERPT_CHARS + 2
    e = excerpt(raw, "$.prompt", {})
    assert e.text == "a" * EXCERPT_CHARS + "…"


def test_control_characters_are_made_visible() -> None:
    e = excerpt(b'{"t": "a\\u0000b\\u001bc\\td"}', "$.t", {})
    assert e.text == "a\\x00b\\x1bc\td"


def test_credentials_and_personal_data_are_masked() -> None:
    text = (
        "key AKIAIOSFODNN7EXAMPLE mail jane.doe@example.com card 4111 1111 1111 1111 "
        "token ghp_" + "a" * 36
    )
    masked = mask(text)
    for secret in ("AKIAIOSFODNN7EXAMPLE", "jane.doe@example.com", "4111 1111 1111 1111"):
        assert secret not in masked
    assert "a" * 36 not in masked
    assert "AKIA" in masked  # enough is kept to find the value


def test_private_key_material_is_cut_out() -> None:
    body = "MIIEowIBAAKCAQEA" * 10
    text = f"x -----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY----- y"
    assert mask(text) == "x -----BEGIN RSA PRIVATE KEY----- [removed] y"
    raw = ('{"t": ' + json.dumps(text) + "}").encode()
    assert body[:20] not in excerpt(raw, "$.t", {}).text
    # An excerpt that would start inside a key's body shows nothing of it.
    long_key = "-----BEGIN PRIVATE KEY-----\n" + "Q" * 3000
    raw = ('{"t": ' + json.dumps(long_key) + "}").encode()
    e = excerpt(raw, "$.t", {"position": 2500})
    assert "Q" not in e.text


def test_a_secret_cut_by_the_window_edge_is_still_masked() -> None:
    text = "x" * (EXCERPT_CHARS - 11) + " AKIAIOSFODNN7EXAMPLE"
    raw = ('{"t": ' + json.dumps(text) + "}").encode()
    shown = excerpt(raw, "$.t", {}).text
    assert shown.endswith("AKIA******…")  # masked before the cut: no part of it leaks
    assert "IOSF" not in shown
