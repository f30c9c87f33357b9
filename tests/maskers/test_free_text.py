"""free_text: PII inside text gets exactly the column maskers' pseudonyms; the rest of the text is kept."""

from __future__ import annotations

import socket

import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import TEST_KEY_HEX
from tests.maskers._run import mask

from maskpipe.hashing import MaskingKey, key_from_text
from maskpipe.maskers import REGISTRY
from maskpipe.maskers.base import domain_label
from maskpipe.model import ColumnInfo, TableInfo
from maskpipe.plan import ColumnPlan
from maskpipe.transform import masked_lazyframe


def column_mask(name: str, values: list[str | None], key: MaskingKey, **params: object) -> list[str | None]:
    """What column masker `name` (default domain) makes of `values` under `key`, run by the transform."""
    masker = REGISTRY[name]
    bound = masker.Params.model_validate(params)
    plan = ColumnPlan("v", name, bound, domain_label(masker, bound), "test")
    frame = pl.LazyFrame({"v": pl.Series(values, dtype=pl.String)})
    return masked_lazyframe(frame, (plan,), key).collect().get_column("v").to_list()


def text_mask(values: list[str | None], key: MaskingKey, **params: object) -> list[str | None]:
    return column_mask("free_text", values, key, **params)


def test_free_text_email_in_note_maps_exactly_as_the_email_column(key: MaskingKey) -> None:
    emails = ["ana.lopez@corp.io", "Ana.Lopez@Corp.io", "JOHN@EXAMPLE.ORG"]
    notes = [f"Please mail {e} before Friday." for e in emails]
    masked_emails = column_mask("email", emails, key)
    masked_notes = text_mask(notes, key)
    assert masked_notes == [f"Please mail {m} before Friday." for m in masked_emails]


def test_free_text_names_in_notes_are_replaced_by_first_and_last_name_pseudonyms(key: MaskingKey) -> None:
    notes = [
        "Escalated to Mr O'Brien in billing.",
        "Spoke with Gideon (no phone) today.",
        "Kingswell's account reviewed.",
        "Called Klaas 't Hooft about the invoice.",
        "Called 高橋太郎 about the invoice.",
        "山田さんから電話がありました。",
        "Customer Anna asked for a refund.",
    ]
    out = text_mask(notes, key)
    for name, masked in zip(
        ["O'Brien", "Gideon", "Kingswell", "Hooft", "高橋太郎", "山田", "Anna"], out, strict=True
    ):
        assert masked is not None and name not in masked
    assert out[0].startswith("Escalated to Mr ") and out[0].endswith(" in billing.")
    assert out[2].endswith("'s account reviewed.")
    assert out[5].endswith("さんから電話がありました。")
    # "Mr X" is a last name, a name after "Spoke with" a first name: both come from the column maskers.
    [last] = column_mask("last_name", ["O'Brien"], key)
    [first] = column_mask("first_name", ["Gideon"], key)
    assert out[0] == f"Escalated to Mr {last} in billing."
    assert out[1] == f"Spoke with {first} (no phone) today."


@pytest.mark.parametrize(
    "number",
    [
        "+1 (555) 471-6295",
        "(555) 145-6491",
        "555.128.8367",  # US
        "+31 6 17724526",
        "020-7718289",
        "06-88171366",  # NL
        "+49 30 6538554",
        "(030) 8511207",  # DE
        "+33 6 94 49 60 10",
        "01.79.91.23.49",  # FR
        "+44 7700 900950",
        "020 7946 0235",  # UK
        "090-0623-2125",  # JP
    ],
)
def test_free_text_phones_in_national_formats_are_masked(number: str, key: MaskingKey) -> None:
    [out] = text_mask([f"Call back on {number} after 10:00."], key)
    assert out is not None and number not in out
    assert out.startswith("Call back on ") and out.endswith(" after 10:00.")


def test_free_text_log_line_with_ssn_card_iban_ip_keeps_the_rest(key: MaskingKey) -> None:
    line = (
        "2024-05-01T10:00:00Z user 123-45-6789 paid 4111 1111 1111 1111 from NL91ABNA0417164300 "
        "at 203.0.113.7 (order 12345)"
    )
    [out] = text_mask([line], key)
    assert out is not None
    for secret in ("123-45-6789", "4111 1111 1111 1111", "NL91ABNA0417164300", "203.0.113.7"):
        assert secret not in out
    assert out.startswith("2024-05-01T10:00:00Z user ") and out.endswith(" (order 12345)")


def test_free_text_invalid_checksums_and_plain_numbers_are_kept(key: MaskingKey) -> None:
    texts = [
        "card 4111 1111 1111 1112 failed Luhn",
        "IBAN NL00ABNA0417164300 is invalid",
        "3 items, 12.50 EUR",
        "",
    ]
    assert text_mask([*texts, None], key) == [*texts, None]


def test_free_text_without_pii_is_left_as_it_is(key: MaskingKey) -> None:
    texts = [
        "Left voicemail. Will try again tomorrow.",
        "Payment plan agreed.",
        "VIP — do not contact before 10:00 ☕",
    ]
    assert text_mask(texts, key) == texts


def test_free_text_other_key_gives_other_pseudonyms(key: MaskingKey, other_key: MaskingKey) -> None:
    notes = ["Mail ana.lopez@corp.io or ask Mr Jansen."]
    assert text_mask(notes, key) != text_mask(notes, other_key)
    assert text_mask(notes, key) == text_mask(notes, key)


