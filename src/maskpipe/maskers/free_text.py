"""free_text: the PII inside text replaced by exactly the pseudonyms the column maskers give.

Three passes, all over distinct texts: (1) the row's own values of sibling columns (`row_columns`),
replaced by what their column maskers made of them; (2) vectorized recognizers
(maskers/_recognizers.py): each candidate is wrapped in private-use marks by `str.replace_all`, the
text is split at the marks into pieces, the distinct candidates are classified (checksums included)
and masked with the column maskers' own steps, and the pieces are joined back; (3) optionally
Presidio, last, once per distinct piece of text the recognizers left.

Why split and join instead of `str.extract_all` + `str.replace_many`: replace_many takes one pattern
list for the whole column (Polars 2.1: "not yet implemented: str.replace_many with a pattern per
row"), so every row's matches would be searched in every other row, word boundaries included; pieces
keep each replacement exactly where its match was.
"""

from __future__ import annotations

from typing import Any, Literal

import polars as pl
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from maskpipe.maskers import _recognizers as rec
from maskpipe.maskers.base import MaskContext, Masker, Params, domain_label
from maskpipe.steps import INPUT, OUTPUT, Steps, apply_steps, row_input, row_output

# Private-use characters mark pieces of text between passes. Source text never keeps them: they are
# removed first (a documented, practically unused range).
SEP = "\ue000"  # piece boundary
CAND = "\ue001"  # a piece that is a recognizer candidate
PRESIDIO = "\ue003"  # a piece Presidio found: kind, KIND_END, value
KIND_END = "\ue004"
DONE = "\ue005"  # already masked (a row value), kept as it is
PRIVATE = "[\ue000-\ue005]"

Kind = Literal["email", "iban", "card", "ssn", "uuid", "ip", "phone", "address", "person"]
DEFAULT_DETECT: tuple[Kind, ...] = ("email", "iban", "card", "ssn", "ip", "phone", "address", "person")

# Which column masker (default domain) each kind of PII in text maps through. A person's name is
# masked token-wise: the first token as a first name, the rest as a last name.
DEFAULT_MASKERS: dict[str, str] = {
    "email": "email",
    "phone": "phone",
    "iban": "iban",
    "card": "card",
    "ssn": "ssn",
    "ip": "ip",
    "uuid": "uuid",
    "address": "street_address",
    "first_name": "first_name",
    "last_name": "last_name",
    "city": "city",
}
# Stand-in for a kind whose masker is not registered: keyed, same length.
FALLBACK = ("hash", {"format": "token"})


class EntityMasker(Params):
    masker: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    domain: str | None = Field(None, min_length=1, description="mapping domain; default: the masker's name")

    @model_validator(mode="after")
    def _known(self) -> EntityMasker:
        """Refuse an unknown masker or bad params when the rules are checked, not mid-run."""
        from maskpipe import maskers

        registry = getattr(maskers, "REGISTRY", None)
        if registry is None:  # while the registry itself is being built
            return self
        masker = registry.get(self.masker)
        if masker is None:
            raise ValueError(f"unknown masker '{self.masker}' (see `maskpipe maskers`)")
        try:
            masker.Params.model_validate(self.params)
        except ValidationError as exc:
            reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ValueError(f"params of masker '{self.masker}': {reasons}") from None
        return self


class FreeTextParams(Params):
    detect: tuple[Kind, ...] = Field(DEFAULT_DETECT, description="kinds of PII to find and mask")
    maskers: dict[str, EntityMasker] = Field(
        default_factory=dict,
        description="per kind (email, phone, iban, card, ssn, ip, uuid, address, first_name, last_name, "
        "city), "
        "the column rule whose pseudonyms text gets; give the same masker, params and domain as the column "
        "rule so both map alike. Default: that masker with default params and domain",
    )
    row_columns: tuple[str, ...] = Field(
        (),
        description="sibling columns whose value in the same row is replaced first, by that column's "
        "masked value",
    )
    presidio: bool = Field(False, description="also run Presidio (offline) once per distinct text; slower")
    presidio_score: float = Field(0.5, ge=0, le=1, description="lowest Presidio score taken")

    @field_validator("maskers", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ({"masker": v} if isinstance(v, str) else v) for k, v in value.items()}
        return value

    @field_validator("maskers")
    @classmethod
    def _known_kinds(cls, value: dict[str, EntityMasker]) -> dict[str, EntityMasker]:
        unknown = sorted(set(value) - set(DEFAULT_MASKERS))
        if unknown:
            raise ValueError(
                f"unknown kind(s) {', '.join(unknown)}; known: {', '.join(sorted(DEFAULT_MASKERS))}"
            )
        return value


