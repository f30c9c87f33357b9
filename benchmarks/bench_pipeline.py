"""Whole-pipeline throughput and memory on a generated 10M-row Parquet table -> Parquet golden image.

    uv run python benchmarks/bench_pipeline.py                # 10M rows
    uv run python benchmarks/bench_pipeline.py --rows 2000000

Each step runs in its own process so each peak RSS is its own. The baseline, in the same run, is a
plain streaming copy of the same file (pyarrow batches in, ParquetWriter out, no masking). The
masked run goes through `maskpipe run` exactly as a user would (rules folder, key from env).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RULES = """table: customers
columns:
  email: email
  phone: phone
  first_name: first_name
  last_name: last_name
  iban: iban
"""


def generate(path: Path, rows: int) -> None:
    import polars as pl

    i = pl.int_range(0, rows, eager=True)
    distinct = i % max(rows // 10, 1)
    frame = pl.DataFrame(
        {
            "customer_id": i,
            "email": "user" + distinct.cast(pl.String) + "@corp" + (i % 97).cast(pl.String) + ".com",
            "phone": "+31 6 " + distinct.cast(pl.String).str.zfill(8),
            "first_name": "Name" + (i % 5000).cast(pl.String),
            "last_name": "Surname" + (i % 20000).cast(pl.String),
            "iban": "NL91ABNA" + distinct.cast(pl.String).str.zfill(10),
            "balance": i.cast(pl.Float64) * 0.37,
        }
    )
    path.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path / "customers.parquet", row_group_size=128_000)


def plain_copy(src: Path, dst: Path) -> dict[str, float]:
    import pyarrow.parquet as pq

    start = time.perf_counter()
    dst.mkdir(parents=True, exist_ok=True)
    source = pq.ParquetFile(src / "customers.parquet")
    with pq.ParquetWriter(dst / "customers.parquet", source.schema_arrow, compression="zstd") as writer:
        for batch in source.iter_batches(batch_size=128_000):
            writer.write_batch(batch)
    return {
        "seconds": time.perf_counter() - start,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def masked_copy(src: Path, dst: Path) -> dict[str, float]:
    """The same work `maskpipe run` does (rules checked, streamed, staged, swapped), in this process."""
    from maskpipe.hashing import key_from_text
    from maskpipe.pipeline import run

    start = time.perf_counter()
    report = run(src.parent / "rules", str(src), str(dst), key_from_text("bench-" + "k" * 40, "bench"))
    assert report.status == "ok"
    return {
        "seconds": time.perf_counter() - start,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--step", choices=["generate", "plain", "masked"], help=argparse.SUPPRESS)
    parser.add_argument("--src", help=argparse.SUPPRESS)
    parser.add_argument("--dst", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step == "generate":
        generate(Path(args.dst), args.rows)
        return
    if args.step == "plain":
        print(json.dumps(plain_copy(Path(args.src), Path(args.dst))))
        return
    if args.step == "masked":
        print(json.dumps(masked_copy(Path(args.src), Path(args.dst))))
        return
    work = Path(tempfile.mkdtemp(prefix="maskpipe-bench-"))
    try:
        src = work / "snapshot"
        # Generated in a child: Linux keeps a process's peak RSS across fork+exec, so a parent that
        # held the data would lend its peak to every step it starts.
        subprocess.run(
            [sys.executable, __file__, "--step", "generate", "--rows", str(args.rows), "--dst", str(src)],
            check=True,
        )
        (work / "rules").mkdir()
        (work / "rules" / "customers.yaml").write_text(RULES)
        size_mb = (src / "customers.parquet").stat().st_size / 1e6
        print(
            f"{args.rows:,} rows ({size_mb:.0f} MB Parquet), 5 masked columns (email, phone, first/last name, IBAN)"
        )
        out = subprocess.run(
            [sys.executable, __file__, "--step", "plain", "--src", str(src), "--dst", str(work / "plain")],
            capture_output=True,
            text=True,
            check=True,
        )
        plain = json.loads(out.stdout)
        out = subprocess.run(
            [sys.executable, __file__, "--step", "masked", "--src", str(src), "--dst", str(work / "masked")],
            capture_output=True,
            text=True,
            check=True,
        )
        masked = json.loads(out.stdout)
        seconds, masked_rss = masked["seconds"], masked["peak_rss_mb"]
        print(f"{'step':<14} {'rows/s':>12} {'seconds':>8} {'peak RSS MB':>12}")
        print(
            f"{'plain copy':<14} {args.rows / plain['seconds']:>12,.0f} {plain['seconds']:>8.2f} {plain['peak_rss_mb']:>12,.0f}"
        )
        print(f"{'maskpipe run':<14} {args.rows / seconds:>12,.0f} {seconds:>8.2f} {masked_rss:>12,.0f}")
        print(f"ratio masked / plain: {seconds / plain['seconds']:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
