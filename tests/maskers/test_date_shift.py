"""date_shift: bounds, never zero, same value -> same shift, time-of-day, tz, range edges."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from tests.conftest import OTHER_KEY_HEX
from tests.maskers._run import mask

from maskpipe.maskers import REGISTRY

DAYS = pl.Series([dt.date(1950, 1, 1) + dt.timedelta(days=i) for i in range(5000)])


def _days_moved(before: pl.Series, after: pl.Series) -> pl.Series:
    return (after.cast(pl.Date).to_physical() - before.cast(pl.Date).to_physical()).cast(pl.Int64)


@pytest.mark.parametrize("max_days", [1, 7, 30])
def test_date_shift_stays_within_max_days_and_never_zero(max_days: int) -> None:
    moved = _days_moved(DAYS, mask("date_shift", DAYS, max_days=max_days))
    assert moved.abs().max() == max_days
    assert moved.abs().min() >= 1
    # Every shift in [-max, -1] u [1, max] occurs.
    assert moved.n_unique() == 2 * max_days


def test_date_shift_same_date_same_output_everywhere() -> None:
    values = pl.Series([dt.date(1987, 5, 14), None, dt.date(1987, 5, 14), dt.date(2000, 2, 29)])
    out = mask("date_shift", values)
    assert out[0] == out[2] and out[1] is None
    assert out.equals(mask("date_shift", values, per_distinct=False))
    assert out.equals(mask("date_shift", values.reverse()).reverse())


def test_date_shift_other_key_other_shifts() -> None:
    a, b = mask("date_shift", DAYS[:1000]), mask("date_shift", DAYS[:1000], OTHER_KEY_HEX)
    assert (a == b).sum() < 60  # 1 in 60 by chance


def test_date_shift_datetime_keeps_time_of_day() -> None:
    values = pl.Series([dt.datetime(2024, 3, 30, 2, 30, 15, 123456), dt.datetime(1970, 1, 1), None])
    for unit in ("ms", "us", "ns"):
        series = values.dt.cast_time_unit(unit)
        out = mask("date_shift", series)
        assert out.dtype == series.dtype
        assert out.dt.time().equals(series.dt.time())
        assert (_days_moved(series, out).abs().drop_nulls() <= 30).all()


def test_date_shift_by_date_moves_a_whole_day_together() -> None:
    values = pl.Series([dt.datetime(2024, 3, 30, h) for h in range(24)])
    out = mask("date_shift", values, by="date")
    assert out.dt.date().n_unique() == 1
    assert out.diff().drop_nulls().eq(dt.timedelta(hours=1)).all()
    # by=date on a datetime shifts like a date column with by=date (one domain, one shift per date).
    assert out[0].date() == mask("date_shift", pl.Series([dt.date(2024, 3, 30)]), by="date")[0]


def test_date_shift_shift_time_moves_by_seconds_within_bounds() -> None:
    values = pl.Series([dt.datetime(2024, 1, 1) + dt.timedelta(minutes=7 * i) for i in range(3000)])
    out = mask("date_shift", values, shift_time=True, max_days=2)
    moved = (out - values).dt.total_seconds()
    assert moved.abs().max() <= 2 * 86_400 and moved.abs().min() >= 1
    # Shifts are not whole days.
    assert (moved % 86_400 != 0).mean() > 0.99


def test_date_shift_tz_aware_keeps_the_local_wall_clock_time() -> None:
    values = pl.Series(
        [dt.datetime(2024, 3, 1, 9, 0) + dt.timedelta(days=i) for i in range(60)]
    ).dt.replace_time_zone("Europe/Amsterdam")
    out = mask("date_shift", values)
    assert out.dtype == values.dtype
    # Many of these shifts cross the DST change of 2024-03-31; local 09:00 stays 09:00.
    assert (out.dt.hour() == 9).all() and (out.dt.minute() == 0).all()


def test_date_shift_never_leaves_years_1_to_9999() -> None:
    edges = pl.Series(
        [dt.date(1, 1, 1) + dt.timedelta(days=i) for i in range(40)]
        + [dt.date(9999, 12, 31) - dt.timedelta(days=i) for i in range(40)]
    )
    out = mask("date_shift", edges, max_days=30)
    physical = out.to_physical()
    assert physical.min() >= pl.Series([dt.date(1, 1, 1)]).to_physical()[0]
    assert physical.max() <= pl.Series([dt.date(9999, 12, 31)]).to_physical()[0]
    assert (_days_moved(edges, out).abs() >= 1).all()


def test_date_shift_nanosecond_edges_do_not_overflow() -> None:
    edges = pl.Series([dt.datetime(2262, 4, 10), dt.datetime(1677, 9, 22)], dtype=pl.Datetime("ns"))
    out = mask("date_shift", edges, max_days=30)
    assert out.null_count() == 0
    assert out[0] < dt.datetime(2262, 4, 10) and out[1] > dt.datetime(1677, 9, 22)


def test_date_shift_rejects_shift_time_on_dates_and_bad_params() -> None:
    masker = REGISTRY["date_shift"]
    params = masker.Params.model_validate({"shift_time": True})
    assert "shift_time" in (masker.check_dtype(pl.Date(), params) or "")
    assert masker.check_dtype(pl.Datetime("us"), params) is None
    assert masker.check_dtype(pl.String(), masker.Params()) is not None
    for bad in ({"max_days": 0}, {"by": "row"}, {"max_days": 10**6}):
        with pytest.raises(ValueError):
            masker.Params.model_validate(bad)
    assert set(masker.mapping_params) == {"max_days", "shift_time", "by"}