class FreeText(Masker):
    """Mask the emails, phones, SSNs, cards, IBANs, IPs, names and street addresses inside text.

    Example: `body: {masker: free_text, params: {row_columns: [first_name, email]}}` -> "Spoke with Ana
    (ana@corp.io, +31 6 12345678)" becomes "Spoke with Liam (liam.k3v...@example.net, +31 6 ...)": each
    piece becomes exactly what its column masker (email, phone, first_name ...) makes of it under the
    same key, so a masked note still names the masked person. Text around the PII is kept. Names are
    found by the row's own columns, by a cue (Mr, Dear, Called, Customer ...), a possessive, or the
    name dictionaries; Presidio (offline, `presidio: true`) adds its findings, and with a local spaCy
    model (MASKPIPE_SPACY_MODEL) its named-entity recognition. Cost follows distinct texts.
    """

    name = "free_text"
    summary = "PII inside text replaced with the column maskers' pseudonyms (regex, dictionaries, Presidio)"
    accepts = frozenset({"string"})
    Params = FreeTextParams
    uniqueness = "no"
    example = (
        {},
        "Mail ana@corp.io or call +31 6 12345678",
        "Mail <email masker output> or call <phone ...>",
    )

    def needs_columns(self, params: BaseModel) -> list[str]:
        assert isinstance(params, FreeTextParams)
        return list(params.row_columns)

    def steps(self, value: pl.Expr, dtype: pl.DataType, params: BaseModel, ctx: MaskContext) -> Steps:
        assert isinstance(params, FreeTextParams)
        pairs = [(row_input(c), row_output(c)) for c in params.row_columns]

        def run(work: pl.LazyFrame) -> pl.LazyFrame:
            # Evaluated here: the distinct candidates feed one sub-plan per masker.
            frame = work.collect()
            return frame.with_columns(mask_texts(frame, INPUT, params, ctx, pairs).alias(OUTPUT)).lazy()

        return [run]


# ------------------------------------------------------------------------------------------- engine
def mask_texts(
    frame: pl.DataFrame,
    column: str,
    params: FreeTextParams,
    ctx: MaskContext,
    pairs: list[tuple[str, str]] | None = None,
) -> pl.Series:
    """The masked text of `frame[column]` (nulls stay null, "" stays ""), one value per row."""
    text = frame.get_column(column).cast(pl.String).str.replace_all(PRIVATE, "")
    if pairs:
        rows = pl.DataFrame({"__t": text}).with_columns(
            [frame.get_column(src).cast(pl.String).alias(f"__o{i}") for i, (src, _) in enumerate(pairs)]
            + [frame.get_column(dst).cast(pl.String).alias(f"__m{i}") for i, (_, dst) in enumerate(pairs)]
        )
        text = _row_values(rows, len(pairs))
    text = _whole_name(text) if "person" in params.detect else text
    return _recognize(text, params, ctx).alias(frame.get_column(column).name)


