"""PostgreSQL in, PostgreSQL out, through the real CLI against the suite's throwaway cluster.

Covers the trap schema (every type, odd names, partitions, deferrable FK cycle, identity, generated
columns, a sequence ahead of its table), kill -9 half-way, and joins that survive masking.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY_HEX
from tests.conftest_pg import PgDatabases

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).parents[2]


def maskpipe_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "maskpipe.cli.main", *args]


def run_maskpipe(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MASKPIPE_KEY=TEST_KEY_HEX)
    return subprocess.run(maskpipe_cmd(*args), capture_output=True, text=True, env=env, cwd=ROOT, check=False)


def write_rules(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


CONSTRAINTS = """
SELECT conrelid::regclass::text AS t, contype, count(*) FROM pg_constraint c
JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
GROUP BY 1, 2 ORDER BY 1, 2
"""
SEQUENCES = "SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences ORDER BY 1"
ROWCOUNTS = """
SELECT format('%I.%I', schemaname, relname), n_live_tup FROM pg_stat_user_tables ORDER BY 1
"""


def table_md5(dbs: PgDatabases, db: str, table: str, order: str) -> str | None:
    return dbs.cluster.scalar(db, f"SELECT md5(string_agg(t::text, '|' ORDER BY {order})) FROM {table} t")


TRAP_RULES = {
    "order.yaml": """table: Sales Dept.Order
columns:
  First Name: first_name
  last"name: last_name
  contact: email
""",
    "types.yaml": """table: public.types
columns:
  ip: ip
  u: uuid
  t: redact
  n2: numeric_noise
