"""Shared by the dictionary maskers (names, street addresses, cities): the mapping key and case pattern.

Not a masker itself (it has no MASKER), so the registry does not list it.
"""

from __future__ import annotations

import polars as pl
from pydantic import Field

from maskpipe import dictionaries
from maskpipe.hashing import pick
from maskpipe.maskers.base import Params, keep_nulls


def folded(value: pl.Expr) -> pl.Expr:
    """The text a dictionary masker maps: trimmed, inner whitespace runs collapsed, lower-cased.

    So "ANNA", "anna" and " Anna " map to the same output (in their own case pattern).
    """
    return value.str.strip_chars().str.replace_all(r"\s+", " ").str.to_lowercase()


def choose(digest: pl.Expr, lane_no: int, kind: str, locale: str) -> pl.Expr:
    """A keyed pick from dictionary `kind` (with its locale fallback), one 64-bit lane per pick."""
    values = dictionaries.load(kind, locale)
    return pl.lit(pl.Series(values, dtype=pl.String)).gather(pick(digest, lane_no, len(values)))


def finish(value: pl.Expr, key_text: pl.Expr, masked: pl.Expr) -> pl.Expr:
    """Lay the input's case pattern over `masked`; nulls stay null, empty or blank text stays as it is.

    ALL-CAPS input gives ALL-CAPS output and all-lower input all-lower output; any other pattern keeps
    the dictionary's own spelling ("Anna", "van Dijk").
    """
    upper = (value == value.str.to_uppercase()) & (value != value.str.to_lowercase())
    lower = (value == value.str.to_lowercase()) & (value != value.str.to_uppercase())
    cased = (
        pl.when(upper)
        .then(masked.str.to_uppercase())
        .when(lower)
        .then(masked.str.to_lowercase())
        .otherwise(masked)
    )
    # Blank text carries nothing to hide and often means "none given": it is kept, so "" stays "".
    return keep_nulls(value, pl.when(key_text == "").then(value).otherwise(cased))


class LocaleParams(Params):
    locale: str = Field(
        "en",
        description="dictionary locale (e.g. nl, de_DE); falls back to the language, then to en",
    )
