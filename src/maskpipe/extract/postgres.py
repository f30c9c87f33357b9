"""PostgreSQL source: one REPEATABLE READ READ ONLY snapshot, every table streamed as Arrow batches over ADBC.

Also holds the PostgreSQL plumbing the sink shares (URI masking, error wording, quoting, finding pg_dump):
load/postgres.py imports it from here so that extract never imports load.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import adbc_driver_manager
import adbc_driver_postgresql.dbapi as pg_dbapi
import pyarrow as pa
import pyarrow.compute as pc

from maskpipe.extract.base import DEFAULT_BATCH_ROWS
from maskpipe.model import ColumnInfo, ForeignKey, MaskpipeError, Problem, RunFailed, TableInfo

# --------------------------------------------------------------------------------------------------------
# How PostgreSQL types travel as Arrow (measured with adbc-driver-postgresql 1.13, PostgreSQL 15).
#
# Read natively (ADBC gives a plain Arrow type that Polars accepts and that the ADBC writer puts back
# unchanged): bool, int2/4/8, float4/8 (NaN and +/-Infinity included), text, varchar, bpchar (padding
# kept), bytea, uuid (arrow.uuid), money (int64 cents; its text form depends on lc_monetary), date,
# timestamp, timestamptz, and enum labels (string). Domains arrive as their base type and follow it.
#
# Read as `col::text` (the sink casts the text back into the real column type):
#   numeric      ADBC gives an arrow.opaque extension Polars rejects and the writer cannot write back.
#                numeric(p, s) with 0 <= s <= p <= 38 is then cast to decimal128(p, s) in Arrow (exact;
#                maskers such as numeric_noise need a number). Such a column cannot hold Infinity, but
#                it can hold NaN, which decimal128 cannot: reading one fails with a clear error, and
#                PostgresSource(uri, numeric_as_text=True) reads every numeric as text instead.
#                Unconstrained numeric (and p > 38) stays text: every digit, NaN and +/-Infinity.
#   arrays       ADBC flattens multi-dimensional arrays ({{1,2},{3,4}} -> [1,2,3,4]) and drops
#                non-default lower bounds ([0:1]={7,8}); the text literal keeps both and NULL elements.
#   json, jsonb  ADBC gives an arrow.json extension that breaks Polars round trips; plain text is simpler.
#   interval     month_day_nano_interval, which Polars cannot import.
#   time         PostgreSQL allows 24:00:00; Polars silently turns that time64 value into null.
#   inet, cidr, macaddr, timetz, bit, varbit, xml, geometric, ranges, tsvector, composites, oid
#   and extension types (citext, hstore, ...)
#                ADBC gives PostgreSQL's binary wire format as an opaque blob; text is what a masker needs.
# The session pins DateStyle, IntervalStyle, TimeZone and extra_float_digits so that text output is the
# same whatever the server's defaults are.
#
# +/-infinity in date/timestamp/timestamptz: ADBC shifts PostgreSQL's sentinels by the 1970/2000 epoch
# difference without overflow checks, so they arrive as meaningless values in year -290308. read_batches
# rewrites them to the sentinels below (the extreme values of the Arrow storage type); the sink writes
# those back as 'infinity'/'-infinity'. Maskers must pass them through unchanged.
# --------------------------------------------------------------------------------------------------------
NATIVE_TYPES = frozenset(
    {
        "bool",
        "int2",
        "int4",
        "int8",
        "float4",
        "float8",
        "text",
        "varchar",
        "bpchar",
        "bytea",
        "uuid",
        "money",
        "date",
        "timestamp",
        "timestamptz",
    }
)
TIMESTAMP_POS_INF = 2**63 - 1  # microseconds since 1970; storage of timestamp[us] / timestamp[us, tz]
TIMESTAMP_NEG_INF = -(2**63)
DATE_POS_INF = 2**31 - 1  # days since 1970; storage of date32
DATE_NEG_INF = -(2**31)
_EPOCH_SHIFT_US = 946_684_800_000_000  # 2000-01-01 minus 1970-01-01 in microseconds
_EPOCH_SHIFT_DAYS = 10_957
# What ADBC 1.13 hands over for PostgreSQL's +/-infinity (int64/int32 wrap-around of the epoch shift).
_ADBC_TS_POS_INF = TIMESTAMP_POS_INF + _EPOCH_SHIFT_US - 2**64
_ADBC_TS_NEG_INF = TIMESTAMP_NEG_INF + _EPOCH_SHIFT_US
_ADBC_DATE_POS_INF = DATE_POS_INF + _EPOCH_SHIFT_DAYS - 2**32
_ADBC_DATE_NEG_INF = DATE_NEG_INF + _EPOCH_SHIFT_DAYS
# Smallest finite values PostgreSQL accepts (4713-11-24 BC), with a margin; anything below is a wrap-around.
_MIN_FINITE_TS_US = -211_000_000_000_000_000
_MIN_FINITE_DATE = -2_500_000

SESSION_SETTINGS = (
    "SET DateStyle = 'ISO, YMD'",
    "SET IntervalStyle = 'postgres'",
    "SET TimeZone = 'UTC'",
    "SET extra_float_digits = 1",  # shortest text that reads back to the same float (float arrays)
    "SET bytea_output = 'hex'",
    "SET client_encoding = 'UTF8'",
    "SET statement_timeout = 0",
    "SET lock_timeout = 0",
    "SET idle_in_transaction_session_timeout = 0",
)

# psql sessions that COPY a table verbatim (CopyOut, PostgresSink.copy_in) get the same settings on both
# ends, as PGOPTIONS: text-format values then read back exactly whatever the servers' defaults are
# (extra_float_digits=3 keeps floats exact on servers before 12 too).
COPY_SESSION_OPTIONS = (
    "datestyle=ISO,YMD",
    "intervalstyle=postgres",
    "timezone=UTC",
    "extra_float_digits=3",
    "bytea_output=hex",
    "statement_timeout=0",
    "lock_timeout=0",
    "idle_in_transaction_session_timeout=0",
)
FIRST_NORMAL_OID = 16384  # PostgreSQL's FirstNormalObjectId: types below it are built in, same OID everywhere

_SYSTEM_SCHEMA_FILTER = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'"
)


# ----------------------------------------------- quoting -----------------------------------------------
def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def qualified_name(schema: str, name: str) -> str:
    return f"{quote_ident(schema)}.{quote_ident(name)}"


# ------------------------------------------------- URIs -------------------------------------------------
def _is_url(uri: str) -> bool:
    return uri.startswith(("postgresql://", "postgres://"))


def mask_uri(uri: str) -> str:
    """The URI with any password replaced by ***; safe to print."""
    if _is_url(uri):
        parts = urlsplit(uri)
        netloc = parts.netloc
        if "@" in netloc:
            cred, host = netloc.rsplit("@", 1)
            if ":" in cred:
                netloc = cred.split(":", 1)[0] + ":***@" + host
        query = urlencode(
            [(k, "***" if k == "password" else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)],
            safe="*",
        )
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", uri)


def split_password(uri: str) -> tuple[str, str | None]:
    """(URI without its password, the password): subprocesses get the password through PGPASSWORD,
    never on their command line where `ps` would show it."""
    if _is_url(uri):
        parts = urlsplit(uri)
        netloc, password = parts.netloc, None
        if "@" in netloc:
            cred, host = netloc.rsplit("@", 1)
            if ":" in cred:
                user, pw = cred.split(":", 1)
                password = unquote(pw)
                netloc = f"{user}@{host}"
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        for k, v in pairs:
            if k == "password":
                password = v
        query = urlencode([(k, v) for k, v in pairs if k != "password"])
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)), password
    m = re.search(r"password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", uri)
    if not m:
        return uri, None
    raw = m.group(1)
    pw = re.sub(r"\\(.)", r"\1", raw[1:-1]) if raw.startswith("'") else raw
    return (uri[: m.start()] + uri[m.end() :]).strip(), pw


def uri_dbname(uri: str) -> str | None:
    """The database a URI names, or None when it names none (libpq would then default to the user name)."""
    if _is_url(uri):
        parts = urlsplit(uri)
        for k, v in parse_qsl(parts.query):
            if k == "dbname":
                return v
        name = unquote(parts.path.lstrip("/"))
        return name or None
    m = re.search(r"dbname\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", uri)
    if not m:
        return None
    raw = m.group(1)
    return re.sub(r"\\(.)", r"\1", raw[1:-1]) if raw.startswith("'") else raw


def with_dbname(uri: str, dbname: str) -> str:
    """The same server and credentials, another database."""
    if _is_url(uri):
        parts = urlsplit(uri)
        pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "dbname"]
        return urlunsplit(
            (parts.scheme, parts.netloc, "/" + quote(dbname, safe=""), urlencode(pairs), parts.fragment)
        )
    value = "'" + dbname.replace("\\", "\\\\").replace("'", "\\'") + "'"
    stripped = re.sub(r"dbname\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", "", uri).strip()
    return f"{stripped} dbname={value}".strip()


def libpq_env(uri: str) -> tuple[str, dict[str, str]]:
    """(connection string without password, environment) for running psql/pg_dump against `uri`."""
    conninfo, password = split_password(uri)
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    if password is not None:
        env["PGPASSWORD"] = password
    env["PGCONNECT_TIMEOUT"] = env.get("PGCONNECT_TIMEOUT", "10")
    return conninfo, env


def copy_session_env(uri: str, encoding: str, *options: str) -> tuple[str, dict[str, str]]:
    """(connection string, environment) for a psql that COPYs in `encoding` with COPY_SESSION_OPTIONS."""
    conninfo, env = libpq_env(uri)
    settings = " ".join(f"-c {o}" for o in (*COPY_SESSION_OPTIONS, *options))
    env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} {settings}".strip()
    env["PGCLIENTENCODING"] = encoding
    return conninfo, env


@dataclass(frozen=True)
class CopyOut:
    """One table's stored rows exactly as the source's COPY TO STDOUT gives them, for a destination that
    holds the very same table (PostgresSink.copy_in): no conversion on the way. `command` is the psql
    that streams them, read-only, inside the source's exported snapshot."""

    table: str  # qualified name, for messages
    columns: tuple[str, ...]  # stored (non-generated) columns, in table order
    builtin_types: bool  # every column's type is built in: binary COPY suits a server of the same major
    server_major: int
    encoding: str  # the source database's; both ends use it as client_encoding, so nothing is converted
    uri: str
    snapshot: str
    query: str

    def command(self, psql: str | Path, binary: bool) -> tuple[list[str], dict[str, str]]:
        conninfo, env = copy_session_env(
            self.uri, self.encoding, "row_security=off", "default_transaction_read_only=on"
        )
        fmt = "binary" if binary else "text"
        # ON_ERROR_STOP: if the snapshot cannot be adopted, psql stops before the COPY.
        return [
            str(psql), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=terse", "-d", conninfo,
            "-c", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            "-c", f"SET TRANSACTION SNAPSHOT {quote_literal(self.snapshot)}",
            "-c", f"COPY ({self.query}) TO STDOUT (FORMAT {fmt})",
        ], env  # fmt: skip


