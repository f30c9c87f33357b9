"""first_name: a keyed first name from the locale's dictionary, case pattern kept."""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel

from maskpipe.hashing import hmac_hex
from maskpipe.maskers._words import LocaleParams, choose, finish, folded
from maskpipe.maskers.base import MaskContext, Masker, single
from maskpipe.steps import Steps


class FirstNameParams(LocaleParams):
    pass


class FirstName(Masker):
    """Replace a first name by one from the locale's first-name dictionary, the same in every run.

    Example: `given_name: {masker: first_name, params: {locale: nl}}` -> "Anna" becomes e.g. "Sanne",
    "ANNA" becomes "SANNE" and "anna" becomes "sanne": the mapping is computed on the trimmed,
    lower-cased value, then the input's case pattern (all-caps, all-lower, else the dictionary's
    spelling) is applied. A few hundred names cannot keep a column unique.
    """

    name = "first_name"
    summary = "keyed first name from a locale dictionary; case pattern kept"
    accepts = frozenset({"string"})
    Params = FirstNameParams
    uniqueness = "no"
    mapping_params = ("locale",)
    example = ({"locale": "nl"}, "ANNA", "a Dutch first name in capitals")

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        assert isinstance(params, FirstNameParams)
        key_text = folded(value)
        digest = hmac_hex(key_text, ctx.subkey)
        return single(finish(value, key_text, choose(digest, 0, "first_names", params.locale)))


MASKER = FirstName()
