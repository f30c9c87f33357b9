"""The one streaming pass of validation: both ends read batch by batch into per-row fingerprints on disk.

Every table of the source and of the copy becomes a Parquet file of 64-bit xxh3 fingerprints, one row per
table row: the row's pairing key, each masked column's value, each masked column's value re-masked with
the key (source only), the FK/referenced column tuples, and one fingerprint of all unmasked columns.
The checks then compare these files with DuckDB, which spills to disk, so memory stays bounded by one
batch whatever the table size. xxh3 is not a secret function; it only has to make accidental equality
unlikely (2^-64 per comparison). No data value is written, only fingerprints and printable row keys.

Rows pair by primary key. Where the PK itself is masked, the source side pairs by the PK re-masked with
the key, which is what the copy's PK must be.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb
import polars as pl
import polars_hash  # noqa: F401  (registers the .nchash namespace)
import pyarrow as pa
import pyarrow.parquet as pq

from maskpipe.extract.base import Source
from maskpipe.hashing import MaskingKey, canonical_text
from maskpipe.model import ForeignKey, TableInfo
from maskpipe.plan import ColumnPlan, MaskPlan, TablePlan, polars_dtype
from maskpipe.transform import masked_lazyframe
from maskpipe.validate.findings import Collector

KEY, PAIR, REST = "__key", "__pair", "__rest"
_SEP = "\x1f"
_NULL = "\x00null\x00"  # stands for a null inside a multi-column fingerprint that must not be null


_NO_PAIR = pl.lit(None, dtype=pl.UInt64)  # rows of a table without a usable key do not pair


def canon(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A stable text form of any value (nested ones as JSON); null stays null."""
    if isinstance(dtype, pl.List | pl.Array | pl.Struct):
        return pl.when(expr.is_null()).then(None).otherwise(pl.struct(expr.alias("v")).struct.json_encode())
    if dtype == pl.Categorical or isinstance(dtype, pl.Enum) or dtype == pl.Null:
        return expr.cast(pl.String)
    return canonical_text(expr, dtype)


def fingerprint(parts: list[tuple[pl.Expr, pl.DataType]], nulls_are_values: bool = False) -> pl.Expr:
    """xxh3_64 of one or more values. With nulls_are_values=False a null anywhere makes the result null
    (SQL's rule for keys); with True a null is fingerprinted as a value of its own."""
    texts = [canon(e, d) for e, d in parts]
    if nulls_are_values:
        texts = [t.fill_null(_NULL) for t in texts]
    text = texts[0] if len(texts) == 1 else pl.concat_str(texts, separator=_SEP)
    return text.nchash.xxh3_64()


@dataclass(frozen=True)
class MaskedColumn:
    index: int
    plan: ColumnPlan
    src_dtype: pl.DataType
    dst_dtype: pl.DataType

    @property
    def name(self) -> str:
        return self.plan.column

    @property
    def deterministic(self) -> bool:
        return self.plan.impl.deterministic

    @property
    def is_text(self) -> bool:
        return self.src_dtype == pl.String and self.dst_dtype == pl.String


