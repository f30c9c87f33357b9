"""PostgresSink against a real throwaway cluster: full round trips of TRAP_SCHEMA, atomicity, refusals."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator

import polars as pl
import pyarrow as pa
import pytest

import maskpipe.load.postgres as pg_load
from maskpipe.extract.postgres import PostgresSource
from maskpipe.load.postgres import PostgresSink, aux_name
from maskpipe.model import MaskpipeError, RunFailed, TableInfo

pytestmark = pytest.mark.postgres

_USER_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'"


def _through_polars(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """What a masking transform does to types: large strings, uuid -> binary, time64[ns]."""
    for b in batches:
        yield from pl.from_arrow(b).to_arrow().to_batches()  # type: ignore[union-attr]


def copy_database(
    source_uri: str,
    dest_uri: str,
    *,
    polars: bool = False,
    batch_rows: int = 5000,
    numeric_as_text: bool = False,
    skip: tuple[str, ...] = (),
) -> PostgresSink:
    with PostgresSource(source_uri, numeric_as_text=numeric_as_text) as src:
        tables = src.describe()
        sink = PostgresSink(dest_uri, source_uri, source_snapshot=src.export_snapshot())
        sink.begin(tables)
        try:
            for t in tables:
                if t.qualified in skip:
                    continue
                batches = src.read_batches(t, batch_rows)
                schema = pa.schema([(c.name, c.arrow_type) for c in t.columns if not c.generated])
                sink.write_table(t, schema, _through_polars(batches) if polars else batches)
            sink.commit()
        except BaseException:
            sink.abort()
            raise
    return sink


def _fingerprint(cluster, db: str) -> dict[str, tuple[str | None, ...]]:
    """Per table: row count and md5 of the sorted text of every row (generated columns included)."""
    tables = cluster.query(
        db,
        f"""SELECT n.nspname, c.relname, c.relkind
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition AND {_USER_SCHEMAS} ORDER BY 1, 2""",
    )
    out = {}
    for schema, name, kind in tables:
        qualified = '"' + schema.replace('"', '""') + '"."' + name.replace('"', '""') + '"'
        only = "" if kind == "p" else "ONLY"
        row = cluster.query(
            db,
            f"SELECT count(*), md5(coalesce(string_agg(_mp_row_::text, E'\\n' ORDER BY _mp_row_::text), '')) "
            f"FROM {only} {qualified} AS _mp_row_",
        )[0]
        out[f"{schema}.{name}"] = row
    return out


def _catalog_counts(cluster, db: str) -> dict[str, list[tuple[str | None, ...]]]:
    return {
        "constraints": cluster.query(
            db,
            f"""SELECT c.contype, c.condeferrable::text, count(*) FROM pg_constraint c
                  JOIN pg_namespace n ON n.oid = c.connamespace WHERE {_USER_SCHEMAS}
                 GROUP BY 1, 2 ORDER BY 1, 2""",
        ),
        "indexes": cluster.query(
            db,
            f"SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_USER_SCHEMAS}",
        ),
        "triggers": cluster.query(db, "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1"),
        "sequences": cluster.query(
            db,
            "SELECT schemaname, sequencename, last_value FROM pg_sequences ORDER BY 1, 2",
        ),
    }


def _sequence_state(cluster, db: str) -> list[tuple[str | None, ...]]:
    seqs = cluster.query(
        db,
        f"""SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind = 'S' AND {_USER_SCHEMAS} ORDER BY 1, 2""",
    )
    return [(s, n, *cluster.query(db, f'SELECT last_value, is_called FROM "{s}"."{n}"')[0]) for s, n in seqs]


# -- round trip -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("polars", [False, True], ids=["arrow", "through_polars"])
def test_round_trip_keeps_rows_contents_constraints_and_sequences(pg_trap_dbs, polars):
    cluster = pg_trap_dbs.cluster
    sink = copy_database(pg_trap_dbs.source_uri, pg_trap_dbs.dest_uri, polars=polars)
    assert sink.warnings == []

    src_fp = _fingerprint(cluster, pg_trap_dbs.source)
    dst_fp = _fingerprint(cluster, pg_trap_dbs.dest)
    assert dst_fp == src_fp
    assert src_fp["public.types"][0] == "4" and src_fp["public.bulk"][0] == "20000"
    assert src_fp["public.ticket_count"] == dst_fp["public.ticket_count"]  # the matview was refreshed
    assert _catalog_counts(cluster, pg_trap_dbs.dest) == _catalog_counts(cluster, pg_trap_dbs.source)
    assert _sequence_state(cluster, pg_trap_dbs.dest) == _sequence_state(cluster, pg_trap_dbs.source)
    # Nothing left behind.
    assert not cluster.database_exists(aux_name(pg_trap_dbs.dest, "staging"))
    assert not cluster.database_exists(aux_name(pg_trap_dbs.dest, "old"))


@pytest.mark.parametrize("polars", [False, True], ids=["arrow", "through_polars"])
def test_round_trip_numerics_as_text_keep_nan(pg_trap_dbs, polars):
    """With numeric_as_text, numeric(p,s) batches without NaN still go in as decimal128; the one with NaN
    goes through the landing table."""
    cluster = pg_trap_dbs.cluster
    cluster.execute(
        pg_trap_dbs.source, "UPDATE public.amounts SET a = 'NaN' WHERE id > 11000 AND id % 7 = 0;"
    )
    copy_database(pg_trap_dbs.source_uri, pg_trap_dbs.dest_uri, polars=polars, numeric_as_text=True)
    assert _fingerprint(cluster, pg_trap_dbs.dest) == _fingerprint(cluster, pg_trap_dbs.source)
    nan = "SELECT count(*) FROM public.amounts WHERE a = 'NaN'"
    assert cluster.scalar(pg_trap_dbs.dest, nan) == cluster.scalar(pg_trap_dbs.source, nan) == "143"


def test_round_trip_destination_accepts_inserts_with_defaults(pg_trap_dbs):
    cluster = pg_trap_dbs.cluster
    copy_database(pg_trap_dbs.source_uri, pg_trap_dbs.dest_uri)
    rows = cluster.query(
        pg_trap_dbs.dest,
        """INSERT INTO "Sales Dept"."Order" ("First Name", "last""name") VALUES ('New', 'Person')
           RETURNING "select", full_name""",
    )
    assert rows == [("4", "New Person")]  # identity continues after the copied ids; generated recomputed
    assert cluster.query(
        pg_trap_dbs.dest, "INSERT INTO public.ticket (title) VALUES (NULL) RETURNING id, title"
    ) == [("1001", "untitled")]  # sequence ahead of max(id) kept; trigger recreated
    assert cluster.query(
        pg_trap_dbs.dest, "INSERT INTO public.events (at) VALUES ('2024-05-01') RETURNING id"
    ) == [("3001",)]
    with pytest.raises(RuntimeError, match="violates foreign key"):
        cluster.execute(pg_trap_dbs.dest, "INSERT INTO public.line_note (order_id, line_no) VALUES (99, 9);")


def test_warns_about_tables_left_empty_and_large_objects(pg_trap_dbs):
    pg_trap_dbs.cluster.execute(pg_trap_dbs.source, "SELECT lo_from_bytea(0, 'blob');")
    sink = copy_database(pg_trap_dbs.source_uri, pg_trap_dbs.dest_uri, skip=("public.dog", "public.bulk"))
    messages = [w.render() for w in sink.warnings]
    assert all(w.severity == "warning" for w in sink.warnings)
    assert any("large objects" in m for m in messages)
    assert any("2 table(s)" in m and "public.bulk, public.dog" in m for m in messages)
    assert pg_trap_dbs.cluster.scalar(pg_trap_dbs.dest, "SELECT count(*) FROM public.dog") == "0"


def test_first_run_creates_a_missing_destination(pg_trap_dbs):
    cluster = pg_trap_dbs.cluster
    cluster.drop_database(pg_trap_dbs.dest)
    sink = PostgresSink(pg_trap_dbs.dest_uri, pg_trap_dbs.source_uri)
    with PostgresSource(pg_trap_dbs.source_uri) as src:
        assert sink.identity() != src.identity()
        assert sink.identity().endswith(":" + pg_trap_dbs.dest)
    copy_database(pg_trap_dbs.source_uri, pg_trap_dbs.dest_uri)
    assert cluster.scalar(pg_trap_dbs.dest, "SELECT count(*) FROM public.bulk") == "20000"


def test_second_run_replaces_the_previous_copy(pg_trap_dbs):
    cluster = pg_trap_dbs.cluster
    copy_database(pg_trap_dbs.source_uri, pg_trap_dbs.dest_uri)
    cluster.execute(pg_trap_dbs.dest, "CREATE TABLE public.stray (x int);")
    cluster.execute(pg_trap_dbs.source, "DELETE FROM public.bulk WHERE id > 100;")
    copy_database(pg_trap_dbs.source_uri, pg_trap_dbs.dest_uri)
    assert cluster.scalar(pg_trap_dbs.dest, "SELECT count(*) FROM public.bulk") == "100"
    assert cluster.scalar(pg_trap_dbs.dest, "SELECT to_regclass('public.stray') IS NULL") == "t"


# -- atomicity --------------------------------------------------------------------------------------------
def _mark_destination(pg_dbs) -> None:
    pg_dbs.cluster.execute(pg_dbs.dest, "CREATE TABLE marker (v text); INSERT INTO marker VALUES ('before');")


def _marker(pg_dbs) -> str | None:
    return pg_dbs.cluster.scalar(pg_dbs.dest, "SELECT v FROM marker")


def test_begin_cleans_up_what_a_killed_run_left(pg_trap_dbs):
    cluster = pg_trap_dbs.cluster
    _mark_destination(pg_trap_dbs)
    staging = aux_name(pg_trap_dbs.dest, "staging")
    old = aux_name(pg_trap_dbs.dest, "old")
    for leftover in (staging, old):  # a run killed mid-load, and one killed before dropping the old copy
        cluster.create_database(leftover)
        cluster.execute(leftover, "CREATE TABLE leftover (x int);")
    with PostgresSource(pg_trap_dbs.source_uri) as src:
        tables = src.describe()
        sink = PostgresSink(pg_trap_dbs.dest_uri, pg_trap_dbs.source_uri)
        sink.begin(tables)
        try:
            assert not cluster.database_exists(old)
            assert cluster.scalar(staging, "SELECT to_regclass('public.leftover') IS NULL") == "t"
            assert cluster.scalar(staging, "SELECT to_regclass('public.types') IS NOT NULL") == "t"
        finally:
            sink.abort()
    assert not cluster.database_exists(staging)
    assert _marker(pg_trap_dbs) == "before"


def test_failure_while_writing_leaves_destination_unchanged(pg_trap_dbs):
    cluster = pg_trap_dbs.cluster
    _mark_destination(pg_trap_dbs)

    def dying(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        yield next(batches)
        raise KeyboardInterrupt  # as if the process were stopped mid-table

    with PostgresSource(pg_trap_dbs.source_uri) as src:
        tables = {t.qualified: t for t in src.describe()}
        sink = PostgresSink(pg_trap_dbs.dest_uri, pg_trap_dbs.source_uri)
        sink.begin(list(tables.values()))
        bulk = tables["public.bulk"]
        with pytest.raises(KeyboardInterrupt):
            sink.write_table(bulk, pa.schema([]), dying(src.read_batches(bulk, 1000)))
        # Killed here: nothing touched the destination, and the next begin() would clean staging up.
        assert _marker(pg_trap_dbs) == "before"
        assert cluster.scalar(pg_trap_dbs.dest, "SELECT to_regclass('public.bulk') IS NULL") == "t"
        sink.abort()
    assert not cluster.database_exists(aux_name(pg_trap_dbs.dest, "staging"))
    assert _marker(pg_trap_dbs) == "before"


def test_constraint_failure_at_commit_keeps_destination_and_hides_values(pg_trap_dbs):
    cluster = pg_trap_dbs.cluster
    _mark_destination(pg_trap_dbs)
    with PostgresSource(pg_trap_dbs.source_uri) as src:
        tables = src.describe()
        sink = PostgresSink(pg_trap_dbs.dest_uri, pg_trap_dbs.source_uri)
        sink.begin(tables)
        ticket = next(t for t in tables if t.qualified == "public.ticket")
        # A "masked" batch that breaks the primary key, with a value that must never be printed.
        dup = pa.record_batch({"id": pa.array([7, 7], pa.int64()), "title": ["secret-value-xyz"] * 2})
        assert sink.write_table(ticket, dup.schema, [dup]) == 2
        with pytest.raises(RunFailed) as err:
            sink.commit()
        sink.abort()
    text = str(err.value)
    assert "\n" not in text and "ticket_pkey" in text
    assert "secret-value-xyz" not in text and "=(7)" not in text
    assert _marker(pg_trap_dbs) == "before"
    assert not cluster.database_exists(aux_name(pg_trap_dbs.dest, "staging"))


@pytest.mark.parametrize("jobs", [1, 2])
def test_early_post_data_builds_each_tables_keys_once_loaded(pg_trap_dbs, monkeypatch, jobs):
    """Every table over the threshold (0 here: all) gets its keys and indexes from a background pg_restore
    as soon as it is loaded; commit() builds the rest (FKs, triggers, partition indexes). Same copy."""
    monkeypatch.setattr(pg_load, "EARLY_POST_DATA_ROWS", 0)
    cluster = pg_trap_dbs.cluster
    started: list[str] = []
    real_start = PostgresSink._start_restore

    def spy(self, entries):
        started.append(" | ".join(entries))
        return real_start(self, entries)

    monkeypatch.setattr(PostgresSink, "_start_restore", spy)
    if jobs == 1:
        sink = copy_database(pg_trap_dbs.source_uri, pg_trap_dbs.dest_uri)
    else:
        test_workers_load_tables_from_threads_in_any_order(pg_trap_dbs)
        sink = None
    assert sink is None or sink.warnings == []
    assert _fingerprint(cluster, pg_trap_dbs.dest) == _fingerprint(cluster, pg_trap_dbs.source)
    assert _catalog_counts(cluster, pg_trap_dbs.dest) == _catalog_counts(cluster, pg_trap_dbs.source)
    early, last = started[:-1], started[-1]
    assert any("bulk_pkey" in e for e in early) and not any("FK CONSTRAINT" in e for e in early)
    assert "FK CONSTRAINT" in last and "bulk_pkey" not in last


def test_early_post_data_failure_fails_the_run_without_values(pg_trap_dbs, monkeypatch):
    monkeypatch.setattr(pg_load, "EARLY_POST_DATA_ROWS", 2)
    _mark_destination(pg_trap_dbs)
    with PostgresSource(pg_trap_dbs.source_uri) as src:
        tables = {t.qualified: t for t in src.describe()}
        sink = PostgresSink(pg_trap_dbs.dest_uri, pg_trap_dbs.source_uri)
        sink.begin(list(tables.values()))
        dup = pa.record_batch({"id": pa.array([7, 7], pa.int64()), "title": ["secret-value-xyz"] * 2})
        sink.write_table(tables["public.ticket"], dup.schema, [dup])  # its primary key fails meanwhile
        with pytest.raises(RunFailed) as err:
            sink.commit()
        sink.abort()
    text = str(err.value)
    assert "\n" not in text and "ticket_pkey" in text and "of public.ticket" in text
    assert "secret-value-xyz" not in text and "=(7)" not in text
    assert _marker(pg_trap_dbs) == "before"
    assert not pg_trap_dbs.cluster.database_exists(aux_name(pg_trap_dbs.dest, "staging"))


def test_bad_value_for_typed_column_names_column_not_value(pg_trap_dbs):
    with PostgresSource(pg_trap_dbs.source_uri) as src:
        tables = src.describe()
        sink = PostgresSink(pg_trap_dbs.dest_uri, pg_trap_dbs.source_uri)
        sink.begin(tables)
        try:
            types = next(t for t in tables if t.qualified == "public.types")
            bad = pa.record_batch({"id": pa.array([1], pa.int64()), "n": ["not-a-number-secret"]})
            with pytest.raises(RunFailed) as err:
                sink.write_table(types, bad.schema, [bad])
            too_big = pa.record_batch({"id": pa.array([1], pa.int64()), "sm": pa.array([70000], pa.int64())})
            with pytest.raises(RunFailed) as err2:
                sink.write_table(types, too_big.schema, [too_big])
        finally:
            sink.abort()
    assert "not-a-number-secret" not in str(err.value)
    assert "public.types.n failed: invalid input syntax for type numeric" in str(err.value)
    assert "70000" not in str(err2.value) and "public.types.sm" in str(err2.value)


# -- refusals and errors ----------------------------------------------------------------------------------
def test_refuses_to_write_into_the_source(pg_trap_dbs):
    cluster = pg_trap_dbs.cluster
    uri = pg_trap_dbs.source_uri
    sink = PostgresSink(uri + "?application_name=same_db", uri)
    with PostgresSource(uri) as src:
        tables = src.describe()
        assert sink.identity() == src.identity()
        with pytest.raises(MaskpipeError) as err:
            sink.begin(tables)
    assert err.value.problems[0].where == "--dest"
    assert "is the source database" in str(err.value)
    assert not cluster.database_exists(aux_name(pg_trap_dbs.source, "staging"))
    assert cluster.scalar(pg_trap_dbs.source, "SELECT count(*) FROM public.bulk") == "20000"


def test_destination_errors_are_one_line_without_password(pg_dbs):
    sink = PostgresSink("postgresql://u:hunter2@127.0.0.1:1/copy", pg_dbs.source_uri)
    with pytest.raises(MaskpipeError) as err:
        sink.identity()
    assert [p.where for p in err.value.problems] == ["--dest"]
    assert "cannot reach" in str(err.value) and "hunter2" not in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(MaskpipeError, match="names no database"):
        PostgresSink("postgresql://u@127.0.0.1:1", pg_dbs.source_uri)


def test_destination_role_without_createdb_is_refused_up_front(pg_trap_dbs):
    cluster = pg_trap_dbs.cluster
    role = f"nocreate_{pg_trap_dbs.dest}"
    cluster.execute("postgres", f"CREATE ROLE {role} LOGIN;")
    try:
        sink = PostgresSink(cluster.uri(pg_trap_dbs.dest, user=role), pg_trap_dbs.source_uri)
        with pytest.raises(MaskpipeError, match="may not create databases") as err:
            sink.begin([])
        assert err.value.problems[0].where == "--dest"
    finally:
        cluster.execute("postgres", f"DROP ROLE {role};")


def test_aux_names_fit_postgres_identifier_limit():
    long = "x" * 60
    names = {aux_name(long, "staging"), aux_name(long, "old"), aux_name(long + "y", "staging")}
    assert len(names) == 3 and all(len(n.encode()) <= 63 for n in names)
    assert aux_name("app", "staging") == "app__maskpipe_staging"


def test_copy_in_streams_unmasked_tables_exactly_in_binary_or_text(pg_trap_dbs):
    """copy_in: psql COPY out of the source's snapshot piped into psql COPY in, no Arrow. Tables whose
    columns all have built-in types go binary; enums, domains, composites and arrays of those go as text."""
    cluster = pg_trap_dbs.cluster
    with PostgresSource(pg_trap_dbs.source_uri) as src:
        tables = src.describe()
        snapshot = src.export_snapshot()
        cluster.execute(pg_trap_dbs.source, "INSERT INTO public.bulk VALUES (20001, 'late', now())")
        sink = PostgresSink(pg_trap_dbs.dest_uri, pg_trap_dbs.source_uri, source_snapshot=snapshot)
        sink.begin(tables)
        outs = {t.qualified: src.copy_out(t) for t in tables}
        rows = {t.qualified: sink.copy_in(t, out) for t in tables if (out := outs[t.qualified]) is not None}
        sink.commit()
    assert outs["public.bulk"].builtin_types and not outs["public.types"].builtin_types
    assert rows["public.bulk"] == 20_000  # the snapshot's rows, not the late one
    cluster.execute(pg_trap_dbs.source, "DELETE FROM public.bulk WHERE id = 20001")
    assert sink.warnings == []
    assert _fingerprint(cluster, pg_trap_dbs.dest) == _fingerprint(cluster, pg_trap_dbs.source)
    assert _catalog_counts(cluster, pg_trap_dbs.dest) == _catalog_counts(cluster, pg_trap_dbs.source)
    assert _sequence_state(cluster, pg_trap_dbs.dest) == _sequence_state(cluster, pg_trap_dbs.source)
    # Plain tables were loaded with COPY FREEZE: post-data's index builds found every page frozen.
    available = "SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_visibility'"
    if cluster.scalar(pg_trap_dbs.dest, available) == "1":
        cluster.execute(pg_trap_dbs.dest, "CREATE EXTENSION pg_visibility")
        frozen = "SELECT bool_and(all_frozen) FROM pg_visibility_map('{}')"
        assert cluster.scalar(pg_trap_dbs.dest, frozen.format("public.bulk")) == "t"
        assert cluster.scalar(pg_trap_dbs.dest, frozen.format("public.amounts")) == "t"


def test_copy_in_fails_clearly_when_the_source_side_fails(pg_trap_dbs):
    with PostgresSource(pg_trap_dbs.source_uri) as src:
        tables = {t.qualified: t for t in src.describe()}
        snapshot = src.export_snapshot()
        sink = PostgresSink(pg_trap_dbs.dest_uri, pg_trap_dbs.source_uri, source_snapshot=snapshot)
        sink.begin(list(tables.values()))
        try:
            out = src.copy_out(tables["public.bulk"])
            assert out is not None
            bogus = dataclasses.replace(out, snapshot="00000003-0000001B-1")  # never exported
            with pytest.raises(RunFailed, match=r"--source: reading public.bulk failed: .*snapshot"):
                sink.copy_in(tables["public.bulk"], bogus)
            # the writer failing is the destination's error, whatever the reader then says (broken pipe)
            cur = sink._stage.cursor()
            cur.execute("ALTER TABLE public.bulk DROP COLUMN v")
            cur.close()
            with pytest.raises(RunFailed, match=r"--dest: writing public\.bulk failed: column"):
                sink.copy_in(tables["public.bulk"], out)
            # a cancelled copy stops; nothing is left running
            cancel = threading.Event()
            cancel.set()
            with pytest.raises(RunFailed, match=r"copying public\.bulk stopped"):
                sink.copy_in(tables["public.bulk"], out, cancel)
        finally:
            sink.abort()
    assert not pg_trap_dbs.cluster.database_exists(aux_name(pg_trap_dbs.dest, "staging"))


def test_write_before_begin_is_an_error():
    sink = PostgresSink("postgresql://u@127.0.0.1:1/copy", "postgresql://u@127.0.0.1:1/src")
    with pytest.raises(RunFailed):
        sink.write_table(TableInfo("public", "t", ()), pa.schema([]), [])
    with pytest.raises(RunFailed):
        sink.worker()


def test_workers_load_tables_from_threads_in_any_order(pg_trap_dbs):
    """Two threads, each with a source worker (same snapshot) and a sink worker (own staging connection),
    children before parents: the copy equals the source once post-data has added the keys."""
    cluster = pg_trap_dbs.cluster
    with PostgresSource(pg_trap_dbs.source_uri) as src:
        tables = src.describe()
        snapshot = src.export_snapshot()
        sink = PostgresSink(pg_trap_dbs.dest_uri, pg_trap_dbs.source_uri, source_snapshot=snapshot)
        sink.begin(tables)
        pairs = [(src.worker(), sink.worker()) for _ in range(2)]
        todo = list(reversed(tables))
        errors: list[BaseException] = []

        def work(reader: PostgresSource, writer) -> None:
            try:
                while todo:
                    t = todo.pop()
                    schema = pa.schema([(c.name, c.arrow_type) for c in t.columns if not c.generated])
                    writer.write_table(t, schema, _through_polars(reader.read_batches(t, 3000)))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=pair) for pair in pairs]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        for reader, _ in pairs:
            reader.close()
        assert errors == []
        sink.commit()
    assert sink.warnings == []
    assert _fingerprint(cluster, pg_trap_dbs.dest) == _fingerprint(cluster, pg_trap_dbs.source)
    assert _catalog_counts(cluster, pg_trap_dbs.dest) == _catalog_counts(cluster, pg_trap_dbs.source)


def test_round_trip_with_password_role_and_keyword_conninfo(pg_trap_dbs):
    """pg_dump and psql get the password through PGPASSWORD, never on their command line."""
    cluster = pg_trap_dbs.cluster
    role = f"pw_{pg_trap_dbs.dest}"
    cluster.execute(
        "postgres",
        f"CREATE ROLE {role} LOGIN CREATEDB PASSWORD 'p@ss w\"rd' IN ROLE {cluster.password_role};"
        f"ALTER DATABASE {pg_trap_dbs.dest} OWNER TO {role};",
    )
    cluster.execute(pg_trap_dbs.source, f"GRANT pg_read_all_data TO {role};")
    try:
        src = (
            f"host={cluster.host} port={cluster.port} user={role} password='p@ss w\"rd' "
            f"dbname={pg_trap_dbs.source}"
        )
        dest = cluster.uri(pg_trap_dbs.dest, user=role, password="p%40ss%20w%22rd")
        copy_database(src, dest)
        assert cluster.scalar(pg_trap_dbs.dest, "SELECT count(*) FROM public.bulk") == "20000"
        assert (
            cluster.scalar(
                "postgres",
                f"SELECT datdba::regrole::text FROM pg_database WHERE datname = '{pg_trap_dbs.dest}'",
            )
            == role
        )
    finally:
        cluster.execute(
            "postgres", f"DROP DATABASE IF EXISTS {pg_trap_dbs.dest} WITH (FORCE); DROP ROLE {role};"
        )
