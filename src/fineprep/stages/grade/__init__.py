"""The grade stage: a dry run of an RFT job's reward function over the dataset, before the job.

It builds the grader's events exactly as Bedrock does (batches of ``{id, messages, metadata}``
with a response appended as the assistant turn), calls a local handler in a separate process
with a time limit or a deployed Lambda through boto3, and reports crashes, timeouts, output
shape, score ranges and the score distribution as R findings.

May import: fineprep.core, fineprep.formats, fineprep.io, fineprep.tokens, fineprep.engines and
fineprep.stages.check (the R rules and the CheckResult every reporter renders).
"""
