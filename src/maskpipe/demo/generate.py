"""Build the demo snapshot: four related tables of fabricated people, written as Parquet.

Runs once when the snapshot is refreshed, never on the data path, so plain Python loops are fine here.
Regenerate with ``uv run python -m maskpipe.demo.generate`` (writes ``src/maskpipe/demo/snapshot/``);
a test checks that the committed files equal what this module produces.

Nothing here describes a real person. Email domains are subdomains of the reserved example.com/.net/.org
(never one listed in the email_domains dictionary, which masked output uses), IP addresses come from the
documentation and private ranges, UK numbers from Ofcom's drama ranges, and demo names are kept out of
``maskpipe.dictionaries`` so a masked value equal to an original is a leak, not a coincidence.
The data carries the traps real snapshots carry: apostrophes, accents, CJK, emoji, mixed-case emails,
several phone formats, grouped and plain card numbers and IBANs, empty strings and NULLs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import string
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

SEED = 20240917
N_PEOPLE = 1_000
N_CONTACTS = 1_500
N_PAYMENTS = 3_000
N_NOTES = 2_000
SCHEMA = "public"
DEFAULT_OUT = Path(__file__).parent / "snapshot"


def _split(text: str) -> tuple[str, ...]:
    """Pools are written "a|b|c" to keep them compact; names may contain spaces and apostrophes."""
    return tuple(text.split("|"))


# Share of people per locale; "ja" gives CJK names.
LOCALE_WEIGHTS = {"en_US": 35, "en_GB": 15, "nl": 20, "de": 15, "fr": 10, "ja": 5}

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "en": _split(
        "Alistair|Ambrose|Anastasia|Augustine|Barnaby|Bartholomew|Beatrix|Cassius|Chloë|Clementine|"
        "Cordelia|Cornelius|Crispin|Dashiell|Desmond|Drusilla|Eudora|Ezekiel|Gideon|Henrietta|Honoria|"
        "Ignatius|Imelda|Jethro|José|Lavinia|Lysander|Marigold|Montgomery|Ottilie|Percival|Peregrine|"
        "Philippa|Renée|Rosalind|Seraphina|Temperance|Thaddeus|Ulysses|Wilhelmina|Winifred|Zebulon"
    ),
    "nl": _split(
        "Aaltje|Anneke|Aukje|Bauke|Berend|Cees|Daniël|Daniëlle|Dieuwke|Doortje|Egbert|Evert|Femmigje|"
        "Fokke|Geesje|Gerben|Gerlof|Harmen|Hiltje|Ids|Jantje|Jelmer|Klaas|Kornelis|Lammert|Lubbert|"
        "Marten|Minke|Nynke|Okke|Pietje|Reinier|Roelof|Sieuwke|Sjaak|Teunis|Tjeerd|Ubbo|Wietske|Wopke|"
        "Ype|Zwaantje"
    ),
    "de": _split(
        "Adelheid|Bertram|Cäcilie|Dagmar|Detlef|Eberhard|Eckhard|Friedhelm|Gösta|Gottfried|Hannelore|"
        "Hiltrud|Irmtraud|Jörn|Jost|Kunigunde|Leberecht|Mechthild|Notburga|Ottokar|Philippine|"
        "Reinhold|Siegfried|Sönke|Theodora|Utz|Volkmar|Wendelin|Xaver"
    ),
    "fr": _split(
        "Aimé|Anatole|Bénédicte|Berthe|Céleste|Clotilde|Désiré|Edmée|Eulalie|Félicien|Gaspard|Gervais|"
        "Ghislaine|Honoré|Hortense|Irénée|Léonce|Ludivine|Marcelline|Maxence|Natacha|Odilon|Perrine|"
        "Prosper|Régis|Séverine|Sidonie|Télesphore|Urbain|Véronique|Wandrille|Yolande|Zéphyrin"
    ),
}
LAST_NAMES: dict[str, tuple[str, ...]] = {
    "en": _split(
        "Abernathy|Applewhite|Ashby-Cole|Blackstone|Brightwell|Cavendish|Cheever|D'Souza|Drummond|"
        "Dunwoody|Ellingham|Fairweather|Featherstone|Fitzwilliam|Goldsworthy|Grimsby|Haverford|"
        "Hollingsworth|Ironside|Jessop|Kettleborough|Kingswell|Larkin|Loxley|MacGregor|McAllister|"
        "Merriweather|Mortimer|Nettleton|Northcott|O'Donnell|O'Hara|Ollerton|Pennywhistle|Prendergast|"
        "Quartermaine|Ravensworth|Rookwood|Saltonstall|Sedgwick|Thistlewood|Tolliver|Umberton|"
        "Vandermeer|Wetherby|Yarborough"
    ),
    "nl": _split(
        "'t Hooft|Bleeker|Brandsma|Crommelin|d'Ancona|de Haas|Eijkelboom|Feenstra|Gortzak|Groeneveld|"
        "Heemskerk|Jellema|Kooistra|Kwakernaak|Lindeboom|Meindertsma|Nauta|Oudshoorn|Ouwehand|Pasveer|"
        "Quaadvliet|Rietveld|Ruijgrok|Schermerhorn|Tuinstra|Uilenreef|van Amerongen|van der Sluijs|"
        "van Deursen|van IJzendoorn|van 't Zand|Vellinga|Wijbenga|Ypma|Zondervan"
    ),
    "de": _split(
        "Achenbach|Blümel|Dörfler|Eichhorn|Fröhlich|Frühauf|Gößmann|Grünewald|Hölzl|Irrgang|Jödicke|"
        "Käßbohrer|Lütkemeyer|Mückenfuß|Mühlbauer|Nöthen|Oberländer|Päßler|Rößler|Schönfeld|"
        "Straßburger|Tränkle|Überall|Vöhringer|von Stetten|Weißenborn|Zöllner"
    ),
    "fr": _split(
        "Beauchamp|Bélanger|Chastel|Cléroux|d'Aubigny|de la Tour|Décarie|Desrosiers|Escoffier|"
        "Fauconnier|Grosjean|Hennequin|Héroux|Isnard|Jourdain|L'Hermitte|Lachapelle|Lévesque|"
        "Malaterre|Nadeau|Ouvrard|Pépin|Pradier|Quenneville|Rochefort|Sarrazin|Thériault|Thibodeau|"
        "Valadier|Vautrin"
    ),
}
# Written form and the romanized form used in email local parts, position by position.
JA_FIRST = tuple(
    zip(
        _split("太郎|花子|健|美咲|翔太|陽菜|大輔|さくら"),
        _split("taro|hanako|ken|misaki|shota|hina|daisuke|sakura"),
        strict=True,
    )
)
JA_LAST = tuple(
    zip(
        _split("山田|佐藤|鈴木|高橋|田中|伊藤|渡辺|中村"),
        _split("yamada|sato|suzuki|takahashi|tanaka|ito|watanabe|nakamura"),
        strict=True,
    )
)
# A few people typed an emoji into their first name.
EMOJI_SUFFIXES = (" 🦊", " 🌻", "🎸", " ✨")

CITIES: dict[str, tuple[str, ...]] = {
    "en_US": _split(
        "Brackenridge Falls|East Fennick|Granbury Flats|Hollin Springs|Marrowdale|Port Aldridge|"
        "Quillfield|Tamsworth|Vellacott|Wexmoor"
    ),
    "en_GB": _split(
        "Little Dunsby|Upper Wickham|Kettering Cross|Nether Alderby|St. Bride's Mead|Thornwick-on-Sea|"
        "Market Hollis|Bramcote Vale"
    ),
    "nl": _split(
        "Lindenhoven|Westerbroek|Zuiderveen|Oud-Wateringe|Ter Aalst|Hooghalen-Noord|Nieuw-Dijkhuizen|"
        "Kroonswaard"
    ),
    "de": _split(
        "Altmühlhausen|Bergheim an der Loh|Grünwalde|Kleinrodach|Oberlindau|Sankt Egidien-Süd|"
        "Wiesenbrück|Hohenfelde (Altmark)"
    ),
    "fr": _split(
        "Saint-Aubin-des-Prés|Villeneuve-l'Étang|Montaigu-sur-Loir|Beaulieu-les-Fontaines|"
        "Les Rochettes|Château-Vallon"
    ),
    "ja": _split("架空市|見本町|試験村"),
}
STREETS: dict[str, tuple[str, ...]] = {
    "en": _split("Larkspur|Quince|Bellflower|Gable|Tinker's|Lantern|Copperbeech|Weir"),
    "nl": _split("Appelgaard|Zeepziederij|Lijnbaan|Turfmarkt|Varkensmarkt|Touwslagerij"),
    "de": _split("Zeughaus|Gerber|Kornblumen|Salzsieder|Flößer|Tuchmacher"),
    "fr": _split("des Tanneurs|du Puits-Salé|de l'Horloge|des Glycines|du Four-à-Chaux"),
}
US_SUFFIXES = ("Street", "Avenue", "Road", "Lane", "Court", "Drive")
GB_SUFFIXES = ("Road", "Close", "Lane", "Mews", "Crescent")

# Subdomains of the RFC 2606 example domains: they can never deliver mail, and unlike .test or .invalid
# they sit under a public suffix, so PII scanners (Presidio checks the TLD) still see them as emails.
# None of them is in maskpipe.dictionaries' email_domains, so source and masked domains never meet.
SOURCE_EMAIL_DOMAINS = _split(
    "acme-widgets.example.com|corp.example.com|freemail.example.net|home.example.net|isp.example.net|"
    "mailbox.example.org|school.example.org|university.example.org"
)

# Bank codes by country: the IBAN layout needs a well-formed code; the account digits are random.
BANK_CODES = {
    "NL": ("ABNA", "INGB", "RABO", "TRIO", "SNSB"),
    "DE": ("37040044", "10010010", "50010517", "12030000", "20041133"),
    "GB": ("NWBK", "BARC", "LOYD", "MIDL"),
    "FR": ("20041", "30004", "30003", "10278"),
}
PHONE_FORMATS: dict[str, tuple[str, ...]] = {
    "en_US": _split("+1 (555) ###-####|(555) ###-####|555-###-####|555.###.####"),
    # Ofcom reserves 020 7946 0xxx and 07700 900xxx for drama: never a real line.
    "en_GB": _split("+44 20 7946 0###|020 7946 0###|+44 7700 900###|07700 900###"),
    "nl": _split("+31 6 ########|06-########|+31 20 ### ####|020-#######"),
    "de": _split("030-#######|+49 30 #######|+49 151 ########|(030) #######"),
    "fr": _split("+33 6 ## ## ## ##|06 ## ## ## ##|01.##.##.##.##"),
    "ja": _split("+81 3-####-####|090-####-####"),
}
COUNTRY_OF_LOCALE = {"nl": "NL", "de": "DE", "en_GB": "GB", "fr": "FR"}

EPOCH = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)
SNAPSHOT_AT = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Person:
    person_id: int
    locale: str
    first_name: str
    last_name: str
    full_name: str
    email: str
    phone: str | None
    created_at: dt.datetime


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _ascii_slug(text: str) -> str:
    """'Zöllner' -> 'zollner'; keeps apostrophes and hyphens, drops spaces."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ß", "ss"))
    kept = "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c in "'-"))
    return kept.lower()


