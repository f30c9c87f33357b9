"""Masking as a list of expression steps, and the one executor that runs them over a column.

A masker's work is a list of steps; each step is a dict of named Polars expressions applied as one
`with_columns`, so later steps can refer to earlier results by name. Most maskers need one step; a
Feistel network needs one per round, because a single nested expression would repeat every earlier
round inside each later one. Step expressions see the masked column as `pl.col(INPUT)` and must
leave the result in `OUTPUT`.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

INPUT = "__mp_in"
OUTPUT = "__mp_out"

# A step is named expressions (one `with_columns`) or, for work on a subset of rows (a rare case that
# is costly, like per-letter case patterns), a function of the whole working frame.
Step = dict[str, pl.Expr] | Callable[[pl.LazyFrame], pl.LazyFrame]
Steps = list[Step]


def apply_steps(work: pl.LazyFrame, steps: Steps) -> pl.LazyFrame:
    for step in steps:
        work = work.with_columns(**step) if isinstance(step, dict) else step(work)
    return work


def row_input(column: str) -> str:
    """Working-frame name of a sibling column's source value (for maskers with needs_columns)."""
    return f"__mp_row_in:{column}"


def row_output(column: str) -> str:
    """Working-frame name of a sibling column's value after its own masker."""
    return f"__mp_row_out:{column}"


def run_steps(
    frame: pl.LazyFrame,
    column: str,
    steps: Steps,
    per_distinct: bool,
    out_dtype: pl.DataType,
    extra: tuple[str, ...] = (),
) -> pl.LazyFrame:
    """Replace `column` in `frame` by the steps' OUTPUT, evaluated per distinct value when asked.

    Per distinct value, cost follows the number of distinct values, not rows; the result is joined
    back on the value (nulls join to nulls), so row order and batch boundaries cannot change it.
    `extra` columns of `frame` are visible to the steps; per distinct, the distinct unit is then the
    value together with them.
    """
    if not per_distinct:
        work = apply_steps(frame.with_columns(pl.col(column).alias(INPUT)), steps)
        return work.with_columns(pl.col(OUTPUT).cast(out_dtype).alias(column)).select(
            frame.collect_schema().names()
        )
    distinct = apply_steps(frame.select(pl.col(column).alias(INPUT), *extra).unique(), steps)
    mapping = distinct.select(INPUT, *extra, pl.col(OUTPUT).cast(out_dtype))
    joined = frame.join(
        mapping,
        left_on=[column, *extra],
        right_on=[INPUT, *extra],
        how="left",
        nulls_equal=True,
        maintain_order="left",
    )
    return joined.with_columns(pl.col(OUTPUT).alias(column)).select(frame.collect_schema().names())
