"""Parquet source: a folder with one ``<table>.parquet`` file or one ``<table>/`` folder of files per table.

``<schema>.<table>.parquet`` names a schema, a plain ``<table>.parquet`` is in schema ``public``. Keys a
Parquet file cannot express (PK, UNIQUE, FKs) travel in the schema metadata under ``b"maskpipe.table"``,
the JSON the demo snapshot and the Parquet sink write; the naming and the JSON helpers live here so that
load/parquet.py reads and writes exactly what this module understands (extract never imports load).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from maskpipe.extract.base import DEFAULT_BATCH_ROWS
from maskpipe.model import ColumnInfo, ForeignKey, MaskpipeError, Problem, RunFailed, TableInfo

METADATA_KEY = b"maskpipe.table"
DEFAULT_SCHEMA = "public"
SUFFIX = ".parquet"
URI_PREFIX = "parquet://"

# Characters percent-encoded in file names: '.' separates schema from table, '%' is the escape itself,
# the rest are path separators or characters some file systems refuse.
_UNSAFE = re.compile(r'[%./\\:*?"<>|\x00-\x1f\x7f]')


# ------------------------------------------------ naming ------------------------------------------------
def _encode(part: str) -> str:
    return _UNSAFE.sub(lambda m: f"%{ord(m.group()):02X}", part)


def table_file_stem(schema: str, name: str) -> str:
    """``users`` for public.users, ``sales.users`` for sales.users; dots and separators percent-encoded."""
    return _encode(name) if schema == DEFAULT_SCHEMA else f"{_encode(schema)}.{_encode(name)}"


def parse_table_stem(stem: str) -> tuple[str, str]:
    """(schema, table) from a file or folder name without ``.parquet``; the inverse of table_file_stem."""
    schema, dot, name = stem.partition(".")
    if not dot:
        return DEFAULT_SCHEMA, unquote(stem)
    return unquote(schema), unquote(name)


def path_from_uri(uri_or_path: str | os.PathLike[str], prefix: str) -> Path:
    """``parquet:///data/snap`` -> /data/snap; plain paths pass through (``~`` expanded)."""
    text = os.fspath(uri_or_path)
    if text.startswith(prefix):
        text = text[len(prefix) :]
    return Path(text).expanduser()


# ----------------------------------------------- metadata -----------------------------------------------
def table_metadata(table: TableInfo) -> bytes:
    """The ``b"maskpipe.table"`` JSON for `table`, in the demo snapshot's shape (sorted keys).

    Virtual FKs are left out: they come from rules, not from the database, and rules declare them again.
    """
    fks: list[dict[str, Any]] = []
    for fk in table.foreign_keys:
        if fk.virtual:
            continue
        entry: dict[str, Any] = {
            "columns": list(fk.columns),
            "ref_table": fk.ref_table,
            "ref_columns": list(fk.ref_columns),
        }
        if fk.name is not None:
            entry["name"] = fk.name
        fks.append(entry)
    body = {
        "schema": table.schema,
        "name": table.name,
        "primary_key": list(table.primary_key),
        "unique": [list(u) for u in table.unique],
        "foreign_keys": fks,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False).encode()


