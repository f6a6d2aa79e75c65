"""The ``bda`` source: Amazon Bedrock Data Automation document outputs, standard and custom.

An asynchronous BDA job writes, under its output prefix::

    <job>/job_metadata.json
    <job>/<asset>/standard_output/<n>/result.json    text, pages, elements, page images
    <job>/<asset>/custom_output/<n>/result.json      a blueprint's fields, class and pages

The folder is read as it comes out of S3. A **standard output** is a document: each page's
``representation`` (Markdown by default, or plain ``text`` with ``-S representation=text``),
``TABLE`` elements as Markdown tables on their first page, the ``asset_metadata.rectified_image``
S3 URIs as page images, and ``meta`` with ``s3_bucket``/``s3_key`` of the input and the
generated ``summary`` and ``description``. A **custom output** (``inference_result``,
``document_class``, ``split_document.page_indices``, ``matched_blueprint``) adds ``fields`` and
``class`` to the standard output of the same asset (the same segment, else the first),
restricted to the pages the blueprint matched; one row per custom output. A custom output
without a standard output has only fields and a class, no text (a template that uses the text
rejects it, saying so). ``job_metadata.json`` is checked: a job that did not succeed is one
failed input, and so is each output in its folder (the metadata is read from the job's folder
even when only an asset folder is converted). Outputs of other modalities (image, audio,
video) are refused.

Options: ``unit`` (``document``/``page``), ``representation`` (``markdown``/``text``) and
``page_images`` (default false): with it, each row's page images go into the record as image
blocks (for models that take images); without it they are only ``document.images``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from fineprep.core.errors import ConfigError, InputError
from fineprep.stages.convert.document import Document, Page, RenderedTable
from fineprep.stages.convert.sources.base import SOURCES, SourceItem, SourceReject, failed_input
from fineprep.stages.convert.textract.files import (
    as_dict,
    as_float,
    as_int,
    as_list,
    as_str,
    load_json,
)
from fineprep.stages.convert.textract.reader import as_bool, document_rows

_OK_STATUSES = frozenset({"PROCESSED", "SUCCESS", "SUCCEEDED", "COMPLETED"})
_OPTIONS = ("unit", "representation", "page_images", "notices")


def sniff_bda(value: Any) -> bool:
    """A standard output, a custom output or a job's ``job_metadata.json``."""
    if not isinstance(value, dict):
        return False
    if "semantic_modality" in as_dict(value.get("metadata")):
        return True
    if "inference_result" in value and ("matched_blueprint" in value or "document_class" in value):
        return True
    return "job_id" in value and "job_status" in value and "output_metadata" in value


def _options(options: dict[str, Any]) -> tuple[str, str, bool]:
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise ConfigError(
            f"bda source: unknown option {unknown[0]!r} (known: unit, representation, page_images)"
        )
    unit = options.get("unit", "document")
    text = options.get("representation", "markdown")
    if unit not in ("document", "page"):
        raise ConfigError(f"bda source: unit must be 'document' or 'page', not {unit!r}")
    if text not in ("markdown", "text"):
        raise ConfigError(f"bda source: representation must be 'markdown' or 'text', not {text!r}")
    return unit, text, as_bool("page_images", options.get("page_images", False), "bda")


def _place(path: Path) -> tuple[str, str, str]:
    """(asset folder, ``standard``/``custom``, segment) from BDA's output layout."""
    parts = path.parts
    for kind in ("standard_output", "custom_output"):
        if kind in parts[:-1]:
            at = len(parts) - 1 - parts[::-1].index(kind)
            segment = parts[at + 1] if at + 2 < len(parts) else "0"
            return str(Path(*parts[:at])), kind.split("_")[0], segment
    return str(path), "", "0"


def standard_document(obj: dict[str, Any], shown: str, representation: str) -> Document:
    meta = as_dict(obj.get("metadata"))
    modality = as_str(meta.get("semantic_modality")).upper()
    if modality and modality != "DOCUMENT":
        raise InputError(
            f"{shown}: a Bedrock Data Automation {modality.lower()} output; this reader takes "
            "document outputs"
        )
    tables: dict[int, list[RenderedTable]] = {}
    for element in map(as_dict, as_list(obj.get("elements"))):
        if as_str(element.get("type")).upper() != "TABLE":
            continue
        markdown = as_str(as_dict(element.get("representation")).get("markdown")).strip()
        indices = [i for i in map(as_int, as_list(element.get("page_indices"))) if i is not None]
        if markdown:
            tables.setdefault((indices[0] if indices else 0) + 1, []).append(
                RenderedTable(markdown)
            )
    pages = []
    for position, page in enumerate(map(as_dict, as_list(obj.get("pages")))):
        index = as_int(page.get("page_index"))
        number = (index if index is not None else position) + 1
        shown_as = as_dict(page.get("representation"))
        body = as_str(shown_as.get(representation)) or as_str(shown_as.get("text"))
        image = as_str(as_dict(page.get("asset_metadata")).get("rectified_image"))
        images = (image,) if image.startswith("s3://") else ()
        pages.append(
            Page(
                number,
                body.strip(),
                tables=list(tables.get(number, [])),
                source=shown,
                images=images,
            )
        )
    if not pages:
        whole = as_dict(as_dict(obj.get("document")).get("representation"))
        body = as_str(whole.get(representation)) or as_str(whole.get("text"))
        pages = [Page(1, body.strip(), tables=list(tables.get(1, [])), source=shown)]
    document = as_dict(obj.get("document"))
    key = as_str(meta.get("s3_key"))
    info = {
        "s3_bucket": as_str(meta.get("s3_bucket")),
        "s3_key": key,
        "summary": as_str(document.get("summary")),
        "description": as_str(document.get("description")),
    }
    doc_id = Path(key).stem if key else Path(shown).parent.name
    return Document(doc_id, shown, "bda", pages, meta=info)


