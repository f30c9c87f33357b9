"""full_name: "First Last" from two independent lanes, case pattern, whitespace folding."""

from __future__ import annotations

import polars as pl
from tests.conftest import OTHER_KEY_HEX
from tests.maskers._run import mask

from maskpipe import dictionaries

MANY = pl.Series([f"Person Number{i}" for i in range(3000)])


def _split(full: str, locale: str) -> tuple[str, str]:
    """Split at the space that leaves a dictionary first name (last names may contain spaces)."""
    firsts = set(dictionaries.load("first_names", locale))
    for i, ch in enumerate(full):
        if ch == " " and full[:i] in firsts:
            return full[:i], full[i + 1 :]
    raise AssertionError("output does not start with a dictionary first name")


def test_full_name_is_first_space_last_from_the_dictionaries() -> None:
    for locale in ("en", "nl", "de"):
        lasts = set(dictionaries.load("last_names", locale))
        for full in mask("full_name", MANY[:300], locale=locale).to_list():
            _, last = _split(full, locale)
            assert last in lasts


def test_full_name_first_and_last_are_independent_picks() -> None:
    pairs = [_split(full, "en") for full in mask("full_name", MANY).to_list()]
    firsts = {f for f, _ in pairs}
    lasts = {la for _, la in pairs}
    assert len(firsts) > 350 and len(lasts) > 300
    # Were both taken from one number, each first name would always come with the same last name.
    last_per_first: dict[str, set[str]] = {}
    for first, last in pairs:
        last_per_first.setdefault(first, set()).add(last)
    assert max(len(v) for v in last_per_first.values()) > 2


def test_full_name_case_and_whitespace_variants_map_alike() -> None:
    out = mask(
        "full_name", pl.Series(["Anna Schmidt", "ANNA SCHMIDT", "anna   schmidt", " Anna\tSchmidt "])
    ).to_list()
    assert out[1] == out[0].upper()
    assert out[2] == out[0].lower()
    assert out[3] == out[0]


def test_full_name_keeps_nulls_and_empty_text() -> None:
    assert mask("full_name", pl.Series(["", None, " "], dtype=pl.String)).to_list() == ["", None, " "]


def test_full_name_other_key_gives_other_names() -> None:
    a, b = mask("full_name", MANY[:500]), mask("full_name", MANY[:500], OTHER_KEY_HEX)
    assert (a == b).sum() < 3


def test_full_name_per_distinct_agrees_with_per_row() -> None:
    values = pl.Series(["Anna Schmidt", None, "Bo Li", "Anna Schmidt"])
    assert mask("full_name", values).equals(mask("full_name", values, per_distinct=False))
