"""dob: year and age-band generalization, dtype kept, idempotent, not keyed."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from tests.conftest import OTHER_KEY_HEX
from tests.maskers._run import mask

from maskpipe.maskers import REGISTRY

BIRTHS = pl.Series([dt.date(1900, 1, 1) + dt.timedelta(days=37 * i) for i in range(1200)] + [None])


def test_dob_year_gives_january_first_of_the_same_year() -> None:
    out = mask("dob", BIRTHS)
    assert out.dtype == pl.Date
    assert out.dt.year().equals(BIRTHS.dt.year())
    assert (out.drop_nulls().dt.month() == 1).all() and (out.drop_nulls().dt.day() == 1).all()
    assert out[-1] is None


@pytest.mark.parametrize(("band", "reference"), [(10, 2000), (5, 2024), (1, 1990)])
def test_dob_age_band_groups_birth_years_counted_back_from_the_reference(band: int, reference: int) -> None:
    out = mask("dob", BIRTHS, keep="age_band", band_years=band, reference_year=reference).drop_nulls()
    born = BIRTHS.drop_nulls().dt.year()
    first = out.dt.year()
    # The output is the first birth year of a band_years-wide band that holds the true birth year...
    assert ((born - first) >= 0).all() and ((born - first) < band).all()
    # ...and bands are aligned on the reference year: the band starting age is a multiple of band_years.
    assert ((reference - (first + band - 1)) % band == 0).all()


def test_dob_age_band_example_from_the_docstring() -> None:
    out = mask(
        "dob", pl.Series([dt.date(1987, 5, 14), dt.date(1990, 12, 31), dt.date(1991, 1, 1)]), keep="age_band"
    )
    assert out.to_list() == [dt.date(1981, 1, 1), dt.date(1981, 1, 1), dt.date(1991, 1, 1)]


@pytest.mark.parametrize("keep", ["year", "age_band"])
def test_dob_is_idempotent(keep: str) -> None:
    once = mask("dob", BIRTHS, keep=keep)
    assert mask("dob", once, keep=keep).equals(once)


def test_dob_datetime_keeps_dtype_and_time_zone() -> None:
    values = pl.Series([dt.datetime(1987, 5, 14, 13, 45), None]).dt.replace_time_zone("Europe/Amsterdam")
    out = mask("dob", values, keep="age_band")
    assert out.dtype == values.dtype
    assert out[0].replace(tzinfo=None) == dt.datetime(1981, 1, 1) and out[1] is None


def test_dob_is_not_keyed() -> None:
    assert mask("dob", BIRTHS, keep="age_band").equals(mask("dob", BIRTHS, OTHER_KEY_HEX, keep="age_band"))


def test_dob_output_stays_in_range() -> None:
    edges = pl.Series([dt.date(1, 6, 1), dt.date(3, 1, 1), dt.date(9999, 12, 31)])
    assert mask("dob", edges, keep="age_band").dt.year().to_list() == [1, 1, 9991]
    ns = pl.Series([dt.datetime(1678, 6, 1)], dtype=pl.Datetime("ns"))
    assert mask("dob", ns, keep="age_band", band_years=50)[0] == dt.datetime(1678, 1, 1)


def test_dob_validates_params_and_dtypes() -> None:
    masker = REGISTRY["dob"]
    for bad in ({"keep": "month"}, {"band_years": 0}, {"reference_year": 0}, {"reference": "today"}):
        with pytest.raises(ValueError):
            masker.Params.model_validate(bad)
    assert masker.check_dtype(pl.String(), masker.Params()) is not None
