"""Every golden vector still maps exactly as pinned: the mapping is stable across runs and upgrades."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest
from tests.maskers.golden_tool import GOLDEN_DIR, compute, load

from maskpipe.hashing import MAPPING_VERSION, key_from_text

FILES = sorted(p.stem for p in GOLDEN_DIR.glob("*.json"))


@pytest.mark.parametrize("name", FILES)
def test_golden_vectors_unchanged(name: str) -> None:
    doc = load(name)
    assert doc["masker"] == name and doc["vectors"], f"{name}.json: no vectors"
    for i, vec in enumerate(doc["vectors"]):
        got = compute(name, vec["key"], vec["params"], vec["dtype"], vec["input"], vec.get("domain"))
        assert got == vec["output"], (
            f"{name}.json vector {i} changed. Changing a golden vector is a breaking change: bump "
            f"MAPPING_VERSION (now {MAPPING_VERSION}) and note it in the changelog."
        )


def test_subkey_is_standard_hmac_sha256() -> None:
    # The construction is checkable with the standard library alone, whatever Polars version runs it.
    key = key_from_text("k" * 32, "test")
    expected = hmac.new(b"k" * 32, f"maskpipe/v{MAPPING_VERSION}/email".encode(), hashlib.sha256).hexdigest()
    assert key.subkey("email") == expected


def test_golden_dir_is_not_empty() -> None:
    assert Path(GOLDEN_DIR).is_dir() and FILES
