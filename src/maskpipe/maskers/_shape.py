"""Layout-keeping building blocks shared by the format maskers (phone, iban, card, ssn, postal_code, ip).

A value is seen as a skeleton (its layout: spaces, dashes, dots, parentheses, any other character) with
slots for its ASCII digits and letters. Maskers replace the digit string and the letter string, then
`refill` puts them back into the slots, so "+1 (555) 260-5584" keeps its spaces and parentheses.
Everything is whole-column Polars expressions; the general paths that handle long junk values use
lists and run on those rows only (every other row is null there, which costs next to nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import polars as pl

from maskpipe.fpe import MAX_DIGITS, permute_digits
from maskpipe.hashing import hmac_hex, lane
from maskpipe.maskers.base import MaskContext
from maskpipe.steps import OUTPUT, Steps, apply_steps

# Slot markers are Unicode noncharacters: never assigned, so real text does not carry them. A value
# that does anyway is still masked, only its layout may come out shifted.
DIGIT_SLOT = "\ufdd0"
LETTER_SLOT = "\ufdd1"
# Filling slots: one regex replace per row whose replacement template ("${1}-${2}...") is built once
# per distinct layout. Patterns with many capture groups are slow, so layouts with up to 16 slots use
# a 16-group pattern, up to 32 a 32-group one, and longer ones (junk) a general path over lists.
TEMPLATE_TIERS = (16, 32)
_PAD = "\ufdd2"

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LETTERS = _UPPER + _UPPER.lower()
_LETTER_CODE = {ch: i for i, ch in enumerate(_LETTERS)}
_CODE_LETTER = dict(enumerate(_LETTERS))
_POW10 = {i: 10**i for i in range(19)}
MOD97_CHUNK = 9
MAX_LUHN_PAYLOAD = 18  # 19-digit card numbers; 10**18 - 1 fits an unsigned 64-bit integer
_DIGITS = list("0123456789")
_SKELETON_FROM = _DIGITS + list(_LETTERS)
_SKELETON_TO = [DIGIT_SLOT] * 10 + [LETTER_SLOT] * 52


def digits_of(value: pl.Expr) -> pl.Expr:
    """The ASCII digits of each value, in order ("+1 (555) 260" -> "1555260")."""
    return value.str.replace_all(r"[^0-9]", "")


def letters_of(value: pl.Expr) -> pl.Expr:
    """The ASCII letters of each value, in order ("" when none); other letters (é, 山) are layout."""
    # Most values of these columns have no letters: the replace then runs on nulls, which is free.
    with_letters = pl.when(value.str.contains(r"[A-Za-z]")).then(value)
    return with_letters.str.replace_all(r"[^A-Za-z]", "").fill_null("")


def skeleton(value: pl.Expr) -> pl.Expr:
    """The layout: each ASCII digit becomes DIGIT_SLOT, each ASCII letter LETTER_SLOT."""
    return value.str.replace_many(_SKELETON_FROM, _SKELETON_TO)


def digit_slots(value: pl.Expr) -> pl.Expr:
    """The value with each ASCII digit replaced by DIGIT_SLOT (letters and the rest kept)."""
    return value.str.replace_many(_DIGITS, [DIGIT_SLOT] * 10)


def pow10(exponent: pl.Expr) -> pl.Expr:
    """10**exponent as Int64 for exponents 0..18."""
    return exponent.replace_strict(_POW10, return_dtype=pl.Int64)


def refill_steps(skel: str, fill: str, out: str, prefix: str) -> Steps:
    """Steps that write into `out` the skeleton `skel` with its slots filled from the text in `fill`.

    `fill` holds the digits for the DIGIT_SLOTs in order, then the letters for the LETTER_SLOTs, and
    exactly as many characters as there are slots. Null skeletons give null.
    """
    template, slots = f"{prefix}_tpl", f"{prefix}_slots"
    tiers = []
    low = 0
    for size in TEMPLATE_TIERS:
        pattern = "^" + "(.)" * size + "$"
        fits = (pl.col(slots) > low) & (pl.col(slots) <= size)
        # Padding to exactly `size` characters keeps the pattern one-pass, the regex engine's fast case.
        tiers.append(
            pl.when(fits).then(pl.col(fill).str.pad_end(size, _PAD)).str.replace(pattern, pl.col(template))
        )
        low = size
    longer = pl.when(pl.col(slots) > low).then(pl.col(skel))
    return [
        partial(_join_templates, skel=skel, template=template, slots=slots),
        {out: pl.when(pl.col(slots) == 0).then(pl.col(skel)).otherwise(pl.coalesce(*tiers))},
        {out: pl.coalesce(pl.col(out), _refill_lists(longer, pl.col(fill)))},
    ]


def _join_templates(work: pl.LazyFrame, skel: str, template: str, slots: str) -> pl.LazyFrame:
    """Join to every row the replacement template and slot count of its skeleton, computed per skeleton.

    A column has few distinct layouts, so the list work here is negligible; the join costs a hash
    lookup per row, far less than filling slots one by one.
    """
    element = pl.element()
    is_digit, is_letter = element == DIGIT_SLOT, element == LETTER_SLOT
    group = (
        pl.when(is_digit).then(is_digit.cum_sum()).when(is_letter).then(is_digit.sum() + is_letter.cum_sum())
    )
    chars = pl.col(skel).str.split("")
    per_layout = (
        work.select(skel)
        .unique()
        .with_columns(
            chars.list.eval(
                pl.when(is_digit | is_letter)
                .then("${" + group.cast(pl.String) + "}")
                .when(element == "$")
                .then(pl.lit("$$"))
                .otherwise(element)
            )
            .list.join("")
            .alias(template),
            chars.list.eval((is_digit | is_letter).sum()).list.first().fill_null(0).alias(slots),
        )
    )
    cached = work.cache()
    return cached.join(per_layout, on=skel, how="left", maintain_order="left")


def _refill_lists(skel: pl.Expr, fill: pl.Expr) -> pl.Expr:
    """The general refill by character lists: the k-th digit slot takes fill[k], letter slots follow."""
    chars = skel.str.split("")
    element = pl.element()
    is_digit, is_letter = element == DIGIT_SLOT, element == LETTER_SLOT
    index = chars.list.eval(
        pl.when(is_digit)
        .then(pl.len() + is_digit.cum_sum() - 1)
        .when(is_letter)
        .then(pl.len() + is_digit.sum() + is_letter.cum_sum() - 1)
        .otherwise(pl.int_range(pl.len()))
    )
    return pl.concat_list(chars, fill.str.split("")).list.gather(index).list.join("")


def permute_steps(digits: str, out: str, ctx: MaskContext, tweak: str | None, prefix: str) -> Steps:
    """Steps that permute the digit strings of column `digits` (same length out) into column `out`.

    Up to MAX_DIGITS (36) digits: fpe.permute_digits, a bijection per length and tweak. Longer digit
    strings (junk, e.g. a note in a phone column) cannot go through the Feistel network; they get
    digits drawn from HMAC-SHA256 of the whole string instead. Such an output shares no structure with
    its input and collides with another only by chance of 10**-36 or less, and it cannot meet the
    output of a short string since lengths are kept. `tweak` names a column that is non-null wherever
    `digits` is; a null tweak would null the output.
    """
    source = pl.col(digits)
    length = source.str.len_chars()
    tweak_expr = pl.col(tweak) if tweak is not None else pl.lit("")
    short, long = f"{prefix}_short", f"{prefix}_long"
    steps: Steps = [
        {
            short: pl.when(length <= MAX_DIGITS).then(source),
            long: pl.when(length > MAX_DIGITS).then(tweak_expr + ":" + source),
        }
    ]
    steps += permute_digits(pl.col(short), ctx.subkey, pl.col(tweak) if tweak is not None else None)
    # The long rows' digests get columns of their own: an expression read several times is not
    # reliably computed once, and each read would hash again.
    digests = [f"{prefix}_long_{part}" for part in ("a", "b")]
    steps.append({d: hmac_hex(pl.col(long), ctx.derive(f"long-digits-{d[-1]}")) for d in digests})
    steps.append({out: pl.coalesce(pl.col(OUTPUT), _hashed_digits([pl.col(d) for d in digests], length))})
    return steps


def _hashed_digits(digests: list[pl.Expr], length: pl.Expr) -> pl.Expr:
    """`length` decimal digits from hex digests (72 per digest, cycled beyond)."""
    # 18 of the 19.3 decimal digits a 64-bit lane carries: the bias is irrelevant for masking.
    blocks = [(lane(d, i) % 10**18).cast(pl.String).str.zfill(18) for d in digests for i in range(4)]
    per_cycle = 72 * len(digests)
    return pl.concat_str(blocks).repeat_by(length // per_cycle + 1).list.join("").str.slice(0, length)


def shift_letters(letters: pl.Expr, pad_hex: pl.Expr) -> pl.Expr:
    """Each ASCII letter moved forward in the alphabet by a keyed amount, case kept.

    The i-th letter moves by byte i of `pad_hex` (hex text) modulo 26; pads shorter than the letters
    are cycled. For a fixed pad this is a bijection on letter strings of each length and case pattern.
    Uses lists, so callers pass null for rows without letters.
    """
    count = letters.str.len_chars()
    hex_needed = 2 * count
    pad = pad_hex.repeat_by(hex_needed // pad_hex.str.len_chars() + 1).list.join("").str.slice(0, hex_needed)
    shifts = pad.str.extract_all("..").list.eval(pl.element().str.to_integer(base=16) % 26)
    codes = letters.str.split("").list.eval(pl.element().replace_strict(_LETTER_CODE, return_dtype=pl.Int64))
    moved = (codes % 26 + shifts) % 26 + (codes // 26) * 26
    return moved.list.eval(pl.element().replace_strict(_CODE_LETTER, return_dtype=pl.String)).list.join("")


def scramble_steps(value: pl.Expr, ctx: MaskContext, tweak: pl.Expr, out: str, prefix: str) -> Steps:
    """Steps that mask any text keeping its layout: digits permuted, ASCII letters shifted, rest kept.

    Bijective for each layout: the digits are permuted under a tweak made of the layout and the
    (upper-cased) letters; the letters then move by a keyed pad derived from the permuted digits and
    the layout, both visible in the output, so the whole step can be undone with the key. Letter case
    is kept, and two values that differ only in case differ only in case after masking.
    """
    p = prefix
    steps: Steps = [
        {
            f"{p}_skel": skeleton(value),
            f"{p}_digits": digits_of(value),
            f"{p}_letters": letters_of(value),
        },
        {f"{p}_tweak": tweak + "|" + pl.col(f"{p}_skel") + "|" + pl.col(f"{p}_letters").str.to_uppercase()},
    ]
    steps += permute_steps(f"{p}_digits", f"{p}_pdigits", ctx, f"{p}_tweak", p)
    steps += fill_layout_steps(f"{p}_skel", f"{p}_pdigits", f"{p}_letters", out, ctx, p)
    return steps


def fill_layout_steps(
    skel: str, new_digits: str, letters: str, out: str, ctx: MaskContext, prefix: str
) -> Steps:
    """Steps that put `new_digits` and the keyed-shifted `letters` back into skeleton `skel`.

    The letter pad is HMAC(skeleton, masked digits): both are in the output, so it is invertible.
    """
    p = prefix
    has_letters = pl.col(letters).str.len_chars() > 0
    seed = pl.when(has_letters).then(pl.col(skel) + "|" + pl.col(new_digits))
    shifted = shift_letters(pl.when(has_letters).then(pl.col(letters)), pl.col(f"{p}_pad"))
    steps: Steps = [
        {f"{p}_pad": hmac_hex(seed, ctx.derive("letters"))},
        {f"{p}_fill": pl.col(new_digits) + shifted.fill_null("")},
    ]
    steps += refill_steps(skel, f"{p}_fill", out, p)
    return steps


def luhn_check_digit(number: pl.Expr) -> pl.Expr:
    """The Luhn check digit (Int64) that completes each payload, given as an unsigned integer.

    Payloads have at most 18 digits (19-digit card numbers) and may start with zeros, which add
    nothing. From the right, every other digit starting with the last is doubled (digit sum of the
    double); digits are taken by integer arithmetic, far cheaper than string work per position.
    Pass a column: the number is read once per position.
    """
    total = pl.lit(0, dtype=pl.UInt64)
    for position in range(MAX_LUHN_PAYLOAD):
        digit = number // 10**position % 10
        total = total + (digit * 2 - (digit >= 5).cast(pl.UInt64) * 9 if position % 2 == 0 else digit)
    return ((10 - total % 10) % 10).cast(pl.Int64)


def mod97(numeric: pl.Expr, max_digits: int) -> pl.Expr:
    """Each decimal digit string modulo 97 (Int64), in chunks of 9 digits of integer arithmetic.

    r * 10**9 + chunk stays far below 2**63 for r < 97. Strings may be up to `max_digits` long; longer
    ones are an error of the caller. Pass a column: the text is read once per chunk.
    """
    remainder = pl.lit(0, dtype=pl.Int64)
    for start in range(0, max_digits, MOD97_CHUNK):
        chunk = numeric.str.slice(start, MOD97_CHUNK)
        width = chunk.str.len_chars()
        # An empty chunk (past the end) is 10**0 * r + 0: the remainder passes through unchanged.
        value = chunk.str.to_integer(base=10, dtype=pl.Int64, strict=False).fill_null(0)
        remainder = (remainder * pow10(width) + value) % 97
    return remainder


def cycle_walk(
    work: pl.LazyFrame,
    walking: pl.Expr,
    round_steps: Callable[[pl.Expr | None], Steps],
    state: tuple[str, ...],
    rounds: int,
    nested: int = 2,
) -> pl.LazyFrame:
    """Apply `round_steps` again to the rows where `walking` holds, until it no longer does or `rounds` ran.

    Cycle-walking keeps a permutation inside a subset of its domain. The rows that need another round
    are few (a share that shrinks geometrically), so their distinct states are filtered into frames of
    their own: the first `nested` rounds each filter and join back, the rest run inline on the last,
    tiny frame, where `round_steps(active)` changes only the rows that are still walking (the others
    are null inside the round, which the keyed hash skips). Deeper nesting would cost a fixed
    overhead per level; more inline rounds cost in proportion to the few rows left. `state` names the
    columns the rounds read and write; the rest of `work` is untouched. Results join back on the
    starting state, never on row positions, so they cannot depend on how a frame is ordered.
    """
    origin = tuple(f"{c}__from" for c in state)
    walkers = (
        work.filter(walking.fill_null(False))
        .select(state)
        .unique()
        .with_columns(pl.col(c).alias(o) for c, o in zip(state, origin, strict=True))
    )
    walked = _walk_level(walkers, walking, round_steps, state, origin, rounds, nested)
    return _merge(work, walked, state, list(state), origin)


def _walk_level(
    frame: pl.LazyFrame,
    walking: pl.Expr,
    round_steps: Callable[[pl.Expr | None], Steps],
    state: tuple[str, ...],
    origin: tuple[str, ...],
    rounds: int,
    nested: int,
) -> pl.LazyFrame:
    if rounds == 0:
        return frame
    if nested == 0:
        for _ in range(rounds):
            frame = apply_steps(frame, round_steps(walking.fill_null(False)))
        return frame.select(*origin, *state)
    stepped = apply_steps(frame, round_steps(None)).select(*origin, *state).cache()
    still = stepped.filter(walking.fill_null(False))
    rest = _walk_level(still, walking, round_steps, state, origin, rounds - 1, nested - 1)
    return _merge(stepped, rest, state, list(origin), origin).select(*origin, *state)


def _merge(
    frame: pl.LazyFrame,
    updates: pl.LazyFrame,
    state: tuple[str, ...],
    keys: list[str],
    origin: tuple[str, ...],
) -> pl.LazyFrame:
    """`frame` with its `state` columns taken from `updates` where its `keys` match an update's origin."""
    renamed = updates.select(*origin, *(pl.col(c).alias(f"{c}__walked") for c in state))
    joined = frame.join(
        renamed, left_on=keys, right_on=list(origin), how="left", nulls_equal=True, maintain_order="left"
    )
    merged = joined.with_columns(pl.coalesce(f"{c}__walked", c).alias(c) for c in state)
    return merged.drop([f"{c}__walked" for c in state], strict=False)
