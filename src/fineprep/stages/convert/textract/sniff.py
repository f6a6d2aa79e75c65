"""Which JSON documents are Textract outputs: routing ``.json`` inputs to the ``textract`` source.

Kept apart from the reader so that telling the kind of a file imports nothing else of it.
"""

from __future__ import annotations

from typing import Any

_MODEL_VERSION_KEYS = (
    "DetectDocumentTextModelVersion",
    "AnalyzeDocumentModelVersion",
    "AnalyzeExpenseModelVersion",
    "AnalyzeIDModelVersion",
    "AnalyzeLendingModelVersion",
)
STATUSES = ("SUCCEEDED", "FAILED", "IN_PROGRESS", "PARTIAL_SUCCESS")
#: Every top-level key of an asynchronous Get* response (with boto3's ``ResponseMetadata`` and
#: a ``JobId`` some people add), for a response that holds nothing but its status.
_RESPONSE_KEYS = frozenset(
    {
        "JobStatus",
        "StatusMessage",
        "NextToken",
        "Blocks",
        "Warnings",
        "DocumentMetadata",
        "ResponseMetadata",
        "JobId",
        *_MODEL_VERSION_KEYS,
    }
)


def is_lending(obj: dict[str, Any]) -> bool:
    """A ``GetLendingAnalysis`` response (per-page classes and extractions)."""
    if "AnalyzeLendingModelVersion" in obj and not isinstance(obj.get("Summary"), dict):
        return True
    results = obj.get("Results")
    return isinstance(results, list) and any(
        isinstance(r, dict) and ("PageClassification" in r or "Extractions" in r)
        for r in results[:5]
    )


def is_lending_summary(obj: dict[str, Any]) -> bool:
    """A ``GetLendingAnalysisSummary`` response (document groups, no page content)."""
    return isinstance(obj.get("Summary"), dict) and "Results" not in obj


def is_a2i(obj: dict[str, Any]) -> bool:
    """An Amazon A2I human-loop output with the Textract response it reviewed."""
    if not isinstance(obj.get("humanAnswers"), list):
        return False
    content = obj.get("inputContent")
    return "aiServiceResponse" in obj or (
        isinstance(content, dict) and "aiServiceResponse" in content
    )


def sniff_textract(obj: Any) -> bool:
    """Whether a parsed JSON value looks like a Textract response (used to route ``.json`` inputs):
    any Textract API's output, an Analyze Lending result or summary, or an A2I review of one.

    A job's response that holds only its status (``{"JobStatus": "IN_PROGRESS"}``, a FAILED one
    with its ``StatusMessage``, a SUCCEEDED one saved without its results) counts as Textract
    too, so that it reaches the reader that explains what to do.
    """
    if not isinstance(obj, dict):
        return False
    if any(key in obj for key in _MODEL_VERSION_KEYS):
        return True
    if is_lending(obj) or is_lending_summary(obj) or is_a2i(obj):
        return True
    if isinstance(obj.get("ExpenseDocuments"), list) or isinstance(
        obj.get("IdentityDocuments"), list
    ):
        return True
    blocks = obj.get("Blocks")
    if isinstance(blocks, list) and (
        not blocks or any(isinstance(b, dict) and "BlockType" in b for b in blocks[:20])
    ):
        return True
    metadata = obj.get("DocumentMetadata")
    if isinstance(metadata, dict) and "Pages" in metadata:
        return True
    if obj.get("JobStatus") not in STATUSES:
        return False
    return set(obj) <= _RESPONSE_KEYS or any(
        key in obj for key in ("StatusMessage", "NextToken", "Blocks", "Warnings")
    )