# ------------------------------------------------ errors ------------------------------------------------
# Primary messages of these SQLSTATE classes name objects, never row values, so they may be shown.
# Data exceptions (22), integrity violations (23) and the rest may quote values: only the condition,
# constraint, table and column names are shown for those.
_SAFE_MESSAGE_CLASSES = ("08", "28", "3D", "3F", "42", "53", "55", "57", "0A", "25", "40")


def _details(exc: BaseException) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in getattr(exc, "details", None) or []:
        with contextlib.suppress(Exception):
            key, value = item
            k = key.decode() if isinstance(key, bytes) else str(key)
            out[k] = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
    return out


def sqlstate_of(exc: BaseException) -> str | None:
    state = getattr(exc, "sqlstate", None) or _details(exc).get("PG_DIAG_SQLSTATE")
    if state:
        return str(state)
    m = re.search(r"SQLSTATE: ([0-9A-Z]{5})", str(exc))
    return m.group(1) if m else None


def _without_values(message: str) -> str:
    """A server message with anything quoted masked: PostgreSQL quotes values ('invalid input syntax for
    type inet: "x"', 'value "7" is out of range for type integer') as well as names."""
    message = re.split(r':\s*"', message, maxsplit=1)[0]
    return re.sub(r'"(?:[^"]|"")*"', '"***"', message).strip()


