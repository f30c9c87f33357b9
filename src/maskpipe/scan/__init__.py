"""PII discovery: read the schema and a sample of every column, weigh the evidence, write rule drafts.

Evidence per column: its name (names.py), its sampled values (patterns.py: regex, checksums,
dictionaries), Presidio on de-duplicated samples of text columns (presidio_offline.py), and foreign
keys (a column that references PII, or is referenced by PII, is PII). `scan()` returns findings per
table; drafts.py renders them as rule files `maskpipe run` accepts, drift.py compares them with rule
files that are already there. Findings carry evidence, never sampled values.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl
import pyarrow as pa

from maskpipe.model import TableInfo
from maskpipe.plan import polars_dtype
from maskpipe.scan.names import NameEvidence, classify_name
from maskpipe.scan.patterns import ValueEvidence, profile

DEFAULT_SAMPLE = 1000
PRESIDIO_SAMPLE = 40  # distinct values per candidate text column
FLAG_AT = 0.5
MIN_VALUES = 5  # fewer sampled non-empty values are no evidence on their own

# entity -> how far a value share can be trusted (a checksum more than a dictionary hit)
RELIABILITY = {
    "email": 0.99,
    "iban": 0.99,
    "card": 0.98,
    "ssn": 0.9,
    "ip": 0.95,
    "phone": 0.85,
    "street_address": 0.85,
    "full_name": 0.85,
    "first_name": 0.8,
    "last_name": 0.75,
    "city": 0.7,
    "postal_code": 0.6,
}
# Which recognizer a value share comes from, as the drafts name it.
RECOGNIZER = {
    "email": "email regex", "iban": "IBAN regex + mod-97", "card": "card regex + Luhn",
    "ssn": "SSN regex + ranges", "ip": "IPv4/IPv6 regex", "phone": "phone regex + digit count",
    "street_address": "street-address regex", "postal_code": "postal-code regex",
    "first_name": "first-name dictionary", "last_name": "last-name dictionary", "city": "city dictionary",
    "full_name": "name shape + name dictionaries",
}  # fmt: skip
# Least share of sampled values that flags a column on values alone (its name saying nothing).
VALUE_ONLY = {
    "email": 0.5,
    "iban": 0.5,
    "card": 0.5,
    "ssn": 0.6,
    "ip": 0.6,
    "phone": 0.6,
    "street_address": 0.5,
    "full_name": 0.4,
    "first_name": 0.4,
    "last_name": 0.4,
    "city": 0.5,
}
# Entities whose values have an exact, checkable shape (a column named "email" holds email addresses).
EXACT_SHAPE = frozenset({"email", "iban", "card", "ip"})
# entity -> (masker, params) proposed in the draft; the first registered one that accepts the type wins.
RULES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "email": [("email", {})],
    "phone": [("phone", {})],
    "first_name": [("first_name", {})],
    "last_name": [("last_name", {})],
    "full_name": [("full_name", {})],
    "street_address": [("street_address", {})],
    "city": [("city", {})],
    "postal_code": [("postal_code", {}), ("partial", {"keep_first": 2, "keep_last": 0})],
    "dob": [("dob", {}), ("partial", {"keep_first": 4, "keep_last": 0})],
    "ssn": [("ssn", {})],
    "iban": [("iban", {})],
    "card": [("card", {})],
    "ip": [("ip", {})],
    "identifier": [("hash", {"format": "token"}), ("hash", {"format": "int"})],
    "money": [("numeric_noise", {"ratio": 0.1})],
    "geo": [("numeric_noise", {"ratio": 0.01})],
    "free_text": [("free_text", {})],
    "json": [("json", {})],
}
FALLBACK_RULES: list[tuple[str, dict[str, Any]]] = [
    ("hash", {"format": "token"}),
    ("redact", {}),
    ("null", {}),
]
ROW_ENTITIES = ("first_name", "last_name", "full_name", "email", "phone")


@dataclass
class Finding:
    column: str
    entity: str
    confidence: float
    evidence: list[str]
    masker: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    via_fk: str | None = None  # "public.people.email": masked through the FK, no rule of its own
    note: str | None = None


@dataclass
class TableScan:
    table: TableInfo
    sampled_rows: int
    findings: list[Finding]
    seconds: float = 0.0

    def finding(self, column: str) -> Finding | None:
        return next((f for f in self.findings if f.column == column), None)


@dataclass
class ScanResult:
    tables: list[TableScan]
    seconds: float = 0.0


def sample_table(source: Any, table: TableInfo, rows: int) -> pl.DataFrame:
    """The first `rows` rows of a table (one batch); the stream is closed right after it."""
    stream = source.read_batches(table, batch_rows=rows)
    try:
        batch = next(iter(stream), None)
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    if batch is None:
        return pl.DataFrame()
    arrays, names = [], []
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        # Types Polars cannot hold (ADBC numeric, uuid) are sampled as text or left out.
        try:
            pl.from_arrow(pa.table({name: column}))
        except Exception:
            try:
                column = column.cast(pa.string())
            except pa.ArrowException:
                continue
        arrays.append(column)
        names.append(name)
    frame = pl.from_arrow(pa.table(dict(zip(names, arrays, strict=True))))
    assert isinstance(frame, pl.DataFrame)
    return frame.head(rows)


def scan(
    source: Any,
    sample: int = DEFAULT_SAMPLE,
    presidio: bool = True,
    spacy_model: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> ScanResult:
    """Findings for every table of `source` (a Source: describe() + read_batches())."""
    start = time.perf_counter()
    tables = source.describe()
    scans: list[TableScan] = []
    for table in tables:
        t0 = time.perf_counter()
        frame = sample_table(source, table, sample)
        findings = _table_findings(table, frame, presidio, spacy_model)
        scans.append(TableScan(table, frame.height, findings, time.perf_counter() - t0))
        if progress:
            progress(table.qualified)
    _foreign_keys(scans)
    for ts in scans:
        _row_columns(ts)
        for f in ts.findings:
            if f.via_fk is None:
                _choose_rule(ts.table, f)
    return ScanResult(scans, time.perf_counter() - start)


def scan_uri(uri: str, **options: Any) -> ScanResult:
    """Open the source at `uri`, scan it (options as for scan()) and close it."""
    from maskpipe.extract import open_source

    source = open_source(uri)
    try:
        return scan(source, **options)
    finally:
        source.close()


def _value_kind(ev: ValueEvidence) -> tuple[str, float] | None:
    """The value kind with the largest share, of those that can flag a column on their own."""
    shares = {k: ev.shares.get(k, 0.0) for k in VALUE_ONLY}
    kind = max(shares, key=lambda k: (shares[k], RELIABILITY[k]))
    return (kind, shares[kind]) if shares[kind] > 0 else None


def _table_findings(
    table: TableInfo, frame: pl.DataFrame, presidio: bool, spacy_model: str | None
) -> list[Finding]:
    findings = []
    pk = set(table.primary_key) if len(table.primary_key) == 1 else set()
    for col in table.columns:
        if col.generated:
            continue
        dtype = polars_dtype(col.arrow_type)
        hint = classify_name(col.name)
        values = frame.get_column(col.name) if col.name in frame.columns else None
        is_text = dtype is not None and (dtype == pl.String or isinstance(dtype, pl.Categorical))
        ev = profile(values) if (is_text and values is not None) else ValueEvidence(0)
        finding = _decide(col.name, dtype, hint, ev, col.name in pk and not is_text)
        if finding is None and is_text and presidio and values is not None and ev.n:
            finding = _presidio_decide(col.name, values, ev, spacy_model)
        if finding is not None:
            if finding.entity == "json":
                paths = _json_paths(ev.json_paths)
                finding.params = {"paths": paths} if paths else {}
            finding.confidence = round(finding.confidence, 2)
            findings.append(finding)
    findings += _own_values_in_text(table, frame, findings)
    return findings


def _own_values_in_text(table: TableInfo, frame: pl.DataFrame, findings: list[Finding]) -> list[Finding]:
    """Unflagged text columns that mention the row's own name, email or phone are free text with PII."""
    siblings = [f.column for f in findings if f.entity in ROW_ENTITIES and f.column in frame.columns]
    flagged = {f.column for f in findings}
    out = []
    for col in table.columns:
        if col.name in flagged or col.name not in frame.columns or frame.schema[col.name] != pl.String:
            continue
        text = pl.col(col.name)
        if not siblings or frame.select((text.str.count_matches(r"\s+") >= 3).mean()).item() in (None, 0):
            continue
        mentions = pl.any_horizontal(
            [
                (pl.col(s).cast(pl.String).str.len_chars() >= 3)
                & text.str.contains(pl.col(s).cast(pl.String), literal=True)
                for s in siblings
            ]
        ).fill_null(False)
        share = frame.filter(text.is_not_null()).select(mentions.mean()).item() or 0.0
        if share >= 0.02:
            out.append(
                Finding(
                    col.name, "free_text", round(min(0.95, 0.6 + share), 2),
                    [f"{_pct(share)} of sampled rows mention the row's own {', '.join(siblings)}"],
                )
            )  # fmt: skip
    return out