def custom_result(
    obj: dict[str, Any],
) -> tuple[dict[str, Any], tuple[str, ...], list[int], dict[str, Any]]:
    """(fields, classes, 1-based pages, blueprint) of a custom output."""
    fields = as_dict(obj.get("inference_result"))
    kind = as_str(as_dict(obj.get("document_class")).get("type")).strip()
    pages = [
        i + 1
        for i in map(as_int, as_list(as_dict(obj.get("split_document")).get("page_indices")))
        if i is not None
    ]
    blueprint = as_dict(obj.get("matched_blueprint"))
    info = {
        "blueprint": as_str(blueprint.get("name")),
        "blueprint_confidence": as_float(blueprint.get("confidence")),
    }
    return fields, (kind,) if kind else (), pages, info


def _check_job(obj: dict[str, Any], shown: str) -> None:
    status = as_str(obj.get("job_status")).upper()
    if status and status not in _OK_STATUSES:
        said = as_str(obj.get("error_message") or obj.get("error_type"))
        raise InputError(
            f"{shown}: the Data Automation job {as_str(obj.get('job_id'))!r} is {status}"
            + (f" ({said})" if said else ""),
            hint="convert the output of a job that finished processing",
        )


class _Jobs:
    """The status of each job whose outputs are read, from the ``job_metadata.json`` in its
    folder (read once per job): the outputs of a job that did not succeed are refused, since
    whatever results it left are not the job's complete output."""

    def __init__(self) -> None:
        self.refusals: dict[Path, InputError | None] = {}

    def check_output(self, job: Path, path: str) -> None:
        metadata = job / "job_metadata.json"
        key = metadata.resolve()
        if key not in self.refusals:
            self.refusals[key] = None
            if metadata.is_file():
                try:
                    _check_job(as_dict(load_json(metadata, str(metadata))), str(metadata))
                except InputError as exc:
                    self.refusals[key] = exc
        refusal = self.refusals[key]
        if refusal is not None:
            raise InputError(
                f"{path}: an output of a job that did not succeed: {refusal.message}",
                hint="convert the output of a job that finished processing",
            )


def read_bda(paths: list[str], options: dict[str, Any]) -> Iterator[SourceItem]:
    """Rows of Data Automation outputs (see the module docstring)."""
    unit, representation, images = _options(options)
    standard: dict[tuple[str, str], Document] = {}
    custom: list[tuple[str, str, str, dict[str, Any]]] = []
    jobs = _Jobs()
    for path in paths:
        try:
            folder, kind, segment = _place(Path(path))
            if kind:
                jobs.check_output(Path(folder).parent, path)
            obj = as_dict(load_json(Path(path), path))
            if "job_status" in obj:
                _check_job(obj, path)
            elif kind == "custom" or "inference_result" in obj:
                custom.append((folder, segment, path, obj))
            else:
                standard[(folder, segment)] = standard_document(obj, path, representation)
        except InputError as exc:
            yield failed_input([path], exc)
    used: set[tuple[str, str]] = set()
    for folder, segment, path, obj in custom:
        fields, classes, pages, info = custom_result(obj)
        key = (folder, segment) if (folder, segment) in standard else (folder, "0")
        base = standard.get(key)
        used.add(key)
        if base is None:
            doc = Document(
                Path(folder).name, path, "bda", [], fields=fields, classes=classes, meta=info
            )
        else:
            chosen = base.select_pages(pages) if pages else base
            doc = replace(
                chosen, source=path, fields=fields, classes=classes, meta={**base.meta, **info}
            )
        yield from _rows(doc, unit, images)
    for key, doc in standard.items():
        if key not in used:
            yield from _rows(doc, unit, images)


def _rows(doc: Document, unit: str, images: bool) -> Iterator[SourceItem]:
    for item in document_rows(doc, unit):
        yield item if images or isinstance(item, SourceReject) else replace(item, images=())


SOURCES.add("bda", read_bda)
