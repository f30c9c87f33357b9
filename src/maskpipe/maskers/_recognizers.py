"""PII recognizers for text: Rust-regex candidates plus vectorized checks (Luhn, IBAN mod-97, SSN ranges).

Shared by the free_text and json maskers (which mask what they find) and by `maskpipe scan` (which
counts what it finds). Every check is a Polars expression over whole columns of candidate strings;
nothing here loops over values. Not a masker (no MASKER): the registry does not list it.

Kinds, in the order a candidate is tried: email, iban, card, ssn, uuid, ip, date (never PII, listed so a
date is not read as a phone number), address, phone, person.
"""

from __future__ import annotations

import unicodedata
from functools import cache

import polars as pl

from maskpipe import dictionaries

# ------------------------------------------------------------------------------------------- patterns
EMAIL = (
    r"[\p{L}\p{N}_%+\-][\p{L}\p{N}._%+'\-]*@[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?"
    r"(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?)*\.\p{L}{2,}"
)
# Compact, or grouped by fours with single spaces (as printed); lower case is read too.
IBAN = r"\b[A-Za-z]{2}\d{2}(?:[A-Za-z0-9]{11,30}|(?: [A-Za-z0-9]{4}){2,7}(?: [A-Za-z0-9]{1,4})?)\b"
CARD = r"\b\d(?:[ \-]?\d){12,18}\b"
SSN = r"\b\d{3}[ \-]\d{2}[ \-]\d{4}\b"
UUID = r"\b[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\b"
IPV4 = r"\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b"
_H = r"[0-9A-Fa-f]{1,4}"
IPV6 = rf"\b(?:(?:{_H}:){{7}}{_H}|(?:{_H}:){{1,6}}:(?:{_H}(?::{_H}){{0,5}})?)"
IP = rf"(?:{IPV6}|{IPV4})"
DATE = (
    r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+\-]\d{2}:?\d{2})?)?"
    # Four-digit years only: "01.04.84.82.80" is a French phone number, not a date.
    r"|\b(?:0?[1-9]|[12]\d|3[01])[./](?:0?[1-9]|1[0-2])[./]\d{4}\b"
)
# National formats: +CC and (area) prefixes, groups split by space, dot, dash or slash. Checked below by
# digit count, so dates, amounts and ids that the shape admits are rejected.
PHONE = (
    r"(?:\+\d{1,3}[ .\-]?(?:\(\d{1,5}\)[ .\-/]?)?|\(\d{1,5}\)[ .\-/]?|\b)\d{1,10}"
    r"(?:[ .\-/]{1,2}(?:\(\d{1,5}\)[ .\-/]?)?\d{1,10}){1,6}\b"
    r"|\+\d{8,15}\b|\(\d{1,5}\)[ .\-/]?\d{5,10}\b|\b0\d{8,11}\b"
)

_STREET_EN = (
    r"Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Court|Ct|Drive|Dr|Boulevard|Blvd|Way|Place|Pl|Square|Sq|Terrace|"
    r"Close|Crescent|Row|Hill|Gardens|Parkway|Mews|Walk|Grove|Park"
)
_STREET_FR = r"rue|avenue|av\.|boulevard|bd|place|chemin|impasse|allée|quai|route|cours|square"
_STREET_NLDE = (
    r"straat|laan|weg|plein|gracht|kade|singel|dijk|steeg|hof|markt|baan|pad|dreef|"
    r"straße|strasse|str\.|gasse|allee|platz|ring|damm|ufer|chaussee"
)
_CAPWORD = r"\p{Lu}[\p{L}\p{M}'’\-]*"
ADDRESS = (
    # 221B Baker Street / 12 Maple St (a dot after it is left to the sentence)
    rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:{_CAPWORD}\s+){{1,3}}(?:{_STREET_EN})\b"
    # 146 bis rue des Tanneurs / 12, avenue de la Gare
    rf"|\b\d{{1,5}}(?:\s?(?:bis|ter|[A-Za-z]))?,?\s+(?:{_STREET_FR})\s+"
    rf"(?:(?:de|du|des|la|le|l'|d'|de la)\s*)?"
    rf"{_CAPWORD}(?:[\s\-]{_CAPWORD}){{0,2}}"
    # Dorpsstraat 5 A / Salzsiederstraße 81a / Lijnbaan 54-2
    rf"|\p{{Lu}}[\p{{L}}\p{{M}}\-]*(?:{_STREET_NLDE})\s+\d{{1,5}}(?:\s?[A-Za-z]\b|-\d{{1,4}}|\s(?:bis|hs|I+)\b)?"
)

