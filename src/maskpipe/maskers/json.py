"""json: column maskers applied at JSON paths, free_text on every other string; documents stay valid JSON.

Each distinct document is parsed and re-serialised once in Python (# per-distinct): Polars'
`str.json_decode` needs one schema for all documents, and real payloads vary. The string leaves of all
documents are masked together, vectorized, with the same engine as free_text; text that is not JSON
(truncated, Python dicts, key=value lines) is masked as free text as a whole.
"""

from __future__ import annotations

import json
import re
from typing import Any

import polars as pl
from pydantic import BaseModel, Field, field_validator

from maskpipe.maskers.base import MaskContext, Masker
from maskpipe.maskers.free_text import EntityMasker, FreeTextParams, mask_texts, mask_with
from maskpipe.steps import INPUT, OUTPUT, Steps, row_input, row_output

# Entities a JSON key's name may point at -> the column masker used for its string values.
KEY_MASKERS = {
    "email": "email",
    "phone": "phone",
    "first_name": "first_name",
    "last_name": "last_name",
    "full_name": "full_name",
    "street_address": "street_address",
    "city": "city",
    "postal_code": "postal_code",
    "ssn": "ssn",
    "iban": "iban",
    "card": "card",
    "ip": "ip",
}
_PATH_TOKEN = re.compile(
    r"\.\.(\w+|\*)|\.(\w+|\*)|\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]|\[\s*(\*|\d+)\s*\]"
)


def parse_path(path: str) -> list[tuple[str, str | int]]:
    """'$.a..b[*].c[0]' -> [("key","a"), ("deep","b"), ("index","*"), ("key","c"), ("index",0)]."""
    if not path.startswith("$"):
        raise ValueError(f"JSON path '{path}' must start with '$' (e.g. $.contact.email)")
    out: list[tuple[str, str | int]] = []
    rest = path[1:]
    while rest:
        m = _PATH_TOKEN.match(rest)
        if m is None:
            raise ValueError(
                f"cannot read JSON path '{path}' at '{rest}'; use $.key, $..key, $['key'], [*] or [0]"
            )
        deep, key, quoted1, quoted2, index = m.groups()
        if deep is not None:
            out.append(("deep", deep))
        elif key is not None:
            out.append(("key", key))
        elif quoted1 is not None or quoted2 is not None:
            out.append(("key", quoted1 if quoted1 is not None else quoted2 or ""))
        else:
            out.append(("index", "*" if index == "*" else int(index)))
        rest = rest[m.end() :]
    return out


def path_matches(pattern: list[tuple[str, str | int]], concrete: tuple[str | int, ...]) -> bool:
    if not pattern:
        return not concrete
    kind, want = pattern[0]
    if kind == "deep":
        # ..key: the key at this level or any deeper one
        return any(
            isinstance(concrete[i], str)
            and (want in ("*", concrete[i]))
            and path_matches(pattern[1:], concrete[i + 1 :])
            for i in range(len(concrete))
        )
    if not concrete:
        return False
    head = concrete[0]
    if kind == "key":
        ok = isinstance(head, str) and want in ("*", head)
    else:
        ok = isinstance(head, int) and want in ("*", head)
    return ok and path_matches(pattern[1:], concrete[1:])


class JsonParams(FreeTextParams):
    paths: dict[str, EntityMasker] = Field(
        default_factory=dict,
        description='JSON path -> column rule for the values there, e.g. {"$.contact.email": email, '
        "\"$..iban\": {masker: iban}}; paths: $.key, $..key (any depth), $['key'], [*], [0]",
    )
    keys: bool = Field(
        True, description="mask string values under PII-named keys (email, phone, iban ...) with that masker"
    )
    free_text: bool = Field(
        True, description="mask PII inside every other string value (and in text that is not JSON)"
    )

    @field_validator("paths", mode="before")
    @classmethod
    def _path_shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ({"masker": v} if isinstance(v, str) else v) for k, v in value.items()}
        return value

    @field_validator("paths")
    @classmethod
    def _paths_parse(cls, value: dict[str, EntityMasker]) -> dict[str, EntityMasker]:
        for path in value:
            parse_path(path)
        return value


