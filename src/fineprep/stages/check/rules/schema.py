"""S: does each record have the shape its format and the chosen model require?

Most of these are found by the format's structural walk (``fineprep.formats``) while it
collects the text; this module declares them and holds the dataset-wide media rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from fineprep.core.rules import rule
from fineprep.stages.check.rules.base import Check, register

if TYPE_CHECKING:
    from fineprep.stages.check.state import FileState, RecordContext

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


@register
class MediaMixCheck(Check):
    """Images and videos must not be mixed within one dataset file (Nova)."""

    codes: ClassVar[tuple[str, ...]] = ("S006",)
    formats = frozenset({"conversation"})

    def start_file(self, file: FileState) -> None:
        #: Line and sidecar source of the first record with an image, and with a video.
        self.first_image: tuple[int, str | None] | None = None
        self.first_video: tuple[int, str | None] | None = None

    def check(self, rec: RecordContext) -> None:
        if not rec.view.media:
            return
        for m in rec.view.media:
            if m.kind == "image" and self.first_image is None:
                self.first_image = (rec.line, rec.meta.source if rec.meta else None)
            elif m.kind == "video" and self.first_video is None:
                self.first_video = (rec.line, rec.meta.source if rec.meta else None)

    def export_partition(self) -> Any:
        return (self.first_image, self.first_video)

    def absorb_partition(self, state: Any, tickets: Sequence[int]) -> None:
        image, video = state
        self.first_image = self.first_image if self.first_image is not None else image
        self.first_video = self.first_video if self.first_video is not None else video

    def finish_file(self, file: FileState) -> None:
        """Reported at the first record of the second kind, once the whole file is seen (the
        first image and first video may be in different partitions)."""
        first_image, first_video, profile = self.first_image, self.first_video, self.run.profile
        if first_image is None or first_video is None or profile is None or profile.media_mixing:
            return
        (image, _), (video, _) = first_image, first_video
        self.run.emit(
            "S006",
            f"{profile.name} datasets may not mix images and videos: "
            f"first image at line {image}, first video at line {video}",
            file,
            max(image, video),
            ("messages",),
            {"first_image_line": image, "first_video_line": video},
            (first_video if video > image else first_image)[1],
        )
