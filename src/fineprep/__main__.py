"""Allows ``python -m fineprep``."""

from fineprep.cli.main import main

main()
