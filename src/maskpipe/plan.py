"""The MaskPlan: every rule checked against the source schema, bound to a masker, and propagated along
foreign keys. It is the only input to the transform besides the key, and it holds no secret.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import polars as pl
import pyarrow as pa
from pydantic import BaseModel, ValidationError

from maskpipe import maskers
from maskpipe.maskers.base import Masker, domain_label
from maskpipe.model import ForeignKey, MaskpipeError, Problem, TableInfo
from maskpipe.rules.model import LocatedRules, RuleSet


@dataclass(frozen=True)
class ColumnPlan:
    column: str
    masker: str
    params: BaseModel
    domain: str  # the mapping domain's label; the subkey is derived from it
    origin: str  # "rules/x.yaml:4:3", or "propagated from public.users.email (FK fk_name)"
    domain_name: str | None = None

    @property
    def impl(self) -> Masker:
        masker = maskers.get(self.masker)
        assert masker is not None
        return masker


@dataclass(frozen=True)
class TablePlan:
    table: TableInfo
    columns: tuple[ColumnPlan, ...]

    def rule_for(self, column: str) -> ColumnPlan | None:
        return next((c for c in self.columns if c.column == column), None)


@dataclass(frozen=True)
class MaskPlan:
    tables: tuple[TablePlan, ...]
    skipped: tuple[str, ...] = ()
    warnings: tuple[Problem, ...] = ()
    virtual_foreign_keys: dict[str, tuple[ForeignKey, ...]] = field(default_factory=dict)

    def table(self, qualified: str) -> TablePlan | None:
        return next((t for t in self.tables if t.table.qualified == qualified), None)


def polars_dtype(arrow_type: pa.DataType) -> pl.DataType | None:
    """The Polars dtype a column arrives as, or None where Polars cannot represent it."""
    try:
        return pl.from_arrow(pa.table({"x": pa.array([], type=arrow_type)})).dtypes[0]
    except (pl.exceptions.PolarsError, pa.ArrowException, TypeError, ValueError):
        return None


def _did_you_mean(name: str, choices: list[str]) -> str | None:
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def resolve_table(name: str, tables: dict[str, TableInfo]) -> tuple[TableInfo | None, str | None]:
    """A rule's table name ('people' or 'public.people') -> the table, or None and a hint."""
    if name in tables:
        return tables[name], None
    if "." not in name:
        matches = [t for t in tables.values() if t.name == name]
        if len(matches) == 1:
            return matches[0], None
        if len(matches) > 1:
            return None, f"'{name}' exists in several schemas; write it as schema.table."
    hint = _did_you_mean(name, list(tables) + [t.name for t in tables.values()])
    return None, hint or f"known tables: {', '.join(sorted(tables)[:10])}."