# People. A token is a capitalised word (O'Brien, MacGregor, Ashby-Cole), a sequence may hold particles
# (van der, 't, de la). A cue before it (Mr, Dear, Called, Customer ...) or a possessive after it is
# evidence; so is a token in the name dictionaries. The name must end at a delimiter, so a capitalised
# word that starts an email address or other token is not taken as a name.
_TOKEN = r"(?:[A-Za-z]['’])?\p{Lu}[\p{Ll}\p{M}]+(?:\p{Lu}[\p{Ll}\p{M}]+)?(?:-\p{Lu}?[\p{Ll}\p{M}]+)*"
_PARTICLE = (
    r"(?:van|von|de|der|den|del|della|di|da|das|dos|du|des|la|le|zu|zum|ten|ter|te|'t|’t|bin|ibn|al|el)"
)
# An emoji or symbol between two names ("Chloë ✨ Ashby-Cole") does not end the name.
NAME_SEQ = rf"{_TOKEN}(?:\s+(?:[\p{{So}}\p{{Sk}}\u200d\ufe0f]+\s+)?(?:{_PARTICLE}\s+){{0,3}}{_TOKEN}){{0,3}}"
_CJK = r"[\p{Han}\p{Hiragana}\p{Katakana}]{1,10}"
# A Japanese name before an honorific suffix (山田さん, 鈴木様): the suffix is the evidence.
_JA_NAME = r"[\p{Han}\p{Katakana}ー]{1,8}"
_JA_SUFFIX = r"さん|様|さま|氏|くん|君|ちゃん|先生"
HONORIFIC = (
    r"mr|mrs|ms|miss|mx|dr|prof|sir|madam|mister|herr|frau|dhr|mevr|mw|mevrouw|meneer|mme|mlle|monsieur|"
    r"madame|señor|señora|sr|sra"
)
_CONTEXT = (
    r"called|phoned|rang|emailed|spoke with|spoke to|talked to|talked with|met with|contacted|contact|"
    r"visited|customer|client|patient|tenant|member|caller|applicant|employee|dear|hi|hello|hey|beste|"
    r"geachte|lieve|liebe|lieber|sehr geehrte|sehr geehrter|cher|chère|bonjour|hallo|klant|kunde|named|"
    r"signed|regards|attn|cc"
)
CUE = rf"(?i:(?:{HONORIFIC})\.?|{_CONTEXT})"
_TRAIL = r"(?:[\s,;:!?)\]}}\"'’…]|\.(?:\s|$)|$)"
PERSON = rf"(?:{CUE}\s+)?(?:{NAME_SEQ}|{_CJK})(?:['’]s)?{_TRAIL}|{_JA_NAME}(?:{_JA_SUFFIX})"
# Groups of a PERSON match, for masking the name and keeping cue, possessive or suffix, and delimiter.
PERSON_PARTS = (
    rf"^(?:(?P<cue>{CUE})(?P<sep>\s+))?(?P<body>{NAME_SEQ}|{_JA_NAME}|{_CJK})(?P<poss>['’]s|{_JA_SUFFIX})?"
    r"(?P<trail>[\s\S]*)$"
)

KINDS = ("email", "iban", "card", "ssn", "uuid", "ip", "date", "address", "phone", "person")
PATTERNS: dict[str, str] = {
    "email": EMAIL,
    "iban": IBAN,
    "card": CARD,
    "ssn": SSN,
    "uuid": UUID,
    "ip": IP,
    "date": DATE,
    "phone": PHONE,
    "address": ADDRESS,
    "person": PERSON,
}
# Text is searched in these passes, each pass one alternation (leftmost-first within a pass). One regex
# over every kind is 20-50x slower: the name pattern's Unicode classes overflow the regex engine's lazy
# DFA. Earlier passes win: an email is taken before a capitalised word in it could be read as a name.
PASSES: tuple[tuple[str, ...], ...] = (
    ("email", "iban", "card", "ssn", "uuid", "ip", "date", "address", "phone"),
    ("person",),
)