def test_free_text_row_columns_replace_the_rows_own_values_with_the_columns_pseudonyms(
    key: MaskingKey,
) -> None:
    # "Gideon" has no cue and is in no dictionary: only the row's own first_name column says it is a name.
    frame = pl.DataFrame(
        {
            "first_name": ["Gideon", "Zebulon", None],
            "email": ["gideon@corp.io", "zeb@corp.io", "x@y.io"],
            "remarks": [
                "Gideon prefers email; Gideonson is his company.",
                "Zebulon: call after 5",
                "nothing",
            ],
        }
    )
    plans = []
    for column, name, params in [
        ("first_name", "first_name", {}),
        ("email", "email", {}),
        ("remarks", "free_text", {"row_columns": ["first_name", "email"]}),
    ]:
        masker = REGISTRY[name]
        bound = masker.Params.model_validate(params)
        plans.append(ColumnPlan(column, name, bound, domain_label(masker, bound), "test"))
    out = masked_lazyframe(frame.lazy(), tuple(plans), key).collect()
    first = out.get_column("first_name").to_list()
    remarks = out.get_column("remarks").to_list()
    assert remarks[0] == f"{first[0]} prefers email; Gideonson is his company."  # whole words only
    assert remarks[1] == f"{first[1]}: call after 5"
    assert remarks[2] == "nothing"


def test_free_text_row_columns_must_exist_in_the_table() -> None:
    from maskpipe.plan import _bind_column

    table = TableInfo("public", "t", (ColumnInfo("body", pa.string()),))
    plan, problems = _bind_column(
        table, "body", "free_text", {"row_columns": ["frist_name"]}, None, "rules/t.yaml:3:3", None
    )
    assert plan is None and "frist_name" in problems[0].message


def test_free_text_private_use_marks_in_source_text_are_dropped(key: MaskingKey) -> None:
    assert text_mask(["a\ue000b\ue001c"], key) == ["abc"]


def test_free_text_unknown_kind_or_masker_in_maskers_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        REGISTRY["free_text"].Params.model_validate({"maskers": {"e-mail": "email"}})
    with pytest.raises(ValueError, match="unknown masker 'emial'"):
        REGISTRY["free_text"].Params.model_validate({"maskers": {"email": "emial"}})
    with pytest.raises(ValueError, match="params of masker 'first_name'"):
        REGISTRY["free_text"].Params.model_validate(
            {"maskers": {"first_name": {"masker": "first_name", "params": {"x": 1}}}}
        )


def test_free_text_maskers_param_aligns_text_with_a_custom_column_rule(key: MaskingKey) -> None:
    rule = {"masker": "first_name", "params": {"locale": "nl"}, "domain": "people"}
    [out] = text_mask(["Spoke with Gideon today."], key, maskers={"first_name": rule})
    masker = REGISTRY["first_name"]
    bound = masker.Params.model_validate({"locale": "nl"})
    plan = ColumnPlan("v", "first_name", bound, domain_label(masker, bound, "people"), "test")
    [first] = (
        masked_lazyframe(pl.LazyFrame({"v": ["Gideon"]}), (plan,), key).collect().get_column("v").to_list()
    )
    assert out == f"Spoke with {first} today."


def test_free_text_presidio_runs_offline(key: MaskingKey, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("Presidio tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.delenv("MASKPIPE_SPACY_MODEL", raising=False)
    notes = ["Mail ana.lopez@corp.io or card 4111 1111 1111 1111."]
    with_presidio = mask("free_text", pl.Series(notes), presidio=True).to_list()
    assert "ana.lopez@corp.io" not in with_presidio[0] and "4111 1111 1111 1111" not in with_presidio[0]
    # Presidio's findings map through the same column maskers as the recognizers' findings.
    assert with_presidio == mask("free_text", pl.Series(notes)).to_list()


def test_presidio_marks_skip_overlaps_and_low_scores() -> None:
    from types import SimpleNamespace as R

    from maskpipe.scan.presidio_offline import _mark

    results = [
        R(entity_type="PERSON", start=0, end=4, score=0.9),
        R(entity_type="PERSON", start=2, end=8, score=0.5),
        R(entity_type="EMAIL_ADDRESS", start=9, end=14, score=0.3),
        R(entity_type="URL", start=9, end=14, score=1.0),
    ]
    assert _mark("Anna Bell a@b.c", results, 0.5, "|", "<", ">") == "|<person>Anna| Bell a@b.c"


PIECES = st.sampled_from(
    ["ana@corp.io", "Mr Jansen", "+31 6 12345678", "123-45-6789", "Spoke with Gideon", "12 Maple Street",
     "NL91ABNA0417164300", "ok", "Will try", "10:00", "山田さん", "Zoë", "—", "", " "]
)  # fmt: skip
TEXTS = st.lists(st.lists(PIECES, max_size=6).map(" ".join) | st.none(), min_size=1, max_size=12)


@settings(max_examples=20, deadline=None)
@given(texts=TEXTS, cut=st.integers(min_value=0, max_value=12))
def test_free_text_is_deterministic_and_batch_independent(texts: list[str | None], cut: int) -> None:
    key = key_from_text(TEST_KEY_HEX, "test")
    whole = text_mask(texts, key)
    assert whole == text_mask(texts, key)
    assert whole == text_mask(texts[:cut], key) + text_mask(texts[cut:], key)
    assert [w is None for w in whole] == [t is None for t in texts]
