"""Cross-document boilerplate: a paragraph or line that recurs in at least ``min_docs`` documents of
one site (URL host, or the raw subfolder for local files) is site template (author bios, footers,
newsletter blurbs), and every copy in the run is removed with reason ``boilerplate``.

Counts are of distinct documents per (site, normalised text), persisted in the output directory so
later runs keep counting. Two copies of a paragraph are a duplicate (the dedup stage keeps the first),
not boilerplate: the default threshold is well above 2, so text quoted or syndicated a few times stays.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl

from dechaff.dedup import normalize_bytes
from dechaff.model import BOILERPLATE, KEEP, Decision, Document


def _keys(site: str, texts: Sequence[str]) -> list[int]:
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
        dk = np.fromiter(delta.keys(), dtype=np.uint64, count=len(delta))
        dc = np.fromiter(delta.values(), dtype=np.uint32, count=len(delta))
        keys = np.concatenate((self.keys, dk))
        counts = np.concatenate((self.counts, dc))
        order = np.argsort(keys, kind="stable")
        keys, counts = keys[order], counts[order]
        uniq, start = np.unique(keys, return_index=True)
        return BoilerplateCounts(uniq, np.add.reduceat(counts, start).astype(np.uint32))

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame({"key": self.keys, "n_docs": self.counts})


def detect(docs: Sequence[Document], counts: BoilerplateCounts, min_docs: int
           ) -> tuple[BoilerplateCounts, int]:
    """Count this run's documents into ``counts`` and mark boilerplate paragraphs/lines in ``docs``
    (in place). Returns the updated counts and the number of removals made."""
    per_doc: list[tuple[Document, list, list[int]]] = []
    delta: Counter = Counter()
    for doc in docs:
        units = []  # (paragraph, line index or None, text)
        for p in doc.paragraphs:
            if not p.kept:
                continue
            units.append((p, None, p.text))
            if len(p.lines) > 1:
                for li, ln in enumerate(p.lines):
                    if p.line_decisions is None or p.line_decisions[li].keep:
                        units.append((p, li, ln))
        keys = _keys(doc.site, [u[2] for u in units])
        per_doc.append((doc, units, keys))
        for k in set(keys) - {0}:
            delta[k] += 1
    new = counts.merged(delta)
    removed = 0
    for _doc, units, keys in per_doc:
        if not units:
            continue
        totals = new.lookup(np.asarray(keys, dtype=np.uint64))
        for (p, li, _text), k, n in zip(units, keys, totals.tolist(), strict=True):
            if k == 0 or n < min_docs:
                continue
            d = Decision.drop(BOILERPLATE, "boilerplate.site-repeat",
                              f"recurs in {n} documents of site {_doc.site or '(raw root)'}")
            if li is None:
                if p.decision.keep:
                    p.decision = d
                    removed += 1
            elif p.decision.keep:
                if p.line_decisions is None:
                    p.line_decisions = [KEEP] * len(p.lines)
                if p.line_decisions[li].keep:
                    p.line_decisions[li] = d
                    removed += 1
                if all(not x.keep for x in p.line_decisions):
                    p.decision, p.line_decisions = d, None
    return new, removed
