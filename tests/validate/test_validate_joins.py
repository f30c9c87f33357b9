"""joins: an orphan row (its FK points nowhere) changes the join's row count and is named."""

from __future__ import annotations

import json
from pathlib import Path

from tests.validate.conftest import rewrite, set_value


def test_validate_orphan_row_is_named_and_exits_1(cli, rules_dir: Path, copy: Path, tmp_path: Path) -> None:
    rewrite(copy, "contacts", set_value("person_id", "contact_id", 9, 999_999))
    report = tmp_path / "report.json"

    result = cli(
        "validate", str(rules_dir), "--source", "demo://", "--dest", str(copy), "--json", str(report)
    )

    assert result.code == 1
    joins = [f for f in json.loads(report.read_text())["findings"] if f["check"] == "joins"]
    assert [(f["table"], f["column"], f["row_key"]) for f in joins] == [
        ("public.contacts", "person_id", None),
        ("public.contacts", "person_id", "contact_id=9"),
    ]
    assert (
        joins[0]["message"]
        == "FK join to public.people (person_id) gives 1,499 rows in the copy, 1,500 in the source."
    )
    assert joins[1]["message"] == "references no row of public.people (person_id) (orphan row)."
