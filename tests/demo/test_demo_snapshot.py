"""The committed demo snapshot: shape, keys, valid identifiers, and the traps it promises to carry."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import uuid

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from maskpipe import dictionaries
from maskpipe.demo import DEMO_KEY_HEX, DEMO_TABLES, SNAPSHOT_DIR, generate

ROW_COUNTS = {"people": 1_000, "contacts": 1_500, "payments": 3_000, "notes": 2_000}
PRIMARY_KEYS = {"people": "person_id", "contacts": "contact_id", "payments": "payment_id", "notes": "note_id"}
IBAN_LENGTHS = {"NL": 18, "DE": 22, "GB": 22, "FR": 27}


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    return {name: pl.read_parquet(SNAPSHOT_DIR / f"{name}.parquet") for name in DEMO_TABLES}


def _mod97_valid(iban: str) -> bool:
    compact = iban.replace(" ", "").upper()
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _luhn_valid(number: str) -> bool:
    digits = [int(c) for c in re.sub(r"[ -]", "", number)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def test_snapshot_files_exist_and_are_small() -> None:
    paths = [SNAPSHOT_DIR / f"{name}.parquet" for name in DEMO_TABLES]
    assert all(p.is_file() for p in paths)
    assert sum(p.stat().st_size for p in paths) < 2_000_000
    assert sorted(p.name for p in SNAPSHOT_DIR.iterdir()) == sorted(p.name for p in paths)


def test_snapshot_row_counts(tables: dict[str, pl.DataFrame]) -> None:
    assert {name: df.height for name, df in tables.items()} == ROW_COUNTS


def test_snapshot_equals_generator_output() -> None:
    # Compares content, not bytes: another pyarrow version may encode the same table differently.
    for name, built in generate.build().items():
        committed = pq.read_table(SNAPSHOT_DIR / f"{name}.parquet")
        assert committed.equals(built, check_metadata=True), f"{name}: run `python -m maskpipe.demo.generate`"


def test_snapshot_column_types() -> None:
    people = pq.read_schema(SNAPSHOT_DIR / "people.parquet")
    payments = pq.read_schema(SNAPSHOT_DIR / "payments.parquet")
    assert people.field("person_id").type == pa.int64()
    assert not people.field("person_id").nullable
    assert people.field("date_of_birth").type == pa.date32()
    assert people.field("created_at").type == pa.timestamp("us", tz="UTC")
    assert people.field("salary").type == pa.float64()
    assert payments.field("amount").type == pa.decimal128(12, 2)
    assert payments.field("paid_at").type == pa.timestamp("us", tz="UTC")


def test_snapshot_key_metadata_names_existing_columns() -> None:
    for name in DEMO_TABLES:
        schema = pq.read_schema(SNAPSHOT_DIR / f"{name}.parquet")
        meta = json.loads(schema.metadata[generate.METADATA_KEY])
        assert (meta["schema"], meta["name"]) == ("public", name)
        assert meta["primary_key"] == [PRIMARY_KEYS[name]]
        columns = set(schema.names)
        assert all(set(u) <= columns for u in meta["unique"])
        for fk in meta["foreign_keys"]:
            assert set(fk["columns"]) <= columns
            assert fk["ref_table"] == "public.people"


@pytest.mark.parametrize("table", DEMO_TABLES)
def test_primary_key_unique_and_not_null(tables: dict[str, pl.DataFrame], table: str) -> None:
    key = tables[table][PRIMARY_KEYS[table]]
    assert key.null_count() == 0
    assert key.n_unique() == key.len()


@pytest.mark.parametrize("table", ["contacts", "payments", "notes"])
def test_foreign_keys_resolve(tables: dict[str, pl.DataFrame], table: str) -> None:
    orphans = tables[table].join(tables["people"], on="person_id", how="anti")
    assert orphans.height == 0


def test_people_unique_columns(tables: dict[str, pl.DataFrame]) -> None:
    people = tables["people"]
    assert people["email"].n_unique() == people.height
    assert people["email"].str.to_lowercase().n_unique() == people.height  # also unique ignoring case
    assert people["customer_uuid"].n_unique() == people.height
    assert all(uuid.UUID(u).version == 4 for u in people["customer_uuid"])


def test_contact_email_is_the_persons_email_up_to_case(tables: dict[str, pl.DataFrame]) -> None:
    joined = tables["contacts"].join(tables["people"], on="person_id", suffix="_person")
    with_email = joined.filter(pl.col("email").is_not_null())
    assert (with_email["email"].str.to_lowercase() == with_email["email_person"].str.to_lowercase()).all()
    assert (with_email["email"] != with_email["email_person"]).any()  # some differ in case


def test_ibans_valid_mod97_for_four_countries(tables: dict[str, pl.DataFrame]) -> None:
    ibans = tables["payments"]["iban"].drop_nulls().to_list()
    assert ibans
    compact = [i.replace(" ", "").upper() for i in ibans]
    assert all(_mod97_valid(i) for i in ibans)
    assert all(len(i) == IBAN_LENGTHS[i[:2]] for i in compact)
    assert {i[:2] for i in compact} == set(IBAN_LENGTHS)
    assert any(" " in i for i in ibans)
    assert any(i == i.lower() for i in ibans)
    assert any(" " not in i and i == i.upper() for i in ibans)


def test_ibans_accepted_by_schwifty(tables: dict[str, pl.DataFrame]) -> None:
    schwifty = pytest.importorskip("schwifty")
    for value in tables["payments"]["iban"].drop_nulls().unique().to_list():
        schwifty.IBAN(value.replace(" ", "").upper())


def test_cards_luhn_valid_in_both_lengths_and_layouts(tables: dict[str, pl.DataFrame]) -> None:
    cards = tables["payments"]["card_number"].drop_nulls().to_list()
    assert all(_luhn_valid(c) for c in cards)
    lengths = {len(re.sub(r"[ -]", "", c)) for c in cards}
    assert lengths == {15, 16}
    assert any(re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", c) for c in cards)
    assert any(re.fullmatch(r"\d{16}", c) for c in cards)
    assert any(re.fullmatch(r"3[47]\d{2} \d{6} \d{5}", c) for c in cards)
    assert any(re.fullmatch(r"3[47]\d{13}", c) for c in cards)


@pytest.mark.parametrize(
    "pattern",
    [
        r"\+1 \(555\) \d{3}-\d{4}",
        r"\+31 6 \d{8}",
        r"\+44 20 7946 0\d{3}",
        r"030-\d{7}",
        r"\(555\) \d{3}-\d{4}",
    ],
)
def test_phone_formats_present(tables: dict[str, pl.DataFrame], pattern: str) -> None:
    assert tables["people"]["phone"].drop_nulls().str.contains(f"^{pattern}$").any()


def test_ip_addresses_are_documentation_or_private(tables: dict[str, pl.DataFrame]) -> None:
    addresses = [ipaddress.ip_address(a) for a in tables["people"]["ip_address"].drop_nulls()]
    assert {a.version for a in addresses} == {4, 6}
    assert all(a.is_private for a in addresses)  # RFC 5737 / RFC 3849 ranges count as private


def test_ssn_shape(tables: dict[str, pl.DataFrame]) -> None:
    values = tables["people"]["ssn"].drop_nulls()
    values = values.filter(values != "")
    assert values.len() > 100
    assert values.str.contains(r"^\d{3}-\d{2}-\d{4}$").all()


def test_emails_use_reserved_domains_outside_the_masking_dictionary(tables: dict[str, pl.DataFrame]) -> None:
    domains = set(tables["people"]["email"].str.to_lowercase().str.split("@").list.last())
    assert all(re.search(r"\.example\.(com|net|org)$", d) for d in domains)
    assert not domains & set(dictionaries.load("email_domains", "all"))


def test_demo_names_and_cities_never_in_dictionaries(tables: dict[str, pl.DataFrame]) -> None:
    # So a masked value equal to an original is a leak, never a coincidence.
    people = tables["people"]
    for column, kind in [("first_name", "first_names"), ("last_name", "last_names"), ("city", "cities")]:
        shipped = {v for loc in dictionaries.available_locales(kind) for v in dictionaries.load(kind, loc)}
        assert not set(people[column]) & shipped, column


def test_people_traps_present(tables: dict[str, pl.DataFrame]) -> None:
    people = tables["people"]
    assert people["last_name"].str.contains("'", literal=True).any()  # O'Donnell, D'Souza, 't Hooft
    assert people["first_name"].str.contains(r"[éëèö]").any()
    assert people["full_name"].str.contains(r"\p{Han}").any()
    assert people["first_name"].str.contains(r"\p{Extended_Pictographic}").any()
    assert (people["email"] == people["email"].str.to_uppercase()).any()
    mixed = (people["email"] != people["email"].str.to_uppercase()) & (
        people["email"] != people["email"].str.to_lowercase()
    )
    assert mixed.any()
    for column in ("phone", "street_address", "postal_code", "loyalty_code"):
        assert people[column].null_count() > 0, column
        assert (people[column] == "").any(), column
    assert people["date_of_birth"].null_count() > 0
    assert people["salary"].null_count() > 0


@pytest.mark.parametrize("needle", ["O'Brien", "José", "Zoë", "山田太郎", "👍", "\n"])
def test_notes_body_traps_present(tables: dict[str, pl.DataFrame], needle: str) -> None:
    assert tables["notes"]["body"].str.contains(needle, literal=True).any()


def test_notes_body_mentions_person_details_and_blanks(tables: dict[str, pl.DataFrame]) -> None:
    joined = tables["notes"].join(tables["people"], on="person_id").filter(pl.col("body").is_not_null())
    assert joined.select(pl.col("body").str.contains(pl.col("email"), literal=True)).to_series().any()
    assert joined.select(pl.col("body").str.contains(pl.col("full_name"), literal=True)).to_series().any()
    body = tables["notes"]["body"]
    assert body.null_count() > 0
    assert (body == "").any()


def test_notes_payload_is_json_with_nested_contact_fields(tables: dict[str, pl.DataFrame]) -> None:
    payload = tables["notes"]["payload"]
    assert payload.null_count() > 0
    documents = [json.loads(p) for p in payload.drop_nulls() if p != ""]
    assert any(isinstance(d.get("contact"), dict) and d["contact"].get("email") for d in documents)
    assert any("events" in d for d in documents)
    assert payload.drop_nulls().str.contains(r"\u00", literal=True).any()  # ASCII-escaped writers too


def test_demo_key_is_the_published_constant() -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", DEMO_KEY_HEX)
    expected = hashlib.sha256(b"maskpipe public demo key - never use for real data").hexdigest()
    assert expected == DEMO_KEY_HEX
