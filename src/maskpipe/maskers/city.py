"""city: a keyed city name from the locale's dictionary, case pattern kept."""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel

from maskpipe.hashing import hmac_hex
from maskpipe.maskers._words import LocaleParams, choose, finish, folded
from maskpipe.maskers.base import MaskContext, Masker, single
from maskpipe.steps import Steps


class CityParams(LocaleParams):
    pass


class City(Masker):
    """Replace a city by one from the locale's city dictionary, the same in every table and run.

    Example: `city: {masker: city, params: {locale: nl}}` -> "Utrecht" becomes e.g. "Zwolle" and
    "UTRECHT" becomes "ZWOLLE" (mapping on the trimmed, lower-cased value; case pattern kept). Output
    cities are keyed picks from a list of a hundred or more, unrelated to where the person lives.
    """

    name = "city"
    summary = "keyed city name from a locale dictionary; case pattern kept"
    accepts = frozenset({"string"})
    Params = CityParams
    uniqueness = "no"
    mapping_params = ("locale",)
    example = ({"locale": "nl"}, "Utrecht", "a Dutch city name")

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        assert isinstance(params, CityParams)
        key_text = folded(value)
        digest = hmac_hex(key_text, ctx.subkey)
        return single(finish(value, key_text, choose(digest, 0, "cities", params.locale)))


MASKER = City()
