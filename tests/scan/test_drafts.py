"""Rule drafts: evidence without values, a hash marker, edited files kept, drift reported."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from maskpipe.extract import open_source
from maskpipe.scan import ScanResult, scan_uri
from maskpipe.scan.drafts import is_untouched, write_drafts
from maskpipe.scan.drift import drift
from tests.scan.synthetic import Schema, build


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Schema, ScanResult]:
    schema = build(tmp_path_factory.mktemp("small") / "snapshot", n_tables=12, rows=120)
    return schema, scan_uri(str(schema.folder), presidio=False)


def test_drafts_show_evidence_never_sampled_values(small: tuple[Schema, ScanResult], tmp_path: Path) -> None:
    schema, result = small
    write_drafts(result, tmp_path)
    text = "\n".join(p.read_text() for p in tmp_path.glob("*.yaml"))
    assert "confidence" in text and "sampled values" in text
    for path in schema.folder.glob("*.parquet"):
        frame = pl.read_parquet(path)
        for column in frame.columns:
            if frame.schema[column] != pl.String:
                continue
            values = frame.get_column(column).drop_nulls().unique()
            secret = values.filter(values.str.contains(r"[@\d]") & (values.str.len_chars() >= 8))
            leaked = [v for v in secret.to_list() if v in text]
            assert not leaked, f"{path.stem}.{column}: draft shows sampled values"


def test_drafts_rescan_unchanged_keeps_files_and_rewrites_own_drafts(
    small: tuple[Schema, ScanResult], tmp_path: Path
) -> None:
    _, result = small
    first = write_drafts(result, tmp_path)
    assert len(first.written) == len(result.tables)
    again = write_drafts(result, tmp_path)
    assert len(again.unchanged) == len(result.tables) and not again.kept
    assert all(is_untouched(p.read_text()) for p in tmp_path.glob("*.yaml"))


def test_drift_on_changed_schema_keeps_edited_rules_and_reports(tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot"
    schema = build(snapshot, n_tables=2, rows=60)
    rules = tmp_path / "rules"
    write_drafts(scan_uri(str(snapshot), presidio=False), rules)
    edited = rules / "public.customers_0.yaml"
    edited.write_text(edited.read_text().replace("first_name: first_name", "first_name: {masker: redact}"))
    user_text = edited.read_text()

    # The schema changes: a column is dropped, a PII column appears, a table disappears.
    table = pq.read_table(snapshot / "customers_0.parquet")
    metadata = table.schema.metadata
    table = table.drop_columns(["phone"]).append_column(
        "contact_email", pl.Series([f"x{i}@corp.example.com" for i in range(table.num_rows)]).to_arrow()
    )
    pq.write_table(table.replace_schema_metadata(metadata), snapshot / "customers_0.parquet")
    (snapshot / "klanten_1.parquet").unlink()

    result = scan_uri(str(snapshot), presidio=False)
    problems = [p.render() for p in drift(result, rules)]
    report = write_drafts(result, rules)

    assert edited.read_text() == user_text, "an edited rule file was overwritten"
    assert report.kept == [(edited, rules / "public.customers_0.yaml.draft")]
    assert "contact_email" in (rules / "public.customers_0.yaml.draft").read_text()
    assert any("rule for column 'phone', which public.customers_0 no longer has" in p for p in problems)
    assert any("new column 'contact_email' looks like email" in p for p in problems)
    assert any("public.klanten_1" in p and "no longer has" in p for p in problems)
    assert len(schema.tables) == 2


def test_drafts_for_the_demo_snapshot_run_as_they_are(tmp_path: Path) -> None:
    from maskpipe.demo import SNAPSHOT_DIR
    from maskpipe.plan import build_plan
    from maskpipe.rules.model import load_rules

    source = tmp_path / "snapshot"
    shutil.copytree(SNAPSHOT_DIR, source)
    result = scan_uri(str(source), presidio=False)
    write_drafts(result, tmp_path / "rules")
    plan = build_plan(load_rules(tmp_path / "rules"), open_source(str(source)).describe())
    notes = plan.table("public.notes")
    assert notes is not None
    assert {c.column: c.masker for c in notes.columns} == {"body": "free_text", "payload": "json"}
