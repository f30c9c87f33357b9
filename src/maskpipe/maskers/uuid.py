"""uuid: a keyed, valid version-4 UUID per input UUID, in the input's spelling (case, dashes, braces)."""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel

from maskpipe.hashing import hmac_hex
from maskpipe.maskers.base import MaskContext, Masker, NoParams, keep_nulls, single
from maskpipe.steps import Steps

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
        if dtype == pl.Binary:
            return single(keep_nulls(value, _v4_hex(value.bin.encode("hex"), ctx).str.decode("hex")))
        parts = value.str.extract_groups(UUID_TEXT)
        prefix, suffix = parts.struct[0].fill_null(""), parts.struct[6].fill_null("")
        groups = [parts.struct[i] for i in range(1, 6)]
        raw = pl.concat_str(groups)
        hex32 = raw.str.to_lowercase()
        new = _v4_hex(hex32, ctx)
        dashed = value.str.contains("-", literal=True)
        pieces = [
            new.str.slice(0, 8),
            new.str.slice(8, 4),
            new.str.slice(12, 4),
            new.str.slice(16, 4),
            new.str.slice(20),
        ]
        body = pl.when(dashed).then(pl.concat_str(pieces, separator="-")).otherwise(new)
        upper = raw.str.contains(r"[A-F]") & ~raw.str.contains(r"[a-f]")
        body = pl.when(upper).then(body.str.to_uppercase()).otherwise(body)
        as_uuid = prefix + body + suffix
        # Not a UUID: a keyed UUID of the text itself, under a subkey of its own.
        other = _v4_hex(pl.when(raw.is_null() & (value != "")).then(value), ctx, "text")
        other_text = pl.concat_str(
            [
                other.str.slice(0, 8),
                other.str.slice(8, 4),
                other.str.slice(12, 4),
                other.str.slice(16, 4),
                other.str.slice(20),
            ],
            separator="-",
        )
        masked = (
            pl.when(hex32.is_not_null())
            .then(as_uuid)
            .when(value == "")
            .then(pl.lit(""))
            .otherwise(other_text)
        )
        return single(keep_nulls(value, masked))


def _v4_hex(text: pl.Expr, ctx: MaskContext, purpose: str | None = None) -> pl.Expr:
    """32 hex digits of HMAC-SHA256(text) with the version nibble 4 and the variant nibble 8-b."""
    digest = hmac_hex(text, ctx.subkey if purpose is None else ctx.derive(purpose))
    variant = (digest.str.slice(16, 1).str.to_integer(base=16) % 4).replace_strict(
        _VARIANT, return_dtype=pl.String
    )
    return pl.concat_str(
        [digest.str.slice(0, 12), pl.lit("4"), digest.str.slice(13, 3), variant, digest.str.slice(17, 15)]
    )


MASKER = Uuid()