def _json_paths(paths: dict[str, str]) -> dict[str, str]:
    """JSON path -> masker name, for the paths whose entity has a registered masker for text."""
    from maskpipe import maskers

    out = {}
    for path, entity in sorted(paths.items()):
        for masker_name, params in RULES.get(entity, []):
            masker = maskers.get(masker_name)
            if masker is not None and not params and masker.check_dtype(pl.String(), masker.Params()) is None:
                out[path] = masker_name
                break
    return out


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%"


def _decide(
    name: str, dtype: pl.DataType | None, hint: NameEvidence | None, ev: ValueEvidence, surrogate_key: bool
) -> Finding | None:
    """Combine name and value evidence for one column; None when it does not look like PII."""
    if dtype is None or surrogate_key:
        return None
    evidence: list[str] = []
    s = ev.shares
    sampled = f"of {ev.n} sampled values"
    # Structured documents and text first: their values also hold emails and names.
    if s.get("json", 0) >= 0.5 and (ev.json_paths or ev.json_text_pii):
        conf = 0.9 if ev.json_paths else 0.75
        if ev.json_paths:
            evidence.append(f"JSON keys named like PII ({', '.join(sorted(ev.json_paths))})")
        if ev.json_text_pii:
            evidence.append(
                "PII patterns in JSON string values (recognizers: regex, checksums, dictionaries)"
            )
        evidence.insert(0, f"{_pct(s['json'])} {sampled} are JSON documents")
        return Finding(name, "json", conf, evidence)
    value = _value_kind(ev) if ev.n >= MIN_VALUES else None
    # Whole values of one kind (grouped IBANs have spaces too) are that kind, not free text.
    whole_values = value is not None and value[1] >= VALUE_ONLY[value[0]]
    if (
        s.get("long_text", 0) >= 0.2
        and s.get("text_pii", 0) >= 0.01
        and not whole_values
        and (hint is None or hint.entity in {"free_text", "json"})
    ):
        conf = min(0.95, 0.6 + s["text_pii"])
        evidence = [
            f"{_pct(s['long_text'])} {sampled} are free text",
            f"{_pct(s['text_pii'])} hold PII (regex recognizers: email, IBAN, SSN, IP, cued names)",
        ]
        if hint is not None:
            evidence.insert(0, f"name '{name}' suggests free text")
        return Finding(name, "free_text", conf, evidence)
    if hint is not None and hint.entity not in {"free_text", "json"}:
        entity = hint.entity
        conf = hint.confidence
        evidence.append(f"name '{name}' says {entity} (matches '{hint.word}')")
        if ev.n:
            own = s.get(entity, 0.0)
            if entity in RELIABILITY:
                if own > 0:
                    conf = 1 - (1 - conf) * (1 - own * RELIABILITY[entity])
                    evidence.append(f"{_pct(own)} {sampled} look like {entity} ({RECOGNIZER[entity]})")
                elif value and value[1] >= 0.8 and value[0] != entity:
                    # The values clearly are something else: trust them over the name.
                    entity, conf = value[0], value[1] * RELIABILITY[value[0]]
                    evidence.append(f"but {_pct(value[1])} {sampled} are {entity}")
                elif entity == "full_name" and hint.confidence < FLAG_AT:
                    return None  # "name" with values that are not people's names (products, files)
                else:
                    # Entities with an exact shape: a name that no value agrees with is misleading.
                    conf *= 0.5 if (entity in EXACT_SHAPE and ev.n >= 20) else 0.8
                    evidence.append(f"no sampled value looks like {entity}")
        if not _type_fits(entity, dtype):
            return None
        return Finding(name, entity, round(conf, 2), evidence) if conf >= FLAG_AT else None
    if value is not None and value[1] >= VALUE_ONLY[value[0]] and dtype == pl.String:
        entity, share = value
        evidence.append(
            f"name '{name}' says nothing; {_pct(share)} {sampled} are {entity} ({RECOGNIZER[entity]})"
        )
        return Finding(name, entity, round(share * RELIABILITY[entity], 2), evidence)
    return None


