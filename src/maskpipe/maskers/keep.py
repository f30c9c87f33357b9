"""keep: explicit pass-through, for columns a reviewer decided are not identifying."""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel

from maskpipe.maskers.base import ALL_FAMILIES, MaskContext, Masker, single
from maskpipe.steps import Steps


class Keep(Masker):
    """Copy the column unchanged; says "reviewed, not PII" where leaving a column out would not.

    Example: `email_verified: {masker: keep}` -> true stays true.
    """

    name = "keep"
    summary = "explicit pass-through (reviewed, not identifying)"
    accepts = ALL_FAMILIES
    uniqueness = "bijective"
    per_distinct = False
    example = ({}, "2024-01-31", "2024-01-31")

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        return single(value)


MASKER = Keep()
