"""Atomic writes: every file is written to a temporary name in its folder, synced, then renamed."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

# State files (ledger, counts, index segments) are Parquet too, under another suffix: ``<out>/**/*.parquet``
# is then the tables and nothing else (polars, duckdb and ``datasets`` globs read the output whole).
STATE_SUFFIX = ".pq"
# an index segment's entries as records read one by one: <segment>.rows.bin, their offsets <segment>.rows.npy
RECORDS_SUFFIX = ".rows"
# an index segment's entries' shingle sets, read by entry: <segment>.sh.npy (the hashes, entry after entry)
# and <segment>.sh.rows.npy (per entry: first hash, hash count, words, word fingerprint, number hash)
SHINGLES_SUFFIX = ".sh"


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


def _write_synced(path: Path, write: Callable[[Path], object]) -> None:
    """``write(tmp)`` to a temporary name beside ``path``, synced, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(path)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    _write_synced(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_npy(path: Path, arr: np.ndarray) -> None:
    """``arr`` as a ``.npy`` file (read back with ``allow_pickle=False``: plain numbers only)."""
    if arr.dtype.hasobject:
        raise TypeError(f"{path}: an array of Python objects is not written as .npy")

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            np.save(f, arr, allow_pickle=False)

    _write_synced(path, write)


def atomic_write_json(path: Path, obj: object) -> None:
    atomic_write_bytes(path, json.dumps(obj, indent=1, sort_keys=True).encode("utf-8"))


def parquet_tmp_name(final: Path) -> Path:
    """The hidden temporary name (not matched by ``*.parquet``) :func:`write_parquet_tmp` writes ``final``
    under."""
    return final.parent / f".{final.name}.tmp"


def write_parquet_tmp(df: pl.DataFrame, final: Path) -> Path:
    """Write ``df`` next to ``final`` under a hidden temporary name (:func:`parquet_tmp_name`) and return
    it; the commit renames it."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = parquet_tmp_name(final)
    try:
        df.write_parquet(tmp, compression="zstd", statistics=True)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def atomic_sink_parquet(lf: pl.LazyFrame, path: Path) -> None:
    """Stream ``lf`` to ``path`` (bounded memory) under a temporary name, synced, then renamed."""
    _write_synced(path, lambda tmp: lf.sink_parquet(tmp, compression="zstd", statistics=True))


def atomic_write_parquet(df: pl.DataFrame, path: Path) -> None:
    tmp = write_parquet_tmp(df, path)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


class InlineWrites:
    """:class:`BackgroundWrites`' interface with every write done at once, in the caller's thread."""

    def submit(self, fn: Callable[..., object], *args: object) -> None:
        fn(*args)

    def wait(self) -> None:
        pass


class BackgroundWrites:
    """File writes handed to a thread of their own while the caller goes on with other work (polars and
    numpy let go of the interpreter while they compress and write: on a second core, the writing is then
    free). At most ``in_flight`` writes are under way at a time (each holds its data: memory stays bounded; a
further one waits for the first to be done);
    :meth:`wait` returns once all are done and raises the first one's error. As a context manager, every
    write is done (or failed) when it exits, also on an error: nothing is left writing behind the caller's
    clean-up or commit."""

    def __init__(self, in_flight: int = 1) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dechaff-writes")
        self._in_flight = in_flight
        self._futures: list = []

    def submit(self, fn: Callable[..., object], *args: object) -> None:
        """``fn(*args)`` in the writing thread, after the writes submitted before it."""
        while len(self._futures) >= self._in_flight:
            self._futures.pop(0).result()
        self._futures.append(self._pool.submit(fn, *args))

    def wait(self) -> None:
        futures, self._futures = self._futures, []
        errors = []
        for f in futures:  # (every one waited for, the first error raised)
            try:
                f.result()
            except BaseException as e:
                errors.append(e)
        if errors:
            raise errors[0]

    def __enter__(self) -> BackgroundWrites:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self.wait()
            else:  # (the caller's error goes on; the writes are only waited for)
                for f in self._futures:
                    f.exception()
                self._futures = []
        finally:
            self._pool.shutdown(wait=True)
