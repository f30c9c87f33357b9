"""DuckDBSource against real DuckDB files written into tmp_path."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from maskpipe.extract.duckdb import DuckDBSource, quote_ident
from maskpipe.model import ForeignKey, MaskpipeError, TableInfo

UTC = dt.UTC

TRAP_SQL = """
CREATE SCHEMA "Sales Dept";
CREATE TABLE "Sales Dept"."Order" (
    "select" INTEGER PRIMARY KEY,
    "First Name" VARCHAR UNIQUE,
    "last""name" VARCHAR,
    "order" DECIMAL(12, 2) NOT NULL,
    born DATE,
    seen_at TIMESTAMPTZ,
    mood ENUM('happy', 'sad'),
    wait INTERVAL,
    raw BLOB
);
CREATE TABLE "Sales Dept".line (
    id BIGINT,
    order_id INTEGER REFERENCES "Sales Dept"."Order"("select"),
    a INTEGER,
    b INTEGER,
    doubled INTEGER GENERATED ALWAYS AS (a * 2) VIRTUAL,
    PRIMARY KEY (id),
    UNIQUE (a, b)
);
CREATE TABLE big (id BIGINT, s VARCHAR);
INSERT INTO big SELECT i, 'v' || i FROM range(10000) t(i);
CREATE VIEW order_names AS SELECT "First Name" FROM "Sales Dept"."Order";
"""

ORDER_ROWS = [
    (1, "Chloë O'Hara", "", Decimal("12.30"), dt.date(1970, 1, 1), dt.datetime(2024, 5, 1, 12, tzinfo=UTC),
     "happy", dt.timedelta(days=1, hours=2), b"\x00\xff"),
    (2, "山田 太郎 🦊", None, Decimal("-0.01"), dt.date(1899, 12, 31), None, None, None, b""),
    (3, None, "x", Decimal("9999999999.99"), None, dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
     "sad", None, None),
]  # fmt: skip


@pytest.fixture
def trap_db(tmp_path: Path) -> Path:
    path = tmp_path / "trap.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute("SET TimeZone = 'UTC'")
    conn.execute(TRAP_SQL)
    conn.executemany('INSERT INTO "Sales Dept"."Order" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', ORDER_ROWS)
    conn.execute('INSERT INTO "Sales Dept".line (id, order_id, a, b) VALUES (10, 1, 1, 1), (11, NULL, 2, 1)')
    conn.close()
    return path


@pytest.fixture
def source(trap_db: Path) -> Iterator[DuckDBSource]:
    src = DuckDBSource(trap_db)
    yield src
    src.close()


def _tables(src: DuckDBSource) -> dict[str, TableInfo]:
    return {t.qualified: t for t in src.describe()}


def _read(src: DuckDBSource, table: TableInfo, batch_rows: int = 100_000) -> pa.Table:
    batches = list(src.read_batches(table, batch_rows))
    return pa.Table.from_batches(batches, schema=batches[0].schema if batches else None)


# -- describe ---------------------------------------------------------------------------------------------
def test_duckdb_describe_lists_user_tables_not_views(source):
    assert set(_tables(source)) == {"Sales Dept.Order", "Sales Dept.line", "main.big"}


def test_duckdb_describe_columns_keep_names_types_and_flags(source):
    order = _tables(source)["Sales Dept.Order"]
    assert order.column_names == ("select", "First Name", 'last"name', "order", "born", "seen_at", "mood",
                                  "wait", "raw")  # fmt: skip
    types = {c.name: c.arrow_type for c in order.columns}
    assert types["order"] == pa.decimal128(12, 2)
    assert types["born"] == pa.date32()
    assert types["seen_at"] == pa.timestamp("us", tz="UTC")
    assert types["raw"] == pa.binary()
    order_col, select_col = order.column("order"), order.column("select")
    assert order_col is not None and order_col.sql_type == "DECIMAL(12,2)" and not order_col.nullable
    assert select_col is not None and not select_col.nullable


def test_duckdb_describe_reads_enum_and_interval_as_text_keeping_sql_type(source):
    order = _tables(source)["Sales Dept.Order"]
    mood, wait = order.column("mood"), order.column("wait")
    assert mood is not None and mood.arrow_type == pa.string() and mood.sql_type.startswith("ENUM(")
    assert wait is not None and wait.arrow_type == pa.string() and wait.sql_type == "INTERVAL"


def test_duckdb_describe_reads_primary_unique_and_foreign_keys(source):
    tables = _tables(source)
    order, line = tables["Sales Dept.Order"], tables["Sales Dept.line"]
    assert order.primary_key == ("select",)
    assert order.unique == (("First Name",),)
    assert line.primary_key == ("id",)
    assert line.unique == (("a", "b"),)
    (fk,) = line.foreign_keys
    assert (fk.columns, fk.ref_table, fk.ref_columns) == (("order_id",), "Sales Dept.Order", ("select",))
    assert isinstance(fk, ForeignKey) and fk.name


def test_duckdb_describe_flags_generated_columns(source):
    line = _tables(source)["Sales Dept.line"]
    doubled = line.column("doubled")
    assert doubled is not None and doubled.generated


def test_duckdb_describe_row_estimate(source):
    assert _tables(source)["main.big"].row_estimate == 10_000


# -- read -------------------------------------------------------------------------------------------------
def test_duckdb_read_batches_keeps_types_and_values(source):
    got = _read(source, _tables(source)["Sales Dept.Order"])
    rows = got.to_pylist()
    assert [r["select"] for r in rows] == [1, 2, 3]
    assert [r["First Name"] for r in rows] == ["Chloë O'Hara", "山田 太郎 🦊", None]
    assert [r['last"name'] for r in rows] == ["", None, "x"]
    assert [r["order"] for r in rows] == [Decimal("12.30"), Decimal("-0.01"), Decimal("9999999999.99")]
    assert [r["born"] for r in rows] == [dt.date(1970, 1, 1), dt.date(1899, 12, 31), None]
    assert [r["seen_at"] for r in rows] == [ORDER_ROWS[0][5], None, ORDER_ROWS[2][5]]
    assert [r["mood"] for r in rows] == ["happy", None, "sad"]
    assert rows[0]["wait"] is not None and rows[1]["wait"] is None
    assert [r["raw"] for r in rows] == [b"\x00\xff", b"", None]
    assert got.schema.field("order").type == pa.decimal128(12, 2)


def test_duckdb_read_batches_skips_generated_columns(source):
    got = _read(source, _tables(source)["Sales Dept.line"])
    assert got.column_names == ["id", "order_id", "a", "b"]


def test_duckdb_read_batches_10k_rows_in_at_least_10_bounded_batches(source):
    batches = list(source.read_batches(_tables(source)["main.big"], batch_rows=1_000))
    assert len(batches) >= 10
    assert max(b.num_rows for b in batches) <= 1_000
    assert sorted(pa.Table.from_batches(batches).column("id").to_pylist()) == list(range(10_000))


def test_duckdb_read_batches_unknown_table_raises(source):
    with pytest.raises(MaskpipeError, match="not found"):
        list(source.read_batches(TableInfo("main", "ghost", ())))


# -- read-only --------------------------------------------------------------------------------------------
def test_duckdb_source_never_writes_to_its_file(trap_db):
    before = hashlib.sha256(trap_db.read_bytes()).hexdigest()
    src = DuckDBSource(trap_db)
    for table in src.describe():
        _read(src, table)
    with pytest.raises(duckdb.Error, match="read-only"):
        src._connection().execute(f"CREATE TABLE {quote_ident('x')} (a INTEGER)")
    src.close()
    assert hashlib.sha256(trap_db.read_bytes()).hexdigest() == before
    assert not trap_db.with_name(trap_db.name + ".wal").exists()


def test_duckdb_source_missing_file_raises_with_hint(tmp_path):
    with pytest.raises(MaskpipeError) as err:
        DuckDBSource(tmp_path / "nope.duckdb").describe()
    problem = err.value.problems[0]
    assert problem.where == "--source" and "does not exist" in problem.message and problem.hint
    assert not (tmp_path / "nope.duckdb").exists()


def test_duckdb_source_other_file_kind_is_refused(tmp_path):
    path = tmp_path / "app.db"
    path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    with pytest.raises(MaskpipeError, match="not a DuckDB database"):
        DuckDBSource(path).describe()


def test_duckdb_identity_is_file_and_realpath(trap_db, tmp_path):
    link = tmp_path / "link.duckdb"
    link.symlink_to(trap_db)
    assert DuckDBSource(link).identity() == "file:" + os.path.realpath(trap_db)
    assert DuckDBSource(f"duckdb://{trap_db}").identity() == DuckDBSource(trap_db).identity()
