"""Patterns of the hygiene checks: a precise text pattern and a cheap byte prefilter per family.

Each ``*_prefilter`` is a necessary condition for its text pattern on a raw JSON line that
has no ``\\u``/``\\/`` escapes: it looks for a literal every real hit must contain. It is
deliberately loose (false hits only cost a decoded scan); a miss would hide a finding, and the
tests check every text example against its prefilter.

Prefilters are plain ``bytes in bytes`` tests, not regular expressions: CPython's ``re`` tries an
alternation at every position (about 30 us on a 2 KB line), while each substring test is a
single C-speed scan. On the check benchmark that is the difference between the scans costing
more than everything else together and costing less than parsing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SECRET = r"""
(?P<aws_access_key_id>\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b)
|(?P<aws_secret_access_key>(?i:aws[_.-]?secret[_.-]?(?:access[_.-]?)?key
    |secret[_.-]?(?:access[_.-]?)?key)["']?(?:\s*[:=]|[ \t])\s*["']?[A-Za-z0-9/+=]{40}
    (?![A-Za-z0-9/+=]))
|(?P<azure_key>(?i:AccountKey|SharedAccessKey|AccessKey)=[A-Za-z0-9+/]{40,100}={0,2})
|(?P<azure_sas>[?&;]sig=[A-Za-z0-9%+/]{40,}(?:%3[Dd]|=){0,2})
|(?P<private_key>-----BEGIN\ (?:[A-Z0-9]+\ )*PRIVATE\ KEY(?:\ BLOCK)?-----)
|(?P<github_token>\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}))
|(?P<gitlab_token>\bglpat-[A-Za-z0-9_-]{20,})
|(?P<slack_token>\bxox[abposre]-[A-Za-z0-9-]{10,}|\bxapp-\d-[A-Za-z0-9-]{10,})
|(?P<slack_webhook>https://hooks\.slack\.com/services/[A-Za-z0-9/_-]{20,})
|(?P<stripe_key>\b[sr]k_(?:live|test)_[A-Za-z0-9]{20,})
|(?P<huggingface_token>\b(?:hf_|api_org_)[A-Za-z0-9]{30,}\b)
|(?P<anthropic_key>\bsk-ant-[A-Za-z0-9_-]{20,})
|(?P<openai_key>\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,})
|(?P<google_api_key>\bAIza[0-9A-Za-z_-]{35})
|(?P<jwt>\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})
|(?P<bearer_token>\b[Bb]earer[ \t]+[A-Za-z0-9_~+/.-]{20,}=*)
|(?P<password_in_url>\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^\s:/@"']{0,64}:[^\s:/@"']{3,128}@)
"""
SECRET = re.compile(_SECRET, re.X | re.ASCII)
#: Per kind of secret, literals (before folding: see fineprep.stages.check.scan) every hit
#: contains. Each kind's own pattern runs only on lines where one of its literals occurs.
_SECRET_KIND_LITERALS: dict[str, tuple[bytes, ...]] = {
    "aws_access_key_id": (b"AKIA", b"ASIA", b"ABIA", b"ACCA"),
    "aws_secret_access_key": tuple(
        b"secret" + sep + word for sep in (b"", b"_", b".", b"-") for word in (b"access", b"key")
    ),
    "azure_key": (b"accountkey=", b"sharedaccesskey=", b"accesskey="),
    "azure_sas": (b"sig=",),
    "huggingface_token": (b"hf_", b"api_org_"),
    "private_key": (b"PRIVATE KEY",),
    "github_token": (b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_", b"github_pat_"),
    "gitlab_token": (b"glpat-",),
    "slack_token": (b"xox", b"xapp-"),
    "slack_webhook": (b"hooks.slack",),
    "stripe_key": (b"k_live_", b"k_test_"),
    "anthropic_key": (b"sk-ant-",),
    "openai_key": (b"sk-",),
    "google_api_key": (b"AIza",),
    "jwt": (b"eyJ",),
    "bearer_token": (b"earer",),
    "password_in_url": (b"@",),
}
SECRET_LITERALS = tuple(lit for lits in _SECRET_KIND_LITERALS.values() for lit in lits)


_PII = r"""
(?P<email>\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b)
|(?P<ssn>\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b)
|(?P<card>\b(?:4|5[1-5]|2[2-7]|3[47]|6(?:011|5))\d{11,17}\b)
|(?P<card_grouped>\b(?:4\d{3}|5[1-5]\d{2}|2[2-7]\d{2}|6011|65\d{2})(?P<sep>[ -])\d{4}(?P=sep)\d{4}
    (?P=sep)\d{4}\b)
|(?P<card_amex>\b3[47]\d{2}(?P<sep2>[ -])\d{6}(?P=sep2)\d{5}\b)
|(?P<phone>(?:(?<![\w+])\+\d{1,3}[ .-]?)?(?:\(\d{3}\)[ ]?|\b\d{3}[.-])\d{3}[.-]\d{4}\b
    |(?<![\w+])\+\d{1,3}[ .-]?\d{2,4}[ .-]\d{3,4}[ .-]\d{3,4}\b)
"""
PII = re.compile(_PII, re.X | re.ASCII)
_PII_KIND_LITERALS: dict[str, tuple[bytes, ...]] = {
    "email": (b"@",),
    "ssn": (b"00-0000",),
    "card": (b"0000000000000",),
    "card_grouped": (b"0000 0000 0000 0000", b"0000-0000-0000-0000"),
    "card_amex": (b"0000 000000 00000", b"0000-000000-00000"),
    "phone": (b"00-0000", b"00.0000", b"+0"),
}
PII_LITERALS = tuple(lit for lits in _PII_KIND_LITERALS.values() for lit in lits)


_PLACEHOLDER = r"""
\{\{[^{}\n]{1,80}\}\}
|\{%[^%\n]{0,80}%\}
|(?<![\w}^_$\\{])\{[A-Za-z_][A-Za-z0-9_]{0,40}\}(?!\})
|%\([A-Za-z_][A-Za-z0-9_]{0,40}\)[sdifr]
|\$\{[A-Za-z_][A-Za-z0-9_.]{0,40}\}
|(?i:<\s*insert[^>\n]{0,80}>|\[\s*insert[^\]\n]{0,80}\]|<\s*placeholder\s*>|\[\s*placeholder\s*\])
"""
PLACEHOLDER = re.compile(_PLACEHOLDER, re.X)


PLACEHOLDER_LITERALS = (
    b"{{", b"{%", b"{_", *(b"{" + bytes([c]) for c in range(ord("a"), ord("z") + 1)),
    b"%(", b"${", b"insert", b"placeholder",
)  # fmt: skip


_CP1252_HIGH = bytes(range(0x80, 0xC0)).decode("cp1252", errors="ignore")
_SECOND = re.escape("".join(sorted(set(_CP1252_HIGH) | {chr(c) for c in range(0x80, 0xC0)})))
MOJIBAKE = re.compile("\ufffd|[ÃÂÅ][" + _SECOND + "]|â€[" + _SECOND + "]")
MOJIBAKE_LITERALS = (
    b"\xef\xbf\xbd",
    b"\xc3\x82",
    b"\xc3\x83",
    b"\xc3\x85",
    b"\xc3\xa2\xe2\x82\xac",
)


def luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, digit in enumerate(reversed(digits)):
        value = digit * 2 if i % 2 else digit
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def redact(value: str) -> str:
    """Keep enough to find the value (first 4, last 2 characters), never the whole of it."""
    if value.startswith("-----BEGIN"):
        return value
    n = len(value)
    if n <= 8:
        return value[:1] + "*" * (n - 1)
    return value[:4] + "*" * (n - 6) + value[-2:]


@dataclass(frozen=True)
class Kind:
    """One alternative of a family's pattern, with the literals that gate it."""

    name: str
    literals: tuple[bytes, ...]
    pattern: re.Pattern[str]


def _kinds(source: str, flags: int, literals: dict[str, tuple[bytes, ...]]) -> tuple[Kind, ...]:
    """Split a verbose ``(?P<kind>...)|(?P<kind>...)`` pattern into separately gated kinds."""
    parts = re.split(r"\n\|", source.strip())
    out = []
    for part in parts:
        name = re.match(r"\(\?P<(\w+)>", part)
        assert name is not None, part
        out.append(Kind(name.group(1), literals[name.group(1)], re.compile(part, flags)))
    return tuple(out)


SECRET_KINDS = _kinds(_SECRET, re.X | re.ASCII, _SECRET_KIND_LITERALS)
PII_KINDS = _kinds(_PII, re.X | re.ASCII, _PII_KIND_LITERALS)
PLACEHOLDER_KINDS = (Kind("placeholder", PLACEHOLDER_LITERALS, PLACEHOLDER),)
MOJIBAKE_KINDS = (Kind("mojibake", MOJIBAKE_LITERALS, MOJIBAKE),)
