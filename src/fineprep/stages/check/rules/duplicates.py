"""D001/D002: exact duplicates and conflicting answers, with 16 bytes of state per record.

Each record contributes a 64-bit hash of its context (system, prompt, earlier turns, with their
media and tool content) and a 64-bit hash of its final answer, in flat arrays; line numbers
are kept as runs of consecutive lines (:class:`LineRuns`). Grouping happens once per file in
``finish_file`` (:func:`group_equal`), so memory stays flat in the size of the records and the
state is mergeable across partitions.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from fineprep.core.rules import rule
from fineprep.stages.check.grouping import LineRuns, group_equal
from fineprep.stages.check.rules.base import Check, register

if TYPE_CHECKING:
    from fineprep.stages.check.state import FileState, RecordContext

rule(
    "D001",
    "duplicate",
    "warning",
    "identical record seen before (points at the first one)",
    what="A record whose content is identical to an earlier record in the same file: every "
    "prompt, system, answer and reasoning text with its role, and every image, video and "
    "document reference (URI or bytes, format), tool block and tool definition. Two records "
    "that ask the same question about different images are different records.",
    why="Duplicates over-weight some examples (the model memorises them) and, when they land in "
    "both training and validation, make validation loss look better than it is.",
    example="line 120 repeats line 17 exactly",
    fix="Delete the later copies (the finding names the first), or run `fineprep check --fix "
    "--fix-duplicates` to drop them in the .fixed.jsonl copy (it drops a copy only when its JSON "
    "equals the first record's in every field).",
    fixable=True,
)
rule(
    "D002",
    "conflicting-label",
    "warning",
    "same prompt/input, different completion",
    what="Two records with identical context (prompt, system and earlier turns, including their "
    "images, videos, documents and tool definitions) but different final answers.",
    why="Contradictory labels teach the model that either answer is right; for classification "
    "they cap accuracy and usually mean a labelling mistake.",
    example='line 40: "Great service" -> positive; line 97: "Great service" -> negative',
    fix="Decide which answer is right and fix or delete the other record (the finding names the "
    "first one with this context).",
)


@register
class DuplicateCheck(Check):
    """Exact duplicates (D001) and same-context-different-answer conflicts (D002) per file."""

    codes: ClassVar[tuple[str, ...]] = ("D001", "D002")

    def start_file(self, file: FileState) -> None:
        self.context: array[int] = array("Q")
        self.answer: array[int] = array("Q")
        self.lines = LineRuns()

    def check(self, rec: RecordContext) -> None:
        context, answer = rec.hashes
        self.context.append(context)
        self.answer.append(answer)
        self.lines.append(rec.line)

    def export_partition(self) -> Any:
        return (self.context, self.answer, self.lines)

    def absorb_partition(self, state: Any, tickets: Sequence[int]) -> None:
        context, answer, lines = state
        self.context.extend(context)
        self.answer.extend(answer)
        self.lines.extend(lines)

    def finish_file(self, file: FileState) -> None:
        lines, answer = self.lines, self.answer
        run = self.run
        for group in group_equal(self.context):
            first = group[0]
            by_answer: dict[int, int] = {}
            for i in group:
                seen = by_answer.setdefault(answer[i], i)
                if seen != i:
                    run.emit(
                        "D001",
                        f"duplicate of line {lines[seen]}",
                        file,
                        lines[i],
                        None,
                        {"first_line": lines[seen]},
                    )
                elif i != first:
                    run.emit(
                        "D002",
                        f"same input as line {lines[first]} but a different answer",
                        file,
                        lines[i],
                        None,
                        {"first_line": lines[first], "answers": len(set(answer[j] for j in group))},
                    )
        del self.context, self.answer, self.lines