class Json(Masker):
    """Mask JSON documents: column maskers at given paths, free_text on the other strings; valid JSON out.

    Example: `payload: {masker: json, params: {paths: {"$.contact.email": email}}}` ->
    '{"contact": {"email": "ana@corp.io"}, "note": "call Ana on +31 6 12345678"}' becomes
    '{"contact": {"email": "liam.k3v...@example.net"}, "note": "call Liam on +31 6 ..."}': the email at the
    path gets the email column's pseudonym, keys named like PII (email, phone, iban, ...) get their
    masker, other strings get free_text. Keys, numbers, booleans and structure are kept; a document is
    re-serialised in its own style (separators, ASCII escapes, indent) and left byte-identical when
    nothing in it changed. Text that does not parse as JSON is masked as free text.
    """

    name = "json"
    summary = (
        "JSON documents: column maskers at paths and PII-named keys, free_text elsewhere; stays valid JSON"
    )
    accepts = frozenset({"string"})
    Params = JsonParams
    uniqueness = "no"
    example = (
        {"paths": {"$.contact.email": "email"}},
        '{"contact": {"email": "ana@corp.io"}}',
        "the same document, email masked",
    )

    def needs_columns(self, params: BaseModel) -> list[str]:
        assert isinstance(params, JsonParams)
        return list(params.row_columns)

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        assert isinstance(params, JsonParams)
        pairs = [(row_input(c), row_output(c)) for c in params.row_columns]

        def run(work: pl.LazyFrame) -> pl.LazyFrame:
            frame = work.collect()
            return frame.with_columns(mask_documents(frame, INPUT, params, ctx, pairs).alias(OUTPUT)).lazy()

        return [run]


def mask_documents(
    frame: pl.DataFrame, column: str, params: JsonParams, ctx: MaskContext, pairs: list[tuple[str, str]]
) -> pl.Series:
    """The masked documents of `frame[column]`, one per row (nulls stay null, "" stays "")."""
    from maskpipe.scan.names import classify_name

    extra = [c for pair in pairs for c in pair]
    units = frame.select(pl.col(column).cast(pl.String).alias("doc"), *extra).with_row_index("u")
    patterns = [(parse_path(p), spec) for p, spec in params.paths.items()]
    parsed: dict[int, Any] = {}
    leaves: list[tuple[int, int, str, str]] = []  # unit, leaf number, target, value
    for u, doc in zip(
        units.get_column("u").to_list(), units.get_column("doc").to_list(), strict=True
    ):  # per-distinct
        if doc is None or doc.strip() == "":
            continue
        try:
            tree = json.loads(doc)
        except ValueError:
            continue
        parsed[u] = tree
        for n, (path, leaf) in enumerate(_leaves(tree, ())):
            target = _target(path, leaf, patterns, params, classify_name)
            if target is not None:
                leaves.append((u, n, target, leaf if isinstance(leaf, str) else json.dumps(leaf)))
    masked_leaves = _mask_leaves(leaves, units, params, ctx, pairs)
    out: list[str | None] = []
    text_units = [u for u, doc in enumerate(units.get_column("doc").to_list()) if u not in parsed]
    for u, doc in enumerate(units.get_column("doc").to_list()):  # per-distinct
        if u not in parsed:
            out.append(doc)
            continue
        changes = masked_leaves.get(u, {})
        out.append(_rebuild(doc, parsed[u], changes) if changes else doc)
    result = pl.Series(column, out, dtype=pl.String)
    if params.free_text and text_units:
        # Not JSON (or empty): the whole text is free text; "" and nulls come back as they are.
        sub = units.filter(pl.col("u").is_in(text_units))
        masked = mask_texts(sub, "doc", params, ctx, pairs if pairs else None)
        result = result.scatter(text_units, masked)
    return result


