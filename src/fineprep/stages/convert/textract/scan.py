"""Grouping Textract output files into outputs, and refusing unusable ones before converting.

An asynchronous Textract job returns its result in parts (``NextToken`` chains); saved to disk
they are several files: ``GetDocumentAnalysis`` pages saved as JSON, or the numbered objects
``1``, ``2``... that Textract writes under ``<prefix>/<JobId>/`` with ``OutputConfig``. Parts
are grouped into one output by ``JobId`` when the files carry it, by their folder when they
are numbered objects, and otherwise by what they hold (see
:mod:`fineprep.stages.convert.textract.chains`); every other file is one output.

Every file is checked before anything is converted, so a FAILED or truncated job stops the run
with one clear message instead of producing part of a dataset.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fineprep.core.errors import InputError
from fineprep.stages.convert.textract.chains import Loose, join_loose, loose_part
from fineprep.stages.convert.textract.files import (
    Group,
    Part,
    as_dict,
    as_list,
    as_str,
    expand_paths,
    load_json,
    natural_key,
)
from fineprep.stages.convert.textract.sniff import sniff_textract

#: Folders of numbered parts that Analyze Lending writes under its job folder.
_LENDING_PARTS = frozenset({"detailedResponse", "summaryResponse"})
_FETCH_ALL = (
    "fetch every part of the job's output (call Get... again with NextToken until none is "
    "returned) and convert all the part files together"
)
Failure = tuple[list[str], InputError]
#: What a finished response holds its results in (one of them, by API).
_RESULTS = ("Blocks", "ExpenseDocuments", "IdentityDocuments", "Results", "Summary")


def check_status(obj: dict[str, Any], shown: str, allow_partial: bool) -> bool:
    """Refuse unfinished or failed jobs; return whether the job is a PARTIAL_SUCCESS."""
    status = obj.get("JobStatus")
    if status == "SUCCEEDED" and not any(key in obj for key in _RESULTS):
        raise InputError(
            f"{shown}: job status SUCCEEDED, but the response holds no results (no Blocks, "
            "ExpenseDocuments, IdentityDocuments or lending Results)",
            hint="save the whole response of Get... (every part, following NextToken) and "
            "convert that",
        )
    if status is None or status == "SUCCEEDED":
        return False
    message = as_str(obj.get("StatusMessage"))
    said = f" ({message!r})" if message else ""
    if status == "FAILED":
        raise InputError(
            f"{shown}: job status FAILED{said}; re-run the Textract job and convert its output"
        )
    if status == "IN_PROGRESS":
        raise InputError(
            f"{shown}: job status IN_PROGRESS; the job has not finished",
            hint="wait until the job reports SUCCEEDED, then fetch and convert its output",
        )
    if status == "PARTIAL_SUCCESS":
        if allow_partial:
            return True
        problems = [
            f"{as_str(w.get('ErrorCode')) or 'warning'} on pages {as_list(w.get('Pages'))}"
            for w in map(as_dict, as_list(obj.get("Warnings")))
        ]
        detail = f" ({'; '.join(problems)})" if problems else said
        raise InputError(
            f"{shown}: job status PARTIAL_SUCCESS{detail}; some pages were not processed",
            hint="re-run the Textract job, or set allow_partial = true to convert the pages "
            "it did process",
        )
    raise InputError(
        f"{shown}: unknown job status {status!r}", hint="convert the output of SUCCEEDED jobs"
    )


def _read_header(path: Path, shown: str, allow_partial: bool) -> tuple[dict[str, Any], bool]:
    """The parsed response, checked to be a finished Textract job, and whether it is partial."""
    obj = load_json(path, shown)
    if not sniff_textract(obj):
        raise InputError(
            f"{shown}: not an Amazon Textract response "
            "(no Blocks, ExpenseDocuments, IdentityDocuments or lending Results)",
            hint="pass the JSON returned by Textract, unchanged",
        )
    return obj, check_status(obj, shown, allow_partial)


def scan(paths: list[str], allow_partial: bool = False) -> list[Group]:
    """Read every file once to validate it and group the parts of each job, in input order;
    the first unusable file raises (for callers that need every output, like IDP pairing)."""
    groups, failures = scan_all(paths, allow_partial)
    if failures:
        raise failures[0][1]
    return groups


def scan_all(paths: list[str], allow_partial: bool = False) -> tuple[list[Group], list[Failure]]:
    """The usable outputs, in the order of their first file, and, separately, each unusable
    file or job (its part files and why), so that one bad response among forty does not hide
    the other thirty-nine."""
    groups: dict[str, tuple[int, Group]] = {}
    loose: list[Loose] = []
    seen: dict[str, int] = {}
    failures: list[Failure] = []
    for n, (path, shown) in enumerate(expand_paths(paths)):
        try:
            obj, partial = _read_header(path, shown, allow_partial)
        except InputError as exc:
            failures.append(([shown], exc))
            continue
        token = obj.get("NextToken")
        part = Part(path, shown, isinstance(token, str) and token != "")
        job_id = as_str(obj.get("JobId"))
        if job_id:
            key, doc_id = f"job:{job_id}", job_id
        elif path.name.isdigit():
            folder = path.resolve().parent
            # Analyze Lending writes <job>/detailedResponse/1, 2...: the job names the output.
            named = folder.parent if folder.name in _LENDING_PARTS else folder
            key, doc_id = f"dir:{folder}", named.name
        else:
            found = loose_part(obj, part, str(path.resolve().parent), partial)
            if found is not None:
                loose.append(found)
                seen[shown] = n
                continue
            key, doc_id = f"file:{path.resolve()}", path.stem
        _, group = groups.setdefault(key, (n, Group(doc_id=doc_id, job_id=job_id)))
        group.parts.append(part)
        group.partial = group.partial or partial
    for _, group in groups.values():
        group.parts.sort(key=lambda p: natural_key(p.shown))
    chains, refused = join_loose(loose)
    failures.extend(refused)
    for chain in chains:
        first = min(seen[item.part.shown] for item in chain)
        parts = [item.part for item in chain]
        group = Group(_common_stem(parts), parts, partial=any(item.partial for item in chain))
        groups[f"chain:{first}"] = (first, group)
    usable = []
    for _, group in sorted(groups.values(), key=lambda g: g[0]):
        try:
            _check_chain(group)
        except InputError as exc:
            failures.append(([p.shown for p in group.parts], exc))
            continue
        usable.append(group)
    return usable, failures


def _common_stem(parts: list[Part]) -> str:
    """The name the parts share (``response`` for ``response-1.json``, ``response-2.json``)."""
    stems = [p.path.stem for p in parts]
    shared = stems[0]
    for stem in stems[1:]:
        while not stem.startswith(shared):
            shared = shared[:-1]
    return shared.rstrip(" -_.") or stems[0]


def _check_chain(group: Group) -> None:
    """Every part but the last continues (``NextToken``); the last does not."""
    *rest, last = group.parts
    if last.next_token:
        raise InputError(
            f"{last.shown}: NextToken present but the next part is missing; "
            "the job's output is truncated",
            hint=_FETCH_ALL,
        )
    for part, after in zip(rest, group.parts[1:], strict=True):
        if not part.next_token:
            raise InputError(
                f"{part.shown}: has no NextToken, so it ends the job's output, but "
                f"{after.shown} belongs to the same job; parts from different runs?",
                hint="convert exactly one complete output per job",
            )
