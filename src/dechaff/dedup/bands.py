"""The band tables of the index split by band range across processes (the workers of a cluster), so that
the lookups of a chunk run in parallel and no process holds every table (``bands`` x 8 bytes an entry:
1.4 GB at 4.2M entries with 42 bands).

A pair of paragraphs is a candidate when they share a bucket in any band, and each band keeps its own
``bucket_cap`` earliest entries per bucket: the bands are independent, so the union of the pairs each
range finds is exactly what one :class:`BandIndex` over every band finds (the same decisions, row for row).

:class:`BandShard` holds a range (a plain class: on a Dask cluster it runs as an actor, see
``flows/ingest.py``); :class:`PartitionedBands` is the index's side, with :class:`BandIndex`'s interface.
It talks to its shards through handles whose method calls return futures (``.result()``): a Dask
actor's calls do; :class:`InProcess` gives any object such calls (tests, one process). The package does
not import Dask.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np

from dechaff.dedup.lsh import BandIndex, unique_pairs

KEYS_SUFFIX = ".keys.npy"


def band_ranges(bands: int, parts: int) -> list[tuple[int, int]]:
    """``bands`` cut into at most ``parts`` contiguous ranges of sizes differing by at most one."""
    parts = max(1, min(parts, bands))
    cuts = [round(k * bands / parts) for k in range(parts + 1)]
    return [(cuts[k], cuts[k + 1]) for k in range(parts)]


class BandShard:
    """Bands ``lo .. hi - 1`` of the index: built from the stored segments' key files (read where this
    runs: the output must be on storage it sees) or from keys handed over, then grown chunk by chunk."""

    def __init__(self, lo: int, hi: int, merge_ratio: int = 8) -> None:
        if not 0 <= lo < hi:
            raise ValueError(f"band range {lo}..{hi}: empty")
        self.lo, self.hi = lo, hi
        self.bands = BandIndex(hi - lo, merge_ratio)

    def load(self, parts: Sequence[str | np.ndarray], total: int) -> int:
        """The tables of the ``total`` stored entries, in entry order: each part is a segment (its base
        path: ``<base>.keys.npy`` holds every band's keys) or its keys of this range (m x (hi - lo)).
        Returns the tables' size in bytes."""
        def ranged() -> Any:
            for p in parts:
                if isinstance(p, np.ndarray):
                    yield p
                    continue
                f = Path(f"{p}{KEYS_SUFFIX}")
                if not f.exists():
                    import socket

                    raise FileNotFoundError(f"{f}: not found on {socket.gethostname()}; the output folder must be "
                                            "on storage that every worker mounts at the same path")
                keys = np.load(f, mmap_mode="r")  # (only this range's columns are read)
                if keys.ndim != 2 or keys.shape[1] < self.hi:
                    raise ValueError(f"{f}: {keys.shape} band keys, bands {self.lo}..{self.hi - 1} wanted")
                yield keys[:, self.lo:self.hi]

        self.bands = BandIndex.build(ranged(), self.hi - self.lo, total, self.bands.merge_ratio)
        return self.bands.nbytes()

    def step(self, add: np.ndarray | None, first_id: int, keys: np.ndarray,
             cap: int) -> tuple[np.ndarray, np.ndarray]:
        """Add entries ``first_id ..`` (their keys of this range, or None), then the candidate pairs
        (query row, entry id) of ``keys`` (this range's) in these bands. One call a chunk: the entries
        a chunk kept are added before the next chunk looks, whatever order a cluster delivers calls in."""
        if add is not None:
            self.bands.add(add, first_id)
        return self.bands.candidates(keys, cap)

    def nbytes(self) -> int:
        return self.bands.nbytes()


class InProcess:
    """A handle on ``obj`` whose method calls return done futures, as a Dask actor's return futures."""

    def __init__(self, obj: Any) -> None:
        self._obj = obj

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._obj, name)

        def call(*args: Any, **kwargs: Any) -> Future:
            fut: Future = Future()
            try:
                fut.set_result(method(*args, **kwargs))
            except BaseException as e:  # (raised by .result(), as a remote call's error is)
                fut.set_exception(e)
            return fut

        return call


class PartitionedBands:
    """:class:`BandIndex`'s interface over shards that each hold a band range (``handles[k]`` holds
    ``ranges[k]``, together every band once). A chunk's lookups go to every shard at once, with the
    entries added since the last lookup; the pairs are their union."""

    def __init__(self, handles: Sequence[Any], ranges: Sequence[tuple[int, int]], bands: int) -> None:
        covered = sorted(b for lo, hi in ranges for b in range(lo, hi))
        if covered != list(range(bands)) or len(handles) != len(ranges):
            raise ValueError(f"the ranges {list(ranges)} do not cover bands 0..{bands - 1} once each")
        self.handles, self.ranges, self.n_bands = list(handles), list(ranges), bands
        self.size = 0
        self._added: list[np.ndarray] = []  # keys of the entries added since the last lookup
        self._first = 0

    def load(self, parts: Sequence[str | np.ndarray], total: int) -> None:
        """Every shard's tables of the ``total`` stored entries (see :meth:`BandShard.load`; a part given
        as keys has every band's, each shard is sent its range)."""
        futs = [h.load([p if isinstance(p, str) else np.ascontiguousarray(p[:, lo:hi]) for p in parts], total)
                for h, (lo, hi) in zip(self.handles, self.ranges, strict=True)]
        for f in futs:
            f.result()
        self.size = self._first = total

    def add(self, keys: np.ndarray, first_id: int) -> None:
        m = keys.shape[0]
        if m == 0:
            return
        if first_id != self.size:
            raise ValueError(f"entries must be added in order: expected id {self.size}, got {first_id}")
        self._added.append(keys)
        self.size += m

    def candidates(self, keys: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`BandIndex.candidates`: the pairs of every shard, unique."""
        add = np.concatenate(self._added) if self._added else None
        futs = [h.step(None if add is None else np.ascontiguousarray(add[:, lo:hi]), self._first,
                       np.ascontiguousarray(keys[:, lo:hi]), cap)
                for h, (lo, hi) in zip(self.handles, self.ranges, strict=True)]
        got = [f.result() for f in futs]  # (the added entries are the shards' only once every call returned)
        self._added, self._first = [], self.size
        return unique_pairs([q for q, _e in got], [e for _q, e in got])

    def nbytes(self) -> int:
        """What the shards hold (asked of each), with the entries they are still to be sent (8 bytes a band)."""
        queued = sum(a.shape[0] for a in self._added) * self.n_bands * 8
        return sum(f.result() for f in [h.nbytes() for h in self.handles]) + queued
