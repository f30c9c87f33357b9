"""ip: IPv4 to IPv4 and IPv6 to IPv6 by a keyed bit permutation; prefixes and special ranges kept."""

from __future__ import annotations

import ipaddress
from functools import partial

import polars as pl
from pydantic import BaseModel, Field

from maskpipe.hashing import hmac_hex, lane
from maskpipe.maskers import _shape
from maskpipe.maskers.base import MaskContext, Masker, Params
from maskpipe.steps import OUTPUT, Steps

ROUNDS = 8
# Cycle-walking rounds for public addresses whose image fell into a special range. With no prefix
# kept, special ranges are 14% of IPv4, so a value is still inside after all rounds with odds < 1e-20;
# a kept-prefix block that is half special (e.g. keep_prefix_v4 9 around 100.64.0.0/10) gives 6e-8.
WALK_ROUNDS = 24
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4 = rf"^{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}$"
# Address, then an optional zone ("%eth0") and prefix length ("/24"), kept as written.
ADDRESS = r"^([0-9A-Fa-f:.]+)((?:%[0-9A-Za-z._~-]+)?(?:/[0-9]{1,3})?)$"
EMBEDDED = r"^(.*:)([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})$"
HEX_GROUP = r"^[0-9A-Fa-f]{1,4}$"

# Ranges that keep_private keeps in their own range (the range prefix is kept, the host bits permuted).
SPECIAL_V4 = (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
)  # fmt: skip
SPECIAL_V6 = (
    "::/128", "::1/128", "::ffff:0:0/96", "64:ff9b::/96", "2001:db8::/32", "fc00::/7", "fe80::/10",
    "ff00::/8",
)  # fmt: skip

_POW2 = {i: 2**i for i in range(64)}
_HEX16 = {i: f"{i:x}" for i in range(2**16)}


class IpParams(Params):
    keep_prefix_v4: int = Field(
        0, ge=0, le=32, description="leading bits of IPv4 addresses kept (24 keeps the /24)"
    )
    keep_prefix_v6: int = Field(
        0, ge=0, le=128, description="leading bits of IPv6 addresses kept (64 keeps the /64)"
    )
    keep_private: bool = Field(
        True,
        description="addresses in private, loopback, link-local, documentation, multicast and other special "
        "ranges stay in their range, and public addresses stay public",
    )


class Ip(Masker):
    """Permute the host bits of IP addresses with a keyed Feistel network; the family never changes.

    Example: "192.168.1.7" -> "192.168.x.y"; "203.0.114.9" -> another public IPv4; "2001:db8::1" ->
    "2001:db8:xxxx:...". An address's bits below the kept prefix (keep_prefix_v4 / keep_prefix_v6, or
    the special range's own prefix when keep_private and that is longer) go through an 8-round Feistel
    network on bits whose round function is HMAC-SHA256 under the domain's subkey, tweaked by the kept
    prefix. That is a bijection, so distinct addresses stay distinct (a UNIQUE column stays unique);
    public addresses whose image falls into a special range go round again (cycle-walking, 24
    rounds, then the last image stands: odds below 1e-20 with no prefix kept). IPv4 is written in
    dotted decimal; IPv6 in RFC 5952 form, or fully expanded when the input was, upper case when the
    input was, with an embedded IPv4 tail ("::ffff:10.1.2.3") kept as such. Zone ("%eth0") and prefix
    length ("/24") suffixes are kept as written. Two spellings of one IPv6 address are one address and
    map alike. IPv4-mapped addresses (::ffff:a.b.c.d) stay in ::ffff:0:0/96, whatever the class of
    the embedded IPv4. Text that is not an address (including IPv4 with leading zeros) is masked as text:
    digits permuted, letters shifted by a keyed pad; such text can, rarely, come out reading as an
    address ("1.2.3.04" -> "5.6.7.89"), the one way two inputs could share an output.
    """

    name = "ip"
    summary = "IPv4/IPv6 host bits permuted (bijective); family, kept prefix and special ranges kept"
    accepts = frozenset({"string"})
    Params = IpParams
    uniqueness = "bijective"
    mapping_params = ("keep_prefix_v4", "keep_prefix_v6", "keep_private")
    example = ({}, "192.168.1.7", "192.168.x.y (a private address stays private)")

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        assert isinstance(params, IpParams)
        steps = _parse_steps(value)
        steps += _prefix_steps(params)
        steps += _feistel_steps(ctx)
        if params.keep_private:
            steps.append(partial(_walk_step, ctx=ctx))
        steps += _format_steps()
        steps.append({"_ipx_in": pl.when(pl.col("_ip_hi").is_null()).then(value)})
        steps += _shape.scramble_steps(pl.col("_ipx_in"), ctx, pl.lit("not-ip"), "_ipx_out", "_ipx")
        steps.append({OUTPUT: pl.coalesce("_ip_out", "_ipx_out")})
        return steps


