"""PostgresSource against a real throwaway cluster holding TRAP_SCHEMA."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pytest

from maskpipe.extract.postgres import (
    DATE_NEG_INF,
    DATE_POS_INF,
    TIMESTAMP_NEG_INF,
    TIMESTAMP_POS_INF,
    PostgresSource,
    mask_uri,
)
from maskpipe.model import ForeignKey, MaskpipeError, RunFailed, TableInfo

pytestmark = pytest.mark.postgres


@pytest.fixture
def source(pg_trap_dbs) -> Iterator[PostgresSource]:
    src = PostgresSource(pg_trap_dbs.source_uri)
    yield src
    src.close()


def _tables(src: PostgresSource) -> dict[str, TableInfo]:
    return {t.qualified: t for t in src.describe()}


def _read(src: PostgresSource, table: TableInfo, batch_rows: int = 100_000) -> pa.Table:
    batches = list(src.read_batches(table, batch_rows))
    schema = batches[0].schema if batches else None
    return pa.Table.from_batches(batches, schema=schema)


# -- describe ---------------------------------------------------------------------------------------------
def test_describe_lists_user_tables_and_partitioned_parents_not_partitions(source):
    assert set(_tables(source)) == {
        "Sales Dept.Order",
        "public.types",
        "public.events",
        "public.event_ref",
        "public.person",
        "public.team",
        "public.line",
        "public.line_note",
        "public.animal",
        "public.dog",
        "public.ticket",
        "public.bulk",
        "public.amounts",
    }


def test_describe_columns_keep_names_types_and_flags(source):
    order = _tables(source)["Sales Dept.Order"]
    assert order.column_names == (
        "select",
        "First Name",
        'last"name',
        "full_name",
        "order",
        "contact",
        "total",
    )
    full_name = order.column("full_name")
    assert full_name is not None and full_name.generated
    ident = order.column("select")
    assert ident is not None and ident.arrow_type == pa.int32() and not ident.nullable
    contact = order.column("contact")
    assert contact is not None and contact.sql_type == "email" and contact.arrow_type == pa.string()
    total = order.column("total")  # domain over numeric(12,2)
    assert total is not None and total.sql_type == "price" and total.arrow_type == pa.decimal128(12, 2)

    types = _tables(source)["public.types"]
    expected = {
        "id": pa.int64(),
        "n": pa.string(),
        "n2": pa.decimal128(12, 2),
        "u": pa.uuid(),
        "ip": pa.string(),
        "j": pa.string(),
        "b": pa.binary(),
        "ai": pa.string(),
        "a2": pa.string(),
        "e": pa.string(),
        "ae": pa.string(),
        "d": pa.int32(),
        "tz": pa.timestamp("us", tz="UTC"),
        "ts": pa.timestamp("us"),
        "dt": pa.date32(),
        "iv": pa.string(),
        "tm": pa.string(),
        "m": pa.int64(),
        "bo": pa.bool_(),
        "f4": pa.float32(),
        "f8": pa.float64(),
        "ch": pa.string(),
        "sm": pa.int16(),
        "r": pa.string(),
    }
    got = {c.name: c.arrow_type for c in types.columns if c.name in expected}
    assert got == expected
    sql = {c.name: c.sql_type for c in types.columns}
    assert (
        sql["n2"] == "numeric(12,2)" and sql["ai"] == "integer[]" and sql["tz"] == "timestamp with time zone"
    )


def test_describe_keys_include_composite_and_cyclic_foreign_keys(source):
    t = _tables(source)
    assert t["Sales Dept.Order"].primary_key == ("select",)
    assert t["Sales Dept.Order"].unique == (("contact",),)
    note = t["public.line_note"]
    assert note.primary_key == ("id",)
    # The unique index without a constraint counts; the expression index does not.
    assert note.unique == (("order_id", "line_no"),)
    assert note.foreign_keys == (
        ForeignKey(
            ("order_id", "line_no"),
            "public.line",
            ("order_id", "line_no"),
            name="line_note_order_id_line_no_fkey",
        ),
    )
    assert t["public.person"].foreign_keys == (
        ForeignKey(("team_id",), "public.team", ("id",), name="person_team_fk"),
    )
    assert [fk.ref_table for fk in t["public.team"].foreign_keys] == ["public.person"]
    # An FK to a partitioned table is listed once, not once per partition.
    assert [fk.ref_table for fk in t["public.event_ref"].foreign_keys] == ["public.events"]
    assert t["public.events"].primary_key == ("id", "at")


def test_describe_row_estimates_come_from_statistics(source):
    t = _tables(source)
    assert t["public.bulk"].row_estimate == 20_000
    assert t["public.events"].row_estimate == 3_000  # summed over partitions


# -- read_batches -----------------------------------------------------------------------------------------
def test_read_batches_text_columns_equal_postgres_text_output(source, pg_trap_dbs):
    types = _tables(source)["public.types"]
    data = _read(source, types)
    # The columns read as `col::text` (native strings such as char(3) keep their padding instead).
    text_cols = [
        "n",
        "ip",
        "net",
        "mac",
        "j",
        "js",
        "ai",
        "at",
        "a2",
        "an",
        "ae",
        "iv",
        "tm",
        "ttz",
        "x",
        "r",
        "bits",
    ]
    select = ", ".join(f'"{c}"::text' for c in text_cols)
    rows = pg_trap_dbs.cluster.query(pg_trap_dbs.source, f"SELECT {select} FROM public.types ORDER BY id")
    order = data.column("id").to_pylist()
    assert order == [1, 2, 3, 4]
    for i, name in enumerate(text_cols):
        assert data.column(name).to_pylist() == [r[i] for r in rows], name


def test_read_batches_native_values_round_trip_exactly(source, pg_trap_dbs):
    data = _read(source, _tables(source)["public.types"])
    assert data.column("tz").cast(pa.int64()).to_pylist() == [
        TIMESTAMP_POS_INF,
        TIMESTAMP_NEG_INF,
        1_709_210_096_123_456,
        0,
    ]
    assert data.column("ts").cast(pa.int64()).to_pylist()[:2] == [TIMESTAMP_NEG_INF, TIMESTAMP_POS_INF]
    dt = data.column("dt").combine_chunks().view(pa.int32()).to_pylist()
    assert dt[:2] == [DATE_POS_INF, DATE_NEG_INF]
    bc = pg_trap_dbs.cluster.scalar("postgres", "SELECT DATE '0044-03-15 BC' - DATE '1970-01-01'")
    assert bc is not None and dt[2] == int(bc)
    assert data.column("b").to_pylist() == [b"\x00\xff\x10", b"", None, None]
    assert data.column("m").to_pylist() == [1250, -100, None, None]
    assert data.column("sm").to_pylist() == [-32768, 32767, None, 0]
    f4 = data.column("f4").to_pylist()
    assert f4[0] != f4[0] and f4[1] == float("inf")  # NaN, Infinity
    assert data.column("n").to_pylist()[:2] == ["NaN", "123456789012345678901234567890.123456789012345678901"]
    assert data.column("a2").to_pylist()[:2] == ["{{1,2},{3,4}}", "[0:1]={7,8}"]
    assert data.column("at").to_pylist()[0] == '{a,NULL,"c d","e\\"f",""}'


def test_read_batches_schema_matches_describe_without_generated_columns(source):
    order = _tables(source)["Sales Dept.Order"]
    batch = next(iter(source.read_batches(order)))
    assert batch.schema.names == ["select", "First Name", 'last"name', "order", "contact", "total"]
    for f in batch.schema:
        col = order.column(f.name)
        assert col is not None and f.type == col.arrow_type
    assert batch.column("First Name").to_pylist() == ["Ada", "Zoë", "李"]


def test_read_batches_partitioned_parent_reads_all_partitions(source):
    assert _read(source, _tables(source)["public.events"]).num_rows == 3000


def test_read_batches_inheritance_parent_reads_only_its_own_rows(source):
    t = _tables(source)
    assert _read(source, t["public.animal"]).column("name").to_pylist() == ["generic"]
    assert sorted(_read(source, t["public.dog"]).column("name").to_pylist()) == ["fido", "rex"]


def test_read_batches_respects_batch_rows(source):
    batches = list(source.read_batches(_tables(source)["public.bulk"], batch_rows=3000))
    assert max(b.num_rows for b in batches) <= 3000
    assert sum(b.num_rows for b in batches) == 20_000


def test_read_batches_sees_one_snapshot_for_all_tables(source, pg_trap_dbs):
    tables = _tables(source)
    assert _read(source, tables["public.ticket"]).num_rows == 20
    pg_trap_dbs.cluster.execute(
        pg_trap_dbs.source,
        "INSERT INTO public.bulk VALUES (20001, 'late', now());"
        "INSERT INTO public.ticket (title) VALUES ('x');",
    )
    assert _read(source, tables["public.bulk"]).num_rows == 20_000
    assert _read(source, tables["public.ticket"]).num_rows == 20


def test_source_session_refuses_writes(source, pg_trap_dbs):
    source.describe()
    cur = source._connection().cursor()
    try:
        with pytest.raises(Exception, match="read-only"):
            cur.execute("INSERT INTO public.ticket (title) VALUES ('nope')")
    finally:
        cur.close()
    source.close()
    assert pg_trap_dbs.cluster.scalar(pg_trap_dbs.source, "SELECT count(*) FROM public.ticket") == "20"


def test_worker_reads_the_parents_snapshot_on_its_own_read_only_connection(source, pg_trap_dbs):
    tables = _tables(source)
    before = _read(source, tables["public.bulk"])
    pg_trap_dbs.cluster.execute(
        pg_trap_dbs.source,
        "INSERT INTO public.bulk VALUES (20001, 'late', now()); UPDATE public.bulk SET v = 'changed';",
    )
    workers = [source.worker(), source.worker()]  # made after the change: still the parent's snapshot
    try:
        for w in workers:
            assert w._connection() is not source._connection()
            assert w.export_snapshot() == source.export_snapshot()
            assert _read(w, tables["public.bulk"]).equals(before)
            assert _read(w, tables["public.ticket"]).num_rows == 20
            cur = w._connection().cursor()
            try:
                with pytest.raises(Exception, match="read-only"):
                    cur.execute("INSERT INTO public.ticket (title) VALUES ('nope')")
            finally:
                cur.close()
    finally:
        for w in workers:
            w.close()
    assert _read(source, tables["public.bulk"]).equals(before)  # the parent is unaffected by its workers


def test_worker_of_a_closed_source_fails_clearly(pg_trap_dbs):
    parent = PostgresSource(pg_trap_dbs.source_uri)
    parent.describe()
    parent.export_snapshot()
    orphan = PostgresSource(pg_trap_dbs.source_uri)
    orphan._imported = parent.export_snapshot()
    parent.close()  # the exporting transaction ends: its snapshot can no longer be adopted
    with pytest.raises(MaskpipeError, match="read-only snapshot"):
        orphan._connection()


def test_abandoned_generator_leaves_the_source_usable(source):
    t = _tables(source)
    gen = source.read_batches(t["public.bulk"], batch_rows=1000)
    next(gen)
    gen.close()
    assert _read(source, t["public.line"]).num_rows == 30


def test_identity_equal_for_same_database_and_different_otherwise(pg_trap_dbs):
    uri = pg_trap_dbs.source_uri
    with PostgresSource(uri) as a, PostgresSource(uri + "?application_name=other") as b:
        assert a.identity() == b.identity()
    with PostgresSource(uri) as a, PostgresSource(pg_trap_dbs.dest_uri) as c:
        assert a.identity() != c.identity()


# -- errors -----------------------------------------------------------------------------------------------
def _one_line_problem(exc: MaskpipeError, where: str) -> str:
    assert [p.where for p in exc.problems] == [where]
    text = str(exc)
    assert "\n" not in text
    return text


def test_unreachable_server_is_one_clear_line(pg_cluster):
    with pytest.raises(MaskpipeError) as err:
        PostgresSource("postgresql://someone:hunter2@127.0.0.1:1/app").describe()
    text = _one_line_problem(err.value, "--source")
    assert "cannot reach" in text and "hunter2" not in text and "someone:***@" in text


def test_missing_database_is_one_clear_line(pg_cluster):
    with pytest.raises(MaskpipeError) as err:
        PostgresSource(pg_cluster.uri("no_such_db_here")).describe()
    text = _one_line_problem(err.value, "--source")
    assert "database does not exist" in text and "no_such_db_here" in text


def test_bad_password_is_one_clear_line_without_the_password(pg_dbs):
    role = f"pw_{pg_dbs.source}"
    pg_dbs.cluster.execute(
        "postgres", f"CREATE ROLE {role} LOGIN PASSWORD 'right-pass' IN ROLE {pg_dbs.cluster.password_role};"
    )
    try:
        with pytest.raises(MaskpipeError) as err:
            PostgresSource(pg_dbs.cluster.uri(pg_dbs.source, user=role, password="wrong-pass")).describe()
        text = _one_line_problem(err.value, "--source")
        assert "authentication failed" in text and "wrong-pass" not in text and "right-pass" not in text
    finally:
        pg_dbs.cluster.execute("postgres", f"DROP ROLE {role};")


def test_missing_select_privilege_names_every_table(pg_trap_dbs):
    role = f"ro_{pg_trap_dbs.source}"
    cluster = pg_trap_dbs.cluster
    cluster.execute("postgres", f"CREATE ROLE {role} LOGIN;")
    try:
        cluster.execute(
            pg_trap_dbs.source,
            f'GRANT SELECT ON public.ticket, "Sales Dept"."Order" TO {role};',
        )
        with (
            pytest.raises(MaskpipeError) as err,
            PostgresSource(cluster.uri(pg_trap_dbs.source, user=role)) as s,
        ):
            s.describe()
        assert all(p.where == "--source" for p in err.value.problems)
        messages = [p.message for p in err.value.problems]
        assert "no SELECT privilege on table public.bulk" in messages
        assert "no USAGE privilege on schema Sales Dept (table Sales Dept.Order)" in messages
        assert not any("public.ticket" in m for m in messages)
    finally:
        cluster.execute(pg_trap_dbs.source, f"DROP OWNED BY {role};")
        cluster.execute("postgres", f"DROP ROLE {role};")


def test_mask_uri_hides_passwords_in_every_spelling():
    assert (
        mask_uri("postgresql://u:p%40ss@h:5/db?sslmode=require")
        == "postgresql://u:***@h:5/db?sslmode=require"
    )
    assert "s3cret" not in mask_uri("postgresql://u@h/db?password=s3cret")
    assert mask_uri("host=h user=u password='a b' dbname=x") == "host=h user=u password=*** dbname=x"


def test_numeric_with_precision_reads_as_decimal_and_nan_fails_clearly(pg_trap_dbs):
    cluster = pg_trap_dbs.cluster
    with PostgresSource(pg_trap_dbs.source_uri) as src:
        amounts = _tables(src)["public.amounts"]
        assert [c.arrow_type for c in amounts.columns] == [
            pa.int32(),
            pa.decimal128(12, 2),
            pa.decimal128(38, 10),
            pa.decimal128(5, 0),
            pa.decimal128(3, 3),
        ]
        data = _read(src, amounts)
        expected = cluster.query(pg_trap_dbs.source, "SELECT a, b, c, d FROM public.amounts ORDER BY id")
        got = (
            data.sort_by("id")
            .select(["a", "b", "c", "d"])
            .cast(pa.schema([(n, pa.string()) for n in "abcd"]))
        )
        assert [tuple(r.values()) for r in got.to_pylist()] == expected
    cluster.execute(pg_trap_dbs.source, "UPDATE public.amounts SET a = 'NaN' WHERE id = 7;")
    with PostgresSource(pg_trap_dbs.source_uri) as src, pytest.raises(RunFailed) as err:
        _read(src, _tables(src)["public.amounts"])
    assert "public.amounts.a" in str(err.value) and "NaN" in str(err.value)
    assert "numeric_as_text=True" in str(err.value)
    with PostgresSource(pg_trap_dbs.source_uri, numeric_as_text=True) as src:
        amounts = _tables(src)["public.amounts"]
        assert amounts.column("a").arrow_type == pa.string()  # type: ignore[union-attr]
        assert "NaN" in _read(src, amounts).column("a").to_pylist()