def phone_number(rng: random.Random, locale: str) -> str:
    """One fabricated phone number in a format people of ``locale`` write ('#' becomes a digit)."""
    template = rng.choice(PHONE_FORMATS[locale])
    return "".join(rng.choice(string.digits) if c == "#" else c for c in template)


def _mod97(text: str) -> int:
    return int("".join(str(int(c, 36)) for c in text)) % 97


def iban(rng: random.Random, country: str) -> str:
    """A fabricated IBAN with valid ISO 13616 check digits (and a valid RIB key for FR)."""
    bank = rng.choice(BANK_CODES[country])
    if country in ("NL", "DE"):
        bban = bank + _digits(rng, 10)
    elif country == "GB":
        bban = bank + _digits(rng, 6) + _digits(rng, 8)
    else:
        branch, account = _digits(rng, 5), _digits(rng, 11)
        rib_key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
        bban = f"{bank}{branch}{account}{rib_key:02d}"
    check = 98 - _mod97(bban + country + "00")
    return f"{country}{check:02d}{bban}"


def _luhn_complete(partial: str) -> str:
    """Append the Luhn check digit."""
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return partial + str((10 - total % 10) % 10)


def card_number(rng: random.Random) -> str:
    """A Luhn-valid Visa/Mastercard (16 digits) or Amex (15 digits), plain or grouped as printed."""
    kind = rng.choices(("visa", "mastercard", "amex"), weights=(5, 3, 2))[0]
    if kind == "amex":
        number = _luhn_complete(rng.choice(("34", "37")) + _digits(rng, 12))
        grouped = f"{number[:4]} {number[4:10]} {number[10:]}"
    else:
        prefix = "4" if kind == "visa" else str(rng.randint(51, 55))
        number = _luhn_complete(prefix + _digits(rng, 15 - len(prefix)))
        grouped = " ".join(number[i : i + 4] for i in range(0, 16, 4))
    roll = rng.random()
    if roll < 0.55:
        return number
    if roll < 0.9:
        return grouped
    return grouped.replace(" ", "-")


