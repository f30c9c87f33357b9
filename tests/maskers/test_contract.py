"""The contract every masker in the registry keeps; a new masker gets these checks for free."""

from __future__ import annotations

import datetime as dt
import inspect
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from tests.conftest import OTHER_KEY_HEX, TEST_KEY_HEX

from maskpipe.hashing import key_from_text
from maskpipe.maskers import REGISTRY
from maskpipe.maskers.base import ALL_FAMILIES, MaskContext, Masker, domain_label, family
from maskpipe.steps import INPUT, run_steps

GOLDEN = Path(__file__).parent / "golden"

STRINGS = [
    "",
    None,
    "Zoë O'Brien",
    "山田太郎",
    "emoji 😀 here",
    "+31 6 12345678",
    "Ana.Lopez@Corp.io",
    "NL91ABNA0417164300",
    "4111 1111 1111 1111",
    "123-45-6789",
    "192.168.1.7",
    "2001:db8::1",
    "1234 AB",
    "John",
    "JOHN",
    "12 Maple Street",
    "a",
    "550e8400-e29b-41d4-a716-446655440000",
]
SAMPLES: dict[str, pl.Series] = {
    "string": pl.Series(STRINGS, dtype=pl.String),
    "integer": pl.Series([0, 1, -7, 42, 2**40, None, 123456789], dtype=pl.Int64),
    "float": pl.Series([0.0, 1.5, -2.25, 1e9, None, 3.14159], dtype=pl.Float64),
    "decimal": pl.Series(
        [Decimal("12.34"), Decimal("-0.01"), None, Decimal("99999.99")], dtype=pl.Decimal(12, 2)
    ),
    "date": pl.Series(
        [dt.date(1980, 2, 29), dt.date(2000, 1, 1), None, dt.date(2024, 12, 31)], dtype=pl.Date
    ),
    "datetime": pl.Series(
        [
            dt.datetime(2024, 2, 29, 13, 45, 1, tzinfo=dt.UTC),
            None,
            dt.datetime(1999, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
        ],
        dtype=pl.Datetime("us", "UTC"),
    ),
    "time": pl.Series([dt.time(1, 2, 3), None], dtype=pl.Time),
    "binary": pl.Series([b"\x00\x01", None, b"abc"], dtype=pl.Binary),
    "boolean": pl.Series([True, False, None], dtype=pl.Boolean),
}
NAMES = sorted(REGISTRY)


def _params(masker: Masker):
    return masker.Params.model_validate(masker.example[0])


def _mask(masker: Masker, values: pl.Series, key_hex: str = TEST_KEY_HEX, lazy: bool = True) -> pl.Series:
    params = _params(masker)
    ctx = MaskContext(key_from_text(key_hex, "test").subkey(domain_label(masker, params)))
    steps = masker.steps(pl.col(INPUT), values.dtype, params, ctx)
    frame = pl.DataFrame({"v": values}).lazy()
    out = run_steps(
        frame, "v", steps, masker.per_distinct, masker.output_dtype(values.dtype, params)
    ).collect()
    return out.get_column("v")


def _accepted_samples(masker: Masker) -> list[tuple[str, pl.Series]]:
    params = _params(masker)
    return [(fam, s) for fam, s in SAMPLES.items() if masker.check_dtype(s.dtype, params) is None]


@pytest.mark.parametrize("name", NAMES)
def test_masker_has_docstring_with_example_and_summary(name: str) -> None:
    masker = REGISTRY[name]
    doc = inspect.getdoc(type(masker)) or ""
    assert "Example" in doc, f"{name}: the class docstring must carry an example"
    assert masker.summary and masker.accepts <= ALL_FAMILIES
    _params(masker)  # the example's params are valid params


@pytest.mark.parametrize("name", NAMES)
def test_masker_accepts_at_least_one_sample_type(name: str) -> None:
    assert _accepted_samples(REGISTRY[name]), f"{name}: no sample dtype accepted"


@pytest.mark.parametrize("name", NAMES)
def test_masker_rejects_unsupported_dtypes(name: str) -> None:
    masker = REGISTRY[name]
    for fam, series in SAMPLES.items():
        if fam not in masker.accepts:
            reason = masker.check_dtype(series.dtype, _params(masker))
            assert reason, f"{name} should reject {fam}"
            assert name in reason or fam in reason


@pytest.mark.parametrize("name", NAMES)
def test_masker_keeps_nulls_and_declared_dtype(name: str) -> None:
    masker = REGISTRY[name]
    for _, series in _accepted_samples(masker):
        out = _mask(masker, series)
        assert out.len() == series.len()
        assert out.dtype == masker.output_dtype(series.dtype, _params(masker))
        if masker.null_to_null:
            assert out.is_null().to_list() == series.is_null().to_list() or name == "null"


@pytest.mark.parametrize("name", NAMES)
def test_masker_is_deterministic_and_batch_independent(name: str) -> None:
    masker = REGISTRY[name]
    if not masker.deterministic:
        pytest.skip("declared non-deterministic")
    for _, series in _accepted_samples(masker):
        whole = _mask(masker, series)
        assert whole.equals(_mask(masker, series))
        half = series.len() // 2
        parts = pl.concat([_mask(masker, series[:half]), _mask(masker, series[half:])])
        assert whole.equals(parts), f"{name}: output depends on batch boundaries"
        reversed_out = _mask(masker, series.reverse()).reverse()
        assert whole.equals(reversed_out), f"{name}: output depends on row order"


@pytest.mark.parametrize("name", NAMES)
def test_keyed_masker_changes_with_key_and_never_passes_values_through(name: str) -> None:
    masker = REGISTRY[name]
    if not masker.mapping_params and masker.name in {
        "keep",
        "null",
        "constant",
        "redact",
        "partial",
        "regex_replace",
        "dob",
    }:
        pytest.skip("not keyed by design")
    if masker.name in {"free_text", "json"}:
        # Text without PII passes through by design; tests/maskers/test_free_text.py checks the key.
        pytest.skip("masks the PII inside text, keeps the rest")
    for fam, series in _accepted_samples(masker):
        if fam != "string":
            continue
        values = series.filter(series.is_not_null() & (series.str.len_chars() >= 8))
        a, b = _mask(masker, values), _mask(masker, values, OTHER_KEY_HEX)
        assert not a.equals(b), f"{name}: the key does not change the output"
        assert (a != values).all(), f"{name}: a value passed through unmasked"


@pytest.mark.parametrize("name", NAMES)
def test_masker_has_golden_vectors(name: str) -> None:
    masker = REGISTRY[name]
    if masker.name in {"keep", "null"}:
        pytest.skip("output is not a mapping")
    assert (GOLDEN / f"{name}.json").is_file(), f"{name}: add tests/maskers/golden/{name}.json"


def test_family_covers_samples() -> None:
    assert {family(s.dtype) for s in SAMPLES.values()} == set(SAMPLES)
