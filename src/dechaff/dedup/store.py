"""The persistent index: the kept paragraphs of the corpus, their signatures and band keys on disk."""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dechaff.dedup.lsh import BandIndex
from dechaff.dedup.minhash import keys_of
from dechaff.dedup.shingle import (
    Shingled,
    Tokens,
    concat,
    concat_ranges,
    find_sorted,
    fingerprints,
    shingles_of,
    take,
    tokenize,
)
from dechaff.dedup.types import U64, DedupParams, clip
from dechaff.store.atomic import RECORDS_SUFFIX, SHINGLES_SUFFIX, STATE_SUFFIX
from dechaff.store.manifest import damaged

if TYPE_CHECKING:
    from dechaff.dedup.bands import PartitionedBands
    from dechaff.dedup.candidates import EntryMeta, OldSide


@dataclass(slots=True)
class EntryShingles:
    """What verifying a pair needs of index entries, by row: their shingle sets, word fingerprints and
    number hashes (see :class:`Tokens`), as the entries' own chunk computed them."""

    sh: Shingled
    wfp: np.ndarray  # uint64
    dh: np.ndarray  # uint64

    def __len__(self) -> int:
        return len(self.sh)

    def take(self, rows: np.ndarray) -> EntryShingles:
        return EntryShingles(take(self.sh, rows), self.wfp[rows], self.dh[rows])

    @classmethod
    def of_tokens(cls, tok: Tokens, rows: np.ndarray, params: DedupParams) -> EntryShingles:
        """Those of paragraphs ``rows`` (ascending) of a tokenized batch."""
        return cls(shingles_of(tok, rows, params), tok.wfp[rows], tok.dh[rows])


def entry_shingles(texts: Sequence[str], params: DedupParams) -> EntryShingles:
    """:class:`EntryShingles` of texts (each clipped as the dedup chunk clips it)."""
    return EntryShingles.of_tokens(tokenize([clip(t, params) for t in texts]), np.arange(len(texts)), params)


def concat_entries(parts: Sequence[EntryShingles]) -> EntryShingles:
    """The rows of ``parts`` (at least one), one after the other."""
    if len(parts) == 1:
        return parts[0]
    return EntryShingles(concat([p.sh for p in parts]), np.concatenate([p.wfp for p in parts]),
                         np.concatenate([p.dh for p in parts]))