def _u64(value: int) -> pl.Expr:
    return pl.lit(value, dtype=pl.UInt64)


def _pow2(bits: pl.Expr) -> pl.Expr:
    """2**bits as UInt64 for bits 0..63 (64 and more read as 63; callers guard that case)."""
    return bits.clip(0, 63).replace_strict(_POW2, return_dtype=pl.UInt64)


def _low_bits(number: pl.Expr, bits: pl.Expr) -> pl.Expr:
    """number mod 2**bits, for bits 0..64."""
    return pl.when(bits >= 64).then(number).otherwise(number % _pow2(bits))


def _parse_steps(value: pl.Expr) -> Steps:
    """Steps that read each value as IPv4 or IPv6 into _ip_hi/_ip_lo (UInt64), style flags and suffix.

    Regex matches and splits are computed once into struct columns and read from there: Polars does
    not reliably share a repeated sub-expression, and each read would match again.
    """
    core = pl.col("_ip_core")
    v4, embedded, tail = pl.col("_ip_v4parts"), pl.col("_ip_embparts"), pl.col("_ip_tailparts")
    octets = [v4.struct[i].cast(pl.UInt64) for i in range(4)]
    v4_number = ((octets[0] * 256 + octets[1]) * 256 + octets[2]) * 256 + octets[3]
    tail_octets = [tail.struct[i].cast(pl.Int64) for i in range(4)]
    tail_hex = (
        (tail_octets[0] * 256 + tail_octets[1]).replace_strict(_HEX16, default=None, return_dtype=pl.String)
        + ":"
        + (tail_octets[2] * 256 + tail_octets[3]).replace_strict(_HEX16, default=None, return_dtype=pl.String)
    )
    hexcore = pl.col("_ip_hexcore")
    halves = pl.col("_ip_halves")
    head, rest = halves.struct[0], halves.struct[1]
    n_head = pl.when(head == "").then(0).otherwise(head.str.count_matches(":", literal=True) + 1)
    n_rest = pl.when(rest == "").then(0).otherwise(rest.str.count_matches(":", literal=True) + 1)
    compressed = hexcore.str.contains("::", literal=True)
    missing = 8 - n_head - n_rest
    zeros = pl.lit("0").repeat_by(missing.clip(0, 8)).list.join(":")
    expanded = (
        pl.when(compressed)
        .then(
            pl.concat_str(
                [pl.when(head != "").then(head), zeros, pl.when(rest != "").then(rest)],
                separator=":",
                ignore_nulls=True,
            )
        )
        .otherwise(hexcore)
    )
    well_formed = (
        hexcore.str.contains(r"^[0-9A-Fa-f:]+$")
        & (hexcore.str.count_matches("::", literal=True) <= 1)
        & ~hexcore.str.contains(":::", literal=True)
        & (~compressed | (missing >= 1))
    )
    groups = pl.col("_ip_groups")
    group_ok = [groups.struct[i].str.contains(HEX_GROUP).fill_null(False) for i in range(8)]
    numbers = [groups.struct[i].str.to_integer(base=16, dtype=pl.UInt64, strict=False) for i in range(8)]
    hi6 = ((numbers[0] * 65536 + numbers[1]) * 65536 + numbers[2]) * 65536 + numbers[3]
    lo6 = ((numbers[4] * 65536 + numbers[5]) * 65536 + numbers[6]) * 65536 + numbers[7]
    is_v6 = pl.col("_ip_v6ok") & (pl.col("_ip_expanded").str.count_matches(":", literal=True) == 7)
    for ok in group_ok:
        is_v6 = is_v6 & ok
    is_v4 = pl.col("_ip_v4num").is_not_null()
    hex_letters = core.str.replace_all(r"[^A-Fa-f]", "")
    has_colon = core.str.contains(":", literal=True)
    parts = pl.col("_ip_parts")
    return [
        {"_ip_parts": value.str.extract_groups(ADDRESS)},
        {"_ip_core": parts.struct[0], "_ip_suffix": parts.struct[1]},
        {
            "_ip_v4parts": pl.when(~has_colon).then(core).str.extract_groups(IPV4),
            "_ip_embparts": pl.when(has_colon).then(core).str.extract_groups(EMBEDDED),
        },
        {"_ip_tailparts": embedded.struct[1].str.extract_groups(IPV4)},
        {
            "_ip_v4num": v4_number,
            "_ip_emb": tail_hex.is_not_null() & has_colon,
            "_ip_hexcore": pl.when(tail_hex.is_not_null())
            .then(embedded.struct[0] + tail_hex)
            .otherwise(core),
        },
        {"_ip_halves": pl.when(has_colon).then(hexcore).str.split_exact("::", 1)},
        {"_ip_v6ok": pl.when(has_colon).then(well_formed).otherwise(False)},
        {"_ip_expanded": pl.when(pl.col("_ip_v6ok")).then(expanded)},
        {"_ip_groups": pl.col("_ip_expanded").str.split_exact(":", 7)},
        {
            "_ip_v4": is_v4,
            "_ip_v6": pl.when(is_v4).then(False).otherwise(is_v6.fill_null(False)),
            "_ip_full": ~compressed & ~pl.col("_ip_emb") & (core.str.len_chars() == 39),
            "_ip_upper": hex_letters.str.contains("[A-F]") & ~hex_letters.str.contains("[a-f]"),
        },
        {
            "_ip_hi": pl.when(pl.col("_ip_v4")).then(_u64(0)).when(pl.col("_ip_v6")).then(hi6),
            "_ip_lo": pl.when(pl.col("_ip_v4")).then(pl.col("_ip_v4num")).when(pl.col("_ip_v6")).then(lo6),
        },
    ]


