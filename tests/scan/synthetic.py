"""A labelled synthetic schema for scan: tables of realistic columns, each column marked PII or not.

Column names come in several languages and styles, and some PII columns have names that say nothing
(col_a, field_17, x3): scan must find those by their values. Written as a Parquet folder with keys
(PK, FK) in the maskpipe.table metadata, so any Source reads it. Test data only: plain Python loops.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from maskpipe import dictionaries
from maskpipe.extract.parquet import METADATA_KEY, table_metadata
from maskpipe.model import ColumnInfo, ForeignKey, TableInfo

Gen = Callable[[random.Random, int], object]

FIRST = [n for loc in ("en", "nl", "de", "fr") for n in dictionaries.load("first_names", loc)]
LAST = [n for loc in ("en", "nl", "de", "fr") for n in dictionaries.load("last_names", loc)]
CITIES = [n for loc in ("en", "nl", "de", "fr") for n in dictionaries.load("cities", loc)]
STREETS = ["Maple Street", "Oak Avenue", "Mill Lane", "Church Road", "Station Road", "Park Drive"]
NL_STREETS = ["Dorpsstraat", "Kerkstraat", "Molenweg", "Stationsplein", "Hoofdstraat"]


def luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return str((10 - total % 10) % 10)


def card(r: random.Random, i: int) -> str:
    body = r.choice(["4", "51", "52", "37"]) + "".join(r.choice("0123456789") for _ in range(13))
    number = body[:15] + luhn_digit(body[:15])
    return " ".join(number[j : j + 4] for j in range(0, 16, 4)) if i % 3 == 0 else number


def iban(r: random.Random, i: int) -> str:
    country, bank = r.choice([("NL", "ABNA"), ("DE", ""), ("GB", "BARC"), ("FR", "")])
    length = {"NL": 10, "DE": 18, "GB": 14, "FR": 23}[country]
    bban = bank + "".join(r.choice("0123456789") for _ in range(length))
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(numeric) % 97
    value = f"{country}{check:02d}{bban}"
    return " ".join(value[j : j + 4] for j in range(0, len(value), 4)) if i % 4 == 0 else value


def phone(r: random.Random, i: int) -> str:
    d = lambda n: "".join(r.choice("0123456789") for _ in range(n))  # noqa: E731
    formats = [
        lambda: f"+1 ({d(3)}) {d(3)}-{d(4)}",  # US
        lambda: f"({d(3)}) {d(3)}-{d(4)}",  # US national
        lambda: f"+31 6 {d(8)}",  # NL mobile
        lambda: f"020-{d(7)}",  # NL Amsterdam
        lambda: f"+49 30 {d(7)}",  # DE
        lambda: f"(030) {d(7)}",  # DE national
        lambda: f"+33 6 {d(2)} {d(2)} {d(2)} {d(2)}",  # FR
        lambda: f"01.{d(2)}.{d(2)}.{d(2)}.{d(2)}",  # FR national
        lambda: f"+44 20 7946 {d(4)}",  # UK
        lambda: f"090-{d(4)}-{d(4)}",  # JP
    ]
    return formats[i % len(formats)]()


def ssn(r: random.Random, i: int) -> str:
    return f"{r.randint(1, 665):03d}-{r.randint(1, 99):02d}-{r.randint(1, 9999):04d}"


def bsn(r: random.Random, i: int) -> str:
    while True:
        digits = [r.randint(0, 9) for _ in range(8)]
        total = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True))
        last = total % 11
        if last < 10:
            return "".join(map(str, digits)) + str(last)


def ip(r: random.Random, i: int) -> str:
    if i % 5 == 0:
        return f"2001:db8:{r.randint(0, 65535):x}::{r.randint(1, 65535):x}"
    return f"{r.choice([10, 172, 192, 203])}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"


def first(r: random.Random, i: int) -> str:
    return r.choice(FIRST)


def last(r: random.Random, i: int) -> str:
    return r.choice(LAST)


def full(r: random.Random, i: int) -> str:
    return f"{r.choice(FIRST)} {r.choice(LAST)}"


def email(r: random.Random, i: int) -> str:
    f, la = r.choice(FIRST).lower(), r.choice(LAST).lower().replace(" ", "").replace("'", "")
    host, tld = r.choice(["mail", "corp", "isp"]), r.choice(["com", "org", "net"])
    return f"{f}.{la}{r.randint(1, 99)}@{host}.example.{tld}"


def street(r: random.Random, i: int) -> str:
    if i % 2:
        return f"{r.randint(1, 300)} {r.choice(STREETS)}"
    return f"{r.choice(NL_STREETS)} {r.randint(1, 300)}"


def city(r: random.Random, i: int) -> str:
    return r.choice(CITIES)


def postcode(r: random.Random, i: int) -> str:
    return (
        f"{r.randint(1000, 9999)} {r.choice('ABCDEFGH')}{r.choice('KLMNPRST')}"
        if i % 2
        else f"{r.randint(10000, 99999)}"
    )


def dob(r: random.Random, i: int) -> dt.date:
    return dt.date(1940, 1, 1) + dt.timedelta(days=r.randint(0, 25000))


def dob_text(r: random.Random, i: int) -> str:
    return dob(r, i).isoformat()


def note(r: random.Random, i: int) -> str:
    templates = [
        lambda: f"Spoke with {first(r, i)} ({email(r, i)}) about the invoice.",
        lambda: f"Customer called from {phone(r, i)}, asked for a callback.",
        lambda: "Left voicemail, will try again tomorrow.",
        lambda: f"Mr {last(r, i)} asked to update the IBAN to {iban(r, 1)}.",
        lambda: "Payment plan agreed for the next three months.",
        lambda: f"Refund sent, reference {r.randint(10000, 99999)}.",
    ]
    return templates[i % len(templates)]()


def log_line(r: random.Random, i: int) -> str:
    templates = [
        lambda: f"user {ssn(r, i)} logged in from {ip(r, 1)}",
        lambda: f"GET /api/orders/{r.randint(1, 9999)} 200 {r.randint(5, 900)}ms",
        lambda: f"password reset sent to {email(r, i)}",
        lambda: f"job {r.randint(1, 99)} finished in {r.randint(1, 60)} s",
    ]
    return templates[i % len(templates)]()


def payload(r: random.Random, i: int) -> str:
    if i % 3 == 0:
        return json.dumps({"contact": {"email": email(r, i), "phone": phone(r, i)}, "source": "web"})
    if i % 3 == 1:
        return json.dumps(
            {"events": [{"type": "login", "at": "2024-01-02T10:00:00Z", "note": f"by {full(r, i)}"}]}
        )
    return json.dumps({"tags": ["vip"], "score": r.randint(1, 9)})


def config(r: random.Random, i: int) -> str:
    return json.dumps({"theme": r.choice(["dark", "light"]), "retries": r.randint(1, 5), "beta": bool(i % 2)})


def product(r: random.Random, i: int) -> str:
    kind, line = r.choice(["Widget", "Gadget", "Gizmo", "Sprocket"]), r.choice(["Pro", "Max", "Mini", "Air"])
    return f"{kind} {line} {r.randint(100, 999)}"


def description(r: random.Random, i: int) -> str:
    return r.choice(
        [
            "Lightweight aluminium frame with two gears and a bell.",
            "Stainless steel, dishwasher safe, five year warranty.",
            "Compact design that fits in any kitchen cupboard.",
            "Includes charger, cable and a quick start guide.",
        ]
    )


def status(r: random.Random, i: int) -> str:
    return r.choice(["open", "closed", "pending", "shipped"])


def sku(r: random.Random, i: int) -> str:
    return f"SKU-{r.randint(10000, 99999)}"


def order_no(r: random.Random, i: int) -> str:
    return f"ORD-2024-{r.randint(0, 999999):06d}"


def country(r: random.Random, i: int) -> str:
    return r.choice(["NL", "DE", "FR", "GB", "US"])


def url(r: random.Random, i: int) -> str:
    return f"https://shop.example.com/p/{r.randint(1, 9999)}"


def version(r: random.Random, i: int) -> str:
    return f"{r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 9)}"


def ts_text(r: random.Random, i: int) -> str:
    return f"2024-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:00:00Z"


def amount(r: random.Random, i: int) -> float:
    return round(r.uniform(1, 500), 2)


def qty(r: random.Random, i: int) -> int:
    return r.randint(1, 20)


def created(r: random.Random, i: int) -> dt.datetime:
    return dt.datetime(2020, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=r.randint(0, 2_000_000))


def flag(r: random.Random, i: int) -> bool:
    return bool(r.randint(0, 1))


def uuid4(r: random.Random, i: int) -> str:
    a, b, c, d, e = (r.getrandbits(n) for n in (32, 16, 12, 12, 48))
    return f"{a:08x}-{b:04x}-4{c:03x}-a{d:03x}-{e:012x}"


def salary(r: random.Random, i: int) -> float:
    return round(r.uniform(20000, 150000), 2)


def batch_ref(r: random.Random, i: int) -> str:
    return f"2024-{r.randint(1, 12):02d}-{r.randint(0, 999999):06d}"


def company(r: random.Random, i: int) -> str:
    name, kind = (
        r.choice(["Acme", "Van Dijk", "Nordwind", "Globex"]),
        r.choice(["Holding", "Transport", "Logistics"]),
    )
    return f"{name} {kind} BV"


def title(r: random.Random, i: int) -> str:
    return r.choice(["Mr", "Mrs", "Ms", "Dr"])


def username(r: random.Random, i: int) -> str:
    return f"{r.choice(FIRST).lower()[:6]}{r.randint(1, 999)}"


def lat(r: random.Random, i: int) -> float:
    return round(r.uniform(50.7, 53.5), 5)


def small(r: random.Random, i: int) -> int:
    return r.randint(0, 3)


def zip_name(r: random.Random, i: int) -> str:
    return f"export_{r.randint(1, 99)}.zip"


def host(r: random.Random, i: int) -> str:
    return f"smtp{r.randint(1, 9)}.example.net"


# name -> (generator, arrow type, PII?)
Col = tuple[str, Gen, pa.DataType, bool]
S, D, T, F, INT, B = pa.string(), pa.date32(), pa.timestamp("us", "UTC"), pa.float64(), pa.int64(), pa.bool_()

ARCHETYPES: dict[str, list[Col]] = {
    "customers": [
        ("email", email, S, True),
        ("first_name", first, S, True),
        ("last_name", last, S, True),
        ("phone", phone, S, True),
        ("created_at", created, T, False),
        ("status", status, S, False),
        ("country", country, S, False),
    ],
    "klanten": [
        ("voornaam", first, S, True),
        ("achternaam", last, S, True),
        ("telefoon", phone, S, True),
        ("adres", street, S, True),
        ("plaats", city, S, True),
        ("postcode", postcode, S, True),
        ("geboortedatum", dob, D, True),
        ("bsn", bsn, S, True),
        ("aangemaakt", created, T, False),
    ],
    "kunden": [
        ("vorname", first, S, True),
        ("nachname", last, S, True),
        ("e_mail", email, S, True),
        ("stadt", city, S, True),
        ("plz", postcode, S, True),
        ("iban", iban, S, True),
        ("betrag", amount, F, False),
    ],
    "clientes": [
        ("nombre", first, S, True),
        ("correo", email, S, True),
        ("telefono", phone, S, True),
        ("ciudad", city, S, True),
        ("pais", country, S, False),
    ],
    "opaque": [
        ("col_a", email, S, True),
        ("field_17", iban, S, True),
        ("x3", phone, S, True),
        ("attr", first, S, True),
        ("c9", card, S, True),
        ("ref2", ssn, S, True),
        ("misc", ip, S, True),
        ("lbl", full, S, True),
        ("v1", street, S, True),
        ("c10", status, S, False),
        ("c11", sku, S, False),
        ("c12", qty, INT, False),
    ],
    "products": [
        ("name", product, S, False),
        ("sku", sku, S, False),
        ("description", description, S, False),
        ("price", amount, F, False),
        ("stock", qty, INT, False),
        ("url", url, S, False),
        ("active", flag, B, False),
    ],
    "orders": [
        ("order_no", order_no, S, False),
        ("amount", amount, F, False),
        ("status", status, S, False),
        ("placed_at", created, T, False),
        ("shipping_address", street, S, True),
        ("ship_city", city, S, True),
        ("ip_address", ip, S, True),
        ("tracking_uuid", uuid4, S, False),
    ],
    "payments": [
        ("card_number", card, S, True),
        ("account_number", iban, S, True),
        ("amount", amount, F, False),
        ("currency", country, S, False),
        ("paid_at", ts_text, S, False),
    ],
    "tickets": [
        ("notes", note, S, True),
        ("body_x", log_line, S, True),
        ("opened_at", created, T, False),
        ("priority", status, S, False),
        ("summary", description, S, False),
    ],
    "events": [
        ("payload", payload, S, True),
        ("config", config, S, False),
        ("version", version, S, False),
        ("at", ts_text, S, False),
        ("blob", payload, S, True),
    ],
    "employees": [
        ("full_name", full, S, True),
        ("date_of_birth", dob, D, True),
        ("birth_date_text", dob_text, S, True),
        ("salary", salary, F, True),
        ("ssn", ssn, S, True),
        ("mobile", phone, S, True),
        ("hired", created, T, False),
    ],
    "misc": [
        ("batch_ref", batch_ref, S, False),
        ("company", company, S, False),
        ("title", title, S, False),
        ("username", username, S, True),
        ("latitude", lat, F, True),
        ("longitude", lat, F, True),
        ("mail_sent_at", created, T, False),
        ("email_verified", flag, B, False),
        ("phone_count", small, INT, False),
        ("ip_country", country, S, False),
        ("zip_file", zip_name, S, False),
        ("mail_server", host, S, False),
    ],
}


@dataclass
class Schema:
    folder: Path
    labels: dict[tuple[str, str], bool]  # (qualified table, column) -> PII
    tables: list[TableInfo]


def build(folder: Path, n_tables: int = 50, rows: int = 200, seed: int = 7) -> Schema:
    """`n_tables` tables cycling through the archetypes, each with an int PK; some with PII FKs."""
    folder.mkdir(parents=True, exist_ok=True)
    r = random.Random(seed)
    labels: dict[tuple[str, str], bool] = {}
    infos: list[TableInfo] = []
    names = list(ARCHETYPES)
    # users: a PII key that other tables reference under names that say nothing, mostly NULL
    users_emails = [email(r, i) for i in range(rows)]
    for t in range(n_tables):
        kind = names[t % len(names)]
        table = f"{kind}_{t}"
        qualified = f"public.{table}"
        columns: dict[str, pa.Array] = {"id": pa.array(range(1, rows + 1), type=INT)}
        labels[(qualified, "id")] = False
        for name, gen, typ, pii in ARCHETYPES[kind]:
            values = [gen(r, i) if r.random() > 0.05 else None for i in range(rows)]
            columns[name] = pa.array(values, type=typ)
            labels[(qualified, name)] = pii
        fks: list[ForeignKey] = []
        if t == 0:
            columns["login_email"] = pa.array(users_emails, type=S)
            labels[(qualified, "login_email")] = True
        elif t % 7 == 3:
            # Mostly NULL: only the foreign key says this is PII.
            columns["owner_ref"] = pa.array(
                [users_emails[i] if i % 25 == 0 else None for i in range(rows)], type=S
            )
            labels[(qualified, "owner_ref")] = True
            fks.append(
                ForeignKey(("owner_ref",), f"public.{names[0]}_0", ("login_email",), name=f"fk_{table}_owner")
            )
        arrow = pa.table(columns)
        info = TableInfo(
            "public",
            table,
            tuple(ColumnInfo(f.name, f.type) for f in arrow.schema),
            primary_key=("id",),
            unique=((("login_email",),) if t == 0 else ()),
            foreign_keys=tuple(fks),
        )
        arrow = arrow.replace_schema_metadata({METADATA_KEY: table_metadata(info)})
        pq.write_table(arrow, folder / f"{table}.parquet")
        infos.append(info)
    return Schema(folder, labels, infos)
