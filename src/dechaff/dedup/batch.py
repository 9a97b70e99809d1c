"""``deduplicate``: a batch of items against the index, chunk by chunk."""

from __future__ import annotations

import gc
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from dechaff.dedup.align import align_copies
from dechaff.dedup.candidates import Candidates, find_candidates
from dechaff.dedup.minhash import band_keys, keys_of, signatures
from dechaff.dedup.resolve import Resolver
from dechaff.dedup.shingle import Shingled, StagedTokens, fingerprints, shingles_of, take, tokenize, tokens_of
from dechaff.dedup.store import DedupIndex, EntryShingles, entry_shingles
from dechaff.dedup.types import U64, DedupOutcome, DedupParams, Item, clip
from dechaff.model import DUPLICATE_DOCUMENT, KEEP, Decision


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The resolution allocates many small acyclic objects (decisions, tuples); the cyclic garbage
    collector would walk the whole heap several times for nothing. Paused, then restored."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def deduplicate(items: Sequence[Item], index: DedupIndex, chunk: int = 100_000) -> DedupOutcome:
    """Decide every item against the index and the items before it, in ingestion order. Items of one
    document must be contiguous. Works through the items in chunks of about ``chunk`` paragraphs (cut
    at document boundaries) so memory stays bounded; the paragraphs it keeps are added to ``index`` as
    pending entries (:meth:`DedupIndex.write_pending` stores them)."""
    session = DedupSession(index, chunk)
    session.add(items)
    session.finish()
    return DedupOutcome(session.decisions, session.new_entries, session.pairs_checked, session.replaced)


class DedupSession:
    """:func:`deduplicate` for a run handed over batch by batch (a shard at a time, so that the run's
    documents are never held together): items are buffered and decided in the same chunks as one call
    over all of them would cut, so the decisions are the same. Only the chunk being decided is held, and
    one decision per item (``decisions``, in run order; with keep = "longest" a later chunk may revise an
    earlier one's). Every batch must end with a whole document."""

    def __init__(self, index: DedupIndex, chunk: int = 100_000, keep_entries: bool = True) -> None:
        self.index = index
        self.chunk = chunk
        self.keep_entries = keep_entries  # False: ``new_entries`` is not kept (a long run's caller has no use)
        self.buffer: list[Item] = []
        self.decisions: list[Decision] = []  # from run position ``base`` on (see ``release``)
        self.base = 0
        self.item_of_entry: dict[int, int] = {}  # entries created in this session -> item (run position)
        self.new_entries: list[int] = []
        self.pairs_checked = 0
        self.replaced: list[tuple[str, int, str, Decision]] = []  # paragraphs of earlier runs
        self._flight: tuple[Generator[None, None, _Chunked], list[Item]] | None = None  # (see _decide)

    def add(self, items: Sequence[Item]) -> None:
        self._land()  # (a chunk in flight since the last batch: see _decide)
        self.buffer.extend(items)
        while len(self.buffer) >= self.chunk:
            end = self.chunk
            while end < len(self.buffer) and self.buffer[end].doc_id == self.buffer[end - 1].doc_id:
                end += 1
            self._decide(end)

    def finish(self) -> None:
        if self.buffer:
            self._decide(len(self.buffer))
        self._land()

    @property
    def n_decided(self) -> int:
        """Items decided so far (run positions ``0 .. n_decided - 1``)."""
        return self.base + len(self.decisions)

    def decided(self, start: int, n: int) -> list[Decision]:
        """The decisions of run positions ``start .. start + n - 1`` (not released)."""
        if start < self.base:
            raise IndexError(f"decisions before item {self.base} were released")
        return self.decisions[start - self.base: start - self.base + n]

    def release(self, upto: int) -> None:
        """The caller is done with the decisions before run position ``upto``: they are let go (with
        keep = "longest" a later chunk may still revise them, so they are kept)."""
        if self.index.params.keep != "longest" and upto > self.base:
            del self.decisions[: upto - self.base]
            self.base = upto

    def _decide(self, end: int) -> None:
        """Decide the first ``end`` buffered items (a chunk). With the index's band tables in shards (a
        cluster's workers), the chunk's lookup is sent and the chunk left in flight: it is decided when
        the next batch is added (before the next chunk starts, whose lookup needs the entries this one
        adds) or at :meth:`finish`, and meanwhile the caller writes the rows of the chunks decided
        before it, spills entries and reads the next batch while the shards work. The same decisions,
        in the same order. (Held until the next chunk instead, the rows of a whole chunk more wait
        to be written: +216 MiB at 10M.)"""
        self._land()
        part, self.buffer = self.buffer[:end], self.buffer[end:]
        self._run(_dedup_chunk(part, self.index), part)

    def _land(self) -> None:
        """The chunk in flight, if any, decided."""
        if self._flight is not None:
            steps, part = self._flight
            self._flight = None
            self._run(steps, part)

    def _run(self, steps: Generator[None, None, _Chunked], part: list[Item]) -> None:
        """The chunk's steps run until they wait on the shards (the chunk is left in flight) or end (it
        is decided; at once with the tables in this process)."""
        with _gc_paused():
            try:
                next(steps)
            except StopIteration as done:
                self._chunk(part, done.value)
                return
        self._flight = (steps, part)

    def _chunk(self, part: list[Item], chunked: _Chunked) -> None:
        index, start = self.index, self.n_decided
        out, keys, fps, entry_items, entry_sh = chunked
        # kept paragraphs too short to be entries are stored too (duplicate documents align with them)
        others = [(part[k].doc_id, part[k].paragraph_index, part[k].text) for k in out.others]
        first = index.size
        index.add_pending(keys, fps, [(part[i].doc_id, part[i].paragraph_index, part[i].text)
                                      for i in entry_items], others, entry_sh)
        if self.index.params.keep == "longest":  # (only then can a later chunk replace an entry)
            self.item_of_entry.update({first + m: start + i for m, i in enumerate(entry_items)})
        self.decisions.extend(out.decisions)
        for e, (doc, para, text, dec) in out.replaced_entries.items():
            item = self.item_of_entry.get(e)
            if item is None:  # an earlier run's paragraph
                self.replaced.append((doc, para, text, dec))
            else:  # an earlier chunk of this run
                self.decisions[item] = dec
        if self.keep_entries:
            self.new_entries.extend(start + i for i in out.new_entries)
        self.pairs_checked += out.pairs_checked


