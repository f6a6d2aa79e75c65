"""fineprep: prepare and validate fine-tuning data for Amazon Bedrock model customization.

The public Python API mirrors the CLI; heavy dependencies load only when a function needs them.
"""

from __future__ import annotations

__version__ = "0.1.0"
