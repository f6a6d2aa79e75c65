"""S3 inputs of ``convert``: ``s3://bucket/key`` wherever a file is accepted and
``s3://bucket/prefix/`` wherever a folder is.

Planning reads as little as it can where the plan is made: an object's kind comes from its
extension, or from ``--source`` (then nothing is read at all); only objects whose kind depends
on their content are read to tell it (a ``.json`` document, the first line of a ``.jsonl``
object, a ``.tar.gz`` archive). The rows are read where a unit is converted (this process, a
pool worker or a Dask worker): the unit's objects are streamed into a temporary folder there,
read by the same reader as a local file, and every name the reader writes (sources in the
sidecar, rejects, notices) is the object's ``s3://`` URI, never the temporary path.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from fineprep.core.errors import InputError
from fineprep.io.aws import AwsOptions
from fineprep.io.remote import PREFIX, download, is_prefix, list_prefix, open_remote
from fineprep.stages.convert.sources.base import SourceItem, SourceReject, SourceRow, failed_input

#: A JSON Lines object is sniffed from its first line; a longer one is read no further.
_FIRST_LINE = 8 << 20


def objects(given: str, aws: AwsOptions) -> list[tuple[str, int]] | None:
    """A prefix's objects with their sizes, in natural key order with hidden parts left out
    (like a folder's files), or None when ``given`` names one object."""
    if not is_prefix(given):
        return None
    from fineprep.stages.convert.textract.files import natural_key

    base = given if given.endswith("/") else given + "/"
    found = []
    for uri, size in list_prefix(given, aws):
        relative = uri[len(base) :] if uri.startswith(base) else uri
        if not any(part.startswith(".") for part in relative.split("/")):
            found.append((uri, size))
    return sorted(found, key=lambda item: natural_key(item[0][len(base) :]))


def kind_of_object(
    uri: str,
    forced: str | None,
    chat: bool,
    aws: AwsOptions,
    in_folder: bool,
    local_kind: Callable[[str, str | None, bool], str],
    extension_kind: Callable[[Path], str | None],
    refuse: Callable[[str, str], InputError],
) -> str:
    """What :func:`~.detect.kind_of` says of the object, reading it only if the answer
    depends on its content (``local_kind`` is applied to a local copy then)."""
    name = PurePosixPath(uri[len(PREFIX) :]).name
    lowered = name.lower()
    archive = lowered.endswith((".tar.gz", ".tgz"))
    by_name = None if archive else extension_kind(Path(name))
    if forced:
        if in_folder and by_name is None and not archive:
            raise InputError(f"{uri}: not an input file")
        return local_kind("", forced, chat)
    if by_name is not None and by_name not in ("json", "jsonl"):
        return by_name
    if by_name is None and not archive:
        raise refuse(uri, PurePosixPath(name).suffix)
    with tempfile.TemporaryDirectory(prefix="fineprep-s3-") as folder:
        local = str(Path(folder) / name)
        if by_name == "jsonl":
            _first_line(uri, aws, local)
        else:
            download(uri, aws, local)
        return _relabelled_error(lambda: local_kind(local, None, chat), uri, local)


def _relabelled_error(work: Callable[[], str], uri: str, local: str) -> str:
    try:
        return work()
    except InputError as exc:
        raise InputError(exc.message.replace(local, uri), hint=exc.hint) from None


def _first_line(uri: str, aws: AwsOptions, local: str) -> None:
    """The first non-blank line of a JSON Lines object (all a sniffer reads of it)."""
    with open_remote(uri, aws) as stream, open(local, "wb") as out:  # noqa: PTH123
        seen = 0
        for line in stream:
            seen += len(line)
            if line.strip() or seen > _FIRST_LINE:
                out.write(line)
                return


def fetched_items(
    paths: list[str],
    aws: AwsOptions,
    read: Callable[[list[str]], Iterable[SourceItem]],
    notices: list[str] | None,
) -> Iterator[SourceItem]:
    """The items of ``read`` over local copies of the objects among ``paths``, each name in
    them the object's URI again; an object that cannot be fetched is a reject for it."""
    with tempfile.TemporaryDirectory(prefix="fineprep-s3-") as root:
        local: list[str] = []
        for path in paths:
            if not path.startswith(PREFIX):
                local.append(path)
                continue
            parts = path[len(PREFIX) :].split("/")
            try:
                if any(part in ("", ".", "..") for part in parts):
                    raise InputError(
                        f"{path}: the key has an empty, '.' or '..' segment, which no folder "
                        "can hold",
                        hint="copy the object to a plain key",
                    )
                copy = Path(root).joinpath(*parts)
                copy.parent.mkdir(parents=True, exist_ok=True)
                download(path, aws, str(copy))
            except InputError as exc:
                yield failed_input([path], exc)
                continue
            local.append(str(copy))
        if not local:
            return
        mark = root + os.sep
        before = len(notices) if notices is not None else 0
        for item in read(local):
            yield relabel(item, mark)
        if notices is not None:
            notices[before:] = [_name(n, mark) for n in notices[before:]]


def _name(text: str, mark: str) -> str:
    return text.replace(mark, PREFIX) if mark in text else text


def relabel(item: SourceItem, mark: str) -> SourceItem:
    """``item`` with the temporary folder's paths in its names turned back into URIs."""
    if isinstance(item, SourceRow):
        extra = {k: _name(v, mark) if isinstance(v, str) else v for k, v in item.extra.items()}
        return dataclasses.replace(item, source=_name(item.source, mark), extra=extra)
    error = item.error
    if error is not None:
        hint = _name(error.hint, mark) if error.hint else error.hint
        error = InputError(_name(error.message, mark), hint=hint)
    return SourceReject(
        _name(item.source, mark),
        _name(item.reason, mark),
        item.raw,
        tuple(_name(f, mark) for f in item.files),
        error,
    )


def any_remote(paths: Iterable[str]) -> bool:
    return any(p.startswith(PREFIX) for p in paths)


def options_notices(options: dict[str, Any]) -> list[str] | None:
    notices = options.get("notices")
    return notices if isinstance(notices, list) else None
