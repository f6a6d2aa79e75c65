"""L002's judgement of short answers, and L007: short answers that are class labels.

A one-character answer is usually a truncated export -- unless the data is classification and
the answers are its labels (``1``..``4`` for four news topics). Warning on each of 12,000 such
records buries every other finding, so L002 holds its findings per file while the short
answers it has seen could still be labels: at most ``MAX_LABELS`` distinct texts, each used
``MIN_REPEATS`` times on average. A file where that holds gets one L007 note instead (counts,
the labels, example lines); any other file gets its L002 findings as before. An answer equal
to the record's sidecar label is a label outright. ``[checks.L002] labels = false`` restores
one warning per short answer.

The held findings cost a line number and a length per short answer (arrays), never the text.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from fineprep.core.rules import Path, option, rule

if TYPE_CHECKING:
    from fineprep.stages.check.state import FileState, RecordContext, RunState

#: Distinct short answers a file may have and still be labelled data.
MAX_LABELS = 20
#: Records per distinct short answer, on average, for them to be labels and not accidents.
MIN_REPEATS = 3
_EXAMPLES = 5

rule(
    "L007",
    "short-labels",
    "info",
    "short answers that are class labels (not reported one by one by L002)",
    what="A file whose answers shorter than L002's `min_chars` are a few labels used over and "
    f"over (at most {MAX_LABELS} distinct texts, each on {MIN_REPEATS} or more records on "
    "average), or equal their records' sidecar labels: classification data. One note for the "
    "file replaces the L002 warnings.",
    why="A class label such as `1` or `B` is a complete answer; warning on every record would "
    "hide the findings that matter.",
    example="12,000 answers are 1 character long (4 labels: '1', '2', '3', '4')",
    fix="Nothing to fix when the answers are labels. To have L002 warn on each record anyway, "
    "set [checks.L002] labels = false.",
)


class ShortLog:
    """Short answers in compact arrays (a few bytes each; texts, paths and sidecar sources
    interned): line, length, text, JSON path, whether it equals the sidecar label, source."""

    def __init__(self) -> None:
        self.lines: array[int] = array("I")
        self.chars: array[int] = array("I")
        self.text_of: array[int] = array("I")
        self.path_of: array[int] = array("I")
        self.is_label: array[int] = array("B")
        self.texts: dict[str, int] = {}
        self.paths: dict[Path, int] = {}
        self.sources: dict[int, str] = {}

    def add(
        self, line: int, n: int, text: str, path: Path, is_label: bool, source: str | None
    ) -> None:
        if source is not None:
            self.sources[len(self.lines)] = source
        self.lines.append(line)
        self.chars.append(n)
        self.text_of.append(self.texts.setdefault(text, len(self.texts)))
        self.path_of.append(self.paths.setdefault(path, len(self.paths)))
        self.is_label.append(is_label)

    def extend(self, other: ShortLog) -> None:
        for entry in other:
            self.add(*entry)

    def __iter__(self) -> Iterator[tuple[int, int, str, Path, bool, str | None]]:
        texts, paths = list(self.texts), list(self.paths)
        for k in range(len(self.lines)):
            yield (self.lines[k], self.chars[k], texts[self.text_of[k]], paths[self.path_of[k]],
                   bool(self.is_label[k]), self.sources.get(k))  # fmt: skip


class ShortAnswers:
    """The short answers of the file being checked, held until it is clear what they are."""

    def __init__(self, run: RunState, min_chars: int) -> None:
        self.run = run
        self.min_chars = min_chars
        self.as_labels = bool(option(run.settings.check_options("L002"), "labels", True, bool))

    def start_file(self) -> None:
        self.texts: dict[str, int] = {}
        self.lines: array[int] = array("I")
        self.chars: array[int] = array("I")
        self.path_of: array[int] = array("I")
        self.paths: dict[Path, int] = {}
        self.holding = self.as_labels
        self.sidecar_labels = 0
        self.first_lines: list[int] = []
        #: A partition's short answers (or, in the run, every partition's).
        self.log = ShortLog()

    def seen(self, rec: RecordContext, n: int, text: str, path: Path) -> None:
        """A short answer (``0 < n < min_chars``) at ``path`` of the record."""
        label = rec.meta.label if rec.meta is not None else None
        is_label = self.as_labels and label is not None and str(label).strip() == text
        source = rec.meta.source if rec.meta else None
        if self.run.partition and self.as_labels:
            # A partition only records its short answers: whether they are labels depends on
            # the whole file, so the run judges them in order once it has every partition's
            # (with ``labels = false`` each is a warning on its own, judged here).
            self.log.add(rec.line, n, text, path, is_label, source)
            return
        self._judge(rec.file, rec.line, n, text, path, is_label, source)

    def _judge(
        self,
        file: FileState,
        line: int,
        n: int,
        text: str,
        path: Path,
        is_label: bool,
        source: str | None,
    ) -> None:
        if is_label:
            self.sidecar_labels += 1
            self._example(line)
            return
        if self.holding:
            self.texts[text] = self.texts.get(text, 0) + 1
            # A label has a letter or digit; "." or "-" answers are broken exports.
            if len(self.texts) <= MAX_LABELS and any(c.isalnum() for c in text):
                self.lines.append(line)
                self.chars.append(n)
                self.path_of.append(self.paths.setdefault(path, len(self.paths)))
                self._example(line)
                return
            self._release(file)
        self._emit(file, line, n, path, source)

    def export(self) -> ShortLog:
        return self.log

    def absorb(self, log: ShortLog) -> None:
        self.log.extend(log)

    def finish_file(self, file: FileState) -> None:
        for entry in self.log:  # the partitions' short answers, in file order
            self._judge(file, *entry)
        self.log = ShortLog()
        held = len(self.lines)
        distinct = len(self.texts)
        if self.holding and held and held >= MIN_REPEATS * distinct:
            self._note(file, held + self.sidecar_labels)
            return
        if self.holding:
            self._release(file)
        if self.sidecar_labels:
            self._note(file, self.sidecar_labels)

    def _example(self, line: int) -> None:
        if len(self.first_lines) < _EXAMPLES:
            self.first_lines.append(line)

    def _release(self, file: FileState) -> None:
        """Report the held answers one by one: they are not (only) labels."""
        paths = list(self.paths)
        for line, n, p in zip(self.lines, self.chars, self.path_of, strict=True):
            self._emit(file, line, n, paths[p], None)
        self.holding = False
        self.lines, self.chars, self.path_of = array("I"), array("I"), array("I")
        self.texts = {}

    def _emit(self, file: FileState, line: int, n: int, path: Path, source: str | None) -> None:
        data: dict[str, Any] = {"chars": n, "min_chars": self.min_chars}
        message = f"answer is only {n} character{'s' if n != 1 else ''} long"
        self.run.emit("L002", message, file, line, path, data, source)

    def _note(self, file: FileState, records: int) -> None:
        labels = sorted(self.texts)
        shown = ", ".join(repr(t) for t in labels[:10]) + (", ..." if len(labels) > 10 else "")
        kinds = f"{len(labels)} label{'s' if len(labels) != 1 else ''}: {shown}" if labels else ""
        if self.sidecar_labels:
            kinds += ("; " if kinds else "") + f"{self.sidecar_labels:,} equal their sidecar label"
        self.run.emit(
            "L007",
            f"{records:,} answer{'s are' if records != 1 else ' is'} shorter than "
            f"{self.min_chars} characters and read as class labels ({kinds}); L002 does not "
            "warn about them one by one",
            file,
            None,
            None,
            {
                "records": records,
                "labels": labels,
                "sidecar_labels": self.sidecar_labels,
                "min_chars": self.min_chars,
                "example_lines": self.first_lines,
            },
        )
