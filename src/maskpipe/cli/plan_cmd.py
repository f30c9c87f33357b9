"""`maskpipe plan`: what a run would do, before any data moves."""

from __future__ import annotations

import click

from maskpipe.cli.common import resolve, write_json
from maskpipe.extract import open_source
from maskpipe.joins import propose_virtual_fks
from maskpipe.plan import build_plan
from maskpipe.rules.model import load_rules


@click.command()
@click.argument("rules_dir", required=False, type=click.Path(file_okay=False))
@click.option("--source", help="Snapshot to describe (as for `maskpipe run`).")
@click.option("--pipeline", "pipeline_path", type=click.Path(dir_okay=False), help="A pipelines/*.yaml file.")
@click.option(
    "--sample", default=5_000, show_default=True, help="Rows sampled per column for virtual-FK proposals."
)
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the plan as JSON here.")
def plan(
    rules_dir: str | None, source: str | None, pipeline_path: str | None, sample: int, json_path: str | None
) -> None:
    """Show each table, its masked columns and maskers, mappings propagated along FKs, declared and
    proposed virtual FKs, and warnings. Reads only the schema and small samples; needs no key."""
    resolved = resolve(rules_dir, source, None, pipeline_path, None, None, need_dest=False, need_key=False)
    src = open_source(resolved.source)
    try:
        tables = src.describe()
        the_plan = build_plan(load_rules(resolved.rules_dir), tables)
        proposals = propose_virtual_fks(src, tables, sample)
    finally:
        src.close()
    out: dict[str, object] = {
        "tables": [],
        "skipped": list(the_plan.skipped),
        "warnings": [w.render() for w in the_plan.warnings],
    }
    for tp in the_plan.tables:
        click.echo(f"{tp.table.qualified}")
        if not tp.columns:
            click.echo("    (copied unmasked)")
        for c in tp.columns:
            click.echo(f"    {c.column:<28} {c.masker:<16} {c.origin}")
        out["tables"].append(
            {
                "table": tp.table.qualified,
                "columns": [
                    {"column": c.column, "masker": c.masker, "origin": c.origin, "domain": c.domain}
                    for c in tp.columns
                ],
            }
        )  # type: ignore[union-attr]
    for name in the_plan.skipped:
        click.echo(f"{name}\n    (skipped)")
    declared = [(t, fk) for t, fks in the_plan.virtual_foreign_keys.items() for fk in fks]
    if declared:
        click.echo("\nvirtual foreign keys (declared in rules):")
        for t, fk in declared:
            click.echo(f"    {t}({', '.join(fk.columns)}) -> {fk.ref_table}({', '.join(fk.ref_columns)})")
    if proposals:
        click.echo("\nproposed virtual foreign keys (confirm by adding them to the table's rule file):")
        for p in proposals:
            click.echo(f"    {p.table}.{p.column} -> {p.ref_table}.{p.ref_column}   [{p.evidence}]")
            click.echo(f"      virtual_foreign_keys:\n    {p.as_rule()}")
    out["proposed_virtual_foreign_keys"] = [p.__dict__ for p in proposals]
    for w in the_plan.warnings:
        click.secho(w.render(), fg="yellow", err=True)
    if json_path:
        write_json(json_path, out)
