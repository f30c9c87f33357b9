"""hash: a keyed one-way pseudonym: hex digest, 63-bit integer, or a token of the input's length."""

from __future__ import annotations

from typing import Literal

import polars as pl
from pydantic import BaseModel, Field

from maskpipe.hashing import canonical_text, hmac_hex, lane
from maskpipe.maskers.base import MaskContext, Masker, Params, keep_nulls, single
from maskpipe.steps import Steps


class HashParams(Params):
    format: Literal["hex", "int", "token"] = Field(
        "hex",
        description="hex: lower-case hex digest; int: non-negative integer; token: [0-9a-f] of the input's length",
    )
    length: int = Field(32, ge=16, le=64, description="hex characters kept (format hex); 16 = 64 bits")


class Hash(Masker):
    """HMAC-SHA256 of the value under the domain's subkey, shaped as hex, integer or same-length token.

    Example: `customer_ref: {masker: hash}` -> "C-1001" becomes "5f0c2e...". Same value, same key: same
    pseudonym in every table, so it still joins. `token` keeps the length (collision-resistant from 16
    characters on); `int` on 64-bit columns draws from 63 bits, on smaller ones from their positive range.
    """

    name = "hash"
    summary = "keyed pseudonym: hex digest, integer, or same-length token"
    accepts = frozenset({"string", "integer"})
    Params = HashParams
    uniqueness = "collision_resistant"
    mapping_params = ("format", "length")
    example = ({"format": "hex", "length": 16}, "C-1001", "16 hex characters")

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        assert isinstance(params, HashParams)
        digest = hmac_hex(canonical_text(value, dtype), ctx.subkey)
        if params.format == "int":
            bits = {pl.Int8: 7, pl.Int16: 15, pl.Int32: 31, pl.UInt8: 8, pl.UInt16: 16, pl.UInt32: 32}.get(
                dtype, 63
            )
            return single((lane(digest, 0) % (2**bits)).cast(dtype))
        if params.format == "token":
            # Two digests give 128 characters; past that the token is padded with "0" (inputs over 128
            # characters are rare for identifiers, and the first 128 already carry 512 keyed bits).
            second = hmac_hex(canonical_text(value, dtype) + "\x00token-2", ctx.subkey)
            length = value.str.len_chars()
            token = (digest + second).str.slice(0, length).str.pad_end(length, "0")
            return single(keep_nulls(value, token))
        return single(digest.str.slice(0, params.length))

    def output_dtype(self, dtype: pl.DataType, params: BaseModel) -> pl.DataType:
        assert isinstance(params, HashParams)
        return dtype if params.format == "int" else pl.String

    def check_dtype(self, dtype: pl.DataType, params: BaseModel) -> str | None:
        problem = super().check_dtype(dtype, params)
        if problem:
            return problem
        assert isinstance(params, HashParams)
        if params.format == "int" and not dtype.is_integer():
            return f"hash format 'int' needs an integer column, not {dtype}"
        if params.format != "int" and dtype.is_integer():
            return (
                f"hash format '{params.format}' writes text; use format 'int' on an integer column ({dtype})"
            )
        return None


MASKER = Hash()
