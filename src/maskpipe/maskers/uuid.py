"""uuid: a keyed, valid version-4 UUID per input UUID, in the input's spelling (case, dashes, braces)."""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel

from maskpipe.hashing import hmac_hex
from maskpipe.maskers.base import MaskContext, Masker, NoParams, keep_nulls
from maskpipe.steps import OUTPUT, Steps

# An optional "urn:uuid:" or "{", 32 hex digits with or without the four dashes, an optional "}".
UUID_TEXT = (
    r"^(?i)(urn:uuid:|\{)?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})(\})?$"
)
_VARIANT = {0: "8", 1: "9", 2: "a", 3: "b"}


class Uuid(Masker):
    """Map each UUID to a keyed random version-4 UUID, keeping how it is written.

    Example: "550e8400-e29b-41d4-a716-446655440000" -> "xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx".
    The output is HMAC-SHA256 of the UUID's 32 hex digits (lower-cased, so every spelling of one UUID
    maps alike) with the RFC 4122 version nibble set to 4 and the variant bits to 10: 122 keyed bits,
    collision-resistant. Upper-case input gives upper-case output; dashes, braces and a "urn:uuid:"
    prefix are kept as written. Text that is not a UUID becomes a keyed UUID of that text in the
    canonical lower-case form. Binary columns (16-byte UUIDs) map to 16 bytes, and a UUID stored as
    bytes maps to the same UUID as its text form in the same domain.
    """

    name = "uuid"
    summary = "keyed version-4 UUID, spelling (case, dashes, braces) kept; collision-resistant"
    accepts = frozenset({"string", "binary"})
    Params = NoParams
    uniqueness = "collision_resistant"
    example = (
        {},
        "550e8400-e29b-41d4-a716-446655440000",
        "a valid v4 UUID, e.g. 3f2c9a1e-...-4...-[89ab]...",
    )

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        # Each keyed digest is computed in a step of its own and read from there: Polars does not
        # reliably share a repeated sub-expression, and a digest read five times would be hashed five times.
        if dtype == pl.Binary:
            return [
                {"_uu_digest": hmac_hex(value.bin.encode("hex"), ctx.subkey)},
                {OUTPUT: _v4(pl.col("_uu_digest")).str.decode("hex")},
            ]
        parts = pl.col("_uu_parts")
        raw = pl.col("_uu_raw")
        dashed = value.str.contains("-", literal=True)
        upper = raw.str.contains(r"[A-F]") & ~raw.str.contains(r"[a-f]")
        body = pl.when(dashed).then(_dashed(pl.col("_uu_new"))).otherwise(pl.col("_uu_new"))
        body = pl.when(upper).then(body.str.to_uppercase()).otherwise(body)
        as_uuid = parts.struct[0].fill_null("") + body + parts.struct[6].fill_null("")
        masked = (
            pl.when(raw.is_not_null())
            .then(as_uuid)
            .when(value == "")
            .then(pl.lit(""))
            # Not a UUID: a keyed UUID of the text itself, under a subkey of its own.
            .otherwise(_dashed(pl.col("_uu_other")))
        )
        return [
            {"_uu_parts": value.str.extract_groups(UUID_TEXT)},
            {"_uu_raw": pl.concat_str([parts.struct[i] for i in range(1, 6)])},
            {
                "_uu_digest": hmac_hex(raw.str.to_lowercase(), ctx.subkey),
                "_uu_other_digest": hmac_hex(
                    pl.when(raw.is_null() & (value != "")).then(value), ctx.derive("text")
                ),
            },
            {"_uu_new": _v4(pl.col("_uu_digest")), "_uu_other": _v4(pl.col("_uu_other_digest"))},
            {OUTPUT: keep_nulls(value, masked)},
        ]


def _v4(digest: pl.Expr) -> pl.Expr:
    """32 hex digits of a digest with the version nibble set to 4 and the variant nibble to 8-b."""
    variant = (digest.str.slice(16, 1).str.to_integer(base=16) % 4).replace_strict(
        _VARIANT, return_dtype=pl.String
    )
    return pl.concat_str(
        [digest.str.slice(0, 12), pl.lit("4"), digest.str.slice(13, 3), variant, digest.str.slice(17, 15)]
    )


def _dashed(hex32: pl.Expr) -> pl.Expr:
    pieces = [hex32.str.slice(0, 8), hex32.str.slice(8, 4), hex32.str.slice(12, 4), hex32.str.slice(16, 4)]
    return pl.concat_str([*pieces, hex32.str.slice(20)], separator="-")


MASKER = Uuid()
