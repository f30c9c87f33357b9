"""Broken rule files, each beside the messages it must produce (one line per problem, file:line:col)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from maskpipe.model import ColumnInfo, ForeignKey, MaskpipeError, TableInfo
from maskpipe.plan import build_plan
from maskpipe.rules.model import load_rules

CASES = Path(__file__).parent / "cases"

USERS = TableInfo(
    "public",
    "users",
    (
        ColumnInfo("id", pa.int64(), nullable=False),
        ColumnInfo("email", pa.string()),
        ColumnInfo("first_name", pa.string()),
        ColumnInfo("created", pa.date32()),
        ColumnInfo("full_name", pa.string(), generated=True),
    ),
    primary_key=("id",),
    unique=(("email",),),
)
ORDERS = TableInfo(
    "public",
    "orders",
    (ColumnInfo("id", pa.int64()), ColumnInfo("user_email", pa.string()), ColumnInfo("total", pa.int64())),
    primary_key=("id",),
    foreign_keys=(ForeignKey(("user_email",), "public.users", ("email",), "orders_user_fk"),),
)
SCHEMA = [USERS, ORDERS]


def _problems(case: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(case)
    with pytest.raises(MaskpipeError) as info:
        build_plan(load_rules(Path()), SCHEMA)
    return [p.render() for p in info.value.problems]


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir()), ids=str)
def test_rule_errors_broken_file_reports_expected_lines(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = (CASES / case / "expected.txt").read_text(encoding="utf-8").splitlines()
    rendered = sorted(_problems(CASES / case, monkeypatch))
    assert len(rendered) == len(expected), rendered
    for want, got in zip(expected, rendered, strict=True):
        assert got.startswith(want), f"\n got: {got}\nwant: {want}..."
        assert "\n" not in got.split(" Hint: ")[0], "the problem itself must fit on one line"


def test_rule_errors_never_echo_data_values(monkeypatch: pytest.MonkeyPatch) -> None:
    # A constant's value is configuration, but nothing from the data may appear; the message names
    # only file, line, table, column and masker.
    rendered = _problems(CASES / "wrong_type", monkeypatch)
    assert all("public.users.created" in r for r in rendered)


def test_plan_valid_rules_propagate_along_fk(tmp_path: Path) -> None:
    (tmp_path / "users.yaml").write_text("table: users\ncolumns:\n  email: email\n", encoding="utf-8")
    plan = build_plan(load_rules(tmp_path), SCHEMA)
    orders = plan.table("public.orders")
    assert orders is not None
    propagated = orders.rule_for("user_email")
    users_rule = plan.table("public.users").rule_for("email")
    assert propagated is not None and users_rule is not None
    assert propagated.domain == users_rule.domain and propagated.origin.startswith(
        "propagated from public.users.email"
    )


def test_plan_referencing_column_with_other_rule_warns(tmp_path: Path) -> None:
    (tmp_path / "users.yaml").write_text("table: users\ncolumns:\n  email: email\n", encoding="utf-8")
    (tmp_path / "orders.yaml").write_text(
        "table: orders\ncolumns:\n  user_email: {masker: hash}\n", encoding="utf-8"
    )
    plan = build_plan(load_rules(tmp_path), SCHEMA)
    assert any(
        "public.orders.user_email" in w.where and "join will break" in w.message for w in plan.warnings
    )


def test_plan_skip_table_is_not_copied(tmp_path: Path) -> None:
    (tmp_path / "orders.yaml").write_text("table: orders\nskip: true\n", encoding="utf-8")
    plan = build_plan(load_rules(tmp_path), SCHEMA)
    assert plan.skipped == ("public.orders",) and plan.table("public.orders") is None


def test_plan_non_unique_masker_on_unique_column_warns(tmp_path: Path) -> None:
    (tmp_path / "users.yaml").write_text(
        "table: users\ncolumns:\n  email: {masker: redact}\n", encoding="utf-8"
    )
    plan = build_plan(load_rules(tmp_path), SCHEMA)
    assert any(
        w.where == "public.users.email" and "cannot keep this UNIQUE" in w.message for w in plan.warnings
    )