# ------------------------------------------------------------------------------------ persistent index
class DedupIndex:
    """The kept paragraphs of the corpus, for deduplicating new ones against them.

    In RAM: the per-band sorted arrays (``bands`` x 8 bytes per entry) and the sorted fingerprints of
    the entries' normalised texts (12 bytes per entry), for exact copies. On disk, one segment per run
    under the state directory: ``<name>.keys.npy`` (band keys), ``<name>.fp.npy`` (fingerprints),
    ``<name>.pq`` (Parquet: entry id, doc_id, paragraph_index, text), the same entries as records
    that can be read one by one (``<name>.rows.bin``, their offsets in ``<name>.rows.npy``) and their
    shingle sets (``<name>.sh.npy``, ``<name>.sh.rows.npy``), read by entry: a candidate entry is verified
    on its stored shingles (not tokenized again), and its text is read only when a pair holds.
    """

    def __init__(self, params: DedupParams) -> None:
        self.params = params
        self.band: BandIndex | PartitionedBands = BandIndex(params.bands)
        self.segments: list[Path] = []
        self.seg_first: list[int] = []  # the first entry id of each segment (its entries are contiguous)
        self.committed = 0  # entries stored on disk; the ones after are pending (this run's)
        self.pending: list[tuple[str, int, str]] = []
        self.pending_keys: list[np.ndarray] = []
        self.pending_fps: list[np.ndarray] = []
        # the pending entries' shingle sets, one part per :meth:`add_pending` as ``pending_keys`` (None: not given)
        self.pending_sh: list[EntryShingles | None] = []
        # whether each segment has shingle sets stored under the current settings
        self.seg_shingled: list[bool] = []
        self.reshingle: list[Path] = []  # segments whose shingles :meth:`write_rederived` computes again
        # kept paragraphs too short to be entries (no band keys): stored for aligning duplicate documents
        self.pending_other: list[tuple[str, int, str]] = []
        self._pending_docs: dict[str, list[tuple[int, str]]] = {}
        # kept paragraph (doc, index) -> later kept documents that had a duplicate of it
        self.pending_copiers: dict[tuple[str, int], list[str]] = {}
        # keep = "longest": entries replaced by a longer copy -> (the replacing entry, rule, similarity)
        self.retired: dict[int, tuple[int, str, float]] = {}
        self.pending_retired: dict[int, tuple[int, str, float]] = {}
        # segments whose band keys and fingerprints were recomputed on load (other signature settings):
        # :meth:`write_rederived` stores them, so that the next run, under the new settings, reads them
        self.rederived: list[tuple[Path, np.ndarray, np.ndarray]] = []
        # what the last chunk's candidates reached of the index (``candidates.OldSide``): the next chunk
        # takes from it the entries it reaches again (entries never change)
        self.last_old: OldSide | None = None
        self.last_meta: EntryMeta | None = None  # (the same, with the band tables in shards: texts only)
        self._fp = np.zeros(0, U64)  # sorted fingerprints...
        self._fp_id = np.zeros(0, np.uint32)  # ...and their entry ids (earliest first among equals)

    @property
    def size(self) -> int:
        return self.band.size

    @property
    def shards(self) -> PartitionedBands | None:
        """The band tables' shards in other processes, when they hold them (:meth:`load`'s ``bands``)."""
        return None if isinstance(self.band, BandIndex) else self.band

    @classmethod
    def load(cls, params: DedupParams, segment_paths: Sequence[Path], recompute: bool = False,
             bands: PartitionedBands | None = None) -> DedupIndex:
        """The stored index. ``bands``: shards (of band ranges, in other processes) that hold the band
        tables instead of this process; they read the stored segments' keys themselves (the paths are
        made absolute), and are handed those recomputed here."""
        idx = cls(params)
        all_fps: list[np.ndarray] = []
        total = sum(_entries(Path(base)) for base in segment_paths)
        if bands is None:
            idx.band = BandIndex.build((k for _b, k, _r in idx._segment_keys(segment_paths, recompute, all_fps)),
                                       params.bands, total)
        else:
            parts = [k if rederived else str(Path(b).resolve())
                     for b, k, rederived in idx._segment_keys(segment_paths, recompute, all_fps)]
            idx.band = bands
            bands.size = total  # (what is lost if the loading fails)
            try:
                bands.load(parts, total, [(str(Path(b).resolve()), f, sh)
                                          for b, f, sh in zip(idx.segments, idx.seg_first, idx.seg_shingled, strict=True)])
            except Exception as e:  # (whatever a lost worker raises: the tables are built here)
                idx.take_back_bands(e)
        fps = np.concatenate([np.zeros(0, U64), *all_fps]).astype(U64, copy=False)
        all_fps.clear()
        order = np.argsort(fps, kind="stable")  # (equal fingerprints in entry order)
        idx._fp = fps[order]
        del fps
        idx._fp_id = order.astype(np.uint32)
        idx.committed = idx.size
        return idx

    def release_bands(self) -> None:
        """The band tables let go once the run's lookups are done: writing the state files needs only
        the pending entries (at 4.2M entries the tables are 1.4 GB, and the state files' frames came on
        top of them at the run's peak). No lookup may follow."""
        self.band.release()

    def take_back_bands(self, error: BaseException) -> None:
        """The shards that held the band tables were lost (a worker of the cluster died, or could not be
        reached): the tables are built in this process instead, from the segments' key files (the
        stored ones and those this run spilled) and the pending entries' keys, as a run without shards
        holds them, and the run goes on with the same decisions. The shards' object records why
        (``PartitionedBands.lost``)."""
        shards = self.shards
        if shards is None:
            raise ValueError("the band tables are in this process already")
        rederived = {Path(b): k for b, k, _f in self.rederived}

        def parts() -> Iterator[np.ndarray]:
            for base in self.segments:
                yield rederived[base] if base in rederived else np.load(f"{base}.keys.npy", mmap_mode="r")
            yield from self.pending_keys

        self.band = BandIndex.build(parts(), self.params.bands, shards.size)
        shards.lost = f"{type(error).__name__}: {error}"

    def _segment_keys(self, segment_paths: Sequence[Path], recompute: bool, all_fps: list[np.ndarray]
                      ) -> Iterator[tuple[Path, np.ndarray, bool]]:
        """Each stored segment, in order, for :meth:`load`: its base path, its band keys (mapped from
        the file: only the pages read are) and whether they were recomputed (their fingerprints are
        appended to ``all_fps``); keys and fingerprints recomputed from the texts where the signature
        settings changed. Reads the segments' replacements too."""
        params, size = self.params, 0
        for base in segment_paths:
            keys = np.load(f"{base}.keys.npy", mmap_mode="r")
            fp_path = Path(f"{base}.fp.npy")
            fps = np.load(fp_path) if fp_path.exists() and not recompute else None
            rederive = recompute or keys.ndim != 2 or keys.shape[1] != params.bands or fps is None
            if rederive:
                # signature settings changed (or an older segment): recompute from the stored texts
                # (band keys and fingerprints are derived data)
                import polars as pl

                df = pl.read_parquet(f"{base}{STATE_SUFFIX}", columns=["entry_id", "text"])
                texts = [clip(t, params) for t in df.filter(pl.col("entry_id").is_not_null())["text"].to_list()]
                tok = tokenize(texts)
                keys = keys_of(tok, np.arange(len(texts)), params)
                fps = fingerprints(tok)
                self.rederived.append((Path(base), keys, fps))
                self.reshingle.append(Path(base))
            if keys.shape[0] != len(fps):
                raise ValueError(f"{base}: {keys.shape[0]} band keys but {len(fps)} fingerprints")
            # (shingles stored under other settings are not used; :meth:`write_rederived` replaces them)
            self.seg_shingled.append(not rederive and _has_shingles(base))
            self.seg_first.append(size)
            size += keys.shape[0]
            all_fps.append(fps)
            self.segments.append(Path(base))
            ret = Path(f"{base}.retired{STATE_SUFFIX}")
            if ret.exists():
                import polars as pl

                for e, by, rule, sim in pl.read_parquet(ret).iter_rows():
                    self.retired[e] = (by, rule, sim)
            yield Path(base), keys, rederive

    def add_pending(self, keys: np.ndarray, fps: np.ndarray, metas: list[tuple[str, int, str]],
                    others: Sequence[tuple[str, int, str]] = (), shingles: EntryShingles | None = None) -> None:
        """Entries kept by the current run: searchable at once, written by :meth:`write_pending`;
        ``others`` are kept paragraphs that are not entries (too short to deduplicate); ``shingles``:
        the entries' (as :func:`entry_shingles` computes them from their texts), stored with them."""
        if shingles is not None and len(shingles) != len(metas):
            raise ValueError(f"{len(metas)} entries but {len(shingles)} shingle sets")
        self.pending_sh.append(shingles)
        self._add(keys, fps, shingles)
        self.pending.extend(metas)
        self.pending_keys.append(keys)
        self.pending_fps.append(fps)
        self.pending_other.extend(others)
        for d, p, t in (*metas, *others):
            self._pending_docs.setdefault(d, []).append((p, t))

    def retire(self, entry: int, by: int, rule: str, similarity: float) -> None:
        """Entry ``entry`` was replaced by the longer entry ``by`` (keep = "longest")."""
        self.retired[entry] = (by, rule, similarity)
        self.pending_retired[entry] = (by, rule, similarity)

    def final(self, entry: int) -> int:
        """The entry that stands for ``entry`` now: itself, or what replaced it (transitively)."""
        while entry in self.retired:
            entry = self.retired[entry][0]
        return entry

    def add_copiers(self, pairs: Sequence[tuple[str, int, str]]) -> None:
        """Record that document ``doc`` (kept) had a duplicate of kept paragraph (tdoc, tpara)."""
        for tdoc, tpara, doc in pairs:
            self.pending_copiers.setdefault((tdoc, tpara), []).append(doc)

    def copiers(self, targets: Sequence[tuple[str, int]]) -> dict[tuple[str, int], list[str]]:
        """For kept paragraphs, the kept documents that had a duplicate of them, earliest first."""
        found = {t: list(self.pending_copiers.get(t, ())) for t in targets}
        files = [f"{s}.copies{STATE_SUFFIX}" for s in self.segments if Path(f"{s}.copies{STATE_SUFFIX}").exists()]
        if targets and files:
            import polars as pl

            want = pl.DataFrame({"target_doc": [t[0] for t in targets],
                                 "target_paragraph": pl.Series([t[1] for t in targets], dtype=pl.Int32)})
            df = (pl.scan_parquet(files).join(want.lazy(), on=["target_doc", "target_paragraph"], maintain_order="left")
                  .select("target_doc", "target_paragraph", "doc_id").collect())
            old: dict[tuple[str, int], list[str]] = {}
            for d, p, c in df.iter_rows():
                old.setdefault((d, p), []).append(c)
            for t, cs in old.items():
                found[t] = cs + found[t]
        return found

    def doc_paragraphs(self, doc_ids: Sequence[str]) -> dict[str, list[tuple[int, str]]]:
        """The kept paragraphs (index, text) of earlier documents, in paragraph order."""
        gone = {self.pending[e - self.committed][:2] for e in self.retired if e >= self.committed}
        found = {d: sorted(x for x in self._pending_docs[d] if (d, x[0]) not in gone)
                 for d in doc_ids if d in self._pending_docs}
        want = [d for d in doc_ids if d not in found]
        if want and self.segments:
            import polars as pl

            retired = [e for e in self.retired if e < self.committed]
            df = _collect(pl.scan_parquet([f"{s}{STATE_SUFFIX}" for s in self.segments])
                          .filter(pl.col("doc_id").is_in(want)
                                  & (pl.col("entry_id").is_null() | ~pl.col("entry_id").is_in(retired)))
                          .select("doc_id", "paragraph_index", "text").sort("doc_id", "paragraph_index"),
                          self.segments)
            for d, p, t in df.iter_rows():
                found.setdefault(d, []).append((p, t))
        return found

    def _add(self, keys: np.ndarray, fps: np.ndarray, shingles: EntryShingles | None) -> None:
        if keys.shape[0] != len(fps):
            raise ValueError("one fingerprint per entry")
        if keys.shape[0]:
            first = self.band.size
            if self.shards is None:
                self.band.add(keys, first)
            else:  # (the shards measure pairs with these entries too)
                self.shards.add(keys, first, shingles)
            # merged in, equal fingerprints in entry order (the new ones after the old ones)
            order = np.argsort(fps.astype(U64), kind="stable")
            new_fp = fps.astype(U64)[order]
            pos = np.searchsorted(self._fp, new_fp, side="right")
            self._fp = np.insert(self._fp, pos, new_fp)
            self._fp_id = np.insert(self._fp_id, pos, (first + order).astype(np.uint32))

    def exact(self, fps: np.ndarray) -> np.ndarray:
        """For each fingerprint, the earliest entry with the same normalised text, or -1."""
        pos, found = find_sorted(fps, self._fp)
        out = np.full(len(fps), -1, dtype=np.int64)
        out[found] = self._fp_id[pos[found]]
        return out

    def nbytes(self) -> int:
        return self.band.nbytes() + self._fp.nbytes + self._fp_id.nbytes

    def all_shingled(self) -> bool:
        """Whether every entry has its shingle sets stored (under the current settings) or given."""
        return all(self.seg_shingled) and all(p is not None for p in self.pending_sh)

    def fetch(self, ids: np.ndarray) -> dict[int, tuple[str, int, str]]:
        """entry id -> (doc_id, paragraph_index, text): pending entries from memory, the others read
        from the segments on disk: record by record where the segment has them (a chunk's candidates
        reach a few entries of every segment: reading every segment's Parquet for them grew with the
        index), else from its Parquet (segments written before the records were)."""
        found = {int(e): self.pending[int(e) - self.committed] for e in ids if e >= self.committed}
        want = np.unique(np.asarray(ids, dtype=np.int64))
        want = want[want < self.committed]
        if not len(want) or not self.segments:
            return found
        seg = np.searchsorted(self.seg_first, want, side="right") - 1
        cut = np.flatnonzero(np.diff(seg)) + 1
        by_parquet: list[int] = []
        for part in np.split(np.arange(len(want)), cut):
            k = int(seg[part[0]])
            base = self.segments[k]
            if Path(f"{base}{RECORDS_SUFFIX}.npy").exists():
                found.update(zip(want[part].tolist(), read_records(base, want[part] - self.seg_first[k]),
                                 strict=True))
            else:
                by_parquet.extend(want[part].tolist())
        if by_parquet:
            import polars as pl

            holding = np.unique(np.searchsorted(self.seg_first, by_parquet, side="right") - 1)
            df = _collect(pl.scan_parquet([f"{self.segments[k]}{STATE_SUFFIX}" for k in holding.tolist()])
                          .filter(pl.col("entry_id").is_in(by_parquet))
                          .select("entry_id", "doc_id", "paragraph_index", "text"),
                          [self.segments[k] for k in holding.tolist()])
            found.update({e: (d, p, t) for e, d, p, t in df.iter_rows()})
        return found

    def shingles(self, ids: np.ndarray) -> tuple[np.ndarray, EntryShingles]:
        """For entries ``ids`` (ascending, distinct): which have stored shingle sets (pending ones given
        to :meth:`add_pending`, or in a segment that has them under the current settings), and theirs,
        in the order of ``ids``. Only their rows of a segment's files are read."""
        firsts = self.committed + np.cumsum([0, *(len(k) for k in self.pending_keys)])[:-1]
        return stored_shingles(ids, [(b, f, sh) for b, f, sh in zip(self.segments, self.seg_first, self.seg_shingled,
                                                                 strict=True)],
                               list(zip(firsts.tolist(), self.pending_sh, strict=True)), self.params)

    def write_rederived(self) -> list[Path]:
        """Replace the band keys and fingerprints of the segments recomputed on load, and their shingle
        sets (computed again here, a segment at a time: a settings change is rare, and holding every
        segment's shingles until now would hold the whole index's); each file written to a temporary
        name, then renamed. Returns the files replaced (their checksums changed).
        Derived data: a crash half-way leaves files that the next run, still under the old settings in the
        manifest, recomputes again."""

        written: list[Path] = []
        for base, keys, fps in self.rederived:
            for suffix, arr in ((".keys.npy", np.ascontiguousarray(keys, dtype=np.uint32)),
                                (".fp.npy", np.ascontiguousarray(fps, dtype=U64))):
                written.append(_save_npy(Path(f"{base}{suffix}"), arr))
        self.rederived = []
        for base in self.reshingle:
            import polars as pl

            df = pl.read_parquet(f"{base}{STATE_SUFFIX}", columns=["entry_id", "text"])
            texts = df.filter(pl.col("entry_id").is_not_null()).sort("entry_id")["text"].to_list()
            written.extend(write_shingles(base, entry_shingles(texts, self.params)))
        self.reshingle = []
        return written

    def write_pending(self, base: Path) -> bool:
        """Write the pending entries as a segment (``<base>.pq``, its records, ``<base>.keys.npy`` and
        ``<base>.fp.npy``, each written to a temporary name and renamed); the caller commits it through
        the manifest.
        Returns False when there was nothing to write."""
        if not (self.pending or self.pending_other or self.pending_copiers or self.pending_retired):
            return False
        import polars as pl

        from dechaff.store.atomic import atomic_write_parquet

        first_id = self.committed
        rows = self.pending + self.pending_other
        doc_ids, para_idx, texts = (list(x) for x in zip(*rows, strict=True)) if rows else ([], [], [])
        keys = np.vstack([np.zeros((0, self.params.bands), np.uint32), *self.pending_keys])
        fps = np.concatenate([np.zeros(0, U64), *self.pending_fps])
        entry = [*range(first_id, first_id + len(self.pending)), *([None] * len(self.pending_other))]

        df = pl.DataFrame({"entry_id": pl.Series(entry, dtype=pl.Int64),
                           "doc_id": doc_ids, "paragraph_index": pl.Series(para_idx, dtype=pl.Int32),
                           "text": texts}, schema_overrides={"doc_id": pl.String, "text": pl.String})
        atomic_write_parquet(df, Path(f"{base}{STATE_SUFFIX}"))
        write_records(Path(base), self.pending)
        if self.pending and all(p is not None for p in self.pending_sh):
            write_shingles(Path(base), concat_entries([p for p in self.pending_sh if p is not None]))
        _save_npy(Path(f"{base}.keys.npy"), np.ascontiguousarray(keys, dtype=np.uint32))
        _save_npy(Path(f"{base}.fp.npy"), np.ascontiguousarray(fps, dtype=U64))
        cp = [(d, p, c) for (d, p), cs in self.pending_copiers.items() for c in cs]
        atomic_write_parquet(pl.DataFrame(cp, schema={"target_doc": pl.String, "target_paragraph": pl.Int32,
                                                      "doc_id": pl.String}, orient="row"),
                             Path(f"{base}.copies{STATE_SUFFIX}"))
        if self.pending_retired:
            ret = [(e, by, rule, sim) for e, (by, rule, sim) in sorted(self.pending_retired.items())]
            atomic_write_parquet(pl.DataFrame(ret, schema={"entry_id": pl.Int64, "by_entry": pl.Int64,
                                                           "rule": pl.String, "similarity": pl.Float64},
                                              orient="row"), Path(f"{base}.retired{STATE_SUFFIX}"))
        self.segments.append(Path(base))
        self.seg_first.append(first_id)
        self.seg_shingled.append(_has_shingles(base))
        if self.shards is not None:  # (they read these entries' shingle sets from it now)
            self.shards.spilled(str(Path(base).resolve()), first_id, self.size - first_id, self.seg_shingled[-1])
        self.committed = self.size
        self.pending, self.pending_keys, self.pending_fps = [], [], []
        self.pending_sh = []
        self.pending_other, self._pending_docs, self.pending_copiers = [], {}, {}
        self.pending_retired = {}
        return True


