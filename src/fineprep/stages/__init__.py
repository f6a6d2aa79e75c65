"""The pipeline stages, one folder each: convert, check, split, upload, launch.

They are named by their commands but live one level down so that the public functions
``fineprep.check``, ``fineprep.convert``, ``fineprep.split``... stay functions (a subpackage
``fineprep.check`` would replace the function of that name as soon as it was imported).
Stages do not import each other sideways, except for the pairs the layering test names.
"""