def _row_values(rows: pl.DataFrame, n: int) -> pl.Series:
    """Replace each row's own sibling values, longest first, where they stand as whole words."""
    current = rows.get_column("__t")
    # In the declared order, never by data: the result must not depend on which rows share a batch.
    for i in range(n):
        orig, masked = pl.col(f"__o{i}"), pl.col(f"__m{i}").fill_null("")
        frame = rows.select(pl.lit(current).alias("t"), orig.alias("o"), masked.alias("m")).with_row_index(
            "r"
        )
        hit = (
            pl.col("o").is_not_null()
            & (pl.col("o").str.len_chars() >= 2)
            & (pl.col("o") != pl.col("m"))
            & pl.col("t").str.contains(pl.col("o"), literal=True).fill_null(False)
        )
        pieces = (
            frame.filter(hit)
            .select("r", "o", "m", pl.col("t").str.split(pl.col("o")).alias("p"))
            .explode("p")
            .with_columns(i=pl.int_range(pl.len()).over("r"), n=pl.len().over("r"))
            .with_columns(nxt=pl.col("p").shift(-1).over("r"))
        )
        # A value glued to letters, digits or an address on either side is part of another word.
        left_bad = pl.col("o").str.contains(r"^\w") & pl.col("p").str.contains(r"(?:[\w@+\-]|\w\.)$")
        right_bad = pl.col("o").str.contains(r"\w$") & pl.col("nxt").str.contains(r"^(?:[\w@\-]|\.\w)")
        glue = (
            pl.when(pl.col("i") == pl.col("n") - 1)
            .then(pl.lit(""))
            .when(left_bad | right_bad)
            .then(pl.col("o"))
            .otherwise(pl.concat_str([pl.lit(SEP + DONE), pl.col("m"), pl.lit(SEP)]))
        )
        joined = (
            pieces.with_columns(q=pl.concat_str([pl.col("p"), glue]))
            .group_by("r", maintain_order=True)
            .agg(pl.col("q").str.join(""))
        )
        current = (
            frame.join(joined, on="r", how="left", maintain_order="left")
            .select(pl.coalesce("q", "t"))
            .to_series()
        )
    return current


def _whole_name(text: pl.Series) -> pl.Series:
    """A text that is nothing but a name of 2-4 words (a JSON "name" value, a display name) is a name."""
    bare = text.str.strip_chars()
    is_name = bare.str.contains(rf"^{rec.NAME_SEQ}$") & (bare.str.count_matches(r"\s+") >= 1)
    marked = pl.concat_str([pl.lit(SEP + PRESIDIO + "person" + KIND_END), text, pl.lit(SEP)])
    return pl.select(pl.when(is_name.fill_null(False)).then(marked).otherwise(text)).to_series()


def _recognize(text: pl.Series, params: FreeTextParams, ctx: MaskContext) -> pl.Series:
    """Split text into plain and candidate pieces pass by pass, mask the candidates, join the pieces."""
    kinds = set(params.detect) | {"date", "uuid"}
    marked = pl.col("p").str.contains(f"^[{CAND}{PRESIDIO}{DONE}]")
    frame = pl.DataFrame({"t": text}).with_row_index("r")
    pieces = (
        frame.filter(pl.col("t").is_not_null())
        .select("r", pl.col("t").str.split(SEP).alias("p"))
        .explode("p")
    )
    for group in rec.PASSES:
        wanted = tuple(k for k in group if k in kinds)
        if not wanted:
            continue
        # Only plain pieces are searched, so a later pass never reads inside an earlier candidate.
        wrap = pl.col("p").str.replace_all(rec.combined(wanted), SEP + CAND + "${0}" + SEP)
        pieces = (
            pieces.with_columns(pl.when(marked).then(pl.col("p")).otherwise(wrap).str.split(SEP))
            .explode("p")
            .filter(pl.col("p") != "")
        )
    if params.presidio:
        pieces = _presidio_pass(pieces, marked, params.presidio_score)
    candidates = pieces.filter(marked).select("p").unique()
    mapping = _mask_candidates(candidates, params, ctx)
    masked = (
        pieces.join(mapping, on="p", how="left", maintain_order="left")
        .with_columns(q=pl.coalesce("q", "p"))
        .group_by("r", maintain_order=True)
        .agg(pl.col("q").str.join(""))
    )
    out = frame.join(masked, on="r", how="left", maintain_order="left").select(pl.coalesce("q", "t"))
    return out.to_series()


def _presidio_pass(pieces: pl.DataFrame, marked: pl.Expr, score: float) -> pl.DataFrame:
    """Presidio last, once per distinct piece of text the recognizers left; its finds become pieces too."""
    from maskpipe.scan.presidio_offline import premark

    plain = pieces.filter(~marked).get_column("p").unique()
    if plain.len() == 0:
        return pieces
    found = pl.DataFrame({"p": plain, "m": premark(plain, score)}).filter(pl.col("m") != pl.col("p"))
    return (
        pieces.join(found, on="p", how="left", maintain_order="left")
        .select("r", pl.coalesce("m", "p").str.split(SEP).alias("p"))
        .explode("p")
        .filter(pl.col("p") != "")
    )


