"""What a masker is: declared parameters and accepted column types, and steps of Polars expressions.

A masker never sees the user's key; it gets a MaskContext holding the subkey of its mapping domain.
Everything a masker declares here (parameters, types, uniqueness, example) is what `maskpipe maskers`
shows and what rule checks use, so the catalogue cannot drift from the code.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict

from maskpipe.steps import OUTPUT, Steps

Family = Literal[
    "string", "integer", "float", "decimal", "date", "datetime", "time", "binary", "boolean", "other"
]
ALL_FAMILIES: frozenset[Family] = frozenset(
    ("string", "integer", "float", "decimal", "date", "datetime", "time", "binary", "boolean", "other")
)

# How a masker treats a UNIQUE column: "bijective" never maps two inputs to one output (a permutation);
# "collision_resistant" maps through >= 64 keyed bits, so a collision among 10^8 values has odds below
# 10^-3 and validation would report it; "no" cannot keep a column unique (names, cities, constants).
Uniqueness = Literal["bijective", "collision_resistant", "no"]


def family(dtype: pl.DataType) -> Family:
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        return "string"
    if dtype.is_integer():
        return "integer"
    if dtype.is_float():
        return "float"
    if isinstance(dtype, pl.Decimal):
        return "decimal"
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    if dtype == pl.Time:
        return "time"
    if dtype == pl.Binary:
        return "binary"
    if dtype == pl.Boolean:
        return "boolean"
    return "other"


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Params(BaseModel):
    """Base for masker parameters: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class MaskContext:
    """The subkey of one mapping domain, plus derived subkeys for independent sub-purposes.

    `keyring` maps another domain's label to that domain's subkey. Only maskers that must reproduce
    other maskers' outputs use it (free_text: an email inside a note maps exactly as the email column
    does); the transform fills it, and without it such maskers derive stand-in subkeys from `subkey`.
    """

    subkey: str
    keyring: Callable[[str], str] | None = field(default=None, compare=False, repr=False)

    def derive(self, purpose: str) -> str:
        return hmac.new(self.subkey.encode(), purpose.encode(), hashlib.sha256).hexdigest()

    def subkey_for(self, label: str) -> str:
        """The subkey of domain `label` (see domain_label); without a keyring, a stand-in from ours."""
        if self.keyring is not None:
            return self.keyring(label)
        return self.derive(f"keyring/{label}")


class Masker(ABC):
    """One masking method. Subclasses set the class attributes and implement `steps`."""

    name: ClassVar[str]
    summary: ClassVar[str]
    accepts: ClassVar[frozenset[Family]]
    Params: ClassVar[type[BaseModel]] = NoParams
    uniqueness: ClassVar[Uniqueness] = "no"
    deterministic: ClassVar[bool] = True
    # Evaluate once per distinct value and join back; False for maskers that are cheaper than a join.
    per_distinct: ClassVar[bool] = True
    # False only where documented (e.g. `constant` with fill_nulls); the contract test checks the rest.
    null_to_null: ClassVar[bool] = True
    # Parameter names that change which output a value maps to. They are part of the mapping domain,
    # so two rules with other mapping parameters never share outputs by accident.
    mapping_params: ClassVar[tuple[str, ...]] = ()
    # (params, input, output-description) shown by `maskpipe maskers NAME`.
    example: ClassVar[tuple[dict[str, object], object, str]]

    @abstractmethod
    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        """Steps whose last one sets OUTPUT; `value` is the masked column (already of `dtype`)."""

    def output_dtype(self, dtype: pl.DataType, params: BaseModel) -> pl.DataType:
        return dtype

    def needs_columns(self, params: BaseModel) -> list[str]:
        """Sibling columns of the same row the steps read (free_text's row_columns); none by default.

        The transform gives the steps each one as pl.col(row_input(c)) (the source value) and
        pl.col(row_output(c)) (the value after that column's own masker), see maskpipe.steps.
        """
        return []

    def check_dtype(self, dtype: pl.DataType, params: BaseModel) -> str | None:
        """None when the masker can mask this dtype, else why not (shown with the rule's file:line)."""
        fam = family(dtype)
        if fam not in self.accepts:
            return (
                f"masker '{self.name}' accepts {', '.join(sorted(self.accepts))} columns, not {fam} ({dtype})"
            )
        return None


def single(expr: pl.Expr) -> Steps:
    """Steps of a masker that is one expression."""
    return [{OUTPUT: expr}]


def keep_nulls(value: pl.Expr, masked: pl.Expr) -> pl.Expr:
    return pl.when(value.is_null()).then(None).otherwise(masked)


def domain_label(masker: Masker, params: BaseModel, domain: str | None = None) -> str:
    """The mapping domain's label: domain name (default: the masker's name) + masker + mapping params.

    The subkey is derived from this label, so output = f(key, masker, mapping params, value) and two
    rules share outputs exactly when they share all three (plus the domain name).
    """
    mapping = {k: getattr(params, k) for k in masker.mapping_params}
    return f"{domain or masker.name}|{masker.name}|{json.dumps(mapping, sort_keys=True, default=str)}"
