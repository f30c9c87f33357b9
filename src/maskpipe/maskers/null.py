"""null: replace every value by NULL (only for nullable columns; rule checks refuse NOT NULL ones)."""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel

from maskpipe.maskers.base import ALL_FAMILIES, MaskContext, Masker, single
from maskpipe.steps import Steps


class Null(Masker):
    """Drop the value entirely.

    Example: `fax: {masker: null}` -> "+31 20 555 0101" becomes NULL.
    """

    name = "null"
    summary = "replace every value by NULL"
    accepts = ALL_FAMILIES
    per_distinct = False
    example = ({}, "+31 20 555 0101", "NULL")

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        return single(pl.lit(None, dtype=dtype))


MASKER = Null()
