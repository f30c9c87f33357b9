"""numeric_noise: multiply numbers by a keyed factor in [1 - ratio, 1 + ratio], keeping type and sign."""

from __future__ import annotations

import math
from fractions import Fraction

import polars as pl
from pydantic import BaseModel, Field

from maskpipe.hashing import canonical_text, hmac_hex, lane
from maskpipe.maskers.base import MaskContext, Masker, Params, single
from maskpipe.steps import Steps

INTEGER_MAX = {
    pl.Int8: 2**7 - 1,
    pl.Int16: 2**15 - 1,
    pl.Int32: 2**31 - 1,
    pl.Int64: 2**63 - 1,
    pl.Int128: 2**127 - 1,
    pl.UInt8: 2**8 - 1,
    pl.UInt16: 2**16 - 1,
    pl.UInt32: 2**32 - 1,
    pl.UInt64: 2**64 - 1,
}
# (smallest positive, largest finite) of each float type: results are clamped into them so a non-zero
# value never rounds to zero or overflows to infinity when cast back.
FLOAT_RANGE = {
    pl.Float32: (1.401298464324817e-45, 3.4028234663852886e38),
    pl.Float64: (math.ulp(0.0), 1.7976931348623157e308),
}


class NumericNoiseParams(Params):
    ratio: float = Field(
        0.1,
        gt=0,
        lt=1,
        description="largest relative change: values are multiplied by a factor in [1 - ratio, 1 + ratio]; "
        "below 1 so the sign never flips",
    )


class NumericNoise(Masker):
    """Multiply each value by 1 + e, with e keyed by the value and uniform in [-ratio, +ratio].

    Example: `salary: {masker: numeric_noise, params: {ratio: 0.1}}` -> 52000 becomes e.g. 49731.
    Keyed by the value: equal values get equal noise (in every table and run), so duplicates stay
    equal, and a value that is frequent in the source is equally frequent in the output. The sign is
    kept and zero stays zero; a non-zero value never becomes zero (integers stay at least 1 in
    magnitude, decimals one unit of their scale). Integers are rounded to integers of the same dtype,
    decimals to their scale, and everything is clamped to the dtype's range; NaN and infinities are
    kept. Small integers may not change at all: with ratio 0.1, any |value| <= 4 rounds back to
    itself. Arithmetic runs in Float64, so integers beyond 2**53 and decimals beyond 15 significant
    digits lose their lowest digits (far below the noise).
    """

    name = "numeric_noise"
    summary = "keyed relative noise within +/- ratio; type, scale and sign kept, zero stays zero"
    accepts = frozenset({"integer", "float", "decimal"})
    Params = NumericNoiseParams
    uniqueness = "no"
    mapping_params = ("ratio",)
    example = ({"ratio": 0.1}, 52000, "an integer between 46800 and 57200")

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        assert isinstance(params, NumericNoiseParams)
        digest = hmac_hex(canonical_text(value, dtype), ctx.subkey)
        uniform = lane(digest, 0).cast(pl.Float64) / 2.0**64  # [0, 1]
        factor = 1.0 + (2.0 * uniform - 1.0) * params.ratio
        number = value.cast(pl.Float64)
        magnitude = number.abs() * factor

        if dtype.is_float():
            tiny, largest = FLOAT_RANGE.get(dtype, FLOAT_RANGE[pl.Float64])
            noisy = number.sign() * magnitude.clip(tiny, largest)
            keep = (number == 0) | ~number.is_finite()
            return single(pl.when(keep).then(value).otherwise(noisy.cast(dtype)))

        if isinstance(dtype, pl.Decimal):
            scale = dtype.scale or 0
            precision = dtype.precision or 38
            smallest = 10.0**-scale
            largest = lowest = _float_at_most(Fraction(10**precision - 1, 10**scale))
        else:
            scale, smallest = 0, 1.0
            largest = _float_at_most(Fraction(INTEGER_MAX[dtype]))
            # Two's complement reaches one further below zero (-128 for Int8).
            lowest = _float_at_most(Fraction(INTEGER_MAX[dtype] + 1))
        rounded = magnitude.round(scale)
        noisy = (
            pl.when(number < 0)
            .then(-rounded.clip(smallest, lowest))
            .otherwise(rounded.clip(smallest, largest))
        )
        return single(pl.when(number == 0).then(value).otherwise(noisy.cast(dtype)))


def _float_at_most(bound: Fraction) -> float:
    """The largest float not above `bound`, so a clamped value always fits the dtype when cast back."""
    candidate = float(bound)
    return math.nextafter(candidate, -math.inf) if Fraction(candidate) > bound else candidate


MASKER = NumericNoise()
