"""constant: one fixed value for every non-null row (nulls stay null unless fill_nulls)."""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel

from maskpipe.maskers.base import MaskContext, Masker, Params, keep_nulls, single
from maskpipe.steps import Steps


class ConstantParams(Params):
    value: str | int | float | bool
    fill_nulls: bool = False


class Constant(Masker):
    """Replace every value by `value` (cast to the column's type); nulls stay null unless fill_nulls.

    Example: `country: {masker: constant, params: {value: "NL"}}` -> "BE" becomes "NL".
    """

    name = "constant"
    summary = "one fixed value for every row"
    accepts = frozenset({"string", "integer", "float", "decimal", "boolean", "date", "datetime"})
    Params = ConstantParams
    per_distinct = False
    example = ({"value": "NL"}, "BE", "NL")

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        assert isinstance(params, ConstantParams)
        fixed = pl.lit(params.value).cast(dtype)
        return single(fixed if params.fill_nulls else keep_nulls(value, fixed))

    def check_dtype(self, dtype: pl.DataType, params: BaseModel) -> str | None:
        problem = super().check_dtype(dtype, params)
        if problem is None:
            assert isinstance(params, ConstantParams)
            try:
                pl.select(pl.lit(params.value).cast(dtype, strict=True))
            except pl.exceptions.PolarsError:
                return f"constant value does not convert to the column's type {dtype}"
        return problem


MASKER = Constant()
