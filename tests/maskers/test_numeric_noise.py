"""numeric_noise: relative bounds, sign and zero kept, dtype/scale kept, clamping, key dependence."""

from __future__ import annotations

import math
from decimal import Decimal

import polars as pl
import pytest
from tests.conftest import OTHER_KEY_HEX
from tests.maskers._run import mask

from maskpipe.maskers import REGISTRY

INTS = pl.Series([*range(-5000, 5000, 3), None], dtype=pl.Int64)
FLOATS = pl.Series([i * 1.37 - 3000.0 for i in range(5000)] + [None], dtype=pl.Float64)


@pytest.mark.parametrize("ratio", [0.01, 0.1, 0.5])
def test_numeric_noise_float_factor_stays_within_ratio(ratio: float) -> None:
    out = mask("numeric_noise", FLOATS, ratio=ratio)
    nonzero = FLOATS != 0
    factor = (out / FLOATS).filter(nonzero)
    assert factor.min() >= 1 - ratio - 1e-12 and factor.max() <= 1 + ratio + 1e-12
    # The factor is spread over the whole interval, not stuck at one end.
    assert factor.min() < 1 - 0.8 * ratio and factor.max() > 1 + 0.8 * ratio


def test_numeric_noise_integers_stay_integers_within_bounds_and_sign() -> None:
    out = mask("numeric_noise", INTS, ratio=0.1)
    assert out.dtype == pl.Int64 and out[-1] is None
    values, noisy = INTS.drop_nulls(), out.drop_nulls()
    assert ((noisy - values).abs() <= (values.abs() * 0.1).round(0) + 1).all()
    assert (noisy.sign() == values.sign()).all()
    assert ((values == 0) == (noisy == 0)).all()
    assert (noisy != values).mean() > 0.9


def test_numeric_noise_keeps_each_integer_dtype_and_clamps_to_its_range() -> None:
    for dtype in (pl.Int8, pl.Int16, pl.Int32, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64):
        low, high = (0, 255) if dtype == pl.UInt8 else (-128, 127) if dtype == pl.Int8 else (0, 100)
        values = pl.Series(list(range(low, high + 1)), dtype=dtype)
        out = mask("numeric_noise", values, ratio=0.9)
        assert out.dtype == dtype
        assert out.null_count() == 0
    extremes = pl.Series([2**63 - 1, -(2**63)], dtype=pl.Int64)
    assert mask("numeric_noise", extremes, ratio=0.5).null_count() == 0


def test_numeric_noise_small_nonzero_values_never_become_zero() -> None:
    ones = pl.Series([1, -1, 2, -2] * 50, dtype=pl.Int32)
    out = mask("numeric_noise", ones, ratio=0.95)
    assert (out != 0).all() and (out.sign() == ones.sign()).all()
    cents = pl.Series(
        [Decimal("0.01"), Decimal("-0.01"), Decimal("0.02"), Decimal("-0.03")] * 20, dtype=pl.Decimal(10, 2)
    )
    noisy = mask("numeric_noise", cents, ratio=0.95).cast(pl.Float64)
    assert (noisy != 0).all() and (noisy.sign() == cents.cast(pl.Float64).sign()).all()


def test_numeric_noise_decimal_keeps_precision_scale_and_range() -> None:
    values = pl.Series(
        [Decimal(f"{i}.{i % 100:02d}") for i in range(0, 99_999, 97)] + [None], dtype=pl.Decimal(7, 2)
    )
    out = mask("numeric_noise", values, ratio=0.5)
    assert out.dtype == pl.Decimal(7, 2) and out[-1] is None
    assert out.drop_nulls().max() <= Decimal("99999.99")
    ratios = (out.cast(pl.Float64) / values.cast(pl.Float64)).filter(values != 0)
    assert ratios.min() >= 0.5 - 0.01 and ratios.max() <= 1.5 + 0.01


def test_numeric_noise_keeps_zero_nan_and_infinities() -> None:
    values = pl.Series([0.0, math.nan, math.inf, -math.inf, 5e-324, 1.7e308, -1.7e308])
    out = mask("numeric_noise", values, ratio=0.9).to_list()
    assert out[0] == 0.0 and math.isnan(out[1]) and out[2:4] == [math.inf, -math.inf]
    assert out[4] > 0 and math.isfinite(out[5]) and out[5] > 0 and math.isfinite(out[6]) and out[6] < 0
    f32 = mask("numeric_noise", pl.Series([3.0e38, 1e-45], dtype=pl.Float32), ratio=0.5)
    assert f32.dtype == pl.Float32 and f32.is_finite().all() and (f32 > 0).all()


def test_numeric_noise_same_value_same_noise_and_key_dependence() -> None:
    values = pl.Series([52000, 52000, 31000, None])
    out = mask("numeric_noise", values)
    assert out[0] == out[1] and out[3] is None
    assert out.equals(mask("numeric_noise", values, per_distinct=False))
    a, b = mask("numeric_noise", FLOATS), mask("numeric_noise", FLOATS, OTHER_KEY_HEX)
    assert (a == b).sum() <= 1  # only 0.0 (and null) agree


def test_numeric_noise_ratio_must_be_below_one() -> None:
    masker = REGISTRY["numeric_noise"]
    for bad in (0, 1, 1.5, -0.1):
        with pytest.raises(ValueError):
            masker.Params.model_validate({"ratio": bad})
    assert masker.check_dtype(pl.String(), masker.Params()) is not None
