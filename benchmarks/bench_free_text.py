"""free_text throughput on notes of about 100 characters: rows/s and peak RSS, against a plain copy.

    uv run python benchmarks/bench_free_text.py                    # 1M notes, 128k-row batches
    uv run python benchmarks/bench_free_text.py --rows 200000 --distinct 0.5

The notes are synthetic and built vectorized: templates with a first name, a last name, an email, a
phone or an IP, and notes without PII. Each step runs in its own process (generate, plain copy,
free_text) so that each peak RSS is that step's own; this parent imports no data library. The plain
copy reads the Parquet file into Polars and writes it back; the masked run reads the same file in
batches, masks each with mask_batch as the pipeline does, and writes it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

KEY = "0123456789abcdef" * 4
FIRST = ["Anna", "Liam", "Sanne", "Lukas", "Chloé", "Noah", "Emma", "Daan", "Zoë", "Mila", "Finn", "Julia"]
LAST = [
    "Jansen",
    "de Vries",
    "Müller",
    "Smith",
    "O'Brien",
    "Dubois",
    "Bakker",
    "Schmidt",
    "van Dijk",
    "Martin",
]


def generate(path: str, rows: int, distinct_share: float) -> dict[str, float]:
    """`rows` notes, about `distinct_share` of them distinct; no Python loop over rows."""
    import polars as pl

    distinct = max(1, int(rows * distinct_share))
    i = pl.int_range(0, rows, eager=True) % distinct
    s = i.cast(pl.String)
    frame = pl.DataFrame(
        {
            "kind": i % 5,
            "first": pl.Series(FIRST).gather(i % len(FIRST)),
            "last": pl.Series(LAST).gather((i // 7) % len(LAST)),
            "email": pl.Series(FIRST).gather(i % len(FIRST)).str.to_lowercase().str.replace_all(r"[^a-z]", "")
            + "."
            + s
            + "@mail-"
            + (i % 89).cast(pl.String)
            + ".example.com",
            "phone": "+31 6 " + (i % 100_000_000).cast(pl.String).str.zfill(8),
            "ip": "81." + (i // 65536 % 256).cast(pl.String) + "." + (i // 256 % 256).cast(pl.String) + "."
            + (i % 256).cast(pl.String),
            "s": s,
        }
    )  # fmt: skip
    col = pl.col
    body = frame.select(
        pl.when(col("kind") == 0)
        .then(pl.concat_str([pl.lit("Spoke with "), "first", pl.lit(" ("), "email", pl.lit(", "),
                             "phone", pl.lit(") today - wants paper statements from now on.")]))
        .when(col("kind") == 1)
        .then(pl.concat_str([pl.lit("Called "), "first", pl.lit(" "), "last",
                             pl.lit(" about overdue invoice "), "s", pl.lit("; reach at "), "phone",
                             pl.lit(" after 10:00.")]))
        .when(col("kind") == 2)
        .then(pl.concat_str([pl.lit("Customer asked to update the email address to "), "email",
                             pl.lit(" after a login from "), "ip", pl.lit(".")]))
        .when(col("kind") == 3)
        .then(pl.concat_str([pl.lit("Left voicemail, will try again tomorrow morning before 10:00, "),
                             pl.lit("see ticket "), "s", pl.lit(" for the history.")]))
        .otherwise(pl.concat_str([pl.lit("Escalated to Mr "), "last",
                                  pl.lit(" in billing; a payment plan was agreed for order "), "s",
                                  pl.lit(".")]))
        .alias("body")
    )  # fmt: skip
    body.write_parquet(path)
    text = body.get_column("body")
    return {"rows": rows, "distinct": text.n_unique(), "mean_chars": float(text.str.len_chars().mean() or 0)}


def plain(path: str, out: str) -> None:
    import polars as pl

    pl.read_parquet(path).write_parquet(out)


def masked(path: str, out: str, batch_rows: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from maskpipe.hashing import key_from_text
    from maskpipe.maskers import get
    from maskpipe.maskers.base import domain_label
    from maskpipe.model import ColumnInfo, TableInfo
    from maskpipe.plan import ColumnPlan, TablePlan
    from maskpipe.transform import mask_batch

    key = key_from_text(KEY, "bench")
    masker = get("free_text")
    assert masker is not None
    params = masker.Params.model_validate({})
    info = TableInfo("public", "notes", (ColumnInfo("body", pa.string()),))
    plan = TablePlan(info, (ColumnPlan("body", "free_text", params, domain_label(masker, params), "bench"),))
    with pq.ParquetFile(path) as pf, pq.ParquetWriter(out, pf.schema_arrow) as writer:
        for batch in pf.iter_batches(batch_size=batch_rows):
            writer.write_batch(mask_batch(batch, plan, key))


def child(mode: str, path: str, args: argparse.Namespace) -> None:
    import resource
    import time

    result: dict[str, float | str] = {"mode": mode}
    start = time.perf_counter()
    if mode == "generate":
        result.update(generate(path, args.rows, args.distinct))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            out = str(Path(tmp) / "out.parquet")
            plain(path, out) if mode == "plain" else masked(path, out, args.batch_rows)
        result["rows_per_s"] = args.rows / (time.perf_counter() - start)
    result["seconds"] = time.perf_counter() - start
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--distinct", type=float, default=0.9, help="share of distinct notes")
    parser.add_argument("--batch-rows", type=int, default=128_000)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "notes.parquet")
        common = [
            "--rows",
            str(args.rows),
            "--distinct",
            str(args.distinct),
            "--batch-rows",
            str(args.batch_rows),
        ]
        for mode in ("generate", "plain", "free_text"):
            proc = subprocess.run(
                [sys.executable, __file__, *common, "--child", mode, path],
                check=True,
                capture_output=True,
                text=True,
            )
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            if mode == "generate":
                rows, distinct, chars = r["rows"], r["distinct"], r["mean_chars"]
                print(f"{rows:,.0f} notes, {distinct:,.0f} distinct, {chars:.0f} characters each")
                continue
            rate, secs, rss = r["rows_per_s"], r["seconds"], r["peak_rss_mb"]
            print(f"  {mode:<10} {rate:>10,.0f} rows/s  {secs:7.2f} s  peak RSS {rss:,.0f} MB")


if __name__ == "__main__":
    main()
