"""structure on PostgreSQL: constraints are counted by kind per table in pg_constraint and must be validated;
a constraint dropped from the copy, or re-added NOT VALID, is named and exits 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from maskpipe.hashing import MaskingKey
from maskpipe.pipeline import run
from maskpipe.rules.model import load_rules
from maskpipe.validate import validate

pytestmark = pytest.mark.postgres

SCHEMA = """
CREATE TABLE public.customer (
    id serial PRIMARY KEY, email text NOT NULL UNIQUE, age integer CHECK (age >= 0), note text
);
CREATE TABLE public.orders (
    id serial PRIMARY KEY, customer_id integer NOT NULL REFERENCES public.customer (id), total numeric(10, 2)
);
INSERT INTO public.customer (email, age, note)
    SELECT 'person' || g || '@corp.example', g % 90, 'call person' || g || '@corp.example'
      FROM generate_series(1, 200) g;
INSERT INTO public.orders (customer_id, total) SELECT 1 + g % 200, g * 1.5 FROM generate_series(1, 500) g;
"""


def test_validate_postgres_missing_and_unvalidated_constraints_are_named(
    pg_dbs, tmp_path: Path, package_key: MaskingKey, cli
) -> None:
    pg_dbs.cluster.execute(pg_dbs.source, SCHEMA)
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "customer.yaml").write_text(
        "table: customer\ncolumns:\n  email: {masker: hash, params: {format: token}}\n  note: redact\n"
    )
    run(rules, pg_dbs.source_uri, pg_dbs.dest_uri, package_key)
    assert validate(load_rules(rules), pg_dbs.source_uri, pg_dbs.dest_uri, package_key).findings == []

    pg_dbs.cluster.execute(
        pg_dbs.dest,
        "ALTER TABLE public.customer DROP CONSTRAINT customer_age_check;"
        "ALTER TABLE public.orders DROP CONSTRAINT orders_customer_id_fkey;"
        "ALTER TABLE public.orders ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id)"
        " REFERENCES public.customer (id) NOT VALID;",
    )
    result = cli("validate", str(rules), "--source", pg_dbs.source_uri, "--dest", pg_dbs.dest_uri)

    assert result.code == 1
    assert (
        "structure: public.customer: 1 of 1 CHECK constraints missing from the copy: customer_age_check."
        in result.out
    )
    assert (
        "structure: public.orders: FOREIGN KEY constraint orders_customer_id_fkey is NOT VALID in the copy "
        "(validated in the source)." in result.out
    )
    assert "@corp.example" not in result.out + result.err
