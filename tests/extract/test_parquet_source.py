"""ParquetSource against real folders of Parquet files written into tmp_path."""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from maskpipe.demo import DEMO_TABLES, SNAPSHOT_DIR
from maskpipe.extract.parquet import (
    METADATA_KEY,
    ParquetSource,
    parse_table_stem,
    table_file_stem,
    table_metadata,
)
from maskpipe.model import ColumnInfo, ForeignKey, MaskpipeError, TableInfo

UTC = dt.UTC


def trap_table() -> pa.Table:
    """Types and values that break naive copies: decimals, dates, instants, NULLs, '' and non-Latin text."""
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
            "blob": pa.array([b"\x00\xff", b"", None, b"x"], pa.binary()),
        }
    )  # fmt: skip


def _write(path: Path, table: pa.Table, meta: dict[str, object] | None = None) -> None:
    if meta is not None:
        table = table.replace_schema_metadata({METADATA_KEY: json.dumps(meta).encode()})
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def _tables(src: ParquetSource) -> dict[str, TableInfo]:
    return {t.qualified: t for t in src.describe()}


def _read(src: ParquetSource, table: TableInfo, batch_rows: int = 100_000) -> pa.Table:
    batches = list(src.read_batches(table, batch_rows))
    return pa.Table.from_batches(batches, schema=batches[0].schema if batches else None)


# -- describe ---------------------------------------------------------------------------------------------
def test_parquet_describe_demo_snapshot_reads_keys_and_row_counts():
    tables = _tables(ParquetSource(SNAPSHOT_DIR))
    assert set(tables) == {f"public.{t}" for t in DEMO_TABLES}
    people, payments = tables["public.people"], tables["public.payments"]
    assert people.primary_key == ("person_id",)
    assert people.unique == (("email",), ("customer_uuid",))
    assert payments.foreign_keys == (ForeignKey(("person_id",), "public.people", ("person_id",)),)
    assert people.row_estimate == 1_000 and payments.row_estimate == 3_000
    amount = payments.column("amount")
    assert amount is not None and amount.arrow_type == pa.decimal128(12, 2) and not amount.nullable
    assert amount.sql_type is None


def test_parquet_describe_schema_dot_table_names_a_schema_plain_name_is_public(tmp_path):
    _write(tmp_path / "users.parquet", trap_table())
    _write(tmp_path / "sales.Order Lines.parquet", trap_table())
    assert set(_tables(ParquetSource(tmp_path))) == {"public.users", "sales.Order Lines"}


def test_parquet_describe_ignores_hidden_underscore_and_other_files(tmp_path):
    _write(tmp_path / "users.parquet", trap_table())
    _write(tmp_path / ".hidden.parquet", trap_table())
    _write(tmp_path / "_tmp.parquet", trap_table())
    (tmp_path / "_maskpipe_manifest.json").write_text("{}")
    (tmp_path / "README.txt").write_text("not a table")
    (tmp_path / "empty_folder").mkdir()
    assert set(_tables(ParquetSource(tmp_path))) == {"public.users"}


def test_parquet_describe_folder_table_counts_rows_of_every_part(tmp_path):
    t = trap_table()
    _write(tmp_path / "events" / "part-0.parquet", t)
    _write(tmp_path / "events" / "part-1.parquet", t)
    (tmp_path / "events" / "_SUCCESS").write_text("")
    events = _tables(ParquetSource(tmp_path))["public.events"]
    assert events.row_estimate == 8
    assert events.column_names == tuple(t.column_names)


def test_parquet_describe_keys_from_metadata_with_unqualified_ref_table(tmp_path):
    meta = {"primary_key": ["id"], "unique": [["name"]],
            "foreign_keys": [{"columns": ["id"], "ref_table": "people", "ref_columns": ["person_id"],
                              "name": "fk_people"}]}  # fmt: skip
    _write(tmp_path / "crm.users.parquet", trap_table(), meta)
    users = _tables(ParquetSource(tmp_path))["crm.users"]
    assert users.primary_key == ("id",)
    assert users.unique == (("name",),)
    assert users.foreign_keys == (ForeignKey(("id",), "crm.people", ("person_id",), "fk_people"),)


def test_parquet_describe_without_metadata_has_no_keys(tmp_path):
    _write(tmp_path / "users.parquet", trap_table())
    users = _tables(ParquetSource(tmp_path))["public.users"]
    assert (users.primary_key, users.unique, users.foreign_keys) == ((), (), ())


def test_parquet_describe_malformed_metadata_names_the_file(tmp_path):
    path = tmp_path / "users.parquet"
    pq.write_table(trap_table().replace_schema_metadata({METADATA_KEY: b"{not json"}), path)
    with pytest.raises(MaskpipeError) as err:
        ParquetSource(tmp_path).describe()
    assert str(path) in str(err.value) and "maskpipe.table" in str(err.value)


def test_parquet_describe_metadata_naming_unknown_column_is_reported(tmp_path):
    _write(tmp_path / "users.parquet", trap_table(), {"primary_key": ["user_id"]})
    with pytest.raises(MaskpipeError, match="'user_id'"):
        ParquetSource(tmp_path).describe()


