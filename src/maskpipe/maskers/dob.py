"""dob: generalize a date of birth to its year or to an age band (not keyed: a fixed rounding)."""

from __future__ import annotations

from typing import Literal

import polars as pl
from pydantic import BaseModel, Field

from maskpipe.maskers.base import MaskContext, Masker, Params, single
from maskpipe.steps import Steps


class DobParams(Params):
    keep: Literal["year", "age_band"] = Field(
        "year",
        description="year: January 1st of the birth year; age_band: January 1st of the first birth year "
        "of the band_years-wide age band the person is in during reference_year",
    )
    band_years: int = Field(10, ge=1, le=100, description="width of an age band in years (keep: age_band)")
    reference_year: int = Field(
        2000,
        ge=1,
        le=9999,
        description="the year ages are counted at (keep: age_band); fixed, so a rerun next year gives the "
        "same output. Ages are whole years: the age a person reaches during that year",
    )


class Dob(Masker):
    """Round a date of birth down to January 1st of its year, or of its age band's first birth year.

    Example: `birth_date: {masker: dob}` -> 1987-05-14 becomes 1987-01-01. With `{keep: age_band,
    band_years: 10, reference_year: 2000}` a person who turns 13 in 2000 (born 1987) is in band 10-19,
    which holds the birth years 1981..1990, so 1987-05-14 becomes 1981-01-01; every birth year of that
    band gives the same date. Bands are counted back from reference_year (band 0-9 is born
    reference_year-9 .. reference_year). Not keyed: anyone can redo the rounding, which reveals nothing
    the output does not already show. The dtype is kept (datetimes get midnight, in their time zone);
    output years are kept within 1..9999 (1678..2262 for nanosecond datetimes).
    """

    name = "dob"
    summary = "date of birth to January 1st of its year or of its age band; not keyed"
    accepts = frozenset({"date", "datetime"})
    Params = DobParams
    uniqueness = "no"
    deterministic = True
    per_distinct = False
    example = ({"keep": "year"}, "1987-05-14", "1987-01-01")

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        assert isinstance(params, DobParams)
        year = value.dt.year().cast(pl.Int64)
        if params.keep == "age_band":
            age = params.reference_year - year
            band_start = (age // params.band_years) * params.band_years
            year = params.reference_year - band_start - params.band_years + 1
        # Nanosecond datetimes only span 1677-09-21..2262-04-11; their January 1st must fit too.
        ns = isinstance(dtype, pl.Datetime) and dtype.time_unit == "ns"
        year = year.clip(1678, 2262) if ns else year.clip(1, 9999)
        if isinstance(dtype, pl.Datetime):
            return single(pl.datetime(year, 1, 1, time_unit=dtype.time_unit, time_zone=dtype.time_zone))
        return single(pl.date(year, 1, 1))


MASKER = Dob()
