"""The Bedrock record formats: one registry, one detector.

Format names are used everywhere (CLI, config, reports): ``prompt-completion``,
``conversation`` (bedrock-conversation-2024), ``claude-messages``, ``pretraining``,
``distillation`` (conversation under distillation rules), ``image-caption`` and ``rft``
(reinforcement fine-tuning prompts with a reference answer).

May import: fineprep.core.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fineprep.core.registry import Registry
from fineprep.formats.base import FormatSpec, View

FORMATS: Registry[FormatSpec] = Registry("format")

FORMATS.add(
    "prompt-completion",
    FormatSpec(
        "prompt-completion",
        "prompt-completion",
        "Text-to-text {prompt, completion} (Titan Text, Cohere, Llama 3.1, Llama 2).",
        "fineprep.formats.simple:analyze_prompt_completion",
        '{"prompt": "Classify: late parcel", "completion": "negative"}',
        fast="fineprep.formats.fast:prompt_completion",
    ),
)
FORMATS.add(
    "conversation",
    FormatSpec(
        "conversation",
        "conversation",
        "bedrock-conversation-2024: system blocks, user/assistant turns with text, image and "
        "video blocks (Nova, Nova 2 with reasoningContent, Llama 3.2/3.3).",
        "fineprep.formats.conversation:analyze_conversation",
        '{"schemaVersion": "bedrock-conversation-2024", "messages": [{"role": "user", "content": '
        '[{"text": "Hi"}]}, {"role": "assistant", "content": [{"text": "Hello"}]}]}',
        fast="fineprep.formats.fast:conversation",
    ),
)
FORMATS.add(
    "claude-messages",
    FormatSpec(
        "claude-messages",
        "claude-messages",
        "Anthropic messages for Claude 3 Haiku: optional string system, string content.",
        "fineprep.formats.claude_messages:analyze_claude_messages",
        '{"system": "Be brief.", "messages": [{"role": "user", "content": "Hi"}, '
        '{"role": "assistant", "content": "Hello"}]}',
    ),
)
FORMATS.add(
    "pretraining",
    FormatSpec(
        "pretraining",
        "pretraining",
        "Continued pre-training: {input} only (Titan Text Express and Lite).",
        "fineprep.formats.simple:analyze_pretraining",
        '{"input": "Unlabelled domain text."}',
        fast="fineprep.formats.fast:pretraining",
    ),
)
FORMATS.add(
    "distillation",
    FormatSpec(
        "distillation",
        "distillation",
        "Distillation prompts: the conversation envelope, one text block per message, user "
        "turn required, reference answer optional.",
        "fineprep.formats.conversation:analyze_distillation",
        '{"schemaVersion": "bedrock-conversation-2024", "messages": [{"role": "user", "content": '
        '[{"text": "How do I update my card?"}]}]}',
    ),
)
FORMATS.add(
    "image-caption",
    FormatSpec(
        "image-caption",
        "image-caption",
        "Image generation and embedding models: {image-ref, caption} (Titan Image, Nova Canvas).",
        "fineprep.formats.simple:analyze_image_caption",
        '{"image-ref": "s3://bucket/images/cat.png", "caption": "an orange cat"}',
    ),
)
FORMATS.add(
    "rft",
    FormatSpec(
        "rft",
        "rft",
        "Reinforcement fine-tuning prompts: OpenAI chat-completions messages (system/user/"
        "assistant, string or text-part content) ending with the prompt, plus reference_answer "
        "and optional fields for the grader (Nova 2 Lite, gpt-oss-20b, Qwen3 32B).",
        "fineprep.formats.rft:analyze_rft",
        '{"messages": [{"role": "user", "content": "What is 17 * 23?"}], '
        '"reference_answer": "391"}',
    ),
)

#: Chat records a reinforcement fine-tuning file may hold without being another format: a
#: prompt that lost its reference answer is an RFT record with a finding, not a different file.
RFT_LOOKALIKES = frozenset({"claude-messages", "conversation"})


#: Formats of chat records: a record of one may be a broken record of another.
CHAT_FORMATS = frozenset({"conversation", "claude-messages", "distillation", "rft"})


def detect(obj: Any, accepted: Sequence[str] = ()) -> str | None:
    """Guess a record's format from its keys; ``None`` if it looks like none of them.

    ``accepted`` (the model's formats, in its order) breaks the guess's ties: a chat record
    shaped like another chat format than the model takes (string content for Nova, a block
    list ``system`` for Claude, a prompt whose ``reference_answer`` key is misspelt for an
    RFT-only model) is a broken record of the model's format, to be walked as one and told
    what to fix. A record of another kind of data, or for another customization type (an
    answered conversation for an RFT-only model), keeps its own format: the model does not
    take that data at all, which one finding says.
    """
    own = _detect(obj)
    if own is None or not accepted or own in accepted or own not in CHAT_FORMATS:
        return own
    for fmt in accepted:
        if fmt in CHAT_FORMATS and not other_customization(obj, own, fmt):
            return fmt
    return own


def other_customization(obj: dict[str, Any], own: str | None, forced: str | None) -> bool:
    """Whether a record of format ``own`` is for another customization type than ``forced``
    (supervised records as RFT prompts, or the reverse): then every line of such a file
    fails the same way, and one finding for the file says it better. A chat prompt that
    only lacks its reference answer is an RFT record with a finding, not another format."""
    if own is None or forced is None or own == forced or "rft" not in (own, forced):
        return False
    if forced == "rft" and own in RFT_LOOKALIKES:
        messages = obj.get("messages")
        last = messages[-1] if isinstance(messages, list) and messages else None
        return isinstance(last, dict) and last.get("role") == "assistant"
    return True


def _detect(obj: Any) -> str | None:
    if not isinstance(obj, dict):
        return None
    if "reference_answer" in obj:
        return "rft"
    if "messages" in obj:
        if "schemaVersion" in obj or isinstance(obj.get("system"), list):
            return "conversation"
        messages = obj["messages"]
        if isinstance(messages, list):
            for msg in messages:
                if isinstance(msg, dict) and "content" in msg:
                    return "conversation" if isinstance(msg["content"], list) else "claude-messages"
        return "claude-messages" if isinstance(obj.get("system"), str) else "conversation"
    if "prompt" in obj or "completion" in obj:
        return "prompt-completion"
    if "input" in obj:
        return "pretraining"
    if "image-ref" in obj or "caption" in obj:
        return "image-caption"
    return None


def compatible(record_format: str | None, file_format: str) -> bool:
    """Whether a record detected as ``record_format`` may sit in a ``file_format`` file."""
    if record_format is None or record_format == file_format:
        return True
    if file_format == "rft" and record_format in RFT_LOOKALIKES:
        return True
    return {record_format, file_format} == {"conversation", "distillation"}


__all__ = [
    "CHAT_FORMATS",
    "FORMATS",
    "RFT_LOOKALIKES",
    "FormatSpec",
    "View",
    "compatible",
    "detect",
    "other_customization",
]
