"""The core: the values every stage shares and the rules that are data.

What lives here: the data model (:mod:`.model`: Record, Location, Finding, Severity), the tool's
errors, the registry type, settings and config loading, model profiles (Bedrock's per-model
rules as data, ``data/models.toml``), the rule catalogue's types, stable hashes, S3 URIs, the
published JSON Schemas, and how worker processes start without losing a signal (:mod:`.forking`).
Nothing here does I/O beyond reading config and packaged data.

May import: nothing else of fineprep.
"""

from __future__ import annotations

#: The tool's version: read by reports, manifests, caches and ``--version``.
__version__ = "0.1.0"