def stored_shingles(ids: np.ndarray, segments: Sequence[tuple[Path | str, int, bool]],
                    pending: Sequence[tuple[int, EntryShingles | None]], params: DedupParams
                    ) -> tuple[np.ndarray, EntryShingles]:
    """:meth:`DedupIndex.shingles` over ``segments`` (base path, first entry id, whether it has shingle
    sets under the current settings) and the ``pending`` entries' parts (first entry id, shingle sets
    or None), both in entry order: which of ``ids`` (ascending, distinct) have shingle sets, and theirs."""
    ids = np.asarray(ids, dtype=np.int64)
    found = np.zeros(len(ids), dtype=bool)
    parts: list[EntryShingles] = []
    firsts = [f for _b, f, _s in segments] + [f for f, _p in pending]
    src = np.searchsorted(np.asarray(firsts, dtype=np.int64), ids, side="right") - 1
    for k in np.unique(src[src >= 0]).tolist():
        at = np.flatnonzero(src == k)
        rows = ids[at] - firsts[k]
        if k < len(segments):
            base, _f, shingled = segments[k]
            if not shingled:
                continue
            got = read_shingles(Path(base), rows)
        else:
            part = pending[k - len(segments)][1]
            if part is None:
                continue
            got = part.take(rows)
        found[at] = True
        parts.append(got)
    if not parts:
        return found, entry_shingles([], params)
    return found, concat_entries(parts)


