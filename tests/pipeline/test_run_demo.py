"""End to end on the embedded demo snapshot, through the real CLI: Parquet and DuckDB, no mocks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from maskpipe.demo import SNAPSHOT_DIR
from tests.conftest import OTHER_KEY_HEX, TEST_KEY_HEX

ROOT = Path(__file__).parents[2]
RULES = ROOT / "rules"


def maskpipe(
    *args: str, key: str | None = TEST_KEY_HEX, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MASKPIPE_KEY"}
    if key is not None:
        env["MASKPIPE_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "maskpipe.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=False,
    )


def read(dir_: Path, table: str) -> pl.DataFrame:
    return pl.read_parquet(dir_ / f"{table}.parquet")


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("golden") / "image"
    result = maskpipe(
        "run", str(RULES), "--source", "demo://", "--dest", str(out), "--json", str(out.parent / "run.json")
    )
    assert result.returncode == 0, result.stderr
    return out


def test_run_demo_writes_every_table_with_manifest_and_report(golden: Path) -> None:
    for table in ("people", "contacts", "payments", "notes"):
        assert read(golden, table).height == pl.read_parquet(SNAPSHOT_DIR / f"{table}.parquet").height
    manifest = json.loads((golden / "_maskpipe_manifest.json").read_text())
    report = json.loads((golden.parent / "run.json").read_text())
    assert report["status"] == "ok" and report["rows"] == 7500
    assert report["key_fingerprint"] == manifest["key_fingerprint"]
    assert TEST_KEY_HEX not in (golden.parent / "run.json").read_text()
    people = next(t for t in report["tables"] if t["table"] == "public.people")
    assert people["masked_columns"]["email"].startswith("email")


def test_run_demo_masked_columns_carry_no_source_value(golden: Path) -> None:
    src, out = pl.read_parquet(SNAPSHOT_DIR / "people.parquet"), read(golden, "people")
    for column in (
        "first_name",
        "last_name",
        "email",
        "phone",
        "ssn",
        "street_address",
        "iban" if "iban" in src.columns else "city",
    ):
        pairs = src.select("person_id", pl.col(column).alias("a")).join(
            out.select("person_id", pl.col(column).alias("b")), on="person_id"
        )
        kept = pairs.filter((pl.col("a") == pl.col("b")) & (pl.col("a").str.len_chars() > 0))
        assert kept.height == 0, f"people.{column}: {kept.height} rows kept their source value"


def test_run_demo_same_key_identical_other_key_different(golden: Path, tmp_path: Path) -> None:
    again, other = tmp_path / "again", tmp_path / "other"
    assert maskpipe("run", str(RULES), "--source", "demo://", "--dest", str(again)).returncode == 0
    assert (
        maskpipe("run", str(RULES), "--source", "demo://", "--dest", str(other), key=OTHER_KEY_HEX).returncode
        == 0
    )
    for table in ("people", "contacts", "payments", "notes"):
        assert read(golden, table).equals(read(again, table)), f"{table}: two runs with one key differ"
    assert not read(golden, "people")["email"].equals(read(other, "people")["email"])


def test_run_demo_joins_on_masked_keys_still_hold(golden: Path) -> None:
    people, contacts = read(golden, "people"), read(golden, "contacts")
    src_people, src_contacts = (
        pl.read_parquet(SNAPSHOT_DIR / f"{t}.parquet") for t in ("people", "contacts")
    )

    # Emails are one mapping domain: a contact's email joins the person's email exactly as before.
    def joined(p: pl.DataFrame, c: pl.DataFrame) -> int:
        return (
            c.with_columns(pl.col("email").str.to_lowercase())
            .join(p.select(pl.col("email").str.to_lowercase()), on="email")
            .height
        )

    assert joined(src_people, src_contacts) > 0
    assert joined(people, contacts) == joined(src_people, src_contacts)
    assert people["email"].n_unique() == src_people["email"].n_unique()


def test_run_demo_duckdb_in_duckdb_and_parquet_out(tmp_path: Path) -> None:
    source = tmp_path / "snap.duckdb"
    con = duckdb.connect(str(source))
    con.execute("CREATE SCHEMA public")
    for table in ("people", "contacts", "payments", "notes"):
        con.execute(
            f"CREATE TABLE public.{table} AS SELECT * FROM read_parquet('{SNAPSHOT_DIR / (table + '.parquet')}')"
        )
    con.close()
    dest = tmp_path / "masked.duckdb"
    result = maskpipe("run", str(RULES), "--source", f"duckdb://{source}", "--dest", f"duckdb://{dest}")
    assert result.returncode == 0, result.stderr
    result = maskpipe("run", str(RULES), "--source", f"duckdb://{source}", "--dest", str(tmp_path / "pq"))
    assert result.returncode == 0, result.stderr
    con = duckdb.connect(str(dest), read_only=True)
    masked = pl.from_arrow(con.sql("SELECT email FROM public.people ORDER BY person_id").to_arrow_table())[
        "email"
    ]
    con.close()
    # The DuckDB run and the Parquet run agree: consistency does not depend on source or sink.
    from_parquet = pl.read_parquet(tmp_path / "pq" / "people.parquet").sort("person_id")["email"]
    assert masked.equals(from_parquet)


def test_run_without_key_refuses_with_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    result = maskpipe("run", str(RULES), "--source", "demo://", "--dest", str(tmp_path / "x"), key=None)
    assert result.returncode == 2
    assert "MASKPIPE_KEY" in result.stderr and "openssl rand" in result.stderr
    assert not (tmp_path / "x").exists()


def test_run_bad_rules_exit_2_one_line_each_and_nothing_written(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "people.yaml").write_text(
        "table: people\ncolumns:\n  emial: email\n  phone: {masker: phoen}\n", encoding="utf-8"
    )
    result = maskpipe("run", str(rules), "--source", "demo://", "--dest", str(tmp_path / "x"))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(lines) == 2 and "did you mean 'email'" in lines[0] and "people.yaml:3:3" in lines[0]
    assert not (tmp_path / "x").exists()


def test_run_refuses_destination_that_is_the_source(tmp_path: Path) -> None:
    result = maskpipe("run", str(RULES), "--source", str(SNAPSHOT_DIR), "--dest", str(SNAPSHOT_DIR))
    assert result.returncode == 2 and "never writes to its source" in result.stderr


def test_demo_pipeline_uses_published_key_loudly(tmp_path: Path) -> None:
    pipeline = tmp_path / "demo.yaml"
    pipeline.write_text(
        f"source: demo://\ndest: {tmp_path / 'out'}\nrules: {RULES}\ndemo_key: true\n", encoding="utf-8"
    )
    result = maskpipe("run", "--pipeline", str(pipeline), key=None)
    assert result.returncode == 0, result.stderr
    assert "PUBLISHED DEMO KEY" in result.stderr
    assert "public.people" in result.stdout


def test_pipeline_file_validate_after_validates_the_copy(tmp_path: Path) -> None:
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(
        f"source: demo://\ndest: {tmp_path / 'out'}\nrules: {RULES}\nvalidate_after: true\n", encoding="utf-8"
    )
    result = maskpipe("run", "--pipeline", str(pipeline))
    assert result.returncode == 0, result.stderr
    assert "maskpipe validate: ok" in result.stdout + result.stderr
