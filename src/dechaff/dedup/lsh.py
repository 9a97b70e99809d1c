"""Banded LSH lookups: sorted band arrays and the candidate pairs within one batch."""

from __future__ import annotations

import numpy as np

from dechaff.dedup.shingle import concat_ranges
from dechaff.dedup.types import U64


# ------------------------------------------------------------------------------------ index
class BandIndex:
    """Sorted per-band arrays of ``key << 32 | entry_id``; entry ids are ingestion order."""

    def __init__(self, bands: int) -> None:
        self.bands = bands
        self.tables: list[np.ndarray] = [np.zeros(0, U64) for _ in range(bands)]
        self.size = 0

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
        else:  # merged in (linear in the table: a sort of the whole table per chunk grew with the corpus)
            for j in range(self.bands):
                t = self.tables[j]
                self.tables[j] = np.insert(t, np.searchsorted(t, comb[j]), comb[j])
        self.size += m

    def nbytes(self) -> int:
        return sum(t.nbytes for t in self.tables)

    def candidates(self, keys: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
        """For each query row ``q`` (keys q x bands), entries sharing a bucket: pairs (query row, entry id),
        at most ``cap`` earliest entries per bucket, unique."""
        qs, es = [], []
        for j in range(self.bands):
            t = self.tables[j]
            if len(t) == 0:
                continue
            k = keys[:, j].astype(U64) << U64(32)
            # looked up in key order (each search starts near the last: several times fewer cache misses
            # in a large table), then put back in query order
            o = np.argsort(k)
            ks = k[o]
            lo, hi = np.empty(len(k), np.int64), np.empty(len(k), np.int64)
            lo[o] = np.searchsorted(t, ks, side="left")
            hi[o] = np.searchsorted(t, ks | U64(0xFFFFFFFF), side="right")
            cnt = np.minimum(hi - lo, cap)
            tot = int(cnt.sum())
            if tot == 0:
                continue
            q = np.repeat(np.arange(len(k)), cnt)
            base = np.repeat(lo - np.concatenate(([0], np.cumsum(cnt)[:-1])), cnt)
            pos = base + np.arange(tot)
            qs.append(q)
            es.append((t[pos] & U64(0xFFFFFFFF)).astype(np.int64))
        return _unique_pairs(qs, es)


def _unique_pairs(qs: list[np.ndarray], es: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    if not qs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    import polars as pl

    key = (np.concatenate(qs).astype(np.int64) << 32) | np.concatenate(es).astype(np.int64)
    key = pl.Series(key).unique().to_numpy()  # hash-based: much cheaper than sorting the repeats away
    return key >> 32, key & 0xFFFFFFFF


def within_batch_candidates(keys: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (later row, earlier row) among the rows of one batch sharing a bucket (``cap`` earliest)."""
    n = keys.shape[0]
    qs, es = [], []
    rows = np.arange(n, dtype=U64)
    idx = np.arange(n)
    for j in range(keys.shape[1]):
        comb = np.sort((keys[:, j].astype(U64) << U64(32)) | rows)
        k = comb >> U64(32)
        order = (comb & U64(0xFFFFFFFF)).astype(np.int64)
        grp_start = np.ones(n, dtype=bool)
        grp_start[1:] = k[1:] != k[:-1]
        gidx = np.maximum.accumulate(np.where(grp_start, idx, 0))
        m = np.minimum(idx - gidx, cap)
        tot = int(m.sum())
        if tot == 0:
            continue
        later = np.repeat(order, m)
        earlier = order[concat_ranges(gidx, m)]
        qs.append(later)
        es.append(earlier)
    return _unique_pairs(qs, es)


