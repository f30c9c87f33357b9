"""phone: calling code, trunk 0 and layout kept; the rest permuted bijectively; numbers stay valid."""

from __future__ import annotations

import re
from pathlib import Path

import phonenumbers
import polars as pl
import pytest
from tests.maskers._run import mask

from maskpipe.maskers import REGISTRY
from maskpipe.maskers.phone import calling_codes

DEMO = Path(__file__).parents[2] / "src" / "maskpipe" / "demo" / "snapshot"
LAYOUT = re.compile(r"[0-9]")


def _layout(text: str) -> str:
    return LAYOUT.sub("9", text)


def test_phone_keeps_calling_code_layout_and_kept_digits() -> None:
    values = pl.Series(
        ["+31 6 1234 5678", "+1 (555) 260-5584", "0049 30 9717965", "(030) 8511207", "555.238.3856"]
    )
    out = mask("phone", values, keep_digits=2).to_list()
    assert [_layout(v) for v in out] == [_layout(v) for v in values]
    assert out[0].startswith("+31 6 1")
    assert out[1].startswith("+1 (55")
    assert out[2].startswith("0049 30 ")
    assert out[3].startswith("(030) ")
    assert out[4].startswith("55")
    assert all(a != b for a, b in zip(values, out, strict=True))


def test_phone_nulls_and_empty_strings_stay() -> None:
    assert mask("phone", pl.Series([None, "", "+"], dtype=pl.String)).to_list() == [None, "", "+"]


def test_phone_national_code_maps_both_spellings_alike() -> None:
    values = pl.Series(["+31 6 1234 5678", "06 1234 5678", "0031 6 1234 5678"])
    out = mask("phone", values, national_code="31").to_list()
    assert out[0][6:] == out[1][3:] == out[2][7:]


def test_phone_letters_are_masked_and_keep_case() -> None:
    out = mask("phone", pl.Series(["+31 6 1234 5678 ext. 12", "1-800-FLOWERS"])).to_list()
    assert re.fullmatch(r"\+31 6 \d{4} \d{4} [a-z]{3}\. \d\d", out[0])
    assert re.fullmatch(r"\d-\d{3}-[A-Z]{7}", out[1]) and "FLOWERS" not in out[1]


def test_phone_is_a_bijection_on_a_whole_small_domain() -> None:
    # National numbers 5xxx: the first digit is kept, the other three permuted: 1000 in, the same 1000 out.
    values = pl.Series([f"5{i:03d}" for i in range(1000)])
    out = mask("phone", values, keep_digits=1)
    assert sorted(out.to_list()) == sorted(values.to_list())
    assert not out.equals(values)


def test_phone_unknown_calling_code_keeps_three_digits() -> None:
    out = mask("phone", pl.Series(["+28 123 456", "+999 12 345"])).to_list()
    assert out[0].startswith("+28 1") and out[1].startswith("+999 ")


def test_phone_calling_codes_match_libphonenumber() -> None:
    codes = set().union(*calling_codes().values())
    assert codes == {str(c) for c in phonenumbers.COUNTRY_CODE_TO_REGION_CODE}


def _valid_in(text: str, region: str | None) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(text, region))
    except phonenumbers.NumberParseException:
        return False


def test_phone_demo_numbers_stay_valid_for_libphonenumber() -> None:
    # The share the docstring states: demo phones that libphonenumber accepts for a region, masked.
    phones = pl.concat(
        [pl.read_parquet(DEMO / f"{t}.parquet").get_column("phone") for t in ("people", "contacts")]
    ).drop_nulls()
    phones = phones.filter(phones != "").unique().sort()
    out = mask("phone", phones).to_list()
    regions = [None, "NL", "DE", "FR", "GB", "US", "JP"]
    valid_before = valid_after = 0
    for before, after in zip(phones.to_list(), out, strict=True):
        candidates = [None] if before.startswith("+") else regions[1:]
        ok = [r for r in candidates if _valid_in(before, r)]
        if ok:
            valid_before += 1
            valid_after += any(_valid_in(after, r) for r in ok)
    assert valid_before > 1000
    assert valid_after / valid_before >= 0.95


def test_phone_more_kept_digits_keep_more_numbers_valid() -> None:
    numbers = []
    for region in ("US", "GB", "DE", "FR", "JP", "BR"):
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            numbers.append(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
    out = mask("phone", pl.Series(numbers), keep_digits=4).to_list()
    assert all(_valid_in(v, None) for v in out)


def test_phone_rejects_bad_params_without_echoing_values() -> None:
    params = REGISTRY["phone"].Params
    for bad in (
        {"keep_digits": 0},
        {"keep_digits": 7},
        {"national_code": "0"},
        {"national_code": "31x"},
        {"x": 1},
    ):
        with pytest.raises(ValueError):
            params.model_validate(bad)
    assert REGISTRY["phone"].check_dtype(pl.Int64(), params()) is not None


@pytest.mark.slow
def test_phone_a_million_distinct_numbers_stay_distinct() -> None:
    n = 1_000_000
    subscriber = pl.int_range(0, n, eager=True).cast(pl.String).str.zfill(8)
    values = "+31 6 " + subscriber.str.slice(0, 4) + " " + subscriber.str.slice(4)
    out = mask("phone", values)
    assert out.n_unique() == n and out.null_count() == 0
