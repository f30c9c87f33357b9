"""`maskpipe scan`: find PII in a snapshot and write rule drafts that `maskpipe run` accepts as they are."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from maskpipe.cli.common import DEMO_SOURCE, is_tty, warn, write_json
from maskpipe.pipeline import redact_uri
from maskpipe.scan import DEFAULT_SAMPLE, ScanResult, scan_uri
from maskpipe.scan.drafts import WriteReport, write_drafts
from maskpipe.scan.drift import drift


def _summary(result: ScanResult, written: WriteReport, source: str) -> str:
    lines = [f"maskpipe scan: {redact_uri(source)}"]
    total = flagged = 0
    for ts in result.tables:
        total += len(ts.table.columns)
        flagged += len(ts.findings)
        lines.append(
            f"  {ts.table.qualified:<32} {len(ts.findings):>3} of {len(ts.table.columns):>3} "
            f"columns flagged  ({ts.sampled_rows} rows sampled)"
        )
        for f in ts.findings:
            how = f"via FK {f.via_fk}" if f.via_fk else (f.masker or "no masker")
            lines.append(f"    {f.column:<28} {f.entity:<15} {f.confidence:.2f}  {how}")
    lines.append(
        f"  {len(result.tables)} tables, {flagged} of {total} columns flagged in {result.seconds:.1f} s"
    )
    for path in written.written:
        lines.append(f"  wrote {path}")
    for path in written.updated:
        lines.append(f"  updated {path} (scan's own draft, not edited)")
    for path, draft in written.kept:
        lines.append(f"  kept {path} (edited); new draft in {draft}")
    if written.unchanged:
        lines.append(f"  {len(written.unchanged)} draft(s) unchanged")
    return "\n".join(lines)


@click.command()
@click.option(
    "--source",
    required=True,
    help="Snapshot to scan: postgresql://..., duckdb:///file.duckdb, parquet:///dir, a directory, or demo://.",
)
@click.option(
    "--out",
    "out_dir",
    default="rules",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for the rule drafts (one YAML per table).",
)
@click.option(
    "--sample",
    default=DEFAULT_SAMPLE,
    show_default=True,
    type=click.IntRange(10, 1_000_000),
    help="Rows sampled per table.",
)
@click.option(
    "--presidio/--no-presidio",
    default=True,
    show_default=True,
    help="Run Presidio (offline) on samples of text columns nothing else flagged.",
)
@click.option(
    "--spacy-model",
    envvar="MASKPIPE_SPACY_MODEL",
    help="A local spaCy model (name or path) for Presidio's name and place recognition.",
)
@click.option(
    "--json", "json_path", type=click.Path(dir_okay=False), help="Write a machine-readable scan report here."
)
@click.option("--strict", is_flag=True, help="Exit 1 when the rules have drifted from the schema.")
def scan(
    source: str,
    out_dir: str,
    sample: int,
    presidio: bool,
    spacy_model: str | None,
    json_path: str | None,
    strict: bool,
) -> None:
    """Sample every column of SOURCE, find PII and write rule drafts to --out.

    Evidence: column names (several languages and naming styles), value patterns with checksums
    (IBAN mod-97, Luhn), name and city dictionaries, Presidio, and foreign keys. Each flagged column's
    draft rule carries its entity, confidence and evidence as a comment, never a sampled value. Drafts
    you edited are never overwritten: the new draft goes to <file>.draft, and drift (new columns,
    rules for vanished columns or tables) is reported.
    """
    uri = source
    if uri == DEMO_SOURCE:
        from maskpipe.demo import SNAPSHOT_DIR

        uri = str(SNAPSHOT_DIR)
    progress = (lambda name: click.echo(f"\r  scanned {name:<60}", err=True, nl=False)) if is_tty() else None
    result = scan_uri(uri, sample=sample, presidio=presidio, spacy_model=spacy_model, progress=progress)
    if progress:
        click.echo("", err=True)
    folder = Path(out_dir)
    problems = drift(result, folder)
    written = write_drafts(result, folder)
    click.echo(_summary(result, written, source))
    for problem in problems:
        warn(problem.render())
    if json_path:
        write_json(
            json_path,
            {
                "source": redact_uri(source),
                "seconds": round(result.seconds, 3),
                "tables": [
                    {
                        "table": ts.table.qualified,
                        "sampled_rows": ts.sampled_rows,
                        "findings": [
                            {
                                "column": f.column,
                                "entity": f.entity,
                                "confidence": f.confidence,
                                "evidence": f.evidence,
                                "masker": f.masker,
                                "params": f.params,
                                "via_fk": f.via_fk,
                            }
                            for f in ts.findings
                        ],
                    }
                    for ts in result.tables
                ],
                "drift": [p.render() for p in problems],
                "written": [str(p) for p in written.written + written.updated],
                "kept": [{"file": str(a), "draft": str(b)} for a, b in written.kept],
            },
        )
    if strict and problems:
        sys.exit(1)
