"""The band tables of the index split by band range across processes (the workers of a cluster), so that
the lookups of a chunk, and the measuring of the pairs they find, run in parallel and no process holds
every table (``bands`` x 8 bytes an entry: 1.4 GB at 4.2M entries with 42 bands).

A pair of paragraphs is a candidate when they share a bucket in any band, and each band keeps its own
``bucket_cap`` earliest entries per bucket: the bands are independent, so the union of the pairs each
range finds is exactly what one :class:`BandIndex` over every band finds (the same decisions, row for row).

:class:`BandShard` holds a range (a plain class: on a Dask cluster it runs as an actor, see
``flows/ingest.py``); :class:`PartitionedBands` is the index's side, with :class:`BandIndex`'s interface.
It talks to its shards through handles whose method calls return futures (``.result()``): a Dask
actor's calls do; :class:`InProcess` gives any object such calls (tests), and :class:`InThread` runs
them in a thread of their own (:func:`thread_shards`: the tables stay in this process, and their
lookups use another core while the caller works). The package does not import Dask. If a call fails
(a worker died), the index takes its tables back (``DedupIndex.take_back_bands``): the run goes on in
its process with the same decisions.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from dechaff.dedup.lsh import BandIndex, unique_pairs
from dechaff.dedup.shingle import distinct_rows
from dechaff.dedup.store import EntryShingles, stored_shingles
from dechaff.dedup.types import DedupParams

KEYS_SUFFIX = ".keys.npy"


def band_ranges(bands: int, parts: int) -> list[tuple[int, int]]:
    """``bands`` cut into at most ``parts`` contiguous ranges of sizes differing by at most one."""
    parts = max(1, min(parts, bands))
    cuts = [round(k * bands / parts) for k in range(parts + 1)]
    return [(cuts[k], cuts[k + 1]) for k in range(parts)]


class BandShard:
    """Bands ``lo .. hi - 1`` of the index: built from the stored segments' key files (read where this
    runs: the output must be on storage it sees) or from keys handed over, then grown chunk by chunk.
    It can also measure the pairs it finds (:meth:`step` given the queries' shingle sets) on the
    entries' shingle sets: the stored segments' files, and the pending entries' sets, handed over as
    they are added and let go when the segment they are spilled to is announced."""

    def __init__(self, lo: int, hi: int, params: DedupParams, merge_ratio: int = 8) -> None:
        if not 0 <= lo < hi:
            raise ValueError(f"band range {lo}..{hi}: empty")
        self.lo, self.hi = lo, hi
        self.params = params  # (the thresholds of the measuring)
        self.bands = BandIndex(hi - lo, merge_ratio)
        self.segments: list[tuple[str, int, bool]] = []  # (base path, first entry id, has shingle sets)
        self.pending: list[tuple[int, EntryShingles | None]] = []  # (first entry id, shingle sets) an add
        self.busy = 0.0  # seconds spent in load and step

    def load(self, parts: Sequence[str | np.ndarray], total: int,
             segments: Sequence[tuple[str, int, bool]] = ()) -> int:
        """The tables of the ``total`` stored entries, in entry order: each part is a segment (its base
        path: ``<base>.keys.npy`` holds every band's keys) or its keys of this range (m x (hi - lo));
        ``segments``: where the stored entries' shingle sets are (base path, first entry id, whether it
        has them). Returns the tables' size in bytes."""
        t0 = time.perf_counter()

        def ranged() -> Any:
            for p in parts:
                if isinstance(p, np.ndarray):
                    yield p
                    continue
                keys = np.load(_shared(f"{p}{KEYS_SUFFIX}"), mmap_mode="r")  # (only this range's columns are read)
                if keys.ndim != 2 or keys.shape[1] < self.hi:
                    raise ValueError(f"{p}{KEYS_SUFFIX}: {keys.shape} band keys, bands {self.lo}..{self.hi - 1} wanted")
                yield keys[:, self.lo:self.hi]

        self.bands = BandIndex.build(ranged(), self.hi - self.lo, total, self.bands.merge_ratio)
        self.segments = list(segments)
        self.pending = []
        self.busy += time.perf_counter() - t0
        return self.bands.nbytes()

    def step(self, parcel: list, cap: int) -> list[np.ndarray]:
        """``parcel``: [``news``, ``keys``, ``queries``]. What changed in the index since the last lookup
        (``news``, in order), then the candidate pairs (query row, entry id) of ``keys`` (this range's)
        in these bands, in a list (:func:`_unpacked`). One call a chunk: the entries
        a chunk kept are added before the next chunk looks, whatever order a cluster delivers calls in.
        With the queries' shingle sets (``queries``), the pairs are measured here and only those that
        may hold are sent back, with their intersections, their entries' set sizes and the number of
        pairs measured (see :func:`verified_pairs`)."""
        t0 = time.perf_counter()
        news, keys, queries = parcel
        try:
            return list(self._step(news, keys, cap, queries))
        finally:
            self.busy += time.perf_counter() - t0

    def _step(self, news: Sequence[News], keys: np.ndarray, cap: int,
              queries: EntryShingles | None) -> tuple[np.ndarray, ...]:
        for n in news:
            if n.keys is not None:  # entries added
                self.bands.add(n.keys, n.first)
                self.pending.append((n.first, n.shingles))
            else:  # the entries before ``first + count`` spilled to segment ``base``
                self.segments.append((n.base, n.first, n.shingled))
                self.pending = [(f, sh) for f, sh in self.pending if f >= n.first + n.count]
        q, e = self.bands.candidates(keys, cap)
        if queries is None:
            return q, e
        from dechaff.dedup.candidates import verified_pairs

        ids, rows = distinct_rows(e, self.bands.size)
        found, es = stored_shingles(ids, self.segments, self.pending, self.params)
        if not found.all():
            raise LookupError(f"entries without stored shingle sets: {ids[~found][:5].tolist()}...")
        sel, inter, lb = verified_pairs(queries, q, es, rows, self.params)
        return q[sel], e[sel], inter, lb, np.array([len(q)])

    def seconds(self) -> float:
        """The time spent in :meth:`load` and :meth:`step`."""
        return self.busy

    def nbytes(self) -> int:
        return self.bands.nbytes() + sum(sh.sh.hashes.nbytes for _f, sh in self.pending if sh is not None)


@dataclass(frozen=True, slots=True)
class News:
    """A change of the index a shard is told with its next lookup: entries ``first ..`` added (their
    keys of the shard's bands, their shingle sets or None), or the entries before ``first + count``
    spilled to segment ``base`` (whether it has their shingle sets: ``shingled``)."""

    first: int
    keys: np.ndarray | None = None
    shingles: EntryShingles | None = None
    base: str = ""
    count: int = 0
    shingled: bool = False


def _shared(f: str) -> str:
    """``f``, which must exist here (a worker of a cluster reads the output folder)."""
    if not Path(f).exists():
        import socket

        raise FileNotFoundError(f"{f}: not found on {socket.gethostname()}; the output folder must be "
                                "on storage that every worker mounts at the same path")
    return f


class InThread:
    """A handle on ``obj`` whose method calls run, one after another, in a thread of their own and return
    its futures (a Dask actor's calls return theirs). A shard's work is mostly numpy sorts, searches and
    merges, which release the GIL: it runs on another core while the caller goes on. :meth:`close`
    ends the thread."""

    def __init__(self, obj: Any) -> None:
        self._obj = obj
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="dechaff-bands")

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._obj, name)
        return lambda *args, **kwargs: self._pool.submit(method, *args, **kwargs)

    def close(self) -> None:
        """The thread ended, and the object let go."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._obj = None


@contextmanager
def thread_shards(params: DedupParams, threads: int) -> Iterator[PartitionedBands | None]:
    """The index's band tables split by band range across ``threads`` shards in threads of this
    process (None for 0: the tables in the index, looked up by the caller). The same decisions as one
    table (see the module's docstring); the threads end with the block."""
    if threads < 1:
        yield None
        return
    ranges = band_ranges(params.bands, threads)
    bands = PartitionedBands([InThread(BandShard(lo, hi, params)) for lo, hi in ranges], ranges, params.bands)
    try:
        yield bands
    finally:
        bands.release()


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
    ``ranges[k]``, together every band once). A chunk's lookups go to every shard at once, with what
    changed in the index since the last lookup; the pairs are their union. Sent the queries' shingle
    sets (:meth:`send`), each shard also measures the pairs it found (:meth:`measured`)."""

    def __init__(self, handles: Sequence[Any], ranges: Sequence[tuple[int, int]], bands: int) -> None:
        covered = sorted(b for lo, hi in ranges for b in range(lo, hi))
        if covered != list(range(bands)) or len(handles) != len(ranges):
            raise ValueError(f"the ranges {list(ranges)} do not cover bands 0..{bands - 1} once each")
        self.handles, self.ranges, self.n_bands = list(handles), list(ranges), bands
        self.size = 0
        self._news: list[News] = []  # since the last lookup
        self.waited = 0.0  # seconds this process spent sending the calls and waiting for their answers
        # why the shards were given up (a call failed: a worker died), the tables then built in the
        # index's process (``DedupIndex.take_back_bands``); None while they serve
        self.lost: str | None = None

    def load(self, parts: Sequence[str | np.ndarray], total: int,
             segments: Sequence[tuple[str, int, bool]] = ()) -> None:
        """Every shard's tables of the ``total`` stored entries (see :meth:`BandShard.load`; a part given
        as keys has every band's, each shard is sent its range)."""
        parcels = [[p if isinstance(p, str) else np.ascontiguousarray(p[:, lo:hi]) for p in parts]
                   for lo, hi in self.ranges]
        self._answers(self._submit(lambda h, p: h.load(p, total, list(segments)), parcels))
        self.size = total
        self._news = []

    def busy(self) -> list[float]:
        """Each shard's time spent in its loads and lookups (asked of each)."""
        return [f.result() for f in [h.seconds() for h in self.handles]]

    def add(self, keys: np.ndarray, first_id: int, shingles: EntryShingles | None = None) -> None:
        """Entries ``first_id ..`` with their (m x bands) keys and shingle sets (None: they are not
        measured by the shards)."""
        m = keys.shape[0]
        if m == 0:
            return
        if first_id != self.size:
            raise ValueError(f"entries must be added in order: expected id {self.size}, got {first_id}")
        self._news.append(News(first_id, keys, shingles))
        self.size += m

    def spilled(self, base: str, first_id: int, count: int, shingled: bool) -> None:
        """The entries before ``first_id + count`` are stored in segment ``base`` (from ``first_id`` on)."""
        self._news.append(News(first_id, base=base, count=count, shingled=shingled))

    def send(self, keys: np.ndarray, cap: int, queries: EntryShingles | None = None) -> Lookup:
        """The lookup of ``keys`` (and with ``queries``, the measuring of its pairs) sent to every shard
        with what changed in the index since the last one; :meth:`receive` waits for the answers. The
        caller may work in between (the shards work meanwhile); one lookup at a time."""
        parcels = [[[n if n.keys is None else replace(n, keys=np.ascontiguousarray(n.keys[:, lo:hi]))
                     for n in self._news], np.ascontiguousarray(keys[:, lo:hi]), queries]
                   for lo, hi in self.ranges]
        self._news = []
        return self._submit(lambda h, p: h.step(p, cap), parcels)

    def receive(self, sent: Lookup) -> list[list[np.ndarray]]:
        """Every shard's answer to ``sent`` (a shard's error is raised here)."""
        return [_unpacked(a) for a in self._answers(sent)]

    def _submit(self, call: Any, parcels: list[list]) -> Lookup:
        """``call(handle, parcel)`` on every shard, each with its parcel (what it is sent)."""
        t0 = time.perf_counter()
        sent = Lookup([call(h, p) for h, p in zip(self.handles, parcels, strict=True)], parcels)
        self.waited += time.perf_counter() - t0
        return sent

    def _answers(self, sent: Lookup) -> list[Any]:
        """The shards' answers to ``sent``, in shard order; its parcels then emptied (a call's future may
        hold its arguments in reference cycles: see :func:`_unpacked`)."""
        t0 = time.perf_counter()
        try:
            return [f.result() for f in sent.futures]
        finally:
            for p in sent.parcels:
                p.clear()
            sent.futures.clear()
            self.waited += time.perf_counter() - t0

    def candidates(self, keys: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`BandIndex.candidates`: the pairs of every shard, unique."""
        got = self.receive(self.send(keys, cap))
        return unique_pairs([q for q, _e in got], [e for _q, e in got])

    @staticmethod
    def measured(got: list[list[np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
        """The pairs of :meth:`candidates` that may hold, measured by the shards that found them (no
        pair list goes through this process), from the shards' answers: (query row, entry id,
        intersection, the entry's set size) of each, unique, and the number of pairs measured (a pair
        found in the bands of two shards is measured by both, and counted twice)."""
        q, e, inter, lb = (np.concatenate([g[k] for g in got]) for k in range(4))
        _, first = np.unique((q << 32) | e, return_index=True)  # (a pair two shards found: measured alike)
        return q[first], e[first], inter[first], lb[first], int(sum(g[4][0] for g in got))

    def release(self) -> None:
        """No lookup follows: shards in threads of this process end and let their tables go (a cluster's
        actors are the flow's to end)."""
        for h in self.handles:
            if isinstance(h, InThread):
                h.close()

    def nbytes(self) -> int:
        """What the shards hold (asked of each), with the entries they are still to be sent (8 bytes a band)."""
        queued = sum(n.keys.shape[0] for n in self._news if n.keys is not None) * self.n_bands * 8
        return sum(f.result() for f in [h.nbytes() for h in self.handles]) + queued


@dataclass(slots=True)
class Lookup:
    """A lookup sent to the shards: their calls' futures and what each was sent (emptied on receipt)."""

    futures: list[Any]
    parcels: list[list]


def _unpacked(answer: list) -> list:
    """A shard's answer, taken out of the list it came in, which is left empty. A Dask actor's call keeps
    its arguments and answer in reference cycles that only the cyclic collector frees, and the dedup
    chunk pauses it: at 10M the finalize process grew to 5.6 GB (against 3.4 GB with the tables in it).
    The arguments and answers travel in lists that are emptied once the answer is in, so what they hold
    (tens of MB of keys and shingle sets a chunk) is freed then, whatever holds the lists; collecting
    the cycles instead took 0.2 s a call at 10M, with everything the chunk had made in the young
    generation."""
    out = list(answer)
    answer.clear()
    return out
