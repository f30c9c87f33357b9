"""Checks of a finished copy against its source: structure, leaks, formats, joins, provenance.

`validate()` reads both ends once, batch by batch, into per-row fingerprint files (see fingerprints.py),
then runs each check over those files with DuckDB, which spills to disk: memory stays bounded whatever
the table sizes. Findings name table, column, check and row key, never a data value.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import duckdb

from maskpipe.extract import open_source
from maskpipe.extract.base import Source
from maskpipe.hashing import MaskingKey
from maskpipe.model import MaskpipeError, Problem, TableInfo
from maskpipe.plan import build_plan
from maskpipe.rules.model import RuleSet
from maskpipe.validate import formats, joins, leaks, provenance, structure
from maskpipe.validate.findings import CHECKS, Collector, Finding, ValidateOptions, ValidationResult
from maskpipe.validate.fingerprints import TableSpec, build_edges, build_specs, spill_side

__all__ = ["CHECKS", "Finding", "ValidateOptions", "ValidationResult", "validate"]


def _open_copy(uri: str) -> Source:
    """The copy is read like a source; its problems are reported against --dest."""
    try:
        return open_source(uri)
    except MaskpipeError as exc:
        raise _as_dest(exc) from None


def _as_dest(exc: MaskpipeError) -> MaskpipeError:
    return MaskpipeError(
        [
            Problem(p.where.replace("--source", "--dest", 1), p.message, p.hint, p.severity)
            for p in exc.problems
        ]
    )


def _describe_copy(dest: Source) -> list[TableInfo]:
    try:
        return dest.describe()
    except MaskpipeError as exc:
        raise _as_dest(exc) from None


def validate(
    ruleset: RuleSet, source_uri: str, dest_uri: str, key: MaskingKey, options: ValidateOptions | None = None
) -> ValidationResult:
    """Compare the copy at `dest_uri` with the source it was made from by `ruleset` and `key`."""
    options = options or ValidateOptions()
    start = time.perf_counter()
    out = Collector(options)
    source = open_source(source_uri)
    dest: Source | None = None
    con: duckdb.DuckDBPyConnection | None = None
    specs: list[TableSpec] = []
    try:
        plan = build_plan(ruleset, source.describe())
        dest = _open_copy(dest_uri)
        dst_tables = {t.qualified: t for t in _describe_copy(dest)}
        if dest.identity() == source.identity():
            raise MaskpipeError(
                Problem(
                    "--dest",
                    "names the source itself; there is no copy to validate.",
                    "pass the destination the run wrote to.",
                )
            )
        structure.check_schema(plan, dst_tables, out)
        leaks.check_skipped(plan, dest, dst_tables, options.batch_rows, out)
        specs = build_specs(plan, dst_tables, out)
        edges = build_edges(plan, specs, out)
        with tempfile.TemporaryDirectory(prefix="maskpipe-validate-", dir=options.work_dir) as tmp:
            work = Path(tmp)
            (work / "duckdb").mkdir()
            con = duckdb.connect(
                config={
                    "temp_directory": str(work / "duckdb"),
                    "memory_limit": options.duckdb_memory_limit,
                }
            )
            identifiers = leaks.IdentifierCollector(options)
            samples = formats.SampleCollector(options)
            for spec in specs:
                spill_side(source, spec, True, key, work, [identifiers, samples], options.batch_rows)
            scanner = leaks.PiiScanner(options, identifiers.finish(con, specs, out))
            for spec in specs:
                spill_side(dest, spec, False, key, work, [scanner, samples], options.batch_rows)
            scanner.finish(out)
            structure.check_rows(con, specs, out)
            if structure.both_postgres(source_uri, dest_uri):
                structure.check_postgres(plan, source_uri, dest_uri, out)
            leaks.check_kept(con, specs, out)
            formats.check(specs, samples, out)
            joins.check(con, edges, out)
            provenance.check(con, specs, out)
            con.close()
            con = None
    finally:
        if con is not None:
            con.close()
        source.close()
        if dest is not None:
            dest.close()
    order = {c: i for i, c in enumerate(CHECKS)}
    result = ValidationResult(
        findings=sorted(out.findings, key=lambda f: order.get(f.check, len(order))),
        notes=list(dict.fromkeys(out.notes)),
        seconds=time.perf_counter() - start,
    )
    for spec in specs:
        result.tables[spec.table] = {
            "source_rows": spec.src_rows,
            "copy_rows": spec.dst_rows,
            "paired_by": list(spec.pk) or None,
            "masked_columns": {m.name: m.plan.masker for m in spec.masked},
        }
    return result
