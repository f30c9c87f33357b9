"""open_sink(): which backend a --dest value selects."""

from __future__ import annotations

import pytest

from maskpipe.load import open_sink
from maskpipe.load.duckdb import DuckDBSink
from maskpipe.load.parquet import ParquetSink
from maskpipe.model import MaskpipeError


def test_open_sink_picks_duckdb_and_parquet(tmp_path):
    assert isinstance(open_sink(str(tmp_path / "copy.duckdb")), DuckDBSink)
    assert isinstance(open_sink(f"duckdb://{tmp_path}/copy.db"), DuckDBSink)
    assert isinstance(open_sink(str(tmp_path / "image")), ParquetSink)
    assert isinstance(open_sink(f"parquet://{tmp_path}/image"), ParquetSink)
    # file sinks ignore PostgreSQL-only options, so callers can pass the same arguments everywhere
    assert isinstance(open_sink(str(tmp_path / "image"), source_uri="postgresql://h/src"), ParquetSink)


def test_open_sink_postgres_gets_the_source_uri():
    from maskpipe.load.postgres import PostgresSink

    sink = open_sink("postgresql://u:pw@localhost:1/masked", source_uri="postgresql://u@localhost:1/prod")
    assert isinstance(sink, PostgresSink) and sink.source_uri == "postgresql://u@localhost:1/prod"


def test_open_sink_postgres_without_source_uri_is_refused_without_password():
    with pytest.raises(MaskpipeError) as err:
        open_sink("postgresql://u:hunter2@localhost:1/masked")
    assert err.value.problems[0].where == "--dest" and "hunter2" not in str(err.value)


def test_open_sink_unknown_scheme_is_refused():
    with pytest.raises(MaskpipeError) as err:
        open_sink("s3://bucket/masked")
    assert err.value.problems[0].where == "--dest" and "'s3://'" in str(err.value)
