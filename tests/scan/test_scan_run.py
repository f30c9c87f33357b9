"""End to end: PII in unexpected places is found by scan, and a run with the drafts leaves none of it.

Names in notes, emails in JSON, SSNs in log payloads, phones in five national formats, columns whose
names say nothing. The people's names are deliberately absent from the name dictionaries, so only the
row's own columns, cues (Mr, Spoke with) and possessives can reveal them, as in real notes.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from maskpipe import dictionaries
from maskpipe.cli.main import cli
from maskpipe.extract.parquet import METADATA_KEY, table_metadata
from maskpipe.hashing import MaskingKey
from maskpipe.model import ColumnInfo, ForeignKey, TableInfo
from maskpipe.pipeline import run
from maskpipe.scan import scan_uri
from maskpipe.scan.drafts import write_drafts
from tests.conftest import TEST_KEY_HEX

FIRST = ["Gideon", "Zebulon", "Ottilie", "Thaddeus", "Peregrine", "Wilhelmina", "Crispin", "Drusilla"]
LAST = ["Kingswell", "Featherstone", "Quartermaine", "Pennywhistle", "Ravensworth", "Thistlewood"]
PHONES = [
    "+1 (555) 471-{:04d}",
    "+31 6 1772{:04d}",
    "+49 30 655{:04d}",
    "+33 6 94 49 {:02d} {:02d}",
    "+44 7700 90{:04d}",
]


def _phone(i: int) -> str:
    template = PHONES[i % len(PHONES)]
    return template.format(i % 100, i % 97) if "{:02d} {:02d}" in template else template.format(i)


def _rows(n: int = 80) -> dict[str, list[dict[str, object]]]:
    r = random.Random(3)
    people, notes, logs, mystery = [], [], [], []
    for i in range(n):
        first, last = FIRST[i % len(FIRST)], LAST[i % len(LAST)]
        email = f"{first.lower()}.{last.lower()}{i}@corp.example.com"
        ssn = f"{100 + i:03d}-{10 + i % 80:02d}-{1000 + i:04d}"
        phone = _phone(i)
        people.append(
            {
                "id": i,
                "first_name": first,
                "last_name": last,
                "email": email,
                "phone": phone,
                "ssn": ssn,
                "remarks": f"{first} prefers to be reached by email, not by phone."
                if i % 2
                else "No remarks at all today.",
            }
        )
        notes.append(
            {
                "id": i,
                "person_id": i,
                "body": [
                    f"Spoke with {first} ({email}, {phone}) about the invoice.",
                    f"Escalated to Mr {last} in billing.",
                    f"{last}'s account reviewed, no action needed.",
                    f"Customer {first} {last} asked to call back on {phone}.",
                ][i % 4],
            }
        )
        logs.append(
            {
                "id": i,
                "payload": json.dumps(
                    {
                        "level": "info",
                        "msg": f"user {ssn} logged in from 81.{i % 200 + 20}.{i % 250 + 1}.{i % 97 + 2}",
                        "contact": {"email": email},
                        "attempts": r.randint(1, 3),
                    }
                ),
            }
        )
        mystery.append(
            {"id": i, "c1": email, "c2": phone, "c3": f"forwarded to {email} by the helpdesk team"}
        )
    return {"people": people, "notes": notes, "logs": logs, "mystery": mystery}


@pytest.fixture(scope="module")
def parquet_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    for name in FIRST + LAST:
        assert not any(
            name in dictionaries.load(k, loc)
            for k in ("first_names", "last_names")
            for loc in ("en", "nl", "de", "fr")
        )
    folder = tmp_path_factory.mktemp("unexpected") / "snapshot"
    folder.mkdir()
    for name, rows in _rows().items():
        table = pa.Table.from_pylist(rows)
        fks = (
            (ForeignKey(("person_id",), "public.people", ("id",), name="fk_notes_person"),)
            if name == "notes"
            else ()
        )
        info = TableInfo(
            "public", name, tuple(ColumnInfo(f.name, f.type) for f in table.schema), ("id",), (), fks
        )
        pq.write_table(
            table.replace_schema_metadata({METADATA_KEY: table_metadata(info)}), folder / f"{name}.parquet"
        )
    return folder


def _identifiers() -> dict[str, set[str]]:
    rows = _rows()
    people = rows["people"]
    ids = {k: {str(p[k]) for p in people} for k in ("email", "phone", "ssn", "first_name", "last_name")}
    ids["ip"] = {json.loads(str(x["payload"]))["msg"].rsplit(" ", 1)[1] for x in rows["logs"]}
    return ids


def _assert_no_identifiers(dest: Path) -> None:
    ids = _identifiers()
    for path in dest.glob("*.parquet"):
        frame = pl.read_parquet(path)
        for column in frame.columns:
            if frame.schema[column] != pl.String:
                continue
            values = frame.get_column(column).drop_nulls()
            for kind, secrets in ids.items():
                pattern = sorted(secrets)
                hits = values.filter(values.str.contains_any(pattern, ascii_case_insensitive=kind == "email"))
                assert hits.len() == 0, f"{path.stem}.{column} still holds {kind}: {hits.head(2).to_list()}"


def test_scan_flags_pii_in_unexpected_places(parquet_source: Path) -> None:
    result = scan_uri(str(parquet_source), presidio=False)
    found = {(ts.table.name, f.column): f for ts in result.tables for f in ts.findings}
    assert found[("notes", "body")].masker == "free_text"
    assert found[("logs", "payload")].masker == "json"
    assert found[("people", "remarks")].params.get("row_columns") == [
        "first_name",
        "last_name",
        "email",
        "phone",
    ]
    assert {c for (t, c) in found if t == "mystery"} == {"c1", "c2", "c3"}
    assert ("notes", "person_id") not in found and ("people", "id") not in found


def test_run_with_scan_drafts_leaves_no_identifier_parquet(
    parquet_source: Path, key: MaskingKey, tmp_path: Path
) -> None:
    rules = tmp_path / "rules"
    write_drafts(scan_uri(str(parquet_source), presidio=False), rules)
    report = run(rules, str(parquet_source), str(tmp_path / "out"), key)
    assert report.status == "ok"
    _assert_no_identifiers(tmp_path / "out")
    # The email inside the JSON maps exactly as the email column does.
    people = pl.read_parquet(tmp_path / "out" / "people.parquet")
    logs = pl.read_parquet(tmp_path / "out" / "logs.parquet")
    masked_email = people.filter(pl.col("id") == 5).get_column("email").item()
    assert (
        json.loads(logs.filter(pl.col("id") == 5).get_column("payload").item())["contact"]["email"]
        == masked_email
    )


def test_run_with_scan_drafts_leaves_no_identifier_duckdb(
    parquet_source: Path, key: MaskingKey, tmp_path: Path
) -> None:
    db = tmp_path / "source.duckdb"
    with duckdb.connect(str(db)) as con:
        for path in sorted(parquet_source.glob("*.parquet")):
            con.execute(f"CREATE TABLE {path.stem} AS SELECT * FROM read_parquet('{path}')")
    rules = tmp_path / "rules"
    write_drafts(scan_uri(str(db), presidio=False), rules)
    assert run(rules, str(db), str(tmp_path / "out"), key).status == "ok"
    _assert_no_identifiers(tmp_path / "out")


def test_cli_scan_then_run(parquet_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASKPIPE_KEY", TEST_KEY_HEX)
    rules, out = tmp_path / "rules", tmp_path / "out"
    runner = CliRunner()
    scanned = runner.invoke(
        cli,
        [
            "scan",
            "--source",
            str(parquet_source),
            "--out",
            str(rules),
            "--no-presidio",
            "--json",
            str(tmp_path / "scan.json"),
        ],
    )
    assert scanned.exit_code == 0, scanned.output
    assert "wrote" in scanned.output and "columns flagged" in scanned.output
    report = json.loads((tmp_path / "scan.json").read_text())
    assert {t["table"] for t in report["tables"]} == {
        "public.people",
        "public.notes",
        "public.logs",
        "public.mystery",
    }
    again = runner.invoke(
        cli, ["scan", "--source", str(parquet_source), "--out", str(rules), "--no-presidio", "--strict"]
    )
    assert again.exit_code == 0 and "4 draft(s) unchanged" in again.output
    ran = runner.invoke(cli, ["run", str(rules), "--source", str(parquet_source), "--dest", str(out)])
    assert ran.exit_code == 0, ran.output
    _assert_no_identifiers(out)


def _sql_literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


@pytest.mark.postgres
def test_run_with_scan_drafts_leaves_no_identifier_postgres(
    pg_dbs: Any, key: MaskingKey, tmp_path: Path
) -> None:
    ddl = {
        "people": "id int PRIMARY KEY, first_name text, last_name text, email text UNIQUE, phone text, "
        "ssn text, remarks text",
        "notes": "id int PRIMARY KEY, person_id int REFERENCES people(id), body text",
        "logs": "id int PRIMARY KEY, payload jsonb",
        "mystery": "id int PRIMARY KEY, c1 text, c2 text, c3 text",
    }
    statements = []
    for table, rows in _rows().items():
        statements.append(f"CREATE TABLE {table} ({ddl[table]})")
        columns = list(rows[0])
        values = ", ".join("(" + ", ".join(_sql_literal(r[c]) for c in columns) + ")" for r in rows)
        statements.append(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}")
    pg_dbs.cluster.execute(pg_dbs.source, ";\n".join(statements))
    rules = tmp_path / "rules"
    result = scan_uri(pg_dbs.source_uri, presidio=False)
    found = {(ts.table.name, f.column): f for ts in result.tables for f in ts.findings}
    assert found[("logs", "payload")].masker == "json"
    write_drafts(result, rules)
    assert run(rules, pg_dbs.source_uri, str(tmp_path / "out"), key).status == "ok"
    _assert_no_identifiers(tmp_path / "out")