def build_plan(ruleset: RuleSet, tables: list[TableInfo]) -> MaskPlan:
    """Check every rule against the schema and bind it; raise MaskpipeError listing every problem."""
    by_name = {t.qualified: t for t in tables}
    problems: list[Problem] = []
    warnings: list[Problem] = []
    claimed: dict[str, str] = {}
    columns: dict[str, dict[str, ColumnPlan]] = {t.qualified: {} for t in tables}
    skipped: list[str] = []
    virtual: dict[str, list[ForeignKey]] = {}

    for located in ruleset.tables:
        rules = located.rules
        table, hint = resolve_table(rules.table, by_name)
        if table is None:
            problems.append(
                Problem(located.where("table"), f"unknown table '{rules.table}' in the source.", hint)
            )
            continue
        if table.qualified in claimed:
            problems.append(
                Problem(
                    located.where("table"),
                    f"duplicate rules for table {table.qualified}.",
                    f"its rules are already in {claimed[table.qualified]}; keep one file per table.",
                )
            )
            continue
        claimed[table.qualified] = located.where("table")
        if rules.skip:
            skipped.append(table.qualified)
            continue
        for column_name, rule in rules.columns.items():
            where = located.where("columns", column_name, "__key__")
            plan, found = _bind_column(
                table, column_name, rule.masker, rule.params, rule.domain, where, located
            )
            problems += found
            if plan is not None:
                columns[table.qualified][column_name] = plan
        for i, vfk in enumerate(rules.virtual_foreign_keys):
            where = located.where("virtual_foreign_keys", i)
            ref, hint = resolve_table(vfk.references, by_name)
            if ref is None:
                problems.append(
                    Problem(where, f"virtual foreign key references unknown table '{vfk.references}'.", hint)
                )
                continue
            missing = [c for c in vfk.columns if table.column(c) is None] + [
                c for c in vfk.ref_columns if ref.column(c) is None
            ]
            if missing or len(vfk.columns) != len(vfk.ref_columns):
                problems.append(
                    Problem(
                        where,
                        "virtual foreign key names unknown columns or pairs them unevenly.",
                        "list as many columns as ref_columns, all existing.",
                    )
                )
                continue
            virtual.setdefault(table.qualified, []).append(
                ForeignKey(
                    tuple(vfk.columns),
                    ref.qualified,
                    tuple(vfk.ref_columns),
                    name=f"virtual:{located.doc.file}#{i}",
                    virtual=True,
                )
            )

    if problems:
        raise MaskpipeError(problems)

    _propagate(tables, columns, virtual, warnings)

    kept = tuple(
        TablePlan(t, tuple(columns[t.qualified][c.name] for c in t.columns if c.name in columns[t.qualified]))
        for t in tables
        if t.qualified not in skipped
    )
    for table_plan in kept:
        for col in table_plan.columns:
            if table_plan.table.is_unique(col.column) and col.impl.uniqueness == "no":
                warnings.append(
                    Problem(
                        f"{table_plan.table.qualified}.{col.column}",
                        f"masker '{col.masker}' cannot keep this UNIQUE column unique.",
                        "use a bijective or collision-resistant masker (hash, email, phone, ...).",
                        severity="warning",
                    )
                )
    return MaskPlan(
        kept, tuple(skipped), tuple(dict.fromkeys(warnings)), {k: tuple(v) for k, v in virtual.items()}
    )


def _bind_column(
    table: TableInfo,
    column_name: str,
    masker_name: str,
    raw_params: dict[str, object] | BaseModel,
    domain: str | None,
    where: str,
    located: LocatedRules | None,
) -> tuple[ColumnPlan | None, list[Problem]]:
    column = table.column(column_name)
    if column is None:
        hint = _did_you_mean(column_name, list(table.column_names))
        return None, [
            Problem(
                where,
                f"unknown column '{column_name}' in {table.qualified}.",
                hint or f"columns: {', '.join(table.column_names)}.",
            )
        ]
    masker = maskers.get(masker_name)
    if masker is None:
        hint = _did_you_mean(masker_name, list(maskers.REGISTRY))
        return None, [
            Problem(
                where,
                f"unknown masker '{masker_name}' for {table.qualified}.{column_name}.",
                hint or "run `maskpipe maskers` for the catalogue.",
            )
        ]
    if isinstance(raw_params, BaseModel):
        params = raw_params
    else:
        try:
            params = masker.Params.model_validate(raw_params)
        except ValidationError as exc:
            out = []
            for err in exc.errors():
                key = ".".join(str(p) for p in err["loc"])
                unknown = err["type"] == "extra_forbidden"
                path = ("columns", column_name, "params", *err["loc"], *(("__key__",) if unknown else ()))
                pwhere = located.where(*path) if located and err["loc"] else where
                msg = f"unknown parameter '{key}'" if unknown else f"parameter '{key}': {err['msg']}"
                allowed = ", ".join(masker.Params.model_fields) or "none"
                out.append(
                    Problem(
                        pwhere,
                        f"{msg} for masker '{masker_name}'.",
                        f"parameters of '{masker_name}': {allowed} (see `maskpipe maskers {masker_name}`).",
                    )
                )
            return None, out
    missing = [c for c in masker.needs_columns(params) if table.column(c) is None]
    if missing:
        names = ", ".join(repr(m) for m in missing)
        return None, [
            Problem(
                where,
                f"masker '{masker_name}' reads unknown column(s) {names} of {table.qualified}.",
                _did_you_mean(missing[0], list(table.column_names))
                or f"columns: {', '.join(table.column_names)}.",
            )
        ]
    if column.generated:
        return None, [
            Problem(
                where,
                f"{table.qualified}.{column_name} is a generated column; the destination recomputes it.",
                "remove this rule and mask the columns it is computed from.",
            )
        ]
    dtype = polars_dtype(column.arrow_type)
    reason = (
        f"type {column.sql_type or column.arrow_type} is not supported by the masking engine"
        if dtype is None
        else masker.check_dtype(dtype, params)
    )
    if reason:
        return None, [
            Problem(
                where,
                f"{reason} ({table.qualified}.{column_name}).",
                f"`maskpipe maskers {masker_name}` lists the accepted types.",
            )
        ]
    reason = _typed_text_column_problem(column.sql_type, masker_name, dtype)
    if reason:
        return None, [
            Problem(
                where,
                f"{reason} ({table.qualified}.{column_name}).",
                "use keep, null, or the masker made for that type.",
            )
        ]
    if masker_name == "null" and not column.nullable:
        return None, [
            Problem(
                where,
                f"{table.qualified}.{column_name} is NOT NULL; masker 'null' would break it.",
                "use redact, constant or hash instead.",
            )
        ]
    return ColumnPlan(
        column_name, masker_name, params, domain_label(masker, params, domain), where, domain
    ), []