def safe_db_error(exc: BaseException) -> str:
    """One line describing a database error without any data value (no DETAIL, no values)."""
    d = _details(exc)
    state = sqlstate_of(exc)
    primary = d.get("PG_DIAG_MESSAGE_PRIMARY")
    if primary is None:
        # ADBC folds the server message into its own text: "...: ERROR:  <primary>\nDETAIL: ..."
        text = str(exc)
        m = re.search(r"(?:ERROR|FATAL):\s+(.*)", text)
        primary = (m.group(1) if m else text.splitlines()[0] if text else type(exc).__name__).strip()
    if state and not state.startswith(_SAFE_MESSAGE_CLASSES):
        names = [
            f"{label} {d[key]}"
            for label, key in (
                ("constraint", "PG_DIAG_CONSTRAINT_NAME"),
                ("table", "PG_DIAG_TABLE_NAME"),
                ("column", "PG_DIAG_COLUMN_NAME"),
                ("type", "PG_DIAG_DATATYPE_NAME"),
            )
            if d.get(key)
        ]
        # "COPY t, line 3, column c: <value>": keep where, drop the value.
        copy = re.match(r"COPY (.+?), line (\d+)(?:, column (.+?))?(?::|$)", d.get("PG_DIAG_CONTEXT", ""))
        if copy and copy.group(3) and not d.get("PG_DIAG_COLUMN_NAME"):
            names.append(f"column {copy.group(3)}")
        if copy:
            names.append(f"row {copy.group(2)} of the batch")
        where = f"; {', '.join(names)}" if names else ""
        return f"{_without_values(primary)} (SQLSTATE {state}{where})"
    return f"{primary} (SQLSTATE {state})" if state else primary


def safe_tool_error(stderr: str) -> str:
    """The first error line of psql/pg_dump output, anything quoted in it masked (values, as in
    safe_db_error)."""
    for line in stderr.splitlines():
        m = re.search(r"(?:ERROR|FATAL|error):\s+(.*)", line)
        if m:
            return _without_values(m.group(1))
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    return _without_values(lines[0]) if lines else "no message"


