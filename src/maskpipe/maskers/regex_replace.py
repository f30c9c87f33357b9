"""regex_replace: rewrite text with a regular expression (Polars `str.replace_all`; not keyed)."""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel, Field, model_validator

from maskpipe.maskers.base import MaskContext, Masker, Params, keep_nulls, single
from maskpipe.steps import Steps


class RegexReplaceParams(Params):
    pattern: str = Field(
        min_length=1,
        description="regular expression in Rust `regex` syntax (no look-around, no backreferences); "
        "with literal: true, plain text",
    )
    replacement: str = Field(
        "", description="replacement text; $1 / ${name} insert capture groups (unless literal), $$ is a '$'"
    )
    literal: bool = Field(False, description="treat pattern as plain text and replacement as-is")

    @model_validator(mode="after")
    def _compiles(self) -> RegexReplaceParams:
        """Reject a pattern Polars cannot compile when the rule is checked, not mid-run."""
        try:
            pl.select(pl.lit("").str.replace_all(self.pattern, self.replacement, literal=self.literal))
        except pl.exceptions.PolarsError as exc:
            # Polars' message echoes the pattern; keep only the regex crate's "error: ..." line.
            lines = [line.strip() for line in str(exc).splitlines()]
            reason = next(
                (line.removeprefix("error: ") for line in lines if line.startswith("error:")), "parse error"
            )
            raise ValueError(
                f"pattern is not a valid regular expression for Polars (Rust regex syntax): {reason}. "
                "Hint: look-around ((?=...), (?<=...)) and backreferences (\\1) are not supported; "
                "escape special characters, or set literal: true to match plain text"
            ) from None
        return self


class RegexReplace(Masker):
    """Replace every match of `pattern` by `replacement`, as Polars' `str.replace_all` does.

    Example: `notes: {masker: regex_replace, params: {pattern: '\\d{3}-\\d{2}-\\d{4}', replacement:
    'XXX-XX-XXXX'}}` -> "SSN 123-45-6789 on file" becomes "SSN XXX-XX-XXXX on file". An invalid
    pattern is an error when the rules are checked. Nulls stay null and "" stays "" (even for a
    pattern that matches empty text). Not keyed: text the pattern does not match is kept as it is.
    """

    name = "regex_replace"
    summary = "replace regex matches (Polars str.replace_all); pattern checked with the rules"
    accepts = frozenset({"string"})
    Params = RegexReplaceParams
    uniqueness = "no"
    per_distinct = False
    example = (
        {"pattern": r"\d{3}-\d{2}-\d{4}", "replacement": "XXX-XX-XXXX"},
        "SSN 123-45-6789 on file",
        "SSN XXX-XX-XXXX on file",
    )

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        assert isinstance(params, RegexReplaceParams)
        replaced = value.str.replace_all(params.pattern, params.replacement, literal=params.literal)
        return single(keep_nulls(value, pl.when(value == "").then(value).otherwise(replaced)))


MASKER = RegexReplace()
