"""S004, S005 and L: the text itself -- empty, reserved words, length, whitespace, control chars.

All of these read the record's text segments once. Scans that are rare in practice (control
characters, reserved words) are prefiltered on the raw line bytes: JSON writes those characters
literally unless it escapes them as ``\\uXXXX``, so a line without a trigger byte sequence and
without ``\\u`` escapes cannot contain them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from fineprep.core.rules import option, rule
from fineprep.stages.check.rules.base import Check, register
from fineprep.stages.check.rules.short_answers import ShortAnswers
from fineprep.stages.check.scan import ESCAPES

if TYPE_CHECKING:
    from fineprep.stages.check.state import FileState, RecordContext, RunState

rule(
    "S004",
    "empty-text",
    "error",
    "empty or whitespace-only text",
    what="A prompt, completion, system prompt or message text that is empty or only whitespace.",
    why="Bedrock requires non-empty text; empty answers also teach the model to answer nothing.",
    example='{"prompt": "Summarise the memo", "completion": ""}',
    fix="Fill in the text at the reported JSON path, or remove the record (and its sidecar line).",
)
rule(
    "S005",
    "reserved-text",
    "error",
    "reserved strings the model rejects (Nova `User:`, `Bot:`, `[EOS]`...; Claude `\\nHuman:`)",
    what="Text containing strings the model's chat template reserves: for Nova (case-insensitive) "
    "User:, Bot:, Assistant:, System:, Thought:, <image>, <video>, [EOS], <unk> in system or user "
    "text; for Claude 3 Haiku '\\nHuman:' and '\\nAssistant:' anywhere.",
    why="AWS documents that a prompt containing these makes the Nova job fail; for Claude they "
    "break the turn structure of the prompt format.",
    example='{"role": "user", "content": [{"text": "User: where is my order?"}]}',
    fix="Rephrase the text (e.g. 'Customer -' instead of 'User:'), or drop the transcript "
    "prefixes your export added. Set the severity to warning in config if your data needs them.",
)
rule(
    "L001",
    "too-long",
    "warning",
    "text longer than the model's character quota (an error where AWS lists it as a limit)",
    what="A record whose text exceeds the model's character quota, token quota x 6. For models "
    "whose dataset requirements list it as a maximum ('Character quota per sample in dataset', "
    "Titan Text, Cohere Command, Llama 2; smaller when the batch size lowers the token quota) "
    "it is an error. For the others (Nova, Claude 3 Haiku, Llama 3) it is AWS's planning "
    "estimate of 6 characters per token and a warning: the token limits (T001-T003) decide, "
    "with the model's own tokenizer where it is public.",
    why="Bedrock fails a job whose record is over the quota ('Input size exceeded in file ... "
    "for record starting with ...'). Where the quota is only a planning estimate, characters "
    "per token vary by language and content, so a character count alone proves nothing.",
    example="a 200,000-character contract in one Nova record (budget 192,000)",
    fix="Check the T findings for the same record; shorten or split the text (for continued "
    "pre-training, `fineprep convert --to pretraining` chunks long documents).",
)
rule(
    "L006",
    "caption-too-long",
    "error",
    "image caption longer than the model allows",
    what="An image-caption record whose caption is longer than the model's maximum (1,024 "
    "characters for Titan Image Generator and Nova Canvas).",
    why="Bedrock rejects the record: the caption limit is a documented requirement, not an "
    "estimate.",
    example='{"image-ref": "s3://b/cat.png", "caption": "<1,100 characters>"}',
    fix="Shorten the caption to the model's maximum.",
)
rule(
    "L002",
    "too-short",
    "warning",
    "completion/assistant text suspiciously short",
    what="A completion or final assistant answer shorter than `min_chars` characters "
    "(default 2) after trimming whitespace.",
    why="One-character answers are usually truncation or export bugs; the model learns to stop "
    "early.",
    example='{"prompt": "Explain the refund policy", "completion": "."}',
    fix="Complete the answer, or raise/lower the threshold with [checks.L002] min_chars. In "
    "classification data, a few short answers repeated over the file are labels: one L007 note "
    "replaces their warnings (labels = false warns on each).",
    options={
        "min_chars": "shortest acceptable answer in characters (default 2)",
        "labels": "read a few short answers repeated over a file as class labels, reported "
        "once as L007 (default true)",
    },
)
rule(
    "L003",
    "whitespace",
    "warning",
    "leading/trailing whitespace, `\\r\\n` inside text",
    what="Text that starts or ends with whitespace, or contains Windows line endings (\\r\\n).",
    why="The model learns the stray spaces and carriage returns and reproduces them; trailing "
    "spaces in prompts change tokenization at the prompt/answer boundary.",
    example='{"prompt": "What is VAT? ", "completion": " A sales tax.\\r\\n"}',
    fix="Run `fineprep check --fix` (it strips outer whitespace and normalises \\r\\n to \\n in "
    "the .fixed.jsonl copy), or clean the source.",
    fixable=True,
)
rule(
    "L004",
    "control-chars",
    "error",
    "NUL or other control characters in text",
    what="Text containing NUL or other C0/C1 control characters (anything below U+0020 except "
    "tab, newline and carriage return, DEL, and U+0080-U+009F).",
    why="Control characters come from broken exports or binary data pasted into text; some "
    "tokenizers and Bedrock's parser reject them, and the model should never learn them.",
    example='{"prompt": "Total:\\u0000 42"}',
    fix="Remove the characters in the source (they are invisible in most editors; the finding "
    "gives the code point and position).",
)
rule(
    "L005",
    "caption-too-short",
    "error",
    "image caption shorter than the model allows",
    what="An image-caption record whose caption is shorter than the model's minimum (3 "
    "characters for Titan Image Generator and Nova Canvas).",
    why="Bedrock rejects the record.",
    example='{"image-ref": "s3://b/cat.png", "caption": "ok"}',
    fix="Write a caption that describes the image.",
)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: JSON escapes of C0 controls, DEL, and C1 controls as UTF-8 (see fineprep.stages.check.scan).
CONTROL_LITERALS = (
    b"\\u00", b"\\b", b"\\f", b"\x7f", *(b"\xc2" + bytes([c]) for c in range(0x80, 0xA0)),
)  # fmt: skip


@register
class TextCheck(Check):
    """Empty text, reserved strings, character limits, whitespace and control characters."""

    codes: ClassVar[tuple[str, ...]] = (
        "S004", "S005", "L001", "L002", "L003", "L004", "L005", "L006", "L007",
    )  # fmt: skip

    def start(self, run: RunState) -> None:
        p = run.profile
        self.min_chars = option(run.settings.check_options("L002"), "min_chars", 2, int)
        self.short = ShortAnswers(run, self.min_chars)
        self.want_l002 = run.is_enabled("L002")
        self.max_chars = p.record_char_limit(run.settings.batch_size()) if p else None
        self.chars_documented = bool(p and p.record_chars_documented)
        self.caption_max = p.caption_max_chars if p else None
        self.caption_min = p.caption_min_chars if p else None
        self.reserved: tuple[str, ...] = p.reserved_strings if p else ()
        self.fold = bool(p and p.reserved_case_insensitive)
        if self.fold:
            self.reserved = tuple(r.lower() for r in self.reserved)
        # JSON writes a newline inside a string as the two characters backslash-n.
        self.reserved_raw = tuple(r.replace("\n", "\\n").encode() for r in self.reserved)
        self.reserved_scope_all = not p or p.reserved_scope == "all"
        self.want_l003 = run.is_enabled("L003")
        if self.want_l003:
            # A CR LF in a JSON string is always written escaped (\r\n, or \u000d: ESCAPES).
            run.literals["L003"] = (b"\\r\\n",)
        if run.is_enabled("L004"):
            run.literals["L004"] = CONTROL_LITERALS
        if self.reserved and run.is_enabled("S005"):
            run.literals["S005"] = self.reserved_raw

    def check(self, rec: RecordContext) -> None:
        view = rec.view
        segments = view.segments
        hits = rec.hits
        crlf = self.want_l003 and ("L003" in hits or ESCAPES in hits)
        for seg in segments:
            text = seg.text
            if not text or text.isspace():
                if self.caption_min == 0 and view.format == "image-caption":
                    continue  # the model takes captions of 0 characters (Titan embeddings)
                rec.emit(
                    "S004",
                    f"{seg.role} text is empty"
                    if not text
                    else f"{seg.role} text is only whitespace",
                    seg.path,
                    {"role": seg.role},
                )
                continue
            if self.want_l003 and (text[0].isspace() or text[-1].isspace()):
                rec.emit(
                    "L003",
                    f"{seg.role} text has leading or trailing whitespace",
                    seg.path,
                    {"leading": text[0].isspace(), "trailing": text[-1].isspace()},
                )
            elif crlf and "\r\n" in text:
                rec.emit(
                    "L003",
                    f"{seg.role} text contains Windows line endings (\\r\\n)",
                    seg.path,
                    {"crlf": text.count("\r\n")},
                )
        if "L004" in hits:
            self._control(rec)
        if self.reserved and ("S005" in hits or ESCAPES in hits):
            self._reserved(rec)
        self._lengths(rec)

    def _control(self, rec: RecordContext) -> None:
        for seg in rec.view.segments:
            m = _CONTROL.search(seg.text)
            if m:
                rec.emit(
                    "L004",
                    f"{seg.role} text contains control character "
                    f"U+{ord(m.group()):04X} at position {m.start()}",
                    seg.path,
                    {"codepoint": f"U+{ord(m.group()):04X}", "position": m.start()},
                )

    def _reserved(self, rec: RecordContext) -> None:
        for seg in rec.view.segments:
            if seg.output and not self.reserved_scope_all:
                continue
            text = seg.text.lower() if self.fold else seg.text
            for word in self.reserved:
                pos = text.find(word)
                if pos >= 0:
                    shown = seg.text[pos : pos + len(word)]
                    rec.emit(
                        "S005",
                        f"{seg.role} text contains the reserved string {shown!r} at position {pos}",
                        seg.path,
                        {"reserved": shown, "position": pos},
                    )
                    break

    def _lengths(self, rec: RecordContext) -> None:
        view = rec.view
        raw_len = len(rec.raw)
        if self.max_chars is not None and raw_len > self.max_chars:
            chars = sum(len(s.text) for s in view.segments)
            if chars > self.max_chars:
                rec.emit(
                    "L001",
                    f"record text is {chars:,} characters; the model's character quota is "
                    f"{self.max_chars:,} (its token quota x 6)"
                    if self.chars_documented
                    else f"record text is {chars:,} characters; the model's character budget is "
                    f"{self.max_chars:,} (a planning estimate: the token limits decide)",
                    None,
                    {"chars": chars, "limit": self.max_chars},
                )
        if view.format == "image-caption":
            for seg in view.segments:
                n = len(seg.text)
                if self.caption_max is not None and n > self.caption_max:
                    rec.emit(
                        "L006",
                        f"caption is {n:,} characters; the limit is {self.caption_max:,}",
                        seg.path,
                        {"chars": n, "limit": self.caption_max},
                    )
                if self.caption_min is not None and n < self.caption_min and text_ok(seg.text):
                    rec.emit(
                        "L005",
                        f"caption is {n} characters; the minimum is {self.caption_min}",
                        seg.path,
                        {"chars": n, "limit": self.caption_min},
                    )
            return
        # An RFT reference answer is what the grader compares with ("391"), not training text.
        least = self.min_chars
        if not self.want_l002 or least <= 1 or view.format == "rft":
            return
        # The answer's stripped length, summed only until it reaches the minimum (most
        # answers do in their first segment), without copying text that has no outer
        # whitespace.
        n = 0
        for seg in view.segments[view.split :]:
            if seg.role == "reasoning":
                continue
            t = seg.text
            n += len(t) if t and not t[0].isspace() and not t[-1].isspace() else len(t.strip())
            if n >= least:
                return
        if n > 0:
            answer = [s for s in view.segments[view.split :] if s.role != "reasoning"]
            text = "".join(s.text for s in answer).strip()
            self.short.seen(rec, n, text, answer[0].path)

    def start_file(self, file: FileState) -> None:
        self.file = file
        self.short.start_file()

    def export_partition(self) -> Any:
        return self.short.export()

    def absorb_partition(self, state: Any, tickets: Sequence[int]) -> None:
        self.short.absorb(state)

    def finish_file(self, file: FileState) -> None:
        self.short.finish_file(file)


def text_ok(text: str) -> bool:
    return bool(text) and not text.isspace()
