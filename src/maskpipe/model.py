"""What every stage agrees on about a snapshot: tables, columns, keys, and the errors users see."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    arrow_type: pa.DataType
    # The source's own type name (e.g. "character varying(64)", "VARCHAR"); None for Parquet.
    sql_type: str | None = None
    nullable: bool = True
    # True for PostgreSQL generated columns: the destination recomputes them, they are never copied.
    generated: bool = False


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    ref_table: str  # qualified "schema.table"
    ref_columns: tuple[str, ...]
    name: str | None = None
    # True for relationships that rules declare and the database does not.
    virtual: bool = False


@dataclass(frozen=True)
class TableInfo:
    schema: str
    name: str
    columns: tuple[ColumnInfo, ...]
    primary_key: tuple[str, ...] = ()
    unique: tuple[tuple[str, ...], ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    row_estimate: int | None = None

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    def column(self, name: str) -> ColumnInfo | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def is_unique(self, column: str) -> bool:
        """True when the column alone is the PK or a single-column UNIQUE constraint."""
        return (column,) == self.primary_key or (column,) in self.unique


@dataclass(frozen=True)
class Problem:
    """One user-facing error or warning: where, what, and how to fix it. Never carries a data value."""

    where: str  # "rules/users.yaml:14:5" or "public.users.email" or "--dest"
    message: str
    hint: str | None = None
    severity: str = "error"  # "error" | "warning"

    def render(self) -> str:
        text = f"{self.where}: {self.severity if self.severity != 'error' else 'error'}: {self.message}"
        if self.hint:
            text += f" Hint: {self.hint}"
        return text


class MaskpipeError(Exception):
    """Bad usage, configuration or input (exit code 2). Carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem] | Problem) -> None:
        self.problems = problems if isinstance(problems, list) else [problems]
        super().__init__("\n".join(p.render() for p in self.problems))


class RunFailed(Exception):
    """The run itself failed after input was accepted (exit code 1)."""