def _ip(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.45:
        net = rng.choice(("192.0.2", "198.51.100", "203.0.113"))  # RFC 5737 documentation ranges
        return f"{net}.{rng.randint(1, 254)}"
    if roll < 0.6:
        return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    groups = [f"{rng.getrandbits(16):x}" for _ in range(6)]
    if roll < 0.8:
        return "2001:db8:" + ":".join(groups)  # RFC 3849 documentation prefix
    if roll < 0.9:
        return f"2001:db8::{groups[0]}"
    return f"2001:0db8:{int(groups[1], 16):04x}:0000:0000:0000:0000:{int(groups[2], 16):04x}".upper()


def _timestamp(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    seconds = int((end - start).total_seconds())
    return start + dt.timedelta(seconds=rng.randrange(seconds), microseconds=rng.randrange(1_000_000))


def _maybe_blank(rng: random.Random, value: str, null: float, empty: float) -> str | None:
    roll = rng.random()
    if roll < null:
        return None
    if roll < null + empty:
        return ""
    return value


def _postal_code(rng: random.Random, locale: str) -> str:
    if locale == "en_US":
        return _digits(rng, 5) if rng.random() < 0.8 else f"{_digits(rng, 5)}-{_digits(rng, 4)}"
    if locale == "en_GB":
        letters = string.ascii_uppercase
        area = rng.choice(("SW", "N", "EC", "M", "LS", "B", "BS", "EH"))
        return f"{area}{rng.randint(1, 19)} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
    if locale == "nl":
        letters = "".join(rng.choice("ABCDEGHJKLMNPRSTVWXZ") for _ in range(2))
        number = rng.randint(1000, 9999)
        return f"{number} {letters}" if rng.random() < 0.7 else f"{number}{letters}"
    if locale == "ja":
        return f"{_digits(rng, 3)}-{_digits(rng, 4)}"
    return _digits(rng, 5)  # de, fr: leading zeros are real ("01067"), so this stays a string


def _street_address(rng: random.Random, locale: str) -> str:
    number = rng.randint(1, 250)
    if locale == "en_US":
        unit = f", Apt {rng.randint(1, 30)}{rng.choice('ABCD')}" if rng.random() < 0.2 else ""
        return f"{number} {rng.choice(STREETS['en'])} {rng.choice(US_SUFFIXES)}{unit}"
    if locale == "en_GB":
        flat = f"Flat {rng.randint(1, 12)}, " if rng.random() < 0.25 else ""
        return f"{flat}{number} {rng.choice(STREETS['en'])} {rng.choice(GB_SUFFIXES)}"
    if locale == "nl":
        addition = rng.choice(("", "", "", "a", "-2", " bis"))
        return f"{rng.choice(STREETS['nl'])} {number}{addition}"
    if locale == "de":
        return f"{rng.choice(STREETS['de'])}straße {number}{rng.choice(('', '', 'a', 'b'))}"
    if locale == "fr":
        kind = rng.choice(("rue", "avenue", "impasse", "chemin"))
        return f"{number}{rng.choice(('', '', ' bis'))} {kind} {rng.choice(STREETS['fr'])}"
    return f"中央{rng.randint(1, 9)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}"


def _email_local(rng: random.Random, first: str, last: str, person_id: int) -> str:
    f, last_slug = _ascii_slug(first) or f"user{person_id}", _ascii_slug(last)
    if not last_slug:
        return f"{f}{person_id}"
    shapes = (
        f"{f}.{last_slug}",
        f"{f[0]}{last_slug}",
        f"{f}_{last_slug}{rng.randint(1, 99)}",
        f"{f}.{last_slug}+news",
        f"{last_slug}.{f}",
    )
    return rng.choice(shapes)


def _case_variant(rng: random.Random, email: str) -> str:
    local, _, domain = email.partition("@")
    return rng.choice((email.upper(), email.lower(), f"{local.title()}@{domain.upper()}", email))


def _people(rng: random.Random) -> list[Person]:
    locales = rng.choices(list(LOCALE_WEIGHTS), weights=list(LOCALE_WEIGHTS.values()), k=N_PEOPLE)
    seen_emails: set[str] = set()
    people: list[Person] = []
    for index, locale in enumerate(locales):
        person_id = index + 1
        if locale == "ja":
            (first, first_latin), (last, last_latin) = rng.choice(JA_FIRST), rng.choice(JA_LAST)
            full = f"{last}{first}"  # family name first, no space
            local = f"{first_latin}.{last_latin}"
        else:
            language = locale.split("_")[0]
            first, last = rng.choice(FIRST_NAMES[language]), rng.choice(LAST_NAMES[language])
            if rng.random() < 0.01:
                first += rng.choice(EMOJI_SUFFIXES)
            if rng.random() < 0.004:
                last = ""  # mononym
            full = f"{first} {last}".strip()
            local = _email_local(rng, first, last, person_id)
            if rng.random() < 0.01:
                # SMTPUTF8 local part: valid since RFC 6531, and a trap for ASCII-only validators.
                local = f"{first.lower()}.{person_id}".replace(" ", "")
        domain = rng.choice(SOURCE_EMAIL_DOMAINS)
        email = f"{local}@{domain}"
        while email.lower() in seen_emails:
            email = f"{local}{rng.randint(2, 999)}@{domain}"
        seen_emails.add(email.lower())
        roll = rng.random()
        if roll < 0.05:
            email = email.upper()
        elif roll < 0.12:
            email = _case_variant(rng, email)
        phone = _maybe_blank(rng, phone_number(rng, locale), null=0.04, empty=0.02)
        created = _timestamp(rng, EPOCH, SNAPSHOT_AT - dt.timedelta(days=30))
        people.append(Person(person_id, locale, first, last, full, email, phone, created))
    return people


def _people_table(rng: random.Random, people: list[Person]) -> pa.Table:
    dob: list[dt.date | None] = []
    ssn: list[str | None] = []
    for p in people:
        roll = rng.random()
        if roll < 0.02:
            dob.append(None)
        elif roll < 0.025:
            dob.append(dt.date(rng.choice((1960, 1972, 1984, 1996)), 2, 29))  # leap day
        elif roll < 0.027:
            dob.append(dt.date(1900, 1, 1))  # the sentinel old systems store for "unknown"
        else:
            dob.append(dt.date(1935, 1, 1) + dt.timedelta(days=rng.randrange(72 * 365)))
        if p.locale == "en_US":
            area = rng.choice([a for a in range(1, 900) if a != 666])
            number = f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
            ssn.append(_maybe_blank(rng, number, null=0.03, empty=0.01))
        else:
            ssn.append(None)
    columns = {
        "person_id": [p.person_id for p in people],
        "first_name": [p.first_name for p in people],
        "last_name": [p.last_name for p in people],
        "full_name": [p.full_name for p in people],
        "email": [p.email for p in people],
        "phone": [p.phone for p in people],
        "date_of_birth": dob,
        "ssn": ssn,
        "street_address": [_maybe_blank(rng, _street_address(rng, p.locale), 0.03, 0.01) for p in people],
        "city": [rng.choice(CITIES[p.locale]) for p in people],
        "postal_code": [_maybe_blank(rng, _postal_code(rng, p.locale), 0.03, 0.01) for p in people],
        "ip_address": [_maybe_blank(rng, _ip(rng), 0.05, 0.0) for p in people],
        "created_at": [p.created_at for p in people],
        "salary": [None if rng.random() < 0.05 else round(rng.uniform(18_000, 250_000), 2) for _ in people],
        "customer_uuid": [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in people],
        "loyalty_code": [
            _maybe_blank(
                rng,
                "LC-"
                + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(4))
                + f"-{_digits(rng, 4)}",
                null=0.1,
                empty=0.03,
            )
            for _ in people
        ],
    }
    return _table("people", columns)


def _contacts_table(rng: random.Random, people: list[Person]) -> pa.Table:
    owners = [p.person_id for p in people] + [rng.randint(1, N_PEOPLE) for _ in range(N_CONTACTS - N_PEOPLE)]
    rng.shuffle(owners)
    emails: list[str | None] = []
    phones: list[str | None] = []
    kinds: list[str] = []
    for person_id in owners:
        person = people[person_id - 1]
        roll = rng.random()
        emails.append(
            None if roll < 0.05 else _case_variant(rng, person.email) if roll < 0.35 else person.email
        )
        phone = person.phone if rng.random() < 0.6 and person.phone else phone_number(rng, person.locale)
        phones.append(_maybe_blank(rng, phone, null=0.05, empty=0.02))
        kinds.append(rng.choice(("primary", "work", "home", "emergency", "billing")))
    columns = {
        "contact_id": list(range(1, N_CONTACTS + 1)),
        "person_id": owners,
        "email": emails,
        "phone": phones,
        "kind": kinds,
    }
    return _table("contacts", columns)


def _payments_table(rng: random.Random, people: list[Person]) -> pa.Table:
    # One or two accounts and cards per person, reused across payments as in real data.
    accounts: dict[int, list[str]] = {}
    cards: dict[int, list[str]] = {}
    person_ids: list[int] = []
    ibans: list[str | None] = []
    card_numbers: list[str | None] = []
    amounts: list[Decimal] = []
    paid: list[dt.datetime] = []
    for _ in range(N_PAYMENTS):
        person = people[rng.randrange(N_PEOPLE)]
        country = COUNTRY_OF_LOCALE.get(person.locale) or rng.choice(sorted(BANK_CODES))
        if person.person_id not in accounts:
            accounts[person.person_id] = [iban(rng, country) for _ in range(rng.choice((1, 1, 1, 2)))]
            cards[person.person_id] = [card_number(rng) for _ in range(rng.choice((1, 1, 2)))]
        account = rng.choice(accounts[person.person_id])
        roll = rng.random()
        if roll < 0.3:
            account = " ".join(account[i : i + 4] for i in range(0, len(account), 4))  # as printed
        elif roll < 0.33:
            account = account.lower()
        method = rng.random()
        ibans.append(None if method < 0.1 else account)
        card_numbers.append(None if 0.1 <= method < 0.25 else rng.choice(cards[person.person_id]))
        cents = rng.randint(100, 500_000)
        amounts.append(Decimal(-cents if rng.random() < 0.03 else cents).scaleb(-2))  # a few refunds
        person_ids.append(person.person_id)
        paid.append(_timestamp(rng, person.created_at, SNAPSHOT_AT))
    columns = {
        "payment_id": list(range(1, N_PAYMENTS + 1)),
        "person_id": person_ids,
        "iban": ibans,
        "card_number": card_numbers,
        "amount": amounts,
        "paid_at": paid,
    }
    return _table("payments", columns)


NOTE_TEMPLATES = (
    "Called {full} about the overdue invoice; reach at {phone}.",
    "Customer {first} asked to update email to {email}.",
    "{last}'s account reviewed, no action needed.",
    "Spoke with {first} ({email}, {phone}) — wants paper statements.",
    "Escalated to Mr O'Brien in billing.",
    "José from support says Zoë already confirmed the address.",
    "山田太郎さんから電話がありました。折り返しお願いします。",
    "Great call, customer very happy 👍🎉",
    "Payment plan agreed.",
    "Address verified.",
    "Left voicemail.\nWill try again tomorrow.",
    "Note:\tcard expired, sent reminder to {email}",
    "VIP — do not contact before 10:00 ☕",
    'Customer said: "don\'t call me at work".',
)


def _payload(rng: random.Random, person: Person) -> str | None:
    roll = rng.random()
    if roll < 0.2:
        return None
    if roll < 0.25:
        return ""
    if roll < 0.6:
        body: dict[str, object] = {
            "source": rng.choice(("web", "crm", "import")),
            "contact": {"email": person.email, "phone": person.phone, "name": person.full_name},
            "tags": rng.sample(["vip", "newsletter", "churn-risk", "b2b", "late-payer"], k=rng.randint(0, 3)),
        }
    elif roll < 0.8:
        events = [
            {"type": "login", "ip": _ip(rng), "at": _timestamp(rng, EPOCH, SNAPSHOT_AT).isoformat()}
            for _ in range(rng.randint(1, 3))
        ]
        body = {"events": events}
    elif roll < 0.9:
        body = {"nested": {"level": {"owner": {"email": person.email.lower()}}}, "version": 2}
    else:
        body = {}
    # Some writers escape non-ASCII ("Zo\u00eb"), some do not: maskers of raw JSON text meet both.
    return json.dumps(body, ensure_ascii=rng.random() < 0.3)


def _notes_table(rng: random.Random, people: list[Person]) -> pa.Table:
    person_ids: list[int] = []
    bodies: list[str | None] = []
    payloads: list[str | None] = []
    for _ in range(N_NOTES):
        person = people[rng.randrange(N_PEOPLE)]
        template = rng.choice(NOTE_TEMPLATES)
        text = template.format(
            full=person.full_name,
            first=person.first_name,
            last=person.last_name or person.first_name,
            email=person.email,
            phone=person.phone or "(no phone)",
        )
        person_ids.append(person.person_id)
        bodies.append(_maybe_blank(rng, text, null=0.05, empty=0.05))
        payloads.append(_payload(rng, person))
    columns = {
        "note_id": list(range(1, N_NOTES + 1)),
        "person_id": person_ids,
        "body": bodies,
        "payload": payloads,
    }
    return _table("notes", columns)


def _field(name: str, type_: pa.DataType, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable)


TIMESTAMP = pa.timestamp("us", tz="UTC")
SCHEMAS: dict[str, pa.Schema] = {
    "people": pa.schema(
        [
            _field("person_id", pa.int64(), nullable=False),
            _field("first_name", pa.string(), nullable=False),
            _field("last_name", pa.string(), nullable=False),
            _field("full_name", pa.string(), nullable=False),
            _field("email", pa.string(), nullable=False),
            _field("phone", pa.string()),
            _field("date_of_birth", pa.date32()),
            _field("ssn", pa.string()),
            _field("street_address", pa.string()),
            _field("city", pa.string()),
            _field("postal_code", pa.string()),
            _field("ip_address", pa.string()),
            _field("created_at", TIMESTAMP, nullable=False),
            _field("salary", pa.float64()),
            _field("customer_uuid", pa.string(), nullable=False),
            _field("loyalty_code", pa.string()),
        ]
    ),
    "contacts": pa.schema(
        [
            _field("contact_id", pa.int64(), nullable=False),
            _field("person_id", pa.int64(), nullable=False),
            _field("email", pa.string()),
            _field("phone", pa.string()),
            _field("kind", pa.string(), nullable=False),
        ]
    ),
    "payments": pa.schema(
        [
            _field("payment_id", pa.int64(), nullable=False),
            _field("person_id", pa.int64(), nullable=False),
            _field("iban", pa.string()),
            _field("card_number", pa.string()),
            _field("amount", pa.decimal128(12, 2), nullable=False),
            _field("paid_at", TIMESTAMP, nullable=False),
        ]
    ),
    "notes": pa.schema(
        [
            _field("note_id", pa.int64(), nullable=False),
            _field("person_id", pa.int64(), nullable=False),
            _field("body", pa.string()),
            _field("payload", pa.string()),
        ]
    ),
}

_PEOPLE_FK = [{"columns": ["person_id"], "ref_table": f"{SCHEMA}.people", "ref_columns": ["person_id"]}]
# Keys a Parquet reader cannot know; stored in each file's schema metadata under b"maskpipe.table".
KEYS: dict[str, dict[str, object]] = {
    "people": {"primary_key": ["person_id"], "unique": [["email"], ["customer_uuid"]], "foreign_keys": []},
    "contacts": {"primary_key": ["contact_id"], "unique": [], "foreign_keys": _PEOPLE_FK},
    "payments": {"primary_key": ["payment_id"], "unique": [], "foreign_keys": _PEOPLE_FK},
    "notes": {"primary_key": ["note_id"], "unique": [], "foreign_keys": _PEOPLE_FK},
}
METADATA_KEY = b"maskpipe.table"


def _table(name: str, columns: Mapping[str, object]) -> pa.Table:
    meta = {"schema": SCHEMA, "name": name, **KEYS[name]}
    schema = SCHEMAS[name].with_metadata({METADATA_KEY: json.dumps(meta, sort_keys=True).encode()})
    return pa.table(columns, schema=schema)


def build() -> dict[str, pa.Table]:
    """The four demo tables, identical on every call."""
    rng = random.Random(SEED)
    people = _people(rng)
    return {
        "people": _people_table(rng, people),
        "contacts": _contacts_table(rng, people),
        "payments": _payments_table(rng, people),
        "notes": _notes_table(rng, people),
    }


def write(out_dir: Path = DEFAULT_OUT) -> list[Path]:
    """Write ``<table>.parquet`` for every demo table into ``out_dir``; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, table in build().items():
        path = out_dir / f"{name}.parquet"
        pq.write_table(table, path, compression="zstd", compression_level=9)
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the .parquet files")
    args = parser.parse_args(argv)
    for path in write(args.out):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
