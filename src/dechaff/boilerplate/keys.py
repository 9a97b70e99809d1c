"""Normalised keys of texts within a site, and the per-site counts of documents that hold each.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl

from dechaff.dedup.normalise import normalize_bytes

SHORT_WORDS = 6  # a line this short is a label, a box title, a date: it may sit anywhere in a template
EDGE_LINES = 8  # a template stands within this many lines of the start or the end of a document

def text_keys(site: str, texts: Sequence[str]) -> list[int]:
    """64-bit keys of normalised texts within a site; 0 for texts with no words."""
    return text_keys_many([(site, texts)])[0]


def text_keys_many(groups: Sequence[tuple[str, Sequence[str]]]) -> list[list[int]]:
    """:func:`text_keys` of many (site, texts) groups, normalised together (one pass over a batch's
    documents instead of one each: the array work per call outweighs a document's few paragraphs)."""
    flat = [t for _site, texts in groups for t in texts]
    norm = _single_spaced(normalize_bytes(flat)).tobytes().split(b"\n") if flat else []
    out: list[list[int]] = []
    k = 0
    for site, texts in groups:
        prefix = site.encode("utf-8") + b"\x00"
        keys = []
        for t in norm[k: k + len(texts)]:
            keys.append(int.from_bytes(hashlib.blake2b(prefix + t, digest_size=8).digest(), "little") or 1
                        if t else 0)
        k += len(texts)
        out.append(keys)
    return out


def _single_spaced(b: np.ndarray) -> np.ndarray:
    """Normalised bytes with each text's words joined by one space, none before or after them: what
    ``b" ".join(t.split())`` makes of every text between the line breaks (after normalisation a space is
    the only ASCII white space left within a text), for the whole batch at once."""
    space = b == 32
    if not space.any():
        return b
    n = len(b)
    starts = np.flatnonzero(space & ~np.concatenate(([False], space[:-1])))  # runs of spaces...
    ends = np.flatnonzero(space & ~np.append(space[1:], False))  # ...and their last spaces
    # a run between two words (not at the start or the end of a text) becomes one space; others go
    inner = (starts > 0) & (b[np.maximum(starts - 1, 0)] != 10) & (ends < n - 1) & (b[np.minimum(ends + 1, n - 1)] != 10)
    keep = ~space
    keep[starts[inner]] = True
    return b[keep]


class BoilerplateCounts:
    """Sorted arrays of (key, number of documents) with an in-run delta."""

    def __init__(self, keys: np.ndarray | None = None, counts: np.ndarray | None = None) -> None:
        self.keys = keys if keys is not None else np.zeros(0, np.uint64)
        self.counts = counts if counts is not None else np.zeros(0, np.uint32)

    @classmethod
    def load(cls, path: Path | None) -> BoilerplateCounts:
        if path is None or not Path(path).exists():
            return cls()
        df = pl.read_parquet(path)
        return cls(df["key"].to_numpy().astype(np.uint64), df["n_docs"].to_numpy().astype(np.uint32))

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """The number of documents of each key (0 for a key never counted)."""
        if len(self.keys) == 0:
            return np.zeros(len(keys), np.uint32)
        # searched in key order (each search starts where the last ended: in the millions of keys of a
        # large corpus, 8 times faster than in the order given), then put back in that order
        order = np.argsort(keys, kind="stable")
        pos = np.empty(len(keys), np.int64)
        pos[order] = np.searchsorted(self.keys, keys[order])
        pos_c = np.minimum(pos, len(self.keys) - 1)
        hit = self.keys[pos_c] == keys
        return np.where(hit, self.counts[pos_c], 0).astype(np.uint32)

    def merged(self, delta: Counter) -> BoilerplateCounts:
        if not delta:
            return self
        return self.merged_arrays(np.fromiter(delta.keys(), dtype=np.uint64, count=len(delta)),
                                  np.fromiter(delta.values(), dtype=np.uint32, count=len(delta)))

    def merged_arrays(self, dk: np.ndarray, dc: np.ndarray) -> BoilerplateCounts:
        """These counts plus ``dc[i]`` documents for key ``dk[i]``. The run's keys are merged into the
        sorted ones where they belong (one pass over the counts, no sort of them: the counts of a large
        corpus are millions of keys, a scheduled run's a few)."""
        if len(dk) == 0:
            return self
        dk, dc = np.asarray(dk, dtype=np.uint64), np.asarray(dc, dtype=np.uint32)
        if len(dk) > 1 and not bool((dk[1:] > dk[:-1]).all()):  # (sorted and distinct, summed per key)
            order = np.argsort(dk, kind="stable")
            dk, dc = dk[order], dc[order]
            dk, start = np.unique(dk, return_index=True)
            dc = np.add.reduceat(dc, start).astype(np.uint32)
        pos = np.searchsorted(self.keys, dk)
        hit = pos < len(self.keys)
        hit[hit] = self.keys[pos[hit]] == dk[hit]
        counts = self.counts.astype(np.uint32, copy=True)
        counts[pos[hit]] += dc[hit]
        new = ~hit
        return BoilerplateCounts(np.insert(self.keys, pos[new], dk[new]), np.insert(counts, pos[new], dc[new]))

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame({"key": self.keys, "n_docs": self.counts})


