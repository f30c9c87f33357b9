"""Wires extract -> transform -> load: the one module that knows all three.

`prepare()` does every check that needs no data (rules, schema, key, isolation) so that bad input
fails before anything is written; `execute()` streams each table through the transform into the
sink's staging area and commits, or aborts and leaves the previous destination as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

import maskpipe
from maskpipe.extract import open_source
from maskpipe.extract.base import DEFAULT_BATCH_ROWS, Source
from maskpipe.hashing import MAPPING_VERSION, MaskingKey
from maskpipe.load import open_sink
from maskpipe.load.base import Sink
from maskpipe.model import MaskpipeError, Problem, RunFailed
from maskpipe.plan import MaskPlan, TablePlan, build_plan
from maskpipe.rules.model import RuleSet, load_rules
from maskpipe.transform import mask_batch, output_schema

ProgressFn = Callable[[str, int, float, bool], None]  # table, rows so far, seconds, finished


@dataclass
class TableReport:
    table: str
    rows: int = 0
    seconds: float = 0.0
    masked_columns: dict[str, str] = field(default_factory=dict)  # column -> "masker (origin)"


@dataclass
class RunReport:
    source: str
    dest: str
    key_fingerprint: str
    key_origin: str
    rules_fingerprint: str
    tables: list[TableReport] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    status: str = "pending"
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        rows = sum(t.rows for t in self.tables)
        return {
            "maskpipe_version": maskpipe.__version__,
            "mapping_version": MAPPING_VERSION,
            "status": self.status,
            "error": self.error,
            "source": self.source,
            "dest": self.dest,
            "key_fingerprint": self.key_fingerprint,
            "key_origin": self.key_origin,
            "rules_fingerprint": self.rules_fingerprint,
            "seconds": round(self.seconds, 3),
            "rows": rows,
            "rows_per_second": round(rows / self.seconds) if self.seconds else None,
            "tables": [
                {
                    "table": t.table,
                    "rows": t.rows,
                    "seconds": round(t.seconds, 3),
                    "masked_columns": t.masked_columns,
                }
                for t in self.tables
            ],
            "skipped_tables": self.skipped,
            "warnings": self.warnings,
        }


@dataclass
class PreparedRun:
    source: Source
    sink: Sink
    plan: MaskPlan
    key: MaskingKey
    report: RunReport


def redact_uri(uri: str) -> str:
    """A URI fit for logs and reports: the password is replaced by ***."""
    if "://" in uri and "@" in uri.split("://", 1)[1]:
        scheme, rest = uri.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        if ":" in creds:
            creds = creds.split(":", 1)[0] + ":***"
        return f"{scheme}://{creds}@{host}"
    return uri


def rules_fingerprint(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def prepare(ruleset: RuleSet, source_uri: str, dest_uri: str, key: MaskingKey) -> PreparedRun:
    """Open both ends and check everything that can be checked before data moves."""
    source = open_source(source_uri)
    try:
        tables = source.describe()
        plan = build_plan(ruleset, tables)
        # pg_dump must see the schema of the very snapshot the data is read from.
        export = getattr(source, "export_snapshot", None)
        options = (
            {"source_snapshot": export()}
            if export and dest_uri.startswith(("postgresql:", "postgres:"))
            else {}
        )
        sink = open_sink(dest_uri, source_uri=source_uri, **options)
        if sink.identity() == source.identity():
            raise MaskpipeError(
                Problem(
                    "--dest",
                    "the destination is the source database; maskpipe never writes to its source.",
                    "name another database or directory with --dest.",
                )
            )
    except BaseException:
        source.close()
        raise
    report = RunReport(
        source=redact_uri(source_uri),
        dest=redact_uri(dest_uri),
        key_fingerprint=key.fingerprint,
        key_origin=key.origin,
        rules_fingerprint=rules_fingerprint(ruleset.folder),
        skipped=list(plan.skipped),
        warnings=[w.render() for w in plan.warnings],
    )
    return PreparedRun(source, sink, plan, key, report)


def parents_first(tables: tuple[TablePlan, ...]) -> list[TablePlan]:
    """Referenced tables before referencing ones (cycles keep their described order), so sinks that
    check FKs while loading never see a child before its parent."""
    by_name = {t.table.qualified: t for t in tables}
    ordered: list[TablePlan] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str) -> None:
        if state.get(name) or name not in by_name:
            return
        state[name] = 1
        for fk in by_name[name].table.foreign_keys:
            if fk.ref_table != name and state.get(fk.ref_table) != 1:
                visit(fk.ref_table)
        state[name] = 2
        ordered.append(by_name[name])

    for t in tables:
        visit(t.table.qualified)
    return ordered


def _prefetch(batches: Iterator[pa.RecordBatch], depth: int = 2) -> Iterator[pa.RecordBatch]:
    """Read the next batches in a background thread while this one is masked (bounded queue). Closing
    this generator early stops the reader, which closes `batches` in its own thread."""
    q: queue.Queue[object] = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for batch in batches:
                q.put(batch)
                if stop.is_set():
                    break
            q.put(done)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            q.put(exc)
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    close()

    thread = threading.Thread(target=produce, name="maskpipe-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is done:
                break
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, pa.RecordBatch)
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a reader waiting on a full queue
            with contextlib.suppress(queue.Empty):
                q.get(timeout=0.05)
        thread.join()


class _Cancelled(Exception):
    """Another table failed: this one stops at its next batch."""


def _mask_table(
    run: PreparedRun,
    table_plan: TablePlan,
    batch_rows: int,
    progress: ProgressFn | None,
    source: Source | None = None,
    sink: Any = None,
    cancel: threading.Event | None = None,
) -> TableReport:
    source = source or run.source
    sink = sink or run.sink
    table = table_plan.table
    copied = _copy_unmasked(table_plan, source, sink, progress, cancel)
    if copied is not None:
        return copied
    report = TableReport(
        table.qualified, masked_columns={c.column: f"{c.masker} ({c.origin})" for c in table_plan.columns}
    )
    start = time.perf_counter()
    out_schema: list[pa.Schema] = []

    def batches() -> Iterator[pa.RecordBatch]:
        with contextlib.closing(_prefetch(iter(source.read_batches(table, batch_rows)))) as read:
            for batch in read:
                if cancel is not None and cancel.is_set():
                    raise _Cancelled(table.qualified)
                if not out_schema:
                    out_schema.append(output_schema(table_plan, batch.schema))
                masked = mask_batch(batch, table_plan, run.key, out_schema[0])
                report.rows += masked.num_rows
                if progress:
                    progress(table.qualified, report.rows, time.perf_counter() - start, False)
                yield masked

    # The sink needs the schema before the first batch: peek at the stream itself, and fall back to
    # the described columns for an empty table.
    stream = batches()
    first = next(stream, None)
    if first is not None:
        schema = first.schema
        stream = itertools.chain([first], stream)
    else:
        described = pa.schema([pa.field(c.name, c.arrow_type) for c in table.columns if not c.generated])
        schema = output_schema(table_plan, described)
    sink.write_table(table, schema, stream)
    report.seconds = time.perf_counter() - start
    if progress:
        progress(table.qualified, report.rows, report.seconds, True)
    return report


def _copy_unmasked(
    table_plan: TablePlan,
    source: Source,
    sink: Any,
    progress: ProgressFn | None,
    cancel: threading.Event | None,
) -> TableReport | None:
    """A table no rule masks goes from server to server without passing through Arrow, when the source
    can stream its stored rows (copy_out) and the sink can take them as they are (copy_in): PostgreSQL
    to PostgreSQL. None when not."""
    copy_out, copy_in = getattr(source, "copy_out", None), getattr(sink, "copy_in", None)
    if table_plan.columns or copy_out is None or copy_in is None:
        return None
    out = copy_out(table_plan.table)
    if out is None:
        return None
    start = time.perf_counter()
    rows = copy_in(table_plan.table, out, cancel)
    report = TableReport(table_plan.table.qualified, rows=rows, seconds=time.perf_counter() - start)
    if progress:
        progress(report.table, report.rows, report.seconds, True)
    return report


def default_jobs() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def _open_workers(run: PreparedRun, jobs: int) -> list[tuple[Source, Any]]:
    """(source, sink) pairs for `jobs` threads: the run's own pair first, then pairs from source.worker()
    (the same snapshot over another connection) and sink.worker() (another staging connection). Fewer
    when either end has no worker() or the servers refuse more connections (the run warns)."""
    pairs: list[tuple[Source, Any]] = [(run.source, run.sink)]
    make_source = getattr(run.source, "worker", None)
    make_sink = getattr(run.sink, "worker", None)
    if make_source is None or make_sink is None:
        return pairs
    while len(pairs) < jobs:
        source = None
        try:
            source = make_source()
            pairs.append((source, make_sink()))
        except MaskpipeError as exc:
            if source is not None and source is not run.source:
                source.close()
            run.report.warnings.append(
                f"running {len(pairs)} table(s) at a time instead of {jobs}: another connection failed: "
                f"{exc.problems[0].render() if exc.problems else exc}"
            )
            break
    return pairs


def _mask_tables(
    run: PreparedRun, batch_rows: int, progress: ProgressFn | None, jobs: int
) -> list[TableReport]:
    """Every table through the transform into the sink, up to `jobs` at a time. Sinks that load without
    constraints (those with worker()) take tables in any order: costliest first (rows, weighted by the
    masked columns, which cost far more per row than copying), so that the last one to finish is short.
    Otherwise one at a time, parents first."""
    ordered = parents_first(run.plan.tables)
    pairs = _open_workers(run, jobs) if jobs > 1 and len(ordered) > 1 else [(run.source, run.sink)]
    if len(pairs) == 1:
        return [_mask_table(run, t, batch_rows, progress) for t in ordered]
    position = {t.table.qualified: i for i, t in enumerate(ordered)}
    todo: queue.SimpleQueue[TablePlan] = queue.SimpleQueue()
    for t in sorted(ordered, key=lambda t: -(t.table.row_estimate or 0) * (1 + 2 * len(t.columns))):
        todo.put(t)
    reports: list[TableReport | None] = [None] * len(ordered)
    errors: list[BaseException] = []
    cancel = threading.Event()
    lock = threading.Lock()

    def work(source: Source, sink: Any) -> None:
        while not cancel.is_set():
            try:
                t = todo.get_nowait()
            except queue.Empty:
                return
            try:
                done = _mask_table(run, t, batch_rows, progress, source, sink, cancel)
                reports[position[t.table.qualified]] = done
            except BaseException as exc:
                with lock:
                    if not cancel.is_set():  # the first failure; the others only follow from it
                        errors.append(exc)
                    cancel.set()
                return

    threads = [
        threading.Thread(target=work, args=pair, name=f"maskpipe-table-{i}", daemon=True)
        for i, pair in enumerate(pairs)
    ]
    try:
        for th in threads:
            th.start()
        for th in threads:
            while th.is_alive():  # a timed join lets Ctrl-C through to this thread
                th.join(0.2)
    except BaseException:
        cancel.set()  # each thread stops at its next batch; their connections stay theirs until then
        for th in threads:
            th.join()
        raise
    finally:
        for source, _ in pairs[1:]:
            source.close()
    if errors:
        raise errors[0]
    return [r for r in reports if r is not None]


def execute(
    run: PreparedRun,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: ProgressFn | None = None,
    jobs: int | None = None,
) -> RunReport:
    """Stream every table through the transform into staging, up to `jobs` tables at a time (default
    default_jobs()), then commit; on any failure, abort. `progress` may be called from several threads."""
    jobs = default_jobs() if jobs is None else max(1, jobs)
    start = time.perf_counter()
    report = run.report
    try:
        run.sink.begin([t.table for t in run.plan.tables])
        if hasattr(run.sink, "manifest_extra"):
            run.sink.manifest_extra = {
                "key_fingerprint": run.key.fingerprint,
                "rules_fingerprint": report.rules_fingerprint,
                "maskpipe_version": maskpipe.__version__,
                "mapping_version": MAPPING_VERSION,
            }
        report.tables.extend(_mask_tables(run, batch_rows, progress, jobs))
        run.sink.commit()
        report.warnings += [
            w.render() if hasattr(w, "render") else str(w) for w in getattr(run.sink, "warnings", [])
        ]
        report.status = "ok"
    except MaskpipeError:
        run.sink.abort()
        report.status = "failed"
        raise
    except BaseException as exc:
        run.sink.abort()
        report.status = "failed"
        report.error = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise RunFailed(report.error) from exc
    finally:
        report.seconds = time.perf_counter() - start
        run.source.close()
    return report


def run(
    rules_dir: Path,
    source_uri: str,
    dest_uri: str,
    key: MaskingKey,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: ProgressFn | None = None,
    jobs: int | None = None,
) -> RunReport:
    """extract -> transform -> load, with every check first."""
    return execute(prepare(load_rules(rules_dir), source_uri, dest_uri, key), batch_rows, progress, jobs)
