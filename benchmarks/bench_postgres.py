"""PostgreSQL -> PostgreSQL: a plain `pg_dump | psql` copy against the maskpipe masked copy, same run.

    uv run python benchmarks/bench_postgres.py                 # 5M rows over related tables
    uv run python benchmarks/bench_postgres.py --scale 0.2     # 1M rows

Starts its own throwaway cluster (the test suite's, so it works as root too), generates a
production-like database (customers, orders, payments, notes with FKs, UNIQUE emails, indexes), then
times (1) `pg_dump app | psql copy_plain` and (2) `maskpipe run` into another database, with masking
on names, emails, phones, IBANs and card numbers. Prints rows/s, the ratio and maskpipe's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.pg_cluster import PgCluster, find_bindir  # noqa: E402

SCHEMA = """
CREATE TABLE customers (
    id bigint PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL, email text NOT NULL UNIQUE,
    phone text, iban text, created_at timestamptz NOT NULL, segment text
);
CREATE TABLE orders (
    id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers, total numeric(12,2) NOT NULL,
    status text NOT NULL, ordered_at timestamptz NOT NULL
);
CREATE TABLE payments (
    id bigint PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders, card_number text, amount numeric(12,2),
    paid_at timestamptz
);
CREATE INDEX orders_customer ON orders (customer_id);
CREATE INDEX payments_order ON payments (order_id);
"""

DATA = """
INSERT INTO customers SELECT g, 'First' || (g % 5000), 'Last' || (g % 20000), 'user' || g || '@corp' || (g % 97) || '.com',
    '+31 6 ' || lpad((g % 100000000)::text, 8, '0'), 'NL91ABNA' || lpad(g::text, 10, '0'),
    TIMESTAMPTZ '2020-01-01' + g * interval '1 second', (ARRAY['a','b','c'])[1 + g % 3]
  FROM generate_series(1, {customers}) g;
INSERT INTO orders SELECT g, 1 + g % {customers}, (g % 100000) / 100.0, (ARRAY['new','paid','sent'])[1 + g % 3],
    TIMESTAMPTZ '2021-01-01' + g * interval '1 second' FROM generate_series(1, {orders}) g;
INSERT INTO payments SELECT g, 1 + g % {orders}, '4' || lpad(g::text, 15, '0'), (g % 100000) / 100.0,
    TIMESTAMPTZ '2021-01-01' + g * interval '1 second' FROM generate_series(1, {payments}) g;
ANALYZE;
"""

RULES = {
    "customers.yaml": "table: customers\ncolumns:\n  first_name: first_name\n  last_name: last_name\n"
    "  email: email\n  phone: phone\n  iban: iban\n",
    "payments.yaml": "table: payments\ncolumns:\n  card_number: card\n",
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="1.0 = 5M rows (1M customers, 2.5M orders, 1.5M payments)"
    )
    args = parser.parse_args()
    counts = {
        "customers": int(1_000_000 * args.scale),
        "orders": int(2_500_000 * args.scale),
        "payments": int(1_500_000 * args.scale),
    }
    total = sum(counts.values())
    cluster = PgCluster.start(find_bindir())
    try:
        cluster.create_database("app")
        start = time.perf_counter()
        cluster.execute("app", SCHEMA + DATA.format(**counts))
        print(f"generated {total:,} rows in {time.perf_counter() - start:.1f} s: {counts}")

        cluster.create_database("copy_plain")
        start = time.perf_counter()
        dump = subprocess.Popen(
            [str(cluster.bindir / "pg_dump"), "--no-owner", "-d", cluster.uri("app")], stdout=subprocess.PIPE
        )
        subprocess.run(
            [
                str(cluster.bindir / "psql"),
                "-q",
                "-X",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                cluster.uri("copy_plain"),
            ],
            stdin=dump.stdout,
            stdout=subprocess.DEVNULL,
            check=True,
        )
        dump.wait()
        plain = time.perf_counter() - start

        with tempfile.TemporaryDirectory() as tmp:
            rules = Path(tmp) / "rules"
            rules.mkdir()
            for name, text in RULES.items():
                (rules / name).write_text(text)
            env = dict(os.environ, MASKPIPE_KEY="bench-" + "k" * 40)
            start = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "maskpipe.cli.main",
                    "run",
                    str(rules),
                    "--source",
                    cluster.uri("app"),
                    "--dest",
                    cluster.uri("copy_masked"),
                    "--json",
                    str(Path(tmp) / "run.json"),
                ],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            masked = time.perf_counter() - start
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            report = json.loads((Path(tmp) / "run.json").read_text())
            tables = {t["table"]: t["seconds"] for t in report["tables"]}
        print(f"{'copy':<22} {'seconds':>8} {'rows/s':>12}")
        print(f"{'pg_dump | psql':<22} {plain:>8.1f} {total / plain:>12,.0f}")
        print(f"{'maskpipe run (masked)':<22} {masked:>8.1f} {total / masked:>12,.0f}")
        # Tables run --jobs at a time (default 2), so their times overlap and do not add up.
        print(
            f"maskpipe time: tables {', '.join(f'{k} {v:.1f} s' for k, v in tables.items())} (overlapping); "
            f"run {report['seconds']:.1f} s (schema, tables, indexes/constraints, sequences, swap); "
            f"start-up and checks {masked - report['seconds']:.1f} s"
        )
        print(
            f"ratio masked / plain: {masked / plain:.2f}x; peak RSS of the largest child (maskpipe): {peak_mb:,.0f} MB"
        )
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
