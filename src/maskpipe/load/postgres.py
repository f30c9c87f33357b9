"""PostgreSQL sink: build the masked copy in a staging database, then swap it in with two renames.

Order of work: pg_dump --section=pre-data of the source (tables, types, sequences; no indexes or keys),
data into those bare tables (masked tables through ADBC COPY, unmasked ones straight from the source with
copy_in), pg_dump --section=post-data as an archive restored with pg_restore (indexes, PK/UNIQUE/FK/CHECK,
triggers, materialized view refreshes: a big table's own keys and indexes as soon as it is loaded, the
rest at commit), sequence values copied from the source, then in one transaction
`dest -> dest__maskpipe_old`, `staging -> dest`, and the old copy dropped. A run killed before that
transaction commits leaves the destination as it was; begin() removes what such a run left behind (its
staging database, and its post-data archive, schema only, in the temporary folder).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import adbc_driver_manager
import pyarrow as pa
import pyarrow.compute as pc

from maskpipe.extract.postgres import (
    DATE_NEG_INF,
    DATE_POS_INF,
    SESSION_SETTINGS,
    TIMESTAMP_NEG_INF,
    TIMESTAMP_POS_INF,
    ConnectError,
    CopyOut,
    connect,
    copy_session_env,
    execute,
    fetch_all,
    find_pg_tool,
    libpq_env,
    mask_uri,
    qualified_name,
    quote_ident,
    quote_literal,
    safe_db_error,
    safe_tool_error,
    server_identity,
    sqlstate_of,
    system_identifier,
    uri_dbname,
    with_dbname,
)
from maskpipe.model import MaskpipeError, Problem, RunFailed, TableInfo

_MAX_IDENT_BYTES = 63
_LANDING = "_maskpipe_landing"
# A table with at least this many rows gets its own keys and indexes (post-data) built as soon as it is
# loaded, by a pg_restore in the background while other tables still load; smaller tables wait for
# commit(), where one pg_restore builds everything left (starting one costs more than their index).
EARLY_POST_DATA_ROWS = 100_000
# Post-data entries that concern one table only and may be built once its rows are in: its primary key,
# unique and exclusion constraints, NOT VALID checks and indexes. FKs, triggers, rules, policies,
# partition index attachments and the rest wait for commit().
_TABLE_LOCAL_ENTRIES = frozenset({"CONSTRAINT", "CHECK CONSTRAINT", "INDEX"})
_PG_CONSTRAINT_CLASS, _PG_CLASS_CLASS = 2606, 1259
_POST_DIR_PREFIX = "maskpipe-post-data-"

# Target types whose binary COPY input is plain UTF-8 text: Arrow strings go straight in.
_TEXT_LIKE = frozenset({"text", "varchar", "bpchar", "name", "json", "xml"})
# Target types the ADBC writer fills from a matching Arrow type; values are cast to exactly this Arrow
# type first, because the writer trusts the width (int64 into an int4 column corrupts the COPY stream).
_NATIVE_ARROW: dict[str, pa.DataType] = {
    "bool": pa.bool_(),
    "int2": pa.int16(),
    "int4": pa.int32(),
    "int8": pa.int64(),
    "float4": pa.float32(),
    "float8": pa.float64(),
    "money": pa.int64(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
    "time": pa.time64("us"),
}
_TEMPORAL = frozenset({"date", "timestamp", "timestamptz"})


def aux_name(dest: str, kind: str) -> str:
    """`<dest>__maskpipe_<kind>`, shortened with a hash when it would exceed PostgreSQL's 63 bytes."""
    full = f"{dest}__maskpipe_{kind}"
    if len(full.encode()) <= _MAX_IDENT_BYTES:
        return full
    suffix = f"__mp_{kind}_{hashlib.sha256(dest.encode()).hexdigest()[:8]}"
    prefix = dest.encode()[: _MAX_IDENT_BYTES - len(suffix)].decode(errors="ignore")
    return prefix + suffix


@dataclass(frozen=True)
class _Target:
    name: str
    sql_type: str  # format_type(), usable in a cast
    base: str  # base type name after domains
    typtype: str
    category: str
    generated: bool
    typmod: int  # the column's, or its domain's; -1 when unconstrained

    @property
    def decimal(self) -> pa.DataType | None:
        """decimal128(p, s) for numeric(p, s) with 0 <= s <= p <= 38, which the writer encodes natively."""
        if self.base != "numeric" or self.typmod < 4:
            return None
        precision, scale = ((self.typmod - 4) >> 16) & 0xFFFF, (self.typmod - 4) & 0xFFFF
        return pa.decimal128(precision, scale) if 0 <= scale <= precision <= 38 else None


@dataclass(frozen=True)
class _ColumnWrite:
    name: str
    mode: str  # "direct" | "text" | "temporal" | "decimal"
    target: _Target


def _write_mode(target: _Target, arrow_type: pa.DataType) -> str:
    """How one column reaches its destination type: "direct" (ADBC's binary COPY), "temporal" (direct
    unless a batch holds +/-infinity), "decimal" (direct unless a batch holds values decimal128 cannot
    carry) or "text" (landing table, then PostgreSQL's input function)."""
    t = arrow_type.storage_type if isinstance(arrow_type, pa.ExtensionType) else arrow_type
    base, plain = target.base, target.typtype == "b" and target.category != "A"
    if plain and base in _TEMPORAL and (pa.types.is_timestamp(t) or pa.types.is_date(t)):
        return "temporal"
    if plain and target.decimal is not None and (_is_string(t) or pa.types.is_decimal(t)):
        # numeric(p, s) text is cast to decimal128 in Arrow (exact, ~40% faster than the landing
        # table); a batch holding NaN or anything else the cast refuses goes through the landing table.
        return "decimal"
    direct = (
        target.typtype == "e"  # enum labels travel as text in binary COPY
        or (plain and base in _TEXT_LIKE)  # any Arrow type is cast to string in Arrow
        or (plain and base == "jsonb" and _is_string(t))  # wrapped as arrow.json -> jsonb
        or (plain and base == "bytea" and _is_binary(t))
        or (plain and base == "uuid" and (_is_binary(t) or isinstance(arrow_type, pa.UuidType)))
        or (plain and base in _NATIVE_ARROW and not _is_string(t) and not _is_binary(t))
    )
    # Everything else (numeric, arrays, interval, inet, ranges, ..., or strings for a typed column)
    # lands as text and PostgreSQL's own input function casts it.
    return "direct" if direct else "text"


