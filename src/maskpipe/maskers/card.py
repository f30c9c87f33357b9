"""card: payment card numbers with the network digit, length, grouping and Luhn validity kept; bijective."""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel, Field

from maskpipe.maskers import _shape
from maskpipe.maskers.base import MaskContext, Masker, Params
from maskpipe.steps import OUTPUT, Steps

# ISO/IEC 7812 numbers have 8 to 19 digits; from 12 on a value is read as a card number.
MIN_CARD_DIGITS = 12
MAX_CARD_DIGITS = 19


class CardParams(Params):
    keep_prefix: int = Field(
        1,
        ge=0,
        le=8,
        description="leading digits kept: 1 keeps the network (4 Visa, 5 Mastercard, 3 Amex), "
        "6 the issuer (BIN)",
    )


class Card(Masker):
    """Permute the middle digits of a card number, recompute the Luhn check digit, keep the grouping.

    Example: "4111 1111 1111 1111" -> "4<14 permuted digits><Luhn digit>" as "4ddd dddd dddd dddd".
    Values with 12 to 19 digits keep their first `keep_prefix` digits; the digits between them and the
    last one go through the keyed digit permutation (fpe.permute_digits, tweaked by the kept prefix),
    and the last digit becomes the Luhn check digit of the new number plus the input's own Luhn error
    (modulo 10). A Luhn-valid number therefore stays Luhn-valid, an invalid one stays invalid by the
    same amount, and the whole map is a bijection: a UNIQUE column stays unique. Other values (fewer or
    more digits) have all digits permuted. Spaces and dashes stay in place; ASCII letters are shifted
    by a keyed pad (case kept).
    """

    name = "card"
    summary = (
        "card number: network digit, length, grouping and Luhn validity kept; middle permuted (bijective)"
    )
    accepts = frozenset({"string"})
    Params = CardParams
    uniqueness = "bijective"
    mapping_params = ("keep_prefix",)
    example = ({}, "4111 1111 1111 1111", "4ddd dddd dddd dddd, Luhn-valid")

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        assert isinstance(params, CardParams)
        digits = pl.col("_cd_digits")
        count = digits.str.len_chars().cast(pl.Int64)
        is_card = (count >= MIN_CARD_DIGITS) & (count <= MAX_CARD_DIGITS)
        keep = params.keep_prefix
        head = pl.when(is_card).then(pl.lit(keep)).otherwise(pl.lit(0))
        # The middle: between the kept prefix and the check digit (cards), or every digit (others).
        middle = (
            pl.when(is_card)
            .then(digits.str.slice(keep, pl.max_horizontal(count - keep - 1, 0)))
            .otherwise(digits)
        )
        tweak = pl.when(is_card).then("card:" + digits.str.slice(0, keep)).otherwise(pl.lit("other"))
        steps: Steps = [
            {
                "_cd_digits": _shape.digits_of(value),
                "_cd_skel": _shape.skeleton(value),
                "_cd_letters": _shape.letters_of(value),
            },
            {"_cd_is_card": is_card, "_cd_middle": middle, "_cd_tweak": tweak, "_cd_head": head},
        ]
        steps += _shape.permute_steps("_cd_middle", "_cd_pmiddle", ctx, "_cd_tweak", "_cd")
        payload = digits.str.slice(0, pl.col("_cd_head")) + pl.col("_cd_pmiddle")
        steps.append({"_cd_payload": payload})
        # Keep the input's Luhn error: check' = luhn(payload') + (check - luhn(payload)) mod 10.
        old_check = digits.str.slice(-1).str.to_integer(base=10, dtype=pl.Int64, strict=False)
        old_payload = digits.str.slice(0, pl.max_horizontal(count - 1, 0))
        # Payloads as integers, each in a column of its own: the Luhn sum reads them once per digit.
        steps.append(
            {
                "_cd_old_number": pl.when(pl.col("_cd_is_card")).then(_as_number(old_payload)),
                "_cd_new_number": pl.when(pl.col("_cd_is_card")).then(_as_number(pl.col("_cd_payload"))),
            }
        )
        error = (old_check - _shape.luhn_check_digit(pl.col("_cd_old_number"))) % 10
        new_check = ((_shape.luhn_check_digit(pl.col("_cd_new_number")) + error) % 10).cast(pl.String)
        new_digits = (
            pl.when(pl.col("_cd_is_card"))
            .then(pl.col("_cd_payload") + new_check)
            .otherwise(pl.col("_cd_payload"))
        )
        steps.append({"_cd_new": new_digits})
        steps += _shape.fill_layout_steps("_cd_skel", "_cd_new", "_cd_letters", OUTPUT, ctx, "_cd")
        return steps


def _as_number(digits: pl.Expr) -> pl.Expr:
    return digits.str.to_integer(base=10, dtype=pl.UInt64, strict=False)


MASKER = Card()
