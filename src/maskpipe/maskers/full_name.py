"""full_name: a keyed "First Last" from the locale's dictionaries, case pattern kept."""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel

from maskpipe.hashing import hmac_hex
from maskpipe.maskers._words import LocaleParams, choose, finish, folded
from maskpipe.maskers.base import MaskContext, Masker, single
from maskpipe.steps import Steps


class FullNameParams(LocaleParams):
    pass


class FullName(Masker):
    """Replace a whole name by "First Last", both picked from one keyed digest (two independent lanes).

    Example: `display_name: {masker: full_name, params: {locale: de}}` -> "Anna  Maria Schmidt" becomes
    e.g. "Lukas Becker"; "ANNA MARIA SCHMIDT" becomes "LUKAS BECKER". The whole trimmed, lower-cased
    value (inner whitespace collapsed) is the mapping key, so the output's first name does not follow
    the input's first name: "Anna Schmidt" and "Anna Weber" get unrelated first names, and the output
    differs from what `first_name` gives for "Anna" alone (another masker, another mapping domain).
    """

    name = "full_name"
    summary = 'keyed "First Last" from locale dictionaries; case pattern kept'
    accepts = frozenset({"string"})
    Params = FullNameParams
    uniqueness = "no"
    mapping_params = ("locale",)
    example = ({"locale": "de"}, "Anna Schmidt", 'a German "First Last"')

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        assert isinstance(params, FullNameParams)
        key_text = folded(value)
        digest = hmac_hex(key_text, ctx.subkey)
        first = choose(digest, 0, "first_names", params.locale)
        last = choose(digest, 1, "last_names", params.locale)
        return single(finish(value, key_text, pl.concat_str([first, pl.lit(" "), last])))


MASKER = FullName()
