"""Allows ``python -m fineprep``."""

from fineprep.cli.entry import main

main()
