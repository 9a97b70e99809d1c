"""The band tables split by band range across shards (on a cluster, one actor a worker) find exactly
the pairs of one table of every band, so a run decides the same."""

from __future__ import annotations

import random
from concurrent.futures import Future
from dataclasses import replace

import numpy as np
import pytest

from dechaff.dedup import BandIndex, DedupIndex, DedupParams, Item
from dechaff.dedup.bands import BandShard, InProcess, InThread, PartitionedBands, band_ranges, thread_shards
from dechaff.dedup.batch import DedupSession
from tests.dedup.test_dedup import P, para


def _partitioned(bands: int, parts: int, params: DedupParams = P) -> PartitionedBands:
    ranges = band_ranges(bands, parts)
    return PartitionedBands([InProcess(BandShard(lo, hi, params)) for lo, hi in ranges], ranges, bands)


def _pairs(got: tuple[np.ndarray, np.ndarray]) -> list[tuple[int, int]]:
    return sorted(zip(got[0].tolist(), got[1].tolist(), strict=True))


@pytest.mark.parametrize(("bands", "parts"), [(42, 2), (42, 5), (7, 7), (3, 10), (1, 1)])
def test_band_ranges_cover_every_band_once_in_near_equal_ranges(bands, parts):
    ranges = band_ranges(bands, parts)
    assert [b for lo, hi in ranges for b in range(lo, hi)] == list(range(bands))
    sizes = [hi - lo for lo, hi in ranges]
    assert len(ranges) == min(bands, parts) and max(sizes) - min(sizes) <= 1


def test_ranges_that_miss_or_repeat_a_band_are_refused():
    shards = [InProcess(BandShard(0, 2, P)), InProcess(BandShard(1, 4, P))]
    with pytest.raises(ValueError, match="once each"):
        PartitionedBands(shards, [(0, 2), (1, 4)], 4)
    with pytest.raises(ValueError, match="once each"):
        PartitionedBands(shards[:1], [(0, 2)], 4)


@pytest.mark.parametrize("parts", [1, 2, 3, 6])
def test_shards_find_the_pairs_of_one_index_loaded_and_grown(tmp_path, parts):
    """Stored parts (from key files, and as keys handed over), then entries added chunk by chunk with a
    lookup between: the union of the shards' pairs is one index's, caps included."""
    rng = np.random.default_rng(3)
    stored = [rng.integers(0, 30, size=(n, 6), dtype=np.uint32) for n in (200, 0, 350)]
    np.save(tmp_path / "seg-a.keys.npy", stored[0])
    np.save(tmp_path / "seg-c.keys.npy", stored[2])
    total = sum(k.shape[0] for k in stored)
    one = BandIndex.build(iter(stored), 6, total)
    split = _partitioned(6, parts)
    split.load([str(tmp_path / "seg-a"), stored[1], str(tmp_path / "seg-c")], total)
    assert split.size == one.size == total
    first = total
    for n in (40, 0, 120, 7):
        queries = rng.integers(0, 30, size=(90, 6), dtype=np.uint32)
        for cap in (1, 4, 50):
            a = _pairs(split.candidates(queries, cap))
            assert a == _pairs(one.candidates(queries, cap)) and a
        added = rng.integers(0, 30, size=(n, 6), dtype=np.uint32)
        one.add(added, first)
        split.add(added, first)
        first += n
    assert split.size == one.size == first
    assert split.nbytes() == one.nbytes()
    with pytest.raises(ValueError, match="in order"):
        split.add(added[:1], first + 1)


def test_a_shard_without_the_segment_file_says_the_output_must_be_shared(tmp_path):
    split = _partitioned(6, 2)
    with pytest.raises(FileNotFoundError) as e:
        split.load([str(tmp_path / "seg-gone")], 3)
    assert "seg-gone.keys.npy" in str(e.value) and "every worker mounts" in str(e.value)


