"""What a column's (or a JSON key's) name says about its content, in several naming styles and languages.

`classify_name("EmailAdres")`, `classify_name("telefoon_nr")` and `classify_name("prénom")` all work:
names are split into words (snake_case, camelCase, kebab-case, spaces), accents folded, and matched
against a small lexicon per entity. Only names: values are weighed in patterns.py.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

# entity -> (words that name it, confidence). A "word" may span tokens: "date_of_birth" matches the
# tokens date, of, birth in sequence; "firstname" matches the joined form too.
LEXICON: dict[str, tuple[tuple[str, ...], float]] = {
    "email": (
        (
            "email",
            "e_mail",
            "mail",
            "email_address",
            "mail_address",
            "emailadres",
            "mailadres",
            "correo",
            "courriel",
            "epost",
            "e_post",
        ),
        0.9,
    ),
    "phone": (
        (
            "phone",
            "telephone",
            "tel",
            "telefoon",
            "telefon",
            "telefono",
            "mobile",
            "mobiel",
            "mobil",
            "handy",
            "gsm",
            "cell",
            "cellphone",
            "msisdn",
            "portable",
            "fax",
            "phone_number",
            "phonenumber",
            "telnr",
            "tel_nr",
            "mobile_number",
        ),
        0.9,
    ),
    "first_name": (
        (
            "first_name",
            "firstname",
            "given_name",
            "givenname",
            "forename",
            "voornaam",
            "vorname",
            "prenom",
            "nombre",
            "middle_name",
            "nickname",
            "roepnaam",
            "fname",
        ),
        0.9,
    ),
    "last_name": (
        (
            "last_name",
            "lastname",
            "surname",
            "family_name",
            "familyname",
            "achternaam",
            "nachname",
            "familienname",
            "nom_de_famille",
            "apellido",
            "apellidos",
            "maiden_name",
            "lname",
            "nom",
        ),
        0.9,
    ),
    "full_name": (
        (
            "full_name",
            "fullname",
            "display_name",
            "contact_name",
            "customer_name",
            "person_name",
            "account_holder",
            "holder_name",
            "cardholder",
            "card_holder",
            "naam",
            "volledige_naam",
            "patient_name",
            "employee_name",
            "recipient_name",
            "sender_name",
            "owner_name",
        ),
        0.85,
    ),
    "street_address": (
        (
            "address",
            "adres",
            "adresse",
            "street",
            "straat",
            "strasse",
            "street_address",
            "address_line",
            "address_line1",
            "address_line_1",
            "address1",
            "addr",
            "line1",
            "huisadres",
            "woonadres",
            "anschrift",
            "direccion",
            "rue",
            "straatnaam",
        ),
        0.85,
    ),
    "city": (
        (
            "city",
            "town",
            "plaats",
            "woonplaats",
            "stadt",
            "ort",
            "wohnort",
            "ville",
            "ciudad",
            "municipality",
            "gemeente",
            "locality",
        ),
        0.8,
    ),
    "postal_code": (
        (
            "zip",
            "zipcode",
            "zip_code",
            "postcode",
            "postal_code",
            "postalcode",
            "plz",
            "postleitzahl",
            "code_postal",
            "codigo_postal",
            "post_code",
        ),
        0.85,
    ),
    "dob": (
        (
            "dob",
            "date_of_birth",
            "birth_date",
            "birthdate",
            "birthday",
            "geboortedatum",
            "geburtsdatum",
            "date_naissance",
            "date_de_naissance",
            "fecha_nacimiento",
            "born",
            "geboren",
        ),
        0.9,
    ),
    "ssn": (
        (
            "ssn",
            "social_security",
            "social_security_number",
            "bsn",
            "burgerservicenummer",
            "sofi",
            "sofinummer",
            "national_id",
            "nationalid",
            "nin",
            "nino",
            "insee",
            "nir",
            "steuer_id",
            "tax_id",
            "taxid",
            "tin",
            "personnummer",
            "dni",
            "nif",
            "personal_id",
            "id_number",
            "citizen_id",
        ),
        0.9,
    ),
    "iban": (
        (
            "iban",
            "bank_account",
            "account_number",
            "accountnumber",
            "rekeningnummer",
            "rekening",
            "kontonummer",
            "bankrekening",
            "bank_account_number",
            "bankaccount",
        ),
        0.85,
    ),
    "card": (
        (
            "card_number",
            "cardnumber",
            "credit_card",
            "creditcard",
            "cc_number",
            "ccnumber",
            "pan",
            "kaartnummer",
            "card_no",
            "kreditkarte",
        ),
        0.9,
    ),
    "ip": (
        (
            "ip",
            "ip_address",
            "ipaddress",
            "ip_addr",
            "client_ip",
            "remote_addr",
            "remote_ip",
            "last_ip",
            "ipv4",
            "ipv6",
            "source_ip",
            "login_ip",
        ),
        0.9,
    ),
    "identifier": (
        (
            "username",
            "user_name",
            "login",
            "screen_name",
            "handle",
            "passport",
            "passport_number",
            "passport_no",
            "paspoort",
            "license_number",
            "driver_license",
            "drivers_license",
            "driving_licence",
            "rijbewijs",
            "licence_number",
        ),
        0.75,
    ),
    "money": (
        ("salary", "income", "wage", "wages", "loon", "salaris", "gehalt", "salaire", "net_worth"),
        0.7,
    ),
    "geo": (("latitude", "longitude", "lat", "lon", "lng", "geo_lat", "geo_lon"), 0.7),
    "free_text": (
        (
            "note",
            "notes",
            "comment",
            "comments",
            "remark",
            "remarks",
            "description",
            "body",
            "message",
            "text",
            "opmerking",
            "opmerkingen",
            "bemerkung",
            "memo",
            "content",
            "feedback",
            "details",
            "summary",
        ),
        0.5,
    ),
    "json": (
        (
            "payload",
            "json",
            "metadata",
            "meta",
            "attributes",
            "properties",
            "extra",
            "data",
            "context",
            "raw",
            "document",
            "doc",
        ),
        0.5,
    ),
}

# Words that turn a PII-looking name into something else ("email_verified", "phone_count", "city_id").
NEGATIVE = frozenset(
    [
        "id",
        "ids",
        "file",
        "files",
        "path",
        "server",
        "host",
        "port",
        "provider",
        "service",
        "folder",
        "queue",
        "size",
        "settings",
        "count",
        "cnt",
        "verified",
        "valid",
        "is",
        "has",
        "flag",
        "enabled",
        "type",
        "kind",
        "sent",
        "status",
        "at",
        "ts",
        "date",
        "time",
        "opt",
        "optin",
        "optout",
        "consent",
        "domain",
        "template",
        "format",
        "hash",
        "hashed",
        "length",
        "len",
        "pct",
        "percent",
        "country",
        "code_type",
    ]
)
# ... except where the negative word is itself part of the entity ("date_of_birth", "zip_code").
_NEGATIVE_OK = {"dob": {"date"}, "ssn": {"id"}, "postal_code": {"code"}}

# "name" alone (products, files, companies) is weak: values must agree before it is flagged.
WEAK_NAMES = {"name": ("full_name", 0.4)}


def words(name: str) -> list[str]:
    """Lower-case, accent-free words of an identifier: "EmailAdres" -> ["email", "adres"]."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    return [w for w in re.split(r"[^A-Za-z0-9]+", text.lower()) if w]


