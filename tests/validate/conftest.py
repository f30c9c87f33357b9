"""Fixtures for validation tests: small rules over the demo snapshot, one honest masked copy per test
package (Parquet, made by the real pipeline), a fresh copy of it per test to plant a defect in, and the
CLI run in-process."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from pydantic import BaseModel
from tests.conftest import TEST_KEY_HEX

from maskpipe import maskers
from maskpipe.cli.main import main
from maskpipe.demo import SNAPSHOT_DIR
from maskpipe.hashing import MaskingKey, hmac_hex, key_from_text, pick
from maskpipe.maskers.base import MaskContext, Masker, keep_nulls, single
from maskpipe.pipeline import run
from maskpipe.steps import Steps

# Valid IBANs (published examples); the test masker below draws from them.
VALID_IBANS = (
    "DE89370400440532013000",
    "GB82WEST12345698765432",
    "NL91ABNA0417164300",
    "FR1420041010050500013M02606",
    "BE68539007547034",
    "ES9121000418450200051332",
    "IT60X0542811101000000123456",
    "CH9300762011623852957",
    "AT611904300234573201",
)


class IbanPick(Masker):
    """Test-only: a keyed pick among a few valid IBANs, so the copy's IBANs pass their validator.

    Example: "NL04ABNA5598139760" -> "DE89370400440532013000".
    """

    name = "test_iban_pick"
    summary = "test-only keyed pick among valid IBANs"
    accepts = frozenset({"string"})
    example = ({}, "NL04ABNA5598139760", "one of a few valid IBANs")

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        chosen = pl.lit(pl.Series(VALID_IBANS)).gather(pick(hmac_hex(value, ctx.subkey), 0, len(VALID_IBANS)))
        return single(keep_nulls(value, chosen))


RULES = {
    "public.people.yaml": """
table: public.people
columns:
  first_name: first_name
  last_name: last_name
  email: {masker: hash, params: {format: token}}
  phone: {masker: hash, params: {format: token}}
  ssn: {masker: hash, params: {format: token}}
  street_address: redact
  postal_code: redact
  ip_address: hash
  customer_uuid: {masker: hash, params: {format: token}}
  loyalty_code: {masker: hash, params: {format: token}}
  full_name: redact
""",
    "public.contacts.yaml": """
table: public.contacts
columns:
  email: {masker: hash, params: {format: token}}
  phone: {masker: hash, params: {format: token}}
virtual_foreign_keys:
  - {columns: [email], references: public.people, ref_columns: [email]}
""",
    "public.notes.yaml": """
table: public.notes
columns:
  body: redact
  payload: {masker: 'null'}
""",
    "public.payments.yaml": """
table: public.payments
columns:
  iban: test_iban_pick
  card_number: {masker: 'null'}
""",
}


@pytest.fixture(scope="package", autouse=True)
def _iban_pick() -> Iterator[None]:
    """Registered only while these tests run (the registry's own tests must not see it)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(maskers.REGISTRY, IbanPick.name, IbanPick())
        yield


@pytest.fixture(scope="package")
def package_key() -> MaskingKey:
    return key_from_text(TEST_KEY_HEX, "test")


@pytest.fixture(scope="package")
def rules_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rules")
    for name, text in RULES.items():
        (folder / name).write_text(text.lstrip(), encoding="utf-8")
    return folder


@pytest.fixture(scope="package")
def honest_copy(tmp_path_factory: pytest.TempPathFactory, rules_dir: Path, package_key: MaskingKey) -> Path:
    dest = tmp_path_factory.mktemp("honest") / "copy"
    run(rules_dir, str(SNAPSHOT_DIR), str(dest), package_key)
    return dest


@pytest.fixture
def copy(honest_copy: Path, tmp_path: Path) -> Path:
    """A copy of the honest copy, for one test to damage."""
    return Path(shutil.copytree(honest_copy, tmp_path / "copy"))


def rewrite(folder: Path, table: str, change: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    """Change one table of a Parquet copy in place, keeping its schema and key metadata."""
    path = folder / f"{table}.parquet"
    before = pq.read_table(path)
    frame = pl.from_arrow(before)
    assert isinstance(frame, pl.DataFrame)
    after = change(frame).to_arrow().cast(before.schema).replace_schema_metadata(before.schema.metadata)
    pq.write_table(after, path)


def source_value(table: str, column: str, pk: str, pk_value: object) -> str:
    frame = pl.read_parquet(SNAPSHOT_DIR / f"{table}.parquet")
    return str(frame.filter(pl.col(pk) == pk_value).get_column(column).item())


def set_value(
    column: str, pk: str, pk_value: object, value: object
) -> Callable[[pl.DataFrame], pl.DataFrame]:
    return lambda df: df.with_columns(
        pl.when(pl.col(pk) == pk_value).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
    )


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """`maskpipe ARGS` in this process, with the test key in MASKPIPE_KEY; returns exit code and output."""
    monkeypatch.setenv("MASKPIPE_KEY", TEST_KEY_HEX)

    def invoke(*args: str) -> CliResult:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["maskpipe", *args])
        with pytest.raises(SystemExit) as exit_info:
            main()
        captured = capsys.readouterr()
        code = exit_info.value.code
        return CliResult(code if isinstance(code, int) else 1, captured.out, captured.err)

    return invoke
