"""uuid: keyed version-4 UUIDs, spelling kept; text and binary forms of one UUID agree."""

from __future__ import annotations

import uuid

import polars as pl
import pytest
from tests.conftest import OTHER_KEY_HEX
from tests.maskers._run import mask

from maskpipe.maskers import REGISTRY

U = "550e8400-e29b-41d4-a716-446655440000"


def test_uuid_outputs_are_rfc4122_version_4() -> None:
    values = pl.Series([str(uuid.UUID(int=i * 7919 + 1)) for i in range(2000)])
    out = mask("uuid", values)
    parsed = [uuid.UUID(v) for v in out]
    assert all(u.version == 4 and u.variant == uuid.RFC_4122 for u in parsed)
    assert out.n_unique() == values.len()


def test_uuid_keeps_spelling_and_maps_every_spelling_alike() -> None:
    spellings = [U, U.upper(), U.replace("-", ""), "{" + U + "}", "urn:uuid:" + U]
    out = mask("uuid", pl.Series(spellings)).to_list()
    canonical = out[0]
    assert out[1] == canonical.upper()
    assert out[2] == canonical.replace("-", "")
    assert out[3] == "{" + canonical + "}"
    assert out[4] == "urn:uuid:" + canonical


def test_uuid_binary_maps_like_text() -> None:
    as_text = mask("uuid", pl.Series([U])).item()
    as_bytes = mask("uuid", pl.Series([uuid.UUID(U).bytes, None], dtype=pl.Binary)).to_list()
    assert as_bytes[1] is None
    assert str(uuid.UUID(bytes=as_bytes[0])) == as_text


def test_uuid_non_uuid_text_becomes_a_keyed_uuid_and_empty_stays() -> None:
    out = mask("uuid", pl.Series(["customer 42", "", None], dtype=pl.String)).to_list()
    assert uuid.UUID(out[0]).version == 4
    assert out[1:] == ["", None]


def test_uuid_depends_on_the_key() -> None:
    values = pl.Series([U])
    assert not mask("uuid", values).equals(mask("uuid", values, OTHER_KEY_HEX))


def test_uuid_rejects_other_types_and_params() -> None:
    masker = REGISTRY["uuid"]
    assert masker.check_dtype(pl.Int64(), masker.Params()) is not None
    with pytest.raises(ValueError):
        masker.Params.model_validate({"version": 7})
