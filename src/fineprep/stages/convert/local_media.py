"""Media that still sits on this machine: its S3 URI, and the model's limits judged on the file.

Images and videos are usually prepared locally and copied to S3 afterwards (``aws s3 sync``).
``--media-dir images/=s3://bucket/tuning/images/`` says so: a row may then name a medium by its
path under ``images/`` (written as the S3 URI under the prefix) or by its S3 URI under the
prefix, and either way the local file is checked against the model's media limits (size,
pixels, aspect ratio, length: :mod:`fineprep.core.media_limits`) from its header before the
record is written. A missing file or a broken limit rejects the row with the number and the
limit; the file is never uploaded by convert.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from fineprep.core.errors import ConfigError
from fineprep.core.media_limits import media_problems
from fineprep.core.profiles import ModelProfile
from fineprep.io.media_probe import file_reader, image_info, video_seconds
from fineprep.stages.convert.values import RowError

_VIDEO_EXTENSIONS = frozenset({"mov", "mkv", "mp4", "webm"})


@dataclass(frozen=True)
class LocalMedia:
    folder: Path
    prefix: str
    profile: ModelProfile | None

    @classmethod
    def parse(cls, spec: str, base: Path, profile: ModelProfile | None) -> LocalMedia:
        """``DIR=s3://bucket/prefix/`` (DIR relative to ``base``, the config's folder)."""
        folder, sep, prefix = spec.partition("=")
        if not sep or not prefix.startswith("s3://") or not folder.strip():
            raise ConfigError(
                f"--media-dir {spec!r}: give LOCAL_FOLDER=s3://bucket/prefix/",
                hint="e.g. --media-dir images/=s3://my-bucket/tuning/images/",
            )
        path = (base / folder.strip()).resolve()
        if not path.is_dir():
            raise ConfigError(f"--media-dir: {path} is not a folder")
        return cls(path, prefix if prefix.endswith("/") else prefix + "/", profile)

    def resolve(self, value: str) -> str:
        """The S3 URI of a medium named by ``value``, after its local file passed the limits.
        An S3 URI outside the prefix is not on this machine and is returned unchecked."""
        if value.startswith("s3://"):
            if not value.startswith(self.prefix):
                return value
            relative = value[len(self.prefix) :]
        else:
            given = Path(value)
            relative = (
                str(given.resolve().relative_to(self.folder))
                if given.is_absolute() and given.resolve().is_relative_to(self.folder)
                else value
            )
        rel = PurePosixPath(relative.replace("\\", "/"))
        local = (self.folder / rel).resolve()
        if not local.is_relative_to(self.folder) or ".." in rel.parts:
            raise RowError(f"media {value[:200]!r} is outside --media-dir {self.folder}")
        if not local.is_file():
            raise RowError(f"media {value[:200]!r}: no file {local} (from --media-dir)")
        self._check(value, local)
        return self.prefix + rel.as_posix()

    def _check(self, value: str, local: Path) -> None:
        if self.profile is None:
            return
        ext = local.suffix.lower().lstrip(".")
        kind = "video" if ext in _VIDEO_EXTENSIONS else "image"
        size = local.stat().st_size
        read = file_reader(local)
        width = height = None
        seconds = None
        if kind == "image":
            info = image_info(read)
            if info is None:
                raise RowError(f"media {value[:200]!r}: {local.name} is not a readable image")
            width, height = info.width, info.height
        else:
            seconds = video_seconds(read, size)
        problems = media_problems(
            self.profile, kind, size=size, width=width, height=height, seconds=seconds
        )
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise RowError(f"media {value[:200]!r}: {problems[0].message}{more}")
