"""structure: a missing table, a missing row and a missing key are named."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from tests.validate.conftest import rewrite

from maskpipe.demo import SNAPSHOT_DIR
from maskpipe.hashing import MaskingKey
from maskpipe.rules.model import load_rules
from maskpipe.validate import validate


def test_validate_missing_table_and_row_are_named(
    rules_dir: Path, copy: Path, package_key: MaskingKey
) -> None:
    (copy / "notes.parquet").unlink()
    rewrite(copy, "payments", lambda df: df.filter(pl.col("payment_id") != 3))

    findings = validate(load_rules(rules_dir), str(SNAPSHOT_DIR), str(copy), package_key).findings

    structure = [(f.table, f.row_key, f.message) for f in findings if f.check == "structure"]
    assert structure == [
        ("public.notes", None, "table missing from the copy."),
        ("public.payments", None, "2,999 rows in the copy, 3,000 in the source."),
        (
            "public.payments",
            "payment_id=3",
            "source row has no counterpart in the copy (paired by primary key).",
        ),
    ]


def test_validate_missing_primary_key_is_named_and_exits_1(
    cli, rules_dir: Path, copy: Path, tmp_path: Path
) -> None:
    rewrite(copy, "contacts", lambda df: df)  # rewritten below without its key metadata
    import pyarrow.parquet as pq

    path = copy / "contacts.parquet"
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[b"maskpipe.table"])
    meta["primary_key"] = []
    pq.write_table(table.replace_schema_metadata({b"maskpipe.table": json.dumps(meta).encode()}), path)

    result = cli("validate", str(rules_dir), "--source", "demo://", "--dest", str(copy))

    assert result.code == 1
    assert "structure: public.contacts: primary key (contact_id) missing from the copy." in result.out
