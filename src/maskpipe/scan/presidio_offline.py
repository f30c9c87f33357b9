"""Presidio, fully offline: no model download, no public-suffix-list fetch, one call per distinct text.

The analyzer uses the `no_op` NLP engine (pattern and checksum recognizers: email, card, IBAN, IP,
SSN, ...) unless a local spaCy model is named by MASKPIPE_SPACY_MODEL (a package name or a path), which
adds PERSON and LOCATION from named-entity recognition. The email recognizer's domain check uses
tldextract with its bundled suffix list instead of fetching one. Presidio's phone recognizer, 65% of
its time, is left out: our own vectorized phone recognizer runs before it.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from functools import cache
from typing import Any

import polars as pl

SPACY_MODEL_ENV = "MASKPIPE_SPACY_MODEL"
# Presidio entity -> free_text kind. Others (dates, URLs, driver licences, ...) are not masked in text.
ENTITIES = {
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "CREDIT_CARD": "card",
    "IBAN_CODE": "iban",
    "IP_ADDRESS": "ip",
    "US_SSN": "ssn",
    "PERSON": "person",
    "LOCATION": "city",
}


@cache
def _offline_extractor() -> Any:
    import tldextract

    # suffix_list_urls=() and no cache: the suffix list bundled with tldextract, never the network.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def _offline_email_recognizer() -> Any:
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    class OfflineEmailRecognizer(EmailRecognizer):  # type: ignore[misc]
        def validate_result(self, pattern_text: str) -> bool:
            return bool(_offline_extractor()(pattern_text).fqdn)

    return OfflineEmailRecognizer()


@cache
def analyzer(spacy_model: str | None = None) -> Any:
    """A Presidio AnalyzerEngine that never touches the network. `spacy_model` overrides the env setting."""
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    # Presidio logs a warning per recognizer it cannot use with the no_op engine; that is expected.
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    model = spacy_model or os.environ.get(SPACY_MODEL_ENV) or None
    if model:
        config = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model}]}
    else:
        config = {"nlp_engine_name": "no_op", "models": [{"lang_code": "en", "model_name": "no_op"}]}
    engine = NlpEngineProvider(nlp_configuration=config).create_engine()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=engine)
    registry.remove_recognizer("EmailRecognizer")
    registry.remove_recognizer("PhoneRecognizer")
    registry.add_recognizer(_offline_email_recognizer())
    return AnalyzerEngine(nlp_engine=engine, registry=registry, supported_languages=["en"])


def entity_counts(values: list[str], score: float = 0.5, spacy_model: str | None = None) -> Counter[str]:
    """How many of `values` (distinct sampled texts) hold each Presidio entity with at least `score`."""
    engine = analyzer(spacy_model)
    counts: Counter[str] = Counter()
    for text in values:  # per-distinct: the caller passes de-duplicated samples
        found = {r.entity_type for r in engine.analyze(text=text, language="en") if r.score >= score}
        counts.update(found)
    return counts


def premark(text: pl.Series, score: float = 0.5, spacy_model: str | None = None) -> pl.Series:
    """Wrap what Presidio finds in free_text's marks, once per distinct text, and map rows back."""
    from maskpipe.maskers.free_text import KIND_END, PRESIDIO, SEP

    distinct = text.drop_nulls().unique(maintain_order=True)
    engine = analyzer(spacy_model)
    marked = []
    for value in distinct.to_list():  # per-distinct
        marked.append(_mark(value, engine.analyze(text=value, language="en"), score, SEP, PRESIDIO, KIND_END))
    mapping = pl.DataFrame({"t": distinct, "m": pl.Series(marked, dtype=pl.String)})
    out = pl.DataFrame({"t": text}).join(mapping, on="t", how="left", maintain_order="left", nulls_equal=True)
    return out.select(pl.coalesce("m", "t")).to_series().alias(text.name)


def _mark(value: str, results: list[Any], score: float, sep: str, start: str, kind_end: str) -> str:
    """Insert marks around non-overlapping spans, best first; spans touching earlier marks are skipped."""
    taken: list[tuple[int, int]] = [(i, i + 1) for i, ch in enumerate(value) if ch == sep]
    spans = []
    ordered = sorted(results, key=lambda r: (-r.score, -(r.end - r.start)))
    for r in ordered:
        kind = ENTITIES.get(r.entity_type)
        if kind is None or r.score < score:
            continue
        if any(r.start < end and begin < r.end for begin, end in taken):
            continue
        taken.append((r.start, r.end))
        spans.append((r.start, r.end, kind))
    for begin, end, kind in sorted(spans, reverse=True):
        value = value[:begin] + sep + start + kind + kind_end + value[begin:end] + sep + value[end:]
    return value
