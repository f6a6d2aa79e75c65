"""N: record counts, file sizes, validation support, legacy models, file names.

Counts are per file role (training, validation; test files are not sent to Bedrock). Where a
model counts training and validation records together, the sum is checked after all files.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

from fineprep.core.rules import rule
from fineprep.stages.check.rules.augmented import count_data, count_note
from fineprep.stages.check.rules.base import Check, register

if TYPE_CHECKING:
    from fineprep.core.profiles import ModelProfile
    from fineprep.stages.check.state import FileState, RunState

rule(
    "N001",
    "too-few-records",
    "error",
    "below the model's minimum",
    what="A training file with fewer records than the model requires (e.g. 8 for Nova, 32 for "
    "Claude 3 Haiku, 100 for Llama 3.x, 100 valid prompts for distillation).",
    why="Bedrock refuses the job (distillation fails late, in its data-processing stage).",
    example="20 records for Claude 3 Haiku (minimum 32)",
    fix="Add examples, or choose a model with a lower minimum. For distillation keep a margin "
    "well above 100 valid prompts.",
)
rule(
    "N002",
    "too-many-records",
    "error",
    "above the maximum (train+validation together where the model counts them so)",
    what="More records than the model accepts, counting training and validation together for "
    "models whose quota covers both (Nova, Claude 3 Haiku, Llama 3.x, Titan).",
    why="Bedrock refuses the job; the quota is per account and can sometimes be raised.",
    example="19,000 training + 2,000 validation records for Nova Lite (20,000 in total)",
    fix="Downsample (`fineprep split --max-per-class`), move records out of validation, or ask "
    "for a Service Quotas increase and set [limits] max_records in config.",
)
rule(
    "N003",
    "too-many-validation",
    "error",
    "validation set over its maximum",
    what="A validation file with more records than the model allows (1,000 for Claude 3 Haiku "
    "and Llama 3.x).",
    why="Bedrock refuses the job.",
    example="1,500 validation records for Claude 3 Haiku",
    fix="Cap the validation set (`fineprep split` does it from the model profile).",
)
rule(
    "N004",
    "file-too-large",
    "error",
    "file over the model's size limit",
    what="A training or validation file larger than the model's limit (e.g. 10 GB / 1 GB for "
    "Claude 3 Haiku, 1 GB / 100 MB for Titan Text), compared in decimal units.",
    why="Bedrock refuses the job.",
    example="a 1.2 GB training file for Titan Text Express",
    fix="Reduce the data or shorten records.",
)
rule(
    "N005",
    "validation-unsupported",
    "error",
    "the model accepts no validation set",
    what="A validation file given for a model that takes none (Nova 2 Lite, Titan Image "
    "Generator, Titan Multimodal Embeddings, Nova Canvas).",
    why="The job request fails, or (Nova 2 Lite) the console accepts it and training ignores it, "
    "so the metrics you expect never appear.",
    example="validation.jsonl with --model nova-2-lite",
    fix="Train without a validation file and evaluate separately.",
)
rule(
    "N006",
    "legacy-model",
    "warning",
    "the model is no longer offered for customization, or its customization ends",
    what="The chosen model is documented only in earlier revisions of the Bedrock pages (Titan "
    "Text, Cohere Command, Llama 2, Titan Image Generator v1), or its provider has announced "
    "the date its customization ends (the profile's `end_of_life`, with its source; Cohere "
    "ended fine-tuning on 2025-09-15). The message says which, and whether the date is past.",
    why="It may be retired or unavailable in your account; limits are less certain.",
    example="--model titan-text-express",
    fix="Confirm with `aws bedrock list-foundation-models --by-customization-type FINE_TUNING` "
    "or move to a current model.",
)
rule(
    "N007",
    "file-name",
    "error",
    "file name has characters or an ending the model's service rejects",
    what="A dataset file name with characters outside letters, digits, '_', '-', '/' and '.', "
    "or an ending other than the one the model requires, for models that restrict names (Nova "
    "takes `.jsonl` files only).",
    why="Nova rejects such file names when the job starts.",
    example="train data (v2).jsonl; train.json for Nova Lite",
    fix="Rename the file, e.g. train-data-v2.jsonl.",
)


def lifecycle_message(p: ModelProfile, today: str | None = None) -> str:
    """Why a model is flagged: legacy, and when its customization ends or ended."""
    import datetime

    now = today or datetime.date.today().isoformat()
    parts = []
    if p.legacy:
        parts.append("is a legacy model: it is no longer listed for customization")
    if p.end_of_life:
        verb = "ended" if p.end_of_life <= now else "ends"
        where = p.source_url("end_of_life")
        parts.append(
            f"its customization {verb} on {p.end_of_life}" + (f" ({where})" if where else "")
        )
    elif p.legacy:
        parts[-1] += " and may be retired"
    return f"{p.name} ({p.base_model_id}) " + "; ".join(parts)


def lifecycle_data(p: ModelProfile) -> dict[str, object]:
    return {"model": p.key, "legacy": p.legacy, "end_of_life": p.end_of_life}


def _limit_max(profile: ModelProfile, file: FileState) -> int | None:
    if file.format == "distillation" and profile.distillation_max_records:
        return profile.distillation_max_records
    return profile.max_records


@register
class CountCheck(Check):
    """Per-file and per-dataset record counts and sizes against the model profile."""

    codes: ClassVar[tuple[str, ...]] = ("N001", "N002", "N003", "N004", "N005", "N006", "N007")
    needs_valid = False
    finish_order = 1  # valid distillation prompts are known only once token verdicts are in

    def start(self, run: RunState) -> None:
        self.distillation: list[FileState] = []
        p = run.profile
        if p is not None and (p.legacy or p.end_of_life):
            run.emit("N006", lifecycle_message(p), None, None, None, lifecycle_data(p))

    def start_file(self, file: FileState) -> None:
        p = self.run.profile
        if p is not None and p.file_extensions and file.path != "<stdin>":
            self._extension(file, p)
        if p is not None and p.file_name_pattern and file.path != "<stdin>":
            name = file.path.replace("\\", "/").rsplit("/", 1)[-1]
            if not re.fullmatch(p.file_name_pattern, name):
                self.run.emit(
                    "N007",
                    f"file name {name!r} has characters {p.name} rejects "
                    "(use letters, digits, _ - / .)",
                    file,
                    None,
                    None,
                    {"name": name},
                )

    def _extension(self, file: FileState, p: ModelProfile) -> None:
        name = file.path.replace("\\", "/").rsplit("/", 1)[-1]
        if name.lower().endswith(p.file_extensions):
            return
        allowed = " or ".join(p.file_extensions)
        self.run.emit(
            "N007",
            f"file name {name!r}: {p.name} takes dataset files ending in {allowed}",
            file,
            None,
            None,
            {"name": name, "allowed": list(p.file_extensions)},
        )

    def finish_file(self, file: FileState) -> None:
        p = self.run.profile
        if p is None or file.role == "test":
            return
        emit = self.run.emit
        n = file.records
        if file.role == "validation":
            if not p.validation_supported:
                emit(
                    "N005", f"{p.name} takes no validation set", file, None, None, {"model": p.key}
                )
            elif p.max_validation_records is not None and n > p.max_validation_records:
                emit(
                    "N003",
                    f"{n:,} validation records{count_note(n, file.augmented_records)}; {p.name} "
                    f"takes at most {p.max_validation_records:,}",
                    file,
                    None,
                    None,
                    {
                        "records": n,
                        "limit": p.max_validation_records,
                        **count_data(n, file.augmented_records),
                    },
                )
            self._size(file, p.max_validation_file_bytes)
            return
        self._minimum(file, p)
        limit = _limit_max(p, file)
        if limit is not None and n > limit:
            aug = file.augmented_records
            emit(
                "N002",
                f"{n:,} training records{count_note(n, aug)}; {p.name} takes at most {limit:,}",
                file,
                None,
                None,
                {"records": n, "limit": limit, **count_data(n, aug)},
            )
        size_limit = p.max_train_file_bytes
        if file.format == "pretraining" and p.pretraining_max_train_file_bytes:
            size_limit = p.pretraining_max_train_file_bytes
        self._size(file, size_limit)

    def _minimum(self, file: FileState, p: ModelProfile) -> None:
        minimum: int | None
        if file.format == "distillation" and p.distillation_min_records:
            self.distillation.append(file)  # decided in finish, once every prompt is judged
            return
        else:
            n, minimum, what = file.records, p.min_records, "training records"
        if minimum is not None and n < minimum:
            docs = ""
            if p.hard_min_records is not None and n >= p.hard_min_records:
                docs = f" (the docs say {p.hard_min_records}; the AWS validator requires {minimum})"
            aug = file.augmented_records
            self.run.emit(
                "N001",
                f"{n:,} {what}{count_note(n, aug)}; {p.name} needs at least {minimum:,}{docs}",
                file,
                None,
                None,
                {"records": n, "minimum": minimum, **count_data(n, aug)},
            )

    def _size(self, file: FileState, limit: int | None) -> None:
        if limit is not None and file.bytes > limit:
            self.run.emit(
                "N004",
                f"file is {file.bytes:,} bytes; the limit is {limit:,}",
                file,
                None,
                None,
                {"bytes": file.bytes, "limit": limit},
            )

    def finish(self, run: RunState) -> None:
        p = run.profile
        for file in self.distillation:
            assert p is not None and p.distillation_min_records
            valid, minimum = file.records - len(file.dropped), p.distillation_min_records
            if valid < minimum:
                dropped = f" ({len(file.dropped):,} dropped)" if file.dropped else ""
                note = f"; {file.augmented_records:,} augmented" if file.augmented_records else ""
                run.emit(
                    "N001",
                    f"{valid:,} valid distillation prompts{dropped}{note}; {p.name} needs at "
                    f"least {minimum:,}",
                    file,
                    None,
                    None,
                    {
                        "records": valid,
                        "minimum": minimum,
                        "dropped": len(file.dropped),
                        **({"augmented": file.augmented_records} if note else {}),
                    },
                )
        if p is None or not p.count_train_and_validation or p.max_records is None:
            return
        val = sum(f.records for f in run.files if f.role == "validation")
        if not val:
            return
        val_aug = sum(f.augmented_records for f in run.files if f.role == "validation")
        for file in run.files:
            if file.role != "train":
                continue
            total = file.records + val
            aug = file.augmented_records + val_aug
            if file.records <= p.max_records < total:
                run.emit(
                    "N002",
                    f"{file.records:,} training + {val:,} validation = {total:,} "
                    f"records{count_note(total, aug)}; {p.name} counts them together, at most "
                    f"{p.max_records:,}",
                    file,
                    None,
                    None,
                    {
                        "records": total,
                        "train": file.records,
                        "validation": val,
                        "limit": p.max_records,
                        **count_data(total, aug),
                    },
                )