def test_parquet_describe_same_table_as_file_and_folder_is_refused(tmp_path):
    _write(tmp_path / "users.parquet", trap_table())
    _write(tmp_path / "users" / "part-0.parquet", trap_table())
    with pytest.raises(MaskpipeError, match=r"public\.users"):
        ParquetSource(tmp_path).describe()


def test_parquet_describe_missing_folder_raises_with_hint(tmp_path):
    with pytest.raises(MaskpipeError) as err:
        ParquetSource(tmp_path / "nope").describe()
    problem = err.value.problems[0]
    assert problem.where == "--source" and "does not exist" in problem.message and problem.hint


def test_parquet_describe_folder_without_parquet_raises(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(MaskpipeError, match="holds no Parquet tables"):
        ParquetSource(tmp_path).describe()


def test_parquet_describe_file_instead_of_folder_raises(tmp_path):
    _write(tmp_path / "users.parquet", trap_table())
    with pytest.raises(MaskpipeError, match="not a folder"):
        ParquetSource(tmp_path / "users.parquet").describe()


def test_parquet_describe_corrupt_file_is_reported(tmp_path):
    (tmp_path / "users.parquet").write_bytes(b"PAR1 but not really")
    with pytest.raises(MaskpipeError, match="not a readable Parquet table"):
        ParquetSource(tmp_path).describe()


# -- read -------------------------------------------------------------------------------------------------
def test_parquet_read_batches_keeps_types_and_values(tmp_path):
    _write(tmp_path / "trap.parquet", trap_table())
    src = ParquetSource(tmp_path)
    got = _read(src, _tables(src)["public.trap"])
    assert got.schema.remove_metadata() == trap_table().schema
    assert got.to_pylist() == trap_table().to_pylist()


def test_parquet_read_batches_projects_non_generated_columns_in_table_order(tmp_path):
    _write(tmp_path / "trap.parquet", trap_table())
    src = ParquetSource(tmp_path)
    info = _tables(src)["public.trap"]
    cols = tuple(
        ColumnInfo(c.name, c.arrow_type, generated=c.name == "amount") for c in reversed(info.columns)
    )
    got = _read(src, TableInfo("public", "trap", cols))
    assert got.column_names == ["blob", "name", "seen_at", "born", "id"]


@pytest.mark.parametrize("layout", ["file", "folder"])
def test_parquet_read_batches_10k_rows_in_at_least_10_bounded_batches(tmp_path, layout):
    table = pa.table(
        {"id": pa.array(range(10_000), pa.int64()), "s": pa.array([f"v{i}" for i in range(10_000)])}
    )
    if layout == "file":
        _write(tmp_path / "big.parquet", table)
    else:
        _write(tmp_path / "big" / "a.parquet", table.slice(0, 6_000))
        _write(tmp_path / "big" / "b.parquet", table.slice(6_000))
    src = ParquetSource(tmp_path)
    batches = list(src.read_batches(_tables(src)["public.big"], batch_rows=1_000))
    assert len(batches) >= 10
    assert max(b.num_rows for b in batches) <= 1_000
    assert pa.Table.from_batches(batches).column("id").to_pylist() == list(range(10_000))


def test_parquet_read_batches_unknown_table_raises(tmp_path):
    _write(tmp_path / "users.parquet", trap_table())
    src = ParquetSource(tmp_path)
    with pytest.raises(MaskpipeError, match="not found"):
        list(src.read_batches(TableInfo("public", "ghost", ())))


# -- naming, metadata, identity ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("schema", "name", "stem"),
    [("public", "users", "users"), ("sales", "users", "sales.users"),
     ("my.schema", "a/b%c.d", "my%2Eschema.a%2Fb%25c%2Ed"), ("public", "Order Lines", "Order Lines"),
     ("public", "山田", "山田")],
)  # fmt: skip
def test_parquet_table_file_stem_round_trips(schema, name, stem):
    assert table_file_stem(schema, name) == stem
    assert parse_table_stem(stem) == (schema, name)


def test_parquet_table_metadata_has_the_demo_shape():
    demo = pq.read_schema(SNAPSHOT_DIR / "payments.parquet").metadata[METADATA_KEY]
    info = ParquetSource(SNAPSHOT_DIR)
    payments = {t.name: t for t in info.describe()}["payments"]
    assert json.loads(table_metadata(payments)) == json.loads(demo)


def test_parquet_table_metadata_leaves_out_virtual_foreign_keys():
    t = TableInfo("public", "a", (), foreign_keys=(ForeignKey(("x",), "public.b", ("y",), virtual=True),))
    assert json.loads(table_metadata(t))["foreign_keys"] == []


def test_parquet_identity_is_file_and_realpath(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    assert ParquetSource(tmp_path / "link").identity() == "file:" + os.path.realpath(real)
    assert ParquetSource(f"parquet://{real}").identity() == ParquetSource(real).identity()
