"""partial: keep the first and last few characters, mask the middle (not keyed)."""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel, Field

from maskpipe.maskers.base import MaskContext, Masker, Params, keep_nulls, single
from maskpipe.steps import Steps


class PartialParams(Params):
    keep_first: int = Field(0, ge=0, le=1000, description="leading characters shown as they are")
    keep_last: int = Field(4, ge=0, le=1000, description="trailing characters shown as they are")
    char: str = Field("*", min_length=1, max_length=1, description="fill character for the masked part")


class Partial(Masker):
    """Show the first keep_first and last keep_last characters; every other character becomes `char`.

    Example: `card_number: {masker: partial, params: {keep_last: 4}}` -> "4111111111111111" becomes
    "************1111". When a value has keep_first + keep_last characters or fewer, showing them
    would reveal the whole value, so every character is masked ("1234" -> "****" with keep_last 4).
    The length is kept (counted in characters, not bytes); "" stays "". Not keyed: the visible part is
    the input's own, so use it only where those characters alone do not identify anyone.
    """

    name = "partial"
    summary = "keep first/last characters, mask the middle; fully masked when that would reveal all"
    accepts = frozenset({"string"})
    Params = PartialParams
    uniqueness = "no"
    per_distinct = False
    example = ({"keep_last": 4}, "4111111111111111", "************1111")

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        assert isinstance(params, PartialParams)
        length = value.str.len_chars()
        shown = params.keep_first + params.keep_last
        partly = pl.concat_str(
            [
                value.str.head(params.keep_first),
                _fill(length - shown, params.char),
                value.str.tail(params.keep_last),
            ]
        )
        masked = pl.when(length > shown).then(partly).otherwise(_fill(length, params.char))
        return single(keep_nulls(value, masked))


def _fill(count: pl.Expr, char: str) -> pl.Expr:
    """`count` copies of `char` (Polars 2.1 has no str.repeat; padding "" counts characters alike)."""
    return pl.lit("").str.pad_end(count, char)


MASKER = Partial()