def _ascii_boundaries(pattern: str) -> str:
    # Unicode \b makes the DFA give up on non-ASCII text; these kinds are ASCII digits and letters.
    return pattern.replace(r"\b", r"(?-u:\b)")


def combined(kinds: tuple[str, ...]) -> str:
    """One alternation over `kinds`, in KINDS order."""
    # Every \b in these kinds sits next to ASCII digits or letters.
    ascii_only = {"iban", "card", "ssn", "uuid", "ip", "date", "phone", "address"}
    return "|".join(
        f"(?:{_ascii_boundaries(PATTERNS[k]) if k in ascii_only else PATTERNS[k]})"
        for k in KINDS
        if k in kinds
    )


def fullmatch(kind: str) -> str:
    return rf"^(?:{PATTERNS[kind]})$"


# -------------------------------------------------------------------------------------------- checks
def digits(value: pl.Expr) -> pl.Expr:
    return value.str.replace_all(r"\D", "")


def luhn_ok(value: pl.Expr, max_digits: int = 19) -> pl.Expr:
    """Luhn checksum over the digits of `value` (separators ignored): one expression per position."""
    rev = digits(value).str.reverse()
    total = pl.lit(0, dtype=pl.Int64)
    for i in range(max_digits):
        d = rev.str.slice(i, 1).str.to_integer(strict=False).fill_null(0).cast(pl.Int64)
        if i % 2 == 1:
            d = d * 2
            d = pl.when(d > 9).then(d - 9).otherwise(d)
        total = total + d
    return (total % 10) == 0


_LETTERS = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
_LETTER_VALUES = [str(10 + i) for i in range(26)]


