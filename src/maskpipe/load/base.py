"""The contract every destination honours: stage everything, then swap it in at once or leave nothing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import pyarrow as pa

from maskpipe.model import TableInfo


class Sink(Protocol):
    uri: str

    def identity(self) -> str:
        """Equal to Source.identity() when both name the same database; the pipeline refuses that."""
        ...

    def begin(self, tables: list[TableInfo]) -> None:
        """Create a staging area (temporary name) and clean up what an earlier killed run left there."""
        ...

    def write_table(self, table: TableInfo, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> int:
        """Write one table's batches into staging; returns rows written."""
        ...

    def commit(self) -> None:
        """Swap staging in atomically; the previous destination stays until this succeeds."""
        ...

    def abort(self) -> None:
        """Drop staging; the previous destination is left as it was."""
        ...
