"""provenance: a row masked with another key is caught; re-masking the source with the key tells."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from tests.validate.conftest import rewrite

from maskpipe.demo import SNAPSHOT_DIR
from maskpipe.extract.parquet import ParquetSource
from maskpipe.hashing import MaskingKey
from maskpipe.plan import build_plan
from maskpipe.rules.model import load_rules
from maskpipe.transform import masked_lazyframe


def test_validate_row_masked_with_another_key_is_named_and_exits_1(
    cli, rules_dir: Path, copy: Path, tmp_path: Path, other_key: MaskingKey
) -> None:
    plan = build_plan(load_rules(rules_dir), ParquetSource(SNAPSHOT_DIR).describe())
    table_plan = plan.table("public.contacts")
    assert table_plan is not None
    row = pl.read_parquet(SNAPSHOT_DIR / "contacts.parquet").filter(pl.col("contact_id") == 13)
    other = masked_lazyframe(row.lazy(), table_plan.columns, other_key).collect()
    rewrite(copy, "contacts", lambda df: df.update(other, on="contact_id"))
    report = tmp_path / "report.json"

    result = cli(
        "validate", str(rules_dir), "--source", "demo://", "--dest", str(copy), "--json", str(report)
    )

    assert result.code == 1
    findings = [f for f in json.loads(report.read_text())["findings"] if f["check"] == "provenance"]
    assert {(f["table"], f["column"], f["row_key"]) for f in findings} == {
        ("public.contacts", "email", "contact_id=13"),
        ("public.contacts", "phone", "contact_id=13"),
    }
    assert all("re-masked with these rules and this key" in f["message"] for f in findings)
