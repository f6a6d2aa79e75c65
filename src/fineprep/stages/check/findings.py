"""The findings of a run, kept in bounded memory whatever their number.

A dataset where every record has a warning has as many findings as records. The log keeps
the latest findings in memory and, past a threshold, sorts them and writes them to a
temporary file as one sorted run; reading merges the runs (``heapq.merge``, stable), so
iteration is always in report order (path, line, code, JSON path; equal keys in the order
they were found) and memory stays flat in the number of findings. Counts by severity and by
code are kept as findings arrive, so summaries never re-read them.
"""

from __future__ import annotations

import heapq
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from fineprep.core.model import Finding, Severity

#: Findings held in memory before they are written out as a sorted run.
SPILL_AT = 100_000
#: Findings per pickled frame: a merge holds one frame per run, so this bounds its memory.
_FRAME = 512


class FindingLog:
    """A list-like, append-only store of findings that iterates in report order."""

    def __init__(self, items: Iterable[Finding] = (), spill_at: int = SPILL_AT) -> None:
        self._spill_at = spill_at
        self._file: IO[bytes] | None = None
        self._reset()
        self.extend(items)

    def _reset(self) -> None:
        self.close()
        self._memory: list[Finding] = []
        self._sorted = True
        #: (offset, findings) of each sorted run in the file.
        self._runs: list[tuple[int, int]] = []
        self._spilled = 0
        self.severities: dict[Severity, int] = {}
        self.codes: dict[str, int] = {}

    def append(self, finding: Finding) -> None:
        self._memory.append(finding)
        self._sorted = False
        self.severities[finding.severity] = self.severities.get(finding.severity, 0) + 1
        self.codes[finding.code] = self.codes.get(finding.code, 0) + 1
        if len(self._memory) >= self._spill_at:
            self._spill()

    def extend(self, findings: Iterable[Finding]) -> None:
        for finding in findings:
            self.append(finding)

    def sort(self, key: Callable[[Finding], Any] | None = None) -> None:
        """Report order is the only order (``key`` is accepted for list compatibility)."""
        self._sort_memory()

    def clear(self) -> None:
        self._reset()

    def __len__(self) -> int:
        return self._spilled + len(self._memory)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self) -> Iterator[Finding]:
        self._sort_memory()
        if not self._runs:
            return iter(list(self._memory))
        runs = [self._read_run(offset, n) for offset, n in self._runs]
        return heapq.merge(*runs, iter(list(self._memory)), key=Finding.sort_key)

    def __getitem__(self, index: int) -> Finding:
        if self._runs:
            for k, finding in enumerate(self):
                if k == index:
                    return finding
            raise IndexError(index)
        self._sort_memory()
        return self._memory[index]

    def __reduce__(self) -> tuple[Any, ...]:
        return (FindingLog, (list(self),))

    def settled(self) -> list[Finding] | FindingLog:
        """A plain list in report order when nothing was spilled (what most runs give their
        callers), else the log itself."""
        if self._runs:
            return self
        self._sort_memory()
        return self._memory

    def count(self, severity: Severity) -> int:
        return self.severities.get(severity, 0)

    def _sort_memory(self) -> None:
        if not self._sorted:
            self._memory.sort(key=Finding.sort_key)
            self._sorted = True

    def _spill(self) -> None:
        self._sort_memory()
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="fineprep-findings-")  # noqa: SIM115 (lives as long as the log)
        out = self._file
        out.seek(0, 2)
        offset = out.tell()
        items = self._memory
        for k in range(0, len(items), _FRAME):
            pickle.dump(items[k : k + _FRAME], out, protocol=pickle.HIGHEST_PROTOCOL)
        self._runs.append((offset, len(items)))
        self._spilled += len(items)
        self._memory = []

    def _read_run(self, offset: int, count: int) -> Iterator[Finding]:
        source = self._file
        assert source is not None
        done = 0
        while done < count:
            source.seek(offset)
            frame: list[Finding] = pickle.load(source)
            offset = source.tell()
            done += len(frame)
            yield from frame

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __del__(self) -> None:
        self.close()
