"""scan.names: what a column's name says, across naming styles and languages."""

from __future__ import annotations

import pytest

from maskpipe.scan.names import classify_name, words


@pytest.mark.parametrize(
    ("name", "entity"),
    [
        ("email", "email"),
        ("e_mail", "email"),
        ("EmailAdres", "email"),
        ("correo", "email"),
        ("contactMail", "email"),
        ("phone", "phone"),
        ("telefoon_nr", "phone"),
        ("mobile", "phone"),
        ("Telefon", "phone"),
        ("first_name", "first_name"),
        ("voornaam", "first_name"),
        ("Vorname", "first_name"),
        ("prénom", "first_name"),
        ("surname", "last_name"),
        ("achternaam", "last_name"),
        ("nachname", "last_name"),
        ("iban", "iban"),
        ("rekeningnummer", "iban"),
        ("ssn", "ssn"),
        ("bsn", "ssn"),
        ("dob", "dob"),
        ("geboortedatum", "dob"),
        ("date_of_birth", "dob"),
        ("address", "street_address"),
        ("adres", "street_address"),
        ("straat", "street_address"),
        ("city", "city"),
        ("plaats", "city"),
        ("stadt", "city"),
        ("zip", "postal_code"),
        ("postcode", "postal_code"),
        ("plz", "postal_code"),
        ("ip", "ip"),
        ("last_login_ip", "ip"),
        ("card_number", "card"),
        ("customer_name", "full_name"),
    ],
)
def test_classify_name_finds_entity_in_any_style(name: str, entity: str) -> None:
    hint = classify_name(name)
    assert hint is not None and hint.entity == entity


@pytest.mark.parametrize(
    "name",
    [
        "id",
        "created_at",
        "status",
        "email_verified",
        "mail_sent_at",
        "phone_count",
        "city_id",
        "zip_file",
        "mail_server",
        "ip_country",
        "tip",
        "zipper",
        "recipe",
        "amount",
    ],
)
def test_classify_name_ignores_names_about_something_else(name: str) -> None:
    assert classify_name(name) is None


def test_bare_name_is_only_a_weak_hint() -> None:
    hint = classify_name("name")
    assert hint is not None and hint.confidence < 0.5


def test_words_split_styles() -> None:
    assert words("EmailAdres") == ["email", "adres"]
    assert words("last-Name 2") == ["last", "name", "2"]
    assert words("HTTPStatusCode") == ["http", "status", "code"]
