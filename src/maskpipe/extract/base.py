"""The contract every source honours: describe the snapshot, then stream each table as Arrow batches."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import pyarrow as pa

from maskpipe.model import TableInfo

DEFAULT_BATCH_ROWS = 128_000


class Source(Protocol):
    uri: str

    def describe(self) -> list[TableInfo]:
        """Every table of the snapshot with columns, keys and FKs. Reads nothing but metadata."""
        ...

    def read_batches(
        self, table: TableInfo, batch_rows: int = DEFAULT_BATCH_ROWS
    ) -> Iterator[pa.RecordBatch]:
        """Stream the table; memory stays bounded by batch_rows whatever the table size."""
        ...

    def identity(self) -> str:
        """A string that is equal for two URIs naming the same physical database (isolation check)."""
        ...

    def close(self) -> None: ...