def _docs(n: int, seed: int) -> list[tuple[str, list[str]]]:
    """Documents with exact, edited and trimmed copies of earlier paragraphs."""
    rng = random.Random(seed)
    pool = [para(1000 + k) for k in range(25)]
    docs = []
    for d in range(n):
        paras = []
        for k in range(4):
            r = rng.random()
            src = rng.choice(pool)
            if r < 0.25:
                paras.append(src)
            elif r < 0.4:
                w = src.split()
                w[rng.randrange(len(w))] = "changed"
                paras.append(" ".join(w))
            elif r < 0.5:
                paras.append(" ".join(src.split()[5:-5]))
            else:
                paras.append(para(seed * 1000 + d * 10 + k))
        docs.append((f"s{seed}/d{d:03d}", paras))
    return docs


def _three_runs(tmp_path, params: DedupParams, chunk: int, bands_of=None) -> tuple[list[list], int]:
    """Three runs, each against the stored index of the ones before, in chunks, spilling its entries to
    segments as the finalize step does (the third under other settings: its keys recomputed); with
    ``bands_of(params)``, the index's bands in those shards. Every run's decisions, and how many
    spills happened while a chunk was in flight."""
    segments: list = []
    out = []
    in_flight = 0
    where = tmp_path / ("split" if bands_of else "one")
    for run, p in enumerate((params, params, replace(params, ngram=4))):
        bands = bands_of(p) if bands_of else None
        idx = DedupIndex.load(p, segments, recompute=run == 2, bands=bands)
        assert isinstance(idx.band, PartitionedBands if bands and not bands.lost else BandIndex)
        session = DedupSession(idx, chunk=chunk)
        decisions = session.decisions
        for k, (d, ts) in enumerate(_docs(30, run)):
            session.add([Item(d, i, t) for i, t in enumerate(ts)])
            if len(idx.pending) >= 30:  # (a spill, as the finalize step's)
                in_flight += session._flight is not None
                assert idx.write_pending(where / f"seg-{run}-{k}")
        session.finish()
        out.append(list(decisions))
        assert idx.write_pending(where / f"seg-{run}")
        segments = idx.segments
    return out, in_flight


@pytest.mark.parametrize("chunk", [3, 25])
@pytest.mark.parametrize("params", [P, replace(P, keep="longest")], ids=["earliest", "longest"])
def test_runs_against_a_split_index_decide_as_against_one(tmp_path, monkeypatch, params, chunk):
    """Three runs against the stored index of the ones before (:func:`_three_runs`): with the index's
    bands in three shards, which also measure the pairs with index entries, every paragraph is decided
    as with one table measured here; and after a settings change (the keys recomputed here and handed
    to the shards, the pairs measured here: the stored shingle sets are of the old settings). With the
    shards, a chunk is left in flight while the caller works (entries are spilled: with chunks smaller
    than a document, at every spill)."""
    import dechaff.dedup.candidates as cand

    measured = []
    real = cand.verified_pairs
    monkeypatch.setattr(cand, "verified_pairs", lambda *a: measured.append(len(a[1])) or real(*a))
    one, in_flight_one = _three_runs(tmp_path, params, chunk)
    assert not measured
    split, in_flight = _three_runs(tmp_path, params, chunk, lambda p: _partitioned(p.bands, 3, p))
    assert split == one
    assert in_flight_one == 0 and (in_flight >= 2 or chunk > 4)
    assert len(measured) > 10 and sum(measured) > 40  # (calls and pairs the shards measured)
    dropped = [d for run in one for d in run if not d.keep]
    assert {d.reason for d in dropped} >= {"duplicate"} and len(dropped) > 20