def _matchable(cand: Candidates, own: list[int], exact: np.ndarray) -> list[tuple[str, int]]:
    """The index entries (doc_id, paragraph_index) a paragraph of the chunk can be found a copy of: the
    targets of its verified candidates (``own``) and the entries its exact copies stand for. Only
    their copiers are needed (the other candidates' would be read for nothing: the copiers lookup
    reads every segment's table, and built a list for each of tens of thousands of candidates)."""
    rows = np.asarray(own, dtype=np.int64)
    rows = rows[cand.is_old[rows]]
    ids = set(cand.old_ids[cand.tgt[rows]].tolist()) | set(exact.tolist())
    return sorted({cand.old_meta[e][:2] for e in ids})


@dataclass(slots=True)
class _ChunkOutcome:
    decisions: list[Decision]
    new_entries: list[int]  # kept items
    pairs_checked: int
    replaced_entries: dict[int, tuple[str, int, str, Decision]]  # index entries replaced in this chunk
    others: list[int]  # kept items with words but too short to be entries

_Chunked = tuple[_ChunkOutcome, np.ndarray, np.ndarray, list[int], EntryShingles]


def _dedup_chunk(items: Sequence[Item], index: DedupIndex) -> Generator[None, None, _Chunked]:
    """One chunk against the index; returns the outcome, and the band keys, fingerprints, items and
    shingle sets of its new index entries. A generator: it yields once while the index's shards work
    on its lookup (see :func:`find_candidates`), never with the tables in this process.

    Exact copies (same normalised text) of a kept paragraph are found by fingerprint; only the first
    occurrence of each distinct text is shingled, signed and looked up in the LSH index. A later
    occurrence whose first one was not kept (it was itself a near-duplicate, or in a duplicate document)
    takes the first one's candidates, plus the paragraphs between them that listed the first one."""
    params = index.params
    n = len(items)
    decisions: list[Decision] = [KEEP] * n
    if n == 0:
        return (_ChunkOutcome(decisions, [], 0, {}, []), np.zeros((0, params.bands), np.uint32), np.zeros(0, U64), [],
                entry_shingles([], params))
    tok = tokens_of([clip(it.text, params) for it in items], [it.tokens for it in items])
    elig = np.flatnonzero(tok.n_words >= max(params.min_words, 1))
    efp = fingerprints(tok)[elig]
    old_exact = index.exact(efp)
    _, first_of, group = np.unique(efp, return_index=True, return_inverse=True)
    group = group.ravel()
    is_rep = np.zeros(len(elig), dtype=bool)
    is_rep[first_of] = True
    is_rep &= old_exact < 0
    reps = np.flatnonzero(is_rep)  # eligible rows that need shingles: first of their text in the chunk
    srow = np.full(len(elig), -1, dtype=np.int64)
    srow[reps] = np.arange(len(reps))
    srow = srow[first_of[group]]  # every occurrence shares its first occurrence's shingles
    sub = shingles_of(tok, elig[reps], params)
    keys = _rep_keys(items, elig[reps], efp[reps], sub, params)
    cand = yield from find_candidates(sub, keys, index, tok.wfp[elig[reps]], tok.dh[elig[reps]])
    # exact copies of replaced entries stand for what replaced them
    finals = {int(e): index.final(int(e)) for e in np.unique(old_exact[old_exact >= 0])}
    want = np.array(sorted(set(finals) | set(finals.values())), dtype=np.int64)
    cand.old_meta.fill(want, index.fetch)
    res = Resolver(items, elig, group, reps, srow, sub, cand, params, index)
    res.old_copiers = index.copiers(_matchable(cand, res.own_l, want))
    res.run(old_exact, finals, decisions)
    index.add_copiers([(d, p, c) for (d, p), cs in res.local_copiers.items() for c in cs])
    align_copies(items, decisions, res.copies, res.doc_range, index, tok)
    _keep_unmatched(decisions, res)
    # new entries: the kept rows and the rows replaced by a longer copy in this chunk (kept for a while,
    # so a later exact copy of them finds what replaced them, in this run or a later one)
    kept = np.array(res.kept, dtype=bool)
    entry_rows = np.flatnonzero(kept | res.was_replaced)
    first = index.size
    entry_of = {int(r): first + m for m, r in enumerate(entry_rows)}
    for r_t, (r_k, rule, sim) in res.replaced_rows.items():
        index.retire(entry_of[r_t], entry_of[r_k], rule, sim)
    replaced_entries: dict[int, tuple[str, int, str, Decision]] = {}
    for e, (r_k, rule, sim) in res.retired_now.items():
        index.retire(e, entry_of[r_k], rule, sim)
        d, p, t = cand.old_meta[e]
        replaced_entries[e] = (d, p, t, res.replacement_decision(r_k, rule, sim))
    kept_rows = np.flatnonzero(kept)
    short = np.flatnonzero((tok.n_words > 0) & (tok.n_words < max(params.min_words, 1))).tolist()
    others = [k for k in short if decisions[k].keep]
    return (_ChunkOutcome(decisions, elig[kept_rows].tolist(), res.checked, replaced_entries, others),
            keys[srow[entry_rows]], efp[entry_rows], [int(elig[r]) for r in entry_rows],
            EntryShingles(take(sub, srow[entry_rows]), tok.wfp[elig[entry_rows]], tok.dh[elig[entry_rows]]))


