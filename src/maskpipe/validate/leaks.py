"""leaks: no masked value kept its source value, and no source identifier turns up in the copy's text.

Kept values: where rows pair by key, the copy's value must differ from the source's unless the rules map
that value to itself (a dictionary name drawn by chance, an empty string, a constant); the re-masked
fingerprint tells the two apart. Without a key, no source value of the column may appear in it at all.

PII re-scan: the distinct source values of masked text columns, 5 to 64 characters long by default
(longer values are free text, not identifiers), are searched as substrings of every text column of the
copy (JSON arrives as text) with one Aho-Corasick automaton (Polars `str.contains_any`), where they do
not sit inside a longer word or number. A value that the rules themselves produce as a masked output is
not searched: its presence in the copy says nothing about the source.
"""

from __future__ import annotations

import duckdb
import polars as pl

from maskpipe.extract.base import Source
from maskpipe.model import TableInfo
from maskpipe.plan import MaskPlan
from maskpipe.validate.findings import Collector, ValidateOptions
from maskpipe.validate.fingerprints import KEY, PAIR, BottomK, TableSpec, count_and_list, sql_file

CHECK = "leaks"


def check_kept(con: duckdb.DuckDBPyConnection, specs: list[TableSpec], out: Collector) -> None:
    limit = out.options.max_listed
    for spec in specs:
        src, dst = sql_file(spec.src_path), sql_file(spec.dst_path)
        for m in spec.masked:
            s, e = f"s.m{m.index}", f"s.e{m.index}"
            # The rules would change this value (fixed points of a deterministic masker are not leaks).
            changes = f" AND {e} IS DISTINCT FROM {s}" if m.deterministic else ""
            if spec.pk:
                sql = (
                    f"SELECT d.{KEY} FROM {src} s JOIN {dst} d USING ({PAIR}) "
                    f"WHERE {s} IS NOT NULL AND {s} = d.m{m.index}{changes}"
                )
                message = "kept its source value."
            else:
                sql = (
                    f"SELECT d.{KEY} FROM {dst} d SEMI JOIN (SELECT DISTINCT {s} AS v FROM {src} s "
                    f"WHERE {s} IS NOT NULL{changes}) x ON d.m{m.index} = x.v"
                )
                message = (
                    "holds a value this column has in the source (no primary key: rows compared as sets)."
                )
            total, keys = count_and_list(con, sql, limit)
            if total:
                out.rows(CHECK, spec.table, m.name, keys, total, message)


def check_skipped(
    plan: MaskPlan, dest: Source, dst_tables: dict[str, TableInfo], batch_rows: int, out: Collector
) -> None:
    """A table the rules skip must not be copied; an empty shell (a schema-only copy) is fine."""
    for name in plan.skipped:
        table = dst_tables.get(name)
        if table is None:
            continue
        rows = sum(batch.num_rows for batch in dest.read_batches(table, batch_rows))
        if rows:
            out.add(
                CHECK, name, None, None, f"the rules skip this table, but the copy holds {rows:,} rows of it."
            )


