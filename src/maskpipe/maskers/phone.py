"""phone: the digits after the country code (or trunk 0) permuted, layout kept; a bijection."""

from __future__ import annotations

from functools import cache

import polars as pl
from pydantic import BaseModel, Field, field_validator

from maskpipe import dictionaries
from maskpipe.maskers import _shape
from maskpipe.maskers.base import MaskContext, Masker, Params
from maskpipe.steps import OUTPUT, Steps


@cache
def calling_codes() -> dict[int, frozenset[str]]:
    """ITU E.164 country calling codes by length (dictionary calling_codes/all, from libphonenumber).

    The set is prefix-free (no code starts another), which is what makes the longest-prefix match
    give the same code on a masked number as on its source: the code's digits are kept.
    """
    codes = dictionaries.load("calling_codes", "all")
    clash = [a for a in codes for b in codes if a != b and b.startswith(a)]
    if clash:
        raise ValueError("dictionary calling_codes/all is not prefix-free; the phone masker needs it to be")
    return {n: frozenset(c for c in codes if len(c) == n) for n in (1, 2, 3)}


class PhoneParams(Params):
    keep_digits: int = Field(
        2,
        ge=1,
        le=6,
        description="digits kept after the country code or trunk 0: more keeps more numbers valid "
        "(1: mobile/landline class; 2: also most area codes; 4: a US area code and exchange digit)",
    )
    national_code: str | None = Field(
        None,
        description="calling code (e.g. '31') of numbers written without '+' or '00'; with it, "
        "'06 12345678' and '+31 6 12345678' map to the same number in both spellings",
    )

    @field_validator("national_code")
    @classmethod
    def _known_code(cls, code: str | None) -> str | None:
        if code is not None and code not in set().union(*calling_codes().values()):
            raise ValueError("national_code must be a country calling code such as '31', '44' or '1'")
        return code


class Phone(Masker):
    """Permute a phone number's subscriber digits, keeping country code, trunk prefix and layout.

    Example: "+31 6 1234 5678" -> "+31 6 1541 3331", "(030) 8511207" -> "(030) 5711919" (outputs
    depend on the key). International numbers ("+" or "00" before the first digit) keep the calling
    code (longest match in the ITU list) and the next `keep_digits` digits; national numbers keep a
    leading trunk "0" and the next `keep_digits` digits, or just their first `keep_digits` digits when
    there is no trunk 0. The remaining digits go through the keyed digit permutation
    (fpe.permute_digits) tweaked by the calling code and the kept digits, so the masker is a
    bijection: a UNIQUE column stays unique. Spaces, dashes, dots, parentheses and other characters
    stay where they are; ASCII letters (vanity numbers, "ext.", stray text) are shifted by a keyed
    pad, case kept. With `national_code`, national numbers are tweaked like their international
    spelling, so "06 1234 5678" and "+31 6 1234 5678" map to the same number.

    Validity (libphonenumber): of the demo snapshot's phones that are valid for their region
    (1,273 of 1,515; the 555 US numbers are fictional), 96% stay valid with the default
    keep_digits=2 (78% with 1, 100% with 3). On valid numbers of 20 countries: 70% with 1, 90% with 2,
    97.5% with 3, 100% with 4; NANP (US, CA) and BR need 4, since the exchange's first digit must
    not become 0 or 1.
    """

    name = "phone"
    summary = "phone number with country code, trunk 0 and layout kept; other digits permuted (bijective)"
    accepts = frozenset({"string"})
    Params = PhoneParams
    uniqueness = "bijective"
    mapping_params = ("keep_digits", "national_code")
    example = ({}, "+31 6 1234 5678", "+31 6 <8 permuted digits> in the same layout")

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        assert isinstance(params, PhoneParams)
        codes = calling_codes()
        keep = params.keep_digits
        digits = pl.col("_ph_digits")
        count = digits.str.len_chars()
        # Where the calling code starts: after "+" (no digits) or after the "00" international prefix.
        idd = (
            pl.when(pl.col("_ph_plus"))
            .then(pl.lit(0))
            .when(digits.str.starts_with("00"))
            .then(pl.lit(2))
            .otherwise(pl.lit(None, dtype=pl.Int32))
        )
        after_idd = pl.col("_ph_after_idd")
        code_len = (
            pl.when(after_idd.str.slice(0, 1).is_in(list(codes[1])))
            .then(1)
            .when(after_idd.str.slice(0, 2).is_in(list(codes[2])))
            .then(2)
            .when(after_idd.str.slice(0, 3).is_in(list(codes[3])))
            .then(3)
            .otherwise(0)
        )
        intl, code_len_col = pl.col("_ph_idd").is_not_null(), pl.col("_ph_code_len")
        trunk = digits.str.starts_with("0")
        # Digits kept: everything that decides how the number is read, so the output reads the same way.
        # An unknown code keeps 3 digits, the longest a code can be, so no code can appear in the output.
        head = (
            pl.when(intl & (code_len_col > 0))
            .then(pl.col("_ph_idd") + code_len_col + keep)
            .when(intl)
            .then(pl.col("_ph_idd") + 3)
            .when(trunk)
            .then(1 + keep)
            .otherwise(keep)
        )
        national = pl.lit(f"cc{params.national_code}" if params.national_code else "national")
        kept_nsn = (
            pl.when(intl)
            .then(after_idd.str.slice(code_len_col, keep))
            .when(trunk)
            .then(digits.str.slice(1, keep))
            .otherwise(digits.str.slice(0, keep))
        )
        code_part = (
            pl.when(intl & (code_len_col > 0))
            .then("cc" + after_idd.str.slice(0, code_len_col))
            .when(intl)
            .then("unknown" + after_idd.str.slice(0, 3))
            .otherwise(national)
        )
        steps: Steps = [
            {
                "_ph_digits": _shape.digits_of(value),
                "_ph_skel": _shape.skeleton(value),
                "_ph_letters": _shape.letters_of(value),
                "_ph_plus": value.str.contains(r"^[^0-9]*\+"),
            },
            {"_ph_idd": idd},
            {"_ph_after_idd": digits.str.slice(pl.col("_ph_idd").fill_null(0))},
            {"_ph_code_len": code_len},
            {
                "_ph_head": pl.min_horizontal(head, count),
                "_ph_tweak": code_part + ":" + kept_nsn,
            },
            {"_ph_rest": digits.str.slice(pl.col("_ph_head"))},
        ]
        steps += _shape.permute_steps("_ph_rest", "_ph_prest", ctx, "_ph_tweak", "_ph")
        steps.append({"_ph_new": digits.str.slice(0, pl.col("_ph_head")) + pl.col("_ph_prest")})
        steps += _shape.fill_layout_steps("_ph_skel", "_ph_new", "_ph_letters", OUTPUT, ctx, "_ph")
        return steps


MASKER = Phone()