def _mask_candidates(candidates: pl.DataFrame, params: FreeTextParams, ctx: MaskContext) -> pl.DataFrame:
    """(p: a marked candidate piece, q: its replacement) for every distinct candidate."""
    piece, body = pl.col("p"), pl.col("p").str.slice(1)
    found = candidates.with_columns(
        v=pl.when(piece.str.starts_with(PRESIDIO))
        .then(body.str.split(KIND_END).list.get(1, null_on_oob=True))
        .otherwise(body),
    )
    regex_kind = rec.classify(found, "v", tuple(params.detect))
    found = found.with_columns(
        kind=pl.when(piece.str.starts_with(PRESIDIO))
        .then(body.str.extract(f"^([^{KIND_END}]*)"))
        .when(piece.str.starts_with(DONE))
        .then(pl.lit("done"))
        .otherwise(regex_kind),
    )
    persons = _person_candidates(found, params)
    found = found.join(persons.select("p", "is_person"), on="p", how="left").with_columns(
        kind=pl.when(pl.col("is_person").fill_null(False)).then(pl.lit("person")).otherwise("kind")
    )
    # Kinds not asked for (dates, uuids unless listed, unclassified candidates) are kept as they are.
    enabled = set(params.detect) | {"city"}
    simple = found.filter(pl.col("kind").is_in(sorted(enabled - {"person"})))
    parts = [
        _mask_kind(
            kind, simple.filter(pl.col("kind") == kind).get_column("v").unique(), params, ctx
        ).with_columns(kind=pl.lit(kind))
        for kind in simple.get_column("kind").unique().sort().to_list()
    ]
    out = [simple.select("p", pl.col("v").alias("q"))]
    if parts:
        simple_map = pl.concat(parts)
        out = [
            simple.join(simple_map, on=["kind", "v"], how="left").select(
                "p", pl.col("out").fill_null(pl.col("v")).alias("q")
            )
        ]
    people = persons.filter(pl.col("is_person")).join(
        found.filter(pl.col("kind") == "person").select("p"), on="p"
    )
    if people.height:
        out.append(_mask_people(people, params, ctx))
    done = found.filter(~pl.col("kind").is_in(sorted(enabled)) | pl.col("kind").is_null())
    out.append(done.select("p", pl.col("v").alias("q")))
    return pl.concat(out, how="vertical_relaxed").unique("p", keep="first")


def _person_candidates(found: pl.DataFrame, params: FreeTextParams) -> pl.DataFrame:
    """Split person candidates into cue, name and trailer, and weigh the evidence that they are a name."""
    schema = {"p": pl.String, "is_person": pl.Boolean}
    if "person" not in params.detect:
        return pl.DataFrame(schema=schema)
    presidio_person = pl.col("kind") == "person"
    pool = found.filter(pl.col("kind").is_null() | presidio_person)
    parts = pool.with_columns(pl.col("v").str.extract_groups(rec.PERSON_PARTS).alias("g")).unnest("g")
    # Presidio's PERSON spans (and whole-text names) are names: when the pattern cannot split them into
    # cue, name and trailer, the whole span is the name.
    unparsed = presidio_person & pl.col("body").is_null()
    parts = parts.with_columns(
        body=pl.when(unparsed).then(pl.col("v")).otherwise("body"),
        **{c: pl.when(unparsed).then(None).otherwise(c) for c in ("cue", "sep", "poss", "trail")},
    )
    tokens = pl.col("body").str.to_lowercase().str.split(" ")
    single = pl.col("body").str.count_matches(r"\s+") == 0
    stop = tokens.list.eval(rec.is_stopword(pl.element())).list.any()
    in_dict = tokens.list.eval(
        rec.in_words(pl.element(), "first_names") | rec.in_words(pl.element(), "last_names")
    ).list.any()
    cjk = pl.col("body").str.contains(r"^[\p{Han}\p{Hiragana}\p{Katakana}]")
    particle = pl.col("body").str.contains(rf"\s{rec._PARTICLE}\s")
    evidence = (
        presidio_person
        | (pl.col("cue").is_not_null() & ~(single & stop))
        | (pl.col("poss").is_not_null() & ~stop)
        | (in_dict & ~(single & stop) & ~cjk)
        | (particle & ~cjk)
        | (~single & ~stop & ~cjk)
    )
    return parts.with_columns(is_person=(pl.col("body").is_not_null() & evidence).fill_null(False))


