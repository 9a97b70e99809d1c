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
    norm = normalize_bytes(texts).tobytes().split(b"\n") if texts else []
    out = []
    prefix = site.encode("utf-8") + b"\x00"
    for t in norm:
        t = b" ".join(t.split())
        if not t:
            out.append(0)
            continue
        out.append(int.from_bytes(hashlib.blake2b(prefix + t, digest_size=8).digest(), "little") or 1)
    return out


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
        if len(self.keys) == 0:
            return np.zeros(len(keys), np.uint32)
        pos = np.searchsorted(self.keys, keys)
        pos_c = np.minimum(pos, len(self.keys) - 1)
        hit = self.keys[pos_c] == keys
        return np.where(hit, self.counts[pos_c], 0).astype(np.uint32)

    def merged(self, delta: Counter) -> BoilerplateCounts:
        if not delta:
            return self
        return self.merged_arrays(np.fromiter(delta.keys(), dtype=np.uint64, count=len(delta)),
                                  np.fromiter(delta.values(), dtype=np.uint32, count=len(delta)))

    def merged_arrays(self, dk: np.ndarray, dc: np.ndarray) -> BoilerplateCounts:
        """These counts plus ``dc[i]`` documents for key ``dk[i]``."""
        if len(dk) == 0:
            return self
        keys = np.concatenate((self.keys, dk))
        counts = np.concatenate((self.counts, dc))
        order = np.argsort(keys, kind="stable")
        keys, counts = keys[order], counts[order]
        uniq, start = np.unique(keys, return_index=True)
        return BoilerplateCounts(uniq, np.add.reduceat(counts, start).astype(np.uint32))

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame({"key": self.keys, "n_docs": self.counts})


