"""The output folder: atomic writes (``atomic``), every table schema (``schemas``), the manifest and the
all-or-nothing commit (``manifest``, ``output``), a run's staging shards (``staging``), and the
operations on a committed folder: ``compact``, ``repair``, the dataset card (``card``)."""

from __future__ import annotations

from dechaff.store.atomic import (
    STATE_SUFFIX,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_parquet,
    write_parquet_tmp,
)
from dechaff.store.manifest import FORMAT, TABLE_DIRS, Manifest, OutputLocked, StateError
from dechaff.store.output import OutputDir
from dechaff.store.schemas import LEDGER_SCHEMA, TABLES, frame

__all__ = [
    "FORMAT",
    "LEDGER_SCHEMA",
    "STATE_SUFFIX",
    "TABLES",
    "TABLE_DIRS",
    "Manifest",
    "OutputDir",
    "OutputLocked",
    "StateError",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_parquet",
    "frame",
    "write_parquet_tmp",
]