def _entries(base: Path) -> int:
    """The number of entries of a stored segment: the rows of its band keys (their header only; under
    any signature settings), or of an older segment's Parquet, counted."""
    keys = np.load(f"{base}.keys.npy", mmap_mode="r")
    if keys.ndim == 2:
        return int(keys.shape[0])
    import polars as pl

    return int(pl.scan_parquet(f"{base}{STATE_SUFFIX}").select(pl.col("entry_id").count()).collect().item())


def _collect(query: Any, segments: Sequence[Path]) -> Any:
    """A query over segments' Parquet (a run checks them by size only: it reads a part of them), with
    a damaged file reported as such."""
    import polars as pl

    try:
        return query.collect()
    except (pl.exceptions.PolarsError, OSError) as e:
        names = ", ".join(f"{s}{STATE_SUFFIX}" for s in segments[:3]) + (" ..." if len(segments) > 3 else "")
        raise damaged(f"index segments ({names})", e, "rebuilds the index") from None


# ------------------------------------------------------------------------------------ records
_HEAD = struct.Struct("<Ii")  # a record: doc_id's length in bytes, paragraph_index; then doc_id, then text


def write_records(base: Path, metas: Sequence[tuple[str, int, str]]) -> None:
    """The entries ``metas`` (doc_id, paragraph_index, text), in entry order, as records that
    :func:`read_records` reads one by one (each file written to a temporary name, then renamed)."""
    from dechaff.store.atomic import atomic_write_bytes

    parts: list[bytes] = []
    offsets = np.zeros(len(metas) + 1, dtype=np.int64)
    at = 0
    for r, (doc, para, text) in enumerate(metas):
        d = doc.encode()
        rec = b"".join((_HEAD.pack(len(d), para), d, text.encode()))
        parts.append(rec)
        at += len(rec)
        offsets[r + 1] = at
    atomic_write_bytes(Path(f"{base}{RECORDS_SUFFIX}.bin"), b"".join(parts))
    _save_npy(Path(f"{base}{RECORDS_SUFFIX}.npy"), offsets)


