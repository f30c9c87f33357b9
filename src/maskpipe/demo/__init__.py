"""The demo snapshot that ships with maskpipe: fabricated people in four related Parquet tables.

``SNAPSHOT_DIR`` holds ``people``, ``contacts``, ``payments`` and ``notes`` as ``<table>.parquet``
(schema ``public``); each file's schema metadata carries its keys under ``b"maskpipe.table"``.
Rebuild the files with ``uv run python -m maskpipe.demo.generate``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DEMO_KEY_HEX", "DEMO_TABLES", "SNAPSHOT_DIR"]

# Path(__file__) rather than importlib.resources.as_file: Parquet readers need a real folder, and
# hatchling installs the package as plain files (zip imports are not supported for the demo).
SNAPSHOT_DIR: Path = Path(__file__).parent / "snapshot"

DEMO_TABLES: tuple[str, ...] = ("people", "contacts", "payments", "notes")

DEMO_KEY_HEX = "6c532e17acfa040454632ebc0403c6ced993fb5370080fd47a10d00b7d20bf9e"
"""PUBLIC demo masking key: 32 bytes as hex, published in this source file and in the docs.

Anyone can recompute every masked value made with it, so masking with it protects nothing. Use it
only with the demo snapshot, to show that runs are repeatable. Real runs need a secret key of their own.
It is sha256(b"maskpipe public demo key - never use for real data"), so it is plainly not a secret.
"""
