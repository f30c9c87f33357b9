"""formats: masked emails, IBANs, card numbers, UUIDs and phone numbers still pass their validators.

The validators are the well-kept libraries (email-validator, schwifty, python-stdnum's Luhn, phonenumbers,
the standard uuid module) and run in Python once per distinct value, so they only see a bounded sample:
the `format_sample` rows with the smallest key fingerprints, the same rows at both ends (a uniform,
repeatable sample). A masked value fails the check when it is invalid while its source value was valid,
so dirty source data does not fail a copy. A column's format comes from its masker (`email` -> email, ...);
for other maskers it is recognised from the source sample (90% valid; not phone numbers, whose parser
accepts too many digit strings: SSNs pass as US numbers). Maskers that do not promise a format (hash,
redact, ...) are not checked.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import phonenumbers
import polars as pl
from email_validator import EmailNotValidError, validate_email
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import luhn

from maskpipe.validate.findings import Collector, ValidateOptions
from maskpipe.validate.fingerprints import KEY, PAIR, BottomK, TableSpec

CHECK = "formats"
BY_MASKER = {
    "email": "email",
    "iban": "iban",
    "card": "card",
    "card_number": "card",
    "uuid": "uuid",
    "phone": "phone",
}
# Maskers that replace a value by something of another shape on purpose.
OPAQUE = frozenset({"hash", "redact", "constant", "null", "regex_replace", "partial", "keep"})
LABELS = {
    "email": "email address",
    "iban": "IBAN",
    "card": "card number (Luhn)",
    "uuid": "UUID",
    "phone": "phone number",
}
SNIFF_MIN_VALUES = 10
SNIFF_SHARE = 0.9
SNIFF_VALUES = 200
SNIFFED = ("uuid", "iban", "email", "card")  # formats with a checksum or a strict syntax
# National phone numbers (no +country prefix) are tried in these regions, in order.
PHONE_REGIONS = ("US", "GB", "DE", "FR", "NL", "BE", "ES", "IT", "CH", "AT")
_CARD_SEPARATORS = re.compile(r"[ -]")


def _email(value: str) -> bool:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _iban(value: str) -> bool:
    try:
        IBAN(value)
    except (SchwiftyException, ValueError):
        return False
    return True


def _card(value: str) -> bool:
    digits = _CARD_SEPARATORS.sub("", value)
    return digits.isdigit() and 12 <= len(digits) <= 19 and luhn.is_valid(digits)


def _uuid(value: str) -> bool:
    if len(value) not in (32, 36):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _phone(value: str) -> bool:
    regions: tuple[str | None, ...] = (None,) if value.lstrip().startswith("+") else PHONE_REGIONS
    for region in regions:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(value, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "uuid": _uuid,
    "iban": _iban,
    "email": _email,
    "card": _card,
    "phone": _phone,
}


def valid(kind: str, values: pl.Series) -> pl.Series:
    """Validity per value, the validator called once per distinct value."""
    check = VALIDATORS[kind]
    distinct = values.drop_nulls().unique()
    verdicts = {v: check(v) for v in distinct.to_list()}  # per-distinct: a validator library call each
    return values.replace_strict(verdicts, default=None, return_dtype=pl.Boolean)


def sniff(values: pl.Series) -> str | None:
    """The format most of a column's source sample passes, if any."""
    sample = values.drop_nulls().unique().sort().head(SNIFF_VALUES)
    if sample.len() < SNIFF_MIN_VALUES:
        return None
    for kind in SNIFFED:
        share = valid(kind, sample).mean()
        if isinstance(share, float) and share >= SNIFF_SHARE:
            return kind
    return None


class SampleCollector:
    """Both ends: per masked text column, the rows with the smallest pairing fingerprints (or, without a
    key, the distinct values with the smallest value fingerprints)."""

    def __init__(self, options: ValidateOptions) -> None:
        self.k = options.format_sample
        self.src: dict[tuple[int, int], BottomK] = {}
        self.dst: dict[tuple[int, int], BottomK] = {}

    def _feed(
        self,
        store: dict[tuple[int, int], BottomK],
        spec: TableSpec,
        frame: pl.DataFrame,
        spill: pl.DataFrame,
        with_key: bool,
    ) -> None:
        for m in spec.masked:
            if not m.is_text or m.plan.masker in OPAQUE:
                continue
            value = frame.get_column(m.name)
            order = spill.get_column(PAIR) if spec.pk else value.nchash.xxh3_64()
            columns = {"__order": order, "value": value}
            if with_key:
                columns[KEY] = spill.get_column(KEY)
            sample = store.setdefault((spec.index, m.index), BottomK(self.k))
            sample.feed(pl.DataFrame(columns).filter(pl.col("value").is_not_null()))

    def source_batch(self, spec: TableSpec, frame: pl.DataFrame, spill: pl.DataFrame) -> None:
        self._feed(self.src, spec, frame, spill, with_key=False)

    def dest_batch(self, spec: TableSpec, frame: pl.DataFrame, spill: pl.DataFrame) -> None:
        self._feed(self.dst, spec, frame, spill, with_key=True)


def check(specs: list[TableSpec], samples: SampleCollector, out: Collector) -> None:
    checked = []
    for spec in specs:
        for m in spec.masked:
            src_sample = samples.src.get((spec.index, m.index))
            dst_sample = samples.dst.get((spec.index, m.index))
            if (
                src_sample is None
                or dst_sample is None
                or src_sample.frame is None
                or dst_sample.frame is None
            ):
                continue
            src, dst = src_sample.frame, dst_sample.frame
            kind = BY_MASKER.get(m.plan.masker) or sniff(src.get_column("value"))
            if kind is None:
                continue
            src = src.with_columns(src_ok=valid(kind, src.get_column("value")))
            dst = dst.with_columns(dst_ok=valid(kind, dst.get_column("value")))
            if spec.pk:
                bad = src.join(dst, on="__order").filter(pl.col("src_ok") & ~pl.col("dst_ok"))
                message = f"masked value is not a valid {LABELS[kind]}; its source value was."
            elif src.get_column("src_ok").all():
                bad = dst.filter(~pl.col("dst_ok"))
                message = f"masked value is not a valid {LABELS[kind]}; every sampled source value was."
            else:
                out.notes.append(
                    f"formats: {spec.table}.{m.name} not checked: no key pairs its rows and the "
                    f"source has invalid {LABELS[kind]}s itself."
                )
                continue
            checked.append(f"{spec.table}.{m.name} ({kind}, {dst.height:,} rows)")
            keys = bad.sort(pl.col(KEY).str.len_chars(), KEY).get_column(KEY)
            out.rows(
                CHECK, spec.table, m.name, keys.head(out.options.max_listed).to_list(), keys.len(), message
            )
    if checked:
        out.notes.append(
            f"formats: validators ran on a sample of at most {samples.k:,} rows per column, not "
            f"on every row: {'; '.join(checked)}."
        )
