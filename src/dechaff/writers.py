"""Parquet outputs and their schemas; every file is written to a temporary name and renamed."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import polars as pl

CORPUS_SCHEMA = {
    "doc_id": pl.String, "source": pl.String, "url": pl.String, "title": pl.String, "text": pl.String,
    "n_paragraphs": pl.Int32, "n_removed": pl.Int32, "kept_paragraphs": pl.List(pl.Int32),
    "content_sha256": pl.String, "encoding": pl.String, "run_id": pl.String,
    "ingested_at": pl.Datetime("us", "UTC"),
}
REMOVED_SCHEMA = {
    "doc_id": pl.String, "paragraph_index": pl.Int32, "line_index": pl.Int32, "text": pl.String,
    "reason": pl.String, "rule": pl.String, "evidence": pl.String, "duplicate_of_doc": pl.String,
    "duplicate_of_paragraph": pl.Int32, "similarity": pl.Float64, "run_id": pl.String,
    "duplicate_of_document": pl.String,
}
REJECTED_SCHEMA = {"source": pl.String, "error": pl.String, "content_sha256": pl.String, "run_id": pl.String}

TABLES = {"corpus": CORPUS_SCHEMA, "removed": REMOVED_SCHEMA, "rejected": REJECTED_SCHEMA}

# State files (ledger, counts, index segments) are Parquet too, under another suffix: ``<out>/**/*.parquet``
# is then the tables and nothing else (polars, duckdb and ``datasets`` globs read the output whole).
STATE_SUFFIX = ".pq"


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _tmp_name(final: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    return Path(name)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(path)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_write_json(path: Path, obj: object) -> None:
    atomic_write_bytes(path, json.dumps(obj, indent=1, sort_keys=True).encode("utf-8"))


def write_parquet_tmp(df: pl.DataFrame, final: Path) -> Path:
    """Write ``df`` next to ``final`` under a hidden temporary name (not matched by ``*.parquet``)
    and return it; the commit renames it."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".{final.name}.tmp"
    try:
        df.write_parquet(tmp, compression="zstd", statistics=True)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def atomic_write_parquet(df: pl.DataFrame, path: Path) -> None:
    tmp = write_parquet_tmp(df, path)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def frame(table: str, rows: list[dict]) -> pl.DataFrame:
    """A DataFrame of ``rows`` with the table's exact schema (also when empty)."""
    schema = TABLES[table]
    if not rows:
        return pl.DataFrame(schema=schema)
    return pl.DataFrame(rows, schema=schema, strict=False)