def _leaves(node: Any, path: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], Any]]:
    """Scalar leaves in document order (the order _rebuild walks them in)."""
    if isinstance(node, dict):
        return [leaf for k, v in node.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(node, list):
        return [leaf for i, v in enumerate(node) for leaf in _leaves(v, (*path, i))]
    return [(path, node)]


def _target(
    path: tuple[str | int, ...],
    leaf: Any,
    patterns: list[tuple[list[tuple[str, str | int]], EntityMasker]],
    params: JsonParams,
    classify_name: Any,
) -> str | None:
    if leaf is None or isinstance(leaf, bool):
        return None
    for i, (pattern, _) in enumerate(patterns):
        if path_matches(pattern, path):
            return f"path:{i}"
    if not isinstance(leaf, str):
        return None
    key = next((p for p in reversed(path) if isinstance(p, str)), None)
    if params.keys and key:
        hint = classify_name(key)
        # A weak hint ("name" alone: products, files) is left to free_text, which needs a person's name.
        if hint is not None and hint.entity in KEY_MASKERS and hint.confidence >= 0.5:
            return f"key:{KEY_MASKERS[hint.entity]}"
    return "text" if params.free_text else None


def _mask_leaves(
    leaves: list[tuple[int, int, str, str]],
    units: pl.DataFrame,
    params: JsonParams,
    ctx: MaskContext,
    pairs: list[tuple[str, str]],
) -> dict[int, dict[int, str]]:
    """unit -> leaf number -> masked value, every target masked vectorized over distinct values."""
    if not leaves:
        return {}
    frame = pl.DataFrame(
        leaves, schema={"u": pl.UInt32, "n": pl.Int64, "target": pl.String, "v": pl.String}, orient="row"
    )
    parts = []
    for target in frame.get_column("target").unique().sort().to_list():
        sub = frame.filter(pl.col("target") == target)
        if target == "text":
            with_rows = sub.join(units.drop("doc"), on="u", how="left") if pairs else sub
            masked = mask_texts(with_rows, "v", params, ctx, pairs if pairs else None)
            parts.append(sub.with_columns(out=masked))
            continue
        if target.startswith("path:"):
            spec = list(params.paths.values())[int(target.split(":", 1)[1])]
            mapping = mask_with(spec, sub.get_column("v"), ctx)
        else:
            mapping = mask_with(
                EntityMasker(masker=target.split(":", 1)[1]), sub.get_column("v"), ctx, fallback=True
            )
        parts.append(sub.join(mapping, on="v", how="left"))
    masked_frame = pl.concat(parts).filter(pl.col("out") != pl.col("v"))
    out: dict[int, dict[int, str]] = {}
    for u, n, value in masked_frame.select("u", "n", "out").iter_rows():  # per-distinct: changed leaves only
        out.setdefault(u, {})[n] = value
    return out


def _rebuild(original: str, tree: Any, changes: dict[int, str]) -> str:
    counter = iter(range(1 << 62))

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        n = next(counter)
        if n not in changes:
            return node
        new = changes[n]
        if isinstance(node, str) or new is None:
            return new
        # A number at a path: keep it a number when the masked text still is one.
        try:
            return json.loads(new) if isinstance(json.loads(new), int | float) else new
        except ValueError:
            return new

    return _dump(original, walk(tree))


def _dump(original: str, tree: Any) -> str:
    """Serialise in the source document's own style: separators, ASCII escapes, indentation."""
    ascii_only = original.isascii()
    indent: int | None = None
    if "\n" in original.strip():
        second = original.strip().split("\n", 1)[1]
        indent = len(second) - len(second.lstrip(" ")) or None
    compact = indent is None and '": ' not in original and '", ' not in original and ", " not in original
    separators = (",", ":") if compact else ((",", ": ") if indent else (", ", ": "))
    return json.dumps(tree, ensure_ascii=ascii_only, indent=indent, separators=separators)


MASKER = Json()
