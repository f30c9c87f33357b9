"""formats: a masked IBAN with a broken checksum is caught (validators run on a bounded sample)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from schwifty import IBAN
from tests.validate.conftest import rewrite, set_value, source_value


def _broken(iban: str) -> str:
    """The same IBAN with its two check digits changed, so the mod-97 check fails."""
    digits = (int(iban[2:4]) + 1) % 100
    return f"{iban[:2]}{digits:02d}{iban[4:]}"


def test_validate_broken_iban_checksum_is_named_and_exits_1(
    cli, rules_dir: Path, copy: Path, tmp_path: Path
) -> None:
    assert IBAN(source_value("payments", "iban", "payment_id", 11))  # the source value is a valid IBAN
    masked = (
        pl.read_parquet(copy / "payments.parquet")
        .filter(pl.col("payment_id") == 11)
        .get_column("iban")
        .item()
    )
    broken = _broken(masked)
    rewrite(copy, "payments", set_value("iban", "payment_id", 11, broken))
    report = tmp_path / "report.json"

    # A sample larger than the table, so the damaged row is surely in it.
    result = cli(
        "validate", str(rules_dir), "--source", "demo://", "--dest", str(copy), "--json", str(report),
        "--format-sample", "5000",
    )  # fmt: skip

    assert result.code == 1
    findings = [f for f in json.loads(report.read_text())["findings"] if f["check"] == "formats"]
    assert findings == [{
        "check": "formats", "table": "public.payments", "column": "iban", "row_key": "payment_id=11",
        "message": "masked value is not a valid IBAN; its source value was.",
    }]  # fmt: skip
    assert broken not in result.out + report.read_text()
