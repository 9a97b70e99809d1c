"""Candidate pairs of a chunk, checked on their real shingle sets (exact intersections) and vetoed
when their numbers differ.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import numpy as np

from dechaff.dedup.lsh import within_batch_candidates
from dechaff.dedup.shingle import (
    Shingled,
    concat_ranges,
    cum_blocks,
    distinct,
    distinct_rows,
    find_sorted,
    numbers_differ,
)
from dechaff.dedup.store import DedupIndex, EntryShingles, concat_entries, entry_shingles
from dechaff.dedup.types import U64, DedupParams


@dataclass(slots=True)
class Candidates:
    """Candidate targets of the chunk's distinct paragraphs (``reps``) that come near a threshold,
    sorted by query, then by similarity (the larger of the pair's Jaccard and the share of the query in
    the target, best first), then by ingestion order. A target is a row of ``old_ids`` and ``old_meta``
    (an index entry) when ``is_old``, else another rep. ``checked``: the pairs verified (all that LSH found)."""

    cq: np.ndarray
    is_old: np.ndarray
    tgt: np.ndarray
    score: np.ndarray
    order: np.ndarray
    coff: np.ndarray  # candidates of rep s: coff[s]:coff[s+1]
    inter: np.ndarray  # exact shingle intersection of the pair
    tsize: np.ndarray  # shingle count of the target
    old_ids: np.ndarray  # row of an old target -> entry id
    old_meta: EntryMeta
    checked: int


def find_candidates(sub: Shingled, keys: np.ndarray, index: DedupIndex, wfp: np.ndarray,
                    dh: np.ndarray) -> Generator[None, None, Candidates]:
    """``keys``: the band keys of the rows of ``sub``; ``wfp`` and ``dh``: their word fingerprints and
    number hashes (see :class:`Tokens`). The band keys only find the pairs: each is then measured on
    the two shingle sets, so no MinHash signature is computed here. With the band tables in shards
    (``index.shards``) and every entry's shingle sets stored, each shard measures the pairs
    with index entries that it finds and sends back those that may hold (``checked`` then counts a
    pair two shards found twice); the lookup is sent first, the pairs within the chunk are measured
    meanwhile, and the generator then yields once, so that its caller may work too while the shards
    do (see :class:`dechaff.dedup.batch.DedupSession`). It returns the candidates."""
    params = index.params
    cap = params.bucket_cap
    queries = EntryShingles(sub, wfp, dh)
    shards = index.shards if index.shards is not None and index.all_shingled() else None
    sent = shards.send(keys, cap, queries) if shards is not None else None
    nq, ne = within_batch_candidates(keys, cap)
    inter_n, _ = measured(queries, nq, queries, ne)
    got = None
    if shards is not None and sent is not None:
        yield
        got = _or_taken_back(index, lambda: shards.receive(sent))  # (None: a shard was lost)
    if got is not None:
        oq, oe, inter_o, lb_o, checked = shards.measured(got)
        checked += len(nq)
        uniq_old, orow = distinct_rows(oe, index.size)
        nothing = np.full(len(uniq_old), None, dtype=object)
        old_meta = EntryMeta(uniq_old, nothing, np.full(len(uniq_old), -1, dtype=np.int64), nothing.copy())
        old_meta.carry(index.last_meta)
        index.last_meta = old_meta
    else:
        pairs = _or_taken_back(index, lambda: index.band.candidates(keys, cap))
        oq, oe = pairs if pairs is not None else index.band.candidates(keys, cap)
        checked = len(oq) + len(nq)
        old = _old_side(index, oe)
        uniq_old, old_meta = old.ids, old.meta
        # (the row of each pair's entry among them, -1 for an entry not found)
        rank = np.full(index.size, -1, dtype=np.int64)
        rank[uniq_old] = np.arange(len(uniq_old))
        orow = rank[oe]
        known = orow >= 0
        oq, oe, orow = oq[known], oe[known], orow[known]
        inter_o, lb_o = measured(queries, oq, old.es, orow)
    size_new = np.diff(sub.offsets)
    cq = np.concatenate((oq, nq))
    is_old = np.concatenate((np.ones(len(oq), bool), np.zeros(len(nq), bool)))
    tgt = np.concatenate((orow, ne))
    order = np.concatenate((oe, index.size + ne))  # ingestion order of the targets
    inter = np.concatenate((inter_o, inter_n))
    la = size_new[cq]
    lb = np.concatenate((lb_o, size_new[ne]))
    jac, share = similarities(inter, la, lb)  # (share: of the query found in the target)
    plausible = may_hold(inter, la, jac, share, params)
    cq, is_old, tgt, order = cq[plausible], is_old[plausible], tgt[plausible], order[plausible]
    # the texts of the entries that may hold (the others are never a match: their texts are not needed)
    old_meta.fill(uniq_old[np.unique(tgt[is_old])], index.fetch)
    score = np.maximum(jac, share)[plausible]
    lb, inter = lb[plausible], inter[plausible]
    srt = np.lexsort((order, -score, cq))
    cq, is_old, tgt, order, score, lb, inter = (cq[srt], is_old[srt], tgt[srt], order[srt], score[srt], lb[srt],
                                                inter[srt])
    coff = np.searchsorted(cq, np.arange(len(sub) + 1))
    return Candidates(cq, is_old, tgt, score, order, coff, inter, lb, uniq_old, old_meta, checked)


def _or_taken_back(index: DedupIndex, call: Callable[[], Any]) -> Any:
    """``call()`` (a call on the index's bands), or None when the shards holding them failed it (a worker
    lost): the index has then taken its tables back (``DedupIndex.take_back_bands``) and the caller does
    the lookup again, here. An error of tables in this process is raised."""
    try:
        return call()
    except Exception as e:
        if index.shards is None:
            raise
        index.take_back_bands(e)
        return None


def similarities(inter: np.ndarray, la: np.ndarray, lb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Jaccard of pairs of sets of sizes ``la`` and ``lb`` sharing ``inter``, and the share of the
    first set found in the second."""
    return inter / np.maximum(la + lb - inter, 1), inter / np.maximum(la, 1)


