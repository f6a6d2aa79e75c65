"""Joining the parts of an asynchronous Textract output that were saved without their ``JobId``.

``GetDocumentAnalysis`` and ``GetDocumentTextDetection`` responses carry no ``JobId``: someone
who saves each page of results as ``response-1.json``, ``response-2.json``... has files that
only say, through ``NextToken``, that more follows. Such parts are found from what they hold:

- a part that refers to blocks another file of the same folder defines belongs with that file
  (block ids are UUIDs, so a shared id is not a coincidence);
- a part with a ``NextToken`` whose blocks link to no other file (the output was split exactly
  at a page boundary) continues the one incomplete output of the folder that ends (has no
  ``NextToken``), declares the same number of pages, comes from the same API and holds the later
  pages; when several outputs could be the one it continues, the run refuses rather than guess.

Within an output the parts are ordered by the pages their blocks are on (a part holding a
page's PAGE block before one that only continues that page), the part without ``NextToken``
last, and by natural sort of their names only when that does not decide. A file complete on its
own (no ``NextToken``, no reference to a missing block, every declared page present) is never
joined to anything, so folders of ordinary single responses behave as they always did.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from fineprep.core.errors import InputError
from fineprep.stages.convert.textract.files import (
    Part,
    as_dict,
    as_int,
    as_list,
    kind,
    natural_key,
)
from fineprep.stages.convert.textract.sniff import is_a2i, is_lending, is_lending_summary

_APIS = ("AnalyzeDocumentModelVersion", "DetectDocumentTextModelVersion")
_SEPARATE = (
    "keep the parts of each job in a folder of their own, or save them with the job's JobId "
    "(or as the numbered objects Textract writes to S3)"
)
Failure = tuple[list[str], InputError]


@dataclass
class Loose:
    """A part file without ``JobId`` that is not a complete output on its own."""

    part: Part
    bucket: str
    partial: bool
    declared: int
    api: str
    first: int
    last: int
    page_numbers: frozenset[int]
    defined: frozenset[str]
    dangling: frozenset[str]

    @property
    def ends(self) -> bool:
        return not self.part.next_token


def loose_part(obj: dict[str, Any], part: Part, bucket: str, partial: bool) -> Loose | None:
    """The file as a possible part of a larger output, or None when it is a complete output on
    its own or not a block-based response (expense, identity and lending parts are not joined)."""
    blocks = [b for b in as_list(obj.get("Blocks")) if isinstance(b, dict)]
    if not isinstance(obj.get("Blocks"), list) or is_lending(obj) or is_lending_summary(obj):
        return None
    if is_a2i(obj) or obj.get("ExpenseDocuments") or obj.get("IdentityDocuments"):
        return None
    defined = frozenset(b["Id"] for b in blocks if isinstance(b.get("Id"), str))
    referred = {
        ref
        for b in blocks
        for rel in as_list(b.get("Relationships"))
        for ref in as_list(as_dict(rel).get("Ids"))
        if isinstance(ref, str)
    }
    pages = [n for n in (_page(b) for b in blocks) if n]
    page_numbers = frozenset(
        _page(b) or ordinal for ordinal, b in enumerate((b for b in blocks if kind(b) == "PAGE"), 1)
    )
    declared = as_int(as_dict(obj.get("DocumentMetadata")).get("Pages")) or 0
    dangling = frozenset(referred - defined)
    short = not partial and declared > len(page_numbers)
    if not part.next_token and not dangling and not short:
        return None
    return Loose(
        part=part,
        bucket=bucket,
        partial=partial,
        declared=declared,
        api=next((key for key in _APIS if key in obj), ""),
        first=min(pages, default=0),
        last=max(pages, default=0),
        page_numbers=page_numbers,
        defined=defined,
        dangling=dangling,
    )


def _page(block: dict[str, Any]) -> int:
    number = as_int(block.get("Page"))
    return number if number is not None and number >= 1 else 0


def join_loose(loose: list[Loose]) -> tuple[list[list[Loose]], list[Failure]]:
    """The outputs the loose parts form, each in order (a part nothing continues stays alone,
    for the usual truncation checks to name it), and the parts refused as ambiguous."""
    buckets: dict[str, list[Loose]] = {}
    for item in loose:
        buckets.setdefault(item.bucket, []).append(item)
    chains: list[list[Loose]] = []
    failures: list[Failure] = []
    for items in buckets.values():
        _join_bucket(items, chains, failures)
    return chains, failures


def _join_bucket(items: list[Loose], chains: list[list[Loose]], failures: list[Failure]) -> None:
    closed: list[list[Loose]] = []
    open_: list[list[Loose]] = []
    for comp in _linked(items, failures):
        ends = [item for item in comp if item.ends]
        if len(ends) > 1:
            names = ", ".join(item.part.shown for item in ends)
            failures.append(
                (
                    _names(comp),
                    InputError(
                        f"{names}: each ends a Textract output (no NextToken), but their "
                        "blocks refer to each other; parts of different runs of one job?",
                        hint="convert exactly one complete output per job",
                    ),
                )
            )
        else:
            (closed if ends else open_).append(comp)
    for comp in open_:
        fits = [c for c in closed if _continues(comp, c)]
        if len(fits) > 1:
            candidates = ", ".join(_end(c).part.shown for c in fits)
            failures.append(
                (
                    _names(comp),
                    InputError(
                        f"{', '.join(_names(comp))}: has a NextToken, and the output it "
                        f"continues could be any of {candidates} (no JobId tells them apart)",
                        hint=_SEPARATE,
                    ),
                )
            )
        elif fits:
            fits[0].extend(comp)
        else:
            chains.append(comp)
    for comp in closed:
        try:
            chains.append(_ordered(comp))
        except InputError as exc:
            failures.append((_names(comp), exc))


def _linked(items: list[Loose], failures: list[Failure]) -> list[list[Loose]]:
    """The parts grouped by the blocks they refer to in each other (union-find)."""
    owner: dict[str, list[int]] = {}
    for n, item in enumerate(items):
        for bid in item.defined:
            owner.setdefault(bid, []).append(n)
    root = list(range(len(items)))

    def find(n: int) -> int:
        while root[n] != n:
            root[n] = root[root[n]]
            n = root[n]
        return n

    for n, item in enumerate(items):
        for ref in item.dangling:
            for other in owner.get(ref, []):
                root[find(other)] = find(n)
    comps: dict[int, list[Loose]] = {}
    for n, item in enumerate(items):
        comps.setdefault(find(n), []).append(item)
    return list(comps.values())


def _unresolved(comp: list[Loose]) -> bool:
    defined = frozenset().union(*(item.defined for item in comp))
    return any(item.dangling - defined for item in comp)


def _continues(comp: list[Loose], closed: list[Loose]) -> bool:
    """Whether ``comp`` (parts with NextToken only) can be the beginning of ``closed``."""
    end = _end(closed)
    if _unresolved(comp) or _unresolved(closed):
        return False
    if any(item.declared != end.declared or item.api != end.api for item in comp):
        return False
    ours = frozenset().union(*(item.page_numbers for item in comp))
    theirs = frozenset().union(*(item.page_numbers for item in closed))
    last = max(item.last for item in comp)
    first = min((item.first for item in closed if item.first), default=0)
    return end.declared > 0 and not ours & theirs and (not last or not first or last <= first)


def _ordered(comp: list[Loose]) -> list[Loose]:
    """The parts of one output in order, or why they cannot be one output."""
    end = _end(comp)
    rest = sorted(
        (item for item in comp if item is not end),
        key=lambda i: (i.first, i.first not in i.page_numbers, i.last, natural_key(i.part.shown)),
    )
    order = [*rest, end]
    where = ", ".join(_names(order))
    for item in order:
        if item.declared != end.declared or item.api != end.api:
            raise InputError(
                f"{where}: these parts refer to each other's blocks but {item.part.shown} "
                f"describes another output than {end.part.shown} (DocumentMetadata.Pages "
                f"{item.declared} and {end.declared}, or another API)",
                hint="convert exactly one complete output per job",
            )
    for before, after in pairwise(order):
        if before.last and after.first and before.last > after.first:
            raise InputError(
                f"{where}: {after.part.shown} holds page {after.first} but comes after "
                f"{before.part.shown}, which holds page {before.last}; the part order is unclear",
                hint=_SEPARATE,
            )
    holder: dict[int, str] = {}
    for item in order:
        for number in sorted(item.page_numbers):
            if number in holder:
                raise InputError(
                    f"{where}: page {number} is in both {holder[number]} and {item.part.shown}",
                    hint="convert exactly one complete output per job",
                )
            holder[number] = item.part.shown
    return order


def _end(comp: list[Loose]) -> Loose:
    return next(item for item in comp if item.ends)


def _names(comp: list[Loose]) -> list[str]:
    return [item.part.shown for item in comp]
