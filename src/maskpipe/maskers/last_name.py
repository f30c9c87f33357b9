"""last_name: a keyed last name from the locale's dictionary, case pattern kept."""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel

from maskpipe.hashing import hmac_hex
from maskpipe.maskers._words import LocaleParams, choose, finish, folded
from maskpipe.maskers.base import MaskContext, Masker, single
from maskpipe.steps import Steps


class LastNameParams(LocaleParams):
    pass


class LastName(Masker):
    """Replace a last name by one from the locale's last-name dictionary, the same in every run.

    Example: `family_name: {masker: last_name, params: {locale: nl}}` -> "Jansen" becomes e.g. "Visser",
    "JANSEN" becomes "VISSER" and "jansen" becomes "visser": the mapping is computed on the trimmed,
    lower-cased value, then the input's case pattern (all-caps, all-lower, else the dictionary's
    spelling) is applied. A few hundred names cannot keep a column unique.
    """

    name = "last_name"
    summary = "keyed last name from a locale dictionary; case pattern kept"
    accepts = frozenset({"string"})
    Params = LastNameParams
    uniqueness = "no"
    mapping_params = ("locale",)
    example = ({"locale": "nl"}, "JANSEN", "a Dutch last name in capitals")

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        assert isinstance(params, LastNameParams)
        key_text = folded(value)
        digest = hmac_hex(key_text, ctx.subkey)
        return single(finish(value, key_text, choose(digest, 0, "last_names", params.locale)))


MASKER = LastName()
