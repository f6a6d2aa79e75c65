"""The launch stage: the CreateModelCustomizationJob request, built, validated and submitted.

May import: fineprep.core, fineprep.formats, fineprep.io, fineprep.tokens, fineprep.engines and the
stages below it (fineprep.stages.convert, fineprep.stages.check, fineprep.stages.split,
fineprep.stages.augment, fineprep.stages.grade).
"""
