"""What a column's sampled values say: shares of values matching each PII pattern, checksum or dictionary.

All shares come from one vectorized Polars `select` per column over the sample (regex pre-screen,
Luhn and IBAN mod-97 checks on the candidates, `is_in` against the name and city dictionaries).
Only JSON documents are parsed in Python, once per distinct sampled document (# per-distinct).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import polars as pl

from maskpipe.maskers import _recognizers as rec
from maskpipe.scan.names import classify_name

POSTAL = (
    r"^(?:\d{4}\s?[A-Za-z]{2}"  # NL
    r"|\d{5}(?:-\d{4})?"  # US, DE, FR, ES, IT
    r"|[A-Za-z]{1,2}\d[A-Za-z\d]?\s?\d[A-Za-z]{2}"  # UK
    r"|\d{3}-\d{4}"  # JP
    r"|[A-Za-z]\d[A-Za-z]\s?\d[A-Za-z]\d"  # CA
    r"|\d{4})$"  # BE, CH, AT, DK (weak on its own)
)
# Structured PII that counts as "PII inside free text" when found anywhere in a value.
_TEXT_PII = "|".join(f"(?:{rec.PATTERNS[k]})" for k in ("email", "iban", "ssn", "ip"))
_CUED_NAME = rf"{rec.CUE}\s+(?:{rec.NAME_SEQ})"


@dataclass
class ValueEvidence:
    """Shares (0..1) of the sampled non-empty values per pattern; `n` is how many values were sampled."""

    n: int
    shares: dict[str, float] = field(default_factory=dict)
    # For JSON columns: key paths whose name or values are PII -> entity (e.g. "$.contact.email": "email").
    json_paths: dict[str, str] = field(default_factory=dict)
    json_text_pii: bool = False


def _share(expr: pl.Expr) -> pl.Expr:
    return expr.fill_null(False).cast(pl.Float64).mean()


def profile(values: pl.Series) -> ValueEvidence:
    """Evidence from one sampled string column (nulls and blank strings are left out)."""
    s = values.cast(pl.String)
    s = s.filter(s.is_not_null() & (s.str.strip_chars() != ""))
    if s.len() == 0:
        return ValueEvidence(0)
    frame = pl.DataFrame({"v": s.str.strip_chars()})
    v = pl.col("v")
    folded = v.str.to_lowercase()
    tokens = folded.str.split(" ")
    kinds = rec.classify(
        frame, "v", ("email", "iban", "card", "ssn", "uuid", "ip", "date", "address", "phone")
    )
    frame = frame.with_columns(kind=kinds)
    k = pl.col("kind")
    shares = frame.select(
        email=_share(k == "email"),
        iban=_share(k == "iban"),
        card=_share(k == "card"),
        ssn=_share(k == "ssn"),
        uuid=_share(k == "uuid"),
        ip=_share(k == "ip"),
        date=_share(k == "date"),
        street_address=_share(k == "address"),
        phone=_share(k == "phone"),
        postal_code=_share(v.str.contains(POSTAL)),
        first_name=_share(rec.in_words(folded, "first_names")),
        last_name=_share(rec.in_words(folded, "last_names")),
        city=_share(rec.in_words(folded, "cities")),
        full_name=_share(
            v.str.contains(rf"^{rec.NAME_SEQ}$")
            & (v.str.count_matches(r"\s+") >= 1)
            & (
                rec.in_words(tokens.list.first(), "first_names")
                | rec.in_words(tokens.list.last(), "last_names")
            )
        ),
        name_shaped=_share(v.str.contains(rf"^{rec.NAME_SEQ}$")),
        long_text=_share(v.str.count_matches(r"\s+") >= 3),
        text_pii=_share(v.str.contains(_TEXT_PII) | v.str.contains(_CUED_NAME)),
        json=_share(v.str.contains(r"^[\[{]") & v.str.contains(r"[\]}]$")),
    ).row(0, named=True)
    evidence = ValueEvidence(s.len(), {key: float(val or 0.0) for key, val in shares.items()})
    if evidence.shares["json"] > 0:
        _json_evidence(s, evidence)
    return evidence


def _json_evidence(values: pl.Series, evidence: ValueEvidence) -> None:
    """Parse the distinct sampled documents; find PII keys and PII-looking string leaves."""
    docs, leaves = 0, []
    paths: dict[str, str] = {}
    for text in values.unique().head(300).to_list():  # per-distinct (a sample of documents)
        try:
            doc = json.loads(text)
        except ValueError:
            continue
        docs += 1
        for path, key, leaf in _walk(doc, "$", None):
            hint = classify_name(key) if key else None
            if (
                hint
                and hint.entity not in {"free_text", "json", "identifier", "money", "geo"}
                and isinstance(leaf, str)
            ):
                paths.setdefault(path, hint.entity)
            if isinstance(leaf, str):
                leaves.append(leaf)
    evidence.shares["json"] = docs / max(1, values.unique().head(300).len()) * evidence.shares["json"]
    evidence.json_paths = paths
    if leaves:
        inner = profile(pl.Series(leaves, dtype=pl.String))
        evidence.json_text_pii = (
            any(
                inner.shares.get(kind, 0) > 0
                for kind in ("email", "iban", "card", "ssn", "ip", "phone", "full_name")
            )
            or inner.shares.get("text_pii", 0) > 0
        )


def _walk(node: object, path: str, key: str | None) -> list[tuple[str, str | None, object]]:
    if isinstance(node, dict):
        out: list[tuple[str, str | None, object]] = []
        for k, v in node.items():
            out += _walk(v, f"{path}.{k}" if str(k).isidentifier() else f"{path}['{k}']", str(k))
        return out
    if isinstance(node, list):
        return [leaf for item in node for leaf in _walk(item, f"{path}[*]", key)]
    return [(path, key, node)]
