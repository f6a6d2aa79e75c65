"""The convert stage: sources in, Bedrock JSONL (plus sidecar and rejects) out.

:mod:`.sources` reads tables and JSON, :mod:`.textract` and :mod:`.idp` read document-AI
outputs into the document model (:mod:`.document`); templates, targets and chunking build the
records; :mod:`.runner` puts them together.

May import: fineprep.core, fineprep.formats, fineprep.io, fineprep.tokens, fineprep.engines, and
fineprep.stages.check.rules.outside (the G001 rule it emits).
"""
