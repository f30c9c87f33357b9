"""street_address: a keyed house number and street in the locale's usual order, case pattern kept."""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel, Field

from maskpipe import dictionaries
from maskpipe.hashing import hmac_hex, pick
from maskpipe.maskers._words import LocaleParams, choose, finish, folded
from maskpipe.maskers.base import MaskContext, Masker, single
from maskpipe.steps import Steps

# Street dictionaries of these locales hold bare names ("Maple") that take a suffix ("Street") and
# come after the number; the others hold full names ("Kerkstraat") that come before it.
NUMBER_FIRST_LOCALES = frozenset({"en"})


class StreetAddressParams(LocaleParams):
    max_house_number: int = Field(
        200, ge=1, le=99_999, description="house numbers are drawn from 1..max_house_number"
    )


class StreetAddress(Masker):
    """Replace a street address line by a keyed street and house number from the locale's dictionary.

    Example: `address_line: {masker: street_address, params: {locale: nl}}` -> "Dorpsstraat 5 A" becomes
    e.g. "Kerkstraat 12"; with locale en it becomes e.g. "12 Maple Street" (number, street, suffix).
    Locales without their own street list fall back to en and its format. The mapping is on the whole
    trimmed, lower-cased line (inner whitespace collapsed); ALL-CAPS and all-lower inputs keep their case.
    Postcodes, box numbers and additions in the input are not kept: mask those columns on their own.
    """

    name = "street_address"
    summary = "keyed street and house number from a locale dictionary; case pattern kept"
    accepts = frozenset({"string"})
    Params = StreetAddressParams
    uniqueness = "no"
    mapping_params = ("locale", "max_house_number")
    example = ({"locale": "en"}, "221B Baker Street", '"<number> <street> <suffix>", e.g. "12 Maple Street"')

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        assert isinstance(params, StreetAddressParams)
        key_text = folded(value)
        digest = hmac_hex(key_text, ctx.subkey)
        street = choose(digest, 0, "streets", params.locale)
        number = (pick(digest, 2, params.max_house_number) + 1).cast(pl.String)
        if dictionaries.resolve_locale("streets", params.locale) in NUMBER_FIRST_LOCALES:
            suffix = choose(digest, 1, "street_suffixes", params.locale)
            line = pl.concat_str([number, pl.lit(" "), street, pl.lit(" "), suffix])
        else:
            line = pl.concat_str([street, pl.lit(" "), number])
        return single(finish(value, key_text, line))


MASKER = StreetAddress()
