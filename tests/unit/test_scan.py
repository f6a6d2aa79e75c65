"""The one-pass literal scan never misses a hit of the precise patterns it guards."""

from __future__ import annotations

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from fineprep.stages.check.rules.content import _CONTROL, CONTROL_LITERALS
from fineprep.stages.check.rules.patterns import (
    MOJIBAKE,
    MOJIBAKE_LITERALS,
    PII,
    PII_LITERALS,
    PLACEHOLDER,
    PLACEHOLDER_LITERALS,
    SECRET,
    SECRET_LITERALS,
)
from fineprep.stages.check.scan import BACKENDS, LiteralScanner

FAMILIES = {
    "H001": (SECRET_LITERALS, SECRET),
    "H002": (PII_LITERALS, PII),
    "H003": (PLACEHOLDER_LITERALS, PLACEHOLDER),
    "H004": (MOJIBAKE_LITERALS, MOJIBAKE),
    "L004": (CONTROL_LITERALS, _CONTROL),
}
LITERALS = {tag: lits for tag, (lits, _) in FAMILIES.items()}
SCANNERS = [LiteralScanner(LITERALS, backend) for backend in BACKENDS]
EXAMPLES = [
    "AKIAIOSFODNN7EXAMPLE", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "-----BEGIN OPENSSH PRIVATE KEY-----", "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "Bearer abcdefghijklmnopqrstuvwx", "https://user:pa55word@host",
    "sk-ant-abcdefghijklmnopqrstuv",
    "AIzaSyA1234567890abcdefghijklmnopqrstuvw", "jane.doe@example.com", "(555) 867-5309",
    "+44 20 7946 0958", "123-45-6789", "4111111111111111", "4111 1111 1111 1111",
    "3782 822463 10005", "{{ name }}", "{% if x %}", "{Customer_Name}", "%(user)s", "${HOME}",
    "<INSERT TEXT>", "[Placeholder]", "cafÃ©", "donâ€™t", "\ufffd", "a\x00b", "\x1b[0m", "\x85",
    "\x7f", "AccountKey=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4==",
    "SharedAccessKey=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE=",
    "?sv=2022-11-02&sig=Zm9vYmFyYmF6cXV4Zm9v%2BYmFyYmF6cXV4Zm9vYmFyYmE%3D",
    "hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGhIj", "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "xapp-1-A0123456789-1234567890123-0123456789abcdef",
    "aws.secretKey=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "Secret-Access-Key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "redis://:s3cretPass@host",
]  # fmt: skip


def _line(text: str) -> bytes:
    return orjson.dumps({"prompt": text, "completion": "ok"})


def test_every_example_is_caught_by_its_family() -> None:
    for text in EXAMPLES:
        tags = {tag for tag, (_, pattern) in FAMILIES.items() if pattern.search(text)}
        assert tags, f"no pattern matches example {text!r}"
        for scanner in SCANNERS:
            assert tags <= scanner.scan(_line(text)), (scanner.backend, text)


def test_backends_agree_and_fold_case_and_digits() -> None:
    scanners = [LiteralScanner({"a": (b"Ab0-", b"\xc3\x83"), "b": (b"x",)}, b) for b in BACKENDS]
    for line in (b"aB7-", b"AB9-", b"ab-0", b"\xc3\x83", b"\xc3\xa3", b"X", b"", b"ab 7-"):
        answers = {s.backend: s.scan(line) for s in scanners}
        assert len(set(answers.values())) == 1, (line, answers)
    assert scanners[0].scan(b"zAB5-x") == frozenset({"a", "b"})
    assert scanners[0].scan(b"zab-") == frozenset()
    empty = [LiteralScanner({}, b) for b in BACKENDS]
    assert all(s.scan(b"anything") == frozenset() for s in empty)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("aA1 -.@{}%$()_+:/\\\n\tÃ©â€™\x00\x85"), max_size=40),
    st.sampled_from(EXAMPLES),
    st.text(max_size=20),
)
def test_scan_is_a_superset_of_pattern_hits(prefix: str, example: str, suffix: str) -> None:
    text = prefix + example + suffix
    line = _line(text)
    answers = [scanner.scan(line) for scanner in SCANNERS]
    assert all(a == answers[0] for a in answers), (text, answers)
    for tag, (_, pattern) in FAMILIES.items():
        if pattern.search(text):
            assert tag in answers[0], (tag, text)
