"""ssn: layout kept, digits permuted; valid US SSNs map to valid SSNs, invalid to invalid, bijectively."""

from __future__ import annotations

import random
import re

import polars as pl
import pytest
from stdnum.us import ssn as us_ssn
from tests.maskers._run import mask

from maskpipe.maskers import REGISTRY
from maskpipe.maskers.ssn import INVALID_BLOCKS, N_INVALID, N_VALID


def _valid(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    area, group, serial = int(digits[:3]), int(digits[3:5]), int(digits[5:])
    return 1 <= area <= 899 and area != 666 and group >= 1 and serial >= 1


def test_ssn_counts_add_up() -> None:
    assert N_VALID + N_INVALID == 10**9
    assert sum(10**width for _, width in INVALID_BLOCKS) == N_INVALID


def test_ssn_valid_stays_valid_and_keeps_layout() -> None:
    values = pl.Series(
        [
            "123-45-6789",
            "123 45 6789",
            "123456789",
            "001-01-0001",
            "899-99-9999",
            "665-01-0001",
            "667-99-9999",
        ]
    )
    out = mask("ssn", values).to_list()
    for before, after in zip(values, out, strict=True):
        assert re.sub(r"\d", "9", before) == re.sub(r"\d", "9", after)
        assert _valid(after) and us_ssn.is_valid(re.sub(r"\D", "", after)) and after != before
    # One SSN in three spellings is one masked SSN in three spellings.
    assert re.sub(r"\D", "", out[0]) == re.sub(r"\D", "", out[1]) == out[2]


def test_ssn_invalid_placeholders_stay_invalid() -> None:
    values = pl.Series(
        ["000-00-0000", "666-12-3456", "999-99-9999", "123-00-4567", "123-45-0000", "900-70-1234"]
    )
    out = mask("ssn", values).to_list()
    assert not any(_valid(v) for v in out)
    assert len(set(out)) == len(out)


def test_ssn_random_sample_keeps_validity_class() -> None:
    rng = random.Random(11)
    values = pl.Series([f"{x:09d}" for x in rng.sample(range(10**9), 50_000)])
    out = mask("ssn", values)
    assert [_valid(v) for v in values] == [_valid(v) for v in out]
    assert out.n_unique() == values.len()


def test_ssn_other_shapes_nulls_and_empty_strings() -> None:
    out = mask("ssn", pl.Series(["12-345", "", None, "AB 12 34 56 C"], dtype=pl.String)).to_list()
    assert re.fullmatch(r"\d\d-\d{3}", out[0]) and out[0] != "12-345"
    assert out[1:3] == ["", None]
    assert re.fullmatch(r"[A-Z]{2} \d\d \d\d \d\d [A-Z]", out[3])


def test_ssn_digits_kind_permutes_every_digit() -> None:
    values = pl.Series([f"{i:03d}" for i in range(1000)])
    out = mask("ssn", values, kind="digits")
    assert sorted(out.to_list()) == values.to_list() and not out.equals(values)


def test_ssn_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError):
        REGISTRY["ssn"].Params.model_validate({"kind": "uk_nino"})


@pytest.mark.slow
def test_ssn_a_million_distinct_numbers_stay_distinct() -> None:
    rng = random.Random(12)
    values = pl.Series(rng.sample(range(10**9), 1_000_000)).cast(pl.String).str.zfill(9)
    formatted = values.str.slice(0, 3) + "-" + values.str.slice(3, 2) + "-" + values.str.slice(5)
    out = mask("ssn", formatted)
    assert out.n_unique() == 1_000_000
