"""postal_code: layout and letter positions kept, digits permuted, letters shifted by a keyed pad."""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel

from maskpipe.maskers import _shape
from maskpipe.maskers.base import MaskContext, Masker, NoParams
from maskpipe.steps import OUTPUT, Steps


class PostalCode(Masker):
    """Mask a postal code keeping its layout: digits permuted, letters mapped to letters, bijectively.

    Example: "1012 AB" -> "dddd LL" (e.g. "7340 XQ"), "SW11 9OV" -> "LLdd dLL", "14829-1665" ->
    "ddddd-dddd". Every ASCII digit stays a digit and every ASCII letter a letter of the same case, in
    the same place; spaces, dashes and other characters are kept. The digits go through the keyed digit
    permutation (fpe.permute_digits) tweaked by the layout and the letters; the letters are then moved
    along the alphabet (A-Z, wrapping) by a keyed pad derived from the masked digits, so the map is a
    bijection (a UNIQUE column stays unique) and letters and digits both depend on the whole code.
    Letters are mapped A-Z without regard to national rules, so a UK or Canadian code keeps its shape
    but may name an area that does not exist; a code without digits has its letters shifted by one pad
    per layout (consistent, keyed, but not mixed with other characters). Non-ASCII letters are kept.
    """

    name = "postal_code"
    summary = "postal code with layout kept: digits permuted, letters mapped A-Z (bijective)"
    accepts = frozenset({"string"})
    Params = NoParams
    uniqueness = "bijective"
    example = ({}, "1012 AB", "dddd LL in the same layout, e.g. 7340 XQ")

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        return _shape.scramble_steps(value, ctx, pl.lit("postal"), OUTPUT, "_pc")


MASKER = PostalCode()
