"""partial: first/last characters kept, middle masked, everything masked when all would show."""

from __future__ import annotations

import polars as pl
import pytest
from tests.conftest import OTHER_KEY_HEX
from tests.maskers._run import mask

from maskpipe.maskers import REGISTRY


def test_partial_keeps_first_and_last_characters() -> None:
    out = mask("partial", pl.Series(["4111111111111111", "NL91ABNA0417164300"]), keep_first=2, keep_last=4)
    assert out.to_list() == ["41**********1111", "NL************4300"]


@pytest.mark.parametrize(
    ("text", "expected"), [("abcd", "****"), ("abc", "***"), ("abcde", "*bcde"), ("", "")]
)
def test_partial_masks_everything_when_keeping_would_reveal_the_whole_value(text: str, expected: str) -> None:
    assert mask("partial", pl.Series([text]), keep_last=4).to_list() == [expected]


def test_partial_counts_characters_not_bytes() -> None:
    out = mask("partial", pl.Series(["héllo wörld", "山田太郎さん"]), keep_first=1, keep_last=2, char="#")
    assert out.to_list() == ["h########ld", "山###さん"]
    assert out.str.len_chars().to_list() == [11, 6]


def test_partial_with_nothing_kept_masks_every_character() -> None:
    out = mask("partial", pl.Series(["secret", None]), keep_first=0, keep_last=0, char="x")
    assert out.to_list() == ["xxxxxx", None]


def test_partial_keep_last_zero_shows_only_the_start() -> None:
    assert mask("partial", pl.Series(["Secret"]), keep_first=1, keep_last=0).to_list() == ["S*****"]


def test_partial_is_not_keyed() -> None:
    values = pl.Series(["4111111111111111", None, ""])
    assert mask("partial", values).equals(mask("partial", values, OTHER_KEY_HEX))


def test_partial_validates_params() -> None:
    masker = REGISTRY["partial"]
    for bad in ({"char": ""}, {"char": "ab"}, {"keep_first": -1}, {"keep_last": -2}, {"unknown": 1}):
        with pytest.raises(ValueError):
            masker.Params.model_validate(bad)
    assert masker.check_dtype(pl.Int64(), masker.Params()) is not None
