"""S: does each record have the shape its format and the chosen model require?

Most of these are found by the format's structural walk (``fineprep.formats``) while it
collects the text; this module declares them and holds the dataset-wide media rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from fineprep.core.model import Location
from fineprep.core.rules import rule
from fineprep.stages.check.rules.base import Check, register

if TYPE_CHECKING:
    from fineprep.stages.check.state import FileState, RecordContext, RunState

rule(
    "S001",
    "schema",
    "error",
    "missing key, wrong type or unexpected key for the format",
    what="The record does not match its format's schema (see schemas/<format>.schema.json): a "
    "required key is missing, a value has the wrong type, a role is not user/assistant, or a key "
    "the format does not define is present.",
    why="Bedrock validates each record against its format and fails the job (or, for extra "
    "keys, behaves in undocumented ways); the AWS samples and the Claude cookbook forbid extra "
    "keys.",
    example='{"prompt": "Hi", "answer": "Hello"}   <- prompt/completion needs "completion"',
    fix="Rename or add the key named in the finding at the JSON path given. Metadata such as "
    "labels or ids belongs in the sidecar file (<name>.meta.jsonl), not in the record.",
)
rule(
    "S002",
    "format-mismatch",
    "error",
    "record format differs from the file's, or the model does not accept it",
    what="Either a record has a different format from the rest of its file (detected from the "
    "first record, or forced with --format), or the file's format is not one the chosen model "
    "accepts (e.g. Claude-style messages for Nova, which needs bedrock-conversation-2024).",
    why="A Bedrock job takes one format per model; a file in the wrong format fails entirely.",
    example="claude-messages records checked with --model nova-lite",
    fix="Convert the records to the model's format (`fineprep convert --to FORMAT`), choose the "
    "model the data was written for, or split mixed files.",
)
rule(
    "S003",
    "role-order",
    "error",
    "first turn not user, turns not alternating, last not assistant, < 2 messages",
    what="The messages of a chat record are not user, assistant, user, assistant, ... ending "
    "with assistant (distillation prompts may end with the user turn).",
    why="Nova and Claude reject such records ('last turn should have assistant role'); for "
    "Llama the order is what the chat template assumes, so a broken order trains nonsense.",
    example='"messages": [{"role": "user", ...}, {"role": "user", ...}]',
    fix="Merge consecutive turns of the same role, drop a trailing user turn, or add the "
    "missing assistant answer.",
)
rule(
    "S006",
    "media-reference",
    "error",
    "bad image/video block: URI, format, assistant-side media, too many, mixed image+video",
    what="An image or video block whose S3 URI or format Bedrock will not accept, media in an "
    "assistant turn, more images/videos in a record than the model allows, or images and videos "
    "mixed in one dataset where the model forbids it.",
    why="Bedrock fetches every referenced object when the job starts and fails the job on the "
    "first bad reference.",
    example='{"image": {"format": "bmp", "source": {"s3Location": {"uri": "s3://b/x.bmp"}}}}',
    fix="Use a supported format (see `fineprep models --show MODEL`), a valid s3://bucket/key "
    "URI, media only in user turns, and split image and video data into separate datasets.",
)
rule(
    "S007",
    "schema-version",
    "error",
    "conversation record without `schemaVersion: bedrock-conversation-2024`",
    what="A bedrock-conversation-2024 record whose schemaVersion is missing or different.",
    why="Distillation requires exactly 'bedrock-conversation-2024', and it is the documented "
    "value for every conversation dataset; one doc page misspells it, which is easy to copy.",
    example='{"schemaVersion": "bedrock-conversion-2024", "messages": [...]}',
    fix='Set "schemaVersion": "bedrock-conversation-2024" on every record.',
    fixable=False,
)
rule(
    "S008",
    "unsupported-content",
    "error",
    "content the model cannot take (images on text-only models, multi-turn for single-turn "
    "students, tools, reasoning on models without it)",
    what="Content that is valid in the format but not for this model or job: images/videos for "
    "a text-only model, reasoningContent outside Nova 2 Lite, tool blocks or toolConfig, PDF "
    "document blocks, multi-turn prompts for single-turn distillation students.",
    why="The job fails, or Bedrock silently ignores part of what you meant to train.",
    example="an image block in a dataset for Nova Micro (text only)",
    fix="Remove the unsupported content or choose a model that supports it.",
)
rule(
    "S009",
    "sidecar-mismatch",
    "warning",
    "the sidecar file does not line up with the data file",
    what="<name>.meta.jsonl (ids, labels, groups, source rows) has a different number of lines "
    "than <name>.jsonl, or a sidecar line is not a JSON object, or the manifest fineprep wrote "
    "last for the pair (<name>.set.json, or split.json) names another run: the data file or its "
    "sidecar was written by a different run (a run killed between two renames, two runs on one "
    "output) or edited since.",
    why="Sidecar lines are matched to records by line number: a shifted sidecar points labellers "
    "at the wrong source rows and mislabels records in splits.",
    example="train.jsonl has 120 lines, train.meta.jsonl has 119",
    fix="Regenerate both files together (`fineprep convert` or `fineprep split`), or delete the "
    "stale sidecar; if you edited the data on purpose, delete its <name>.set.json.",
)


#: Where a record is in its file: its line and sidecar source.
_At = tuple[int, str | None]


@dataclass
class _FileMedia:
    """One file's media, as the mixing rule needs it: the first record holding an image and
    the first holding a video, and how many records hold each (a few numbers per file, merged
    across partitions in file order)."""

    file: FileState
    first_image: _At | None = None
    first_video: _At | None = None
    image_records: int = 0
    video_records: int = 0

    def state(self) -> tuple[_At | None, _At | None, int, int]:
        return (self.first_image, self.first_video, self.image_records, self.video_records)

    def absorb(self, state: tuple[_At | None, _At | None, int, int]) -> None:
        """Add a later part of the same file (its records come after this one's)."""
        image, video, images, videos = state
        self.first_image = self.first_image if self.first_image is not None else image
        self.first_video = self.first_video if self.first_video is not None else video
        self.image_records += images
        self.video_records += videos


class _First(NamedTuple):
    """The first record of one kind of media in a job's files (``order``: the file's place
    in the run, so that comparing two of them is comparing their places in the data)."""

    order: int
    line: int
    file: FileState
    source: str | None


def _first(job: list[tuple[int, _FileMedia]], kind: str) -> _First | None:
    for order, media in job:
        at = media.first_image if kind == "image" else media.first_video
        if at is not None:
            return _First(order, at[0], media.file, at[1])
    return None


@register
class MediaMixCheck(Check):
    """Images and videos must not be mixed within one dataset (Nova).

    bedrock-facts.md §3.3, line 280: "A dataset may not mix images and videos" (Nova Lite and
    Pro, R5); line 282: Nova 2 Lite's "Dataset must be homogeneous ... no mixing of images and
    videos within the dataset" (R6, R7). Neither says "file": the training and validation
    files are one job's data, which Bedrock treats as a whole elsewhere too (its record quota
    is the "Sum of training and validation records for a ... job", line 299; N002), and a
    video validation set beside image training data is a mixed job. So the rule is judged
    over the files of one job: each training file with every validation file of the run. A
    test file is never sent with the job and is judged alone; two training files are two
    jobs, never judged together (the per-file pre-commit hook passes many files at once).

    The finding is pinned on the first record of the kind fewer records hold (on a tie, the
    kind met later), the one to remove or move elsewhere; the message names the first record
    of the other kind, which is also the finding's related location.
    """

    codes: ClassVar[tuple[str, ...]] = ("S006",)
    formats = frozenset({"conversation"})

    def start(self, run: RunState) -> None:
        #: Every file of the run, in run order (a partition's worker sees one).
        self.files: list[_FileMedia] = []

    def start_file(self, file: FileState) -> None:
        self.current = _FileMedia(file)
        self.files.append(self.current)

    def check(self, rec: RecordContext) -> None:
        media = rec.view.media
        if not media:
            return
        kinds = {m.kind for m in media}
        cur = self.current
        at = (rec.line, rec.meta.source if rec.meta else None)
        if "image" in kinds:
            cur.image_records += 1
            if cur.first_image is None:
                cur.first_image = at
        if "video" in kinds:
            cur.video_records += 1
            if cur.first_video is None:
                cur.first_video = at

    def export_partition(self) -> Any:
        return self.current.state()

    def absorb_partition(self, state: Any, tickets: Sequence[int]) -> None:
        self.current.absorb(state)

    def finish(self, run: RunState) -> None:
        """Judged once every file is in: the two kinds may be in different files (and, in a
        partitioned run, in different partitions of one)."""
        profile = run.profile
        if profile is None or profile.media_mixing or not run.is_enabled("S006"):
            return
        files = list(enumerate(self.files))
        train = [f for f in files if f[1].file.role == "train"]
        validation = [f for f in files if f[1].file.role == "validation"]
        jobs = [[t, *validation] for t in train] if train else [validation]
        jobs += [[f] for f in files if f[1].file.role not in ("train", "validation")]
        reported: set[tuple[int, int]] = set()
        for job in jobs:
            self._judge(run, profile.name, sorted(job, key=lambda f: f[0]), reported)

    def _judge(
        self,
        run: RunState,
        model: str,
        job: list[tuple[int, _FileMedia]],
        reported: set[tuple[int, int]],
    ) -> None:
        images = sum(m.image_records for _, m in job)
        videos = sum(m.video_records for _, m in job)
        image, video = _first(job, "image"), _first(job, "video")
        if image is None or video is None:
            return
        if images != videos:
            video_minor = videos < images
        else:
            video_minor = (video.order, video.line) > (image.order, image.line)
        here, other = (video, image) if video_minor else (image, video)
        if (here.order, here.line) in reported:
            return  # a validation record, judged again with another training file
        reported.add((here.order, here.line))

        def at(first: _First) -> str:
            return (
                f"line {first.line}"
                if first.file is here.file
                else f"{first.file.path}:{first.line}"
            )

        across = image.file is not video.file
        message = (
            f"{model} datasets may not mix images and videos: {images:,} record"
            f"{'' if images == 1 else 's'} with images (first at {at(image)}), {videos:,} with "
            f"videos (first at {at(video)})"
            + ("; the training and validation files of a job are one dataset" if across else "")
        )
        data = {
            "image_records": images,
            "video_records": videos,
            "first_image_path": image.file.path,
            "first_image_line": image.line,
            "first_video_path": video.file.path,
            "first_video_line": video.line,
        }
        run.emit(
            "S006",
            message,
            here.file,
            here.line,
            ("messages",),
            data,
            here.source,
            [Location(other.file.path, other.line, None, other.source)],
        )
