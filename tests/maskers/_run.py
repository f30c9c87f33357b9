"""Run one registered masker over a Series under a test key, as the pipeline would (via run_steps)."""

from __future__ import annotations

from typing import Any

import polars as pl
from tests.conftest import TEST_KEY_HEX

from maskpipe.hashing import key_from_text
from maskpipe.maskers import REGISTRY
from maskpipe.maskers.base import MaskContext, domain_label
from maskpipe.steps import INPUT, run_steps


def mask(
    name: str,
    values: pl.Series,
    key_hex: str = TEST_KEY_HEX,
    *,
    per_distinct: bool | None = None,
    **params: Any,
) -> pl.Series:
    """The masked Series; `per_distinct` overrides the masker's own choice (both must agree)."""
    masker = REGISTRY[name]
    bound = masker.Params.model_validate(params)
    problem = masker.check_dtype(values.dtype, bound)
    assert problem is None, problem
    ctx = MaskContext(key_from_text(key_hex, "test").subkey(domain_label(masker, bound)))
    steps = masker.steps(pl.col(INPUT), values.dtype, bound, ctx)
    distinct = masker.per_distinct if per_distinct is None else per_distinct
    frame = pl.LazyFrame({"v": values})
    out = run_steps(frame, "v", steps, distinct, masker.output_dtype(values.dtype, bound)).collect()
    return out.get_column("v")