def _type_fits(entity: str, dtype: pl.DataType) -> bool:
    numeric = dtype.is_numeric()
    temporal = dtype in (pl.Date,) or isinstance(dtype, pl.Datetime)
    if entity in {"money", "geo"}:
        return numeric
    if entity == "dob":
        return temporal or dtype == pl.String
    if entity == "identifier":
        return dtype == pl.String or dtype.is_integer()
    return dtype == pl.String


def _presidio_decide(
    name: str, values: pl.Series, ev: ValueEvidence, spacy_model: str | None
) -> Finding | None:
    """Presidio on a de-duplicated sample of a text column that nothing else flagged."""
    if ev.shares.get("json", 0) >= 0.5:
        return None  # documents were parsed and their string values weighed already
    if ev.shares.get("long_text", 0) < 0.2 and ev.shares.get("name_shaped", 0) < 0.5:
        return None
    from maskpipe.scan.presidio_offline import ENTITIES, entity_counts

    distinct = values.drop_nulls().unique().head(PRESIDIO_SAMPLE).to_list()
    if not distinct:
        return None
    counts = entity_counts(distinct, spacy_model=spacy_model)
    found = {e: c for e, c in counts.items() if e in ENTITIES}
    if not found:
        return None
    share = max(found.values()) / len(distinct)
    if share < 0.05:
        return None
    what = ", ".join(f"{e} {_pct(c / len(distinct))}" for e, c in sorted(found.items()))
    evidence = [f"Presidio on {len(distinct)} distinct sampled values: {what}"]
    if ev.shares.get("long_text", 0) >= 0.2:
        return Finding(name, "free_text", round(min(0.9, 0.5 + share), 2), evidence)
    entity = {"PERSON": "full_name", "LOCATION": "city"}.get(max(found, key=lambda e: found[e]))
    if entity is None:
        return Finding(name, "free_text", round(min(0.9, 0.5 + share), 2), evidence)
    return Finding(name, entity, round(min(0.9, 0.4 + share), 2), evidence)


