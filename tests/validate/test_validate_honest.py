"""An honest copy passes every check; bad usage exits 2; `run --validate` validates what it wrote."""

from __future__ import annotations

import json
from pathlib import Path

from maskpipe.demo import SNAPSHOT_DIR
from maskpipe.hashing import MaskingKey
from maskpipe.rules.model import load_rules
from maskpipe.validate import CHECKS, validate


def test_validate_honest_copy_no_findings(
    rules_dir: Path, honest_copy: Path, package_key: MaskingKey
) -> None:
    result = validate(load_rules(rules_dir), str(SNAPSHOT_DIR), str(honest_copy), package_key)
    assert result.findings == []
    assert result.tables["public.payments"]["copy_rows"] == 3000
    assert result.tables["public.contacts"]["paired_by"] == ["contact_id"]
    # The only per-row Python (format validators) ran on a bounded sample, and the notes say so.
    assert any(
        "sample of at most 2,000 rows" in note and "public.payments.iban (iban" in note
        for note in result.notes
    )


def test_validate_cli_honest_copy_exits_0_and_writes_json(
    cli, rules_dir: Path, honest_copy: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    result = cli(
        "validate", str(rules_dir), "--source", "demo://", "--dest", str(honest_copy), "--json", str(report)
    )
    assert result.code == 0, result.out + result.err
    assert "maskpipe validate: ok" in result.out
    body = json.loads(report.read_text())
    assert body["status"] == "ok"
    assert body["findings"] == []
    assert set(body["finding_counts"]) == set(CHECKS)
    assert body["key_fingerprint"] and "00112233" not in report.read_text()


def test_validate_cli_without_dest_exits_2(cli, rules_dir: Path) -> None:
    result = cli("validate", str(rules_dir), "--source", "demo://")
    assert result.code == 2
    assert "--dest: error: no destination given." in result.err


def test_validate_cli_missing_copy_exits_2_naming_dest(cli, rules_dir: Path, tmp_path: Path) -> None:
    result = cli("validate", str(rules_dir), "--source", "demo://", "--dest", str(tmp_path / "nowhere"))
    assert result.code == 2
    assert result.err.startswith("--dest")


def test_run_validate_passes_on_an_honest_run(cli, rules_dir: Path, tmp_path: Path) -> None:
    result = cli("run", str(rules_dir), "--source", "demo://", "--dest", str(tmp_path / "out"), "--validate")
    assert result.code == 0, result.err
    assert "maskpipe validate: ok" in result.err
    assert "maskpipe run: ok" in result.out
