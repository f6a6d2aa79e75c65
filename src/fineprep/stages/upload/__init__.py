"""The upload stage: a checked dataset to S3, verified, with ``manifest.json`` written last.

May import: fineprep.core, fineprep.formats, fineprep.io, fineprep.tokens, fineprep.engines, the
stages below it (fineprep.stages.convert, fineprep.stages.check: the dataset is checked before a
byte is sent, fineprep.stages.split, fineprep.stages.augment, fineprep.stages.grade), and
fineprep.stages.launch (the job request is written beside the manifest).
"""
