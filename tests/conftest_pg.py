"""pytest plugin: a throwaway PostgreSQL cluster per test session, and fresh databases per test.

Load it from tests/conftest.py with `pytest_plugins = ["tests.conftest_pg"]` (needs the repo root on
sys.path: `pythonpath = ["."]` in [tool.pytest.ini_options] or a tests/__init__.py) or, without either,
with `pytest_plugins = ["conftest_pg"]` (pytest puts tests/ on sys.path for tests/conftest.py). Fixtures:
  pg_cluster  (session)   a running PgCluster: .uri(db), .create_database(db), .drop_database(db),
                          .execute(db, sql), .query(db, sql), .scalar(db, sql), .bindir, .port
  pg_dbs      (function)  PgDatabases: a new empty source and destination database pair
  pg_trap_dbs (function)  pg_dbs whose source holds TRAP_SCHEMA (see tests/pg_cluster.py)
Tests that use them are skipped, with the reason, when no PostgreSQL server binaries are installed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

try:
    from tests.pg_cluster import TRAP_SCHEMA, PgCluster, PgUnavailable, find_bindir
except ModuleNotFoundError:  # loaded as top-level `conftest_pg` (tests/ on sys.path, the repo root not)
    from pg_cluster import TRAP_SCHEMA, PgCluster, PgUnavailable, find_bindir  # type: ignore[no-redef]


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    try:
        bindir = find_bindir()
    except PgUnavailable as exc:
        pytest.skip(str(exc))
    cluster = PgCluster.start(bindir)
    try:
        yield cluster
    finally:
        cluster.stop()


@dataclass
class PgDatabases:
    cluster: PgCluster
    source: str
    dest: str
    extra: list[str] = field(default_factory=list)

    @property
    def source_uri(self) -> str:
        return self.cluster.uri(self.source)

    @property
    def dest_uri(self) -> str:
        return self.cluster.uri(self.dest)

    def new_database(self, prefix: str = "db") -> str:
        """Another empty database, dropped with the pair."""
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        self.cluster.create_database(name)
        self.extra.append(name)
        return name


@pytest.fixture
def pg_dbs(pg_cluster: PgCluster) -> Iterator[PgDatabases]:
    """A fresh, empty source database and a destination database (created empty; drop it in the test to
    exercise a first run). Everything named after the pair, staging leftovers included, is dropped after."""
    tag = uuid.uuid4().hex[:10]
    dbs = PgDatabases(pg_cluster, f"src_{tag}", f"dst_{tag}")
    pg_cluster.create_database(dbs.source)
    pg_cluster.create_database(dbs.dest)
    try:
        yield dbs
    finally:
        for row in pg_cluster.query(
            "postgres", f"SELECT datname FROM pg_database WHERE datname LIKE '%{tag}%'"
        ):
            pg_cluster.drop_database(str(row[0]))


@pytest.fixture(scope="session")
def _pg_trap_template(pg_cluster: PgCluster) -> str:
    """TRAP_SCHEMA loaded once per session; each test's source is a fast file-level copy of it."""
    name = f"trap_template_{uuid.uuid4().hex[:10]}"
    pg_cluster.create_database(name)
    pg_cluster.execute(name, TRAP_SCHEMA)
    return name


@pytest.fixture
def pg_trap_dbs(pg_dbs: PgDatabases, _pg_trap_template: str) -> PgDatabases:
    """pg_dbs whose source holds TRAP_SCHEMA (awkward names, types, partitions, FK cycles, ...)."""
    pg_dbs.cluster.drop_database(pg_dbs.source)
    pg_dbs.cluster.create_database(pg_dbs.source, template=_pg_trap_template)
    return pg_dbs