class ConnectError(MaskpipeError):
    """A connection that failed, with `kind` in missing_database | auth | privilege | unreachable | other."""

    def __init__(self, problem: Problem, kind: str) -> None:
        super().__init__(problem)
        self.kind = kind


def connect_problem(exc: BaseException, uri: str, where: str) -> ConnectError:
    """Map a failed connection to one clear Problem. libpq messages carry host, port, user and database
    names but never the password; the URI is masked anyway."""
    text = str(exc)
    shown = mask_uri(uri)
    m = re.search(r"(?:FATAL|ERROR):\s+(.*)", text)
    detail = (m.group(1) if m else text.split("Failed to connect:", 1)[-1]).strip().splitlines()[0].strip()
    low = text.lower()
    if "does not exist" in low and "database" in low:
        return ConnectError(
            Problem(
                where,
                f"database does not exist: {detail} ({shown})",
                "check the database name at the end of the URI",
            ),
            "missing_database",
        )
    if (
        "password authentication failed" in low
        or "no password supplied" in low
        or ("role" in low and "does not exist" in low)
    ):
        return ConnectError(
            Problem(
                where,
                f"authentication failed: {detail} ({shown})",
                "check the user name and password (PGPASSWORD or ~/.pgpass also work)",
            ),
            "auth",
        )
    if "permission denied" in low or "no pg_hba.conf entry" in low or "not permitted to log in" in low:
        return ConnectError(
            Problem(
                where,
                f"not allowed to connect: {detail} ({shown})",
                "grant CONNECT on the database / LOGIN to the role, or add a pg_hba.conf entry",
            ),
            "privilege",
        )
    unreachable = (
        "connection refused",
        "could not translate host name",
        "timeout expired",
        "no route to host",
        "network is unreachable",
        "could not connect",
        "server closed the connection",
        "no such file",
    )
    if any(s in low for s in unreachable):
        return ConnectError(
            Problem(
                where,
                f"cannot reach the PostgreSQL server: {detail} ({shown})",
                "check host and port, and that the server accepts TCP connections",
            ),
            "unreachable",
        )
    return ConnectError(
        Problem(where, f"cannot connect: {detail} ({shown})", "check the connection URI"), "other"
    )


def connect(uri: str, where: str) -> Any:
    """An ADBC connection in autocommit mode (transactions are opened explicitly where needed)."""
    try:
        return pg_dbapi.connect(uri, autocommit=True)
    except adbc_driver_manager.Error as exc:
        raise connect_problem(exc, uri, where) from None
    except Exception as exc:  # malformed URI and other driver-side refusals
        raise ConnectError(
            Problem(
                where,
                f"cannot connect: {type(exc).__name__} ({mask_uri(uri)})",
                "use a URI like postgresql://user@host:5432/dbname",
            ),
            "other",
        ) from None


def fetch_all(conn: Any, sql: str, params: tuple[Any, ...] | None = None) -> list[tuple[Any, ...]]:
    cur = conn.cursor()
    try:
        cur.execute(sql, params)
        return list(cur.fetchall())
    finally:
        cur.close()


def execute(conn: Any, sql: str) -> None:
    cur = conn.cursor()
    try:
        cur.execute(sql)
    finally:
        cur.close()


def system_identifier(conn: Any) -> str:
    # pg_control_system() is readable by any role (checked on PG 15) and is unique per cluster (initdb).
    return str(fetch_all(conn, "SELECT system_identifier::text FROM pg_catalog.pg_control_system()")[0][0])


def server_identity(conn: Any, dbname: str) -> str:
    return f"postgresql:{system_identifier(conn)}:{dbname}"


# ------------------------------------------- server binaries -------------------------------------------
def pg_bindir_candidates(tool: str, bindir: str | Path | None = None) -> list[Path]:
    """Folders that may hold PostgreSQL's binaries, in order: explicit bindir, $MASKPIPE_PG_BINDIR,
    `pg_config --bindir`, the folder of `tool` on PATH, then Debian's /usr/lib/postgresql/*/bin, newest
    first (a newer pg_dump reads older servers). Shared with the test suite's cluster fixture."""
    candidates: list[Path] = []
    for d in (bindir, os.environ.get("MASKPIPE_PG_BINDIR")):
        if d:
            candidates.append(Path(d))
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True)
            candidates.append(Path(out.stdout.strip()))
    on_path = shutil.which(tool)
    if on_path:
        candidates.append(Path(on_path).parent)

    def version(p: str) -> tuple[int, ...]:
        m = re.search(r"/postgresql/([\d.]+)/", p)
        return tuple(int(x) for x in m.group(1).split(".") if x) if m else ()

    debian = sorted((str(p) for p in Path("/usr/lib/postgresql").glob("*/bin")), key=version, reverse=True)
    return candidates + [Path(p) for p in debian]


