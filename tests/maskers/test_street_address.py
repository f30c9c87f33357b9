"""street_address: locale formats, house-number bounds, case pattern, key dependence."""

from __future__ import annotations

import re

import polars as pl
import pytest
from tests.conftest import OTHER_KEY_HEX
from tests.maskers._run import mask

from maskpipe import dictionaries
from maskpipe.maskers import REGISTRY

MANY = pl.Series([f"{i} Some Street" for i in range(2000)])


def test_street_address_en_is_number_street_suffix() -> None:
    streets = set(dictionaries.load("streets", "en"))
    suffixes = set(dictionaries.load("street_suffixes", "en"))
    for line in mask("street_address", MANY[:500]).to_list():
        number, rest = line.split(" ", 1)
        street, suffix = rest.rsplit(" ", 1)
        assert 1 <= int(number) <= 200
        assert street in streets and suffix in suffixes


@pytest.mark.parametrize("locale", ["nl", "de", "nl_BE"])
def test_street_address_nl_de_is_street_then_number(locale: str) -> None:
    streets = set(dictionaries.load("streets", locale))
    for line in mask("street_address", MANY[:500], locale=locale).to_list():
        street, number = line.rsplit(" ", 1)
        assert street in streets and 1 <= int(number) <= 200


def test_street_address_locale_without_streets_uses_the_en_format() -> None:
    out = mask("street_address", MANY[:50], locale="fr").to_list()
    assert all(re.fullmatch(r"\d+ .+ \S+", line) for line in out)


def test_street_address_house_numbers_span_one_to_max() -> None:
    out = mask("street_address", MANY, locale="nl", max_house_number=10)
    numbers = out.str.extract(r"(\d+)$").cast(pl.Int64)
    assert numbers.min() == 1 and numbers.max() == 10
    assert numbers.n_unique() == 10


def test_street_address_case_and_whitespace_variants_map_alike() -> None:
    out = mask(
        "street_address", pl.Series(["221B Baker Street", "221B BAKER STREET", "221b  baker street"])
    ).to_list()
    assert out[1] == out[0].upper() and out[2] == out[0].lower()


def test_street_address_keeps_nulls_and_empty_text() -> None:
    assert mask("street_address", pl.Series(["", None], dtype=pl.String)).to_list() == ["", None]


def test_street_address_other_key_gives_other_addresses() -> None:
    a, b = mask("street_address", MANY[:500]), mask("street_address", MANY[:500], OTHER_KEY_HEX)
    assert (a == b).sum() < 3


def test_street_address_max_house_number_is_validated_and_part_of_the_domain() -> None:
    masker = REGISTRY["street_address"]
    assert "max_house_number" in masker.mapping_params
    with pytest.raises(ValueError, match="max_house_number"):
        masker.Params.model_validate({"max_house_number": 0})
