"""The rule model: one YAML file per table says which masker applies to which column.

    # rules/public.people.yaml
    table: public.people
    columns:
      email: email                      # shorthand: masker name only
      first_name: {masker: first_name, params: {locale: nl}}
      ssn: {masker: ssn, domain: national_id}   # rules sharing a domain map alike
    virtual_foreign_keys:
      - {columns: [owner_email], references: public.users, ref_columns: [email]}

A table may say `skip: true` (not copied at all). Columns without a rule are copied unchanged.
Files whose name starts with "_" are not table rules: `_defaults.yaml` holds source/dest defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from maskpipe.model import MaskpipeError, Problem
from maskpipe.rules.loader import LocatedDocument, load_yaml

DEFAULTS_FILE = "_defaults.yaml"
EXAMPLE = "columns:\n  email: email\n  first_name: {masker: first_name, params: {locale: en}}"


class ColumnRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    masker: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    domain: str | None = Field(None, min_length=1, description="mapping domain; default: the masker's name")


class VirtualForeignKey(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: list[str] = Field(min_length=1)
    references: str = Field(min_length=1, description="referenced table, e.g. public.users")
    ref_columns: list[str] = Field(min_length=1)


class TableRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    table: str = Field(min_length=1)
    skip: bool = False
    columns: dict[str, ColumnRule] = Field(default_factory=dict)
    virtual_foreign_keys: list[VirtualForeignKey] = Field(default_factory=list)

    @field_validator("columns", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        # `email: email` is short for `email: {masker: email}`.
        if isinstance(value, dict):
            return {k: ({"masker": v} if isinstance(v, str) or v is None else v) for k, v in value.items()}
        return value


class Defaults(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str | None = None
    dest: str | None = None


@dataclass(frozen=True)
class LocatedRules:
    rules: TableRules
    doc: LocatedDocument

    def where(self, *path: str | int) -> str:
        return self.doc.where(path)


@dataclass
class RuleSet:
    folder: Path
    tables: list[LocatedRules] = field(default_factory=list)
    defaults: Defaults = field(default_factory=Defaults)


def _pydantic_problems(
    exc: ValidationError, doc: LocatedDocument, prefix: tuple[str | int, ...] = ()
) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = (*prefix, *err["loc"])
        if err["type"] == "extra_forbidden":
            key = loc[-1]
            problems.append(
                Problem(
                    doc.where((*loc, "__key__")),
                    f"unknown key '{key}'.",
                    f"allowed here: {', '.join(sorted(_allowed_keys(loc)))}. Example:\n{EXAMPLE}",
                )
            )
        elif loc and loc[-1] == "masker" and err.get("input") is None:
            problems.append(
                Problem(
                    doc.where(loc),
                    "masker is empty.",
                    "YAML reads a bare null as nothing: write masker: 'null' in quotes.",
                )
            )
        else:
            field_name = ".".join(str(p) for p in loc) or "file"
            problems.append(Problem(doc.where(loc), f"{field_name}: {err['msg']}.", f"Example:\n{EXAMPLE}"))
    return problems


def _allowed_keys(loc: tuple[str | int, ...]) -> list[str]:
    if len(loc) == 2:
        return list(TableRules.model_fields)
    if len(loc) >= 3 and loc[0] == "columns":
        return list(ColumnRule.model_fields)
    if len(loc) >= 3 and loc[0] == "virtual_foreign_keys":
        return list(VirtualForeignKey.model_fields)
    return list(TableRules.model_fields)


def load_rules(folder: Path) -> RuleSet:
    """Every rule file of a folder, checked for shape; raises MaskpipeError listing every problem."""
    if not folder.is_dir():
        raise MaskpipeError(
            Problem(
                str(folder),
                "rules folder not found.",
                "pass RULES_DIR or create rules/ with one YAML file per table.",
            )
        )
    ruleset = RuleSet(folder)
    problems: list[Problem] = []
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    for path in files:
        doc, found = load_yaml(path, _display(path))
        problems += found
        if doc is None:
            continue
        if not isinstance(doc.data, dict):
            problems.append(Problem(doc.where(), "a rule file must be a mapping.", f"Example:\n{EXAMPLE}"))
            continue
        if path.name.startswith("_"):
            if path.name == DEFAULTS_FILE:
                try:
                    ruleset.defaults = Defaults.model_validate(doc.data)
                except ValidationError as exc:
                    problems += _pydantic_problems(exc, doc)
            continue
        data = dict(doc.data)
        data.setdefault("table", path.stem)  # rules/public.people.yaml names its table by default
        try:
            ruleset.tables.append(LocatedRules(TableRules.model_validate(data), doc))
        except ValidationError as exc:
            problems += _pydantic_problems(exc, doc)
    if problems:
        raise MaskpipeError(problems)
    return ruleset


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
