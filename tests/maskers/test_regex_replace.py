"""regex_replace: Polars replace_all semantics, literal mode, pattern checked up front."""

from __future__ import annotations

import polars as pl
import pytest
from tests.maskers._run import mask

from maskpipe.maskers import REGISTRY


def test_regex_replace_replaces_every_match() -> None:
    out = mask(
        "regex_replace",
        pl.Series(["SSN 123-45-6789 and 987-65-4321", "nothing", None]),
        pattern=r"\d{3}-\d{2}-\d{4}",
        replacement="XXX-XX-XXXX",
    )
    assert out.to_list() == ["SSN XXX-XX-XXXX and XXX-XX-XXXX", "nothing", None]


def test_regex_replace_supports_numbered_and_named_groups() -> None:
    out = mask(
        "regex_replace", pl.Series(["john doe"]), pattern=r"(\w+) (?<last>\w+)", replacement="${last}, $1"
    )
    assert out.to_list() == ["doe, john"]


def test_regex_replace_literal_treats_pattern_and_replacement_as_text() -> None:
    out = mask("regex_replace", pl.Series(["a.b.c", "abc"]), pattern=".", replacement="$1", literal=True)
    assert out.to_list() == ["a$1b$1c", "abc"]


def test_regex_replace_keeps_empty_text_even_for_empty_matching_patterns() -> None:
    out = mask("regex_replace", pl.Series(["", "x", None], dtype=pl.String), pattern="^", replacement=">")
    assert out.to_list() == ["", ">x", None]


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("(", "unclosed group"),
        (r"(?<=a)b", "look-around"),
        (r"(a)\1", "backreferences"),
        ("[z-a]", "invalid character class range"),
    ],
)
def test_regex_replace_rejects_invalid_patterns_when_rules_are_checked(pattern: str, reason: str) -> None:
    params = REGISTRY["regex_replace"].Params
    with pytest.raises(ValueError, match="not a valid regular expression") as info:
        params.model_validate({"pattern": pattern})
    assert reason in str(info.value)
    assert "Hint" in str(info.value)


def test_regex_replace_literal_accepts_any_text() -> None:
    params = REGISTRY["regex_replace"].Params
    assert params.model_validate({"pattern": "(", "literal": True}).pattern == "("
    with pytest.raises(ValueError):
        params.model_validate({"pattern": ""})
    with pytest.raises(ValueError):
        params.model_validate({"replacement": "x"})


def test_regex_replace_per_row_and_per_distinct_agree() -> None:
    values = pl.Series(["a1", "b22", "a1", None])
    a = mask("regex_replace", values, pattern=r"\d", replacement="#")
    assert a.equals(mask("regex_replace", values, per_distinct=True, pattern=r"\d", replacement="#"))
    assert a.to_list() == ["a#", "b##", "a#", None]