def _mask_people(people: pl.DataFrame, params: FreeTextParams, ctx: MaskContext) -> pl.DataFrame:
    honorific = pl.col("cue").str.to_lowercase().str.contains(rf"^(?:{rec.HONORIFIC})\.?$").fill_null(False)
    folded = pl.col("body").str.to_lowercase()
    only_last = rec.in_words(folded, "last_names") & ~rec.in_words(folded, "first_names")
    split = people.with_columns(
        head=pl.col("body").str.extract(r"^(\S+)"),
        rest=pl.col("body").str.extract(r"^\S+\s+([\s\S]+)$"),
        single_last=(pl.col("body").str.count_matches(r"\s+") == 0) & (honorific | only_last),
    )
    firsts = split.filter(~pl.col("single_last")).get_column("head").unique()
    lasts = pl.concat(
        [split.get_column("rest").drop_nulls(), split.filter(pl.col("single_last")).get_column("head")]
    ).unique()
    first_map = _mask_kind("first_name", firsts, params, ctx).rename({"v": "head", "out": "head_out"})
    last_map = _mask_kind("last_name", lasts, params, ctx)
    joined = (
        split.join(first_map, on="head", how="left")
        .join(last_map.rename({"v": "head", "out": "head_last"}), on="head", how="left")
        .join(last_map.rename({"v": "rest", "out": "rest_out"}), on="rest", how="left")
    )
    name = (
        pl.when(pl.col("single_last"))
        .then(pl.col("head_last"))
        .otherwise(
            pl.concat_str(
                [pl.col("head_out"), pl.lit(" "), pl.col("rest_out")], ignore_nulls=False
            ).fill_null(pl.col("head_out"))
        )
    )
    q = pl.concat_str(
        [
            pl.col("cue").fill_null(""),
            pl.col("sep").fill_null(""),
            name,
            pl.col("poss").fill_null(""),
            pl.col("trail").fill_null(""),
        ]
    )
    return joined.select("p", q.alias("q"))


def _mask_kind(kind: str, values: pl.Series, params: FreeTextParams, ctx: MaskContext) -> pl.DataFrame:
    """(v, out): `values` through the column masker of `kind`, under that masker's own domain subkey."""
    spec = params.maskers.get(kind)
    return mask_with(spec or EntityMasker(masker=DEFAULT_MASKERS[kind]), values, ctx, fallback=spec is None)


def mask_with(
    spec: EntityMasker, values: pl.Series, ctx: MaskContext, fallback: bool = False
) -> pl.DataFrame:
    """(v, out): distinct `values` masked as a column rule `spec` would mask them (same domain subkey).

    With `fallback`, a masker that is not registered is replaced by a keyed same-length token.
    """
    from maskpipe.maskers import get

    masker, raw = get(spec.masker), spec.params
    if masker is None:
        if not fallback:
            raise ValueError(f"unknown masker '{spec.masker}'")
        masker, raw = get(FALLBACK[0]), dict(FALLBACK[1])
        assert masker is not None
    bound = masker.Params.model_validate(raw)
    sub = MaskContext(ctx.subkey_for(domain_label(masker, bound, spec.domain)), ctx.keyring)
    text = values.cast(pl.String).unique()
    dtype: pl.DataType = pl.String()
    if masker.check_dtype(dtype, bound) is not None:
        # Numbers written as text (JSON numbers at a path): mask them as numbers when the masker wants that.
        dtype = pl.Int64() if text.drop_nulls().str.contains(r"^-?\d+$").all() else pl.Float64()
        if masker.check_dtype(dtype, bound) is not None:
            raise ValueError(f"masker '{spec.masker}' cannot mask text or numbers")
    typed = text if dtype == pl.String else text.str.strip_chars().cast(dtype, strict=False)
    frame = pl.LazyFrame({INPUT: typed, "__text": text})
    steps = masker.steps(pl.col(INPUT), dtype, bound, sub)
    result = apply_steps(frame, steps).select(
        pl.col("__text").alias("v"), pl.col(OUTPUT).cast(pl.String).alias("out")
    )
    return result.collect()


MASKER = FreeText()