""",
}


def test_run_postgres_trap_schema_is_complete_masked_and_usable(
    pg_trap_dbs: PgDatabases, tmp_path: Path
) -> None:
    dbs = pg_trap_dbs
    rules = write_rules(tmp_path / "rules", TRAP_RULES)
    result = run_maskpipe(
        "run",
        str(rules),
        "--source",
        dbs.source_uri,
        "--dest",
        dbs.dest_uri,
        "--json",
        str(tmp_path / "r.json"),
    )
    assert result.returncode == 0, result.stderr
    c = dbs.cluster
    # Structure: constraints by kind, sequences at the source's values.
    assert c.query(dbs.dest, CONSTRAINTS) == c.query(dbs.source, CONSTRAINTS)
    assert c.query(dbs.dest, SEQUENCES) == c.query(dbs.source, SEQUENCES)
    for table, order in (
        ("public.bulk", "id"),
        ("public.amounts", "id"),
        ("public.events", "id, at"),
        ("public.line_note", "id"),
    ):
        assert table_md5(dbs, dbs.dest, table, order) == table_md5(dbs, dbs.source, table, order), table
    # Masked: no source value kept; the generated full_name is recomputed from the masked names.
    src = c.query(dbs.source, 'SELECT "select", "First Name", contact FROM "Sales Dept"."Order" ORDER BY 1')
    dst = c.query(
        dbs.dest,
        'SELECT "select", "First Name", contact, full_name, "First Name" || \' \' || "last""name" FROM "Sales Dept"."Order" ORDER BY 1',
    )
    assert len(src) == len(dst) == 3
    for s, d in zip(src, dst, strict=True):
        assert s[0] == d[0] and s[1] != d[1]
        assert (s[2] is None and d[2] is None) or s[2] != d[2]
        assert d[3] == d[4], "generated column was not recomputed from the masked names"
    # An application can still insert: identity default and generated column work.
    c.execute(
        dbs.dest, 'INSERT INTO "Sales Dept"."Order" ("First Name", "last""name") VALUES (\'New\', \'Row\')'
    )
    assert (
        c.scalar(dbs.dest, 'SELECT full_name FROM "Sales Dept"."Order" WHERE "First Name" = \'New\'')
        == "New Row"
    )
    assert c.scalar(dbs.dest, "SELECT nextval('public.ticket_seq')") == "1001"


def test_run_postgres_refuses_dest_that_is_the_source(pg_trap_dbs: PgDatabases, tmp_path: Path) -> None:
    rules = write_rules(tmp_path / "rules", {})
    same = pg_trap_dbs.source_uri.replace("127.0.0.1", "localhost")  # another spelling, same database
    result = run_maskpipe("run", str(rules), "--source", pg_trap_dbs.source_uri, "--dest", same)
    assert result.returncode == 2 and "never writes to its source" in result.stderr


def test_run_postgres_killed_half_way_leaves_previous_copy_and_next_run_succeeds(
    pg_dbs: PgDatabases, tmp_path: Path
) -> None:
    c = pg_dbs.cluster
    c.execute(
        pg_dbs.source,
        """
        CREATE TABLE big (id bigint PRIMARY KEY, email text UNIQUE, note text);
        INSERT INTO big SELECT g, 'user' || g || '@corp.test', repeat('x', 200) FROM generate_series(1, 400000) g;
    """,
    )
    rules = write_rules(tmp_path / "rules", {"big.yaml": "table: big\ncolumns:\n  email: email\n"})
    first = run_maskpipe("run", str(rules), "--source", pg_dbs.source_uri, "--dest", pg_dbs.dest_uri)
    assert first.returncode == 0, first.stderr
    before = table_md5(pg_dbs, pg_dbs.dest, "big", "id")
    staging = f"{pg_dbs.dest}__maskpipe_staging"
    c.execute(pg_dbs.source, "UPDATE big SET note = 'changed' WHERE id % 2 = 0")
    env = dict(os.environ, MASKPIPE_KEY=TEST_KEY_HEX)
    proc = subprocess.Popen(
        maskpipe_cmd("run", str(rules), "--source", pg_dbs.source_uri, "--dest", pg_dbs.dest_uri),
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not c.database_exists(staging):
        time.sleep(0.05)
    assert c.database_exists(staging), "the run never started staging"
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert table_md5(pg_dbs, pg_dbs.dest, "big", "id") == before, "a killed run changed the destination"
    leftover = f"maskpipe-post-data-{proc.pid}-*"  # the killed run's schema-only post-data archive
    assert list(Path(tempfile.gettempdir()).glob(leftover)), "the killed run had not dumped post-data yet"
    again = run_maskpipe("run", str(rules), "--source", pg_dbs.source_uri, "--dest", pg_dbs.dest_uri)
    assert again.returncode == 0, again.stderr
    assert not c.database_exists(staging)
    assert not list(Path(tempfile.gettempdir()).glob(leftover)), "the next run left the killed run's folder"
    assert c.scalar(pg_dbs.dest, "SELECT count(*) FROM big WHERE note = 'changed'") == "200000"


JOIN_SCHEMA = """
CREATE TABLE users (
    id integer PRIMARY KEY, email text NOT NULL UNIQUE, username text NOT NULL UNIQUE,
    manager_id integer REFERENCES users (id)
);
CREATE UNIQUE INDEX users_lower_email ON users (lower(email));
CREATE TABLE orders (
    id integer PRIMARY KEY,
    user_email text REFERENCES users (email) ON UPDATE CASCADE,
    username text REFERENCES users (username),
    region text, seq integer, UNIQUE (region, seq)
);
CREATE TABLE shipments (id integer PRIMARY KEY, region text, seq integer,
    FOREIGN KEY (region, seq) REFERENCES orders (region, seq));
CREATE TABLE team (id integer PRIMARY KEY, owner_username text NOT NULL);
ALTER TABLE users ADD COLUMN team_id integer;
ALTER TABLE users ADD CONSTRAINT users_team_fk FOREIGN KEY (team_id) REFERENCES team DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE team ADD CONSTRAINT team_owner_fk FOREIGN KEY (owner_username) REFERENCES users (username) DEFERRABLE INITIALLY DEFERRED;
CREATE TABLE audit (id integer PRIMARY KEY, actor_email text, action text);
BEGIN;
INSERT INTO team SELECT g, 'user' || (g * 10) FROM generate_series(1, 5) g;
INSERT INTO users SELECT g,
    CASE WHEN g % 7 = 0 THEN 'User' || g || '@Corp.Test' ELSE 'user' || g || '@corp.test' END,
    'user' || g, CASE WHEN g > 1 THEN g / 2 END, 1 + g % 5
    FROM generate_series(1, 500) g;
