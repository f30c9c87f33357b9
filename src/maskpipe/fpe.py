"""Keyed permutation of digit strings (format-preserving): the same length in, the same length out.

Small domains (phones, card numbers, SSNs, postal codes) cannot use a keyed random function: 10M
random 10-digit values collide thousands of times (birthday bound). A permutation cannot collide, so
UNIQUE columns stay unique by construction. Construction: an alternating Feistel network in the style
of NIST FF1 (radix 10, halves of u = d//2 and v = d - u digits, 8 rounds) whose round function is
HMAC-SHA256 under the domain's subkey. Each half is at most 18 digits so it fits in a UInt64 and the
whole network is vectorized integer arithmetic; inputs are limited to 36 digits.
"""

from __future__ import annotations

import polars as pl

from maskpipe.hashing import hmac_hex, lane
from maskpipe.steps import OUTPUT, Steps

ROUNDS = 8
MAX_DIGITS = 36
_POW10 = {i: 10**i for i in range(19)}


def _pow10(n: pl.Expr) -> pl.Expr:
    return n.replace_strict(_POW10, return_dtype=pl.UInt64)


def _as_int(digits: pl.Expr) -> pl.Expr:
    # An empty half is the number 0 (a 1-digit input has an empty left half).
    return digits.str.to_integer(base=10, dtype=pl.UInt64, strict=False).fill_null(0)


def _pad(number: pl.Expr, width: pl.Expr) -> pl.Expr:
    return pl.when(width == 0).then(pl.lit("")).otherwise(number.cast(pl.String).str.zfill(width))


def _halves(digits: pl.Expr) -> dict[str, pl.Expr]:
    length = digits.str.len_chars()
    u = length // 2
    return {
        "_fpe_u": u,
        "_fpe_v": length - u,
        "_fpe_left": _as_int(digits.str.slice(0, u)),
        "_fpe_right": _as_int(digits.str.slice(u)),
        "_fpe_prefix": length.cast(pl.String) + ":",
    }


def _round_input(round_no: int, source: str, tweak: pl.Expr | None) -> pl.Expr:
    prefix = pl.lit(f"{round_no}:") + pl.col("_fpe_prefix")
    if tweak is not None:
        prefix = prefix + tweak + ":"
    return prefix + pl.col(source).cast(pl.String)


def _rounds(digits: pl.Expr, subkey: str, tweak: pl.Expr | None, inverse: bool) -> Steps:
    # One step per round: a nested expression would repeat every earlier round inside each later one.
    steps: Steps = [_halves(digits)]
    order = reversed(range(ROUNDS)) if inverse else range(ROUNDS)
    for round_no in order:
        source, target, width = (
            ("_fpe_left", "_fpe_right", "_fpe_v")
            if round_no % 2 == 0
            else ("_fpe_right", "_fpe_left", "_fpe_u")
        )
        modulus = _pow10(pl.col(width))
        f = lane(hmac_hex(_round_input(round_no, source, tweak), subkey), 0) % modulus
        updated = (pl.col(target) + modulus - f) if inverse else (pl.col(target) + f)
        steps.append({target: updated % modulus})
    joined = _pad(pl.col("_fpe_left"), pl.col("_fpe_u")) + _pad(pl.col("_fpe_right"), pl.col("_fpe_v"))
    steps.append({OUTPUT: pl.when(digits.is_null()).then(None).otherwise(joined)})
    return steps


def permute_digits(digits: pl.Expr, subkey: str, tweak: pl.Expr | None = None) -> Steps:
    """Steps that permute each string of ASCII digits to another of the same length, bijectively.

    `digits` must hold only [0-9] (callers strip layout first) and at most MAX_DIGITS characters; it
    may only refer to columns present before the first step. Nulls stay null. `tweak` (e.g. a country
    code) selects an independent permutation. The result is left in column OUTPUT.
    """
    return _rounds(digits, subkey, tweak, inverse=False)


def unpermute_digits(digits: pl.Expr, subkey: str, tweak: pl.Expr | None = None) -> Steps:
    """The inverse of permute_digits; tests/test_fpe.py uses it to prove bijectivity, the pipeline never does."""
    return _rounds(digits, subkey, tweak, inverse=True)
