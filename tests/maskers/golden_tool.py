"""Golden vectors: (key, masker, params, dtype, input) -> output, pinned in tests/maskers/golden/*.json.

Changing a stored output is a breaking change: bump maskpipe.hashing.MAPPING_VERSION and say so in
the changelog. Regenerate one file deliberately with
`uv run python -m tests.maskers.golden_tool --write NAME` (the tests never regenerate).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from maskpipe.hashing import key_from_text
from maskpipe.maskers import REGISTRY
from maskpipe.maskers.base import MaskContext, domain_label
from maskpipe.steps import INPUT, run_steps

GOLDEN_DIR = Path(__file__).parent / "golden"
GOLDEN_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

_SIMPLE = {
    "String": pl.String,
    "Int8": pl.Int8,
    "Int16": pl.Int16,
    "Int32": pl.Int32,
    "Int64": pl.Int64,
    "UInt32": pl.UInt32,
    "UInt64": pl.UInt64,
    "Float32": pl.Float32,
    "Float64": pl.Float64,
    "Date": pl.Date,
    "Time": pl.Time,
    "Boolean": pl.Boolean,
    "Binary": pl.Binary,
}


def parse_dtype(text: str) -> pl.DataType:
    if text in _SIMPLE:
        return _SIMPLE[text]()
    if m := re.fullmatch(r"Decimal\((\d+),\s*(\d+)\)", text):
        return pl.Decimal(int(m[1]), int(m[2]))
    if m := re.fullmatch(r"Datetime\((ns|us|ms)(?:,\s*([\w/+-]+))?\)", text):
        return pl.Datetime(m[1], m[2])
    raise ValueError(f"unknown dtype in golden file: {text}")


def to_series(values: list[Any], dtype: pl.DataType) -> pl.Series:
    if dtype == pl.Date:
        return pl.Series([None if v is None else dt.date.fromisoformat(v) for v in values], dtype=dtype)
    if isinstance(dtype, pl.Datetime):
        return pl.Series([None if v is None else dt.datetime.fromisoformat(v) for v in values], dtype=dtype)
    if isinstance(dtype, pl.Decimal):
        return pl.Series([None if v is None else Decimal(v) for v in values], dtype=dtype)
    return pl.Series(values, dtype=dtype)


def to_json_values(series: pl.Series) -> list[Any]:
    out = []
    for v in series.to_list():
        if isinstance(v, dt.date | dt.datetime | dt.time):
            out.append(v.isoformat())
        elif isinstance(v, Decimal):
            out.append(str(v))
        else:
            out.append(v)
    return out


def compute(
    masker_name: str,
    key_hex: str,
    params: dict[str, Any],
    dtype: str,
    inputs: list[Any],
    domain: str | None = None,
) -> list[Any]:
    masker = REGISTRY[masker_name]
    bound = masker.Params.model_validate(params)
    key = key_from_text(key_hex, "golden")
    # keyring as the transform fills it: free_text/json reproduce other domains' pseudonyms with it.
    ctx = MaskContext(key.subkey(domain_label(masker, bound, domain)), keyring=key.subkey)
    polars_dtype = parse_dtype(dtype)
    frame = pl.DataFrame({"v": to_series(inputs, polars_dtype)})
    steps = masker.steps(pl.col(INPUT), polars_dtype, bound, ctx)
    out = run_steps(
        frame.lazy(), "v", steps, masker.per_distinct, masker.output_dtype(polars_dtype, bound)
    ).collect()
    return to_json_values(out.get_column("v"))


def load(name: str) -> dict[str, Any]:
    return json.loads((GOLDEN_DIR / f"{name}.json").read_text(encoding="utf-8"))


def rewrite(name: str) -> None:
    """Recompute the outputs of an existing golden file (inputs, keys and params stay as written)."""
    doc = load(name)
    for vec in doc["vectors"]:
        vec["output"] = compute(
            doc["masker"], vec["key"], vec["params"], vec["dtype"], vec["input"], vec.get("domain")
        )
    (GOLDEN_DIR / f"{name}.json").write_text(
        json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "--write":
        sys.exit("usage: python -m tests.maskers.golden_tool --write NAME")
    rewrite(sys.argv[2])