def find_pg_tool(tool: str, bindir: str | Path | None = None) -> Path:
    """pg_dump/psql from the first folder of pg_bindir_candidates that holds it."""
    candidates = pg_bindir_candidates(tool, bindir)
    for cand in candidates:
        if (cand / tool).is_file():
            return cand / tool
    raise MaskpipeError(
        Problem(
            "--dest",
            f"{tool} not found",
            "install the PostgreSQL client (apt-get install "
            "postgresql-client) or set MASKPIPE_PG_BINDIR to the folder holding it",
        )
    )


# ------------------------------------------------ source ------------------------------------------------
class _CatalogColumn(NamedTuple):
    name: str
    sql_type: str
    not_null: bool
    generated: bool
    base_typname: str  # after resolving domains
    base_typtype: str
    base_category: str
    can_select: bool
    typmod: int  # the column's, else its domain's; -1 when unconstrained
    type_oid: int  # the column's own type (a domain's, not its base type's)


@dataclass(frozen=True)
class _ColumnPlan:
    name: str
    select: str  # the SELECT-list expression
    generated: bool
    temporal: str | None  # "timestamp" or "date" when +/-infinity needs rewriting
    decimal: pa.DataType | None = None  # decimal128(p, s) that the text of a numeric(p, s) is cast to


