"""city: dictionary picks per locale, case pattern, key dependence."""

from __future__ import annotations

import polars as pl
import pytest
from tests.conftest import OTHER_KEY_HEX
from tests.maskers._run import mask

from maskpipe import dictionaries

MANY = pl.Series([f"Town{i}" for i in range(1500)])


@pytest.mark.parametrize("locale", ["en", "nl", "de", "fr"])
def test_city_outputs_come_from_the_locale_dictionary(locale: str) -> None:
    cities = dictionaries.load("cities", locale)
    out = mask("city", MANY, locale=locale)
    assert set(out.to_list()) <= set(cities)
    assert out.n_unique() > 0.8 * len(cities)


def test_city_case_variants_map_to_one_city_in_their_own_case() -> None:
    out = mask("city", pl.Series(["Utrecht", "UTRECHT", "utrecht", "Utrecht "]), locale="nl").to_list()
    assert out[1:] == [out[0].upper(), out[0].lower(), out[0]]


def test_city_keeps_nulls_and_empty_text() -> None:
    assert mask("city", pl.Series(["", None], dtype=pl.String)).to_list() == ["", None]


def test_city_other_key_gives_other_cities() -> None:
    a, b = mask("city", MANY), mask("city", MANY, OTHER_KEY_HEX)
    assert (a == b).sum() < 40  # ~1500 / 238 agree by chance


def test_city_is_deterministic_per_value() -> None:
    values = pl.Series(["Delft", "Gouda", "Delft", None])
    out = mask("city", values)
    assert out[0] == out[2] and out.equals(mask("city", values, per_distinct=False))
