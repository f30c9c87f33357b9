"""Sinks: open_sink() picks PostgreSQL, DuckDB or a Parquet golden image from the URI's form."""

from __future__ import annotations

from typing import Any

from maskpipe.extract import classify_uri
from maskpipe.load.base import Sink
from maskpipe.model import MaskpipeError, Problem

__all__ = ["open_sink"]


def open_sink(uri: str, *, source_uri: str | None = None, **postgres_options: Any) -> Sink:
    """The sink for `uri`.

    A PostgreSQL destination copies the source's schema with pg_dump, so it needs `source_uri`;
    `postgres_options` (bindir, source_snapshot, ...) go to PostgresSink. File sinks take no options and
    ignore both, so a caller can pass the same arguments whatever the destination is.
    """
    kind, target = classify_uri(uri, "--dest")
    if kind == "postgres":
        if source_uri is None:
            raise MaskpipeError(
                Problem("--dest", "a PostgreSQL destination needs a PostgreSQL source: its schema is copied "
                        "with pg_dump", "use a PostgreSQL --source, or a DuckDB file or folder as --dest")
            )  # fmt: skip
        from maskpipe.load.postgres import PostgresSink

        return PostgresSink(target, source_uri, **postgres_options)
    if kind == "duckdb":
        from maskpipe.load.duckdb import DuckDBSink

        return DuckDBSink(target)
    from maskpipe.load.parquet import ParquetSink

    return ParquetSink(target)