# Source types that arrive as text but only accept their own syntax back. A text masker writing into
# them would fail at load time, after data moved; refuse it at rule time instead.
_TYPED_TEXT = {
    "inet": {"ip"},
    "cidr": {"ip"},
    "uuid": {"uuid"},
    "json": {"json"},
    "jsonb": {"json"},
    "macaddr": set(),
    "macaddr8": set(),
    "interval": set(),
    "xml": set(),
    "tsvector": set(),
}
_ANY_TYPE = {"keep", "null"}
_TEXT_TYPES = (
    "text",
    "character varying",
    "character",
    "varchar",
    "char",
    "bpchar",
    "citext",
    "name",
    "string",
)


def _typed_text_column_problem(
    sql_type: str | None, masker_name: str, dtype: pl.DataType | None
) -> str | None:
    if sql_type is None or dtype != pl.String or masker_name in _ANY_TYPE:
        return None
    base = sql_type.lower().split("(")[0].strip()
    if base.startswith(_TEXT_TYPES) or base.endswith("[]"):
        return (
            None
            if not base.endswith("[]")
            else f"masker '{masker_name}' cannot mask array column of type {sql_type}"
        )
    allowed = _TYPED_TEXT.get(base)
    if allowed is None or masker_name in allowed:
        return None
    return f"masker '{masker_name}' writes text that a {sql_type} column does not accept"


def _propagate(
    tables: list[TableInfo],
    columns: dict[str, dict[str, ColumnPlan]],
    virtual: dict[str, list[ForeignKey]],
    warnings: list[Problem],
) -> None:
    """Give every column that references a masked key the same mapping, until nothing changes.

    Both sides of a declared or virtual FK must map a value identically or the join breaks, so the
    referencing column inherits masker, params and domain. A referencing column with its own,
    different rule is a warning: its joins will break.
    """
    by_name = {t.qualified: t for t in tables}
    edges = [(t, fk) for t in tables for fk in (*t.foreign_keys, *virtual.get(t.qualified, ()))]
    changed = True
    while changed:
        changed = False
        for table, fk in edges:
            target = columns.get(fk.ref_table, {})
            for col, ref_col in zip(fk.columns, fk.ref_columns, strict=True):
                ref_rule = target.get(ref_col)
                own = columns[table.qualified].get(col)
                where = f"{table.qualified}.{col}"
                if ref_rule is None:
                    if own is not None and own.masker != "keep" and fk.ref_table in by_name:
                        warnings.append(
                            Problem(
                                where,
                                f"masked, but the column it references ({fk.ref_table}.{ref_col}) is not; the join will break.",
                                f"mask {fk.ref_table}.{ref_col} with the same rule.",
                                "warning",
                            )
                        )
                    continue
                if own is None:
                    columns[table.qualified][col] = ColumnPlan(
                        col,
                        ref_rule.masker,
                        ref_rule.params,
                        ref_rule.domain,
                        f"propagated from {fk.ref_table}.{ref_col} ({'virtual FK' if fk.virtual else 'FK ' + (fk.name or '')})".rstrip(),
                        ref_rule.domain_name,
                    )
                    changed = True
                elif own.domain != ref_rule.domain and not own.origin.startswith("propagated"):
                    warnings.append(
                        Problem(
                            where,
                            f"its rule maps differently from {fk.ref_table}.{ref_col}, which it references; the join will break.",
                            "drop the rule here (it is propagated) or give both the same masker, params and domain.",
                            "warning",
                        )
                    )
