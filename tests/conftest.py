"""Shared test wiring: the throwaway PostgreSQL cluster plugin and a fixed test key."""

from __future__ import annotations

import pytest

from maskpipe.hashing import MaskingKey, key_from_text

pytest_plugins = ["tests.conftest_pg"]

TEST_KEY_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
OTHER_KEY_HEX = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"


@pytest.fixture
def key() -> MaskingKey:
    return key_from_text(TEST_KEY_HEX, "test")


@pytest.fixture
def other_key() -> MaskingKey:
    return key_from_text(OTHER_KEY_HEX, "test-other")