def measured(qs: EntryShingles, q: np.ndarray, es: EntryShingles, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (set ``q[i]`` of ``qs``, the query; set ``rows[i]`` of ``es``, the target) measured on their
    real shingle sets, in one vectorised pass (cheaper than MinHash signatures of both sides and their
    agreement, which would only estimate the same numbers): their intersections, 0 for the same words
    with other numbers (not a copy, however similar), and the targets' set sizes."""
    inter = pair_intersections(qs.sh, q, es.sh, rows)
    inter[numbers_differ(qs.wfp[q], qs.dh[q], es.wfp[rows], es.dh[rows])] = 0
    return inter, np.diff(es.sh.offsets)[rows]


def verified_pairs(qs: EntryShingles, q: np.ndarray, es: EntryShingles, rows: np.ndarray, params: DedupParams
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs of :func:`measured` that may hold (their positions), their intersections and their
    targets' set sizes (what a shard sends back)."""
    inter, lb = measured(qs, q, es, rows)
    la = np.diff(qs.sh.offsets)[q]
    sel = np.flatnonzero(may_hold(inter, la, *similarities(inter, la, lb), params))
    return sel, inter[sel], lb[sel]


def may_hold(inter: np.ndarray, la: np.ndarray, jac: np.ndarray, share: np.ndarray,
             params: DedupParams) -> np.ndarray:
    """The pairs near enough a threshold to be weighed (the others are never a match)."""
    return (inter > 0) & ((jac >= params.jaccard - 0.15) | ((share >= params.containment - 0.25)
                                                            & (la >= params.min_containment_shingles)))


class EntryMeta:
    """Entry id -> (doc_id, paragraph_index, text) of the index entries a chunk reached: held by row of
    its shingle sets (so that the next chunk takes the entries it reaches again by gathering rows, not
    by rebuilding a dict of them), looked up by id through ``ids_sorted``; ``extra``: entries fetched
    later in the chunk (the finals of exact copies). A row verified on stored shingles has no text
    until :meth:`fill` reads it (doc_id None): only the entries a pair may match are read."""

    __slots__ = ("docs", "paras", "texts", "ids_sorted", "rows_sorted", "extra")

    def __init__(self, ids: np.ndarray, docs: np.ndarray, paras: np.ndarray, texts: np.ndarray) -> None:
        self.docs, self.paras, self.texts = docs, paras, texts  # by row
        self.rows_sorted = np.argsort(ids, kind="stable")
        self.ids_sorted = ids[self.rows_sorted]
        self.extra: dict[int, tuple[str, int, str]] = {}

    def row(self, e: int) -> int:
        """The row of entry ``e``, or -1."""
        k = int(np.searchsorted(self.ids_sorted, e))
        return int(self.rows_sorted[k]) if k < len(self.ids_sorted) and self.ids_sorted[k] == e else -1

    def of_row(self, r: int) -> tuple[str, int, str]:
        d = self.docs[r]
        if d is None:
            raise LookupError(f"entry {int(self.ids_sorted[np.flatnonzero(self.rows_sorted == r)[0]])} was not read")
        return d, int(self.paras[r]), self.texts[r]

    def carry(self, prev: EntryMeta | None) -> None:
        """Take the texts ``prev`` (the last chunk's) had read of the entries here: a chunk reaches many
        of the last chunk's entries again (the earliest of the crowded buckets), and :meth:`fill` then
        reads only the others (the one-process path carries them with the shingle sets: ``_old_side``)."""
        if prev is None or not len(self.ids_sorted) or not len(prev.ids_sorted):
            return
        at, ok = find_sorted(self.ids_sorted, prev.ids_sorted)
        src, dst = prev.rows_sorted[at[ok]], self.rows_sorted[ok]
        read = np.fromiter((d is not None for d in prev.docs[src]), dtype=bool, count=len(src))
        src, dst = src[read], dst[read]
        self.docs[dst], self.paras[dst], self.texts[dst] = prev.docs[src], prev.paras[src], prev.texts[src]

    def fill(self, ids: np.ndarray, fetch: Callable[[np.ndarray], dict[int, tuple[str, int, str]]]) -> None:
        """Read (``fetch``) the entries of ``ids`` not read yet: rows without their text, and entries
        that are not rows (into ``extra``)."""
        ids = np.unique(np.asarray(ids, dtype=np.int64))
        at, ok = find_sorted(ids, self.ids_sorted)
        rows = self.rows_sorted[at[ok]]
        unread = np.fromiter((d is None for d in self.docs[rows]), dtype=bool, count=len(rows))
        rows = rows[unread]
        outside = [e for e in ids[~ok].tolist() if e not in self.extra]
        want = np.concatenate((ids[ok][unread], np.asarray(outside, dtype=np.int64)))
        if not len(want):
            return
        got = fetch(np.sort(want))
        for r, e in zip(rows.tolist(), ids[ok][unread].tolist(), strict=True):
            if e in got:
                self.docs[r], self.paras[r], self.texts[r] = got[e]
        self.extra.update({e: got[e] for e in outside if e in got})

    def __getitem__(self, e: int) -> tuple[str, int, str]:
        r = self.row(e)
        if r >= 0:
            return self.of_row(r)
        return self.extra[e]

    def __contains__(self, e: int) -> bool:
        return e in self.extra or self.row(e) >= 0

    def update(self, more: dict[int, tuple[str, int, str]]) -> None:
        self.extra.update(more)


@dataclass(slots=True)
class OldSide:
    """The index entries a chunk's candidates reach: ``ids`` (the entry of each row, not in id order),
    their shingle sets, word fingerprints and number hashes by row (``es``), and ``meta`` (entry id ->
    (doc_id, paragraph_index, text), read for the entries a pair may match)."""

    ids: np.ndarray
    es: EntryShingles
    meta: EntryMeta

    @property
    def sh(self) -> Shingled:
        return self.es.sh


def _old_side(index: DedupIndex, oe: np.ndarray) -> OldSide:
    """The entries ``oe`` names (each once), with what their verification needs: their stored shingle
    sets, read by entry (an entry stored without them, by an older version, is read and shingled
    again). An entry the last chunk reached too is taken from it (``index.last_old``): the earliest
    entries of the crowded buckets (short, common paragraphs) are reached by every chunk, and a bucket
    keeps its earliest ``bucket_cap`` entries for good. Its rows are those entries, then the new ones:
    nothing is put back in id order (at 10M that copy of every row's shingles was a quarter of this
    step). Entries not found are left out. At 10M paragraphs, reading and tokenizing the texts of the
    entries reached was the largest part of the dedup pass that grew with the index: the texts are now
    read only for the pairs that may hold (:meth:`EntryMeta.fill`)."""
    params = index.params
    ids = distinct(oe, index.size)
    last = index.last_old
    at, hit = find_sorted(ids, last.meta.ids_sorted if last is not None else ids[:0])
    new = ids[~hit]
    stored, es = index.shingles(new)
    rest = new[~stored]
    got = index.fetch(rest)
    if len(got) != len(rest):
        rest = np.array([e for e in rest.tolist() if e in got], dtype=np.int64)
    metas = [got[e] for e in rest.tolist()]
    new = np.concatenate((new[stored], rest))
    es = concat_entries([es, entry_shingles([t for _d, _p, t in metas], params)])
    n_stored = len(new) - len(rest)
    docs, texts = np.full(len(new), None, dtype=object), np.full(len(new), None, dtype=object)
    docs[n_stored:] = [d for d, _p, _t in metas]
    texts[n_stored:] = [t for _d, _p, t in metas]
    paras = np.full(len(new), -1, dtype=np.int64)
    paras[n_stored:] = np.fromiter((p for _d, p, _t in metas), dtype=np.int64, count=len(metas))
    if last is not None and hit.any():  # (the entries met before, then the new ones)
        lm = last.meta
        rows = lm.rows_sorted[at[hit]]
        both = np.concatenate((ids[hit], new))
        out = OldSide(both, concat_entries([last.es.take(rows), es]),
                      EntryMeta(both, np.concatenate((lm.docs[rows], docs)), np.concatenate((lm.paras[rows], paras)),
                                np.concatenate((lm.texts[rows], texts))))
    else:
        out = OldSide(new, es, EntryMeta(new, docs, paras, texts))
    index.last_old = out
    return out


def pair_intersections(sa: Shingled, qa: np.ndarray, sb: Shingled, qb: np.ndarray,
                       budget: int = 1 << 17) -> np.ndarray:
    """Exact shingle-set intersection sizes of the pairs (set ``qa[i]`` of ``sa``, set ``qb[i]`` of ``sb``),
    vectorised: each side's sets, tagged with their pair number, are already sorted, so one merge (a
    stable sort of two sorted runs is linear) puts equal shingles of a pair next to each other. Pairs
    go through in blocks of about ``budget`` shingles (cache-sized)."""
    n = len(qa)
    out = np.zeros(n, dtype=np.int64)
    if n == 0:
        return out
    la = sa.offsets[qa + 1] - sa.offsets[qa]
    lb = sb.offsets[qb + 1] - sb.offsets[qb]
    for lo, hi in cum_blocks(np.cumsum(la + lb), budget, max_items=1 << 23):  # (pair tags take 24 bits)
        tag = np.arange(hi - lo, dtype=U64) << U64(40)
        ka = sa.hashes[concat_ranges(sa.offsets[qa[lo:hi]], la[lo:hi])] | np.repeat(tag, la[lo:hi])
        kb = sb.hashes[concat_ranges(sb.offsets[qb[lo:hi]], lb[lo:hi])] | np.repeat(tag, lb[lo:hi])
        both = np.concatenate((ka, kb))
        both.sort(kind="stable")
        same = both[1:][both[1:] == both[:-1]]
        out[lo:hi] = np.bincount((same >> U64(40)).astype(np.int64), minlength=hi - lo)
    return out