def lsh_ahead(texts: Sequence[str], params: DedupParams) -> list[tuple[int, bytes] | None]:
    """What :func:`deduplicate` derives from each text before it looks at the index, computed ahead (by
    the shard step, which runs in parallel): ``(fingerprint, band keys as little-endian bytes)`` of every
    text with enough words to be an index entry, else None. The same work as the dedup chunk's (the same
    functions on the same clipped text), so the chunk can take it instead of doing it."""
    return lsh_ahead_tokens(texts, params)[0]


def lsh_ahead_tokens(texts: Sequence[str], params: DedupParams
                     ) -> tuple[list[tuple[int, bytes] | None], StagedTokens | None]:
    """:func:`lsh_ahead`, and the tokens of the texts for other uses of the same words (the boilerplate
    profiles; the dedup stage, which takes them instead of tokenizing the texts again: see
    :func:`tokens_of`); None for them when a text was clipped (its tokens are not all of its words)."""
    out: list[tuple[int, bytes] | None] = [None] * len(texts)
    tok = tokenize([clip(t, params) for t in texts])
    words = None if any(len(t) > params.max_chars for t in texts) else \
        StagedTokens(tok, np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)))
    elig = np.flatnonzero(tok.n_words >= max(params.min_words, 1))
    if not len(elig):
        return out, words
    fps = fingerprints(tok)[elig].tolist()
    keys = keys_of(tok, elig, params).astype("<u4")
    for r, k in enumerate(elig.tolist()):
        out[k] = (fps[r], keys[r].tobytes())
    return out, words


def _rep_keys(items: Sequence[Item], rows: np.ndarray, fps: np.ndarray, sub: Shingled,
              params: DedupParams) -> np.ndarray:
    """The band keys of the chunk's distinct texts (``items[rows[i]]``, shingles ``sub``): those computed
    ahead when their fingerprint is that of the text now (a template line removed since changes it),
    the others here."""
    keys = np.empty((len(rows), params.bands), dtype=np.uint32)
    ahead = [items[k].lsh for k in rows.tolist()]
    have = np.fromiter((a is not None and a[0] == f for a, f in zip(ahead, fps.tolist(), strict=True)),
                       dtype=bool, count=len(rows))
    got = np.flatnonzero(have)
    if len(got):
        blob = b"".join(ahead[i][1] for i in got.tolist())  # type: ignore[index]
        keys[got] = np.frombuffer(blob, np.dtype("<u4")).reshape(len(got), params.bands)
    todo = np.flatnonzero(~have)
    if len(todo):
        keys[todo] = band_keys(signatures(take(sub, todo), params), params)
    return keys


def _keep_unmatched(decisions: list[Decision], res: Resolver) -> None:
    """A paragraph of a duplicate document with no match of its own and no counterpart in the document
    it copies (a local paragraph added to a syndicated story) is not a copy of anything: it stays, so
    that no paragraph loses every copy. (Its document's other paragraphs are still duplicates.)"""
    for i, j, _tdoc in res.copies:
        for k in range(i, j):
            d = decisions[k]
            if d.reason == DUPLICATE_DOCUMENT and d.duplicate_of_paragraph is None:
                decisions[k] = KEEP
                r = int(np.searchsorted(res.elig, k))
                if r < len(res.elig) and res.elig_l[r] == k:
                    res.kept[r] = True


