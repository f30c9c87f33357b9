"""Sources: open_source() picks PostgreSQL, DuckDB or a Parquet folder from the URI's form."""

from __future__ import annotations

import re
from typing import Literal

from maskpipe.extract.base import Source
from maskpipe.model import MaskpipeError, Problem

__all__ = ["ACCEPTED_FORMS", "classify_uri", "open_source"]

Kind = Literal["postgres", "duckdb", "parquet"]

ACCEPTED_FORMS = (
    "postgresql://user@host/db (or postgres://), duckdb:///path/file.duckdb (or a path ending .duckdb/.db), "
    "parquet:///path/folder (or any other plain path, read as a folder of Parquet files)"
)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
# libpq keyword/value strings ("host=db1 dbname=prod"); a plain path never starts like that.
_CONNINFO = re.compile(r"^\s*(host|hostaddr|dbname|user|port|service)\s*=")


def classify_uri(uri: str, where: str) -> tuple[Kind, str]:
    """(kind, what to hand to that backend: the URI for PostgreSQL, a path otherwise) for a --source or
    --dest value. Messages never show a password: an unknown URI is named by its scheme alone."""
    text = uri.strip()
    if not text:
        raise MaskpipeError(Problem(where, "is empty", f"accepted forms: {ACCEPTED_FORMS}"))
    if text.startswith(("postgresql://", "postgres://")) or _CONNINFO.match(text):
        return "postgres", text
    m = _SCHEME.match(text)
    if m:
        scheme = m.group(1).lower()
        if scheme == "duckdb":
            return "duckdb", text[m.end() :]
        if scheme == "parquet":
            return "parquet", text[m.end() :]
        if scheme != "file":
            raise MaskpipeError(
                Problem(where, f"unknown scheme '{m.group(1)}://'", f"accepted forms: {ACCEPTED_FORMS}")
            )
        text = text[m.end() :]
    if text.lower().endswith((".duckdb", ".db")):
        return "duckdb", text
    return "parquet", text


def open_source(uri: str) -> Source:
    """The source for `uri`. Opening is lazy: describe() is where a missing database or folder is reported."""
    kind, target = classify_uri(uri, "--source")
    if kind == "postgres":
        # Imported here: the ADBC driver is only loaded when a PostgreSQL source is used.
        from maskpipe.extract.postgres import PostgresSource

        return PostgresSource(target)
    if kind == "duckdb":
        from maskpipe.extract.duckdb import DuckDBSource

        return DuckDBSource(target)
    from maskpipe.extract.parquet import ParquetSource

    return ParquetSource(target)