@dataclass
class TableSpec:
    """What is compared for one table present at both ends."""

    index: int
    plan: TablePlan
    src: TableInfo
    dst: TableInfo
    src_dtypes: dict[str, pl.DataType]
    dst_dtypes: dict[str, pl.DataType]
    masked: tuple[MaskedColumn, ...]
    pk: tuple[str, ...]  # empty: rows cannot be paired
    pk_masked: bool
    rest: tuple[str, ...]  # unmasked columns compared as one fingerprint
    join_keys: list[tuple[str, ...]] = field(default_factory=list)
    src_rows: int = 0
    dst_rows: int = 0
    src_path: Path = Path()
    dst_path: Path = Path()

    @property
    def table(self) -> str:
        return self.src.qualified

    def join_key(self, columns: tuple[str, ...]) -> int | None:
        """Index of this column tuple's fingerprint column ("j{index}"), or None if it cannot be read."""
        if any(c not in self.src_dtypes or c not in self.dst_dtypes for c in columns):
            return None
        if columns not in self.join_keys:
            self.join_keys.append(columns)
        return self.join_keys.index(columns)

    # -- spill rows -------------------------------------------------------------------------------------
    def _key_expr(self, offset: int, dtypes: dict[str, pl.DataType]) -> pl.Expr:
        if self.pk and not self.pk_masked:
            # PK values are printable only because the PK is not masked (they are the copy's values too).
            parts = [pl.lit(f"{c}=") + canon(pl.col(c), dtypes[c]).fill_null("NULL") for c in self.pk]
            return pl.concat_str(parts, separator=", ")
        return pl.lit("row ") + pl.int_range(offset + 1, offset + 1 + pl.len(), dtype=pl.Int64).cast(
            pl.String
        )

    def source_spill(self, frame: pl.DataFrame, key: MaskingKey, offset: int) -> pl.DataFrame:
        det = [m for m in self.masked if m.deterministic]
        work = frame
        if det:
            # The run's own path (transform.mask_batch): every rule of the table at once, so maskers that
            # read sibling columns see them; materialised per column to keep the plan small. Compared
            # in the copy's types: a sink may widen or narrow a masked column's type.
            rules = tuple(c for c in self.plan.columns if c.column in frame.columns)
            remasked = masked_lazyframe(frame.lazy(), rules, key, collect_each=True).select(
                pl.col(m.name).cast(m.dst_dtype, strict=False).alias(f"__e_{m.name}") for m in det
            )
            work = frame.hstack(remasked.collect().get_columns())
        masked_names = {m.name for m in det}
        exprs: dict[str, pl.Expr] = {KEY: self._key_expr(offset, self.src_dtypes)}
        if self.pk:
            exprs[PAIR] = fingerprint(
                [
                    (pl.col(f"__e_{c}"), self.dst_dtypes[c])
                    if c in masked_names
                    else (pl.col(c), self.src_dtypes[c])
                    for c in self.pk
                ]
            )
        else:
            exprs[PAIR] = _NO_PAIR
        exprs[REST] = self._rest_fp(self.src_dtypes)
        for m in self.masked:
            source_value = pl.col(m.name)
            if m.src_dtype != m.dst_dtype:
                source_value = source_value.cast(m.dst_dtype, strict=False)
            exprs[f"m{m.index}"] = fingerprint([(source_value, m.dst_dtype)])
            if m.deterministic:
                exprs[f"e{m.index}"] = fingerprint([(pl.col(f"__e_{m.name}"), m.dst_dtype)])
        for k, cols in enumerate(self.join_keys):
            exprs[f"j{k}"] = fingerprint([(pl.col(c), self.src_dtypes[c]) for c in cols])
        return work.select(**exprs)

    def dest_spill(self, frame: pl.DataFrame, offset: int) -> pl.DataFrame:
        exprs: dict[str, pl.Expr] = {KEY: self._key_expr(offset, self.dst_dtypes)}
        exprs[PAIR] = fingerprint([(pl.col(c), self.dst_dtypes[c]) for c in self.pk]) if self.pk else _NO_PAIR
        exprs[REST] = self._rest_fp(self.dst_dtypes)
        for m in self.masked:
            exprs[f"m{m.index}"] = fingerprint([(pl.col(m.name), m.dst_dtype)])
        for k, cols in enumerate(self.join_keys):
            exprs[f"j{k}"] = fingerprint([(pl.col(c), self.dst_dtypes[c]) for c in cols])
        return frame.select(**exprs)

    def _rest_fp(self, dtypes: dict[str, pl.DataType]) -> pl.Expr:
        if not self.rest:
            return pl.lit(None, dtype=pl.UInt64)
        return fingerprint([(pl.col(c), dtypes[c]) for c in self.rest], nulls_are_values=True)

    def spill_schema(self, source: bool) -> pa.Schema:
        fields = [pa.field(KEY, pa.string()), pa.field(PAIR, pa.uint64()), pa.field(REST, pa.uint64())]
        for m in self.masked:
            fields.append(pa.field(f"m{m.index}", pa.uint64()))
            if source and m.deterministic:
                fields.append(pa.field(f"e{m.index}", pa.uint64()))
        fields += [pa.field(f"j{k}", pa.uint64()) for k in range(len(self.join_keys))]
        return pa.schema(fields)


