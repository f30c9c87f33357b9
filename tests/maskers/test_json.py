"""json: column maskers at paths and PII-named keys, free_text elsewhere; documents stay valid JSON."""

from __future__ import annotations

import json

import pytest
from tests.maskers.test_free_text import column_mask

from maskpipe.hashing import MaskingKey
from maskpipe.maskers import REGISTRY
from maskpipe.maskers.json import parse_path, path_matches


def json_mask(values: list[str | None], key: MaskingKey, **params: object) -> list[str | None]:
    return column_mask("json", values, key, **params)


def test_json_path_value_maps_exactly_as_the_column_masker(key: MaskingKey) -> None:
    docs = ['{"contact": {"email": "ana.lopez@corp.io", "vip": true}, "n": 3}']
    [out] = json_mask(docs, key, paths={"$.contact.email": "email"})
    [masked] = column_mask("email", ["ana.lopez@corp.io"], key)
    assert json.loads(out or "") == {"contact": {"email": masked, "vip": True}, "n": 3}


def test_json_emails_in_nested_documents_and_arrays_are_masked(key: MaskingKey) -> None:
    docs = [
        '{"nested": {"level": {"owner": {"email": "ana@corp.io"}}}, "version": 2}',
        '{"events": [{"type": "login", "by": "ana@corp.io"}, {"type": "logout", "note": "Mr Jansen left"}]}',
        '["ana@corp.io", 1, null, false]',
    ]
    out = json_mask(docs, key)
    [masked] = column_mask("email", ["ana@corp.io"], key)
    for doc in out:
        assert doc is not None and "ana@corp.io" not in doc and masked in doc
        json.loads(doc)
    assert "Jansen" not in (out[1] or "")
    assert json.loads(out[2] or "")[1:] == [1, None, False]


def test_json_ssn_and_ip_in_log_payload_strings_are_masked(key: MaskingKey) -> None:
    doc = '{"level": "info", "msg": "user 123-45-6789 logged in from 203.0.113.7", "ms": 12}'
    [out] = json_mask([doc], key)
    parsed = json.loads(out or "")
    assert "123-45-6789" not in parsed["msg"] and "203.0.113.7" not in parsed["msg"]
    assert parsed["msg"].startswith("user ") and parsed["level"] == "info" and parsed["ms"] == 12


def test_json_keys_named_like_pii_use_their_masker(key: MaskingKey) -> None:
    [out] = json_mask(['{"first_name": "Gideon", "telefoon": "+31 6 17724526"}'], key)
    parsed = json.loads(out or "")
    assert parsed["first_name"] == column_mask("first_name", ["Gideon"], key)[0]
    assert parsed["telefoon"] != "+31 6 17724526"


def test_json_text_that_only_looks_like_json_falls_back_to_free_text(key: MaskingKey) -> None:
    docs = ["{'email': 'ana@corp.io'}", '{"truncated": "ana@corp.io", ', "email=ana@corp.io name=x"]
    [masked] = column_mask("email", ["ana@corp.io"], key)
    assert json_mask(docs, key) == [d.replace("ana@corp.io", masked) for d in docs]


def test_json_style_is_kept_and_untouched_documents_are_byte_identical(key: MaskingKey) -> None:
    docs = [
        '{"a":"ana@corp.io","b":[1,2]}',
        '{\n  "a": "ana@corp.io",\n  "b": "caf\\u00e9 ok"\n}',
        '{"plain":   "nothing here" ,"x":1}',
        "",
        None,
    ]
    out = json_mask(docs, key)
    assert out[0] is not None and '":"' in out[0] and ", " not in out[0]
    assert out[1] is not None and out[1].startswith('{\n  "a": "') and "\\u00e9" in out[1]
    assert out[2:] == docs[2:]


def test_json_numbers_at_a_path_stay_numbers(key: MaskingKey) -> None:
    [out] = json_mask(['{"salary": 52000, "id": 7}'], key, paths={"$.salary": {"masker": "numeric_noise"}})
    parsed = json.loads(out or "")
    assert isinstance(parsed["salary"], int) and parsed["salary"] != 52000 and parsed["id"] == 7


@pytest.mark.parametrize(
    ("path", "concrete", "matches"),
    [
        ("$.contact.email", ("contact", "email"), True),
        ("$..email", ("a", 0, "b", "email"), True),
        ("$.events[*].ip", ("events", 3, "ip"), True),
        ("$.events[0].ip", ("events", 3, "ip"), False),
        ("$['odd key'].x", ("odd key", "x"), True),
        ("$.contact.email", ("contact", "email", "x"), False),
    ],
)
def test_json_paths(path: str, concrete: tuple[str | int, ...], matches: bool) -> None:
    assert path_matches(parse_path(path), concrete) is matches


def test_json_bad_path_is_refused_with_an_example() -> None:
    with pytest.raises(ValueError, match=r"must start with '\$' \(e\.g\. \$\.contact\.email\)"):
        REGISTRY["json"].Params.model_validate({"paths": {"contact.email": "email"}})
