"""pipeline.execute with jobs > 1, on fakes: tables run in threads on worker pairs, reports stay in order,
a failure in one table stops the others and aborts, ends without worker() run one table at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pyarrow as pa
import pytest

from maskpipe.hashing import MaskingKey
from maskpipe.model import ColumnInfo, ForeignKey, RunFailed, TableInfo
from maskpipe.pipeline import PreparedRun, RunReport, execute
from maskpipe.plan import MaskPlan, TablePlan


def _table(name: str, rows: int, parent: str | None = None) -> TableInfo:
    fks = (ForeignKey(("p",), f"public.{parent}", ("id",), f"{name}_fk"),) if parent else ()
    return TableInfo("public", name, (ColumnInfo("id", pa.int64(), "bigint"),), ("id",), (), fks, rows)


class FakeSource:
    uri = "fake://source"

    def __init__(self, log: list[tuple[str, ...]], parent: FakeSource | None = None) -> None:
        self.log, self.parent, self.closed = log, parent, False
        self.workers: list[FakeSource] = []

    def read_batches(self, table: TableInfo, batch_rows: int = 10) -> Iterator[pa.RecordBatch]:
        self.log.append(("read", table.name, threading.current_thread().name))
        for start in range(0, table.row_estimate or 0, batch_rows):
            time.sleep(0.005)
            yield pa.record_batch(
                {"id": pa.array(range(start, min(start + batch_rows, table.row_estimate or 0)), pa.int64())}
            )

    def worker(self) -> FakeSource:
        w = FakeSource(self.log, self)
        self.workers.append(w)
        return w

    def close(self) -> None:
        self.closed = True


class FakeSink:
    uri = "fake://dest"

    def __init__(self, fail_on: str | None = None, with_workers: bool = True) -> None:
        self.fail_on = fail_on
        self.rows: dict[str, int] = {}
        self.threads: set[str] = set()
        self.state = "new"
        self.lock = threading.Lock()
        if with_workers:
            self.worker = lambda: self  # type: ignore[method-assign]

    def begin(self, tables: list[TableInfo]) -> None:
        self.state = "staging"

    def write_table(self, table: TableInfo, schema: pa.Schema, batches: Iterator[pa.RecordBatch]) -> int:
        n = 0
        for b in batches:
            n += b.num_rows
            if table.name == self.fail_on and n >= 20:
                raise ValueError(f"cannot write {table.name}")
        with self.lock:
            self.rows[table.name] = n
            self.threads.add(threading.current_thread().name)
        return n

    def commit(self) -> None:
        self.state = "committed"

    def abort(self) -> None:
        self.state = "aborted"


def _run(tables: list[TableInfo], sink: FakeSink, source: FakeSource) -> PreparedRun:
    plan = MaskPlan(tuple(TablePlan(t, ()) for t in tables))
    report = RunReport("fake://source", "fake://dest", "fp", "test", "rules")
    return PreparedRun(source, sink, plan, MaskingKey(b"k" * 32, "test"), report)  # type: ignore[arg-type]


TABLES = [
    _table("parent", 300),
    _table("child", 900, parent="parent"),
    _table("small", 30),
    _table("empty", 0),
]


def test_tables_run_in_threads_and_report_in_parents_first_order() -> None:
    log: list[tuple[str, ...]] = []
    source, sink = FakeSource(log), FakeSink()
    calls: list[tuple[str, int, bool, str]] = []
    progress = lambda t, r, s, f: calls.append((t, r, f, threading.current_thread().name))  # noqa: E731
    report = execute(_run(TABLES, sink, source), batch_rows=10, progress=progress, jobs=2)
    assert report.status == "ok" and sink.state == "committed"
    assert [t.table for t in report.tables] == [
        "public.parent",
        "public.child",
        "public.small",
        "public.empty",
    ]
    assert [t.rows for t in report.tables] == [300, 900, 30, 0]
    assert sink.rows == {"parent": 300, "child": 900, "small": 30, "empty": 0}
    assert len(sink.threads) == 2  # both threads wrote
    assert log[0][1] == "child"  # biggest first
    assert len(source.workers) == 1 and all(
        w.closed for w in source.workers
    )  # the run's own pair + one worker
    assert {(t, r) for t, r, f, _ in calls if f} == {
        ("public.parent", 300),
        ("public.child", 900),
        ("public.small", 30),
        ("public.empty", 0),
    }


def test_failure_in_one_table_stops_the_others_and_aborts() -> None:
    source, sink = FakeSource([]), FakeSink(fail_on="small")
    run = _run(TABLES, sink, source)
    with pytest.raises(RunFailed, match="cannot write small"):
        execute(run, batch_rows=10, jobs=2)
    assert sink.state == "aborted" and run.report.status == "failed"
    assert "child" not in sink.rows  # the big table stopped at its next batch
    assert all(w.closed for w in source.workers) and source.closed


def test_ends_without_workers_run_one_table_at_a_time_parents_first() -> None:
    log: list[tuple[str, ...]] = []
    source, sink = FakeSource(log), FakeSink(with_workers=False)
    report = execute(_run(list(reversed(TABLES)), sink, source), batch_rows=10, jobs=4)
    assert report.status == "ok" and sink.threads == {threading.current_thread().name}
    assert [entry[1] for entry in log] == ["empty", "small", "parent", "child"]
    assert source.workers == []


def test_jobs_one_never_asks_for_workers() -> None:
    source, sink = FakeSource([]), FakeSink()
    execute(_run(TABLES, sink, source), batch_rows=10, jobs=1)
    assert source.workers == [] and sink.threads == {threading.current_thread().name}


def test_run_cli_accepts_jobs() -> None:
    from click.testing import CliRunner

    from maskpipe.cli.run_cmd import run

    result = CliRunner().invoke(run, ["--help"])
    assert "--jobs" in result.output


def test_a_refused_worker_falls_back_to_fewer_tables_at_a_time_with_a_warning() -> None:
    from maskpipe.model import MaskpipeError, Problem

    class NoMoreConnections(FakeSource):
        def worker(self) -> FakeSource:
            raise MaskpipeError(Problem("--source", "too many connections"))

    source, sink = NoMoreConnections([]), FakeSink()
    report = execute(_run(TABLES, sink, source), batch_rows=10, jobs=2)
    assert report.status == "ok" and sink.rows["child"] == 900
    assert sink.threads == {threading.current_thread().name}
    assert any(
        "1 table(s) at a time instead of 2" in w and "too many connections" in w for w in report.warnings
    )
