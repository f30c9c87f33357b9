"""`maskpipe maskers [NAME]`: the catalogue, rendered from the registry (never written by hand)."""

from __future__ import annotations

import inspect
import json

import click

from maskpipe import maskers as registry
from maskpipe.maskers.base import Masker


def _type_name(annotation: object) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def describe(masker: Masker) -> dict[str, object]:
    params = {}
    for name, field in masker.Params.model_fields.items():
        params[name] = {
            "type": _type_name(field.annotation),
            "default": None if field.is_required() else field.get_default(call_default_factory=True),
            "required": field.is_required(),
            "description": field.description or "",
            "mapping": name in masker.mapping_params,
        }
    example_params, example_in, example_out = masker.example
    return {
        "name": masker.name,
        "summary": masker.summary,
        "accepts": sorted(masker.accepts),
        "uniqueness": masker.uniqueness,
        "deterministic": masker.deterministic,
        "null_to_null": masker.null_to_null,
        "params": params,
        "example": {"params": example_params, "input": example_in, "output": example_out},
        "doc": inspect.cleandoc(type(masker).__doc__ or ""),
    }


def markdown_table() -> str:
    """The README's masker table, generated from the registry."""
    rows = ["| masker | what it does | column types | keeps UNIQUE |", "|---|---|---|---|"]
    for name in sorted(registry.REGISTRY):
        m = registry.REGISTRY[name]
        rows.append(f"| `{name}` | {m.summary} | {', '.join(sorted(m.accepts))} | {m.uniqueness} |")
    return "\n".join(rows)


@click.command()
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.option("--markdown", is_flag=True, help="Print the catalogue as a Markdown table (for the README).")
def maskers(name: str | None, as_json: bool, markdown: bool) -> None:
    """List the maskers, or show one masker's parameters, accepted column types and an example."""
    if markdown:
        click.echo(markdown_table())
        return
    if name is None:
        if as_json:
            click.echo(json.dumps([describe(m) for m in registry.REGISTRY.values()], indent=2, default=str))
            return
        width = max(len(n) for n in registry.REGISTRY)
        for n in sorted(registry.REGISTRY):
            m = registry.REGISTRY[n]
            click.echo(f"{n:<{width}}  {m.summary}  [{', '.join(sorted(m.accepts))}]")
        click.echo("\n`maskpipe maskers NAME` shows parameters and an example.")
        return
    masker = registry.get(name)
    if masker is None:
        import difflib

        close = difflib.get_close_matches(name, list(registry.REGISTRY), n=1)
        hint = f" Hint: did you mean '{close[0]}'?" if close else " Hint: `maskpipe maskers` lists them."
        raise click.UsageError(f"unknown masker '{name}'.{hint}")
    info = describe(masker)
    if as_json:
        click.echo(json.dumps(info, indent=2, default=str))
        return
    click.echo(f"{info['name']}: {info['summary']}")
    click.echo(
        f"  accepts: {', '.join(info['accepts'])}    keeps UNIQUE: {info['uniqueness']}    nulls stay null: {info['null_to_null']}"
    )
    params = info["params"]
    assert isinstance(params, dict)
    if params:
        click.echo("  parameters:")
        for pname, p in params.items():
            req = "required" if p["required"] else f"default {p['default']!r}"
            mapping = ", changes the mapping" if p["mapping"] else ""
            click.echo(f"    {pname} ({p['type']}, {req}{mapping}): {p['description']}")
    example = info["example"]
    assert isinstance(example, dict)
    click.echo(f"  example: params {example['params']}: {example['input']!r} -> {example['output']}")
    click.echo("")
    click.echo(str(info["doc"]))
