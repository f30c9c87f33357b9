"""date_shift: move dates and datetimes by a keyed, non-zero number of days (or seconds)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import polars as pl
from pydantic import BaseModel, Field

from maskpipe.hashing import canonical_text, hmac_hex, pick
from maskpipe.maskers.base import MaskContext, Masker, Params, single
from maskpipe.steps import Steps

SECONDS_PER_DAY = 86_400
UNITS_PER_SECOND = {"ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_EPOCH = dt.datetime(1970, 1, 1)
# Years 1..9999: what PostgreSQL, Arrow and Python all represent, so a shifted value never leaves them.
FIRST_DAY, LAST_DAY = (dt.date(1, 1, 1) - _EPOCH.date()).days, (dt.date(9999, 12, 31) - _EPOCH.date()).days


class DateShiftParams(Params):
    max_days: int = Field(
        30, ge=1, le=36_500, description="largest shift in days, either way; a shift is never 0"
    )
    shift_time: bool = Field(
        False,
        description="datetime columns only: shift by a keyed number of seconds (still within max_days), "
        "so the time of day changes too; default shifts whole days and keeps the time of day",
    )
    by: Literal["value", "date"] = Field(
        "value",
        description="what the shift is keyed by. value: the whole value (the same date or timestamp always "
        "moves the same way, in every table); date: a datetime's calendar date, so all times of one day "
        "move together and keep their order and gaps",
    )


class DateShift(Masker):
    """Shift each value by a keyed number of days in [-max_days, -1] or [1, max_days].

    Example: `birth_date: {masker: date_shift, params: {max_days: 30}}` -> 1987-05-14 becomes e.g.
    1987-05-29. The shift is keyed by the value itself: the same date always gives the same shifted
    date (in every table and run), so equal dates stay equal and joins on dates still match, but two
    different dates move independently and their order is not kept. Datetimes keep their time of day
    (tz-aware ones their local wall-clock time; a time that falls in a DST gap on the target day moves
    by the gap) unless `shift_time` is set. A shift that would leave years 1..9999 (for nanosecond
    datetimes: 1677..2262) goes the other way instead, so the output is always a valid value.
    """

    name = "date_shift"
    summary = "keyed non-zero shift of dates/datetimes by up to max_days; same date, same shift"
    accepts = frozenset({"date", "datetime"})
    Params = DateShiftParams
    uniqueness = "no"
    # All three change which output a value gets, so rules that differ in any of them never share a
    # domain by accident. To give a date column the shifts of a datetime column keyed by date, set
    # by: date on both (for a date column it changes nothing else).
    mapping_params = ("max_days", "shift_time", "by")
    example = ({"max_days": 30}, "1987-05-14", "a date within 30 days of it, never the same date")

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        assert isinstance(params, DateShiftParams)
        if params.by == "date" and isinstance(dtype, pl.Datetime):
            keyed = canonical_text(value.dt.date(), pl.Date)
        else:
            keyed = canonical_text(value, dtype)
        digest = hmac_hex(keyed, ctx.subkey)

        if isinstance(dtype, pl.Datetime):
            per_second = UNITS_PER_SECOND[dtype.time_unit]
            lo, hi = _datetime_bounds(per_second)
            step, steps_per_day = (
                (per_second, SECONDS_PER_DAY) if params.shift_time else (per_second * SECONDS_PER_DAY, 1)
            )
        else:
            lo, hi, step, steps_per_day = FIRST_DAY, LAST_DAY, 1, 1

        n = params.max_days * steps_per_day
        k = pick(digest, 0, 2 * n)
        # k in [0, 2n) -> [-n, -1] or [1, n]: zero is skipped, every other shift is equally likely.
        delta = (k - n + (k >= n).cast(pl.Int64)) * step

        tz_calendar = isinstance(dtype, pl.Datetime) and dtype.time_zone is not None and not params.shift_time
        # Bounds are checked on the wall-clock value for tz-aware days-only shifts (calendar arithmetic).
        physical = (value.dt.replace_time_zone(None) if tz_calendar else value).to_physical().cast(pl.Int64)
        # Written as `physical > hi - delta` rather than `physical + delta > hi` so nothing can overflow.
        leaves = ((delta > 0) & (physical > pl.lit(hi) - delta)) | (
            (delta < 0) & (physical < pl.lit(lo) - delta)
        )
        delta = pl.when(leaves).then(-delta).otherwise(delta)

        if tz_calendar:
            # Calendar days in the column's time zone keep the local time of day across DST changes.
            days = delta // step
            return single(value.dt.offset_by(pl.format("{}d", days)))
        shifted = physical + delta
        if dtype == pl.Date:
            return single(shifted.cast(pl.Int32).cast(pl.Date))
        return single(shifted.cast(dtype))

    def check_dtype(self, dtype: pl.DataType, params: BaseModel) -> str | None:
        problem = super().check_dtype(dtype, params)
        if problem:
            return problem
        assert isinstance(params, DateShiftParams)
        if params.shift_time and dtype == pl.Date:
            return "date_shift shift_time applies to datetime columns; a date column has no time to shift"
        return None


def _datetime_bounds(per_second: int) -> tuple[int, int]:
    """Physical values of years 1..9999 in this time unit, narrowed to what Int64 holds (ns)."""
    first = (dt.datetime(1, 1, 1) - _EPOCH) // dt.timedelta(seconds=1) * per_second
    last = (dt.datetime(9999, 12, 31, 23, 59, 59) - _EPOCH) // dt.timedelta(seconds=1) * per_second
    return max(first, INT64_MIN + 1), min(last + per_second - 1, INT64_MAX)


MASKER = DateShift()
