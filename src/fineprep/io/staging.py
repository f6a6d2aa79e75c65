"""A dataset in S3 read by a stage that reads its input more than once (``split`` reads it to
plan and again to write): the object and its sidecar are streamed once into a private
temporary folder, under their own names, and every pass reads that copy, so all passes see
the same bytes even if the object is replaced meanwhile. The ETags of the versions read are
kept: a cluster's workers read their partitions from S3 by range, pinned to that version.
Messages and results name the ``s3://`` URI, never the temporary path.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType

from fineprep.core.errors import FineprepError
from fineprep.io.aws import AwsOptions
from fineprep.io.jsonl import sidecar_path
from fineprep.io.remote import PREFIX, download, remote_sidecar


@dataclass(frozen=True)
class RemoteOrigin:
    """Where a staged dataset came from: what a remote worker reads instead of the copy."""

    uri: str
    etag: str | None
    sidecar: str | None
    sidecar_etag: str | None
    aws: AwsOptions


class StagedDataset:
    """``with StagedDataset(uri, aws) as staged:`` -- ``staged.path`` is the local copy."""

    def __init__(self, uri: str, aws: AwsOptions) -> None:
        self.uri = uri
        self.aws = aws
        self._folder: str | None = None
        self.path = ""
        self.origin: RemoteOrigin | None = None

    def __enter__(self) -> StagedDataset:
        self._folder = tempfile.mkdtemp(prefix="fineprep-s3-")
        try:
            self.origin = fetch_dataset(self.uri, self.aws, Path(self._folder))
            self.path = str(Path(self._folder) / local_name(self.uri))
        except BaseException:
            self._remove()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._remove()
        if isinstance(exc, FineprepError):
            # The error goes on, naming the object instead of the copy.
            exc.message = self.named(exc.message)
            exc.args = (exc.message,)

    def named(self, text: str) -> str:
        """``text`` with the local copy's paths turned back into the URIs."""
        if not self.path or self.path not in text:
            return text
        meta = str(sidecar_path(self.path))
        if self.origin is not None and self.origin.sidecar:
            text = text.replace(meta, self.origin.sidecar)
        return text.replace(self.path, self.uri)

    def _remove(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


def local_name(uri: str) -> str:
    return PurePosixPath(uri[len(PREFIX) :]).name or "dataset.jsonl"


def fetch_dataset(uri: str, aws: AwsOptions, folder: Path) -> RemoteOrigin:
    """Stream a dataset object, and its sidecar if one lies beside it, into ``folder`` under
    their own names (``folder / name``); what was read."""
    name = local_name(uri)
    local = folder / name
    etag = download(uri, aws, str(local))
    meta_uri = remote_sidecar(uri, aws)
    if meta_uri is None:
        return RemoteOrigin(uri, etag, None, None, aws)  # no sidecar beside it
    meta_etag = download(meta_uri, aws, str(sidecar_path(local)))
    return RemoteOrigin(uri, etag, meta_uri, meta_etag, aws)