def _ranges() -> list[tuple[bool, int, int, int]]:
    """(is_v6, network high 64 bits, network low 64 bits, prefix length) of every special range."""
    out = []
    for text in SPECIAL_V4 + SPECIAL_V6:
        net = ipaddress.ip_network(text)
        number = int(net.network_address)
        out.append((net.version == 6, number >> 64, number & (2**64 - 1), net.prefixlen))
    return out


def _in_range(
    hi: pl.Expr, lo: pl.Expr, v6: pl.Expr, is_v6: bool, net_hi: int, net_lo: int, length: int
) -> pl.Expr:
    if not is_v6:
        shift = 2 ** (32 - length)
        return ~v6 & (lo // shift == net_lo // shift)
    if length <= 64:
        shift = 2 ** (64 - length)
        return v6 & (hi // shift == net_hi // shift)
    shift = 2 ** (128 - length)
    return v6 & (hi == net_hi) & (lo // shift == net_lo // shift)


def _special_length(hi: pl.Expr, lo: pl.Expr, v6: pl.Expr) -> pl.Expr:
    """The prefix length of the special range an address is in (ranges do not overlap), else null."""
    out = pl.lit(None, dtype=pl.Int64)
    for is_v6, net_hi, net_lo, length in reversed(_ranges()):
        out = (
            pl.when(_in_range(hi, lo, v6, is_v6, net_hi, net_lo, length))
            .then(pl.lit(length, dtype=pl.Int64))
            .otherwise(out)
        )
    return out


def _in_special(hi: pl.Expr, lo: pl.Expr, v6: pl.Expr) -> pl.Expr:
    return pl.any_horizontal([_in_range(hi, lo, v6, *r) for r in _ranges()])


def _prefix_steps(params: IpParams) -> Steps:
    v6 = pl.col("_ip_v6")
    keep = pl.when(v6).then(params.keep_prefix_v6).otherwise(params.keep_prefix_v4).cast(pl.Int64)
    special = pl.col("_ip_special")
    kept_bits = pl.max_horizontal(keep, special) if params.keep_private else keep
    host = pl.col("_ip_h")
    hi, lo = pl.col("_ip_hi"), pl.col("_ip_lo")
    kept_hi = pl.when(host > 64).then(hi - _low_bits(hi, host - 64)).otherwise(hi)
    kept_lo = pl.when(host >= 64).then(_u64(0)).otherwise(lo - _low_bits(lo, host))
    steps: Steps = [
        {"_ip_special": _special_length(hi, lo, v6) if params.keep_private else pl.lit(None, dtype=pl.Int64)},
        {"_ip_h": pl.when(v6).then(128).otherwise(32) - kept_bits},
        {
            "_ip_public": special.is_null(),
            # The tweak names the family, host size and kept prefix: each block is its own permutation.
            "_ip_tweak": pl.concat_str(
                [
                    pl.when(v6).then(pl.lit("6")).otherwise(pl.lit("4")),
                    host.cast(pl.String),
                    kept_hi.cast(pl.String),
                    kept_lo.cast(pl.String),
                ],
                separator=":",
            ),
            "_ip_kept_hi": kept_hi,
            "_ip_kept_lo": kept_lo,
        },
    ]
    return steps


def _feistel_steps(ctx: MaskContext, active: pl.Expr | None = None) -> Steps:
    """An 8-round alternating Feistel network on the low `_ip_h` bits of (_ip_hi, _ip_lo), XOR-combined.

    Halves: above 64 host bits, the host bits of the high word and the whole low word; else the host
    bits split in two near-equal halves of the low word. Reads and rewrites _ip_hi and _ip_lo, on the
    rows where `active` holds (all rows when None).
    """
    host, hi, lo = pl.col("_ip_h"), pl.col("_ip_hi"), pl.col("_ip_lo")
    wide = host > 64
    left_bits = pl.when(wide).then(host - 64).otherwise(host // 2)
    right_bits = pl.when(wide).then(64).otherwise(host - host // 2)
    low_host = _low_bits(lo, host)
    steps: Steps = [
        {
            "_ipf_wide": wide,
            "_ipf_shift": _pow2(right_bits),
            "_ipf_mask_a": _mask(left_bits),
            "_ipf_mask_b": _mask(right_bits),
            "_ipf_left": pl.when(wide)
            .then(_low_bits(hi, host - 64))
            .otherwise(low_host // _pow2(right_bits)),
            "_ipf_right": pl.when(wide).then(lo).otherwise(_low_bits(low_host, right_bits)),
            # Inactive rows get a null tweak: their round inputs are null and the keyed hash skips them.
            "_ipf_tweak": pl.col("_ip_tweak")
            if active is None
            else pl.when(active).then(pl.col("_ip_tweak")),
        }
    ]
    for round_no in range(ROUNDS):
        source, target, mask = (
            ("_ipf_left", "_ipf_right", "_ipf_mask_b")
            if round_no % 2 == 0
            else ("_ipf_right", "_ipf_left", "_ipf_mask_a")
        )
        text = pl.concat_str(
            [pl.lit(str(round_no)), pl.col("_ipf_tweak"), pl.col(source).cast(pl.String)], separator=":"
        )
        f = lane(hmac_hex(text, ctx.subkey), 0).and_(pl.col(mask))
        steps.append({target: pl.col(target).xor(f)})
    left, right, wide_col = pl.col("_ipf_left"), pl.col("_ipf_right"), pl.col("_ipf_wide")
    new_hi = pl.when(wide_col).then(pl.col("_ip_kept_hi") + left).otherwise(hi)
    new_lo = (
        pl.when(wide_col).then(right).otherwise(pl.col("_ip_kept_lo") + left * pl.col("_ipf_shift") + right)
    )
    steps.append({"_ip_hi": pl.coalesce(new_hi, hi), "_ip_lo": pl.coalesce(new_lo, lo)})
    return steps


def _mask(bits: pl.Expr) -> pl.Expr:
    """2**bits - 1 as UInt64, for bits 0..64."""
    return pl.when(bits >= 64).then(_u64(2**64 - 1)).otherwise(_pow2(bits) - _u64(1))


_WALK_STATE = ("_ip_hi", "_ip_lo", "_ip_v6", "_ip_h", "_ip_tweak", "_ip_kept_hi", "_ip_kept_lo", "_ip_public")


def _walk_step(work: pl.LazyFrame, ctx: MaskContext) -> pl.LazyFrame:
    """Cycle-walking: public addresses mapped into a special range are permuted again (those rows only)."""
    walking = pl.col("_ip_public") & _in_special(pl.col("_ip_hi"), pl.col("_ip_lo"), pl.col("_ip_v6"))
    return _shape.cycle_walk(work, walking, partial(_feistel_steps, ctx), _WALK_STATE, WALK_ROUNDS)


def _hex_group(number: pl.Expr) -> pl.Expr:
    return number.cast(pl.Int64).replace_strict(_HEX16, return_dtype=pl.String)


def _compress(groups: pl.Expr, count: int) -> pl.Expr:
    """RFC 5952: the longest run of two or more zero groups (the first of equal runs) becomes "::"."""
    out = groups
    for run in range(2, count + 1):
        pattern = r"(^|:)0" + rf"(:0){{{run - 1}}}" + r"(:|$)"
        out = pl.when(groups.str.contains(pattern)).then(groups.str.replace(pattern, "::")).otherwise(out)
    return out


def _format_steps() -> Steps:
    hi, lo = pl.col("_ip_hi"), pl.col("_ip_lo")
    words = [hi // 2**48, hi // 2**32 % 65536, hi // 2**16 % 65536, hi % 65536]
    words += [lo // 2**48, lo // 2**32 % 65536, lo // 2**16 % 65536, lo % 65536]
    hexes = [pl.col(f"_ip_g{i}") for i in range(8)]
    octets = [(lo // 2**24 % 256), (lo // 2**16 % 256), (lo // 2**8 % 256), (lo % 256)]
    dotted_v4 = pl.concat_str([o.cast(pl.String) for o in octets], separator=".")
    full = pl.concat_str([h.str.zfill(4) for h in hexes], separator=":")
    short = _compress(pl.col("_ip_joined8"), 8)
    head6 = pl.col("_ip_head6")
    embedded = (
        pl.when(head6.str.ends_with("::"))
        .then(head6 + pl.col("_ip_v4text"))
        .otherwise(head6 + ":" + pl.col("_ip_v4text"))
    )
    v6 = pl.when(pl.col("_ip_emb")).then(embedded).when(pl.col("_ip_full")).then(full).otherwise(short)
    v6 = pl.when(pl.col("_ip_upper")).then(v6.str.to_uppercase()).otherwise(v6)
    address = pl.when(pl.col("_ip_v6")).then(v6).otherwise(pl.col("_ip_v4text"))
    # Each group's text is computed once, in its own step: the compression below reads it many times.
    six = pl.when(pl.col("_ip_v6")).then(hi)
    return [
        {f"_ip_g{i}": _hex_group(pl.when(pl.col("_ip_v6")).then(w)) for i, w in enumerate(words)}
        | {"_ip_v4text": dotted_v4},
        {
            "_ip_joined8": pl.concat_str(hexes, separator=":"),
            "_ip_joined6": pl.concat_str(hexes[:6], separator=":"),
        },
        {"_ip_head6": pl.when(pl.col("_ip_emb")).then(_compress(pl.col("_ip_joined6"), 6))},
        {"_ip_out": pl.when(six.is_not_null() | pl.col("_ip_v4")).then(address + pl.col("_ip_suffix"))},
    ]


MASKER = Ip()
