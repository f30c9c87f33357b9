"""The DuckDB path: an honest DuckDB copy passes; a value written back into it is caught."""

from __future__ import annotations

from pathlib import Path

import duckdb
from tests.validate.conftest import source_value

from maskpipe.demo import SNAPSHOT_DIR
from maskpipe.hashing import MaskingKey
from maskpipe.pipeline import run
from maskpipe.rules.model import load_rules
from maskpipe.validate import validate


def test_validate_duckdb_copy_passes_then_catches_a_kept_value(
    rules_dir: Path, tmp_path: Path, package_key: MaskingKey
) -> None:
    dest = tmp_path / "copy.duckdb"
    run(rules_dir, str(SNAPSHOT_DIR), f"duckdb://{dest}", package_key)
    rules = load_rules(rules_dir)
    assert validate(rules, str(SNAPSHOT_DIR), f"duckdb://{dest}", package_key).findings == []

    email = source_value("contacts", "email", "contact_id", 5)
    with duckdb.connect(str(dest)) as con:
        con.execute("UPDATE public.contacts SET email = ? WHERE contact_id = 5", [email])
    findings = validate(rules, str(SNAPSHOT_DIR), f"duckdb://{dest}", package_key).findings

    leaks = [(f.check, f.table, f.column, f.row_key) for f in findings if f.check == "leaks"]
    assert ("leaks", "public.contacts", "email", "contact_id=5") in leaks
    assert email not in " ".join(f.render() for f in findings)
