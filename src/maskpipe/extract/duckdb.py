"""DuckDB source: a database file opened read-only, every user table streamed as Arrow batches.

Also holds the DuckDB plumbing the sink shares (quoting, URI parsing, error wording): load/duckdb.py
imports it from here so that extract never imports load.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from maskpipe.extract.base import DEFAULT_BATCH_ROWS
from maskpipe.extract.parquet import path_from_uri
from maskpipe.model import ColumnInfo, ForeignKey, MaskpipeError, Problem, RunFailed, TableInfo

URI_PREFIX = "duckdb://"
SUFFIXES = (".duckdb", ".db")
# Bytes 8..12 of every DuckDB database file.
MAGIC = b"DUCK"

# Read as VARCHAR: ENUM arrives as an Arrow dictionary (Polars makes it a Categorical, which string
# maskers refuse, and a masked value is rarely a member of the enum), INTERVAL as month_day_nano_interval,
# which Polars cannot import. sql_type keeps the real type.
_AS_TEXT_PREFIXES = ("ENUM(", "INTERVAL")


def quote_ident(name: str) -> str:
    """DuckDB identifier quoting: mixed case, spaces, quotes and reserved words all survive."""
    return '"' + name.replace('"', '""') + '"'


def qualified_name(schema: str, name: str) -> str:
    return f"{quote_ident(schema)}.{quote_ident(name)}"


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def is_duckdb_file(path: Path) -> bool:
    """True when `path` starts like a DuckDB database (checked before we open or replace it)."""
    try:
        with path.open("rb") as f:
            return f.read(12)[8:12] == MAGIC
    except OSError:
        return False


class DuckDBSource:
    """Reads every user table (not views, not temporary tables) of one DuckDB file, never writing to it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.uri = os.fspath(path)
        self.path = path_from_uri(path, URI_PREFIX)
        self._conn: Any = None
        self._text_columns: dict[str, frozenset[str]] = {}

    def identity(self) -> str:
        return "file:" + os.path.realpath(self.path)

    def _connection(self) -> Any:
        if self._conn is None:
            if not self.path.is_file():
                what = "is a folder, not a DuckDB file" if self.path.is_dir() else "does not exist"
                raise MaskpipeError(
                    Problem("--source", f"{self.path} {what}",
                            "name an existing DuckDB file, e.g. duckdb:///data/snapshot.duckdb")
                )  # fmt: skip
            if not is_duckdb_file(self.path):
                raise MaskpipeError(
                    Problem("--source", f"{self.path} is not a DuckDB database",
                            "a folder of Parquet files is read as Parquet; other .db files are not supported")
                )  # fmt: skip
            try:
                conn = duckdb.connect(str(self.path), read_only=True)
            except duckdb.Error as exc:
                raise MaskpipeError(
                    Problem("--source", f"cannot open {self.path} read-only: {exc}",
                            "close any program that holds it open for writing, then retry")
                ) from None  # fmt: skip
            # TIMESTAMPTZ values are instants; pin the zone they are labelled with so the Arrow type does
            # not depend on the machine running maskpipe.
            conn.execute("SET TimeZone = 'UTC'")
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def __enter__(self) -> DuckDBSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- describe ---------------------------------------------------------------------------------------
    def describe(self) -> list[TableInfo]:
        conn = self._connection()
        try:
            return self._describe(conn)
        except duckdb.Error as exc:
            raise MaskpipeError(
                Problem("--source", f"cannot read the catalog of {self.path}: {exc}")
            ) from None

    def _describe(self, conn: Any) -> list[TableInfo]:
        tables = conn.sql(
            "SELECT schema_name, table_name, estimated_size FROM duckdb_tables() "
            "WHERE database_name = current_database() AND NOT temporary AND NOT internal "
            "ORDER BY schema_name, table_name"
        ).fetchall()
        columns: dict[tuple[str, str], list[tuple[str, str, bool, bool]]] = {}
        for schema, table, name, data_type, nullable, generated in conn.sql(
            "SELECT schema_name, table_name, column_name, data_type, is_nullable, is_generated "
            "FROM duckdb_columns() WHERE database_name = current_database() AND NOT internal "
            "ORDER BY schema_name, table_name, column_index"
        ).fetchall():
            columns.setdefault((schema, table), []).append((name, data_type, bool(nullable), bool(generated)))
        constraints: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
        for row in conn.sql(
            "SELECT schema_name, table_name, constraint_type, constraint_column_names, constraint_name, "
            "referenced_table, referenced_column_names FROM duckdb_constraints() "
            "WHERE database_name = current_database() "
            "AND constraint_type IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY') ORDER BY constraint_index"
        ).fetchall():
            constraints.setdefault((row[0], row[1]), []).append(row[2:])

        result = []
        for schema, table, estimate in tables:
            cols = columns.get((schema, table), [])
            text = frozenset(n for n, t, _, _ in cols if t.upper().startswith(_AS_TEXT_PREFIXES))
            qname = f"{schema}.{table}"
            self._text_columns[qname] = text
            arrow_schema = self._arrow_schema(conn, schema, table, [c[0] for c in cols], text)
            infos = tuple(
                ColumnInfo(name, arrow_schema.field(i).type, sql_type=data_type, nullable=nullable,
                           generated=generated)
                for i, (name, data_type, nullable, generated) in enumerate(cols)
            )  # fmt: skip
            pk: tuple[str, ...] = ()
            unique: list[tuple[str, ...]] = []
            fks: list[ForeignKey] = []
            for kind, names, cname, ref_table, ref_columns in constraints.get((schema, table), []):
                if kind == "PRIMARY KEY":
                    pk = tuple(names)
                elif kind == "UNIQUE":
                    unique.append(tuple(names))
                else:
                    # DuckDB only allows foreign keys within one schema, so the parent is in `schema`.
                    fks.append(ForeignKey(tuple(names), f"{schema}.{ref_table}", tuple(ref_columns), cname))
            result.append(
                TableInfo(schema, table, infos, pk, tuple(unique), tuple(fks), row_estimate=int(estimate))
            )
        return result

    @staticmethod
    def _select_list(names: list[str], text: frozenset[str]) -> str:
        return ", ".join(
            f"CAST({quote_ident(n)} AS VARCHAR) AS {quote_ident(n)}" if n in text else quote_ident(n)
            for n in names
        )

    def _arrow_schema(
        self, conn: Any, schema: str, table: str, names: list[str], text: frozenset[str]
    ) -> pa.Schema:
        if not names:
            return pa.schema([])
        sql = f"SELECT {self._select_list(names, text)} FROM {qualified_name(schema, table)} LIMIT 0"
        reader = conn.sql(sql).to_arrow_reader(1)
        try:
            return reader.schema
        finally:
            reader.close()

    # -- read -------------------------------------------------------------------------------------------
    def read_batches(
        self, table: TableInfo, batch_rows: int = DEFAULT_BATCH_ROWS
    ) -> Iterator[pa.RecordBatch]:
        """Stream the table's non-generated columns, at most `batch_rows` rows per batch."""
        conn = self._connection()
        if table.qualified not in self._text_columns:
            self.describe()
        if table.qualified not in self._text_columns:
            raise MaskpipeError(Problem("--source", f"table {table.qualified} not found in {self.path}"))
        names = [c.name for c in table.columns if not c.generated]
        if not names:
            return
        sql = (
            f"SELECT {self._select_list(names, self._text_columns[table.qualified])} "
            f"FROM {qualified_name(table.schema, table.name)}"
        )
        try:
            reader = conn.sql(sql).to_arrow_reader(batch_rows)
        except duckdb.Error as exc:
            raise RunFailed(f"--source: reading {table.qualified} failed: {exc}") from None
        try:
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    break
                # Batches are cut to batch_rows by DuckDB already; slicing again is free and guarantees it.
                for start in range(0, batch.num_rows, batch_rows):
                    yield batch.slice(start, batch_rows)
        except (duckdb.Error, pa.ArrowException) as exc:
            raise RunFailed(f"--source: reading {table.qualified} failed: {exc}") from None
        finally:
            reader.close()
