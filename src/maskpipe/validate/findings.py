"""What validation reports: findings that name table, column, check and row key, never a data value."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from maskpipe.extract.base import DEFAULT_BATCH_ROWS

CHECKS = ("structure", "leaks", "formats", "joins", "provenance")


@dataclass(frozen=True)
class Finding:
    """One problem in the copy. `row_key` is "pk=value" when the PK is not masked, else "row N" (1-based,
    in the order the table was read); None for table- or column-level findings."""

    check: str
    table: str | None
    column: str | None
    row_key: str | None
    message: str

    def render(self) -> str:
        where = ".".join(p for p in (self.table, self.column) if p) or "copy"
        row = f" [{self.row_key}]" if self.row_key else ""
        return f"{self.check}: {where}{row}: {self.message}"

    def to_json(self) -> dict[str, str | None]:
        return asdict(self)


@dataclass
class ValidationResult:
    findings: list[Finding] = field(default_factory=list)
    # Limits that applied (samples, caps) and comparisons that could not be made; never data values.
    notes: list[str] = field(default_factory=list)
    # Per table: rows in source and copy, masked columns compared.
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.findings

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(CHECKS, 0)
        for f in self.findings:
            out[f.check] = out.get(f.check, 0) + 1
        return out

    def to_json(self) -> dict[str, object]:
        return {
            "status": "ok" if self.ok else "findings",
            "finding_counts": self.counts(),
            "findings": [f.to_json() for f in self.findings],
            "notes": self.notes,
            "tables": self.tables,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class ValidateOptions:
    """Bounds of a validation run. Every figure here is reported in the notes when it cut something short."""

    batch_rows: int = DEFAULT_BATCH_ROWS
    # Rows per column whose values go through the per-value Python validators (formats check).
    format_sample: int = 2_000
    # Rows listed per (check, table, column, kind of problem); the rest is summed up in one more finding.
    max_listed: int = 1_000
    # Distinct source identifiers searched in the copy's text (a uniform sample by fingerprint beyond that).
    max_identifiers: int = 100_000
    min_identifier_chars: int = 5
    # Longer values are free text, not identifiers; they also make the automaton slow to build.
    max_identifier_chars: int = 64
    # Text per Aho-Corasick pass; the automaton is rebuilt per pass, so fewer, larger passes are faster.
    scan_bytes: int = 64 << 20
    work_dir: Path | None = None
    duckdb_memory_limit: str = "512MB"


class Collector:
    """Findings in the order found; caps are applied by the checks (they know the totals)."""

    def __init__(self, options: ValidateOptions) -> None:
        self.options = options
        self.findings: list[Finding] = []
        self.notes: list[str] = []

    def add(
        self, check: str, table: str | None, column: str | None, row_key: str | None, message: str
    ) -> None:
        self.findings.append(Finding(check, table, column, row_key, message))

    def rows(
        self, check: str, table: str, column: str | None, keys: list[str], total: int, message: str
    ) -> None:
        """One finding per listed row key, and one summing up the rows past the cap."""
        for key in keys:
            self.add(check, table, column, key, message)
        if total > len(keys):
            self.add(
                check,
                table,
                column,
                None,
                f"{message} ({total - len(keys):,} more rows not listed; {total:,} in all)",
            )
