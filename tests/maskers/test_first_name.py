"""first_name: dictionary picks, case pattern, folding, locale fallback, key dependence."""

from __future__ import annotations

import polars as pl
import pytest
from tests.conftest import OTHER_KEY_HEX
from tests.maskers._run import mask

from maskpipe import dictionaries
from maskpipe.maskers import REGISTRY

MANY = pl.Series([f"Person{i}" for i in range(2000)])


def test_first_name_outputs_come_from_the_locale_dictionary() -> None:
    out = mask("first_name", MANY, locale="nl")
    assert set(out.to_list()) <= set(dictionaries.load("first_names", "nl"))
    # 2000 inputs over ~190 names: a uniform pick reaches nearly all of them.
    assert out.n_unique() > 150


def test_first_name_case_variants_map_to_one_name_in_their_own_case() -> None:
    out = mask("first_name", pl.Series(["Anna", "ANNA", "anna", "  Anna ", "aNNa"])).to_list()
    assert out[1] == out[0].upper()
    assert out[2] == out[0].lower()
    assert out[3] == out[0]
    assert out[4] == out[0]  # mixed case keeps the dictionary's spelling
    assert out[0] in dictionaries.load("first_names", "en")


def test_first_name_nulls_empty_and_blank_are_kept() -> None:
    out = mask("first_name", pl.Series(["", None, "   "], dtype=pl.String))
    assert out.to_list() == ["", None, "   "]


def test_first_name_is_deterministic_and_per_distinct_agrees_with_per_row() -> None:
    values = pl.Series(["Anna", "Bob", "Anna", None, "Chloé"] * 3)
    a = mask("first_name", values)
    assert a.equals(mask("first_name", values))
    assert a.equals(mask("first_name", values, per_distinct=False))
    assert a[0] == a[2]


def test_first_name_other_key_gives_other_names() -> None:
    a = mask("first_name", MANY)
    b = mask("first_name", MANY, OTHER_KEY_HEX)
    # Two independent picks from ~550 names agree by chance about 1 time in 550.
    assert (a == b).sum() < 40


@pytest.mark.parametrize(("locale", "file_locale"), [("nl_BE", "nl"), ("de-AT", "de"), ("xx", "en")])
def test_first_name_locale_falls_back_to_language_then_en(locale: str, file_locale: str) -> None:
    out = mask("first_name", MANY[:200], locale=locale)
    assert set(out.to_list()) <= set(dictionaries.load("first_names", file_locale))


def test_first_name_locale_is_part_of_the_mapping_domain() -> None:
    masker = REGISTRY["first_name"]
    assert masker.mapping_params == ("locale",)
    assert masker.uniqueness == "no"


def test_first_name_rejects_non_text_columns() -> None:
    masker = REGISTRY["first_name"]
    assert masker.check_dtype(pl.Int64(), masker.Params()) is not None