@dataclass(frozen=True)
class NameEvidence:
    entity: str
    confidence: float
    word: str  # the lexicon word that matched, shown in drafts


@cache
def _phrases() -> tuple[tuple[str, tuple[str, ...], str, float], ...]:
    """(joined word, its tokens, entity, confidence) for every lexicon word, longest first."""
    out = [
        (word.replace("_", ""), tuple(word.split("_")), entity, confidence)
        for entity, (lexicon, confidence) in LEXICON.items()
        for word in lexicon
    ]
    return tuple(sorted(out, key=lambda p: -len(p[0])))


def _contains(tokens: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tokens[i : i + n] == phrase for i in range(len(tokens) - n + 1))


@cache
def classify_name(name: str) -> NameEvidence | None:
    """The entity a column or key name points at, or None. The longest matching lexicon word wins."""
    tokens = tuple(words(name))
    if not tokens:
        return None
    joined = "".join(tokens)
    present = set(tokens)
    best: NameEvidence | None = None
    for word, phrase, entity, confidence in _phrases():
        if joined == word or (phrase[0] in present and _contains(tokens, phrase)):
            best = NameEvidence(entity, confidence, "_".join(phrase))
            break
    if best is None:
        weak = WEAK_NAMES.get(tokens[-1])
        if weak is not None and len(tokens) <= 2:
            return NameEvidence(weak[0], weak[1], tokens[-1])
        return None
    allowed = _NEGATIVE_OK.get(best.entity, set())
    negatives = [t for t in tokens if t in NEGATIVE and t not in allowed and t not in best.word.split("_")]
    if negatives:
        # "email_verified_at", "city_id": about the entity, not the entity itself.
        return None
    return best