def read_records(base: Path, rows: np.ndarray) -> list[tuple[str, int, str]]:
    """The records of ``rows`` (positions in the segment, ascending) of :func:`write_records`. Only
    they are read (the offsets and the records are mapped, not loaded: a chunk needs a few of a
    segment's entries; slices of the mapping, not a seek and a read each: at 10M paragraphs a run
    fetches millions of records, and the two system calls a record were 9.5 s of it)."""
    out: list[tuple[str, int, str]] = []
    if len(rows) == 0:
        return out
    offsets = np.load(f"{base}{RECORDS_SUFFIX}.npy", mmap_mode="r")
    starts = np.asarray(offsets[rows]).tolist()
    ends = np.asarray(offsets[rows + 1]).tolist()
    path = f"{base}{RECORDS_SUFFIX}.bin"
    h = _HEAD.size
    with open(path, "rb") as f, _mapped(f) as mm:
        for a, b in zip(starts, ends, strict=True):
            rec = mm[a:b]
            try:
                if len(rec) != b - a:
                    raise ValueError(f"cut short ({len(rec):,} of its {b - a:,} bytes)")
                n, para = _HEAD.unpack_from(rec)
                if n > len(rec) - h:
                    raise ValueError(f"a doc id of {n:,} bytes in a record of {len(rec):,}")
                out.append((rec[h:h + n].decode(), para, rec[h + n:].decode()))
            except (struct.error, ValueError) as e:  # (UnicodeDecodeError is a ValueError)
                # (a run checks these files by size only: it reads a few records of each)
                raise damaged(path, f"the record at byte {a:,}: {e}", "rebuilds the index") from None
    return out


