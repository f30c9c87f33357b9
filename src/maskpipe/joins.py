"""Relationships the database does not declare: propose likely virtual FKs for the user to confirm.

Candidates come from column names (the same identifier-like name in two tables, or `<table>_id`
pointing at a table's key), confirmed by value overlap on a sample: the share of the referencing
column's distinct sampled values that appear among the referenced column's sampled values.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import polars as pl
import pyarrow as pa

from maskpipe.extract.base import Source
from maskpipe.model import TableInfo

IDENTIFIER_HINTS = ("email", "mail", "phone", "ssn", "iban", "uuid", "code", "ref", "number", "_id", "id")


@dataclass(frozen=True)
class ProposedForeignKey:
    table: str
    column: str
    ref_table: str
    ref_column: str
    evidence: str
    overlap: float

    def as_rule(self) -> str:
        return f"  - {{columns: [{self.column}], references: {self.ref_table}, ref_columns: [{self.ref_column}]}}"


def _singular(name: str) -> str:
    return name[:-1] if name.endswith("s") else name


def _candidates(tables: list[TableInfo]) -> list[tuple[TableInfo, str, TableInfo, str, str]]:
    declared = {
        (t.qualified, c, fk.ref_table, r)
        for t in tables
        for fk in t.foreign_keys
        for c, r in zip(fk.columns, fk.ref_columns, strict=True)
    }
    out = []
    for a, b in itertools.permutations(tables, 2):
        keys_b = {k[0] for k in (b.primary_key, *b.unique) if len(k) == 1}
        for col in a.columns:
            name = col.name.lower()
            for ref in keys_b:
                reason = None
                if (
                    name == ref.lower()
                    and any(h in name for h in IDENTIFIER_HINTS)
                    and ref not in a.primary_key
                ):
                    reason = f"same column name '{col.name}'"
                elif name in (
                    f"{_singular(b.name).lower()}_{ref.lower()}",
                    f"{_singular(b.name).lower()}{ref.lower()}",
                ):
                    reason = f"name '{col.name}' = {b.name} + key '{ref}'"
                if reason and (a.qualified, col.name, b.qualified, ref) not in declared:
                    out.append((a, col.name, b, ref, reason))
    return out


def _sample(source: Source, table: TableInfo, column: str, rows: int) -> pl.Series:
    reader = iter(source.read_batches(table, rows))
    batch = next(reader, None)
    close = getattr(reader, "close", None)
    if close:
        close()
    if batch is None:
        return pl.Series(column, [], dtype=pl.String)
    values = pl.from_arrow(pa.Table.from_batches([batch]).select([column])).get_column(column)
    assert isinstance(values, pl.Series)
    # Compare as case-folded text: emails that differ only in case still refer to one person.
    text = values.cast(pl.String, strict=False).drop_nulls()
    return text.str.to_lowercase().unique()


def propose_virtual_fks(
    source: Source, tables: list[TableInfo], sample_rows: int = 5_000, min_overlap: float = 0.5
) -> list[ProposedForeignKey]:
    """Likely undeclared FKs, each with its evidence and the measured overlap on a sample."""
    proposals = []
    for a, col, b, ref, reason in _candidates(tables):
        left = _sample(source, a, col, sample_rows)
        right = _sample(source, b, ref, sample_rows)
        if left.len() == 0:
            continue
        overlap = float(left.is_in(right.implode()).mean() or 0.0)
        if overlap >= min_overlap:
            proposals.append(
                ProposedForeignKey(
                    a.qualified,
                    col,
                    b.qualified,
                    ref,
                    f"{reason}; {overlap:.0%} of sampled values found",
                    overlap,
                )
            )
    return proposals
