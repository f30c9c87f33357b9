"""ssn: national identification numbers with their layout kept and digits permuted; US SSNs stay valid."""

from __future__ import annotations

from functools import partial
from typing import Literal

import polars as pl
from pydantic import BaseModel, Field

from maskpipe.fpe import permute_digits
from maskpipe.maskers import _shape
from maskpipe.maskers.base import MaskContext, Masker, Params
from maskpipe.steps import OUTPUT, Steps

# Valid US SSNs: area 001-899 except 666, group 01-99, serial 0001-9999 (SSA rules since 2011).
VALID_AREAS = 898
N_VALID = VALID_AREAS * 99 * 9999  # 888,931,098 of the 10**9 nine-digit strings
# The other nine-digit strings, ranked: area 000/666/900-999 (any group and serial), then a valid area
# with group 00, then a valid area and group with serial 0000.
N_BAD_AREA = 102 * 10**6
N_BAD_GROUP = VALID_AREAS * 10**4
N_INVALID = N_BAD_AREA + N_BAD_GROUP + VALID_AREAS * 99  # 111,068,902 == 10**9 - N_VALID
# Cycle-walking rounds: a 9-digit permutation lands outside the valid range with odds 0.111, so a value
# is still outside after all rounds with odds 0.111**16 < 2e-15.
WALK_ROUNDS = 16