# ------------------------------------------------------------------------------------ shingle sets
def write_shingles(base: Path, es: EntryShingles) -> list[Path]:
    """The entries' shingle sets (``es``, in entry order) as ``<base>.sh.npy`` (every entry's hashes,
    one entry after the other) and ``<base>.sh.rows.npy`` (per entry: where its hashes start, how many,
    its word count, word fingerprint and number hash), each written to a temporary name and renamed.
    Returns the two files."""
    off = es.sh.offsets
    rows = np.empty((len(es), 5), dtype=U64)
    rows[:, 0], rows[:, 1], rows[:, 2] = off[:-1], np.diff(off), es.sh.n_words
    rows[:, 3], rows[:, 4] = es.wfp, es.dh
    return [_save_npy(Path(f"{base}{SHINGLES_SUFFIX}.npy"), np.ascontiguousarray(es.sh.hashes, dtype=U64)),
            _save_npy(Path(f"{base}{SHINGLES_SUFFIX}.rows.npy"), rows)]


def _has_shingles(base: Path) -> bool:
    return Path(f"{base}{SHINGLES_SUFFIX}.rows.npy").exists()


def _save_npy(path: Path, arr: np.ndarray) -> Path:
    """``arr`` as a ``.npy`` file, written to a temporary name and renamed; returns ``path``."""
    from dechaff.store.atomic import atomic_write_npy

    atomic_write_npy(path, arr)
    return path


