"""last_name: dictionary picks, case pattern and folding, independent of first_name."""

from __future__ import annotations

import polars as pl
from tests.conftest import OTHER_KEY_HEX
from tests.maskers._run import mask

from maskpipe import dictionaries

MANY = pl.Series([f"Family{i}" for i in range(2000)])


def test_last_name_outputs_come_from_the_locale_dictionary() -> None:
    out = mask("last_name", MANY, locale="de")
    assert set(out.to_list()) <= set(dictionaries.load("last_names", "de"))
    assert out.n_unique() > 140


def test_last_name_case_variants_map_to_one_name_in_their_own_case() -> None:
    out = mask("last_name", pl.Series(["Jansen", "JANSEN", "jansen", " Jansen"]), locale="nl").to_list()
    assert out[0] in dictionaries.load("last_names", "nl")
    assert out[1:] == [out[0].upper(), out[0].lower(), out[0]]


def test_last_name_keeps_nulls_and_empty_text() -> None:
    assert mask("last_name", pl.Series(["", None], dtype=pl.String)).to_list() == ["", None]


def test_last_name_other_key_gives_other_names() -> None:
    a, b = mask("last_name", MANY), mask("last_name", MANY, OTHER_KEY_HEX)
    assert (a == b).sum() < 40


def test_last_name_is_not_the_first_name_mapping() -> None:
    # Own mapping domain: the same text does not land on the same index in both dictionaries.
    last = mask("last_name", MANY).to_list()
    first = mask("first_name", MANY).to_list()
    last_index = {n: i for i, n in enumerate(dictionaries.load("last_names", "en"))}
    first_index = {n: i for i, n in enumerate(dictionaries.load("first_names", "en"))}
    same = sum(last_index[a] == first_index[b] for a, b in zip(last, first, strict=True))
    assert same < 40