@dataclass(frozen=True)
class _Keys:
    primary_key: tuple[str, ...] = ()
    unique: tuple[tuple[str, ...], ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()


def _names(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of column names")
    return tuple(value)


def parse_table_metadata(raw: bytes, schema: str, columns: tuple[str, ...], where: str) -> _Keys:
    """Keys from a ``b"maskpipe.table"`` value; every malformed part is reported, naming the file."""
    try:
        body = json.loads(raw)
        if not isinstance(body, dict):
            raise ValueError("expected a JSON object")
        pk = _names(body.get("primary_key", []))
        unique_raw = body.get("unique", [])
        if not isinstance(unique_raw, list):
            raise ValueError("'unique' must be a list of column lists")
        unique = tuple(_names(u) for u in unique_raw)
        fks_raw = body.get("foreign_keys", [])
        if not isinstance(fks_raw, list):
            raise ValueError("'foreign_keys' must be a list")
        fks = []
        for fk in fks_raw:
            if not isinstance(fk, dict) or not isinstance(fk.get("ref_table"), str):
                raise ValueError("each foreign key needs 'columns', 'ref_table' and 'ref_columns'")
            ref_table = fk["ref_table"] if "." in fk["ref_table"] else f"{schema}.{fk['ref_table']}"
            name = fk.get("name")
            fks.append(
                ForeignKey(
                    columns=_names(fk.get("columns")),
                    ref_table=ref_table,
                    ref_columns=_names(fk.get("ref_columns")),
                    name=name if isinstance(name, str) else None,
                )
            )
    except (ValueError, TypeError) as exc:  # json.JSONDecodeError is a ValueError
        raise MaskpipeError(
            Problem(where, f"unreadable {METADATA_KEY.decode()} schema metadata: {exc}",
                    "rewrite the file with maskpipe, or remove that metadata key to read it without keys")
        ) from None  # fmt: skip
    known = set(columns)
    missing = sorted({*pk, *(c for u in unique for c in u), *(c for fk in fks for c in fk.columns)} - known)
    if missing:
        raise MaskpipeError(
            Problem(where, f"{METADATA_KEY.decode()} metadata names columns the file does not have: "
                    + ", ".join(repr(c) for c in missing),
                    "the keys must name columns of the file's schema")
        )  # fmt: skip
    return _Keys(pk, unique, tuple(fks))


# ------------------------------------------------ source ------------------------------------------------
@dataclass(frozen=True)
class _Entry:
    path: Path
    files: tuple[Path, ...]  # one file for <table>.parquet, every part for a <table>/ folder
    is_folder: bool


class ParquetSource:
    """Reads a folder of Parquet tables. Only file footers are read by describe()."""

    def __init__(self, uri_or_path: str | os.PathLike[str]) -> None:
        self.uri = os.fspath(uri_or_path)
        self.path = path_from_uri(uri_or_path, URI_PREFIX)
        self._entries: dict[str, _Entry] | None = None

    def identity(self) -> str:
        return "file:" + os.path.realpath(self.path)

    def close(self) -> None:
        self._entries = None

    def __enter__(self) -> ParquetSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- discovery --------------------------------------------------------------------------------------
    def _scan(self) -> dict[str, _Entry]:
        hint = "point --source at a folder holding <table>.parquet files (or <table>/ folders of them)"
        if not self.path.exists():
            raise MaskpipeError(Problem("--source", f"folder {self.path} does not exist", hint))
        if not self.path.is_dir():
            raise MaskpipeError(
                Problem("--source", f"{self.path} is a file, not a folder",
                        f"{hint}; a .duckdb/.db file is read as DuckDB")
            )  # fmt: skip
        entries: dict[str, _Entry] = {}
        problems: list[Problem] = []
        for child in sorted(self.path.iterdir()):
            if child.name.startswith((".", "_")):
                continue  # hidden files, _maskpipe_manifest.json, _SUCCESS markers
            if child.is_dir():
                files = tuple(sorted(p for p in child.rglob(f"*{SUFFIX}") if not _hidden(p, child)))
                if not files:
                    continue
                entry = _Entry(child, files, True)
                stem = child.name[: -len(SUFFIX)] if child.name.endswith(SUFFIX) else child.name
            elif child.name.endswith(SUFFIX) and child.is_file():
                entry = _Entry(child, (child,), False)
                stem = child.name[: -len(SUFFIX)]
            else:
                continue
            qualified = "{}.{}".format(*parse_table_stem(stem))
            if qualified in entries:
                problems.append(
                    Problem(f"--source: {child}", f"table {qualified} is also read from "
                            f"{entries[qualified].path.name}", "keep one file or folder per table")
                )  # fmt: skip
                continue
            entries[qualified] = entry
        if problems:
            raise MaskpipeError(problems)
        if not entries:
            raise MaskpipeError(Problem("--source", f"folder {self.path} holds no Parquet tables", hint))
        return entries

    def _dataset(self, entry: _Entry) -> ds.Dataset:
        if entry.is_folder:
            # Explicit file list (not the folder) so stray non-Parquet files are ignored; hive-style
            # key=value sub-folders still become columns.
            return ds.dataset(
                [str(f) for f in entry.files], format="parquet", partitioning="hive",
                partition_base_dir=str(entry.path),
            )  # fmt: skip
        return ds.dataset(str(entry.path), format="parquet")

    def describe(self) -> list[TableInfo]:
        self._entries = self._scan()
        tables: list[TableInfo] = []
        problems: list[Problem] = []
        for qualified, entry in self._entries.items():
            schema_name, _, name = qualified.partition(".")
            where = f"--source: {entry.path}"
            try:
                if entry.is_folder:
                    dataset = self._dataset(entry)
                    arrow_schema = dataset.schema
                    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in entry.files)
                else:
                    with pq.ParquetFile(entry.path) as pf:
                        arrow_schema = pf.schema_arrow
                        rows = pf.metadata.num_rows
            except (OSError, pa.ArrowException) as exc:
                problems.append(Problem(where, f"not a readable Parquet table ({type(exc).__name__}: {exc})"))
                continue
            columns = tuple(ColumnInfo(f.name, f.type, nullable=f.nullable) for f in arrow_schema)
            keys = _Keys()
            raw = (arrow_schema.metadata or {}).get(METADATA_KEY)
            if raw is not None:
                try:
                    keys = parse_table_metadata(raw, schema_name, tuple(c.name for c in columns), where)
                except MaskpipeError as exc:
                    problems.extend(exc.problems)
                    continue
            tables.append(
                TableInfo(
                    schema=schema_name, name=name, columns=columns, primary_key=keys.primary_key,
                    unique=keys.unique, foreign_keys=keys.foreign_keys, row_estimate=rows,
                )
            )  # fmt: skip
        if problems:
            raise MaskpipeError(problems)
        return tables

    # -- read -------------------------------------------------------------------------------------------
    def read_batches(
        self, table: TableInfo, batch_rows: int = DEFAULT_BATCH_ROWS
    ) -> Iterator[pa.RecordBatch]:
        """Stream the table's non-generated columns, at most `batch_rows` rows per batch."""
        if self._entries is None:
            self._entries = self._scan()
        entry = self._entries.get(table.qualified)
        if entry is None:
            raise MaskpipeError(Problem("--source", f"table {table.qualified} not found in {self.path}"))
        columns = [c.name for c in table.columns if not c.generated]
        try:
            if entry.is_folder:
                # No read-ahead and one file at a time: memory stays near one batch per column.
                yield from self._dataset(entry).to_batches(
                    columns=columns, batch_size=batch_rows, batch_readahead=0, fragment_readahead=0
                )
            else:
                with pq.ParquetFile(entry.path) as pf:
                    yield from pf.iter_batches(batch_size=batch_rows, columns=columns)
        except (OSError, pa.ArrowException) as exc:
            raise RunFailed(
                f"--source: reading {table.qualified} from {entry.path} failed: {type(exc).__name__}: {exc}"
            ) from exc


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith((".", "_")) for part in path.relative_to(root).parts)