def iban_ok(value: pl.Expr) -> pl.Expr:
    """ISO 13616 mod-97 check: move the first four characters to the end, letters to 10..35, mod 97 == 1."""
    compact = value.str.replace_all(r"[\s\-]", "").str.to_uppercase()
    rearranged = pl.concat_str([compact.str.slice(4), compact.str.slice(0, 4)])
    numeric = rearranged.str.replace_many(_LETTERS, _LETTER_VALUES)
    # Piecewise mod 97 over 7-digit chunks: remainder * 10**len(chunk) + chunk stays below 2**63.
    rem = pl.lit(0, dtype=pl.Int64)
    for k in range(10):  # 70 digits: an IBAN has at most 34 characters, i.e. at most 68 digits
        chunk = numeric.str.slice(7 * k, 7)
        size = chunk.str.len_chars().cast(pl.Int64)
        number = chunk.str.to_integer(strict=False).fill_null(0).cast(pl.Int64)
        scale = pl.lit(10, dtype=pl.Int64).pow(size)
        rem = (rem * scale + number) % 97
    shape = compact.str.contains(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
    return shape & (rem == 1)


def card_ok(value: pl.Expr) -> pl.Expr:
    n = digits(value).str.len_chars()
    issuer = digits(value).str.contains(r"^(?:3[47]|3[068]|4|5[1-5]|2[2-7]|6)")
    return n.is_between(13, 19) & issuer & luhn_ok(value)


def ssn_ok(value: pl.Expr) -> pl.Expr:
    d = digits(value)
    area, group, serial = d.str.slice(0, 3), d.str.slice(3, 2), d.str.slice(5, 4)
    uniform = value.str.contains(r"^\d{3}-\d{2}-\d{4}$|^\d{3} \d{2} \d{4}$")
    return uniform & (area != "000") & (area != "666") & (group != "00") & (serial != "0000")


def phone_ok(value: pl.Expr) -> pl.Expr:
    """International (+CC) with 8-15 digits, or national with 9-12 digits and a separator or trunk 0.

    A national number starts with its trunk 0 (most of Europe, Japan), an area code in parentheses, or
    a 3-digit group (North America): "2024-05-000123" (a reference) and "3836.62" (an amount) are not.
    """
    n = digits(value).str.len_chars()
    international = value.str.starts_with("+") & n.is_between(8, 15)
    separated = value.str.contains(r"[ .\-/()]")
    national_start = value.str.contains(r"^(?:0|\(|\d{3}(?:[ .\-/]|$))")
    national = n.is_between(9, 12) & (separated | value.str.starts_with("0")) & national_start
    # A run of one digit repeated is a placeholder, not a number.
    placeholder = digits(value).str.contains(r"^(?:0+|1+|9+)$")
    return (international | national) & ~placeholder


def ip_ok(value: pl.Expr) -> pl.Expr:
    v4 = value.str.contains(fullmatch("ip")) & value.str.contains(r"^\d")
    v6 = value.str.contains(":") & (
        (value.str.count_matches(":") == 7) | (value.str.count_matches("::") == 1)
    )
    return v4 | v6


# ------------------------------------------------------------------------------------ dictionaries
def fold(value: pl.Expr) -> pl.Expr:
    return value.str.strip_chars().str.to_lowercase()


@cache
def name_words(kind: str) -> pl.Series:
    """Every locale's `kind` dictionary ("first_names", "last_names", "cities"), lower-cased, as a Series."""
    words: set[str] = set()
    for locale in dictionaries.available_locales(kind):
        words.update(unicodedata.normalize("NFC", w).lower() for w in dictionaries.load(kind, locale))
    return pl.Series(sorted(words), dtype=pl.String)


def in_words(value: pl.Expr, kind: str) -> pl.Expr:
    """`value` (folded) is a word of dictionary `kind` in some locale."""
    return value.is_in(name_words(kind).implode())


def is_stopword(value: pl.Expr) -> pl.Expr:
    return value.is_in(pl.Series(sorted(STOPWORDS), dtype=pl.String).implode())


# Capitalised words that begin sentences and headings far more often than they name anyone; a single one
# of them is no evidence of a person even when a dictionary lists it as a name.
STOPWORDS = frozenset(
    [
        "the",
        "this",
        "that",
        "these",
        "those",
        "a",
        "an",
        "and",
        "or",
        "but",
        "if",
        "when",
        "then",
        "there",
        "here",
        "it",
        "its",
        "we",
        "you",
        "they",
        "he",
        "she",
        "i",
        "our",
        "your",
        "their",
        "my",
        "customer",
        "client",
        "service",
        "support",
        "team",
        "account",
        "note",
        "notes",
        "call",
        "called",
        "left",
        "will",
        "may",
        "mark",
        "june",
        "april",
        "august",
        "grant",
        "joy",
        "faith",
        "hope",
        "rose",
        "page",
        "paul",
        "new",
        "old",
        "north",
        "south",
        "east",
        "west",
        "street",
        "road",
        "city",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "july",
        "september",
        "october",
        "november",
        "december",
        "today",
        "tomorrow",
        "yesterday",
        "dear",
        "hi",
        "hello",
        "thanks",
        "thank",
        "please",
        "regards",
        "best",
        "kind",
        "ok",
        "yes",
        "no",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
    ]
)


def classify(frame: pl.DataFrame, column: str, kinds: tuple[str, ...]) -> pl.Series:
    """The kind of each candidate string: the first of `kinds` whose full pattern and check accept it.

    Candidates no kind accepts get null (kept as they are). "date" and "uuid" are returned when asked
    for, so callers can keep them deliberately. Checksums run only on the candidates whose shape fits
    (a frame of distinct candidates in, one kind per row out). Persons are weighed by the caller.
    """
    value = pl.col(column)
    order = [k for k in KINDS if k in kinds and k != "person"]
    shapes = frame.select([value.str.contains(fullmatch(k)).fill_null(False).alias(k) for k in order])
    checks: dict[str, pl.Expr] = {
        "iban": iban_ok(value),
        "card": card_ok(value),
        "ssn": ssn_ok(value),
        "ip": ip_ok(value),
        "phone": phone_ok(value),
    }
    verdicts = []
    for kind in order:
        fits = shapes.get_column(kind)
        if kind in checks and fits.any():
            ok = pl.Series(kind, [False] * frame.height, dtype=pl.Boolean)
            sub = frame.filter(fits).select(checks[kind].fill_null(False)).to_series()
            ok = ok.scatter(fits.arg_true(), sub)
            verdicts.append(ok.alias(kind))
        else:
            verdicts.append(fits.alias(kind))
    out = pl.Series(column, [None] * frame.height, dtype=pl.String)
    for ok in reversed(verdicts):
        out = pl.select(pl.when(ok).then(pl.lit(ok.name)).otherwise(out)).to_series()
    return out
