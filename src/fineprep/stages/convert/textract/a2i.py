"""Amazon Augmented AI (A2I) human-review outputs of Textract: the response and the corrections.

A2I writes ``output.json`` for each human loop: ``inputContent`` (the ``aiServiceRequest``, the
``aiServiceResponse`` Textract returned and, for key-value reviews, ``selectedAiServiceResponse``),
``humanAnswers`` (one per worker) and the loop's names. Saved copies often have the input keys at
the top level instead; both are read. A2I stores the Textract response with camelCase keys
(``blockType``, ``relationships``); they are read as Textract's own (``BlockType``...).

The document is the Textract response inside (text, key/values, tables as for any AnalyzeDocument
output); the human answers are its ``fields``: for the built-in Textract review task
(``AWS/Textract/AnalyzeDocument/Forms/V1``) the key/value pairs the reviewers confirmed or
corrected, for a custom task the answer object as the workers submitted it. When several
workers answered and they disagree on a value, the output is refused rather than trained on
one of them; ``meta`` holds the loop name, flow definition and worker ids.
"""

from __future__ import annotations

from typing import Any

from fineprep.core.errors import InputError
from fineprep.stages.convert.document import unique_keys
from fineprep.stages.convert.textract.blocks import Blocks
from fineprep.stages.convert.textract.files import as_dict, as_list, as_str

#: The answer key of Textract's built-in key-value review task.
FORMS_TASK = "AWS/Textract/AnalyzeDocument/Forms/V1"


def textract_keys(value: Any) -> Any:
    """A2I's camelCase copy of a Textract response with Textract's PascalCase keys."""
    if isinstance(value, dict):
        return {(k[:1].upper() + k[1:]): textract_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [textract_keys(v) for v in value]
    return value


def a2i_parts(
    obj: dict[str, Any], shown: str
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(the Textract response, the human answers as fields, meta) of one A2I output."""
    content = as_dict(obj.get("inputContent")) or obj
    response = content.get("aiServiceResponse")
    if not isinstance(response, dict):
        raise InputError(
            f"{shown}: an A2I output without the Textract response (aiServiceResponse)",
            hint="convert the output.json A2I wrote for a Textract human loop, unchanged",
        )
    answers = [as_dict(a) for a in as_list(obj.get("humanAnswers"))]
    if not answers:
        raise InputError(f"{shown}: the human loop has no answers yet (humanAnswers is empty)")
    per_worker = [_answer_fields(as_dict(a.get("answerContent"))) for a in answers]
    fields = per_worker[0]
    for other in per_worker[1:]:
        for key in sorted(set(fields) | set(other)):
            if fields.get(key) != other.get(key):
                raise InputError(
                    f"{shown}: the {len(answers)} reviewers disagree on {key!r} "
                    f"({fields.get(key)!r} vs {other.get(key)!r})",
                    hint="resolve the review (or keep one worker's answer) and convert again",
                )
    meta = {
        "human_loop_name": as_str(obj.get("humanLoopName") or content.get("humanLoopName")),
        "flow_definition_arn": as_str(obj.get("flowDefinitionArn")),
        "workers": [as_str(a.get("workerId")) for a in answers],
    }
    return textract_keys(response), fields, meta


def _answer_fields(answer: dict[str, Any]) -> dict[str, Any]:
    forms = answer.get(FORMS_TASK)
    if not isinstance(forms, dict):
        return answer  # a custom task: the answer as submitted
    blocks = textract_keys(as_list(forms.get("blocks")))
    pages = Blocks([("answers", blocks)]).pages()
    return unique_keys([kv for page in pages for kv in page.key_values])