class IdentifierCollector:
    """Source side: a bounded, uniform sample (by fingerprint) of the distinct identifiers to search for."""

    def __init__(self, options: ValidateOptions) -> None:
        self.min_chars, self.max_chars = options.min_identifier_chars, options.max_identifier_chars
        # A value found in several columns keeps all of them as its origins.
        origins = pl.col("origins").list.explode(keep_nulls=False, empty_as_null=False).unique().sort()
        self.sample = BottomK(options.max_identifiers, combine=[pl.col("value").first(), origins])

    def source_batch(self, spec: TableSpec, frame: pl.DataFrame, spill: pl.DataFrame) -> None:
        parts = []
        for m in spec.masked:
            if not m.is_text:
                continue
            values = (
                frame.select(pl.col(m.name).alias("value"))
                .filter(pl.col("value").str.len_chars().is_between(self.min_chars, self.max_chars))
                .unique()
            )
            parts.append(
                values.with_columns(
                    __order=pl.col("value").nchash.xxh3_64(),
                    origins=pl.concat_list(pl.lit(f"{spec.table}.{m.name}")),
                )
            )
        if parts:
            self.sample.feed(pl.concat(parts))

    def dest_batch(self, spec: TableSpec, frame: pl.DataFrame, spill: pl.DataFrame) -> None:
        return None

    def finish(self, con: duckdb.DuckDBPyConnection, specs: list[TableSpec], out: Collector) -> pl.DataFrame:
        """The identifiers to search: (value, origins), minus the rules' own masked outputs."""
        ids = self.sample.frame
        if ids is None or ids.is_empty():
            return pl.DataFrame(schema={"value": pl.String, "origins": pl.List(pl.String)})
        outputs = [
            f"SELECT e{m.index} AS v FROM {sql_file(s.src_path)}"
            for s in specs
            for m in s.masked
            if m.deterministic
        ]
        if outputs:
            fps = ids.select("__order").to_arrow()
            con.register("mp_identifiers", fps)
            try:
                produced = con.sql(
                    f"SELECT __order FROM mp_identifiers SEMI JOIN ({' UNION ALL '.join(outputs)}) x "
                    "ON mp_identifiers.__order = x.v"
                ).to_arrow_table()
            finally:
                con.unregister("mp_identifiers")
            ids = ids.filter(~pl.col("__order").is_in(pl.Series(produced.column(0)).implode()))
        ambiguous = _ambiguous_columns(con, specs, out)
        if ambiguous:
            ids = ids.with_columns(
                pl.col("origins").list.set_difference(pl.lit(pl.Series([sorted(ambiguous)])))
            ).filter(pl.col("origins").list.len() > 0)
        if self.sample.truncated:
            out.notes.append(
                f"leaks: the PII re-scan searched a uniform sample of {ids.height:,} distinct source "
                f"identifiers (limit {self.sample.k:,}); there are more."
            )
        out.notes.append(
            "leaks: the PII re-scan matches source identifiers exactly (case-sensitive), as "
            "substrings of text columns; escaped forms (JSON \\u escapes) are not searched."
        )
        return ids.select("value", "origins")


# A column whose masked values are often other source values (a permutation of a small space such as
# documentation IP ranges or postal codes, or names drawn from a dictionary the source shares) gives
# identifiers whose presence in the copy proves nothing; above this share they are not searched.
AMBIGUOUS_SHARE = 0.01


def _ambiguous_columns(con: duckdb.DuckDBPyConnection, specs: list[TableSpec], out: Collector) -> set[str]:
    found: set[str] = set()
    for spec in specs:
        source = sql_file(spec.src_path)
        for m in spec.masked:
            if not (m.is_text and m.deterministic):
                continue
            # Values the masker leaves as they are (fixed points) are not counted: they are expected.
            i = m.index
            row = con.execute(
                f"WITH f AS (SELECT m{i} AS s, e{i} AS e FROM {source} WHERE e{i} IS NOT NULL) "
                "SELECT (SELECT count(DISTINCT e) FROM f), "
                "(SELECT count(*) FROM (SELECT DISTINCT e AS v FROM f WHERE e IS DISTINCT FROM s) o "
                "SEMI JOIN (SELECT DISTINCT s AS v FROM f WHERE s IS NOT NULL) i USING (v))"
            ).fetchone()
            outputs, shared = (int(row[0]), int(row[1])) if row else (0, 0)
            if outputs and shared > 1 and shared / outputs > AMBIGUOUS_SHARE:
                found.add(f"{spec.table}.{m.name}")
                out.notes.append(
                    f"leaks: values of {spec.table}.{m.name} are not searched by the PII re-scan: "
                    f"{shared / outputs:.0%} of its masked values are other rows' source values, so finding "
                    "one in the copy proves nothing (kept values are still checked row by row)."
                )
    return found


_WORD_CHAR = r"[\p{L}\p{N}]"