COMMIT;
INSERT INTO orders SELECT g, (SELECT email FROM users WHERE id = 1 + g % 500), 'user' || (1 + g % 499),
    'r' || (g % 4), g FROM generate_series(1, 2000) g;
INSERT INTO shipments SELECT g, 'r' || (g % 4), g FROM generate_series(1, 1500) g;
INSERT INTO audit SELECT g, CASE WHEN g % 3 = 0 THEN upper((SELECT email FROM users WHERE id = 1 + g % 500))
    ELSE (SELECT email FROM users WHERE id = 1 + g % 500) END, 'login' FROM generate_series(1, 3000) g;
"""
JOIN_RULES = {
    "users.yaml": "table: users\ncolumns:\n  email: email\n  username: {masker: hash, params: {format: token}}\n",
    "orders.yaml": "table: orders\ncolumns:\n  region: {masker: hash, params: {format: token}}\n",
    "audit.yaml": (
        "table: audit\nvirtual_foreign_keys:\n"
        "  - {columns: [actor_email], references: users, ref_columns: [email]}\n"
    ),
}
JOINS = {
    "orders-users by email": "SELECT count(*) FROM orders o JOIN users u ON o.user_email = u.email",
    "orders-users by username": "SELECT count(*) FROM orders o JOIN users u ON o.username = u.username",
    "shipments-orders composite": "SELECT count(*) FROM shipments s JOIN orders o USING (region, seq)",
    "users self-reference": "SELECT count(*) FROM users u JOIN users m ON u.manager_id = m.id",
    "team-users cycle": "SELECT count(*) FROM team t JOIN users u ON t.owner_username = u.username",
    "users-team cycle": "SELECT count(*) FROM users u JOIN team t ON u.team_id = t.id",
    "audit-users virtual, case-insensitive": "SELECT count(*) FROM audit a JOIN users u ON lower(a.actor_email) = lower(u.email)",
    "audit-users virtual, exact": "SELECT count(*) FROM audit a JOIN users u ON a.actor_email = u.email",
}


def test_run_postgres_every_join_survives_masking(pg_dbs: PgDatabases, tmp_path: Path) -> None:
    c = pg_dbs.cluster
    c.execute(pg_dbs.source, JOIN_SCHEMA)
    rules = write_rules(tmp_path / "rules", JOIN_RULES)
    plan = subprocess.run(
        maskpipe_cmd("plan", str(rules), "--source", pg_dbs.source_uri),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert plan.returncode == 0, plan.stderr
    assert (
        "propagated from public.users.email" in plan.stdout
        and "propagated from public.users.username" in plan.stdout
    )
    result = run_maskpipe("run", str(rules), "--source", pg_dbs.source_uri, "--dest", pg_dbs.dest_uri)
    assert result.returncode == 0, result.stderr
    for name, sql in JOINS.items():
        assert c.scalar(pg_dbs.dest, sql) == c.scalar(pg_dbs.source, sql), name
    assert c.query(pg_dbs.dest, CONSTRAINTS) == c.query(pg_dbs.source, CONSTRAINTS)
    # No masked key equals its source value, in the key column or in any column that references it.
    for table, column in (
        ("users", "email"),
        ("users", "username"),
        ("orders", "user_email"),
        ("orders", "region"),
        ("audit", "actor_email"),
    ):
        src_values = {r[0] for r in c.query(pg_dbs.source, f"SELECT DISTINCT {column} FROM {table}")}
        dst_values = {r[0] for r in c.query(pg_dbs.dest, f"SELECT DISTINCT {column} FROM {table}")}
        assert not (src_values & dst_values) - {None}, f"{table}.{column} kept source values"
    # Emails that differ only in case stay distinct and still differ only in case.
    assert c.scalar(pg_dbs.dest, "SELECT count(DISTINCT lower(email)) FROM users") == "500"
    upper_src = c.scalar(pg_dbs.source, "SELECT count(*) FROM users WHERE email <> lower(email)")
    upper_dst = c.scalar(pg_dbs.dest, "SELECT count(*) FROM users WHERE email <> lower(email)")
    assert upper_src == upper_dst
