"""The validation and test records a variant must not leak into.

A variant of a training record that reads like a validation record puts the answer to that
validation record into training (D004). ``augment`` judges its variants against the held-out
files it is given (``--validation``, ``--test``) and, when its input is the training file of a
``fineprep split`` output, against that split's validation and test files (read from the
``split.json`` beside it), with D004 itself: the variants are the validation side and the
held-out files the training side, so every leaking variant gets its own finding.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import orjson

from fineprep.core.errors import InputError, MissingInput
from fineprep.io.outputs import same_file

SPLIT_MANIFEST = "split.json"
#: How a variant left out for a leak is counted among the guard's rejections.
LEAK = "identical or nearly identical to a validation or test record (D004)"


def held_out_files(dataset: str, given: Sequence[str]) -> tuple[list[str], str | None]:
    """The held-out files for ``dataset``: those given, then those of the split it came from
    (with a note saying so)."""
    out: list[str] = []
    for path in given:
        if not Path(path).is_file():
            raise MissingInput(f"{path}: no such file", hint="give the validation or test .jsonl")
        if same_file(path, dataset):
            raise InputError(
                f"{path} is the dataset being augmented, not a held-out file",
                hint="give the split's validation or test file",
            )
        out.append(path)
    from_split = _from_split(dataset)
    new = [p for p in from_split if not any(same_file(p, o) for o in out)]
    note = None
    if new:
        names = ", ".join(Path(p).name for p in new)
        note = (
            f"variants are kept from leaking into {names} (the {SPLIT_MANIFEST} beside the input)"
        )
    return out + new, note


def _from_split(dataset: str) -> list[str]:
    manifest = Path(dataset).parent / SPLIT_MANIFEST
    try:
        files = orjson.loads(manifest.read_bytes()).get("files", {})
        train = files["train"]["path"]
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return []
    if not isinstance(train, str) or not same_file(manifest.parent / train, dataset):
        return []
    out = []
    for role in ("validation", "test"):
        entry = files.get(role)
        path = entry.get("path") if isinstance(entry, dict) else None
        if isinstance(path, str) and (manifest.parent / path).is_file():
            out.append(str(manifest.parent / path))
    return out
