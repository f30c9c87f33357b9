"""iban: same country, length and layout; BBAN digits permuted, check digits recomputed; bijective."""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel

from maskpipe.maskers import _shape
from maskpipe.maskers.base import MaskContext, Masker, NoParams
from maskpipe.steps import OUTPUT, Steps

# ISO 13616: two letters, two check digits, a BBAN of up to 30 letters and digits.
IBAN_SHAPE = r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$"
# Letters count as two digits each (A=10 ... Z=35): at most 30*2 + 4 + 2 digits to reduce modulo 97.
MAX_NUMERIC = 66
_LETTERS = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
_LETTER_NUMBERS = [str(10 + i) for i in range(26)]
# France and Monaco: bank(5) branch(5) account(11, may hold letters) RIB key(2); letters count as digits.
FR_BBAN = r"^[0-9]{10}[A-Z0-9]{11}[0-9]{2}$"
_FR_NUMERIFY = dict(zip(_LETTERS, "12345678912345678923456789", strict=True))


class Iban(Masker):
    """Permute the digits of an IBAN's account part, keep its country, letters and layout, fix the checks.

    Example: "NL91 ABNA 0417 1643 00" -> "NL<2 check digits> ABNA <10 permuted digits>", a valid IBAN.
    For values shaped like an IBAN (two letters, two digits, up to 30 letters or digits, once spaces and
    dashes are set aside) the BBAN's digits go through the keyed digit permutation (fpe.permute_digits,
    tweaked by the country and the BBAN's letter pattern); its letters (NL and GB bank codes) are kept.
    The check digits become those of the new IBAN plus the input's own error, so a valid IBAN maps to a
    valid one (mod 97 == 1, check digits 02-98) and the whole map is a bijection: a UNIQUE column stays
    unique. France and Monaco also get their national RIB key recomputed the same way. Other national
    BBAN checksums are not recomputed: schwifty's validate_bban may reject the output for BE, CZ, SK,
    DE, EE, ES, FI, IS, IT, SM, NO, PL, PT, SI, BA, ME, MK, RS, TL, MR and TN, while the IBAN itself
    stays valid. Case and spacing are kept ("nl91abna..." stays lower case). Values not shaped like an
    IBAN are still masked: digits permuted and ASCII letters shifted by a keyed pad.
    """

    name = "iban"
    summary = (
        "IBAN with country, letters and layout kept; BBAN digits permuted, check digits valid (bijective)"
    )
    accepts = frozenset({"string"})
    Params = NoParams
    uniqueness = "bijective"
    example = ({}, "NL91 ABNA 0417 1643 00", "NL<dd> ABNA <dddd dddd dd>, a valid IBAN")

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        upper = value.str.replace_all(r"[^A-Za-z0-9]", "").str.to_uppercase()
        shaped = upper.str.contains(IBAN_SHAPE)
        iban = pl.when(shaped).then(value)
        steps: Steps = [{"_ib_upper": pl.when(shaped).then(upper), "_ib_other": pl.when(~shaped).then(value)}]
        steps += _iban_steps(iban, ctx)
        steps += _shape.scramble_steps(pl.col("_ib_other"), ctx, pl.lit("not-iban"), "_ib_other_out", "_ibx")
        steps.append({OUTPUT: pl.coalesce("_ib_out", "_ib_other_out")})
        return steps


def _iban_steps(value: pl.Expr, ctx: MaskContext) -> Steps:
    upper = pl.col("_ib_upper")
    country, bban = upper.str.slice(0, 2), upper.str.slice(4)
    fr = country.is_in(["FR", "MC"]) & bban.str.contains(FR_BBAN)
    # The digits that are permuted: the BBAN's, less the RIB key for France and Monaco.
    permuted_part = pl.when(fr).then(bban.str.slice(0, 21)).otherwise(bban)
    letter_pattern = bban.str.replace_many(list("0123456789"), ["#"] * 10)
    steps: Steps = [
        {
            "_ib_fr": fr,
            "_ib_part_skel": _shape.digit_slots(permuted_part),
            "_ib_part_digits": _shape.digits_of(permuted_part),
            "_ib_tweak": country + ":" + letter_pattern,
            "_ib_layout": _shape.digit_slots(value),
        }
    ]
    steps += _shape.permute_steps("_ib_part_digits", "_ib_part_new", ctx, "_ib_tweak", "_ib")
    steps += _shape.refill_steps("_ib_part_skel", "_ib_part_new", "_ib_part", "_ibp")
    # Texts that the checksums read several times get columns of their own (read, not recomputed).
    fr_col = pl.col("_ib_fr")
    steps.append(
        {
            "_ib_rib_old": pl.when(fr_col).then(_numerify_fr(bban.str.slice(0, 21))),
            "_ib_rib_new": pl.when(fr_col).then(_numerify_fr(pl.col("_ib_part"))),
        }
    )
    old_key = bban.str.slice(21, 2).str.to_integer(strict=False)
    new_key = (_rib_key(pl.col("_ib_rib_new")) + (old_key - _rib_key(pl.col("_ib_rib_old")))) % 100
    new_part = pl.col("_ib_part")
    steps.append(
        {
            "_ib_bban": pl.when(fr_col)
            .then(new_part + new_key.cast(pl.String).str.zfill(2))
            .otherwise(new_part)
        }
    )
    # ISO 7064 mod 97-10: check = 98 - (BBAN + country + "00") mod 97, letters as two digits each.
    steps.append(
        {"_ib_num_old": _numeric(bban, country), "_ib_num_new": _numeric(pl.col("_ib_bban"), country)}
    )
    old_check = upper.str.slice(2, 2).str.to_integer(strict=False)
    error = old_check - _check_digits(pl.col("_ib_num_old"))
    new_check = (_check_digits(pl.col("_ib_num_new")) + error) % 100
    new_digits = new_check.cast(pl.String).str.zfill(2) + _shape.digits_of(pl.col("_ib_bban"))
    steps.append({"_ib_new_digits": new_digits})
    steps += _shape.refill_steps("_ib_layout", "_ib_new_digits", "_ib_out", "_ibl")
    return steps


def _numeric(bban: pl.Expr, country: pl.Expr) -> pl.Expr:
    """BBAN + country + "00" with letters as two digits each (A=10 ... Z=35), as ISO 7064 reads it."""
    return (bban + country + "00").str.replace_many(_LETTERS, _LETTER_NUMBERS)


def _check_digits(numeric: pl.Expr) -> pl.Expr:
    """The ISO 13616 check digits (2..98) for the numeric text of BBAN + country + "00"."""
    return 98 - _shape.mod97(numeric, MAX_NUMERIC)


def _numerify_fr(first21: pl.Expr) -> pl.Expr:
    """Bank, branch and account with letters as the RIB counts them (A and J are 1, ... Z is 9)."""
    return first21.str.replace_many(list(_FR_NUMERIFY), list(_FR_NUMERIFY.values()))


def _rib_key(numbers: pl.Expr) -> pl.Expr:
    """The French RIB key (1..97) of numerified bank(5) branch(5) account(11)."""
    bank = numbers.str.slice(0, 5).str.to_integer(strict=False)
    branch = numbers.str.slice(5, 5).str.to_integer(strict=False)
    account = numbers.str.slice(10, 11).str.to_integer(strict=False)
    return 97 - (89 * bank + 15 * branch + 3 * account) % 97


MASKER = Iban()
