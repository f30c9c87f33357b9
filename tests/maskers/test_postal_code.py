"""postal_code: layout and letter positions kept; digits permuted, letters mapped A-Z; bijective."""

from __future__ import annotations

import re
import string

import polars as pl
import pytest
from tests.maskers._run import mask

from maskpipe.maskers import REGISTRY


def _class(text: str) -> str:
    return re.sub(r"[a-z]", "a", re.sub(r"[A-Z]", "A", re.sub(r"[0-9]", "9", text)))


def test_postal_code_keeps_layout_and_character_classes() -> None:
    values = pl.Series(["1012 AB", "SW11 9OV", "14829-1665", "01067", "K1A 0B1", "695-4168", "1012 ab"])
    out = mask("postal_code", values).to_list()
    for before, after in zip(values, out, strict=True):
        assert _class(before) == _class(after) and before != after


def test_postal_code_case_variants_differ_only_in_case() -> None:
    out = mask("postal_code", pl.Series(["1012 AB", "1012 ab"])).to_list()
    assert out[0].lower() == out[1] and out[0] != out[1]


def test_postal_code_is_a_bijection_on_a_whole_small_domain() -> None:
    values = pl.Series([f"{d:02d} {letter}" for d in range(100) for letter in string.ascii_uppercase])
    out = mask("postal_code", values)
    assert sorted(out.to_list()) == sorted(values.to_list())
    assert (out != values).sum() > 2500


def test_postal_code_nulls_and_empty_strings() -> None:
    assert mask("postal_code", pl.Series([None, ""], dtype=pl.String)).to_list() == [None, ""]


def test_postal_code_takes_no_params() -> None:
    with pytest.raises(ValueError):
        REGISTRY["postal_code"].Params.model_validate({"locale": "nl"})