def _decimal_blocks(total: int) -> list[tuple[int, int]]:
    """[0, total) cut into blocks of 10**w values, largest first: (start, w) for each block."""
    blocks, start = [], 0
    for width in range(len(str(total)) - 1, -1, -1):
        for _ in range(total // 10**width % 10):
            blocks.append((start, width))
            start += 10**width
    assert start == total
    return blocks


INVALID_BLOCKS = _decimal_blocks(N_INVALID)


class SsnParams(Params):
    kind: Literal["us_ssn", "digits"] = Field(
        "us_ssn",
        description="us_ssn: 9-digit values map to valid SSNs (area not 000/666/9xx, group and serial "
        "not 0); digits: any national id, all digits permuted",
    )


class Ssn(Masker):
    """Permute the digits of a national id keeping its layout; US SSNs map to valid SSNs, bijectively.

    Example: "123-45-6789" -> "ddd-dd-dddd", a valid SSN (area not 000, 666 or 900-999; group not 00;
    serial not 0000). With kind us_ssn a 9-digit value that is a valid SSN is ranked among the 888,931,098
    valid SSNs and permuted within them: the keyed digit permutation (fpe.permute_digits) is applied
    to the rank again while it falls outside (cycle-walking, a fixed 16 vectorized rounds), which is
    a bijection on valid SSNs. Invalid 9-digit values (000-00-0000 placeholders, ITIN-like 9xx) map to
    invalid ones, permuted within decimal blocks of their rank, so valid and invalid never meet and
    the column stays unique. A valid SSN would come out invalid only if 16 rounds all fell outside
    (odds below 2e-15 per value). Values with another number of digits, and every value with kind
    digits, have all digits permuted. Dashes and spaces stay; ASCII letters are shifted by a keyed pad.
    """

    name = "ssn"
    summary = "national id: layout kept, digits permuted; US SSNs stay valid (bijective)"
    accepts = frozenset({"string"})
    Params = SsnParams
    uniqueness = "bijective"
    mapping_params = ("kind",)
    example = ({"kind": "us_ssn"}, "123-45-6789", "a valid SSN in the same layout, e.g. 574-09-3318")

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        assert isinstance(params, SsnParams)
        steps: Steps = [
            {
                "_sn_digits": _shape.digits_of(value),
                "_sn_skel": _shape.skeleton(value),
                "_sn_letters": _shape.letters_of(value),
            }
        ]
        if params.kind == "digits":
            steps.append({"_sn_tweak": pl.lit("digits")})
            steps += _shape.permute_steps("_sn_digits", "_sn_new", ctx, "_sn_tweak", "_sn")
        else:
            steps += _us_ssn_steps(ctx)
        steps += _shape.fill_layout_steps("_sn_skel", "_sn_new", "_sn_letters", OUTPUT, ctx, "_sn")
        return steps


def _us_ssn_steps(ctx: MaskContext) -> Steps:
    digits = pl.col("_sn_digits")
    nine = digits.str.len_chars() == 9
    # Parts as integer columns (first step below): the rank formulas read each one several times.
    area, group, serial = pl.col("_sn_area"), pl.col("_sn_group"), pl.col("_sn_serial")
    area_ok = (area >= 1) & (area <= 899) & (area != 666)
    area_rank = pl.when(area < 666).then(area - 1).otherwise(area - 2)
    bad_area_rank = pl.when(area == 0).then(0).when(area == 666).then(1).otherwise(area - 898)
    valid = nine & area_ok & (group >= 1) & (serial >= 1)
    valid_rank = (area_rank * 99 + group - 1) * 9999 + serial - 1
    invalid_rank = (
        pl.when(~area_ok)
        .then(bad_area_rank * 10**6 + group * 10**4 + serial)
        .when(group == 0)
        .then(N_BAD_AREA + area_rank * 10**4 + serial)
        .otherwise(N_BAD_AREA + N_BAD_GROUP + area_rank * 99 + group - 1)
    )
    rank = pl.col("_sn_rank")
    block = pl.sum_horizontal([(rank >= start).cast(pl.Int64) for start, _ in INVALID_BLOCKS[1:]])
    starts = {i: start for i, (start, _) in enumerate(INVALID_BLOCKS)}
    widths = {i: width for i, (_, width) in enumerate(INVALID_BLOCKS)}
    block_col, width = pl.col("_sn_block"), pl.col("_sn_width")
    local = rank - block_col.replace_strict(starts, return_dtype=pl.Int64)
    local_text = pl.when(width == 0).then(pl.lit("")).otherwise(local.cast(pl.String).str.zfill(width))
    steps: Steps = [
        {
            "_sn_area": digits.str.slice(0, 3).str.to_integer(strict=False),
            "_sn_group": digits.str.slice(3, 2).str.to_integer(strict=False),
            "_sn_serial": digits.str.slice(5, 4).str.to_integer(strict=False),
        },
        {"_sn_valid": valid, "_sn_nine": nine},
        {"_sn_rank": pl.when(pl.col("_sn_valid")).then(valid_rank).when(nine).then(invalid_rank)},
        {"_sn_block": block},
        {"_sn_width": block_col.replace_strict(widths, return_dtype=pl.Int64)},
        {
            # One pass of the permutation for every row: the valid rank, the invalid rank's offset in
            # its block, or (not nine digits) the digits themselves, each under its own tweak.
            "_sn_input": pl.when(pl.col("_sn_valid"))
            .then(rank.cast(pl.String).str.zfill(9))
            .when(pl.col("_sn_nine"))
            .then(local_text)
            .otherwise(digits),
            "_sn_tweak": pl.when(pl.col("_sn_valid"))
            .then(pl.lit("valid"))
            .when(pl.col("_sn_nine"))
            .then("invalid:" + block_col.cast(pl.String))
            .otherwise(pl.lit("other")),
        },
    ]
    steps += _shape.permute_steps("_sn_input", "_sn_out", ctx, "_sn_tweak", "_sn")
    out_int = pl.col("_sn_out").str.to_integer(strict=False).fill_null(0)
    steps.append(
        {
            "_sn_y": pl.when(pl.col("_sn_valid")).then(out_int),
            "_sn_inv": pl.when(pl.col("_sn_nine") & ~pl.col("_sn_valid")).then(
                out_int + block_col.replace_strict(starts, return_dtype=pl.Int64)
            ),
        }
    )
    steps.append(partial(_walk_step, ctx=ctx))
    # Still outside after every round (odds < 2e-15): read it as an invalid rank rather than fail.
    stuck = pl.col("_sn_y") >= N_VALID
    steps.append(
        {
            "_sn_inv": pl.when(stuck).then(pl.col("_sn_y") - N_VALID).otherwise(pl.col("_sn_inv")),
            "_sn_y": pl.when(stuck).then(None).otherwise(pl.col("_sn_y")),
        }
    )
    steps.append({"_sn_ssn": pl.coalesce(_decode_valid(pl.col("_sn_y")), _decode_invalid(pl.col("_sn_inv")))})
    steps.append(
        {"_sn_new": pl.when(pl.col("_sn_nine")).then(pl.col("_sn_ssn")).otherwise(pl.col("_sn_out"))}
    )
    return steps


def _walk_step(work: pl.LazyFrame, ctx: MaskContext) -> pl.LazyFrame:
    """Cycle-walking: valid rows whose image is not a valid rank go round again, up to WALK_ROUNDS."""
    walking = pl.col("_sn_y") >= N_VALID
    return _shape.cycle_walk(work, walking, partial(_walk_round, ctx), ("_sn_y",), WALK_ROUNDS - 1)


def _walk_round(ctx: MaskContext, active: pl.Expr | None) -> Steps:
    text = pl.col("_sn_y").cast(pl.String).str.zfill(9)
    steps = permute_digits(
        text if active is None else pl.when(active).then(text), ctx.subkey, pl.lit("valid")
    )
    steps.append({"_sn_y": pl.coalesce(pl.col(OUTPUT).str.to_integer(), pl.col("_sn_y"))})
    return steps


def _ssn_text(area: pl.Expr, group: pl.Expr, serial: pl.Expr) -> pl.Expr:
    return (
        area.cast(pl.String).str.zfill(3)
        + group.cast(pl.String).str.zfill(2)
        + serial.cast(pl.String).str.zfill(4)
    )


def _decode_valid(rank: pl.Expr) -> pl.Expr:
    area_rank = rank // (99 * 9999)
    area = pl.when(area_rank < 665).then(area_rank + 1).otherwise(area_rank + 2)
    return _ssn_text(area, rank // 9999 % 99 + 1, rank % 9999 + 1)


def _decode_invalid(rank: pl.Expr) -> pl.Expr:
    bad_area = rank // 10**6
    bad_area_value = pl.when(bad_area == 0).then(0).when(bad_area == 1).then(666).otherwise(bad_area + 898)
    group_rank = rank - N_BAD_AREA
    group_area = group_rank // 10**4
    serial_rank = rank - N_BAD_AREA - N_BAD_GROUP
    serial_area = serial_rank // 99
    return (
        pl.when(rank < N_BAD_AREA)
        .then(_ssn_text(bad_area_value, rank // 10**4 % 100, rank % 10**4))
        .when(rank < N_BAD_AREA + N_BAD_GROUP)
        .then(
            _ssn_text(
                pl.when(group_area < 665).then(group_area + 1).otherwise(group_area + 2),
                pl.lit(0),
                group_rank % 10**4,
            )
        )
        .otherwise(
            _ssn_text(
                pl.when(serial_area < 665).then(serial_area + 1).otherwise(serial_area + 2),
                serial_rank % 99 + 1,
                pl.lit(0),
            )
        )
    )


MASKER = Ssn()
