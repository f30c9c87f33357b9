"""ParquetSink (the golden image) writing real folders in tmp_path, read back with ParquetSource."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xxhash

from maskpipe.extract.parquet import METADATA_KEY, ParquetSource
from maskpipe.load.parquet import MANIFEST, OLD_SUFFIX, STAGING_SUFFIX, ParquetSink
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
        }
    )  # fmt: skip


def info_for(table: pa.Table, schema: str = "public", name: str = "people", **keys: object) -> TableInfo:
    cols = tuple(ColumnInfo(f.name, f.type, nullable=f.nullable) for f in table.schema)
    return TableInfo(schema, name, cols, **keys)  # type: ignore[arg-type]


PEOPLE = info_for(trap_table(), primary_key=("id",), unique=(("name",),))
ORDERS = info_for(
    trap_table(), "sales", "Order Lines", primary_key=("id",),
    foreign_keys=(ForeignKey(("id",), "public.people", ("id",), name="fk_people"),),
)  # fmt: skip


def _batches(table: pa.Table, rows: int = 2) -> Iterator[pa.RecordBatch]:
    yield from table.to_batches(max_chunksize=rows)


def write_image(
    dest: Path, tables: list[tuple[TableInfo, pa.Table]], extra: dict[str, object] | None = None
) -> None:
    sink = ParquetSink(dest)
    sink.begin([t for t, _ in tables])
    if extra is not None:
        sink.manifest_extra = extra
    for info, data in tables:
        sink.write_table(info, data.schema, _batches(data))
    sink.commit()


def _manifest(dest: Path) -> dict[str, object]:
    return json.loads((dest / MANIFEST).read_text())  # type: ignore[no-any-return]


# -- round trip -------------------------------------------------------------------------------------------
def test_parquet_sink_round_trip_keeps_types_values_and_keys(tmp_path):
    dest = tmp_path / "image"
    write_image(dest, [(PEOPLE, trap_table()), (ORDERS, trap_table())])
    src = ParquetSource(dest)
    tables = {t.qualified: t for t in src.describe()}
    assert set(tables) == {"public.people", "sales.Order Lines"}
    people, orders = tables["public.people"], tables["sales.Order Lines"]
    assert people.primary_key == ("id",) and people.unique == (("name",),)
    assert orders.foreign_keys == (ForeignKey(("id",), "public.people", ("id",), name="fk_people"),)
    got = pa.Table.from_batches(list(src.read_batches(people)))
    assert got.schema.remove_metadata() == trap_table().schema
    assert got.to_pylist() == trap_table().to_pylist()


def test_parquet_sink_file_names_public_plain_other_schemas_qualified_zstd(tmp_path):
    dest = tmp_path / "image"
    write_image(dest, [(PEOPLE, trap_table()), (ORDERS, trap_table())])
    assert sorted(p.name for p in dest.iterdir()) == sorted(
        [MANIFEST, "people.parquet", "sales.Order Lines.parquet"]
    )
    meta = pq.ParquetFile(dest / "people.parquet").metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"


def test_parquet_sink_metadata_comes_from_table_info_in_demo_shape(tmp_path):
    dest = tmp_path / "image"
    stale = trap_table().replace_schema_metadata(
        {METADATA_KEY: b'{"primary_key": ["stale"]}', b"other": b"kept"}
    )
    write_image(dest, [(ORDERS, stale)])
    metadata = pq.read_schema(dest / "sales.Order Lines.parquet").metadata
    assert metadata[b"other"] == b"kept"
    assert json.loads(metadata[METADATA_KEY]) == {
        "schema": "sales", "name": "Order Lines", "primary_key": ["id"], "unique": [],
        "foreign_keys": [
            {"columns": ["id"], "ref_table": "public.people", "ref_columns": ["id"], "name": "fk_people"}
        ],
    }  # fmt: skip


def test_parquet_sink_dotted_and_slashed_names_stay_inside_dest_and_read_back(tmp_path):
    dest = tmp_path / "image"
    odd = info_for(trap_table(), "my.schema", "../a/b.c")
    write_image(dest, [(odd, trap_table())])
    assert all(p.parent == dest for p in dest.rglob("*"))
    assert {t.qualified for t in ParquetSource(dest).describe()} == {"my.schema.../a/b.c"}


def test_parquet_sink_streams_many_batches_and_returns_rows(tmp_path):
    big = pa.table({"id": pa.array(range(10_000), pa.int64())})
    sink = ParquetSink(tmp_path / "image")
    info = info_for(big, name="big")
    sink.begin([info])
    consumed = []

    def gen() -> Iterator[pa.RecordBatch]:
        for b in big.to_batches(max_chunksize=1_000):
            consumed.append(b.num_rows)
            yield b

    assert sink.write_table(info, big.schema, gen()) == 10_000
    sink.commit()
    assert len(consumed) == 10
    assert pq.read_table(tmp_path / "image" / "big.parquet").column("id").to_pylist() == list(range(10_000))


def test_parquet_sink_empty_table_writes_a_readable_file(tmp_path):
    dest = tmp_path / "image"
    sink = ParquetSink(dest)
    sink.begin([PEOPLE])
    assert sink.write_table(PEOPLE, trap_table().schema, iter([])) == 0
    sink.commit()
    got = pq.read_table(dest / "people.parquet")
    assert got.num_rows == 0 and got.schema.remove_metadata() == trap_table().schema


def test_parquet_sink_casts_batches_whose_string_type_drifted(tmp_path):
    dest = tmp_path / "image"
    drifted = trap_table().cast(trap_table().schema.set(4, pa.field("name", pa.large_string())))
    sink = ParquetSink(dest)
    sink.begin([PEOPLE])
    sink.write_table(PEOPLE, trap_table().schema, _batches(drifted))
    sink.commit()
    assert pq.read_table(dest / "people.parquet").schema.field("name").type == pa.string()


def test_parquet_sink_nulls_in_non_nullable_column_fail_without_showing_values(tmp_path):
    schema = pa.schema([pa.field("secret", pa.string(), nullable=False)])
    batch = pa.record_batch({"secret": pa.array(["hunter2", None])})
    info = TableInfo("public", "t", (ColumnInfo("secret", pa.string(), nullable=False),))
    sink = ParquetSink(tmp_path / "image")
    sink.begin([info])
    with pytest.raises(RunFailed) as err:
        sink.write_table(info, schema, [batch])
    assert "secret" in str(err.value) and "hunter2" not in str(err.value)
    sink.abort()


# -- manifest ---------------------------------------------------------------------------------------------
def test_parquet_sink_manifest_lists_tables_rows_columns_hashes_and_extra(tmp_path):
    dest = tmp_path / "image"
    extra = {"key_fingerprint": "abc123", "rules_fingerprint": "r1", "maskpipe_version": "0.1.0"}
    write_image(dest, [(PEOPLE, trap_table()), (ORDERS, trap_table())], extra)
    manifest = _manifest(dest)
    assert manifest["key_fingerprint"] == "abc123" and manifest["maskpipe_version"] == "0.1.0"
    tables = manifest["tables"]
    assert isinstance(tables, dict) and set(tables) == {"public.people", "sales.Order Lines"}
    people = tables["public.people"]
    assert people["rows"] == 4 and people["file"] == "people.parquet"
    assert [c["name"] for c in people["columns"]] == trap_table().column_names
    assert people["xxh3_64"] == xxhash.xxh3_64((dest / "people.parquet").read_bytes()).hexdigest()


def test_parquet_sink_manifest_extra_cannot_override_tables(tmp_path):
    sink = ParquetSink(tmp_path / "image")
    sink.begin([])
    sink.manifest_extra = {"tables": {}}
    with pytest.raises(RunFailed, match="tables"):
        sink.commit()
    sink.abort()


# -- atomic swap and recovery -----------------------------------------------------------------------------
def test_parquet_sink_killed_run_leaves_previous_image_and_next_begin_cleans_staging(tmp_path):
    dest = tmp_path / "image"
    write_image(dest, [(PEOPLE, trap_table())])
    before = {p.name: p.read_bytes() for p in dest.iterdir()}

    killed = ParquetSink(dest)
    killed.begin([PEOPLE, ORDERS])
    killed.write_table(PEOPLE, trap_table().schema, _batches(trap_table().slice(0, 1)))
    # no commit, no abort: the process died here
    staging = tmp_path / ("image" + STAGING_SUFFIX)
    assert staging.is_dir()
    assert {p.name: p.read_bytes() for p in dest.iterdir()} == before

    nxt = ParquetSink(dest)
    nxt.begin([PEOPLE])
    assert not any(staging.iterdir())  # the leftover is gone, a fresh staging folder is ready
    nxt.abort()
    assert not staging.exists()
    assert {p.name: p.read_bytes() for p in dest.iterdir()} == before


def test_parquet_sink_interrupted_swap_is_rolled_back_by_begin(tmp_path):
    dest = tmp_path / "image"
    write_image(dest, [(PEOPLE, trap_table())])
    before = {p.name: p.read_bytes() for p in dest.iterdir()}
    # Killed between the two renames: dest moved aside, staging (complete or not) still there.
    old = tmp_path / ("image" + OLD_SUFFIX)
    dest.rename(old)
    staging = tmp_path / ("image" + STAGING_SUFFIX)
    staging.mkdir()
    (staging / "half.parquet").write_bytes(b"partial")

    sink = ParquetSink(dest)
    sink.begin([PEOPLE])
    assert {p.name: p.read_bytes() for p in dest.iterdir()} == before
    assert not old.exists()
    sink.write_table(PEOPLE, trap_table().schema, _batches(trap_table()))
    sink.commit()
    assert not staging.exists() and not old.exists()
    assert _manifest(dest)["tables"]["public.people"]["rows"] == 4  # type: ignore[index]


def test_parquet_sink_leftover_old_after_completed_swap_is_removed(tmp_path):
    dest = tmp_path / "image"
    write_image(dest, [(PEOPLE, trap_table())])
    old = tmp_path / ("image" + OLD_SUFFIX)
    old.mkdir()
    (old / "people.parquet").write_bytes(b"half-deleted previous image")
    sink = ParquetSink(dest)
    sink.begin([PEOPLE])
    assert not old.exists() and (dest / MANIFEST).is_file()
    sink.abort()


def test_parquet_sink_commit_replaces_previous_image_entirely(tmp_path):
    dest = tmp_path / "image"
    write_image(dest, [(PEOPLE, trap_table()), (ORDERS, trap_table())])
    write_image(dest, [(PEOPLE, trap_table().slice(0, 1))])
    assert sorted(p.name for p in dest.iterdir()) == [MANIFEST, "people.parquet"]
    assert pq.read_table(dest / "people.parquet").num_rows == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["image"]


def test_parquet_sink_abort_keeps_previous_image_and_removes_staging(tmp_path):
    dest = tmp_path / "image"
    write_image(dest, [(PEOPLE, trap_table())])
    sink = ParquetSink(dest)
    sink.begin([PEOPLE])
    sink.write_table(PEOPLE, trap_table().schema, _batches(trap_table().slice(0, 1)))
    sink.abort()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["image"]
    assert pq.read_table(dest / "people.parquet").num_rows == 4


def test_parquet_sink_writes_tables_from_threads_and_abort_closes_open_writers(tmp_path):
    """worker() is the sink itself: tables written at the same time from two threads, interleaved batch by
    batch, each land whole in their own file; abort() closes a writer still open in another thread."""
    dest = tmp_path / "image"
    sink = ParquetSink(dest)
    sink.begin([PEOPLE, ORDERS])
    assert sink.worker() is sink
    gate = threading.Barrier(2)

    def interleaved(table: pa.Table) -> Iterator[pa.RecordBatch]:
        for batch in _batches(table, rows=1):
            gate.wait(timeout=10)  # both threads hold an open writer at this point
            yield batch

    threads = [
        threading.Thread(target=sink.write_table, args=(info, trap_table().schema, interleaved(trap_table())))
        for info in (PEOPLE, ORDERS)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    sink.commit()
    tables = {t.qualified: t for t in ParquetSource(dest).describe()}
    for name in ("public.people", "sales.Order Lines"):
        got = pa.Table.from_batches(list(ParquetSource(dest).read_batches(tables[name])))
        assert got.to_pylist() == trap_table().to_pylist()

    sink = ParquetSink(dest)
    sink.begin([PEOPLE])
    started, release = threading.Event(), threading.Event()

    def stalled() -> Iterator[pa.RecordBatch]:
        yield trap_table().to_batches()[0]
        started.set()
        release.wait(timeout=10)

    th = threading.Thread(target=sink.write_table, args=(PEOPLE, trap_table().schema, stalled()))
    th.start()
    assert started.wait(timeout=10)
    sink.abort()
    release.set()
    th.join()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["image"]
    assert pq.read_table(dest / "people.parquet").num_rows == 4


# -- refusing what is not ours ----------------------------------------------------------------------------
def test_parquet_sink_refuses_foreign_non_empty_folder(tmp_path):
    dest = tmp_path / "photos"
    dest.mkdir()
    (dest / "holiday.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(MaskpipeError) as err:
        ParquetSink(dest).begin([PEOPLE])
    assert err.value.problems[0].where == "--dest" and MANIFEST in err.value.problems[0].message
    assert (dest / "holiday.jpg").read_bytes() == b"\xff\xd8"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos"]


def test_parquet_sink_refuses_a_file_as_destination(tmp_path):
    dest = tmp_path / "notes.txt"
    dest.write_text("mine")
    with pytest.raises(MaskpipeError, match="not a folder"):
        ParquetSink(dest).begin([PEOPLE])
    assert dest.read_text() == "mine"


def test_parquet_sink_accepts_an_empty_existing_folder(tmp_path):
    dest = tmp_path / "image"
    dest.mkdir()
    write_image(dest, [(PEOPLE, trap_table())])
    assert (dest / MANIFEST).is_file()


def test_parquet_sink_creates_missing_parent_folders(tmp_path):
    dest = tmp_path / "a" / "b" / "image"
    write_image(dest, [(PEOPLE, trap_table())])
    assert (dest / "people.parquet").is_file()


def test_parquet_sink_identity_is_file_and_realpath_even_before_it_exists(tmp_path):
    assert ParquetSink(tmp_path / "image").identity() == f"file:{tmp_path.resolve()}/image"
    assert ParquetSink(f"parquet://{tmp_path}/image").identity() == ParquetSink(tmp_path / "image").identity()
