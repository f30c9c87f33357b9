"""`maskpipe run`: mask a snapshot into a destination database or Parquet golden image."""

from __future__ import annotations

import sys
import threading
import time

import click

from maskpipe.cli.common import is_tty, resolve, warn, write_json
from maskpipe.extract.base import DEFAULT_BATCH_ROWS
from maskpipe.model import MaskpipeError, RunFailed
from maskpipe.pipeline import RunReport, default_jobs, execute, prepare
from maskpipe.rules.model import load_rules


class _Progress:
    """Per-table progress on a terminal (one line rewritten in place, naming every table in flight);
    silent when stderr is not a terminal. Called from the pipeline's table threads: one lock guards it."""

    def __init__(self) -> None:
        self.enabled = is_tty()
        self.last = 0.0
        self.active: dict[str, tuple[int, float]] = {}  # table -> (rows, seconds), in start order
        self.lock = threading.Lock()

    def __call__(self, table: str, rows: int, seconds: float, finished: bool) -> None:
        if not self.enabled:
            return
        with self.lock:
            now = time.monotonic()
            if finished:
                self.active.pop(table, None)
                line = f"  {table:<40} {rows:>12,} rows {_rate(rows, seconds):>12,.0f} rows/s"
                click.echo(f"\r\x1b[K{line}", err=True)
                self.last = 0.0  # redraw the tables still in flight at their next update
                return
            self.active[table] = (rows, seconds)
            if now - self.last < 0.2:
                return
            self.last = now
            if len(self.active) == 1:
                line = f"  {table:<40} {rows:>12,} rows {_rate(rows, seconds):>12,.0f} rows/s"
            else:
                line = "  " + " | ".join(f"{t} {r:,} rows" for t, (r, _) in self.active.items())
            click.echo(f"\r\x1b[K{line}", err=True, nl=False)


def _rate(rows: int, seconds: float) -> float:
    return rows / seconds if seconds > 0 else 0.0


def _summary(report: RunReport) -> str:
    lines = [f"maskpipe run: {report.status}  {report.source} -> {report.dest}"]
    total = 0
    for t in report.tables:
        total += t.rows
        masked = ", ".join(f"{c}={m.split(' ')[0]}" for c, m in t.masked_columns.items()) or "copied unmasked"
        lines.append(f"  {t.table:<32} {t.rows:>10,} rows  {t.seconds:7.2f} s  {masked}")
    for s in report.skipped:
        lines.append(f"  {s:<32} skipped")
    rate = f"{total / report.seconds:,.0f} rows/s" if report.seconds else ""
    lines.append(
        f"  {len(report.tables)} tables, {total:,} rows in {report.seconds:.2f} s ({rate}); key fingerprint {report.key_fingerprint}"
    )
    return "\n".join(lines)


@click.command()
@click.argument("rules_dir", required=False, type=click.Path(file_okay=False))
@click.option(
    "--source",
    help="Snapshot to read: postgresql://..., duckdb:///file.duckdb, parquet:///dir, a directory, or demo://.",
)
@click.option(
    "--dest",
    help="Where the masked copy goes: postgresql://..., duckdb:///file.duckdb, parquet:///dir or a directory.",
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
    "--json", "json_path", type=click.Path(dir_okay=False), help="Write a machine-readable run report here."
)
@click.option(
    "--batch-rows",
    default=DEFAULT_BATCH_ROWS,
    show_default=True,
    type=click.IntRange(1_000),
    help="Rows per Arrow batch (bounds memory).",
)
@click.option(
    "--jobs",
    default=default_jobs(),
    show_default=True,
    type=click.IntRange(1, 64),
    help="Tables copied at a time (from PostgreSQL into PostgreSQL or Parquet; else one at a time).",
)
@click.option(
    "--validate",
    "validate_after",
    is_flag=True,
    help="Validate the copy after loading; fail the run on any finding.",
)
def run(
    rules_dir: str | None,
    source: str | None,
    dest: str | None,
    pipeline_path: str | None,
    key_env: str | None,
    key_file: str | None,
    json_path: str | None,
    batch_rows: int,
    jobs: int,
    validate_after: bool,
) -> None:
    """Mask a snapshot with the rules in RULES_DIR (default rules/) into an isolated destination.

    Source and destination come from the flags, else from --pipeline, else from RULES_DIR/_defaults.yaml.
    The key comes from $MASKPIPE_KEY (or --key-env NAME) or --key-file, never from rule files.
    Every rule is checked before any data moves; a failed or killed run leaves the previous
    destination as it was.
    """
    report: RunReport | None = None
    try:
        resolved = resolve(rules_dir, source, dest, pipeline_path, key_env, key_file)
        assert resolved.key is not None
        prepared = prepare(load_rules(resolved.rules_dir), resolved.source, resolved.dest, resolved.key)
        report = prepared.report
        for w in prepared.plan.warnings:
            warn(w.render())
        execute(prepared, batch_rows, _Progress(), jobs)
        if validate_after or resolved.validate_after:
            from maskpipe.cli.validate_cmd import validate_report

            if not validate_report(resolved, report, json_path=None):
                report.status = "validation_failed"
                raise RunFailed("validation found problems in the copy; see the findings above.")
    except MaskpipeError as exc:
        if json_path:
            write_json(json_path, {"status": "invalid", "problems": [p.render() for p in exc.problems]})
        raise
    except RunFailed as exc:
        if report is not None:
            click.echo(_summary(report), err=True)
        click.secho(f"maskpipe run failed: {exc}", fg="red", err=True)
        if json_path and report is not None:
            write_json(json_path, report.to_json())
        sys.exit(1)
    click.echo(_summary(report))
    if json_path:
        write_json(json_path, report.to_json())
