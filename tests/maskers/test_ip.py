"""ip: family kept, host bits permuted bijectively; kept prefixes and special ranges stay."""

from __future__ import annotations

import ipaddress
import random

import polars as pl
import pytest
from tests.maskers._run import mask

from maskpipe.maskers import REGISTRY
from maskpipe.maskers.ip import SPECIAL_V4, SPECIAL_V6

NETWORKS = [ipaddress.ip_network(n) for n in SPECIAL_V4 + SPECIAL_V6]


def _range_class(address: str) -> str:
    parsed = ipaddress.ip_address(address)
    return next(
        (str(n) for n in NETWORKS if parsed.version == n.version and parsed in n), f"public{parsed.version}"
    )


def _random_addresses(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.4:
            out.append(str(ipaddress.IPv4Address(rng.getrandbits(32))))
        else:
            bits = rng.getrandbits(128)
            if rng.random() < 0.3:
                bits &= ~((2 ** rng.randint(16, 100) - 1) << rng.randint(0, 20))
            address = ipaddress.IPv6Address(bits)
            out.append(address.exploded.upper() if roll < 0.5 else address.compressed)
    return list(dict.fromkeys(out))


def test_ip_keeps_family_range_class_and_spelling() -> None:
    values = _random_addresses(20_000, seed=1)
    out = mask("ip", pl.Series(values)).to_list()
    for before, after in zip(values, out, strict=True):
        parsed = ipaddress.ip_address(after)
        assert _range_class(before) == _range_class(after)
        if parsed.version == 6:
            upper = any(c in "ABCDEF" for c in before)
            expected = parsed.exploded if len(before) == 39 else parsed.compressed
            assert after == (expected.upper() if upper else expected)
    assert len({ipaddress.ip_address(v) for v in out}) == len(values)


def test_ip_examples() -> None:
    values = pl.Series(["192.168.1.7", "10.0.0.1/8", "2001:db8::1", "fe80::1%eth0", "::ffff:10.1.2.3", "::1"])
    out = mask("ip", values).to_list()
    assert out[0].startswith("192.168.") and out[0] != "192.168.1.7"
    assert out[1].startswith("10.") and out[1].endswith("/8")
    assert ipaddress.ip_address(out[2]) in ipaddress.ip_network("2001:db8::/32")
    assert out[3].endswith("%eth0") and ipaddress.ip_address(out[3][:-5]) in ipaddress.ip_network("fe80::/10")
    assert out[4].startswith("::ffff:") and ipaddress.ip_address(out[4][7:]).version == 4
    assert out[5] == "::1"


def test_ip_keep_prefix_is_a_bijection_within_the_block() -> None:
    values = pl.Series([f"8.8.{i // 256}.{i % 256}" for i in range(65536)])
    out = mask("ip", values, keep_prefix_v4=16)
    assert sorted(out.to_list()) == sorted(values.to_list()) and not out.equals(values)


def test_ip_public_addresses_walk_out_of_special_ranges() -> None:
    # 192.0.2.0/24 is a documentation range: the public half of 192.0.2.0/23 must map onto itself.
    public = [f"192.0.3.{i}" for i in range(256)]
    out = mask("ip", pl.Series(public), keep_prefix_v4=23)
    assert sorted(out.to_list()) == sorted(public)


def test_ip_without_keep_private_may_leave_special_ranges() -> None:
    values = pl.Series([f"10.0.{i // 256}.{i % 256}" for i in range(2000)])
    out = mask("ip", values, keep_private=False).to_list()
    assert sum(v.startswith("10.") for v in out) < 100


def test_ip_non_addresses_are_masked_as_text() -> None:
    out = mask("ip", pl.Series(["localhost", "010.1.2.3", "", None], dtype=pl.String)).to_list()
    assert out[0].isalpha() and len(out[0]) == 9 and out[0] != "localhost"
    assert len(out[1]) == 9 and out[1] != "010.1.2.3"
    assert out[2:] == ["", None]


def test_ip_rejects_bad_params() -> None:
    params = REGISTRY["ip"].Params
    for bad in ({"keep_prefix_v4": 33}, {"keep_prefix_v6": -1}, {"keep_prefix": 8}):
        with pytest.raises(ValueError):
            params.model_validate(bad)


@pytest.mark.slow
def test_ip_a_million_distinct_addresses_stay_distinct() -> None:
    n = 1_000_000
    i = pl.int_range(0, n, eager=True)
    values = pl.concat_str(
        [
            pl.lit("11"),
            (i // 65536).cast(pl.String),
            (i // 256 % 256).cast(pl.String),
            (i % 256).cast(pl.String),
        ],
        separator=".",
    )
    out = mask("ip", pl.select(values).to_series())
    assert out.n_unique() == n
