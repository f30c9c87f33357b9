"""DuckDBSink writing real DuckDB files in tmp_path, checked with duckdb and DuckDBSource."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from maskpipe.extract.duckdb import DuckDBSource
from maskpipe.load.duckdb import STAGING_SUFFIX, DuckDBSink
from maskpipe.model import ColumnInfo, ForeignKey, MaskpipeError, RunFailed, TableInfo

UTC = dt.UTC


def trap_table() -> pa.Table:
    return pa.table(
        {
            "id": pa.array([1, 2, 3, 4], pa.int64()),
            "amount": pa.array([Decimal("12.30"), Decimal("-0.01"), None, Decimal("9999999999.99")],
                               pa.decimal128(12, 2)),
            "born": pa.array([dt.date(1970, 1, 1), dt.date(1899, 12, 31), None, dt.date(2024, 2, 29)]),
            "seen_at": pa.array(
                [dt.datetime(2024, 5, 1, 12, 0, tzinfo=UTC), None,
                 dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
                 dt.datetime(2038, 1, 19, tzinfo=UTC)],
                pa.timestamp("us", tz="UTC"),
            ),
            "name": pa.array(["Chloë O'Hara", "", None, "山田 太郎 🦊"]),
            "raw": pa.array([b"\x00\xff", b"", None, b"x"], pa.binary()),
        }
    )  # fmt: skip


def info_for(table: pa.Table, schema: str, name: str, **keys: object) -> TableInfo:
    cols = tuple(ColumnInfo(f.name, f.type, nullable=f.name not in ("id", "select")) for f in table.schema)
    return TableInfo(schema, name, cols, **keys)  # type: ignore[arg-type]


def _fk(cols: tuple[str, ...], ref: str, ref_cols: tuple[str, ...]) -> ForeignKey:
    return ForeignKey(cols, ref, ref_cols)


PARENT_DATA = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "email": ["a@x", "b@x", None]})
CHILD_DATA = pa.table(
    {"id": pa.array([10, 11, 12], pa.int64()), "parent_id": pa.array([1, 1, None], pa.int64())}
)
PARENT = info_for(PARENT_DATA, "main", "parent", primary_key=("id",), unique=(("email",),))
CHILD = info_for(CHILD_DATA, "main", "child", primary_key=("id",),
                 foreign_keys=(_fk(("parent_id",), "main.parent", ("id",)),))  # fmt: skip


def _batches(table: pa.Table, rows: int = 2) -> Iterator[pa.RecordBatch]:
    yield from table.to_batches(max_chunksize=rows)


def write_db(dest: Path, tables: list[tuple[TableInfo, pa.Table]]) -> DuckDBSink:
    sink = DuckDBSink(dest)
    sink.begin([t for t, _ in tables])
    for info, data in tables:
        sink.write_table(info, data.schema, _batches(data))
    sink.commit()
    return sink


def _constraints(dest: Path) -> set[tuple[str, str, str]]:
    conn = duckdb.connect(str(dest), read_only=True)
    try:
        rows = conn.sql(
            "SELECT table_name, constraint_type, array_to_string(constraint_column_names, ',') "
            "FROM duckdb_constraints() WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY')"
        ).fetchall()
    finally:
        conn.close()
    return {(r[0], r[1], r[2]) for r in rows}


def _read_all(dest: Path) -> dict[str, pa.Table]:
    src = DuckDBSource(dest)
    try:
        return {
            t.qualified: pa.Table.from_batches(list(src.read_batches(t)), schema=None)
            if t.row_estimate
            else pa.table({})
            for t in src.describe()
        }
    finally:
        src.close()


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- round trip -------------------------------------------------------------------------------------------
def test_duckdb_sink_round_trip_keeps_types_and_values(tmp_path):
    dest = tmp_path / "copy.duckdb"
    write_db(dest, [(info_for(trap_table(), "public", "trap"), trap_table())])
    got = _read_all(dest)["public.trap"]
    assert got.schema == trap_table().schema
    assert got.sort_by("id").to_pylist() == trap_table().to_pylist()


def test_duckdb_sink_column_types_and_not_null_follow_arrow_and_table_info(tmp_path):
    dest = tmp_path / "copy.duckdb"
    write_db(dest, [(info_for(trap_table(), "public", "trap", primary_key=("id",)), trap_table())])
    conn = duckdb.connect(str(dest), read_only=True)
    cols = dict(
        conn.sql("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'trap'").fetchall()
    )
    nullable = dict(
        conn.sql("SELECT column_name, is_nullable FROM duckdb_columns() WHERE table_name = 'trap'").fetchall()
    )
    conn.close()
    assert cols == {"id": "BIGINT", "amount": "DECIMAL(12,2)", "born": "DATE",
                    "seen_at": "TIMESTAMP WITH TIME ZONE", "name": "VARCHAR", "raw": "BLOB"}  # fmt: skip
    assert nullable["id"] is False and nullable["name"] is True


def test_duckdb_sink_streams_10k_rows_in_many_batches(tmp_path):
    big = pa.table({"id": pa.array(range(10_000), pa.int64())})
    info = info_for(big, "main", "big", primary_key=("id",))
    sink = DuckDBSink(tmp_path / "copy.duckdb")
    sink.begin([info])
    assert sink.write_table(info, big.schema, big.to_batches(max_chunksize=1_000)) == 10_000
    sink.commit()
    assert _read_all(tmp_path / "copy.duckdb")["main.big"].num_rows == 10_000


def test_duckdb_sink_empty_table_is_created(tmp_path):
    dest = tmp_path / "copy.duckdb"
    sink = DuckDBSink(dest)
    sink.begin([PARENT])
    assert sink.write_table(PARENT, PARENT_DATA.schema, iter([])) == 0
    sink.commit()
    assert ("parent", "PRIMARY KEY", "id") in _constraints(dest)


# -- keys -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("order", ["parents_first", "children_first"])
def test_duckdb_sink_primary_unique_and_foreign_keys_exist_in_destination(tmp_path, order):
    dest = tmp_path / "copy.duckdb"
    pairs = [(PARENT, PARENT_DATA), (CHILD, CHILD_DATA)]
    sink = write_db(dest, pairs if order == "parents_first" else pairs[::-1])
    assert sink.warnings == []
    assert _constraints(dest) == {
        ("parent", "PRIMARY KEY", "id"), ("parent", "UNIQUE", "email"),
        ("child", "PRIMARY KEY", "id"), ("child", "FOREIGN KEY", "parent_id"),
    }  # fmt: skip
    got = _read_all(dest)
    assert got["main.child"].sort_by("id").to_pylist() == CHILD_DATA.to_pylist()
    assert not any(name.endswith("__maskpipe_rebuild") for name in got)


def test_duckdb_sink_rebuilds_chains_written_children_first(tmp_path):
    g = pa.table({"id": pa.array([1], pa.int64())})
    p = pa.table({"id": pa.array([1], pa.int64()), "g_id": pa.array([1], pa.int64())})
    c = pa.table({"id": pa.array([1], pa.int64()), "p_id": pa.array([1], pa.int64())})
    gi = info_for(g, "main", "g", primary_key=("id",))
    pi = info_for(p, "main", "p", primary_key=("id",), foreign_keys=(_fk(("g_id",), "main.g", ("id",)),))
    ci = info_for(c, "main", "c", primary_key=("id",), foreign_keys=(_fk(("p_id",), "main.p", ("id",)),))
    sink = write_db(tmp_path / "copy.duckdb", [(ci, c), (pi, p), (gi, g)])
    assert sink.warnings == []
    fks = {r for r in _constraints(tmp_path / "copy.duckdb") if r[1] == "FOREIGN KEY"}
    assert fks == {("p", "FOREIGN KEY", "g_id"), ("c", "FOREIGN KEY", "p_id")}


def test_duckdb_sink_composite_fk_is_aligned_to_the_parent_key_order(tmp_path):
    parent = pa.table({"a": pa.array([1], pa.int64()), "b": pa.array([2], pa.int64())})
    child = pa.table({"x": pa.array([1], pa.int64()), "y": pa.array([2], pa.int64())})
    pi = info_for(parent, "main", "parent", unique=(("a", "b"),))
    ci = info_for(child, "main", "child", foreign_keys=(_fk(("y", "x"), "main.parent", ("b", "a")),))
    sink = write_db(tmp_path / "copy.duckdb", [(pi, parent), (ci, child)])
    assert sink.warnings == []
    assert ("child", "FOREIGN KEY", "x,y") in _constraints(tmp_path / "copy.duckdb")


def test_duckdb_sink_fk_cycles_and_self_references_are_left_out_with_warnings(tmp_path):
    data = pa.table({"id": pa.array([1, 2], pa.int64()), "other": pa.array([2, 1], pa.int64())})
    a = info_for(data, "main", "a", primary_key=("id",), foreign_keys=(_fk(("other",), "main.b", ("id",)),))
    b = info_for(data, "main", "b", primary_key=("id",), foreign_keys=(_fk(("other",), "main.a", ("id",)),))
    s = info_for(data, "main", "s", primary_key=("id",), foreign_keys=(_fk(("other",), "main.s", ("id",)),))
    sink = write_db(tmp_path / "copy.duckdb", [(a, data), (b, data), (s, data)])
    assert sorted(w.where for w in sink.warnings) == [
        "main.a FOREIGN KEY (other)", "main.b FOREIGN KEY (other)", "main.s FOREIGN KEY (other)",
    ]  # fmt: skip
    assert all(w.severity == "warning" and "cycle" in w.message for w in sink.warnings)
    assert not {r for r in _constraints(tmp_path / "copy.duckdb") if r[1] == "FOREIGN KEY"}


def test_duckdb_sink_fks_duckdb_cannot_hold_are_left_out_with_warnings(tmp_path):
    loose = info_for(PARENT_DATA, "main", "loose")  # no PK, no UNIQUE
    cross = info_for(
        CHILD_DATA, "other", "cross", foreign_keys=(_fk(("parent_id",), "main.parent", ("id",)),)
    )
    missing = info_for(
        CHILD_DATA, "main", "orphan", foreign_keys=(_fk(("parent_id",), "main.gone", ("id",)),)
    )
    no_key = info_for(CHILD_DATA, "main", "nokey", foreign_keys=(_fk(("parent_id",), "main.loose", ("id",)),))
    virtual = info_for(
        CHILD_DATA, "main", "virtual",
        foreign_keys=(ForeignKey(("parent_id",), "main.parent", ("id",), virtual=True),),
    )  # fmt: skip
    sink = write_db(
        tmp_path / "copy.duckdb",
        [(PARENT, PARENT_DATA), (loose, PARENT_DATA), (cross, CHILD_DATA), (missing, CHILD_DATA),
         (no_key, CHILD_DATA), (virtual, CHILD_DATA)],
    )  # fmt: skip
    messages = {w.where.split(" ")[0]: w.message for w in sink.warnings}
    assert set(messages) == {"other.cross", "main.orphan", "main.nokey"}
    assert "across schemas" in messages["other.cross"]
    assert "not part of this copy" in messages["main.orphan"]
    assert "PRIMARY KEY or a UNIQUE" in messages["main.nokey"]
    # The virtual FK comes from rules, not from the database: skipped without a warning.
    assert not {r for r in _constraints(tmp_path / "copy.duckdb") if r[1] == "FOREIGN KEY"}


def test_duckdb_sink_duplicate_key_fails_without_showing_the_value(tmp_path):
    dup = pa.table(
        {"id": pa.array([1, 2], pa.int64()), "email": ["secret@corp.example", "secret@corp.example"]}
    )
    sink = DuckDBSink(tmp_path / "copy.duckdb")
    sink.begin([PARENT])
    with pytest.raises(RunFailed) as err:
        sink.write_table(PARENT, dup.schema, _batches(dup))
    assert "main.parent" in str(err.value) and "secret@corp.example" not in str(err.value)
    sink.abort()
    assert _files(tmp_path) == []


# -- identifiers ------------------------------------------------------------------------------------------
def test_duckdb_sink_mixed_case_reserved_and_quoted_identifiers(tmp_path):
    data = pa.table(
        {"select": pa.array([1, 2], pa.int64()), "First Name": ["Ann", "Bob"], 'last"name': ["x", None]}
    )
    order = info_for(data, "Sales Dept", "Order", primary_key=("select",), unique=(("First Name",),))
    line_data = pa.table({"from": pa.array([1], pa.int64()), "order": pa.array([2], pa.int64())})
    line = info_for(
        line_data, "Sales Dept", "Line Item", foreign_keys=(_fk(("order",), "Sales Dept.Order", ("select",)),)
    )
    sink = write_db(tmp_path / "copy.duckdb", [(line, line_data), (order, data)])
    assert sink.warnings == []
    got = _read_all(tmp_path / "copy.duckdb")
    assert set(got) == {"Sales Dept.Order", "Sales Dept.Line Item"}
    assert got["Sales Dept.Order"].sort_by("select").to_pylist() == data.to_pylist()
    assert ("Line Item", "FOREIGN KEY", "order") in _constraints(tmp_path / "copy.duckdb")


def test_duckdb_sink_names_differing_only_in_case_are_refused_before_writing(tmp_path):
    upper = info_for(PARENT_DATA, "main", "Users")
    lower = info_for(PARENT_DATA, "main", "users")
    with pytest.raises(MaskpipeError, match="ignore case"):
        DuckDBSink(tmp_path / "copy.duckdb").begin([upper, lower])
    assert _files(tmp_path) == []


# -- atomic replace and recovery --------------------------------------------------------------------------
KILLED_RUN = """
import os, signal, sys
import pyarrow as pa
from maskpipe.load.duckdb import DuckDBSink
from maskpipe.model import ColumnInfo, TableInfo
info = TableInfo("main", "parent", (ColumnInfo("id", pa.int64(), nullable=False),), primary_key=("id",))
sink = DuckDBSink(sys.argv[1])
sink.begin([info])
data = pa.table({"id": pa.array(range(50_000), pa.int64())})
sink.write_table(info, data.schema, data.to_batches(max_chunksize=1_000))
os.kill(os.getpid(), signal.SIGKILL)  # kill -9 before commit
"""


def test_duckdb_sink_killed_run_leaves_previous_database_and_next_begin_cleans_staging(tmp_path):
    dest = tmp_path / "copy.duckdb"
    write_db(dest, [(PARENT, PARENT_DATA)])
    before = dest.read_bytes()

    done = subprocess.run([sys.executable, "-c", KILLED_RUN, str(dest)], check=False)
    assert done.returncode == -signal.SIGKILL
    assert (tmp_path / ("copy.duckdb" + STAGING_SUFFIX)).exists()
    assert dest.read_bytes() == before

    nxt = DuckDBSink(dest)
    nxt.begin([PARENT])
    nxt.abort()
    assert _files(tmp_path) == ["copy.duckdb"]
    assert dest.read_bytes() == before
    assert _read_all(dest)["main.parent"].num_rows == 3


def test_duckdb_sink_next_run_after_a_killed_one_commits(tmp_path):
    dest = tmp_path / "copy.duckdb"
    subprocess.run([sys.executable, "-c", KILLED_RUN, str(dest)], check=False)
    assert not dest.exists()
    write_db(dest, [(PARENT, PARENT_DATA)])
    assert _files(tmp_path) == ["copy.duckdb"]
    assert _read_all(dest)["main.parent"].num_rows == 3


def test_duckdb_sink_commit_replaces_previous_database(tmp_path):
    dest = tmp_path / "copy.duckdb"
    write_db(dest, [(PARENT, PARENT_DATA), (CHILD, CHILD_DATA)])
    write_db(dest, [(PARENT, PARENT_DATA.slice(0, 1))])
    assert set(_read_all(dest)) == {"main.parent"}
    assert _files(tmp_path) == ["copy.duckdb"]


def test_duckdb_sink_folds_a_leftover_wal_of_the_previous_database(tmp_path):
    dest = tmp_path / "copy.duckdb"
    conn = duckdb.connect(str(dest))
    conn.execute("PRAGMA disable_checkpoint_on_shutdown")
    conn.execute("CREATE TABLE stale (a INTEGER)")
    conn.execute("INSERT INTO stale VALUES (1)")
    conn.close()
    wal = tmp_path / "copy.duckdb.wal"
    assert wal.exists()
    write_db(dest, [(PARENT, PARENT_DATA)])
    assert not wal.exists()
    assert set(_read_all(dest)) == {"main.parent"}


def test_duckdb_sink_abort_removes_staging_and_keeps_previous(tmp_path):
    dest = tmp_path / "copy.duckdb"
    write_db(dest, [(PARENT, PARENT_DATA)])
    sink = DuckDBSink(dest)
    sink.begin([CHILD])
    sink.write_table(CHILD, CHILD_DATA.schema, _batches(CHILD_DATA))
    sink.abort()
    assert _files(tmp_path) == ["copy.duckdb"]
    assert set(_read_all(dest)) == {"main.parent"}


def test_duckdb_sink_refuses_a_file_that_is_not_duckdb(tmp_path):
    dest = tmp_path / "app.db"
    dest.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    with pytest.raises(MaskpipeError) as err:
        DuckDBSink(dest).begin([PARENT])
    assert err.value.problems[0].where == "--dest"
    assert dest.read_bytes().startswith(b"SQLite format 3")
    assert _files(tmp_path) == ["app.db"]


def test_duckdb_sink_identity_is_file_and_realpath(tmp_path):
    assert DuckDBSink(tmp_path / "copy.duckdb").identity() == f"file:{tmp_path.resolve()}/copy.duckdb"
    assert (
        DuckDBSink(f"duckdb://{tmp_path}/copy.duckdb").identity()
        == DuckDBSink(tmp_path / "copy.duckdb").identity()
    )
