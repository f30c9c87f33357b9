"""`maskpipe validate`: compare a finished copy with its source; exit 1 on any finding."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from maskpipe.cli.common import Resolved, resolve, write_json
from maskpipe.extract.base import DEFAULT_BATCH_ROWS
from maskpipe.model import RunFailed
from maskpipe.pipeline import RunReport, redact_uri, rules_fingerprint
from maskpipe.rules.model import load_rules
from maskpipe.validate import CHECKS, ValidateOptions, ValidationResult
from maskpipe.validate import validate as validate_copy

SHOWN_FINDINGS = 20


def summary(result: ValidationResult, source: str, dest: str) -> str:
    """A short report for a terminal: counts per check, the first findings, the notes. No data values."""
    rows = sum(int(t["copy_rows"]) for t in result.tables.values())
    status = "ok" if result.ok else f"{len(result.findings):,} findings"
    lines = [
        f"maskpipe validate: {status}  {redact_uri(source)} -> {redact_uri(dest)}",
        f"  {len(result.tables)} tables, {rows:,} rows in the copy, {result.seconds:.2f} s",
    ]
    counts = result.counts()
    lines.append("  " + "  ".join(f"{check} {counts.get(check, 0)}" for check in CHECKS))
    for finding in result.findings[:SHOWN_FINDINGS]:
        lines.append(f"  {finding.render()}")
    if len(result.findings) > SHOWN_FINDINGS:
        lines.append(
            f"  ... {len(result.findings) - SHOWN_FINDINGS:,} more; --json FILE lists every finding."
        )
    for note in result.notes:
        lines.append(f"  note: {note}")
    return "\n".join(lines)


def payload(result: ValidationResult, resolved: Resolved) -> dict[str, object]:
    return {
        "source": redact_uri(resolved.source),
        "dest": redact_uri(resolved.dest),
        "key_fingerprint": resolved.key.fingerprint,
        "rules_fingerprint": rules_fingerprint(resolved.rules_dir),
        **result.to_json(),
    }


def validate_report(resolved: Resolved, report: RunReport | None, json_path: str | None) -> bool:
    """Validate what a run just wrote (for `maskpipe run --validate`); True when nothing was found.

    The summary goes to stderr so that the run's own summary stays the only thing on stdout.
    """
    result = validate_copy(load_rules(resolved.rules_dir), resolved.source, resolved.dest, resolved.key)
    click.echo(summary(result, resolved.source, resolved.dest), err=True)
    if json_path:
        write_json(json_path, payload(result, resolved))
    return result.ok


@click.command()
@click.argument("rules_dir", required=False, type=click.Path(file_okay=False))
@click.option("--source", help="The snapshot the copy was made from (same forms as `maskpipe run`).")
@click.option(
    "--dest",
    help="The finished copy: postgresql://..., duckdb:///file.duckdb, parquet:///dir or a directory.",
)
@click.option(
    "--pipeline",
    "pipeline_path",
    type=click.Path(dir_okay=False),
    help="A pipelines/*.yaml file naming source, dest, rules and key.",
)
@click.option("--key-env", help="Environment variable holding the masking key (default MASKPIPE_KEY).")
@click.option("--key-file", type=click.Path(dir_okay=False), help="File holding the masking key.")
@click.option(
    "--json", "json_path", type=click.Path(dir_okay=False), help="Write every finding here as JSON."
)
@click.option(
    "--batch-rows",
    default=DEFAULT_BATCH_ROWS,
    show_default=True,
    type=click.IntRange(1_000),
    help="Rows per batch read (bounds memory).",
)
@click.option(
    "--format-sample",
    default=ValidateOptions.format_sample,
    show_default=True,
    type=click.IntRange(1),
    help="Rows per column whose values go through the format validators.",
)
@click.option(
    "--work-dir",
    type=click.Path(exists=True, file_okay=False),
    help="Where the fingerprint files go (tens of bytes per row and side; default: the system temp dir).",
)
def validate(
    rules_dir: str | None,
    source: str | None,
    dest: str | None,
    pipeline_path: str | None,
    key_env: str | None,
    key_file: str | None,
    json_path: str | None,
    batch_rows: int,
    format_sample: int,
    work_dir: str | None,
) -> None:
    """Check a finished copy against its source with the rules in RULES_DIR (default rules/) and the key.

    \b
    structure   every table and column present, row counts equal, keys and constraints present
                (PostgreSQL: by kind per table, and validated), sequences at least the source's
    leaks       no masked value kept its source value; no source identifier in the copy's text
    formats     masked emails, IBANs, card numbers, UUIDs, phones pass their validators (sampled)
    joins       every FK and virtual FK joins as many rows as in the source
    provenance  re-masking the source with the key reproduces the copy

    Findings name table, column, check and row key, never a data value. Exit codes: 0 nothing found,
    1 findings (or a read failed), 2 bad usage.
    """
    resolved = resolve(rules_dir, source, dest, pipeline_path, key_env, key_file)
    options = ValidateOptions(
        batch_rows=batch_rows, format_sample=format_sample, work_dir=Path(work_dir) if work_dir else None
    )
    try:
        result = validate_copy(
            load_rules(resolved.rules_dir), resolved.source, resolved.dest, resolved.key, options
        )
    except RunFailed as exc:
        click.secho(f"maskpipe validate failed: {exc}", fg="red", err=True)
        sys.exit(1)
    click.echo(summary(result, resolved.source, resolved.dest))
    if json_path:
        write_json(json_path, payload(result, resolved))
    if not result.ok:
        sys.exit(1)
