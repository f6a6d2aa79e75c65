"""The console script's entry point: signal manners first, then the command line.

Kept apart from :mod:`fineprep.cli.main` so that the handlers for Ctrl-C and SIGTERM are in
place before click and the command modules are imported (an interrupt during those imports
would otherwise end in a traceback), and again after the command has returned, while the
interpreter shuts down. Library users and tests that import the CLI get no global handlers.
"""

from __future__ import annotations

from fineprep.cli import signals

signals.exit_at_once()


def main() -> None:
    """``fineprep``: run the command line with start-up and shutdown covered."""
    try:
        from fineprep.cli.main import main as run

        run()
    finally:
        signals.exit_at_once()
