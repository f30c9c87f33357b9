"""email: a keyed, realistic, collision-resistant address at a reserved example domain, case kept."""

from __future__ import annotations

import string
import unicodedata
from functools import cache

import polars as pl
from pydantic import BaseModel, Field

from maskpipe import dictionaries
from maskpipe.hashing import digest_step, encode_alphabet, lane, pick
from maskpipe.maskers.base import MaskContext, Masker, Params, keep_nulls
from maskpipe.steps import OUTPUT, Steps

# Lower-case letters and digits without the look-alikes 0/o, 1/l: 13 symbols carry 64 bits.
TOKEN_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
TOKEN_WIDTH = 13


class EmailParams(Params):
    locale: str = Field("en", description="locale of the first-name dictionary used for the local part")
    keep_domain: bool = Field(
        False,
        description="keep the source domain (e.g. for routing tests); default maps it to a reserved domain",
    )


@cache
def _slugs(locale: str) -> tuple[str, ...]:
    """Dictionary names as ASCII slugs ("Zoë" -> "zoe", "O'Brien" -> "obrien"); computed once, not per row."""
    names = dictionaries.load("first_names", locale)
    out = []
    for name in names:
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
        slug = "".join(ch for ch in ascii_name if ch in string.ascii_lowercase)
        if slug:
            out.append(slug)
    return tuple(dict.fromkeys(out))


class Email(Masker):
    """Map an email to `<name>.<13-char token>@<reserved domain>`, the same in every table and run.

    Example: "Ana.Lopez@corp.io" -> "Liam.Kq3v...@Example.Net" style: the mapping is computed on the
    lower-cased address, then the case pattern of the input is laid over the letters of the output, so
    an upper-case email stays upper-case and two emails that differ only in case map to two outputs
    that differ only in case (a UNIQUE index on lower(email) still holds). The token carries 64 keyed
    bits (collision-resistant); domains map consistently to example.com/.net/.org hosts, which can
    never deliver mail to a real person.
    """

    name = "email"
    summary = "realistic keyed email at a reserved domain; case pattern and uniqueness kept"
    accepts = frozenset({"string"})
    Params = EmailParams
    uniqueness = "collision_resistant"
    mapping_params = ("locale", "keep_domain")
    example = ({}, "Ana.Lopez@corp.io", "Liam.<token>@Example.Net (case pattern of the input)")

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        assert isinstance(params, EmailParams)
        folded = value.str.to_lowercase()
        at = folded.str.find("@", literal=True)
        # An address without "@" is still masked as a whole (its local part is the whole text).
        source_domain = pl.when(at.is_null()).then(pl.lit("")).otherwise(folded.str.slice(at + 1))
        digest = pl.col("_email_digest")
        names = _slugs(params.locale)
        first = pl.lit(pl.Series(names)).gather(pick(digest, 0, len(names)))
        token = encode_alphabet(lane(digest, 1), TOKEN_ALPHABET, TOKEN_WIDTH)
        if params.keep_domain:
            domain = source_domain
        else:
            domains = dictionaries.load("email_domains", "all")
            domain_digest = pl.col("_email_domain_digest")
            domain = pl.lit(pl.Series(domains)).gather(pick(domain_digest, 0, len(domains)))
        lowered = pl.concat_str([first, pl.lit("."), token, pl.lit("@"), domain])
        return [
            {
                **digest_step(folded, ctx.subkey, "_email_digest"),
                **(
                    {}
                    if params.keep_domain
                    else digest_step(source_domain, ctx.derive("domain"), "_email_domain_digest")
                ),
            },
            # An empty string carries nothing to hide and often means "none given": it stays empty.
            {"_email_lower": keep_nulls(value, pl.when(value == "").then(pl.lit("")).otherwise(lowered))},
            {OUTPUT: _apply_case_pattern(value, pl.col("_email_lower"))},
            _mixed_case,
        ]


def _apply_case_pattern(source: pl.Expr, lowered: pl.Expr) -> pl.Expr:
    """All-lower and all-upper inputs are cheap; mixed case is finished by `_mixed_case`."""
    is_upper = source == source.str.to_uppercase()
    return (
        pl.when(is_upper & (source != source.str.to_lowercase()))
        .then(lowered.str.to_uppercase())
        .otherwise(lowered)
    )


def _mixed_case(work: pl.LazyFrame) -> pl.LazyFrame:
    """Lay the input's letter cases over the output's letters, cycling, for mixed-case rows only.

    The pattern cycles over the output's letters (typically 25-30: name, token, domain), so two inputs
    that differ only in case give outputs that differ only in case whenever the input has no more
    letters than the output; a difference past that point is lost (documented limit).
    Everything is keyed by the input value itself, never by a row position: the frame may be
    re-evaluated per branch, and a distinct-values frame has no stable order.
    """
    from maskpipe.steps import INPUT

    source = pl.col(INPUT)
    mixed = (source != source.str.to_lowercase()) & (source != source.str.to_uppercase())
    distinct = work.filter(mixed & source.is_not_null()).select(INPUT, "_email_lower").unique()
    pattern = distinct.select(
        INPUT,
        pl.col(INPUT)
        .str.extract_all(r"\p{L}")
        .list.eval(pl.element() != pl.element().str.to_lowercase())
        .alias("_p"),
    )
    cased = (
        distinct.select(INPUT, pl.col("_email_lower").str.split("").alias("_c"))
        .with_columns(_pos=pl.int_ranges(0, pl.col("_c").list.len()))
        .explode(["_c", "_pos"])
        .with_columns(_is_letter=pl.col("_c").str.contains(r"^\p{L}$"))
        .sort(INPUT, "_pos")
        .with_columns(_k=pl.col("_is_letter").cast(pl.Int64).cum_sum().over(INPUT) - 1)
        .join(pattern, on=INPUT, how="left")
        .with_columns(
            _up=pl.col("_p")
            .list.get(pl.col("_k") % pl.col("_p").list.len(), null_on_oob=True)
            .fill_null(False)
        )
        .with_columns(
            _c=pl.when(pl.col("_is_letter") & pl.col("_up"))
            .then(pl.col("_c").str.to_uppercase())
            .otherwise(pl.col("_c"))
        )
        .group_by(INPUT)
        .agg(pl.col("_c").sort_by("_pos").str.join("").alias("_cased"))
    )
    # A left join that keeps row order: steps must not reorder the frame they are given.
    joined = work.join(cased, on=INPUT, how="left", maintain_order="left")
    return joined.with_columns(pl.coalesce("_cased", OUTPUT).alias(OUTPUT)).drop("_cased")


MASKER = Email()
