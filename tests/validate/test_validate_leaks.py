"""leaks: a kept source value and a source email inside a note are caught, named by key, never printed;
tables whose PK is masked are named by row number, tables without a key are compared as sets."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
from tests.validate.conftest import rewrite, set_value, source_value

from maskpipe.demo import SNAPSHOT_DIR
from maskpipe.extract.parquet import METADATA_KEY, table_metadata
from maskpipe.hashing import MaskingKey
from maskpipe.model import ColumnInfo, TableInfo
from maskpipe.pipeline import run
from maskpipe.rules.model import load_rules
from maskpipe.validate import validate


def _findings(report: Path) -> list[dict[str, str]]:
    return json.loads(report.read_text())["findings"]


def test_validate_kept_source_value_is_named_and_exits_1(
    cli, rules_dir: Path, copy: Path, tmp_path: Path
) -> None:
    email = source_value("contacts", "email", "contact_id", 5)
    rewrite(copy, "contacts", set_value("email", "contact_id", 5, email))
    report = tmp_path / "report.json"

    result = cli(
        "validate", str(rules_dir), "--source", "demo://", "--dest", str(copy), "--json", str(report)
    )

    assert result.code == 1
    kept = [f for f in _findings(report) if f["check"] == "leaks" and f["column"] == "email"]
    assert kept[0] == {
        "check": "leaks", "table": "public.contacts", "column": "email", "row_key": "contact_id=5",
        "message": "kept its source value.",
    }  # fmt: skip
    assert "leaks: public.contacts.email [contact_id=5]: kept its source value." in result.out
    assert email not in result.out + result.err + report.read_text()


def test_validate_source_email_inside_a_note_is_found_by_the_rescan(
    cli, rules_dir: Path, copy: Path, tmp_path: Path
) -> None:
    email = source_value("people", "email", "person_id", 42)
    rewrite(copy, "notes", set_value("body", "note_id", 7, f"Customer asked us to write to {email} instead."))
    report = tmp_path / "report.json"

    result = cli(
        "validate", str(rules_dir), "--source", "demo://", "--dest", str(copy), "--json", str(report)
    )

    assert result.code == 1
    rescan = [f for f in _findings(report) if f["check"] == "leaks"]
    assert [(f["table"], f["column"], f["row_key"]) for f in rescan] == [
        ("public.notes", "body", "note_id=7")
    ]
    assert "public.people.email" in rescan[0]["message"]
    assert email not in result.out + result.err + report.read_text()


# -- a masked primary key and a table without a key -----------------------------------------------------
def _write(folder: Path, name: str, frame: pl.DataFrame, pk: tuple[str, ...]) -> None:
    table = frame.to_arrow()
    info = TableInfo("public", name, tuple(ColumnInfo(f.name, f.type) for f in table.schema), primary_key=pk)
    pq.write_table(
        table.replace_schema_metadata({METADATA_KEY: table_metadata(info)}), folder / f"{name}.parquet"
    )


def test_validate_masked_pk_names_row_numbers_and_keyless_table_compares_sets(
    tmp_path: Path, package_key: MaskingKey
) -> None:
    source, rules, copy = tmp_path / "src", tmp_path / "rules", tmp_path / "copy"
    source.mkdir()
    rules.mkdir()
    refs = [f"ACC-{i:04d}" for i in range(20)]
    emails = [f"owner{i}.someone@corp.example" for i in range(20)]
    _write(source, "accounts", pl.DataFrame({"account_ref": refs, "owner_email": emails}), ("account_ref",))
    _write(
        source, "events", pl.DataFrame({"n": list(range(30)), "who": [emails[i % 7] for i in range(30)]}), ()
    )
    token = "{masker: hash, params: {format: token}}"
    (rules / "accounts.yaml").write_text(
        f"table: accounts\ncolumns:\n  account_ref: {token}\n  owner_email: {token}\n"
    )
    (rules / "events.yaml").write_text(f"table: events\ncolumns:\n  who: {token}\n")
    run(rules, str(source), str(copy), package_key)
    ruleset = load_rules(rules)
    assert validate(ruleset, str(source), str(copy), package_key).findings == []

    masked_ref = pl.read_parquet(copy / "accounts.parquet").get_column("account_ref")[2]
    third_row = pl.int_range(pl.len()) == 2
    rewrite(copy, "accounts", lambda df: df.with_columns(
        pl.when(third_row).then(pl.lit(emails[2])).otherwise("owner_email").alias("owner_email")
    ))  # fmt: skip
    rewrite(copy, "events", set_value("who", "n", 5, emails[0]))
    findings = validate(ruleset, str(source), str(copy), package_key).findings

    kept = {(f.table, f.column, f.row_key) for f in findings if f.check == "leaks" and f.row_key}
    assert (
        "public.accounts",
        "owner_email",
        "row 3",
    ) in kept  # the PK is masked: a row number, not its value
    assert ("public.events", "who", "row 6") in kept  # no key: "a value this column has in the source"
    shown = " ".join(f.render() for f in findings)
    assert "ACC-" not in shown and masked_ref not in shown and emails[2] not in shown


def test_validate_table_the_rules_skip_but_the_copy_holds_is_a_leak(
    rules_dir: Path, honest_copy: Path, tmp_path: Path, package_key: MaskingKey
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    for path in rules_dir.iterdir():
        (rules / path.name).write_text(path.read_text())
    (rules / "public.notes.yaml").write_text("table: public.notes\nskip: true\n")

    findings = validate(load_rules(rules), str(SNAPSHOT_DIR), str(honest_copy), package_key).findings

    assert [(f.check, f.table, f.message) for f in findings] == [
        ("leaks", "public.notes", "the rules skip this table, but the copy holds 2,000 rows of it."),
    ]


def test_validate_rescan_skips_a_column_whose_masked_values_are_other_source_values(
    tmp_path: Path, package_key: MaskingKey
) -> None:
    # The ip masker permutes a documentation range: most outputs are some other row's source address, and
    # free_text writes those outputs into the log text, where they would look like leaked source values.
    source, rules, copy = tmp_path / "src", tmp_path / "rules", tmp_path / "copy"
    source.mkdir()
    rules.mkdir()
    ips = [f"192.0.2.{i}" for i in range(1, 121)]
    peers = [f"peer 192.0.2.{i} joined" for i in range(130, 250)]
    frame = pl.DataFrame({"id": list(range(len(ips))), "ip": ips, "log": peers})
    _write(source, "hosts", frame, ("id",))
    (rules / "hosts.yaml").write_text(
        "table: hosts\ncolumns:\n  ip: ip\n  log: {masker: free_text, params: {detect: [ip]}}\n"
    )
    run(rules, str(source), str(copy), package_key)

    result = validate(load_rules(rules), str(source), str(copy), package_key)

    assert result.findings == []
    assert any(note.startswith("leaks: values of public.hosts.ip are not searched") for note in result.notes)