def _foreign_keys(scans: list[TableScan]) -> None:
    """A column that references a PII column is PII, and so is a column that a PII column references."""
    by_name = {ts.table.qualified: ts for ts in scans}
    changed = True
    while changed:
        changed = False
        for ts in scans:
            for fk in ts.table.foreign_keys:
                ref = by_name.get(fk.ref_table)
                if ref is None:
                    continue
                for col, ref_col in zip(fk.columns, fk.ref_columns, strict=True):
                    own, target = ts.finding(col), ref.finding(ref_col)
                    via = f"{fk.ref_table}.{ref_col}"
                    both = target is not None and own is not None and own is not target
                    if both and own.via_fk is None and target.via_fk is None:
                        # Both PII: the referencing column must map as the key it references (the plan
                        # propagates that rule), so it gets no rule of its own.
                        own.via_fk = via
                        own.evidence.append(f"references {via} ({target.entity}) through foreign key")
                        changed = True
                    elif target is not None and own is None:
                        ts.findings.append(
                            Finding(
                                col,
                                target.entity,
                                target.confidence,
                                [
                                    f"references {fk.ref_table}.{ref_col} ({target.entity}) "
                                    f"through foreign key {fk.name or ''}".rstrip()
                                ],
                                via_fk=via,
                            )
                        )
                        changed = True
                    elif own is not None and target is None and own.via_fk is None:
                        ref.findings.append(
                            Finding(
                                ref_col,
                                own.entity,
                                own.confidence,
                                [
                                    f"referenced by {ts.table.qualified}.{col} ({own.entity}) "
                                    f"through foreign key {fk.name or ''}".rstrip()
                                ],
                            )
                        )
                        changed = True


def _row_columns(ts: TableScan) -> None:
    """Free text and JSON columns get the row's own name/email/phone columns as row_columns."""
    siblings = [f.column for f in ts.findings if f.entity in ROW_ENTITIES and f.via_fk is None]
    for f in ts.findings:
        if f.entity in {"free_text", "json"} and siblings:
            f.params = {**f.params, "row_columns": siblings}


def _choose_rule(table: TableInfo, finding: Finding) -> None:
    """The first proposed masker that is registered, takes these params and accepts the column's type."""
    from maskpipe import maskers

    column = table.column(finding.column)
    assert column is not None
    dtype = polars_dtype(column.arrow_type)
    candidates = [(m, {**p, **finding.params}) for m, p in RULES.get(finding.entity, [])] + FALLBACK_RULES
    for masker_name, params in candidates:
        masker = maskers.get(masker_name)
        if masker is None or dtype is None:
            continue
        try:
            bound = masker.Params.model_validate(params)
        except ValueError:
            continue
        if masker.check_dtype(dtype, bound) is not None:
            continue
        if masker_name == "null" and not column.nullable:
            continue
        finding.masker, finding.params = masker_name, params
        if (masker_name, params) not in [
            (m, {**p, **finding.params}) for m, p in RULES.get(finding.entity, [])
        ]:
            finding.note = (
                f"'{RULES.get(finding.entity, [('?', {})])[0][0]}' is not available for this column; review"
            )
        return
    finding.masker = None
    finding.note = "no registered masker accepts this column's type; add a rule by hand"
