"""joins: every declared and virtual foreign key joins as many rows in the copy as in the source.

Per side, the join's row count is sum(child rows per value x parent rows per value) over the key's
fingerprints, computed by DuckDB from the fingerprint files; it equals `SELECT count(*) FROM child JOIN
parent ON fk = ref` without holding either table. When the counts differ, the copy's rows whose key finds
no parent while their source row did are listed.
"""

from __future__ import annotations

import duckdb

from maskpipe.validate.findings import Collector
from maskpipe.validate.fingerprints import KEY, PAIR, JoinEdge, count_and_list, sql_file

CHECK = "joins"


def _join_count(con: duckdb.DuckDBPyConnection, child: str, a: int, parent: str, b: int) -> int:
    row = con.execute(
        f"SELECT coalesce(sum(c.n * p.n), 0)::HUGEINT FROM "
        f"(SELECT j{a} AS v, count(*) AS n FROM {child} WHERE j{a} IS NOT NULL GROUP BY 1) c JOIN "
        f"(SELECT j{b} AS v, count(*) AS n FROM {parent} WHERE j{b} IS NOT NULL GROUP BY 1) p USING (v)"
    ).fetchone()
    return int(row[0]) if row else 0


def _orphan(alias: str, a: int, parent: str, b: int) -> str:
    return (
        f"({alias}.j{a} IS NOT NULL AND {alias}.j{a} NOT IN "
        f"(SELECT j{b} FROM {parent} WHERE j{b} IS NOT NULL))"
    )


def check(con: duckdb.DuckDBPyConnection, edges: list[JoinEdge], out: Collector) -> None:
    for edge in edges:
        a, b = edge.child_key, edge.parent_key
        s_child, s_parent = sql_file(edge.child.src_path), sql_file(edge.parent.src_path)
        d_child, d_parent = sql_file(edge.child.dst_path), sql_file(edge.parent.dst_path)
        in_source = _join_count(con, s_child, a, s_parent, b)
        in_copy = _join_count(con, d_child, a, d_parent, b)
        if in_source == in_copy:
            continue
        fk = edge.fk
        kind = "virtual FK" if fk.virtual else f"FK {fk.name}" if fk.name else "FK"
        column = ", ".join(fk.columns)
        target = f"{fk.ref_table} ({', '.join(fk.ref_columns)})"
        out.add(
            CHECK,
            edge.child.table,
            column,
            None,
            f"{kind} join to {target} gives {in_copy:,} rows in the copy, {in_source:,} in the source.",
        )
        if edge.child.pk:
            sql = (
                f"SELECT d.{KEY} FROM {d_child} d JOIN {s_child} s USING ({PAIR}) "
                f"WHERE {_orphan('d', a, d_parent, b)} AND NOT {_orphan('s', a, s_parent, b)}"
            )
        else:
            sql = f"SELECT d.{KEY} FROM {d_child} d WHERE {_orphan('d', a, d_parent, b)}"
        total, keys = count_and_list(con, sql, out.options.max_listed)
        if total:
            out.rows(
                CHECK, edge.child.table, column, keys, total, f"references no row of {target} (orphan row)."
            )
