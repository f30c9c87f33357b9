"""scan on a labelled 50-table synthetic schema: recall and precision of PII columns, and speed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from maskpipe.plan import build_plan
from maskpipe.rules.model import load_rules
from maskpipe.scan import ScanResult, scan_uri
from maskpipe.scan.drafts import write_drafts
from tests.scan.synthetic import Schema, build


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Schema, ScanResult, float]:
    schema = build(tmp_path_factory.mktemp("synthetic") / "snapshot", n_tables=50, rows=200)
    start = time.perf_counter()
    result = scan_uri(str(schema.folder))
    return schema, result, time.perf_counter() - start


def _flagged(result: ScanResult) -> set[tuple[str, str]]:
    return {(ts.table.qualified, f.column) for ts in result.tables for f in ts.findings}


def test_scan_recall_and_precision_on_labelled_schema(scanned: tuple[Schema, ScanResult, float]) -> None:
    schema, result, _ = scanned
    flagged = _flagged(result)
    pii = {k for k, v in schema.labels.items() if v}
    true_positives = pii & flagged
    recall = len(true_positives) / len(pii)
    precision = len(true_positives) / len(flagged)
    missed = sorted(pii - flagged)
    wrong = sorted(flagged - pii)
    print(
        f"\nscan: {len(schema.labels)} columns, {len(pii)} PII; "
        f"recall {recall:.3f}, precision {precision:.3f}"
    )
    assert recall >= 0.97, f"missed: {missed[:20]}"
    assert precision >= 0.9, f"wrongly flagged: {wrong[:20]}"


def test_scan_finds_pii_columns_whose_names_say_nothing(scanned: tuple[Schema, ScanResult, float]) -> None:
    _, result, _ = scanned
    opaque = next(ts for ts in result.tables if ts.table.name.startswith("opaque"))
    entities = {f.column: f.entity for f in opaque.findings}
    assert entities == {
        "col_a": "email",
        "field_17": "iban",
        "x3": "phone",
        "attr": "first_name",
        "c9": "card",
        "ref2": "ssn",
        "misc": "ip",
        "lbl": "full_name",
        "v1": "street_address",
    }
    for f in opaque.findings:
        assert "says nothing" in f.evidence[0]


def test_scan_flags_mostly_null_column_through_its_foreign_key(
    scanned: tuple[Schema, ScanResult, float],
) -> None:
    _, result, _ = scanned
    owners = [f for ts in result.tables for f in ts.findings if f.column == "owner_ref"]
    assert owners and all(f.via_fk is not None and f.via_fk.endswith(".login_email") for f in owners)


def test_scan_free_text_and_json_columns_get_their_maskers(scanned: tuple[Schema, ScanResult, float]) -> None:
    _, result, _ = scanned
    by_column = {(ts.table.name.split("_")[0], f.column): f for ts in result.tables for f in ts.findings}
    assert by_column[("tickets", "notes")].masker == "free_text"
    assert by_column[("tickets", "body_x")].masker == "free_text"
    assert by_column[("events", "payload")].masker == "json"
    assert ("events", "config") not in by_column  # JSON without PII


def test_scan_of_50_tables_takes_under_a_minute(scanned: tuple[Schema, ScanResult, float]) -> None:
    _, result, seconds = scanned
    assert len(result.tables) == 50
    assert seconds < 60, f"scan took {seconds:.1f} s"


def test_scan_drafts_are_accepted_by_the_plan_as_they_are(
    scanned: tuple[Schema, ScanResult, float], tmp_path: Path
) -> None:
    schema, result, _ = scanned
    write_drafts(result, tmp_path)
    plan = build_plan(load_rules(tmp_path), schema.tables)
    masked = {(tp.table.qualified, c.column) for tp in plan.tables for c in tp.columns}
    assert _flagged(result) <= masked