def holdable_dtypes(table: TableInfo) -> dict[str, pl.DataType]:
    """Columns Polars can hold, by the type they arrive as; generated columns are never read."""
    out: dict[str, pl.DataType] = {}
    for c in table.columns:
        if c.generated:
            continue
        dtype = polars_dtype(c.arrow_type)
        if dtype is not None:
            out[c.name] = dtype
    return out


def build_specs(plan: MaskPlan, dst_tables: dict[str, TableInfo], collector: Collector) -> list[TableSpec]:
    """One spec per planned table the copy has; what cannot be compared is said in the notes."""
    specs: list[TableSpec] = []
    for table_plan in plan.tables:
        src = table_plan.table
        dst = dst_tables.get(src.qualified)
        if dst is None:
            continue  # reported by the structure check
        src_dtypes, dst_dtypes = holdable_dtypes(src), holdable_dtypes(dst)
        masked: list[MaskedColumn] = []
        for col in table_plan.columns:
            if col.masker == "keep" or col.column not in dst_dtypes or col.column not in src_dtypes:
                continue
            masked.append(MaskedColumn(len(masked), col, src_dtypes[col.column], dst_dtypes[col.column]))
        masked_names = {m.name for m in masked}
        pk = src.primary_key
        pk_masked = any(c in masked_names for c in pk)
        unpairable = [c for c in pk if c not in dst_dtypes or c not in src_dtypes] or any(
            m.name in pk and not m.deterministic for m in masked
        )
        if pk and unpairable:
            collector.notes.append(
                f"{src.qualified}: rows are compared as sets, not pairs: its primary key "
                "cannot be read at both ends or is masked non-deterministically."
            )
            pk = ()
        rest: list[str] = []
        for name, dtype in src_dtypes.items():
            if name in masked_names or name not in dst_dtypes:
                continue
            if dst_dtypes[name] != dtype:
                collector.notes.append(
                    f"{src.qualified}.{name}: not compared with the source: its type differs "
                    f"({dtype} in the source, {dst_dtypes[name]} in the copy)."
                )
                continue
            rest.append(name)
        unread = [c.name for c in src.columns if not c.generated and c.name not in src_dtypes]
        if unread:
            collector.notes.append(
                f"{src.qualified}: columns {', '.join(unread)} have types the comparison "
                "cannot read; they are checked for presence only."
            )
        specs.append(
            TableSpec(
                len(specs),
                table_plan,
                src,
                dst,
                src_dtypes,
                dst_dtypes,
                tuple(masked),
                pk,
                pk_masked,
                tuple(rest),
            )
        )
    return specs


@dataclass(frozen=True)
class JoinEdge:
    fk: ForeignKey
    child: TableSpec
    child_key: int
    parent: TableSpec
    parent_key: int


def build_edges(plan: MaskPlan, specs: list[TableSpec], collector: Collector) -> list[JoinEdge]:
    """Declared and virtual FKs between compared tables; registers the column tuples to fingerprint."""
    by_name = {s.table: s for s in specs}
    edges: list[JoinEdge] = []
    for spec in specs:
        for fk in (*spec.src.foreign_keys, *plan.virtual_foreign_keys.get(spec.table, ())):
            parent = by_name.get(fk.ref_table)
            if parent is None:
                continue  # a skipped or missing table: structure reports the missing one
            a, b = spec.join_key(fk.columns), parent.join_key(fk.ref_columns)
            if a is None or b is None:
                collector.notes.append(
                    f"{spec.table}: join {fk.name or fk.columns} not compared: a column "
                    "cannot be read at both ends."
                )
                continue
            edges.append(JoinEdge(fk, spec, a, parent, b))
    return edges


