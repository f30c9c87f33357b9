"""The layout helpers shared by the format maskers: refill, digit permutation, letter shift, checksums."""

from __future__ import annotations

import random

import polars as pl
import pytest
from stdnum import luhn
from tests.maskers._run import mask

from maskpipe.maskers import _shape
from maskpipe.maskers.base import MaskContext
from maskpipe.steps import OUTPUT, apply_steps

CTX = MaskContext("ab" * 32)


def _run(frame: pl.DataFrame, steps: _shape.Steps, column: str) -> list[str | None]:
    return apply_steps(frame.lazy(), steps).collect().get_column(column).to_list()


def test_refill_fills_digit_then_letter_slots_on_every_path() -> None:
    # Layouts of 0 to 60 slots cover both template tiers (16, 32) and the general path over lists.
    rng = random.Random(7)
    skeletons, fills, expected = [], [], []
    for _ in range(400):
        layout = [rng.choice(["9", "9", "A", " ", "-", "$", "é", "${1}"]) for _ in range(rng.randint(0, 60))]
        digits = [rng.choice("0123456789") for c in layout if c == "9"]
        letters = [rng.choice("abcXYZ") for c in layout if c == "A"]
        slot = {"9": _shape.DIGIT_SLOT, "A": _shape.LETTER_SLOT}
        skeletons.append("".join(slot.get(c, c) for c in layout))
        fills.append("".join(digits + letters))
        d, le = iter(digits), iter(letters)
        expected.append("".join(next(d) if c == "9" else next(le) if c == "A" else c for c in layout))
    frame = pl.DataFrame({"s": [*skeletons, None], "f": [*fills, None]})
    assert _run(frame, _shape.refill_steps("s", "f", "out", "_t"), "out") == [*expected, None]


def test_permute_steps_keeps_length_and_is_injective_per_length() -> None:
    values = [f"{i:03d}" for i in range(1000)] + ["", "7", "1" * 36, "1" * 37, "2" * 37, "9" * 200]
    frame = pl.DataFrame({"d": values, "t": ["x"] * len(values)})
    out = _run(frame, _shape.permute_steps("d", "out", CTX, "t", "_p"), "out")
    assert [len(v) for v in out] == [len(v) for v in values]
    assert all(v.isdigit() for v in out if v)
    assert sorted(out[:1000]) == [f"{i:03d}" for i in range(1000)]  # a permutation of the 3-digit strings
    assert len(set(out)) == len(out)


def test_permute_steps_long_digit_strings_are_keyed_not_copied() -> None:
    frame = pl.DataFrame({"d": ["1" * 50], "t": ["x"]})
    out = _run(frame, _shape.permute_steps("d", "out", CTX, "t", "_p"), "out")
    other = _run(frame, _shape.permute_steps("d", "out", MaskContext("cd" * 32), "t", "_p"), "out")
    assert out[0] != "1" * 50 and out != other and len(out[0]) == 50


def test_shift_letters_keeps_case_and_is_a_bijection_for_one_pad() -> None:
    letters = [a + b for a in "AbZ" for b in "yZq"] + ["x" * 70]
    frame = pl.DataFrame({"l": letters, "pad": ["0f" * 32] * len(letters)})
    out = frame.select(_shape.shift_letters(pl.col("l"), pl.col("pad"))).to_series().to_list()
    assert [[c.isupper() for c in v] for v in out] == [[c.isupper() for c in v] for v in letters]
    assert len(set(out)) == len(out)
    assert out[0] == "Pn"  # A+15, y+15 (0x0f = 15), case kept


def test_scramble_keeps_layout_and_changes_letters_and_digits() -> None:
    frame = pl.DataFrame({"v": ["SW11 9OV", "ab-12/é", "", None, "x" * 12 + "1" * 40]})
    out = _run(frame, _shape.scramble_steps(pl.col("v"), CTX, pl.lit("t"), OUTPUT, "_s"), OUTPUT)
    assert out[2:4] == ["", None]
    inputs = frame["v"].to_list()
    for before, after in zip([*inputs[:2], inputs[4]], [*out[:2], out[4]], strict=True):
        assert _shape_of(before) == _shape_of(after)
        assert before != after


def _shape_of(text: str) -> str:
    return "".join(
        "9"
        if c.isascii() and c.isdigit()
        else "A"
        if c.isascii() and c.isupper()
        else "a"
        if c.isascii() and c.islower()
        else c
        for c in text
    )


def test_luhn_check_digit_matches_python_stdnum() -> None:
    rng = random.Random(3)
    payloads = ["".join(rng.choice("0123456789") for _ in range(rng.randint(1, 18))) for _ in range(2000)]
    numbers = pl.Series(payloads).str.to_integer(dtype=pl.UInt64)
    checks = pl.select(_shape.luhn_check_digit(pl.lit(numbers))).to_series().to_list()
    assert all(luhn.is_valid(p + str(c)) for p, c in zip(payloads, checks, strict=True))


def test_mod97_matches_python_integers() -> None:
    rng = random.Random(4)
    numbers = ["".join(rng.choice("0123456789") for _ in range(rng.randint(1, 66))) for _ in range(2000)]
    got = pl.select(_shape.mod97(pl.lit(pl.Series(numbers)), 66)).to_series().to_list()
    assert got == [int(n) % 97 for n in numbers]


FORMAT_SAMPLES = {
    "phone": ["+31 6 1234 5678", "06-12345678", "(030) 8511207", "", None, "+31 6 1234 5678"],
    "iban": ["NL91 ABNA 0417 1643 00", "FR1420041010050500013M02606", "xx", None, "NL91 ABNA 0417 1643 00"],
    "card": ["4111 1111 1111 1111", "378282246310005", "12", None, "4111 1111 1111 1111"],
    "ssn": ["123-45-6789", "000-00-0000", "898-99-9999", None, "123-45-6789"],
    "ip": ["8.8.8.8", "192.168.1.7", "2001:db8::1", "223.255.255.1", None, "8.8.8.8"],
    "postal_code": ["1012 AB", "SW11 9OV", "", None, "1012 AB"],
}


@pytest.mark.parametrize("name", sorted(FORMAT_SAMPLES))
def test_format_maskers_give_the_same_rows_with_or_without_per_distinct(name: str) -> None:
    # The callable steps (per-layout templates, cycle-walking) join by row: duplicates, nulls and
    # row order must come out the same whether the steps see every row or each distinct value once.
    values = pl.Series(FORMAT_SAMPLES[name] * 3, dtype=pl.String)
    assert mask(name, values, per_distinct=True).equals(mask(name, values, per_distinct=False))
