"""The pipeline streams: batches flow through one at a time, and the result does not depend on them."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from maskpipe.hashing import MaskingKey
from maskpipe.pipeline import run


def _snapshot(tmp_path: Path, rows: int) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    i = pl.int_range(0, rows, eager=True)
    pl.DataFrame({"id": i, "email": "u" + (i % 3000).cast(pl.String) + "@corp.test"}).write_parquet(
        src / "users.parquet"
    )
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "users.yaml").write_text(
        "table: users\ncolumns:\n  email: email\n", encoding="utf-8"
    )
    return src


def test_pipeline_streams_batches_and_output_is_batch_independent(tmp_path: Path, key: MaskingKey) -> None:
    src = _snapshot(tmp_path, 20_000)
    small = run(tmp_path / "rules", str(src), str(tmp_path / "small"), key, batch_rows=1_000)
    large = run(tmp_path / "rules", str(src), str(tmp_path / "large"), key, batch_rows=50_000)
    assert small.status == large.status == "ok"
    # Each 1,000-row batch reached the sink on its own: the table was never gathered whole.
    assert pq.ParquetFile(tmp_path / "small" / "users.parquet").metadata.num_row_groups >= 20
    a = pl.read_parquet(tmp_path / "small" / "users.parquet")
    b = pl.read_parquet(tmp_path / "large" / "users.parquet")
    assert a.equals(b), "masked output depends on batch size"
    assert a["email"].n_unique() == 3000
