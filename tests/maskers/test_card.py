"""card: network digit, length, grouping and Luhn validity kept; the middle permuted bijectively."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from stdnum import luhn
from tests.maskers._run import mask

from maskpipe.maskers import REGISTRY

DEMO = Path(__file__).parents[2] / "src" / "maskpipe" / "demo" / "snapshot"


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def test_card_keeps_grouping_first_digit_and_luhn_validity() -> None:
    values = pl.Series(
        ["4111 1111 1111 1111", "5555-5555-5555-4444", "3782 822463 10005", "6011000990139424"]
    )
    out = mask("card", values).to_list()
    for before, after in zip(values, out, strict=True):
        assert re.sub(r"\d", "9", before) == re.sub(r"\d", "9", after)
        assert after[0] == before[0] and after != before
        assert luhn.is_valid(_digits(after))


def test_card_keeps_the_luhn_error_of_an_invalid_number() -> None:
    out = mask("card", pl.Series(["4111111111111111", "4111111111111112"])).to_list()
    assert luhn.is_valid(out[0]) and not luhn.is_valid(out[1])
    assert out[0][:-1] == out[1][:-1] and (int(out[1][-1]) - int(out[0][-1])) % 10 == 1


def test_card_keep_prefix_keeps_the_bin() -> None:
    out = mask("card", pl.Series(["4111 1111 1111 1111"]), keep_prefix=6).to_list()
    assert out[0].startswith("4111 11") and luhn.is_valid(_digits(out[0]))


def test_card_is_a_bijection_on_a_whole_small_domain() -> None:
    # 12-digit numbers with an 8-digit kept prefix: 3 permuted digits and a check digit, 10,000 values.
    values = pl.Series([f"41111111{i:04d}" for i in range(10_000)])
    out = mask("card", values, keep_prefix=8)
    assert sorted(out.to_list()) == values.to_list()
    valid_in = values.map_elements(luhn.is_valid, return_dtype=pl.Boolean)
    valid_out = out.map_elements(luhn.is_valid, return_dtype=pl.Boolean)
    assert valid_in.equals(valid_out)


def test_card_demo_numbers_stay_luhn_valid() -> None:
    cards = pl.read_parquet(DEMO / "payments.parquet").get_column("card_number").drop_nulls().unique()
    out = mask("card", cards)
    assert all(luhn.is_valid(_digits(v)) for v in out)
    assert (out != cards).all()


def test_card_other_lengths_nulls_and_empty_strings() -> None:
    out = mask(
        "card", pl.Series(["1234567", "", None, "4111 1111 1111 1111 1111 1"], dtype=pl.String)
    ).to_list()
    assert re.fullmatch(r"\d{7}", out[0]) and out[0] != "1234567"
    assert out[1:3] == ["", None]
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4} \d{4} \d", out[3])


def test_card_rejects_bad_params() -> None:
    params = REGISTRY["card"].Params
    for bad in ({"keep_prefix": -1}, {"keep_prefix": 9}, {"other": 1}):
        with pytest.raises(ValueError):
            params.model_validate(bad)


@pytest.mark.slow
def test_card_a_million_distinct_numbers_stay_distinct() -> None:
    n = 1_000_000
    values = "4" + pl.int_range(0, n, eager=True).cast(pl.String).str.zfill(15)
    out = mask("card", values)
    assert out.n_unique() == n and out.str.starts_with("4").all()
