"""Drift between the rule files in a folder and the schema scan just read.

Reported as Problems (warnings): rules for tables or columns that no longer exist, and columns that
are new since the rules were written (PII-looking ones first, with their entity). Nothing is changed.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from maskpipe.model import Problem
from maskpipe.plan import resolve_table
from maskpipe.scan import ScanResult
from maskpipe.scan.drafts import is_untouched, scanned_columns


def drift(result: ScanResult, folder: Path) -> list[Problem]:
    """Compare every rule file in `folder` with the scanned schema."""
    if not folder.is_dir():
        return []
    tables = {ts.table.qualified: ts.table for ts in result.tables}
    scans = {ts.table.qualified: ts for ts in result.tables}
    problems: list[Problem] = []
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        if path.name.startswith("_"):
            continue
        text = path.read_text(encoding="utf-8")
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError:
            continue  # `maskpipe run` reports syntax errors with their line; drift has nothing to add
        if not isinstance(data, dict):
            continue
        name = str(data.get("table") or path.stem)
        table, _ = resolve_table(name, tables)
        if table is None:
            problems.append(
                Problem(
                    str(path),
                    f"rules for table '{name}', which the source no longer has.",
                    "delete the file, or point --source at the right database.",
                    "warning",
                )
            )
            continue
        if is_untouched(text):
            continue  # scan's own draft: rewritten from the new schema
        columns = data.get("columns") or {}
        ruled = [str(c) for c in columns] if isinstance(columns, dict) else []
        for column in ruled:
            if table.column(column) is None:
                problems.append(
                    Problem(
                        f"{path}",
                        f"rule for column '{column}', which {table.qualified} no longer has.",
                        "remove the rule (`maskpipe run` refuses unknown columns).",
                        "warning",
                    )
                )
        known = set(scanned_columns(text) or ruled)
        ts = scans[table.qualified]
        for column in table.column_names:
            if column in known or column in ruled:
                continue
            finding = ts.finding(column)
            if finding is not None:
                msg = (
                    f"new column '{column}' looks like {finding.entity} "
                    f"(confidence {finding.confidence:.2f}) and has no rule."
                )
                hint = f"see the draft {path.name}.draft, or add a rule for it."
            else:
                msg = f"new column '{column}' has no rule (scan found no PII in it)."
                hint = "it is copied unchanged; add a rule if it holds personal data."
            problems.append(Problem(f"{path}", msg, hint, "warning"))
    return problems
