"""Rule drafts: one YAML file per table in the format of rules/model.py, with the evidence as comments.

The first line of a draft carries a marker and the SHA-256 of everything below it. A file whose
content still matches its hash is scan's own and may be rewritten; any other file (edited by a user,
or written by hand) is left as it is, and the new draft goes to `<file>.draft` beside it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from maskpipe.scan import Finding, ScanResult, TableScan

MARKER = "# maskpipe-scan-draft v1 sha256="
COLUMNS_LINE = "# scanned columns: "


def rule_file(folder: Path, qualified: str) -> Path:
    return folder / f"{qualified}.yaml"


def _flow(value: Any) -> str:
    text = str(
        yaml.safe_dump(value, default_flow_style=True, width=10**9, allow_unicode=True, sort_keys=False)
    )
    # A plain scalar is dumped as a document ("x\n...\n"); keep the scalar.
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _key(name: str) -> str:
    return _flow(name)


def _comment(f: Finding) -> str:
    return f"  # {f.entity}, confidence {f.confidence:.2f}: {'; '.join(f.evidence)}" + (
        f" ({f.note})" if f.note else ""
    )


def render(ts: TableScan) -> str:
    """The draft's text, marker line included."""
    table = ts.table
    lines = [
        f"# Draft rules for {table.qualified} from `maskpipe scan` ({ts.sampled_rows} sampled rows).",
        "# Review them: columns without a rule are copied unchanged. Evidence is shown, sampled values",
        "# never are.",
        "# Edit freely: scan never overwrites an edited file (it writes <file>.draft beside it).",
        f"{COLUMNS_LINE}{', '.join(table.column_names)}",
        f"table: {_key(table.qualified)}",
    ]
    ruled = [f for f in ts.findings if f.masker is not None and f.via_fk is None]
    order = {name: i for i, name in enumerate(table.column_names)}
    if ruled:
        lines.append("columns:")
        for f in sorted(ruled, key=lambda f: order.get(f.column, 0)):
            lines.append(_comment(f))
            rule: Any = f.masker if not f.params else {"masker": f.masker, "params": f.params}
            lines.append(f"  {_key(f.column)}: {_flow(rule)}")
    else:
        lines.append("columns: {}")
    for f in ts.findings:
        if f.via_fk is not None:
            lines.append(
                f"# {f.column}: {f.entity} through its foreign key to {f.via_fk}; "
                "`maskpipe run` gives it that rule."
            )
        elif f.masker is None:
            lines.append(f"# {f.column}: looks like {f.entity} (confidence {f.confidence:.2f}) but {f.note}.")
    flagged = {f.column for f in ts.findings}
    rest = [c for c in table.column_names if c not in flagged]
    if rest:
        lines.append(f"# not flagged: {', '.join(rest)}")
    body = "\n".join(lines) + "\n"
    return f"{MARKER}{_digest(body)}\n{body}"


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def is_untouched(text: str) -> bool:
    """True when `text` is a draft exactly as scan wrote it."""
    first, _, body = text.partition("\n")
    return first.startswith(MARKER) and first[len(MARKER) :] == _digest(body)


def scanned_columns(text: str) -> list[str] | None:
    """The column list a draft recorded when it was written (None for files without one)."""
    for line in text.splitlines():
        if line.startswith(COLUMNS_LINE):
            return [c.strip() for c in line[len(COLUMNS_LINE) :].split(",") if c.strip()]
    return None


@dataclass
class WriteReport:
    written: list[Path] = field(default_factory=list)
    updated: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    kept: list[tuple[Path, Path]] = field(default_factory=list)  # (edited file, new .draft beside it)


def write_drafts(result: ScanResult, folder: Path) -> WriteReport:
    folder.mkdir(parents=True, exist_ok=True)
    report = WriteReport()
    for ts in result.tables:
        path = rule_file(folder, ts.table.qualified)
        text = render(ts)
        if not path.exists():
            path.write_text(text, encoding="utf-8")
            report.written.append(path)
            continue
        old = path.read_text(encoding="utf-8")
        if is_untouched(old):
            if old == text:
                report.unchanged.append(path)
            else:
                path.write_text(text, encoding="utf-8")
                report.updated.append(path)
            continue
        draft = path.with_name(path.name + ".draft")
        draft.write_text(text, encoding="utf-8")
        report.kept.append((path, draft))
    return report