def test_shards_in_threads_decide_as_one_table_and_their_threads_end(tmp_path):
    """The finalize step's default on two cores or more: the bands in shards that work in threads of this
    process (:func:`thread_shards`) while the caller goes on. Three runs decide as with one table, a chunk
    is left in flight while the caller spills entries, and each shard's thread is gone after the block."""
    import threading
    from contextlib import ExitStack

    one, _ = _three_runs(tmp_path, P, 3)
    with ExitStack() as stack:
        made: list[PartitionedBands] = []

        def bands_of(p: DedupParams) -> PartitionedBands:
            made.append(stack.enter_context(thread_shards(p, 2)))
            return made[-1]

        split, in_flight = _three_runs(tmp_path, P, 3, bands_of)
        assert all(isinstance(h, InThread) for b in made for h in b.handles) and len(made) == 3
        assert any(t.name.startswith("dechaff-bands") for t in threading.enumerate())
        assert all(b.lost is None for b in made) and sum(b.busy()[0] > 0 for b in made) == 3
    assert split == one and in_flight >= 2
    assert not any(t.name.startswith("dechaff-bands") for t in threading.enumerate())
    with thread_shards(P, 0) as none:
        assert none is None


def test_a_thread_shard_error_is_raised_by_its_future():
    """A shard's error in its thread reaches the caller through the call's future (``.result()``), as a
    remote actor's does: the index then takes its tables back (see ``DedupIndex.take_back_bands``)."""
    h = InThread(BandShard(0, 2, P))
    try:
        fut = h.load(["/nonexistent/segment"], 1)
        with pytest.raises(FileNotFoundError, match="must be on storage that every worker mounts"):
            fut.result()
        assert h.nbytes().result() == 0  # (the thread goes on serving)
    finally:
        h.close()


class _Dies:
    """A handle on a shard whose worker dies at its ``at``-th call of ``method``: from then on every call
    fails, as a lost Dask actor's do (``OSError: Unable to contact Actor's worker``)."""

    def __init__(self, obj: object, method: str, at: int) -> None:
        self._handle, self.method, self.at, self.calls, self.failed = InProcess(obj), method, at, 0, 0

    def __getattr__(self, name: str):
        call = getattr(self._handle, name)

        def maybe(*args, **kwargs) -> Future:
            self.calls += name == self.method
            if self.calls < self.at:
                return call(*args, **kwargs)
            self.failed += 1
            fut: Future = Future()
            fut.set_exception(OSError("Unable to contact Actor's worker"))
            return fut

        return maybe


@pytest.mark.parametrize(("method", "at"), [("load", 1), ("step", 1), ("step", 4)])
def test_a_shard_lost_mid_run_leaves_the_decisions_of_one_table(tmp_path, method, at):
    """The second of three shards dies (at its loading, at the first lookup, at the fourth): the tables
    are built in the index's process from the segments (this run's spills too) and the pending entries,
    the lookup that failed is done there, and every run decides as with one table from the start."""
    one, _ = _three_runs(tmp_path, P, 3)
    dying: list[_Dies] = []
    made: list[PartitionedBands] = []

    def bands_of(p: DedupParams) -> PartitionedBands:
        ranges = band_ranges(p.bands, 3)
        shards = [InProcess(BandShard(lo, hi, p)) for lo, hi in ranges]
        dying.append(_Dies(BandShard(*ranges[1], p), method, at))
        shards[1] = dying[-1]
        made.append(PartitionedBands(shards, ranges, p.bands))
        return made[-1]

    split, _ = _three_runs(tmp_path, P, 3, bands_of)
    assert split == one
    assert all(b.lost == "OSError: Unable to contact Actor's worker" for b in made)
    assert all(d.failed == 1 for d in dying)  # (no call to a lost shard after the first that failed)


def test_what_a_call_leaves_in_reference_cycles_is_freed_with_the_collector_paused():
    """A Dask actor's call holds its arguments and answer in reference cycles (at 10M the finalize
    process grew by 2 GB with the collector paused, as the dedup chunk pauses it): the arrays sent and
    received are freed once the answer is in, with no collection."""
    import gc
    import weakref

    held: list[weakref.ref] = []

    class Cyclic(InProcess):
        def __getattr__(self, name):
            call = super().__getattr__(name)

            def cyclic(*args):
                fut = call(*args)
                fut.held = (fut, args, fut.result())  # (a cycle holding the arguments and the answer)
                held.append(weakref.ref(args[0][1]))  # (the keys sent: a copy of the shard's columns)
                held.extend(weakref.ref(a) for a in fut.result())
                return fut

            return cyclic

    ranges = band_ranges(6, 2)
    split = PartitionedBands([Cyclic(BandShard(lo, hi, P)) for lo, hi in ranges], ranges, 6)
    keys = np.arange(600, dtype=np.uint32).reshape(100, 6)
    split.add(keys, 0)
    was = gc.isenabled()
    gc.disable()
    try:
        q, e = split.candidates(keys, 4)
        assert len(q) and len(held) == 6
        del q, e
        assert all(r() is None for r in held)
    finally:
        if was:
            gc.enable()


