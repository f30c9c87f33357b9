"""Masker throughput on a 10M-row column with 1M distinct values: rows/s and peak RSS per masker.

    uv run python benchmarks/bench_maskers.py                 # every masker, 10M rows
    uv run python benchmarks/bench_maskers.py --rows 1000000 email phone

Each masker runs in its own process so its peak RSS is its own. The baseline, in the same run, is a
plain copy: the same column taken from Arrow into Polars and back, unmasked (what any Polars-based
copy pays anyway). Timings include Arrow -> Polars -> Arrow, as in the pipeline.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import polars as pl
import pyarrow as pa

KEY = "0123456789abcdef" * 4


def _input(family: str, rows: int, distinct: int) -> pl.Series:
    """Synthetic, vectorized: value i % distinct, shaped like the masker's natural input."""
    i = pl.int_range(0, rows, eager=True) % distinct
    s = i.cast(pl.String)
    digits9 = s.str.zfill(9)
    match family:
        case "email":
            return "user" + s + "@corp-" + (i % 97).cast(pl.String) + ".com"
        case "phone":
            return "+31 6 " + s.str.zfill(8)
        case "iban":
            # Not all mod-97 valid inputs; the masker recomputes check digits anyway.
            return "NL" + (i % 90 + 10).cast(pl.String) + "ABNA0" + digits9
        case "card":
            return "4" + s.str.zfill(15)
        case "ssn":
            return digits9.str.slice(0, 3) + "-" + digits9.str.slice(3, 2) + "-" + digits9.str.slice(5, 4)
        case "ip":
            return (
                "10."
                + (i // 65536 % 256).cast(pl.String)
                + "."
                + (i // 256 % 256).cast(pl.String)
                + "."
                + (i % 256).cast(pl.String)
            )
        case "uuid":
            h = s.str.zfill(12)
            return "550e8400-e29b-41d4-a716-" + h
        case "postal_code":
            return (i % 9000 + 1000).cast(pl.String) + " AB"
        case "date":
            return (i % 20_000).cast(pl.Int32).cast(pl.Date)
        case "datetime":
            return (i * 1_000_003).cast(pl.Datetime("us", "UTC"))
        case "integer":
            return i.cast(pl.Int64)
        case "float":
            return i.cast(pl.Float64) * 1.37
        case "decimal":
            return (i.cast(pl.Float64) * 1.37).cast(pl.Decimal(12, 2))
        case _:
            return "Person " + s + " O'Brien"


INPUT_FOR = {
    "email": "email",
    "phone": "phone",
    "iban": "iban",
    "card": "card",
    "ssn": "ssn",
    "ip": "ip",
    "uuid": "uuid",
    "postal_code": "postal_code",
    "date_shift": "date",
    "dob": "date",
    "numeric_noise": "float",
}


def run_one(name: str, rows: int, distinct: int) -> dict[str, object]:
    from maskpipe.hashing import key_from_text
    from maskpipe.maskers import REGISTRY
    from maskpipe.model import ColumnInfo, TableInfo
    from maskpipe.plan import ColumnPlan, TablePlan
    from maskpipe.transform import mask_batch

    series = _input(INPUT_FOR.get(name, "text"), rows, distinct)
    if name == "hash":
        series = _input("text", rows, distinct)
    batch = pa.Table.from_pydict({"v": series.to_arrow()}).combine_chunks().to_batches()[0]
    key = key_from_text(KEY, "bench")
    start = time.perf_counter()
    if name == "plain_copy":
        out = pl.from_arrow(pa.Table.from_batches([batch])).to_arrow()
        n = out.num_rows
    else:
        masker = REGISTRY[name]
        params = masker.Params.model_validate(masker.example[0])
        from maskpipe.maskers.base import domain_label

        table = TableInfo("public", "t", (ColumnInfo("v", batch.schema.field("v").type),))
        plan = TablePlan(table, (ColumnPlan("v", name, params, domain_label(masker, params), "bench"),))
        n = mask_batch(batch, plan, key).num_rows
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "masker": name,
        "rows": n,
        "seconds": round(seconds, 3),
        "rows_per_s": round(n / seconds),
        "peak_rss_mb": round(peak_mb),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("maskers", nargs="*", help="maskers to run (default: all)")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--distinct", type=int, default=1_000_000)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.rows, args.distinct)))
        return
    from maskpipe.maskers import REGISTRY

    names = ["plain_copy", *(args.maskers or sorted(REGISTRY))]
    print(f"{args.rows:,} rows, {args.distinct:,} distinct values per column; one process per masker")
    print(f"{'masker':<16} {'rows/s':>14} {'x plain':>8} {'seconds':>8} {'peak RSS MB':>12}")
    baseline = None
    for name in names:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                name,
                "--rows",
                str(args.rows),
                "--distinct",
                str(args.distinct),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            print(
                f"{name:<16} failed: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode}"
            )
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        baseline = baseline or r["seconds"]
        ratio = r["seconds"] / baseline
        print(
            f"{r['masker']:<16} {r['rows_per_s']:>14,} {ratio:>8.1f} {r['seconds']:>8.2f} {r['peak_rss_mb']:>12,}",
            flush=True,
        )


if __name__ == "__main__":
    main()
