"""iban: country, letters, length and layout kept; BBAN digits permuted; check digits valid; bijective."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import polars as pl
import pytest
from schwifty import IBAN
from schwifty.exceptions import NationalChecksumNotVerified
from tests.maskers._run import mask

from maskpipe.maskers import REGISTRY

DEMO = Path(__file__).parents[2] / "src" / "maskpipe" / "demo" / "snapshot"


def _mod97(text: str) -> int:
    compact = re.sub(r"[^A-Za-z0-9]", "", text).upper()
    return int("".join(str(int(c, 36)) for c in compact[4:] + compact[:4])) % 97


def _canonical_valid(text: str) -> bool:
    return _mod97(text) == 1 and 2 <= int(text[2:4]) <= 98


def _class(text: str) -> str:
    return re.sub(r"[0-9]", "9", text)


def test_iban_keeps_country_letters_layout_and_stays_valid() -> None:
    values = pl.Series(["NL91 ABNA 0417 1643 00", "DE89370400440532013000", "GB82 WEST 1234 5698 7654 32"])
    out = mask("iban", values).to_list()
    for before, after in zip(values, out, strict=True):
        assert _class(before) == _class(after) and before != after
        assert IBAN(after).country_code == before[:2]
    assert re.fullmatch(r"NL\d\d ABNA \d{4} \d{4} \d\d", out[0])


def test_iban_keeps_case() -> None:
    out = mask("iban", pl.Series(["nl91abna0417164300", "NL91ABNA0417164300"])).to_list()
    assert out[0] == out[1].lower() and out[0].startswith("nl") and "abna" in out[0]


def test_iban_keeps_the_check_digit_error_of_an_invalid_iban() -> None:
    out = mask("iban", pl.Series(["NL91ABNA0417164300", "NL92ABNA0417164300"])).to_list()
    assert _mod97(out[0]) == 1 and _mod97(out[1]) == 2
    assert out[0][4:] == out[1][4:]


def test_iban_france_gets_its_rib_key_recomputed() -> None:
    out = mask(
        "iban", pl.Series(["FR1420041010050500013M02606", "FR76 3000 6000 0112 3456 7890 189"])
    ).to_list()
    for value in out:
        IBAN(value, validate_bban=True)


def test_iban_demo_accounts_stay_valid_for_schwifty() -> None:
    ibans = pl.read_parquet(DEMO / "payments.parquet").get_column("iban").drop_nulls().unique()
    out = mask("iban", ibans)
    assert (out != ibans).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NationalChecksumNotVerified)
        for value in out:
            IBAN(value)  # raises on a bad structure, length or checksum


def test_iban_is_a_bijection_on_a_whole_small_domain() -> None:
    # Every string shaped "XX" + 2 check digits + 3 digits: 100,000 in, the same 100,000 out.
    values = pl.Series([f"XX{c:02d}{b:03d}" for c in range(100) for b in range(1000)])
    out = mask("iban", values)
    assert sorted(out.to_list()) == values.to_list()
    # Valid: mod 97 == 1 with check digits 02-98 (ISO 7064), one per BBAN.
    valid_in = values.map_elements(_canonical_valid, return_dtype=pl.Boolean)
    valid_out = out.map_elements(_canonical_valid, return_dtype=pl.Boolean)
    assert valid_in.sum() == 1000
    assert valid_out.filter(valid_in).all() and valid_out.sum() == 1000


def test_iban_other_text_nulls_and_empty_strings() -> None:
    out = mask("iban", pl.Series(["not an iban 12", "", None], dtype=pl.String)).to_list()
    assert re.fullmatch(r"[a-z]{3} [a-z]{2} [a-z]{4} \d\d", out[0]) and out[0] != "not an iban 12"
    assert out[1:] == ["", None]


def test_iban_takes_no_params() -> None:
    with pytest.raises(ValueError):
        REGISTRY["iban"].Params.model_validate({"keep_bank": True})


@pytest.mark.slow
def test_iban_a_million_distinct_accounts_stay_distinct() -> None:
    n = 1_000_000
    accounts = pl.int_range(0, n, eager=True).cast(pl.String).str.zfill(10)
    out = mask("iban", "NL00ABNA" + accounts)
    assert out.n_unique() == n