class PostgresSource:
    """Reads one consistent snapshot of a PostgreSQL database. Tables are read one at a time; worker()
    gives another reader of the same snapshot for reading tables in parallel."""

    def __init__(self, uri: str, *, numeric_as_text: bool = False) -> None:
        self.uri = uri
        self.numeric_as_text = numeric_as_text
        self._conn: Any = None
        self._plans: dict[str, tuple[_ColumnPlan, ...]] = {}
        self._schemas: dict[str, pa.Schema] = {}
        self._from: dict[str, str] = {}
        self._builtin: dict[str, bool] = {}  # every stored column has a built-in type (copy_out)
        self._reading = False
        self._exported: str | None = None  # this transaction's exported snapshot id
        self._imported: str | None = None  # a worker: the snapshot it reads (its parent's export)
        self._server: tuple[int, str] | None = None  # major version, database encoding (copy_out)

    # -- connection and snapshot ----------------------------------------------------------------------------
    def _connection(self) -> Any:
        if self._conn is None:
            conn = connect(self.uri, "--source")
            try:
                # Belt and braces: the session refuses writes even outside our transaction, the transaction
                # is READ ONLY, and REPEATABLE READ makes every table come from the same snapshot.
                # row_security=off makes a table with RLS policies fail loudly instead of silently
                # returning a subset of its rows (as pg_dump does).
                # A worker adopts its parent's exported snapshot: it must be the transaction's first
                # statement, and makes the worker see exactly what the parent sees.
                adopt = (
                    (f"SET TRANSACTION SNAPSHOT {quote_literal(self._imported)}",) if self._imported else ()
                )
                for stmt in (
                    *SESSION_SETTINGS,
                    "SET row_security = off",
                    "SET default_transaction_read_only = on",
                    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                    *adopt,
                ):
                    execute(conn, stmt)
            except adbc_driver_manager.Error as exc:
                conn.close()
                raise MaskpipeError(
                    Problem("--source", f"cannot open a read-only snapshot: {safe_db_error(exc)}")
                ) from None
            self._conn = conn
        return self._conn

    def export_snapshot(self) -> str:
        """The snapshot id (pg_export_snapshot) so that pg_dump --snapshot and worker() see exactly what
        we read. Valid while this source (the one that exported it) stays open."""
        if self._imported is not None:
            return self._imported
        if self._exported is None:
            rows = fetch_all(self._connection(), "SELECT pg_catalog.pg_export_snapshot()")
            self._exported = str(rows[0][0])
        return self._exported

    def worker(self) -> PostgresSource:
        """Another source over its own connection that reads the very same snapshot (SET TRANSACTION
        SNAPSHOT of this one's export, REPEATABLE READ READ ONLY), for reading tables in another thread.
        Valid while this source stays open; close it before this one. Knows the tables this one described."""
        try:
            snapshot = self.export_snapshot()
        except adbc_driver_manager.Error as exc:  # e.g. a server that cannot export snapshots
            raise MaskpipeError(
                Problem("--source", f"cannot share the snapshot with another reader: {safe_db_error(exc)}")
            ) from None
        other = PostgresSource(self.uri, numeric_as_text=self.numeric_as_text)
        other._imported = snapshot
        other._plans, other._schemas, other._from = dict(self._plans), dict(self._schemas), dict(self._from)
        other._builtin, other._server = dict(self._builtin), self._server
        other._connection()  # fail here, in the caller's thread, rather than half-way
        return other

    def copy_out(self, table: TableInfo) -> CopyOut | None:
        """The table's stored rows as COPY streams them, unconverted, in this source's snapshot (for a table
        no rule masks, into a PostgreSQL copy of the same schema); None when it has no readable column."""
        qname = table.qualified
        if qname not in self._plans:
            self.describe()
        columns = tuple(p.name for p in self._plans.get(qname, ()) if not p.generated)
        if not columns:
            return None
        if self._server is None:
            major, encoding = fetch_all(
                self._connection(),
                "SELECT current_setting('server_version_num')::int / 10000, pg_encoding_to_char(encoding) "
                "FROM pg_catalog.pg_database WHERE datname = current_database()",
            )[0]
            self._server = (int(major), str(encoding))
        return CopyOut(
            table=qname,
            columns=columns,
            builtin_types=self._builtin[qname],
            server_major=self._server[0],
            encoding=self._server[1],
            uri=self.uri,
            snapshot=self.export_snapshot(),
            query=f"SELECT {', '.join(quote_ident(c) for c in columns)} FROM {self._from[qname]}",
        )

    def identity(self) -> str:
        conn = self._connection()
        dbname = fetch_all(conn, "SELECT current_database()")[0][0]
        return server_identity(conn, dbname)

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                execute(self._conn, "ROLLBACK")
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def __enter__(self) -> PostgresSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- describe ---------------------------------------------------------------------------------------
    def describe(self) -> list[TableInfo]:
        conn = self._connection()
        try:
            return self._describe(conn)
        except adbc_driver_manager.Error as exc:
            raise MaskpipeError(
                Problem("--source", f"cannot read the catalog: {safe_db_error(exc)}")
            ) from None

    def _describe(self, conn: Any) -> list[TableInfo]:
        # Ordinary and partitioned tables, not partitions (their rows are read through the parent), not
        # tables owned by an extension (CREATE EXTENSION recreates those on the destination).
        tables = fetch_all(
            conn,
            f"""
            SELECT c.oid::int8, n.nspname, c.relname, c.relkind::text,
                   CASE WHEN c.relkind = 'p' THEN
                        (SELECT CASE WHEN bool_and(p.reltuples >= 0) THEN sum(p.reltuples) END
                           FROM pg_catalog.pg_partition_tree(c.oid) t
                           JOIN pg_catalog.pg_class p ON p.oid = t.relid WHERE t.isleaf)
                        ELSE CASE WHEN c.reltuples >= 0 THEN c.reltuples END END::float8,
                   has_table_privilege(c.oid, 'SELECT'), has_schema_privilege(n.oid, 'USAGE')
              FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {_SYSTEM_SCHEMA_FILTER}
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                                WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
                                  AND d.deptype = 'e')
             ORDER BY n.nspname, c.relname
            """,
        )
        if not tables:
            return []
        oids = ",".join(str(t[0]) for t in tables)
        columns: dict[int, list[_CatalogColumn]] = {}
        for row in fetch_all(
            conn,
            f"""
            WITH RECURSIVE base(oid, base) AS (
                -- a domain's values arrive as its base type (through any depth of domains)
                SELECT oid, oid FROM pg_catalog.pg_type WHERE typtype <> 'd'
                UNION ALL
                SELECT t.oid, b.base FROM pg_catalog.pg_type t JOIN base b ON t.typbasetype = b.oid
                 WHERE t.typtype = 'd'
            )
            SELECT a.attrelid::int8, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
                   a.attnotnull, a.attgenerated = 's',
                   bt.typname, bt.typtype::text, bt.typcategory::text,
                   has_column_privilege(a.attrelid, a.attnum, 'SELECT'),
                   CASE WHEN a.atttypmod >= 0 THEN a.atttypmod ELSE dt.typtypmod END,
                   a.atttypid::int8
              FROM pg_catalog.pg_attribute a
              JOIN pg_catalog.pg_type dt ON dt.oid = a.atttypid
              JOIN base ON base.oid = a.atttypid
              JOIN pg_catalog.pg_type bt ON bt.oid = base.base
             WHERE a.attrelid IN ({oids}) AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attrelid, a.attnum
            """,
        ):
            columns.setdefault(row[0], []).append(_CatalogColumn(*row[1:]))

        keys: dict[int, dict[str, Any]] = {}
        for oid, kind, cols, name, ref_schema, ref_table, ref_cols in fetch_all(
            conn,
            f"""
            SELECT con.conrelid::int8, con.contype::text,
                   ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
                           JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num
                          ORDER BY k.ord)::text[],
                   con.conname, rn.nspname, rc.relname,
                   ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
                           JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num
                          ORDER BY k.ord)::text[]
              FROM pg_catalog.pg_constraint con
              LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid
              LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
             WHERE con.conrelid IN ({oids}) AND con.contype IN ('p', 'u', 'f')
               -- FKs to a partitioned table get one extra row per partition: keep the parent's only
               AND con.conparentid = 0
            UNION ALL
            -- unique indexes without a constraint enforce uniqueness just as well (not partial, no
            -- expressions)
            SELECT i.indrelid::int8, 'u',
                   ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(num, ord)
                           JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.num
                          ORDER BY k.ord)::text[],
                   ic.relname, NULL, NULL, NULL
              FROM pg_catalog.pg_index i
              JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
             WHERE i.indrelid IN ({oids}) AND i.indisunique AND NOT i.indisprimary
               AND i.indpred IS NULL AND i.indexprs IS NULL
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c2 WHERE c2.conindid = i.indexrelid)
             ORDER BY 1, 4
            """,
        ):
            entry = keys.setdefault(oid, {"pk": (), "unique": [], "fks": []})
            cols_t = tuple(_text_array(cols))
            if kind == "p":
                entry["pk"] = cols_t
            elif kind == "u":
                if cols_t not in entry["unique"]:
                    entry["unique"].append(cols_t)
            else:
                entry["fks"].append(
                    ForeignKey(
                        columns=cols_t,
                        ref_table=f"{ref_schema}.{ref_table}",
                        ref_columns=tuple(_text_array(ref_cols)),
                        name=name,
                    )
                )

        problems: list[Problem] = []
        result: list[TableInfo] = []
        for oid, schema, name, relkind, reltuples, can_select, can_use_schema in tables:
            cols = columns.get(oid, [])
            qname = f"{schema}.{name}"
            if not can_use_schema:
                problems.append(
                    Problem(
                        "--source",
                        f"no USAGE privilege on schema {schema} (table {qname})",
                        f"GRANT USAGE ON SCHEMA {quote_ident(schema)} TO the source role",
                    )
                )
                continue
            denied = [c.name for c in cols if not c.can_select and not c.generated]  # generated: never read
            if not can_select and denied:
                problems.append(
                    Problem(
                        "--source",
                        f"no SELECT privilege on table {qname}",
                        f"GRANT SELECT ON {qualified_name(schema, name)} TO the source role",
                    )
                )
                continue
            plans = tuple(_plan_column(c, self.numeric_as_text) for c in cols)
            # Partitioned parents are read whole (all partitions); ordinary tables with ONLY so that rows of
            # inheritance children are not read twice (each child is a table of its own).
            source = ("" if relkind == "p" else "ONLY ") + qualified_name(schema, name)
            # One LIMIT 0 query through ADBC gives the Arrow types exactly as read_batches will yield them.
            select_all = ", ".join(f"{p.select} AS {quote_ident(p.name)}" for p in plans)
            queried = (
                self._query_schema(conn, f"SELECT {select_all} FROM {source} LIMIT 0")
                if plans
                else pa.schema([])
            )
            schema_arrow = pa.schema(
                [pa.field(f.name, p.decimal or f.type) for f, p in zip(queried, plans, strict=True)]
            )
            entry = keys.get(oid, {"pk": (), "unique": [], "fks": []})
            info = TableInfo(
                schema=schema,
                name=name,
                columns=tuple(
                    ColumnInfo(
                        name=c.name,
                        arrow_type=schema_arrow.field(i).type,
                        sql_type=c.sql_type,
                        nullable=not c.not_null,
                        generated=c.generated,
                    )
                    for i, c in enumerate(cols)
                ),
                primary_key=entry["pk"],
                unique=tuple(entry["unique"]),
                foreign_keys=tuple(entry["fks"]),
                row_estimate=None if reltuples is None else int(reltuples),
            )
            self._plans[qname] = plans
            self._from[qname] = source
            self._builtin[qname] = all(c.type_oid < FIRST_NORMAL_OID for c in cols if not c.generated)
            self._schemas[qname] = pa.schema(
                [
                    pa.field(f.name, f.type, f.nullable)
                    for f, p in zip(schema_arrow, plans, strict=True)
                    if not p.generated
                ]
            )
            result.append(info)
        if problems:
            raise MaskpipeError(problems)
        return result

    @staticmethod
    def _query_schema(conn: Any, sql: str) -> pa.Schema:
        cur = conn.cursor()
        try:
            cur.execute(sql)
            reader = cur.fetch_record_batch()
            schema = reader.schema
            reader.close()
            return pa.schema([pa.field(f.name, f.type, True) for f in schema])
        finally:
            cur.close()

    # -- read -------------------------------------------------------------------------------------------
    def read_batches(
        self, table: TableInfo, batch_rows: int = DEFAULT_BATCH_ROWS
    ) -> Iterator[pa.RecordBatch]:
        """Stream the table's non-generated columns. Consume (or close) one generator before the next."""
        qname = table.qualified
        if qname not in self._plans:
            self.describe()
        if qname not in self._plans:
            raise MaskpipeError(Problem("--source", f"table {qname} not found in the source"))
        if self._reading:
            raise RunFailed("PostgresSource reads one table at a time; finish the previous generator first")
        plans = [p for p in self._plans[qname] if not p.generated]
        schema = self._schemas[qname]
        if not plans:
            return  # a table without readable columns carries no data we could write
        select = ", ".join(f"{p.select} AS {quote_ident(p.name)}" for p in plans)
        sql = f"SELECT {select} FROM {self._from[qname]}"
        conn = self._connection()
        cur = conn.cursor()
        reader = None
        self._reading = True
        try:
            # Batches of about batch_rows: the driver cuts by bytes, we cut again by rows.
            with contextlib.suppress(Exception):
                cur.adbc_statement.set_options(
                    **{
                        "adbc.postgresql.batch_size_hint_bytes": str(
                            max(1 << 20, min(batch_rows * 256, 64 << 20))
                        )
                    }
                )
            try:
                cur.execute(sql)
                reader = cur.fetch_record_batch()
            except adbc_driver_manager.Error as exc:
                raise RunFailed(f"--source: reading {qname} failed: {safe_db_error(exc)}") from None
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    break
                except adbc_driver_manager.Error as exc:
                    raise RunFailed(f"--source: reading {qname} failed: {safe_db_error(exc)}") from None
                batch = pa.RecordBatch.from_arrays(
                    [self._fix_column(qname, p, col) for p, col in zip(plans, batch.columns, strict=True)],
                    schema=schema,
                )
                for start in range(0, batch.num_rows, batch_rows):
                    yield batch.slice(start, batch_rows)
        finally:
            if reader is not None:
                with contextlib.suppress(Exception):
                    reader.close()
            with contextlib.suppress(Exception):
                cur.close()
            self._reading = False

    @staticmethod
    def _fix_column(qname: str, plan: _ColumnPlan, col: pa.Array) -> pa.Array:
        if plan.decimal is not None:
            try:
                return col.cast(plan.decimal)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                has_nan = pc.any(pc.equal(col, "NaN")).as_py()
                what = "NaN, which decimal128 cannot carry" if has_nan else "values decimal128 refuses"
                raise RunFailed(
                    f"--source: {qname}.{plan.name} ({plan.decimal}) holds {what}; "
                    "read numerics as exact text instead (PostgresSource(..., numeric_as_text=True))"
                ) from None
        if plan.temporal is None or len(col) == col.null_count:
            return col
        if plan.temporal == "date":
            raw, wrap_pos, wrap_neg, pos, neg, lowest = (
                col.view(pa.int32()),
                _ADBC_DATE_POS_INF,
                _ADBC_DATE_NEG_INF,
                DATE_POS_INF,
                DATE_NEG_INF,
                _MIN_FINITE_DATE,
            )
        else:
            raw, wrap_pos, wrap_neg, pos, neg, lowest = (
                col.view(pa.int64()),
                _ADBC_TS_POS_INF,
                _ADBC_TS_NEG_INF,
                TIMESTAMP_POS_INF,
                TIMESTAMP_NEG_INF,
                _MIN_FINITE_TS_US,
            )
        if pc.min(raw).as_py() >= lowest:
            return col  # the common case: nothing to rewrite, no copy
        is_pos = pc.equal(raw, pa.scalar(wrap_pos, raw.type))
        is_neg = pc.equal(raw, pa.scalar(wrap_neg, raw.type))
        fixed = pc.if_else(
            is_pos, pa.scalar(pos, raw.type), pc.if_else(is_neg, pa.scalar(neg, raw.type), raw)
        )
        rest = pc.filter(fixed, pc.and_(pc.invert(pc.or_(is_pos, is_neg)), pc.less(fixed, lowest)))
        if len(rest) and rest.null_count < len(rest):
            raise RunFailed(
                f"--source: {qname}.{plan.name} holds values beyond what Arrow can carry "
                "(a timestamp after year 294246); exclude the column or fix those rows"
            )
        return fixed.view(col.type)


def _text_array(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(v) for v in value]


def _plan_column(col: _CatalogColumn, numeric_as_text: bool) -> _ColumnPlan:
    ident = quote_ident(col.name)
    if col.base_typname == "numeric" and col.base_typtype == "b" and not numeric_as_text and col.typmod >= 4:
        precision, scale = ((col.typmod - 4) >> 16) & 0xFFFF, (col.typmod - 4) & 0xFFFF
        if 0 <= scale <= precision <= 38:
            return _ColumnPlan(
                col.name, f"{ident}::text", col.generated, None, pa.decimal128(precision, scale)
            )
    native = col.base_typtype == "e" or (
        col.base_typtype == "b" and col.base_category != "A" and col.base_typname in NATIVE_TYPES
    )
    if not native:
        return _ColumnPlan(col.name, f"{ident}::text", col.generated, None)
    temporal = {"date": "date", "timestamp": "timestamp", "timestamptz": "timestamp"}.get(col.base_typname)
    return _ColumnPlan(col.name, ident, col.generated, temporal)