def read_shingles(base: Path, rows: np.ndarray) -> EntryShingles:
    """The shingle sets of ``rows`` (positions in the segment) of :func:`write_shingles`. The files are
    mapped, not loaded, and only those rows are copied out (a chunk needs a few of a segment's entries;
    the mapping goes with the function, so the pages it touched do not stay in the process)."""
    path = f"{base}{SHINGLES_SUFFIX}.rows.npy"
    try:
        table = np.load(path, mmap_mode="r")
        if table.ndim != 2 or table.shape[1] != 5:
            raise ValueError(f"a table of shape {table.shape}, not (entries, 5)")
        meta = np.array(table[rows])
        del table
        starts, counts = meta[:, 0].astype(np.int64), meta[:, 1].astype(np.int64)
        path = f"{base}{SHINGLES_SUFFIX}.npy"
        hashes = np.load(path, mmap_mode="r")
        if len(meta) and int((starts + counts).max()) > len(hashes):
            raise ValueError(f"entries past its {len(hashes):,} hashes")
        got = np.array(hashes[concat_ranges(starts, counts)], dtype=U64)
        del hashes
    except (OSError, ValueError, IndexError) as e:
        # (a run checks these files by size only: it reads a few rows of each)
        raise damaged(path, e, "rebuilds the index") from None
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return EntryShingles(Shingled(got, offsets, meta[:, 2].astype(np.int64)), meta[:, 3].copy(), meta[:, 4].copy())


def _mapped(f: Any) -> AbstractContextManager[mmap.mmap | bytes]:
    """The file read-only in memory (an empty file cannot be mapped: its empty bytes instead)."""
    try:
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except ValueError:
        return nullcontext(b"")
