"""Parquet sink: the golden image, a folder of zstd Parquet files plus ``_maskpipe_manifest.json``.

Every run writes into the sibling folder ``<dest>.maskpipe-staging`` and commit() swaps it in with two
renames: ``<dest>`` -> ``<dest>.maskpipe-old``, staging -> ``<dest>``, then removes the old folder. A rename
of a folder within one parent is atomic, and everything is fsynced before the first rename, so a run
killed with ``kill -9`` (or a power cut) at any point leaves one of these states, which begin() repairs:

* before the first rename: ``<dest>`` is the previous image, untouched; begin() deletes the staging leftover.
* between the two renames: ``<dest>`` is missing and ``<dest>.maskpipe-old`` holds the previous image;
  begin() renames it back (the half-finished run is thrown away, never half-published).
* after the second rename: ``<dest>`` is the new image, complete; begin() deletes what is left of
  ``<dest>.maskpipe-old``.

Readers of ``<dest>`` therefore see the whole previous image, the whole new one, or (for an instant
between the renames) nothing; never a mix. Only folders carrying our suffixes or our manifest are ever
deleted: begin() refuses a non-empty destination that is not a maskpipe golden image.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import xxhash

from maskpipe.extract.parquet import (
    METADATA_KEY,
    SUFFIX,
    URI_PREFIX,
    path_from_uri,
    table_file_stem,
    table_metadata,
)
from maskpipe.model import MaskpipeError, Problem, RunFailed, TableInfo

MANIFEST = "_maskpipe_manifest.json"
MANIFEST_VERSION = 1
STAGING_SUFFIX = ".maskpipe-staging"
OLD_SUFFIX = ".maskpipe-old"
_HASH_CHUNK = 1 << 20


def fsync_path(path: Path) -> None:
    """Flush a file's or a folder's entry to disk (folders: so that renames and new names survive a crash)."""
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() and hasattr(os, "O_DIRECTORY") else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return  # some platforms cannot open folders; rename atomicity still holds
    try:
        os.fsync(fd)
    except OSError:
        pass  # fsync on a folder is refused by some file systems; nothing better to do there
    finally:
        os.close(fd)


def file_digest(path: Path) -> str:
    """xxh3_64 of the file's bytes, as 16 hex digits (the dictionaries' MANIFEST.json uses the same)."""
    h = xxhash.xxh3_64()
    with path.open("rb") as f:
        while chunk := f.read(_HASH_CHUNK):
            h.update(chunk)
    return h.hexdigest()


class ParquetSink:
    """Writes a golden image folder atomically. Set ``manifest_extra`` (a JSON-able dict: key fingerprint,
    rules hash, versions; never the key itself) before commit() to record how the image was made."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.uri = os.fspath(path)
        self.dest = path_from_uri(path, URI_PREFIX)
        self.staging = self.dest.with_name(self.dest.name + STAGING_SUFFIX)
        self.old = self.dest.with_name(self.dest.name + OLD_SUFFIX)
        self.manifest_extra: dict[str, Any] = {}
        self._tables: dict[str, TableInfo] = {}
        self._written: dict[str, dict[str, Any]] = {}
        self._file_names: dict[str, str] = {}  # casefolded file name -> table, for case-insensitive disks
        self._writers: set[pq.ParquetWriter] = set()  # open while their table is written
        self._lock = threading.Lock()
        self._state = "new"  # new -> staging -> committed | aborted

    def identity(self) -> str:
        return "file:" + os.path.realpath(self.dest)

    # -- begin ------------------------------------------------------------------------------------------
    def begin(self, tables: list[TableInfo]) -> None:
        if not self.dest.name:
            raise MaskpipeError(Problem("--dest", f"{self.uri!r} names no folder", "e.g. --dest ./masked"))
        self._recover()
        self._check_destination()
        if self.staging.exists():
            _remove(self.staging)  # a killed run's leftover; the name carries our suffix
        try:
            self.staging.mkdir(parents=True)
        except OSError as exc:
            raise MaskpipeError(
                Problem("--dest", f"cannot create {self.staging}: {exc.strerror}",
                        "the folder that holds --dest must be writable")
            ) from None  # fmt: skip
        self._tables = {t.qualified: t for t in tables}
        self._written = {}
        self._file_names = {}
        self._state = "staging"

    def _recover(self) -> None:
        """Finish what a run killed during commit() left behind (see the module docstring)."""
        if self.old.exists():
            if self.dest.exists() or self.dest.is_symlink():
                _remove(self.old)  # killed after the swap: the new image is in place
            else:
                self.old.rename(self.dest)  # killed between the renames: put the previous image back
                fsync_path(self.dest.parent)

    def _check_destination(self) -> None:
        dest = self.dest
        if not dest.exists():
            return
        if not dest.is_dir():
            raise MaskpipeError(
                Problem("--dest", f"{dest} exists and is not a folder",
                        "name a new folder or a previous maskpipe golden image")
            )  # fmt: skip
        if (dest / MANIFEST).is_file() or not any(dest.iterdir()):
            return
        raise MaskpipeError(
            Problem("--dest", f"{dest} is not empty and is not a maskpipe golden image (no {MANIFEST})",
                    "maskpipe replaces the whole destination folder and never deletes a folder it did not "
                    "write: name a new or empty folder")
        )  # fmt: skip

    # -- write ------------------------------------------------------------------------------------------
    def write_table(self, table: TableInfo, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> int:
        if self._state != "staging":
            raise RunFailed("ParquetSink.write_table() called before begin() or after commit()/abort()")
        qname = table.qualified
        file_name = table_file_stem(table.schema, table.name) + SUFFIX
        with self._lock:  # write_table may run in several threads (worker())
            if qname in self._written or qname in self._file_names.values():
                raise RunFailed(f"--dest: table {qname} was written twice in one run")
            clash = self._file_names.get(file_name.casefold())
            if clash is not None:
                raise RunFailed(
                    f"--dest: tables {clash} and {qname} map to file names that differ only in case; "
                    "they would overwrite each other on case-insensitive file systems"
                )
            self._file_names[file_name.casefold()] = qname
        path = self.staging / file_name
        metadata = dict(schema.metadata or {})
        metadata[METADATA_KEY] = table_metadata(table)
        out_schema = schema.with_metadata(metadata)
        rows = 0
        writer = pq.ParquetWriter(path, out_schema, compression="zstd")
        with self._lock:
            self._writers.add(writer)
        try:
            for batch in batches:
                if not batch.schema.equals(out_schema, check_metadata=False):
                    batch = _conform(batch, out_schema, qname)
                writer.write_batch(batch)
                rows += batch.num_rows
        finally:
            with self._lock:
                self._writers.discard(writer)
            writer.close()
        self._written[qname] = {
            "schema": table.schema,
            "name": table.name,
            "file": file_name,
            "rows": rows,
            "columns": [{"name": f.name, "type": str(f.type), "nullable": f.nullable} for f in out_schema],
        }
        return rows

    # -- commit / abort -----------------------------------------------------------------------------------
    def commit(self) -> None:
        if self._state != "staging":
            raise RunFailed("ParquetSink.commit() called before begin() or twice")
        reserved = {"version", "tables"}
        clash = sorted(reserved & set(self.manifest_extra))
        if clash:
            raise RunFailed(f"manifest_extra may not set {', '.join(clash)}: the sink writes those itself")
        tables = {}
        for qname, entry in sorted(self._written.items()):
            path = self.staging / entry["file"]
            fsync_path(path)
            tables[qname] = {**entry, "xxh3_64": file_digest(path)}
        manifest = {"version": MANIFEST_VERSION, **self.manifest_extra, "tables": tables}
        manifest_path = self.staging / MANIFEST
        with manifest_path.open("w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=2, sort_keys=True, ensure_ascii=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        fsync_path(self.staging)
        # The swap: each rename is atomic; begin() repairs a run killed between them.
        if self.dest.exists():
            self.dest.rename(self.old)
        self.staging.rename(self.dest)
        fsync_path(self.dest.parent)
        if self.old.exists():
            _remove(self.old)
        self._state = "committed"

    def worker(self) -> ParquetSink:
        """This sink: write_table is safe from several threads (one file per table), and tables may
        come in any order."""
        return self

    def abort(self) -> None:
        with self._lock:
            writers, self._writers = self._writers, set()
        for writer in writers:
            with contextlib.suppress(Exception):
                writer.close()
        if self._state == "staging" and self.staging.exists():
            _remove(self.staging)
        if self._state != "committed":
            self._state = "aborted"

    def close(self) -> None:
        if self._state == "staging":
            self.abort()


def _conform(batch: pa.RecordBatch, schema: pa.Schema, qname: str) -> pa.RecordBatch:
    """Cast a batch whose types drifted from the declared schema (e.g. large_string from Polars)."""
    if batch.schema.names != schema.names:
        raise RunFailed(
            f"--dest: a batch of {qname} has columns {batch.schema.names}, expected {schema.names}"
        )
    try:
        return batch.cast(schema)
    except (ValueError, pa.ArrowNotImplementedError) as exc:  # pa.ArrowInvalid is a ValueError
        # The cast error text can quote a value; name the columns instead.
        drifted = [f.name for f, g in zip(batch.schema, schema, strict=True) if not f.equals(g)]
        raise RunFailed(
            f"--dest: a batch of {qname} does not match the declared types of column(s) "
            f"{', '.join(drifted)} (type or NULLs in a NOT NULL column; {type(exc).__name__})"
        ) from None


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()
