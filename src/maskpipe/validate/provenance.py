"""provenance: the copy is what these rules and this key make of the source.

Every source row's masked columns are re-masked with the plan and the key (the transform's own
`masked_lazyframe`, batch by batch) while the fingerprints are taken, so the comparison covers every row,
not a sample: a row masked with another key, by other rules, or altered afterwards differs from its
re-masked source. Columns without a rule must equal the source (one fingerprint over all of them).
Non-deterministic maskers cannot be reproduced; their columns are said to be unchecked in the notes.
"""

from __future__ import annotations

import duckdb

from maskpipe.validate.findings import Collector
from maskpipe.validate.fingerprints import KEY, PAIR, REST, TableSpec, count_and_list, sql_file

CHECK = "provenance"
_REMASK = (
    "differs from its source value re-masked with these rules and this key (masked with another key "
    "or other rules, or changed afterwards)."
)
_REST = "a column without a masking rule differs from the source."


def check(con: duckdb.DuckDBPyConnection, specs: list[TableSpec], out: Collector) -> None:
    for spec in specs:
        if spec.pk:
            _paired(con, spec, out)
        else:
            _as_sets(con, spec, out)
        skipped = [m.name for m in spec.masked if not m.deterministic]
        if skipped:
            out.notes.append(
                f"provenance: {spec.table}.{', '.join(skipped)} not re-masked: the masker is not "
                "deterministic."
            )


def _paired(con: duckdb.DuckDBPyConnection, spec: TableSpec, out: Collector) -> None:
    limit = out.options.max_listed
    joined = f"FROM {sql_file(spec.src_path)} s JOIN {sql_file(spec.dst_path)} d USING ({PAIR})"
    for m in spec.masked:
        if not m.deterministic:
            continue
        i = m.index
        # Rows that kept their source value are the leak check's finding; not reported twice.
        total, keys = count_and_list(
            con,
            f"SELECT d.{KEY} {joined} WHERE d.m{i} IS DISTINCT FROM s.e{i} "
            f"AND NOT (s.m{i} IS NOT NULL AND s.m{i} = d.m{i})",
            limit,
        )
        if total:
            out.rows(CHECK, spec.table, m.name, keys, total, _REMASK)
    if spec.rest:
        total, keys = count_and_list(
            con, f"SELECT d.{KEY} {joined} WHERE s.{REST} IS DISTINCT FROM d.{REST}", limit
        )
        if total:
            out.rows(CHECK, spec.table, None, keys, total, _REST)


def _as_sets(con: duckdb.DuckDBPyConnection, spec: TableSpec, out: Collector) -> None:
    """Without a key: every value of the copy must be an expected one, and as often as expected."""
    limit = out.options.max_listed
    src, dst = sql_file(spec.src_path), sql_file(spec.dst_path)
    columns = [(f"m{m.index}", f"e{m.index}", m.name, _REMASK) for m in spec.masked if m.deterministic]
    if spec.rest:
        columns.append((REST, REST, None, _REST))
    for copy_col, expected_col, name, message in columns:
        unexpected = (
            (
                f"SELECT d.{KEY} FROM {dst} d "
                f"ANTI JOIN (SELECT DISTINCT {expected_col} AS v FROM {src}) x ON d.{copy_col} = x.v "
                # source values kept as they are: the leak check's finding
                f"ANTI JOIN (SELECT DISTINCT {copy_col} AS v FROM {src}) y ON d.{copy_col} = y.v "
                f"WHERE d.{copy_col} IS NOT NULL"
            )
            if copy_col != REST
            else (
                f"SELECT d.{KEY} FROM {dst} d "
                f"ANTI JOIN (SELECT DISTINCT {REST} AS v FROM {src}) x ON d.{REST} = x.v"
            )
        )
        total, keys = count_and_list(con, unexpected, limit)
        if total:
            out.rows(CHECK, spec.table, name, keys, total, message)
            continue
        if any(f.check == "leaks" and f.table == spec.table and f.column == name for f in out.findings):
            continue  # a kept value also upsets the counts; the leak finding says more
        row = con.execute(
            f"SELECT count(*) FROM (SELECT {expected_col} AS v, count(*) AS n FROM {src} GROUP BY 1) a "
            f"FULL JOIN (SELECT {copy_col} AS v, count(*) AS n FROM {dst} GROUP BY 1) b "
            "ON a.v IS NOT DISTINCT FROM b.v WHERE a.n IS DISTINCT FROM b.n"
        ).fetchone()
        if row and row[0]:
            out.add(
                CHECK,
                spec.table,
                name,
                None,
                "holds the expected values, but not as many times each as the "
                "source re-masked would (rows duplicated or dropped; no primary key to name them).",
            )