def _bounded(value: pl.Expr) -> pl.Expr:
    """A regex per identifier that finds it only where it is not part of a longer word or number: a
    5-digit postal code inside a hex token or an IBAN is chance, not a leak. Edges that are not letters
    or digits ("(030) ...", "+33 ...") need no boundary."""
    starts, ends = value.str.contains(f"^{_WORD_CHAR}"), value.str.contains(f"{_WORD_CHAR}$")
    before = pl.when(starts).then(pl.lit(r"(?:^|[^\p{L}\p{N}])")).otherwise(pl.lit(""))
    after = pl.when(ends).then(pl.lit(r"(?:$|[^\p{L}\p{N}])")).otherwise(pl.lit(""))
    return pl.concat_str([before, value.str.escape_regex(), after])


class PiiScanner:
    """Copy side: text columns are buffered and searched in large passes (the automaton is rebuilt per
    pass); hits are kept per (table, column) up to the listing cap, with their total."""

    def __init__(self, options: ValidateOptions, identifiers: pl.DataFrame) -> None:
        self.options = options
        self.identifiers = identifiers
        self.patterns = pl.lit(identifiers.get_column("value")).implode()
        self.buffer: list[pl.DataFrame] = []
        self.buffered = 0
        self.hits: dict[tuple[str, str], tuple[int, list[tuple[str, str]]]] = {}

    def source_batch(self, spec: TableSpec, frame: pl.DataFrame, spill: pl.DataFrame) -> None:
        return None

    def dest_batch(self, spec: TableSpec, frame: pl.DataFrame, spill: pl.DataFrame) -> None:
        if self.identifiers.is_empty():
            return
        for name, dtype in frame.schema.items():
            if dtype != pl.String:
                continue
            part = pl.DataFrame({KEY: spill.get_column(KEY), "text": frame.get_column(name)}).filter(
                pl.col("text").str.len_chars() >= self.options.min_identifier_chars
            )
            if part.is_empty():
                continue
            self.buffer.append(part.with_columns(table=pl.lit(spec.table), column=pl.lit(name)))
            self.buffered += int(part.get_column("text").str.len_bytes().sum() or 0)
        if self.buffered >= self.options.scan_bytes:
            self._scan()

    def _scan(self) -> None:
        if not self.buffer:
            return
        # One chunk: Polars builds the automaton once per chunk (50 chunks: 22 s instead of 1 s).
        text = pl.concat(self.buffer, rechunk=True)
        self.buffer, self.buffered = [], 0
        hits = text.filter(pl.col("text").str.contains_any(self.patterns))
        if hits.is_empty():
            return
        matched = (
            hits.with_columns(value=pl.col("text").str.extract_many(self.patterns, overlapping=True))
            .explode("value")
            .unique(["table", "column", KEY, "value"])
            .join(self.identifiers, on="value", how="inner")
            .filter(pl.col("text").str.contains(_bounded(pl.col("value"))))
            # A masked column holding its own source value whole is the kept-value check's finding.
            .filter(
                ~(
                    (pl.col("text") == pl.col("value"))
                    & pl.col("origins").list.contains(pl.col("table") + "." + pl.col("column"))
                )
            )
            .group_by("table", "column", KEY, maintain_order=True)
            .agg(
                pl.col("origins")
                .list.explode(keep_nulls=False, empty_as_null=False)
                .unique()
                .sort()
                .str.join(", ")
                .alias("origin")
            )
        )
        for (table, column), group in matched.group_by("table", "column", maintain_order=True):
            total, listed = self.hits.get((str(table), str(column)), (0, []))
            room = self.options.max_listed - len(listed)
            listed += list(
                zip(
                    group.get_column(KEY).head(max(room, 0)),
                    group.get_column("origin").head(max(room, 0)),
                    strict=True,
                )
            )
            self.hits[(str(table), str(column))] = (total + group.height, listed)

    def finish(self, out: Collector) -> None:
        self._scan()
        for (table, column), (total, listed) in self.hits.items():
            for key, origin in listed:
                out.add(CHECK, table, column, key, f"contains a source value of {origin} (PII re-scan).")
            if total > len(listed):
                out.add(
                    CHECK,
                    table,
                    column,
                    None,
                    f"contains source values of masked columns (PII re-scan): "
                    f"{total - len(listed):,} more rows not listed; {total:,} in all.",
                )
