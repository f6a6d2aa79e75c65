"""H: secrets, personal data, unfilled placeholders and mojibake in the text.

Every scan runs first over the raw line bytes with one compiled pattern per family (the regex
engine skips ahead on the patterns' first characters), and only on a hit over the decoded
segments to find the JSON path. Lines with ``\\u`` or ``\\/`` escapes are scanned decoded,
because an escape can hide a trigger from the byte scan. Matched secrets are never printed in
full: messages and ``data`` carry a redacted form.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

from fineprep.core.rules import rule
from fineprep.stages.check.rules.base import Check, register
from fineprep.stages.check.rules.patterns import (
    MOJIBAKE_KINDS,
    PII_KINDS,
    PLACEHOLDER_KINDS,
    SECRET_KINDS,
    luhn_ok,
    redact,
)
from fineprep.stages.check.scan import ESCAPES

if TYPE_CHECKING:
    from fineprep.stages.check.state import RecordContext, RunState

rule(
    "H001",
    "secret",
    "error",
    "credential-like text (AWS keys, private keys, bearer tokens)",
    what="Text that looks like a credential: AWS access key IDs and secret keys (in env, "
    "Terraform, CLI and Java-properties forms), PEM private keys, Azure storage and Service Bus "
    "keys and SAS signatures, GitHub/GitLab/Slack (incl. app-level)/Stripe (live and test)/"
    "Hugging Face/OpenAI/Anthropic/Google API tokens, JWTs, bearer tokens, and passwords in "
    "connection strings (also with an empty user).",
    why="A fine-tuned model can reproduce its training data verbatim: a key in the data is a key "
    "anyone with access to the custom model can extract.",
    example='{"prompt": "deploy with AKIAIOSFODNN7EXAMPLE ..."}',
    fix="Remove or mask the credential in the source, and rotate it: it has already been copied "
    "into every place this file went.",
)
rule(
    "H002",
    "pii",
    "warning",
    "e-mail, phone, SSN, card numbers (Luhn-checked)",
    what="Personal data: e-mail addresses, phone numbers, US social security numbers and payment "
    "card numbers (only numbers that pass the Luhn checksum).",
    why="The model can memorise and reveal personal data; most data-protection policies require "
    "it to be masked before training.",
    example='{"completion": "Call Jane on (555) 010-4477"}',
    fix="Mask or pseudonymise it (e.g. [EMAIL], [PHONE]) consistently, or ignore H002 if the "
    "data is synthetic or consented.",
)
rule(
    "H003",
    "placeholder",
    "error",
    "unfilled template placeholders (`{{name}}`, `{column}`, `<INSERT...>`)",
    what="Template syntax that was never filled in: {{ name }}, {% ... %}, {column}, "
    "%(name)s, ${name}, <INSERT ...>, [INSERT ...], <PLACEHOLDER>.",
    why="A generation script that failed to substitute a field trains the model to emit "
    "template syntax.",
    example='{"prompt": "Summarise {document_text}"}',
    fix="Fix the template or mapping that produced the record. If the braces are legitimate "
    "(code samples), ignore H003 for that dataset.",
)
rule(
    "H004",
    "mojibake",
    "warning",
    "U+FFFD or mojibake sequences (`Ã©`) from a wrong source encoding",
    what="The replacement character U+FFFD, or sequences such as 'Ã©', 'â€™', 'Â ' that appear "
    "when UTF-8 text was decoded as cp1252/latin-1 somewhere upstream.",
    why="The model learns the garbled characters and reproduces them.",
    example='{"completion": "The cafÃ© opens at 9"}',
    fix="Convert the source again with its right encoding (`fineprep convert` detects legacy "
    "encodings such as cp1252, GB18030 or Shift-JIS, refuses a file it cannot tell apart and "
    "takes --encoding), or repair the text with ftfy.",
)


@register
class HygieneCheck(Check):
    """Secrets (H001), personal data (H002), placeholders (H003) and mojibake (H004)."""

    codes: ClassVar[tuple[str, ...]] = ("H001", "H002", "H003", "H004")

    def start(self, run: RunState) -> None:
        families = (
            ("H001", SECRET_KINDS, self._secret),
            ("H002", PII_KINDS, self._pii),
            ("H003", PLACEHOLDER_KINDS, self._placeholder),
            ("H004", MOJIBAKE_KINDS, self._mojibake),
        )
        self.families = []
        for code, kinds, handler in families:
            if not run.is_enabled(code):
                continue
            tagged = tuple((f"{code}:{k.name}", k) for k in kinds)
            self.families.append((tagged, handler))
            for tag, kind in tagged:
                run.literals[tag] = kind.literals

    def check(self, rec: RecordContext) -> None:
        hits = rec.hits
        if not hits:
            return
        decoded = ESCAPES in hits
        for tagged, handler in self.families:
            active = [k.pattern for tag, k in tagged if decoded or tag in hits]
            if not active:
                continue
            for seg in rec.view.segments:
                # One finding per text and family: the first match its handler accepts.
                for pattern in active:
                    if any(handler(rec, seg.path, m) for m in pattern.finditer(seg.text)):
                        break

    def _secret(self, rec: RecordContext, path: tuple[str | int, ...], m: re.Match[str]) -> bool:
        kind = m.lastgroup or "secret"
        shown = redact(m.group())
        rec.emit(
            "H001",
            f"{kind.replace('_', ' ')} found: {shown} (remove it and rotate it)",
            path,
            {"kind": kind, "redacted": shown, "position": m.start()},
        )
        return True

    def _pii(self, rec: RecordContext, path: tuple[str | int, ...], m: re.Match[str]) -> bool:
        kind = m.lastgroup or "pii"
        value = m.group()
        if kind.startswith("card"):
            kind = "card"
            if not luhn_ok(value):
                return False
        rec.emit(
            "H002",
            f"{kind} found: {redact(value)}",
            path,
            {"kind": kind, "redacted": redact(value), "position": m.start()},
        )
        return True

    def _placeholder(
        self, rec: RecordContext, path: tuple[str | int, ...], m: re.Match[str]
    ) -> bool:
        rec.emit(
            "H003",
            f"unfilled placeholder {m.group()[:60]!r}",
            path,
            {"placeholder": m.group()[:200], "position": m.start()},
        )
        return True

    def _mojibake(self, rec: RecordContext, path: tuple[str | int, ...], m: re.Match[str]) -> bool:
        what = "replacement character U+FFFD" if m.group() == "\ufffd" else f"{m.group()!r}"
        rec.emit(
            "H004",
            f"garbled text ({what}) at position {m.start()}: the source was "
            "decoded with the wrong encoding",
            path,
            {"sequence": m.group(), "position": m.start()},
        )
        return True
