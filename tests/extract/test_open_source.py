"""open_source() / classify_uri(): which backend a --source value selects."""

from __future__ import annotations

import pytest

from maskpipe.extract import classify_uri, open_source
from maskpipe.extract.duckdb import DuckDBSource
from maskpipe.extract.parquet import ParquetSource
from maskpipe.model import MaskpipeError


@pytest.mark.parametrize(
    ("uri", "kind", "target"),
    [
        ("postgresql://u:pw@h/db", "postgres", "postgresql://u:pw@h/db"),
        ("postgres://h/db", "postgres", "postgres://h/db"),
        ("host=db1 dbname=prod", "postgres", "host=db1 dbname=prod"),
        ("duckdb:///data/snap.duckdb", "duckdb", "/data/snap.duckdb"),
        ("DuckDB://rel/snap.duckdb", "duckdb", "rel/snap.duckdb"),
        ("/data/snap.duckdb", "duckdb", "/data/snap.duckdb"),
        ("snap.DB", "duckdb", "snap.DB"),
        ("file:///data/snap.db", "duckdb", "/data/snap.db"),
        ("parquet:///data/snap", "parquet", "/data/snap"),
        ("/data/snap", "parquet", "/data/snap"),
        ("./year=2024", "parquet", "./year=2024"),
        ("file:///data/snap", "parquet", "/data/snap"),
    ],
)
def test_classify_uri_parquet_duckdb_postgres_forms(uri, kind, target):
    assert classify_uri(uri, "--source") == (kind, target)


def test_open_source_picks_duckdb_and_parquet(tmp_path):
    assert isinstance(open_source(str(tmp_path / "a.duckdb")), DuckDBSource)
    assert isinstance(open_source(f"duckdb://{tmp_path}/a.duckdb"), DuckDBSource)
    assert isinstance(open_source(str(tmp_path)), ParquetSource)
    assert isinstance(open_source(f"parquet://{tmp_path}"), ParquetSource)


def test_open_source_postgres_is_lazy_and_imported_on_demand():
    from maskpipe.extract.postgres import PostgresSource

    assert isinstance(open_source("postgresql://u@localhost:1/db"), PostgresSource)


def test_open_source_unknown_scheme_lists_forms_and_hides_the_password():
    with pytest.raises(MaskpipeError) as err:
        open_source("mysql://root:hunter2@db/prod")
    problem = err.value.problems[0]
    assert problem.where == "--source" and "'mysql://'" in problem.message
    assert problem.hint and "duckdb://" in problem.hint and "parquet://" in problem.hint
    assert "hunter2" not in str(err.value) and "root" not in str(err.value)


def test_open_source_empty_value_is_refused():
    with pytest.raises(MaskpipeError, match="empty"):
        open_source("  ")
