"""DuckDB sink: build the masked copy in a new file ``<path>.maskpipe-staging``, then os.replace() it in.

Column types come from the Arrow schema as DuckDB's own Arrow scan reads it. DuckDB cannot add a foreign
key to an existing table, so PRIMARY KEY, UNIQUE and FOREIGN KEY are declared in CREATE TABLE: a table
whose parents are already written is created with its FKs; one written before a parent is created without
them and rebuilt (rename, create, copy) at commit, parents first. FKs DuckDB cannot hold (inside a cycle,
across schemas, to a table not copied, to columns without a PK/UNIQUE) are left out, each with a warning
in ``sink.warnings``. os.replace() is atomic on one file system, so a run killed at any point leaves the
previous destination whole; begin() deletes what such a run left behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from maskpipe.extract.duckdb import URI_PREFIX, is_duckdb_file, qualified_name, quote_ident
from maskpipe.extract.parquet import path_from_uri
from maskpipe.load.parquet import fsync_path
from maskpipe.model import ForeignKey, MaskpipeError, Problem, RunFailed, TableInfo

STAGING_SUFFIX = ".maskpipe-staging"
_BATCH_VIEW = "__maskpipe_batch"
_REBUILD_SUFFIX = "__maskpipe_rebuild"
# DuckDB's own files beside a database: write-ahead log and spill folder.
_COMPANIONS = (".wal", ".tmp")


@dataclass
class _Created:
    columns: list[tuple[str, str, bool]]  # name, DuckDB type, NOT NULL
    deferred: bool  # created without its FKs; rebuilt at commit


class DuckDBSink:
    """Writes a full copy into one DuckDB file atomically."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.uri = os.fspath(path)
        self.path = path_from_uri(path, URI_PREFIX)
        self.staging = self.path.with_name(self.path.name + STAGING_SUFFIX)
        self.warnings: list[Problem] = []
        self._conn: Any = None
        self._tables: dict[str, TableInfo] = {}
        self._fks: dict[str, list[ForeignKey]] = {}
        self._order: list[str] = []
        self._created: dict[str, _Created] = {}
        self._state = "new"  # new -> staging -> committed | aborted

    def identity(self) -> str:
        return "file:" + os.path.realpath(self.path)

    # -- begin ------------------------------------------------------------------------------------------
    def begin(self, tables: list[TableInfo]) -> None:
        self._check_destination()
        self._check_names(tables)
        self._remove_staging()
        try:
            self.staging.parent.mkdir(parents=True, exist_ok=True)
            self._conn = duckdb.connect(str(self.staging))
        except (OSError, duckdb.Error) as exc:
            raise MaskpipeError(
                Problem("--dest", f"cannot create {self.staging}: {exc}",
                        "the folder that holds --dest must be writable")
            ) from None  # fmt: skip
        self._tables = {t.qualified: t for t in tables}
        self.warnings = []
        self._fks, self._order = self._plan_foreign_keys(tables)
        self._created = {}
        self._state = "staging"

    def _check_destination(self) -> None:
        dest = self.path
        if not dest.exists():
            return
        if not dest.is_file():
            raise MaskpipeError(
                Problem("--dest", f"{dest} exists and is not a file", "name a new or a DuckDB database file")
            )
        if dest.stat().st_size and not is_duckdb_file(dest):
            raise MaskpipeError(
                Problem("--dest", f"{dest} exists and is not a DuckDB database",
                        "maskpipe replaces the destination file and never overwrites a file of another "
                        "kind: name a new file or an existing DuckDB database")
            )  # fmt: skip

    def _check_names(self, tables: list[TableInfo]) -> None:
        """DuckDB matches identifiers case-insensitively, even quoted ones: say so before any data moves."""
        problems: list[Problem] = []
        seen: dict[tuple[str, str], str] = {}
        for t in tables:
            key = (t.schema.casefold(), t.name.casefold())
            if key in seen:
                problems.append(
                    Problem(t.qualified, f"DuckDB cannot hold both {seen[key]} and {t.qualified}: "
                            "its table names ignore case", "exclude one of the tables from the copy")
                )  # fmt: skip
            seen.setdefault(key, t.qualified)
            cols: dict[str, str] = {}
            for c in t.columns:
                if c.name.casefold() in cols:
                    problems.append(
                        Problem(f"{t.qualified}.{c.name}", f"DuckDB cannot hold both columns "
                                f"{cols[c.name.casefold()]!r} and {c.name!r}: its column names ignore case")
                    )  # fmt: skip
                cols.setdefault(c.name.casefold(), c.name)
        if problems:
            raise MaskpipeError(problems)

    def _companions(self, path: Path) -> list[Path]:
        return [path.with_name(path.name + s) for s in _COMPANIONS]

    def _remove_staging(self) -> None:
        # Every name here carries our suffix: it can only be a leftover of an earlier run.
        for p in (self.staging, *self._companions(self.staging)):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            elif p.exists() or p.is_symlink():
                p.unlink()

    def _warn(self, where: str, message: str) -> None:
        self.warnings.append(Problem(where, message, severity="warning"))

    def _plan_foreign_keys(self, tables: list[TableInfo]) -> tuple[dict[str, list[ForeignKey]], list[str]]:
        """The FKs DuckDB can declare (each with a warning for those it cannot), and a parents-first order."""
        by_name = {t.qualified: t for t in tables}
        kept: dict[str, list[ForeignKey]] = {t.qualified: [] for t in tables}
        for t in tables:
            for fk in t.foreign_keys:
                if fk.virtual:
                    continue  # declared by rules, not by the source database: nothing to recreate
                where = f"{t.qualified} FOREIGN KEY ({', '.join(fk.columns)})"
                parent = by_name.get(fk.ref_table)
                if parent is None:
                    self._warn(where, f"left out: {fk.ref_table} is not part of this copy")
                    continue
                if parent.schema != t.schema:
                    self._warn(where, f"left out: DuckDB has no foreign keys across schemas ({fk.ref_table})")
                    continue
                aligned = _align_to_key(fk, parent)
                if aligned is None:
                    self._warn(where, f"left out: {fk.ref_table} ({', '.join(fk.ref_columns)}) is not its "
                               "PRIMARY KEY or a UNIQUE constraint, which DuckDB requires")  # fmt: skip
                    continue
                kept[t.qualified].append(aligned)
        in_cycle = _cyclic_nodes(kept)
        for child, fks in kept.items():
            for fk in list(fks):
                if child in in_cycle and fk.ref_table in in_cycle[child]:
                    self._warn(f"{child} FOREIGN KEY ({', '.join(fk.columns)})",
                               f"left out: it is part of a cycle of foreign keys ({child} -> "
                               f"{fk.ref_table}); rows could not be inserted parents first")  # fmt: skip
                    fks.remove(fk)
        return kept, _parents_first(kept)

    # -- write ------------------------------------------------------------------------------------------
    def write_table(self, table: TableInfo, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> int:
        if self._state != "staging":
            raise RunFailed("DuckDBSink.write_table() called before begin() or after commit()/abort()")
        qname = table.qualified
        if qname in self._created:
            raise RunFailed(f"--dest: table {qname} was written twice in one run")
        if qname not in self._tables:
            self._tables[qname] = table
            self._fks[qname] = []
            self._order.append(qname)
        conn = self._conn
        columns = self._column_types(table, schema)
        fks = self._fks[qname]
        ready = all(fk.ref_table in self._created and not self._created[fk.ref_table].deferred for fk in fks)
        try:
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(table.schema)}")
            conn.execute(self._create_sql(table, columns, fks if ready else [], warn=True))
        except duckdb.Error as exc:
            # DDL errors name types and identifiers, never data values.
            raise RunFailed(f"--dest: cannot create {qname} in DuckDB: {exc}") from None
        self._created[qname] = _Created(columns, deferred=bool(fks) and not ready)
        names = ", ".join(quote_ident(f.name) for f in schema)
        target = qualified_name(table.schema, table.name)
        insert = f"INSERT INTO {target} ({names}) SELECT {names} FROM {_BATCH_VIEW}"
        rows = 0
        # One transaction per table: DuckDB then writes large inserts straight to the file, not via the WAL.
        conn.execute("BEGIN TRANSACTION")
        try:
            for batch in batches:
                conn.register(_BATCH_VIEW, batch)
                try:
                    conn.execute(insert)
                finally:
                    conn.unregister(_BATCH_VIEW)
                rows += batch.num_rows
            conn.execute("COMMIT")
        except duckdb.Error as exc:
            with contextlib.suppress(duckdb.Error):
                conn.execute("ROLLBACK")
            raise RunFailed(f"--dest: writing {qname} into DuckDB failed: {_safe_error(exc)}") from None
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                conn.execute("ROLLBACK")
            raise
        return rows

    def _column_types(self, table: TableInfo, schema: pa.Schema) -> list[tuple[str, str, bool]]:
        """(name, DuckDB type, NOT NULL) for each Arrow field, typed by DuckDB's own Arrow scan."""
        conn = self._conn
        try:
            conn.register(_BATCH_VIEW, schema.empty_table())
            try:
                described = conn.sql(f"DESCRIBE SELECT * FROM {_BATCH_VIEW}").fetchall()
            finally:
                conn.unregister(_BATCH_VIEW)
        except (duckdb.Error, pa.ArrowException) as exc:
            types = ", ".join(f"{f.name}: {f.type}" for f in schema)
            raise RunFailed(f"--dest: DuckDB cannot store the Arrow types of {table.qualified} ({types}): "
                            f"{_safe_error(exc)}") from None  # fmt: skip
        result = []
        for field, (_, sql_type, *_rest) in zip(schema, described, strict=True):
            if sql_type == '"NULL"':
                sql_type = "VARCHAR"  # an all-null column without a type; VARCHAR holds nulls as well as any
            info = table.column(field.name)
            nullable = info.nullable if info is not None else field.nullable
            result.append((field.name, sql_type, not nullable))
        return result

    def _create_sql(
        self, table: TableInfo, columns: list[tuple[str, str, bool]], fks: list[ForeignKey], *, warn: bool
    ) -> str:
        present = {c[0] for c in columns}
        parts = [f"{quote_ident(n)} {t}{' NOT NULL' if not_null else ''}" for n, t, not_null in columns]

        def cols(names: Iterable[str]) -> str:
            return ", ".join(quote_ident(n) for n in names)

        def usable(kind: str, names: tuple[str, ...]) -> bool:
            missing = [n for n in names if n not in present]
            if missing and warn:
                self._warn(f"{table.qualified} {kind} ({', '.join(names)})",
                           f"left out: column(s) {', '.join(missing)} are not written")  # fmt: skip
            return not missing

        if table.primary_key and usable("PRIMARY KEY", table.primary_key):
            parts.append(f"PRIMARY KEY ({cols(table.primary_key)})")
        for u in table.unique:
            if u != table.primary_key and usable("UNIQUE", u):
                parts.append(f"UNIQUE ({cols(u)})")
        for fk in fks:
            ref_schema, _, ref_name = fk.ref_table.partition(".")
            parts.append(
                f"FOREIGN KEY ({cols(fk.columns)}) REFERENCES {qualified_name(ref_schema, ref_name)} "
                f"({cols(fk.ref_columns)})"
            )
        return f"CREATE TABLE {qualified_name(table.schema, table.name)} ({', '.join(parts)})"

    # -- commit / abort -----------------------------------------------------------------------------------
    def commit(self) -> None:
        if self._state != "staging":
            raise RunFailed("DuckDBSink.commit() called before begin() or twice")
        for qname in self._order:
            created = self._created.get(qname)
            if created is not None and created.deferred:
                self._rebuild(self._tables[qname], created)
        conn, self._conn = self._conn, None
        try:
            conn.execute("CHECKPOINT")
        finally:
            conn.close()
        wal = self.staging.with_name(self.staging.name + ".wal")
        if wal.exists():
            raise RunFailed(f"--dest: DuckDB left {wal} after a checkpoint; the staging copy is not complete")
        fsync_path(self.staging)
        self._fold_destination_wal()
        self.staging.replace(self.path)  # atomic on one file system
        fsync_path(self.path.parent)
        tmp = self.staging.with_name(self.staging.name + ".tmp")
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        self._state = "committed"

    def _rebuild(self, table: TableInfo, created: _Created) -> None:
        """Recreate a table written before its parents, now with its FKs (DuckDB cannot ALTER them in)."""
        fks = [fk for fk in self._fks[table.qualified] if fk.ref_table in self._created]
        for fk in self._fks[table.qualified]:
            if fk.ref_table not in self._created:
                self._warn(f"{table.qualified} FOREIGN KEY ({', '.join(fk.columns)})",
                           f"left out: {fk.ref_table} was not written")  # fmt: skip
        if not fks:
            return
        conn = self._conn
        tmp_name = table.name + _REBUILD_SUFFIX
        final = qualified_name(table.schema, table.name)
        tmp = qualified_name(table.schema, tmp_name)
        try:
            conn.execute("BEGIN TRANSACTION")
            conn.execute(f"ALTER TABLE {final} RENAME TO {quote_ident(tmp_name)}")
            conn.execute(self._create_sql(table, created.columns, fks, warn=False))
            names = ", ".join(quote_ident(c[0]) for c in created.columns)
            conn.execute(f"INSERT INTO {final} ({names}) SELECT {names} FROM {tmp}")
            conn.execute(f"DROP TABLE {tmp}")
            conn.execute("COMMIT")
        except duckdb.Error as exc:
            with contextlib.suppress(duckdb.Error):
                conn.execute("ROLLBACK")
            raise RunFailed(
                f"--dest: adding the foreign keys of {table.qualified} failed: {_safe_error(exc)}"
            ) from None
        created.deferred = False

    def _fold_destination_wal(self) -> None:
        """A WAL beside the old destination would be replayed onto our new file: fold it in first."""
        wal = self.path.with_name(self.path.name + ".wal")
        if not wal.exists():
            return
        try:
            old = duckdb.connect(str(self.path))
            try:
                old.execute("CHECKPOINT")
            finally:
                old.close()
        except duckdb.Error as exc:
            raise RunFailed(
                f"--dest: {self.path} has a write-ahead log that could not be checkpointed ({exc}); "
                "close the programs that use it and run again"
            ) from None
        if wal.exists():
            raise RunFailed(f"--dest: {wal} is still there after a checkpoint; is {self.path} in use?")

    def abort(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None
        if self._state == "staging":
            self._remove_staging()
            self._state = "aborted"

    def close(self) -> None:
        if self._state == "staging":
            self.abort()


# -- helpers ----------------------------------------------------------------------------------------------
_QUOTED = re.compile(r"\"(?:[^\"]|\"\")*\"|'(?:[^']|'')*'")


def _safe_error(exc: BaseException) -> str:
    """DuckDB's message without quoted text and source excerpts: those can carry a data value
    (duplicate key "alice@example.com", could not convert string 'x')."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return _QUOTED.sub("<value>", first) + " (values not shown)"


def _align_to_key(fk: ForeignKey, parent: TableInfo) -> ForeignKey | None:
    """The FK with its column pairs in the order of the parent's PK or UNIQUE key (DuckDB matches the
    referenced columns in order), or None when they are not exactly such a key."""
    for key in (parent.primary_key, *parent.unique):
        if key and sorted(key) == sorted(fk.ref_columns) and len(key) == len(fk.ref_columns):
            pair = dict(zip(fk.ref_columns, fk.columns, strict=True))
            return ForeignKey(tuple(pair[k] for k in key), fk.ref_table, key, fk.name, fk.virtual)
    return None


def _cyclic_nodes(fks: dict[str, list[ForeignKey]]) -> dict[str, set[str]]:
    """For each table in a cycle of FKs (self-references included), the tables of its strongly connected
    component (Tarjan's algorithm, iterative so deep chains do not hit the recursion limit)."""
    graph = {t: sorted({fk.ref_table for fk in v if fk.ref_table in fks}) for t, v in fks.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: dict[str, set[str]] = {}
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            recurse = False
            for j in range(i, len(graph[node])):
                nxt = graph[node][j]
                if nxt not in index:
                    work.append((node, j + 1))
                    work.append((nxt, 0))
                    recurse = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if recurse:
                continue
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    for member in component:
                        result[member] = component
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return result


def _parents_first(fks: dict[str, list[ForeignKey]]) -> list[str]:
    """Tables ordered so every parent comes before its children (the FK graph is acyclic by now)."""
    order: list[str] = []
    done: set[str] = set()

    def visit(start: str) -> None:
        work = [(start, iter(sorted({fk.ref_table for fk in fks[start] if fk.ref_table in fks})))]
        done.add(start)
        while work:
            node, parents = work[-1]
            nxt = next((p for p in parents if p not in done), None)
            if nxt is None:
                work.pop()
                order.append(node)
            else:
                done.add(nxt)
                work.append((nxt, iter(sorted({fk.ref_table for fk in fks[nxt] if fk.ref_table in fks}))))

    for table in fks:
        if table not in done:
            visit(table)
    return order
