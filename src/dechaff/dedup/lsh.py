"""Banded LSH lookups: sorted band arrays and the candidate pairs within one batch."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from dechaff.dedup.shingle import concat_ranges
from dechaff.dedup.types import U64


# ------------------------------------------------------------------------------------ index
class BandIndex:
    """Sorted per-band arrays of ``key << 32 | entry_id``; entry ids are ingestion order.

    Each band is two sorted runs: ``tables`` and the entries added since they were last merged
    (``fresh``, all later than the entries of ``tables``). A chunk's entries are merged into the small
    run, and that run into the large one once it holds ``1 / merge_ratio`` of it, so an entry is
    copied a bounded number of times whatever the size of the index (merged into one table every
    chunk, the copying grew with the corpus). Lookups search both runs."""

    def __init__(self, bands: int, merge_ratio: int = 8) -> None:
        self.bands = bands
        self.merge_ratio = merge_ratio
        self.tables: list[np.ndarray] = [np.zeros(0, U64) for _ in range(bands)]
        self.fresh: list[np.ndarray] = [np.zeros(0, U64) for _ in range(bands)]
        self.size = 0

    @classmethod
    def build(cls, parts: Iterable[np.ndarray], bands: int, total: int, merge_ratio: int = 8) -> BandIndex:
        """The index of the ``total`` entries ``0 ..`` whose (m x bands) keys come in ``parts``, in entry
        order, built at once (loading a stored index): each band's values written into its table, which is
        then sorted once. The same tables as adding the parts one by one, which merged every part into
        them (at 4.2M entries in 17 parts, 18 s against 2). Holds the tables and one part's keys."""
        bi = cls(bands, merge_ratio)
        tables = [np.empty(total, U64) for _ in range(bands)]
        for keys in parts:
            m = keys.shape[0]
            if bi.size + m > total:
                raise ValueError(f"more than the {total:,} entries announced")
            ids = np.arange(bi.size, bi.size + m, dtype=U64)
            by_band = np.ascontiguousarray(keys.T)  # (one pass over the part, not one per band)
            for j in range(bands):
                t = tables[j][bi.size: bi.size + m]
                t[:] = by_band[j]
                t <<= U64(32)
                t |= ids
            bi.size += m
        if bi.size != total:
            raise ValueError(f"{bi.size:,} entries, {total:,} announced")
        for t in tables:
            t.sort()
        bi.tables = tables
        return bi

    def add(self, keys: np.ndarray, first_id: int) -> None:
        """Add entries ``first_id ..`` with their (m x bands) keys."""
        m = keys.shape[0]
        if m == 0:
            return
        if first_id != self.size:
            raise ValueError(f"entries must be added in order: expected id {self.size}, got {first_id}")
        ids = np.arange(first_id, first_id + m, dtype=U64)
        comb = (keys.T.astype(U64) << U64(32)) | ids  # bands x m; unique values, so any sort will do
        comb.sort(axis=1)
        if self.size == 0:
            self.tables = list(comb)
        else:
            self.fresh = [_merged(f, c) for f, c in zip(self.fresh, comb, strict=True)]
            if len(self.fresh[0]) * self.merge_ratio >= len(self.tables[0]):
                for j in range(self.bands):  # (one band at a time: one table's copy in flight)
                    self.tables[j] = _merged(self.tables[j], self.fresh[j])
                    self.fresh[j] = np.zeros(0, U64)
        self.size += m

    def nbytes(self) -> int:
        return sum(t.nbytes for t in self.tables) + sum(f.nbytes for f in self.fresh)

    def release(self) -> None:
        """The tables let go (no lookup follows); the size stays."""
        self.tables = [np.zeros(0, U64) for _ in range(self.bands)]
        self.fresh = [np.zeros(0, U64) for _ in range(self.bands)]

    def candidates(self, keys: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
        """For each query row ``q`` (keys q x bands), entries sharing a bucket: pairs (query row, entry id),
        at most ``cap`` earliest entries per bucket, unique."""
        qs, es = [], []
        for j in range(self.bands if self.size else 0):
            k = keys[:, j].astype(U64) << U64(32)
            # looked up in key order (each search starts near the last: several times fewer cache misses
            # in a large table), then put back in query order
            o = np.argsort(k)
            ks = k[o]
            room = np.full(len(k), cap, np.int64)
            for t in (self.tables[j], self.fresh[j]):  # (the earlier entries first)
                if len(t) == 0:
                    continue
                lo, cnt = _bucket(t, ks, o, room)
                room -= cnt
                tot = int(cnt.sum())
                if tot == 0:
                    continue
                qs.append(np.repeat(np.arange(len(k)), cnt))
                pos = np.repeat(lo - np.concatenate(([0], np.cumsum(cnt)[:-1])), cnt) + np.arange(tot)
                es.append((t[pos] & U64(0xFFFFFFFF)).astype(np.int64))
        return unique_pairs(qs, es)


def _merged(t: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Sorted ``t`` with sorted ``c`` merged in."""
    return np.insert(t, np.searchsorted(t, c), c) if len(t) else c


def _bucket(t: np.ndarray, ks: np.ndarray, o: np.ndarray, room: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For keys ``ks`` (sorted; ``o``: their query rows), where each one's bucket starts in table ``t``
    and how many of its entries to take (at most ``room``), both in query order."""
    los = np.searchsorted(t, ks, side="left")
    # a bucket's end is searched for only where the bucket is not empty (few keys are shared)
    his = los.copy()
    hit = np.flatnonzero((t[np.minimum(los, len(t) - 1)] >> U64(32)) == (ks >> U64(32)))
    his[hit] = np.searchsorted(t, ks[hit] | U64(0xFFFFFFFF), side="right")
    lo, hi = np.empty(len(ks), np.int64), np.empty(len(ks), np.int64)
    lo[o], hi[o] = los, his
    return lo, np.minimum(hi - lo, room)


def unique_pairs(qs: list[np.ndarray], es: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    if not qs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    import polars as pl

    key = (np.concatenate(qs).astype(np.int64) << 32) | np.concatenate(es).astype(np.int64)
    key = pl.Series(key).unique().to_numpy()  # hash-based: much cheaper than sorting the repeats away
    return key >> 32, key & 0xFFFFFFFF


def within_batch_candidates(keys: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (later row, earlier row) among the rows of one batch sharing a bucket (``cap`` earliest).
    Most rows share no bucket of a band with another row: only the buckets held more than once are
    followed past the sort."""
    n = keys.shape[0]
    qs, es = [], []
    rows = np.arange(n, dtype=U64)
    for j in range(keys.shape[1]):
        comb = np.sort((keys[:, j].astype(U64) << U64(32)) | rows)
        k = comb >> U64(32)
        same = k[1:] == k[:-1]  # (a row and the one before it in the sorted band share its bucket)
        if not same.any():
            continue
        member = np.zeros(n, dtype=bool)
        member[1:] = same
        member[:-1] |= same
        comb, k = comb[member], k[member]  # the rows of shared buckets, still by (bucket, row)
        order = (comb & U64(0xFFFFFFFF)).astype(np.int64)
        idx = np.arange(len(k))
        grp_start = np.ones(len(k), dtype=bool)
        grp_start[1:] = k[1:] != k[:-1]
        gidx = np.maximum.accumulate(np.where(grp_start, idx, 0))
        m = np.minimum(idx - gidx, cap)
        qs.append(np.repeat(order, m))
        es.append(order[concat_ranges(gidx, m)])
    return unique_pairs(qs, es)