def _is_string(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def _is_binary(t: pa.DataType) -> bool:
    return (
        pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
        or pa.types.is_binary_view(t)
        or pa.types.is_fixed_size_binary(t)
    )


def _storage(arr: pa.Array) -> pa.Array:
    return arr.storage if isinstance(arr, pa.ExtensionArray) else arr


class _CopyTarget(NamedTuple):
    psql: str
    uri: str  # the staging database
    server_major: int


class _StageWriter:
    """Loads tables into the staging database over one connection: ADBC's binary COPY, or a landing table
    PostgreSQL casts from when a batch holds what the COPY writer cannot encode. Landing tables are
    temporary, so writers on different connections never meet."""

    def __init__(
        self,
        conn: Any,
        written: set[str],
        copy_to: _CopyTarget,
        loaded: Callable[[str, int], None] = lambda table, rows: None,
    ) -> None:
        self._stage = conn
        self._written = written  # shared with the sink: tables fully written (set.add is atomic)
        self._copy_to = copy_to
        self._loaded = loaded  # told when a table's rows are all in (the sink starts its post-data)

    def close(self) -> None:
        if self._stage is not None:
            with contextlib.suppress(Exception):
                self._stage.close()
            self._stage = None

    def write_table(self, table: TableInfo, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> int:
        if self._stage is None:
            raise RunFailed("PostgresSink: this writer is closed")
        targets = self._targets(table)
        plans: dict[pa.Schema, tuple[list[_ColumnWrite], bool]] = {}
        written = 0
        direct_run: list[pa.RecordBatch] = []  # consecutive batches that go into one COPY
        landing: list[_ColumnWrite] | None = None  # layout of the current landing table

        def plan_for(s: pa.Schema) -> tuple[list[_ColumnWrite], bool]:
            if s not in plans:
                plans[s] = self._plan(table, s, targets)
            return plans[s]

        def flush_direct() -> None:
            if direct_run:
                self._ingest(table, direct_run)
                direct_run.clear()

        try:
            for batch in batches:
                if batch.num_rows == 0:
                    continue
                cols, needs_landing = plan_for(batch.schema)
                if not cols:
                    raise RunFailed(f"--dest: no writable columns for {table.qualified}")
                converted = None if needs_landing else self._convert_direct(table, batch, cols)
                if converted is None:
                    flush_direct()
                    if landing != cols:
                        self._create_landing(cols)
                        landing = cols
                    self._land(table, batch, cols)
                else:
                    if direct_run and direct_run[0].schema != converted.schema:
                        flush_direct()
                    direct_run.append(converted)
                    if len(direct_run) >= 4:  # bounded memory: one COPY per few batches
                        flush_direct()
                written += batch.num_rows
            flush_direct()
            self._written.add(table.qualified)
            self._loaded(table.qualified, written)
        finally:
            if landing is not None:
                with contextlib.suppress(Exception):
                    execute(self._stage, f"DROP TABLE IF EXISTS pg_temp.{quote_ident(_LANDING)}")
        return written

    def copy_in(self, table: TableInfo, out: CopyOut, cancel: Any = None) -> int:
        """Load a table no rule masks straight from the source: psql COPY TO STDOUT there (out.command)
        piped into psql COPY FROM STDIN here, nothing converted on the way. Binary when every column's
        type is built in and both servers share a major version, else text (as pg_dump does). `cancel`
        (an Event) stops both ends. Returns the rows copied."""
        if self._stage is None:
            raise RunFailed("PostgresSink: this writer is closed")
        if cancel is not None and cancel.is_set():
            raise RunFailed(f"--dest: copying {table.qualified} stopped")
        psql, uri, major = self._copy_to
        binary = out.builtin_types and out.server_major == major
        read_cmd, read_env = out.command(psql, binary)
        conninfo, env = copy_session_env(uri, out.encoding)
        columns = ", ".join(quote_ident(c) for c in out.columns)
        target = qualified_name(table.schema, table.name)
        copy = f"COPY {target} ({columns}) FROM STDIN (FORMAT {'binary' if binary else 'text'}"
        # FREEZE writes the rows frozen, so the index builds of post-data do not rewrite every page to set
        # hint bits (5M rows: post-data 6.0 -> 4.7 s), and neither does the copy's first reader. It needs
        # the table truncated in the same transaction: the table is empty and ours (no FK points at it
        # before post-data). Not for partitioned tables, which PostgreSQL refuses.
        if self._can_freeze(target):
            steps = ["BEGIN", f"TRUNCATE ONLY {target}", f"{copy}, FREEZE)", "COMMIT"]
        else:
            steps = [f"{copy})"]
        write_cmd = [psql, "-X", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=terse", "-d", conninfo]
        for step in steps:
            write_cmd += ["-c", step]
        with (
            tempfile.TemporaryFile() as read_err,
            tempfile.TemporaryFile() as write_out,
            tempfile.TemporaryFile() as write_err,
        ):
            reader = subprocess.Popen(read_cmd, stdout=subprocess.PIPE, stderr=read_err, env=read_env)
            procs = [reader]
            try:
                assert reader.stdout is not None
                writer = subprocess.Popen(
                    write_cmd, stdin=reader.stdout, stdout=write_out, stderr=write_err, env=env
                )
                procs.append(writer)
                reader.stdout.close()  # the writer holds the pipe now; the reader sees it close if it dies
                while True:
                    try:
                        writer.wait(timeout=0.2)
                        break
                    except subprocess.TimeoutExpired:
                        if cancel is not None and cancel.is_set():
                            raise RunFailed(f"--dest: copying {table.qualified} stopped") from None
                reader.wait()
            finally:
                for proc in procs:
                    if proc.poll() is None:
                        proc.kill()
                        proc.wait()
            read_err.seek(0)
            write_err.seek(0)
            read_msg = read_err.read().decode(errors="replace")
            # The reader failing fails the table even when the writer took a truncated stream without
            # complaint; the reader failing because the writer died (broken pipe) is the writer's error.
            broken_pipe = reader.returncode == -signal.SIGPIPE or "pipe" in read_msg.lower()
            if reader.returncode != 0 and not (writer.returncode != 0 and broken_pipe):
                raise RunFailed(f"--source: reading {table.qualified} failed: {safe_tool_error(read_msg)}")
            if writer.returncode != 0:
                message = safe_tool_error(write_err.read().decode(errors="replace"))
                raise RunFailed(f"--dest: writing {table.qualified} failed: {message}")
            write_out.seek(0)
            m = re.search(rb"^COPY (\d+)", write_out.read(), re.MULTILINE)
        rows = int(m.group(1)) if m else 0
        self._written.add(table.qualified)
        self._loaded(table.qualified, rows)
        return rows

    def _can_freeze(self, target: str) -> bool:
        rows = fetch_all(
            self._stage,
            "SELECT c.relkind = 'r' AND pg_catalog.has_table_privilege(c.oid, 'TRUNCATE') "
            "FROM pg_catalog.pg_class c WHERE c.oid = $1::regclass",
            (target,),
        )
        return bool(rows and rows[0][0])

    def _targets(self, table: TableInfo) -> dict[str, _Target]:
        rows = fetch_all(
            self._stage,
            """
            WITH RECURSIVE base(oid, base) AS (
                SELECT oid, oid FROM pg_catalog.pg_type WHERE typtype <> 'd'
                UNION ALL
                SELECT t.oid, b.base FROM pg_catalog.pg_type t JOIN base b ON t.typbasetype = b.oid
                 WHERE t.typtype = 'd'
            )
            SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), bt.typname,
                   bt.typtype::text, bt.typcategory::text, a.attgenerated <> '',
                   CASE WHEN a.atttypmod >= 0 THEN a.atttypmod ELSE dt.typtypmod END
              FROM pg_catalog.pg_attribute a
              JOIN pg_catalog.pg_type dt ON dt.oid = a.atttypid
              JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              JOIN base ON base.oid = a.atttypid
              JOIN pg_catalog.pg_type bt ON bt.oid = base.base
             WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum
            """,
            (table.schema, table.name),
        )
        if not rows:
            raise RunFailed(f"--dest: table {table.qualified} is missing from the staging schema")
        return {r[0]: _Target(*r) for r in rows}

    def _plan(
        self, table: TableInfo, schema: pa.Schema, targets: dict[str, _Target]
    ) -> tuple[list[_ColumnWrite], bool]:
        cols: list[_ColumnWrite] = []
        problems = []
        for field in schema:
            target = targets.get(field.name)
            if target is None:
                problems.append(
                    Problem(f"{table.qualified}.{field.name}", "column not found in the destination table")
                )
                continue
            if target.generated:
                continue  # the destination computes it from the (masked) columns it depends on
            cols.append(_ColumnWrite(field.name, _write_mode(target, field.type), target))
        if problems:
            raise MaskpipeError(problems)
        return cols, any(c.mode == "text" for c in cols)

    @staticmethod
    def _has_infinity(batch: pa.RecordBatch, cols: list[_ColumnWrite]) -> bool:
        """True when a date32 / timestamp[us] column holds maskpipe's +/-infinity sentinels, which the
        ADBC writer cannot encode (they go through the landing table)."""
        for c in cols:
            if c.mode != "temporal":
                continue
            arr = _storage(batch.column(c.name))
            if arr.null_count == len(arr):
                continue
            if pa.types.is_date32(arr.type):
                raw, pos, neg = arr.view(pa.int32()), DATE_POS_INF, DATE_NEG_INF
            elif pa.types.is_timestamp(arr.type) and arr.type.unit == "us":
                raw, pos, neg = arr.view(pa.int64()), TIMESTAMP_POS_INF, TIMESTAMP_NEG_INF
            else:
                continue
            mm = pc.min_max(raw)
            if mm["max"].as_py() == pos or mm["min"].as_py() == neg:
                return True
        return False

    def _convert_direct(
        self, table: TableInfo, batch: pa.RecordBatch, cols: list[_ColumnWrite]
    ) -> pa.RecordBatch | None:
        """The batch with every column in the Arrow type the writer needs, or None when this batch must
        go through the landing table (+/-infinity, or numerics decimal128 cannot carry)."""
        if self._has_infinity(batch, cols):
            return None
        arrays = []
        for c in cols:
            arr = batch.column(c.name)
            if c.mode == "decimal":
                want = c.target.decimal
                raw = _storage(arr)
                if raw.type != want:
                    try:
                        raw = raw.cast(want)
                    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                        return None  # NaN, Infinity, more digits than the scale: PostgreSQL decides
                arrays.append(raw)
            else:
                arrays.append(self._direct_array(table, c, arr))
        return pa.RecordBatch.from_arrays(arrays, names=[c.name for c in cols])

    @staticmethod
    def _direct_array(table: TableInfo, c: _ColumnWrite, arr: pa.Array) -> pa.Array:
        base = c.target.base
        try:
            if c.target.typtype == "e" or base in _TEXT_LIKE:
                raw = _storage(arr)
                return raw if _is_string(raw.type) else raw.cast(pa.large_string())
            if base == "jsonb":
                raw = _storage(arr)
                return pa.ExtensionArray.from_storage(pa.json_(raw.type), raw)
            if base in ("bytea", "uuid"):
                return arr
            if c.mode == "temporal":
                # The writer converts any timestamp unit and zone itself (checked with ns and ms).
                if base == "date":
                    return arr if pa.types.is_date32(arr.type) else arr.cast(pa.date32())
                return arr if pa.types.is_timestamp(arr.type) else arr.cast(pa.timestamp("us"))
            return arr.cast(_NATIVE_ARROW[base])
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            # Arrow's message would quote the offending value: name the column instead.
            raise RunFailed(
                f"--dest: {table.qualified}.{c.name}: {arr.type} values do not fit the column type "
                f"{c.target.sql_type}"
            ) from None

    def _ingest(self, table: TableInfo, batches: list[pa.RecordBatch]) -> None:
        cur = self._stage.cursor()
        try:
            data = pa.Table.from_batches(batches) if len(batches) > 1 else batches[0]
            cur.adbc_ingest(table.name, data, mode="append", db_schema_name=table.schema)
        except adbc_driver_manager.Error as exc:
            raise RunFailed(f"--dest: writing {table.qualified} failed: {safe_db_error(exc)}") from None
        finally:
            cur.close()

    # Landing path: a temporary table whose text columns PostgreSQL casts into the real types.
    def _create_landing(self, cols: list[_ColumnWrite]) -> None:
        defs = []
        for c in cols:
            if c.mode in ("text", "decimal"):
                typ = "text"
            elif c.mode == "temporal":
                typ = "int4" if c.target.base == "date" else "int8"
            else:
                typ = c.target.sql_type
            defs.append(f"{quote_ident(c.name)} {typ}")
        execute(self._stage, f"DROP TABLE IF EXISTS pg_temp.{quote_ident(_LANDING)}")
        execute(self._stage, f"CREATE TEMP TABLE {quote_ident(_LANDING)} ({', '.join(defs)})")

    def _land(self, table: TableInfo, batch: pa.RecordBatch, cols: list[_ColumnWrite]) -> None:
        arrays, exprs = [], []
        for c in cols:
            arr = batch.column(c.name)
            ident = quote_ident(c.name)
            if c.mode in ("text", "decimal"):
                arrays.append(_to_text(table, c, arr))
                exprs.append(f"{ident}::{c.target.sql_type}")
            elif c.mode == "temporal":
                arrays.append(_temporal_raw(arr, c.target.base))
                exprs.append(_temporal_sql(ident, c.target))
            else:
                arrays.append(self._direct_array(table, c, arr))
                exprs.append(ident)
        land = pa.RecordBatch.from_arrays(arrays, names=[c.name for c in cols])
        target_cols = ", ".join(quote_ident(c.name) for c in cols)
        cur = self._stage.cursor()
        try:
            cur.adbc_ingest(_LANDING, land, mode="append", temporary=True)
            # OVERRIDING SYSTEM VALUE keeps the source's values in GENERATED ALWAYS identity columns.
            cur.execute(
                f"INSERT INTO {qualified_name(table.schema, table.name)} ({target_cols}) "
                f"OVERRIDING SYSTEM VALUE SELECT {', '.join(exprs)} FROM pg_temp.{quote_ident(_LANDING)}"
            )
            cur.execute(f"TRUNCATE pg_temp.{quote_ident(_LANDING)}")
        except adbc_driver_manager.Error as exc:
            column = self._failing_cast(cols) if (sqlstate_of(exc) or "").startswith("22") else None
            where = f"{table.qualified}.{column}" if column else table.qualified
            raise RunFailed(f"--dest: writing {where} failed: {safe_db_error(exc)}") from None
        finally:
            cur.close()

    def _failing_cast(self, cols: list[_ColumnWrite]) -> str | None:
        """Which column's text PostgreSQL refused (its message names the type, not the column)."""
        for c in cols:
            if c.mode not in ("text", "decimal"):
                continue
            try:
                fetch_all(
                    self._stage,
                    f"SELECT count({quote_ident(c.name)}::{c.target.sql_type}) "
                    f"FROM pg_temp.{quote_ident(_LANDING)}",
                )
            except adbc_driver_manager.Error:
                return c.name
        return None


class PostgresSink:
    """Writes a full copy into `uri`'s database atomically. `source_uri` supplies the schema (pg_dump)
    and the sequence values. Pass `source_snapshot` (PostgresSource.export_snapshot()) so that pg_dump
    sees the very snapshot the data comes from."""

    def __init__(
        self,
        uri: str,
        source_uri: str,
        *,
        bindir: str | None = None,
        source_snapshot: str | None = None,
        keep_owners_and_privileges: bool = False,
    ) -> None:
        self.uri = uri
        self.source_uri = source_uri
        dest = uri_dbname(uri)
        if not dest:
            raise MaskpipeError(
                Problem(
                    "--dest",
                    f"the destination URI names no database ({mask_uri(uri)})",
                    "end the URI with the database name, e.g. postgresql://user@host/masked_copy",
                )
            )
        self.dest_name = dest
        self.staging_name = aux_name(dest, "staging")
        self.old_name = aux_name(dest, "old")
        self._bindir = bindir
        self._snapshot = source_snapshot
        self._keep_owners = keep_owners_and_privileges
        self._stage: Any = None
        self._workers: list[_StageWriter] = []
        self._copy_to = _CopyTarget("psql", "", 0)  # set by begin()
        self._post_dir: str | None = None  # holds the post-data archive and pg_restore's list files
        self._toc: list[str] = []  # the archive's entries (pg_restore -l lines), in restore order
        self._early: dict[str, list[int]] = {}  # table -> its table-local entries (indexes into _toc)
        self._restored: set[int] = set()  # entries already restored (early)
        self._restores: list[tuple[str, subprocess.Popen[bytes], Any]] = []  # running early restores
        self._restore_lock = threading.Lock()
        self._state = "new"  # new -> staging -> committed | aborted
        self._written: set[str] = set()
        # Things the copy lacks that the run did not fail over (read by the pipeline's report).
        self.warnings: list[Problem] = []

    # -- connections ------------------------------------------------------------------------------------
    def _maintenance(self) -> Any:
        """A connection to the destination server outside dest and staging (CREATE/DROP/RENAME DATABASE
        cannot run from inside the database they name)."""
        first: ConnectError | None = None
        for db in ("postgres", "template1"):
            try:
                return connect(with_dbname(self.uri, db), "--dest")
            except ConnectError as exc:
                if exc.kind not in ("missing_database", "privilege"):
                    raise
                first = first or exc
        assert first is not None
        raise MaskpipeError(
            Problem(
                "--dest",
                "cannot connect to the 'postgres' or 'template1' database of the destination "
                f"server ({mask_uri(self.uri)})",
                "the destination role needs CONNECT on one of them to create and rename databases",
            )
        ) from None

    def identity(self) -> str:
        try:
            conn = connect(self.uri, "--dest")
        except ConnectError as exc:
            if exc.kind != "missing_database":
                raise
            conn = self._maintenance()  # first run: the database does not exist yet
        try:
            return server_identity(conn, self.dest_name)
        finally:
            conn.close()

    # -- begin ------------------------------------------------------------------------------------------
    def begin(self, tables: list[TableInfo]) -> None:
        self._tables = {t.qualified: t for t in tables}
        self._written = set()
        self.warnings = []
        src = connect(self.source_uri, "--source")
        try:
            if fetch_all(src, "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_largeobject_metadata)")[0][0]:
                self.warnings.append(
                    Problem(
                        "--source",
                        "the source holds large objects (pg_largeobject); they are not copied",
                        "columns of type oid that point at them will dangle in the copy",
                        severity="warning",
                    )
                )
            src_db = fetch_all(src, "SELECT current_database()")[0][0]
            src_id = server_identity(src, src_db)
            src_encoding, src_collate, src_ctype = fetch_all(
                src,
                "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database "
                "WHERE datname = current_database()",
            )[0]
        finally:
            src.close()
        m = self._maintenance()
        try:
            on_server = f"postgresql:{system_identifier(m)}"
            if src_id == f"{on_server}:{self.dest_name}":
                raise MaskpipeError(
                    Problem(
                        "--dest",
                        f"the destination is the source database ({mask_uri(self.uri)})",
                        "name another database: maskpipe never writes into its source",
                    )
                )
            if src_id in (f"{on_server}:{self.staging_name}", f"{on_server}:{self.old_name}"):
                raise MaskpipeError(
                    Problem(
                        "--dest",
                        f"the source database is named like this destination's scratch database ({src_db})",
                        "rename the destination",
                    )
                )
            self._check_privileges(m)
            self._cleanup_leftovers(m)
        finally:
            m.close()

        pre_data = self._pg_dump("pre-data")
        self._remove_post_dir()
        _remove_orphan_post_dirs()
        # Schema only, never rows; named after this process so that a later run can remove it if this
        # one is killed.
        self._post_dir = tempfile.mkdtemp(prefix=f"{_POST_DIR_PREFIX}{os.getpid()}-")
        self._pg_dump("post-data", archive=self._post_archive)
        self._toc = self._list_archive()
        self._early = self._table_local_entries()
        self._restored = set()

        m = self._maintenance()
        try:
            self._state = "staging"
            create = (
                f"CREATE DATABASE {quote_ident(self.staging_name)} TEMPLATE template0 "
                f"ENCODING {quote_literal(src_encoding)}"
            )
            try:
                # The source's collation keeps sort orders (and so unique indexes on text) the same; a
                # server that lacks that locale gets its default one.
                try:
                    locale = f"LC_COLLATE {quote_literal(src_collate)} LC_CTYPE {quote_literal(src_ctype)}"
                    execute(m, f"{create} {locale}")
                except adbc_driver_manager.Error as exc:
                    if sqlstate_of(exc) not in ("22023", "42809"):  # encoding/locale mismatch, unknown locale
                        raise
                    execute(m, create)
            except adbc_driver_manager.Error as exc:
                raise MaskpipeError(
                    Problem(
                        "--dest",
                        f"cannot create the staging database {self.staging_name}: {safe_db_error(exc)}",
                        "the destination role needs CREATEDB",
                    )
                ) from None
        finally:
            m.close()
        self._psql(pre_data, "schema (pre-data)")
        self._stage = connect(with_dbname(self.uri, self.staging_name), "--dest")
        for stmt in SESSION_SETTINGS:
            execute(self._stage, stmt)
        major = fetch_all(self._stage, "SELECT current_setting('server_version_num')::int / 10000")[0][0]
        self._copy_to = _CopyTarget(
            str(find_pg_tool("psql", self._bindir)), with_dbname(self.uri, self.staging_name), int(major)
        )

    def _check_privileges(self, m: Any) -> None:
        rows = fetch_all(
            m,
            "SELECT r.rolsuper OR r.rolcreatedb, current_user::text, "
            "       (SELECT pg_has_role(current_user, d.datdba, 'MEMBER') FROM pg_database d "
            "         WHERE d.datname = $1) "
            "  FROM pg_roles r WHERE r.rolname = current_user",
            (self.dest_name,),
        )
        can_create, role, owns_dest = rows[0]
        if not can_create:
            raise MaskpipeError(
                Problem(
                    "--dest",
                    f"role {role} may not create databases",
                    f"ALTER ROLE {quote_ident(role)} CREATEDB (the copy is built in a new database)",
                )
            )
        if owns_dest is False:
            raise MaskpipeError(
                Problem(
                    "--dest",
                    f"role {role} does not own database {self.dest_name}",
                    "replacing a database needs its owner; ALTER DATABASE ... OWNER TO the maskpipe role",
                )
            )

    def _exists(self, m: Any, name: str) -> bool:
        return bool(fetch_all(m, "SELECT count(*) FROM pg_database WHERE datname = $1", (name,))[0][0])

    def _cleanup_leftovers(self, m: Any) -> None:
        """Undo what a killed run left: its staging database, and the previous copy if the final DROP
        did not happen. The swap is one transaction, so `old` without `dest` can only come from someone
        renaming by hand; it is then restored rather than dropped."""
        try:
            if self._exists(m, self.staging_name):
                execute(m, f"DROP DATABASE {quote_ident(self.staging_name)} WITH (FORCE)")
            if self._exists(m, self.old_name):
                if self._exists(m, self.dest_name):
                    execute(m, f"DROP DATABASE {quote_ident(self.old_name)} WITH (FORCE)")
                else:
                    self._terminate(m, self.old_name)
                    old, dest = quote_ident(self.old_name), quote_ident(self.dest_name)
                    execute(m, f"ALTER DATABASE {old} RENAME TO {dest}")
        except adbc_driver_manager.Error as exc:
            raise MaskpipeError(
                Problem(
                    "--dest",
                    f"cannot clean up after an earlier run: {safe_db_error(exc)}",
                    f"drop {self.staging_name} / {self.old_name} by hand",
                )
            ) from None

    # -- subprocesses -----------------------------------------------------------------------------------
    def _skip_options(self) -> list[str]:
        options = ["--no-publications", "--no-subscriptions", "--no-tablespaces", "--no-security-labels"]
        if not self._keep_owners:
            # The destination server may lack the source's roles; the copy belongs to the dest role.
            options += ["--no-owner", "--no-privileges"]
        return options

    @property
    def _post_archive(self) -> str:
        assert self._post_dir is not None
        return str(Path(self._post_dir) / "post-data.dump")

    def _pg_dump(self, section: str, archive: str | None = None) -> str:
        """The section as SQL text, or written to `archive` (custom format, for pg_restore -L)."""
        pg_dump = find_pg_tool("pg_dump", self._bindir)
        conninfo, env = libpq_env(self.source_uri)
        cmd = [str(pg_dump), f"--section={section}", *self._skip_options()]
        if archive:
            cmd += ["--format=custom", f"--file={archive}"]
        if self._snapshot:
            cmd.append(f"--snapshot={self._snapshot}")
        cmd += ["-d", conninfo]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            raise MaskpipeError(
                Problem(
                    "--source",
                    f"pg_dump --section={section} failed: {_first_error(proc.stderr)}",
                    "pg_dump must be at least as new as the source server; set MASKPIPE_PG_BINDIR "
                    "to choose another",
                )
            )
        return proc.stdout

    def _list_archive(self) -> list[str]:
        pg_restore = find_pg_tool("pg_restore", self._bindir)
        proc = subprocess.run([str(pg_restore), "--list", self._post_archive], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RunFailed(f"--dest: listing the post-data archive failed: {_first_error(proc.stderr)}")
        return [line for line in proc.stdout.splitlines() if line.strip() and not line.startswith(";")]

    def _table_local_entries(self) -> dict[str, list[int]]:
        """Per table being copied (ordinary tables only: partitioned ones build partition indexes and
        attach them, which waits for commit), the archive entries that concern it alone. Entries name
        their catalog object by OID; the source's catalog says which table each belongs to."""
        wanted: dict[tuple[int, int], int] = {}
        for i, line in enumerate(self._toc):
            m = re.match(r"(\d+); (\d+) (\d+) (.+?) ", line)
            if m and m.group(4) in _TABLE_LOCAL_ENTRIES:
                wanted[(int(m.group(2)), int(m.group(3)))] = i
        if not wanted:
            return {}
        constraints = ",".join(str(oid) for cls, oid in wanted if cls == _PG_CONSTRAINT_CLASS) or "0"
        indexes = ",".join(str(oid) for cls, oid in wanted if cls == _PG_CLASS_CLASS) or "0"
        src = connect(self.source_uri, "--source")
        try:
            rows = fetch_all(
                src,
                f"""
                SELECT {_PG_CONSTRAINT_CLASS}, con.oid::int8, n.nspname, c.relname
                  FROM pg_catalog.pg_constraint con
                  JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
                  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 WHERE con.oid IN ({constraints}) AND c.relkind = 'r'
                UNION ALL
                SELECT {_PG_CLASS_CLASS}, i.indexrelid::int8, n.nspname, c.relname
                  FROM pg_catalog.pg_index i
                  JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
                  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 WHERE i.indexrelid IN ({indexes}) AND c.relkind = 'r'
                """,
            )
        except adbc_driver_manager.Error as exc:
            raise RunFailed(f"--source: reading the catalog failed: {safe_db_error(exc)}") from None
        finally:
            src.close()
        early: dict[str, list[int]] = {}
        for cls, oid, schema, name in rows:
            if f"{schema}.{name}" in self._tables:
                early.setdefault(f"{schema}.{name}", []).append(wanted[(int(cls), int(oid))])
        return {table: sorted(entries) for table, entries in early.items()}

    def _table_loaded(self, table: str, rows: int) -> None:
        """A writer loaded every row of `table`: build its keys and indexes now, in the background, if it
        is big enough to be worth a pg_restore of its own. About two run at a time."""
        entries = self._early.get(table)
        if not entries or rows < EARLY_POST_DATA_ROWS:
            return
        self._wait_restores(keep=1)
        with self._restore_lock:
            if self._state != "staging":
                return
            self._restored.update(entries)
            proc, err = self._start_restore([self._toc[i] for i in entries])
            self._restores.append((table, proc, err))

    def _start_restore(self, entries: list[str]) -> tuple[subprocess.Popen[bytes], Any]:
        assert self._post_dir is not None
        fd, listing = tempfile.mkstemp(suffix=".list", dir=self._post_dir)
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(entries) + "\n")
        pg_restore = find_pg_tool("pg_restore", self._bindir)
        conninfo, env = libpq_env(with_dbname(self.uri, self.staging_name))
        err = tempfile.TemporaryFile()  # noqa: SIM115 (closed by _finish_restore / _stop_restores)
        cmd = [str(pg_restore), "--use-list", listing, "--single-transaction", "--exit-on-error",
               *self._skip_options(), "-d", conninfo, self._post_archive]  # fmt: skip
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env), err

    @staticmethod
    def _finish_restore(proc: subprocess.Popen[bytes], err: Any, what: str) -> None:
        try:
            if proc.wait() != 0:
                err.seek(0)
                # Only the first error line: the DETAIL pg_restore prints after it quotes row values.
                message = _first_error(err.read().decode(errors="replace"))
                raise RunFailed(f"--dest: applying the {what} failed: {message}")
        finally:
            err.close()

    def _wait_restores(self, keep: int) -> None:
        """Wait for the oldest early restores until at most `keep` run; the first failure is raised."""
        while True:
            with self._restore_lock:
                if len(self._restores) <= keep:
                    return
                table, proc, err = self._restores.pop(0)
            self._finish_restore(proc, err, f"indexes and constraints (post-data) of {table}")

    def _stop_restores(self) -> None:
        with self._restore_lock:
            running, self._restores = self._restores, []
        for _, proc, err in running:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            err.close()

    def _remove_post_dir(self) -> None:
        if self._post_dir is not None:
            shutil.rmtree(self._post_dir, ignore_errors=True)
            self._post_dir = None

    def _psql(self, script: str, what: str) -> None:
        psql = find_pg_tool("psql", self._bindir)
        conninfo, env = libpq_env(with_dbname(self.uri, self.staging_name))
        # VERBOSITY=terse drops DETAIL lines, which quote row values (e.g. a duplicate key).
        proc = subprocess.run(
            [
                str(psql),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-v",
                "VERBOSITY=terse",
                "--single-transaction",
                "-d",
                conninfo,
                "-f",
                "-",
            ],
            input=script,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        if proc.returncode != 0:
            raise RunFailed(
                f"--dest: applying the {what} to {self.staging_name} failed: {_first_error(proc.stderr)}"
            )

    # -- write ------------------------------------------------------------------------------------------
    def write_table(self, table: TableInfo, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> int:
        if self._stage is None:
            raise RunFailed("PostgresSink.write_table called before begin()")
        return self._writer(self._stage).write_table(table, schema, batches)

    def copy_in(self, table: TableInfo, out: CopyOut, cancel: Any = None) -> int:
        """A table no rule masks, straight from the source (see _StageWriter.copy_in)."""
        if self._stage is None:
            raise RunFailed("PostgresSink.copy_in called before begin()")
        return self._writer(self._stage).copy_in(table, out, cancel)

    def worker(self) -> _StageWriter:
        """A writer over a staging connection of its own, for loading tables from another thread (tables
        load without keys or FKs until commit(), so they may come in any order). Use each from one thread
        at a time; commit() and abort() close them, so finish every write first."""
        if self._stage is None:
            raise RunFailed("PostgresSink.worker called before begin()")
        conn = connect(with_dbname(self.uri, self.staging_name), "--dest")
        try:
            for stmt in SESSION_SETTINGS:
                execute(conn, stmt)
        except BaseException as exc:
            conn.close()
            if isinstance(exc, adbc_driver_manager.Error):
                raise MaskpipeError(
                    Problem("--dest", f"cannot open another staging connection: {safe_db_error(exc)}")
                ) from None
            raise
        writer = self._writer(conn)
        self._workers.append(writer)
        return writer

    def _writer(self, conn: Any) -> _StageWriter:
        return _StageWriter(conn, self._written, self._copy_to, self._table_loaded)

    # -- commit / abort ---------------------------------------------------------------------------------
    def commit(self) -> None:
        if self._state != "staging" or self._post_dir is None:
            raise RunFailed("PostgresSink.commit called without a successful begin()")
        self._warn_unwritten()
        self._wait_restores(keep=0)
        rest = [entry for i, entry in enumerate(self._toc) if i not in self._restored]
        if rest:
            proc, err = self._start_restore(rest)
            self._finish_restore(proc, err, "indexes and constraints (post-data)")
        self._remove_post_dir()
        self._copy_sequences()
        self._close_stage()
        m = self._maintenance()
        try:
            self._swap(m)
            self._state = "committed"
            with contextlib.suppress(adbc_driver_manager.Error):
                execute(m, f"DROP DATABASE IF EXISTS {quote_ident(self.old_name)} WITH (FORCE)")
        finally:
            m.close()

    def _warn_unwritten(self) -> None:
        rows = fetch_all(
            self._stage,
            """
            SELECT n.nspname, c.relname FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                                WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
                                  AND d.deptype = 'e')
             ORDER BY 1, 2
            """,
        )
        empty = [f"{s}.{n}" for s, n in rows if f"{s}.{n}" not in self._written]
        if empty:
            self.warnings.append(
                Problem(
                    "--dest",
                    f"{len(empty)} table(s) of the source schema were not written and are empty in the "
                    f"copy: {', '.join(empty[:10])}{' ...' if len(empty) > 10 else ''}",
                    severity="warning",
                )
            )

    def _swap(self, m: Any) -> None:
        dest, staging, old = (quote_ident(x) for x in (self.dest_name, self.staging_name, self.old_name))
        last: Exception | None = None
        for attempt in range(10):
            exists = self._exists(m, self.dest_name)
            if exists:
                self._terminate(m, self.dest_name)
            self._terminate(m, self.staging_name)
            try:
                execute(m, "BEGIN")
                if exists:
                    execute(m, f"ALTER DATABASE {dest} RENAME TO {old}")
                execute(m, f"ALTER DATABASE {staging} RENAME TO {dest}")
                execute(m, "COMMIT")
                return
            except adbc_driver_manager.Error as exc:
                with contextlib.suppress(adbc_driver_manager.Error):
                    execute(m, "ROLLBACK")
                last = exc
                if getattr(exc, "sqlstate", None) != "55006":  # 55006: a client reconnected meanwhile
                    break
                time.sleep(0.1 * (attempt + 1))
        raise RunFailed(
            f"--dest: swapping {self.staging_name} in as {self.dest_name} failed: "
            f"{safe_db_error(last) if last else 'unknown error'}; the destination is unchanged"
        )

    @staticmethod
    def _terminate(m: Any, dbname: str) -> None:
        fetch_all(
            m,
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            (dbname,),
        )

    def _copy_sequences(self) -> None:
        """setval every sequence to the source's current value (pg_dump's data section would do this, but
        it also dumps the rows). Read after the data, so values are never behind the copied rows."""
        src = connect(self.source_uri, "--source")
        try:
            seqs = fetch_all(
                src,
                """
                SELECT n.nspname, c.relname, has_sequence_privilege(c.oid, 'SELECT')
                  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.relkind = 'S' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                   AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
                   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                                    WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
                                      AND d.deptype = 'e')
                 ORDER BY 1, 2
                """,
            )
            denied = [f"{s}.{n}" for s, n, ok in seqs if not ok]
            if denied:
                raise MaskpipeError(
                    [
                        Problem(
                            "--source", f"no SELECT privilege on sequence {d}", "GRANT SELECT ON SEQUENCE"
                        )
                        for d in denied
                    ]
                )
            values: list[tuple[str, int, bool]] = []
            for start in range(0, len(seqs), 200):
                chunk = seqs[start : start + 200]
                union = " UNION ALL ".join(
                    f"SELECT {i}, last_value, is_called FROM {qualified_name(s, n)}"
                    for i, (s, n, _) in enumerate(chunk)
                )
                for i, last, called in fetch_all(src, union):
                    s, n, _ = chunk[i]
                    values.append((qualified_name(s, n), int(last), bool(called)))
        except adbc_driver_manager.Error as exc:
            raise RunFailed(f"--source: reading sequence values failed: {safe_db_error(exc)}") from None
        finally:
            src.close()
        for start in range(0, len(values), 500):
            rows = ", ".join(
                f"({quote_literal(q)}, {v}::int8, {'true' if c else 'false'})"
                for q, v, c in values[start : start + 500]
            )
            try:
                execute(
                    self._stage,
                    "SELECT pg_catalog.setval(v.seq::regclass, v.val, v.called) "
                    f"FROM (VALUES {rows}) v(seq, val, called)",
                )
            except adbc_driver_manager.Error as exc:
                raise RunFailed(f"--dest: setting sequence values failed: {safe_db_error(exc)}") from None

    def _close_stage(self) -> None:
        workers, self._workers = self._workers, []
        for w in workers:
            w.close()
        if self._stage is not None:
            with contextlib.suppress(Exception):
                self._stage.close()
            self._stage = None

    def abort(self) -> None:
        self._stop_restores()
        self._close_stage()
        self._remove_post_dir()
        if self._state != "staging":
            return
        m = self._maintenance()
        try:
            execute(m, f"DROP DATABASE IF EXISTS {quote_ident(self.staging_name)} WITH (FORCE)")
        finally:
            m.close()
        self._state = "aborted"

    def close(self) -> None:
        self._stop_restores()
        self._close_stage()
        self._remove_post_dir()


def _remove_orphan_post_dirs() -> None:
    """Remove the post-data folders of runs that were killed (their process is gone)."""
    for path in Path(tempfile.gettempdir()).glob(f"{_POST_DIR_PREFIX}*"):
        m = re.match(rf"{_POST_DIR_PREFIX}(\d+)-", path.name)
        if not m or not path.is_dir():
            continue
        try:
            os.kill(int(m.group(1)), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass  # alive, or not ours to signal: leave it


# -- Arrow helpers --------------------------------------------------------------------------------------
def _temporal_raw(arr: pa.Array, base: str) -> pa.Array:
    """The Arrow integer behind a date (days) or timestamp (microseconds since 1970)."""
    arr = _storage(arr)
    if base == "date":
        return (arr if pa.types.is_date32(arr.type) else arr.cast(pa.date32())).view(pa.int32())
    if not (pa.types.is_timestamp(arr.type) and arr.type.unit == "us"):
        arr = arr.cast(pa.timestamp("us", tz=getattr(arr.type, "tz", None)))
    return arr.view(pa.int64())


def _temporal_sql(ident: str, target: _Target) -> str:
    """Rebuild a date/timestamp from its Arrow integer, mapping maskpipe's +/-infinity sentinels back.
    Seconds and microseconds are added separately so that float8 interval arithmetic stays exact."""
    if target.base == "date":
        body = (
            f"CASE {ident} WHEN {DATE_POS_INF} THEN 'infinity'::date "
            f"WHEN {DATE_NEG_INF} THEN '-infinity'::date ELSE DATE '1970-01-01' + {ident} END"
        )
    else:
        typ = target.base
        body = (
            f"CASE {ident} WHEN {TIMESTAMP_POS_INF} THEN 'infinity'::{typ} "
            f"WHEN {TIMESTAMP_NEG_INF} THEN '-infinity'::{typ} "
            f"ELSE 'epoch'::{typ} + ({ident} / 1000000) * interval '1 second' "
            f"+ ({ident} % 1000000) * interval '1 microsecond' END"
        )
    return f"({body})::{target.sql_type}"


def _to_text(table: TableInfo, c: _ColumnWrite, arr: pa.Array) -> pa.Array:
    raw = _storage(arr)
    if _is_string(raw.type):
        return raw
    try:
        return raw.cast(pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        raise RunFailed(
            f"--dest: {table.qualified}.{c.name}: cannot write {arr.type} into {c.target.sql_type}"
        ) from None


def _first_error(stderr: str) -> str:
    """The first error line of psql/pg_dump output (terse: no DETAIL lines with values)."""
    for line in stderr.splitlines():
        if "ERROR:" in line or "FATAL:" in line or "error:" in line:
            text = line.split("ERROR:", 1)[-1] if "ERROR:" in line else line
            return " ".join(text.split())
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    return " ".join(lines[0].split()) if lines else "no message"