class Observer(Protocol):
    """Sees every batch with its raw values (for samples and scans) and its spill rows (for row keys)."""

    def source_batch(self, spec: TableSpec, frame: pl.DataFrame, spill: pl.DataFrame) -> None: ...

    def dest_batch(self, spec: TableSpec, frame: pl.DataFrame, spill: pl.DataFrame) -> None: ...


def _frames(reader: Source, table: TableInfo, names: set[str], batch_rows: int) -> Iterator[pl.DataFrame]:
    for batch in reader.read_batches(table, batch_rows):
        wanted = [n for n in batch.schema.names if n in names]
        frame = pl.from_arrow(pa.Table.from_batches([batch]).select(wanted))
        assert isinstance(frame, pl.DataFrame)
        yield frame


def spill_side(
    reader: Source,
    spec: TableSpec,
    source: bool,
    key: MaskingKey,
    work_dir: Path,
    observers: list[Observer],
    batch_rows: int,
) -> None:
    """Stream one end of one table into its fingerprint file, feeding the observers on the way."""
    path = work_dir / ("src" if source else "dst") / f"{spec.index}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    schema = spec.spill_schema(source)
    table = spec.src if source else spec.dst
    names = set(spec.src_dtypes if source else spec.dst_dtypes)
    rows = 0
    # lz4, no dictionaries: fingerprints are random bits that nothing shrinks; row keys compress cheaply.
    with pq.ParquetWriter(path, schema, compression="lz4", use_dictionary=False) as writer:
        for frame in _frames(reader, table, names, batch_rows):
            spill = spec.source_spill(frame, key, rows) if source else spec.dest_spill(frame, rows)
            writer.write_table(spill.to_arrow().cast(schema))
            for obs in observers:
                if source:
                    obs.source_batch(spec, frame, spill)
                else:
                    obs.dest_batch(spec, frame, spill)
            rows += frame.height
    if source:
        spec.src_rows, spec.src_path = rows, path
    else:
        spec.dst_rows, spec.dst_path = rows, path


class BottomK:
    """The k rows with the smallest `order` (distinct by it), over a stream: a uniform, deterministic
    sample whose memory is bounded by k plus one batch."""

    def __init__(self, k: int, order: str = "__order", combine: list[pl.Expr] | None = None) -> None:
        # `combine` aggregates rows sharing an `order` value; by default the first one is kept.
        self.k, self.order, self.combine = k, order, combine
        self.frame: pl.DataFrame | None = None
        self.truncated = False

    def feed(self, df: pl.DataFrame) -> None:
        df = df.filter(pl.col(self.order).is_not_null())
        if self.frame is not None and self.frame.height >= self.k:
            threshold = self.frame.get_column(self.order).max()
            before = df.height
            df = df.filter(pl.col(self.order) <= threshold)
            self.truncated |= df.height < before
        if df.is_empty():
            return
        both = df if self.frame is None else pl.concat([self.frame, df], how="vertical_relaxed")
        if self.combine is None:
            both = both.unique(self.order, keep="first", maintain_order=True).sort(self.order)
        else:
            both = both.group_by(self.order).agg(self.combine).select(df.columns).sort(self.order)
        self.truncated |= both.height > self.k
        # Copied out: Polars' string views of kept rows would otherwise pin every batch's whole buffers.
        kept = pl.from_arrow(both.head(self.k).to_arrow(compat_level=pl.CompatLevel.oldest()))
        assert isinstance(kept, pl.DataFrame)
        self.frame = kept


def sql_file(path: Path) -> str:
    """A fingerprint file as a DuckDB table expression."""
    return "read_parquet('" + str(path).replace("'", "''") + "')"


def count_and_list(con: duckdb.DuckDBPyConnection, sql: str, limit: int) -> tuple[int, list[str]]:
    """(rows of the query, up to `limit` values of its one text column, in natural order)."""
    row = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()
    total = int(row[0]) if row else 0
    if not total:
        return 0, []
    listed = con.execute(f"SELECT k FROM ({sql}) q(k) ORDER BY length(k), k LIMIT {int(limit)}").fetchall()
    return total, [str(r[0]) for r in listed]
