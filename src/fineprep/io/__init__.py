"""Bytes in and out: the JSONL line reader, atomic writers, AWS clients, terminal progress.

Everything that touches a file, a terminal or a network endpoint for more than one stage lives
here, so the stages share one way to read lines (with line numbers), one way to write files
that appear complete or not at all, and one way to reach AWS.

May import: fineprep.core.
"""
