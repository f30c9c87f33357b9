"""redact: overwrite every character with a fill character, keeping the length (or a fixed text)."""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel, Field

from maskpipe.maskers.base import MaskContext, Masker, Params, keep_nulls, single
from maskpipe.steps import Steps


class RedactParams(Params):
    char: str = Field("*", min_length=1, max_length=1, description="fill character")
    keep_length: bool = Field(True, description="same number of characters as the input; else `text`")
    text: str = Field("[REDACTED]", description="replacement when keep_length is false")


class Redact(Masker):
    """Replace text by fill characters of the same length, or by a fixed marker.

    Example: `secret_answer: {masker: redact}` -> "Fluffy" becomes "******".
    """

    name = "redact"
    summary = "overwrite text with a fill character (same length) or a fixed marker"
    accepts = frozenset({"string"})
    Params = RedactParams
    per_distinct = False
    example = ({}, "Fluffy", "******")

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        assert isinstance(params, RedactParams)
        if params.keep_length:
            return single(keep_nulls(value, pl.lit("").str.pad_start(value.str.len_chars(), params.char)))
        return single(keep_nulls(value, pl.lit(params.text)))


MASKER = Redact()
