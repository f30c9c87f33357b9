"""structure: every table and column present, row counts equal, every row paired, keys and constraints
present (PostgreSQL: counted by kind per table from pg_constraint, and validated), sequences at least
where the source's are."""

from __future__ import annotations

from collections import Counter
from typing import Any

import duckdb

from maskpipe.extract import classify_uri
from maskpipe.model import TableInfo
from maskpipe.plan import MaskPlan
from maskpipe.validate.findings import Collector
from maskpipe.validate.fingerprints import KEY, PAIR, TableSpec, count_and_list, sql_file

CHECK = "structure"

CONTYPES = {
    "c": "CHECK",
    "f": "FOREIGN KEY",
    "p": "PRIMARY KEY",
    "u": "UNIQUE",
    "t": "constraint trigger",
    "x": "EXCLUDE",
    "n": "NOT NULL",
}


def check_schema(plan: MaskPlan, dst_tables: dict[str, TableInfo], out: Collector) -> None:
    """Tables, columns and the keys the snapshot format can express (PK, UNIQUE, FK)."""
    for table_plan in plan.tables:
        src = table_plan.table
        dst = dst_tables.get(src.qualified)
        if dst is None:
            out.add(CHECK, src.qualified, None, None, "table missing from the copy.")
            continue
        for col in src.columns:
            if not col.generated and dst.column(col.name) is None:
                out.add(CHECK, src.qualified, col.name, None, "column missing from the copy.")
        if src.primary_key and dst.primary_key != src.primary_key:
            out.add(
                CHECK,
                src.qualified,
                None,
                None,
                f"primary key ({', '.join(src.primary_key)}) missing from the copy.",
            )
        for unique in src.unique:
            if unique not in dst.unique and unique != dst.primary_key:
                out.add(
                    CHECK, src.qualified, None, None, f"UNIQUE ({', '.join(unique)}) missing from the copy."
                )
        dst_fks = {(fk.columns, fk.ref_table, fk.ref_columns) for fk in dst.foreign_keys}
        for fk in src.foreign_keys:
            if (fk.columns, fk.ref_table, fk.ref_columns) not in dst_fks:
                name = f" {fk.name}" if fk.name else ""
                out.add(
                    CHECK,
                    src.qualified,
                    None,
                    None,
                    f"foreign key{name} ({', '.join(fk.columns)}) -> {fk.ref_table} missing from the copy.",
                )


def check_rows(con: duckdb.DuckDBPyConnection, specs: list[TableSpec], out: Collector) -> None:
    """Row counts, and (where rows pair by key) rows without a counterpart and duplicated keys."""
    limit = out.options.max_listed
    for spec in specs:
        if spec.src_rows != spec.dst_rows:
            out.add(
                CHECK,
                spec.table,
                None,
                None,
                f"{spec.dst_rows:,} rows in the copy, {spec.src_rows:,} in the source.",
            )
        if not spec.pk:
            continue
        src, dst = sql_file(spec.src_path), sql_file(spec.dst_path)
        for side, this, other, what in (
            (
                "source",
                src,
                dst,
                "source row has no counterpart in the copy (paired by primary key"
                + (", masked with the key)." if spec.pk_masked else ")."),
            ),
            (
                "copy",
                dst,
                src,
                "row of the copy has no counterpart in the source (paired by primary key"
                + (", masked with the key)." if spec.pk_masked else ")."),
            ),
        ):
            total, keys = count_and_list(
                con, f"SELECT t.{KEY} FROM {this} t ANTI JOIN {other} o USING ({PAIR})", limit
            )
            if total:
                hint = (
                    " The key may differ from the one the copy was made with."
                    if spec.pk_masked and side == "copy"
                    else ""
                )
                out.rows(CHECK, spec.table, None, keys, total, what + hint)
        total, keys = count_and_list(
            con, f"SELECT min({KEY}) FROM {dst} GROUP BY {PAIR} HAVING count(*) > 1", limit
        )
        if total:
            out.rows(
                CHECK, spec.table, None, keys, total, "primary key value appears more than once in the copy."
            )


# ------------------------------------------------ PostgreSQL ------------------------------------------------
_CONSTRAINTS_SQL = """
SELECT n.nspname || '.' || c.relname, con.contype::text, con.conname, con.convalidated
  FROM pg_catalog.pg_constraint con
  JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
"""
_SEQUENCES_SQL = """
SELECT schemaname || '.' || sequencename, last_value FROM pg_catalog.pg_sequences
 WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
"""


def both_postgres(source_uri: str, dest_uri: str) -> bool:
    return (
        classify_uri(source_uri, "--source")[0] == "postgres"
        and classify_uri(dest_uri, "--dest")[0] == "postgres"
    )


def check_postgres(plan: MaskPlan, source_uri: str, dest_uri: str, out: Collector) -> None:
    """Constraints by kind per table (pg_constraint), their validation, and sequences."""
    from maskpipe.extract.postgres import connect, fetch_all

    tables = {t.table.qualified for t in plan.tables}
    src_conn, dst_conn = connect(source_uri, "--source"), None
    try:
        dst_conn = connect(dest_uri, "--dest")
        src_cons = fetch_all(src_conn, _CONSTRAINTS_SQL)
        dst_cons = fetch_all(dst_conn, _CONSTRAINTS_SQL)
        src_seqs = dict(fetch_all(src_conn, _SEQUENCES_SQL))
        dst_seqs = dict(fetch_all(dst_conn, _SEQUENCES_SQL))
    finally:
        for conn in (src_conn, dst_conn):
            if conn is not None:
                conn.close()
    _compare_constraints(
        [r for r in src_cons if r[0] in tables], [r for r in dst_cons if r[0] in tables], out
    )
    for name, last in sorted(src_seqs.items()):
        if name not in dst_seqs:
            out.add(CHECK, name, None, None, "sequence missing from the copy.")
        elif last is not None and (dst_seqs[name] is None or int(dst_seqs[name]) < int(last)):
            out.add(
                CHECK,
                name,
                None,
                None,
                "sequence is behind the source's: new rows in the copy would reuse key values.",
            )


def _compare_constraints(src: list[Any], dst: list[Any], out: Collector) -> None:
    src_count = Counter((t, k) for t, k, _, _ in src)
    dst_count = Counter((t, k) for t, k, _, _ in dst)
    dst_names = {(t, k): set() for t, k in dst_count}
    for t, k, name, _ in dst:
        dst_names[(t, k)].add(name)
    for (table, kind), n in sorted(src_count.items()):
        have = dst_count.get((table, kind), 0)
        if have < n:
            missing = sorted(
                name
                for t, k, name, _ in src
                if (t, k) == (table, kind) and name not in dst_names.get((t, k), set())
            )
            named = f": {', '.join(missing)}" if missing else ""
            out.add(
                CHECK,
                table,
                None,
                None,
                f"{n - have} of {n} {CONTYPES.get(kind, kind)} constraints missing from the copy{named}.",
            )
    validated = {(t, name) for t, _, name, ok in src if ok}
    for table, kind, name, ok in dst:
        if not ok and (table, name) in validated:
            out.add(
                CHECK,
                table,
                None,
                None,
                f"{CONTYPES.get(kind, kind)} constraint {name} is NOT VALID in the copy "
                "(validated in the source).",
            )