def test_pairs_measured_by_the_shards_are_those_measured_here(tmp_path):
    """With stored entries (read from a segment's shingle files) and pending ones (handed over), the
    pairs the shards measure and keep are the pairs one table finds that may hold, with the same
    intersections and set sizes."""
    from dechaff.dedup.candidates import may_hold, measured, similarities
    from dechaff.dedup.minhash import keys_of
    from dechaff.dedup.shingle import tokenize
    from dechaff.dedup.store import EntryShingles, entry_shingles

    stored = [para(k, 40) for k in range(60)]
    idx = DedupIndex(P)
    session = DedupSession(idx, chunk=1000)
    session.add([Item(f"a/{k}", 0, t) for k, t in enumerate(stored)])
    session.finish()
    assert idx.write_pending(tmp_path / "seg")
    one = DedupIndex.load(P, idx.segments)
    split = DedupIndex.load(P, idx.segments, bands=_partitioned(P.bands, 3))
    later = [" ".join(t.split()[3:]) + " and more words" for t in stored[:30]] + [para(500 + k, 40) for k in range(30)]
    for index in (one, split):  # (pending entries: the second half of the later texts)
        tok = tokenize(later[30:])
        es = EntryShingles.of_tokens(tok, np.arange(30), P)
        index.add_pending(keys_of(tok, np.arange(30), P), tok.fp, [(f"b/{k}", 0, t) for k, t in enumerate(later[30:])],
                          shingles=es)
    queries = entry_shingles(later, P)
    keys = keys_of(tokenize(later), np.arange(len(later)), P)
    q, e, inter, lb, n = split.band.measured(split.band.receive(split.band.send(keys, P.bucket_cap, queries)))
    oq, oe = one.band.candidates(keys, P.bucket_cap)
    found, es_all = one.shingles(np.unique(oe))
    assert found.all()
    i_all, lb_all = measured(queries, oq, es_all, np.searchsorted(np.unique(oe), oe))
    la = np.diff(queries.sh.offsets)[oq]
    keep = may_hold(i_all, la, *similarities(i_all, la, lb_all), P)
    want = sorted(zip(oq[keep].tolist(), oe[keep].tolist(), i_all[keep].tolist(), lb_all[keep].tolist(), strict=True))
    got = sorted(zip(q.tolist(), e.tolist(), inter.tolist(), lb.tolist(), strict=True))
    assert got == want and len(got) >= 30 and n >= len(oq)


def test_released_band_tables_keep_the_size_and_the_pending_entries(tmp_path):
    """Once a run's lookups are done the finalize step lets the band tables go before it writes its state
    files (1.4 GB at 4.2M entries): in this process or in threads (which end), the index keeps its size
    and still writes its pending entries as a segment."""
    texts = [para(k, 40) for k in range(40)]
    with thread_shards(P, 2) as bands:
        for where, b in (("one", None), ("split", bands)):
            idx = DedupIndex.load(P, [], bands=b)
            session = DedupSession(idx, chunk=15)
            session.add([Item(f"d/{k}", 0, t) for k, t in enumerate(texts)])
            session.finish()
            size = idx.size
            assert size == 40 and idx.band.nbytes() > 0
            idx.release_bands()
            assert idx.size == size
            if b is None:
                assert idx.band.nbytes() == 0
            else:
                assert all(h._obj is None for h in b.handles)  # (the shards, and their tables, let go)
            assert idx.write_pending(tmp_path / where)
            assert DedupIndex.load(P, idx.segments).size == size
