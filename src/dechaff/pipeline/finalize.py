"""The finalize step of a run (one task, under the output lock, in ingestion order), streamed batch by
batch (a shard is staged as batches of about ``BATCH_PARAGRAPHS`` paragraphs), so that memory depends on
the batch size and the index, not on the run:

1. the shards' rejections, ledger rows and dropped inputs are gathered (small);
2. pass one over the batches: documents get corpus-unique ids, and their site-template counts and
   profiles are taken (``boilerplate.Observer``); the templates are judged once, with every copy seen;
3. pass two: each batch's documents are marked (templates, emptied paragraphs) and their kept paragraphs
   handed to ``dedup.DedupSession``, which decides them against the persistent index in the same chunks
   as one call over the whole run (so the same decisions); a batch waits until its paragraphs' chunk is
   decided (at most about a chunk of paragraphs waits), then its corpus and removed rows go to parts of
   bounded size under temporary names and its decisions are let go. With keep = "longest" a later chunk
   may revise any earlier decision, so every decision is held and the rows are written by a third pass;
5. the state files are written under new names and everything is committed with the manifest, all at
   once, as before: a crash leaves the previous state or the new one.

The decisions are the stages' (``boilerplate``, ``dedup``, ``chrome.lines.emptied``); this module only
applies and records them.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

from dechaff import __version__
from dechaff.audit import Audit
from dechaff.boilerplate import BoilerplateState
from dechaff.boilerplate.detect import Observer, mark
from dechaff.boilerplate.state import part_rows, parts_to_merge
from dechaff.chrome.lines import emptied
from dechaff.config import Config
from dechaff.dedup import DedupIndex, Item
from dechaff.dedup.bands import PartitionedBands, thread_shards
from dechaff.dedup.batch import DedupSession
from dechaff.dedup.shingle import find_sorted
from dechaff.model import Decision, Document, Paragraph, kept_paragraphs
from dechaff.pipeline.heap import paused_heap
from dechaff.pipeline.rewrite import rewrite_corpus_parts
from dechaff.pipeline.types import RunPlan, RunSummary
from dechaff.store import (
    LEDGER_SCHEMA,
    STATE_SUFFIX,
    TABLES,
    Manifest,
    OutputDir,
    atomic_write_parquet,
    card,
    write_parquet_tmp,
)
from dechaff.store.atomic import BackgroundWrites, InlineWrites, parquet_tmp_name
from dechaff.store.staging import read_shard_meta, shard_batches

DEDUP_CHUNK = 100_000  # paragraphs deduplicated at a time (the chunk of one pass over the run)
SPILL_ENTRIES = 250_000  # this run's index entries held in memory before they are written as a segment
PART_ROWS = 100_000  # a corpus or removed part holds at most this many rows...
PART_BYTES = 64 << 20  # ...or about this much text (the rows wait in memory until then)


@dataclass
class Gathered:
    """The shards' rejections, ledger rows and dropped inputs, in ingestion order (their documents are read
    batch by batch)."""

    rejections: list[tuple[str, str, str]] = field(default_factory=list)  # (source, error, sha256 or "")
    ledger_rows: list[dict] = field(default_factory=list)
    retried: int = 0  # inputs the next run tries again
    dropped: set[str] = field(default_factory=set)  # inputs whose staged documents are not read

    def batches(self, paths: list[Path], paragraphs: bool = True) -> Iterator[list[Document]]:
        """Every staged batch of documents, shard by shard, in ingestion order (``paragraphs`` False:
        without their paragraphs)."""
        for p in paths:
            yield from shard_batches(p, self.dropped, paragraphs)


@paused_heap
def finalize_run(plan: RunPlan, shard_paths: list[str], config: Config, started: float | None = None,
                 recovered: list[str] | None = None, bands: PartitionedBands | None = None,
                 warnings: list[str] | None = None) -> RunSummary:
    """Boilerplate, dedup, write and commit. Call with the output lock held. ``bands``: shards in other
    processes (a cluster's workers) that hold the index's band tables and do its lookups, by band range
    (the same decisions: see :mod:`dechaff.dedup.bands`); without them, shards in threads of this
    process (``config.band_thread_count()``; none on one core). ``warnings``: what went wrong before
    and was worked around (recorded with the run's summary, with this step's own)."""
    if bands is not None:
        return _finalize(plan, shard_paths, config, started, recovered, bands, warnings)
    with thread_shards(config.dedup, config.band_thread_count()) as local:
        return _finalize(plan, shard_paths, config, started, recovered, local, warnings)


def _finalize(plan: RunPlan, shard_paths: list[str], config: Config, started: float | None,
              recovered: list[str] | None, bands: PartitionedBands | None, warnings: list[str] | None) -> RunSummary:
    t0 = started or time.time()
    t_fin = time.time()
    out = OutputDir(Path(plan.out_dir))
    m = out.read_manifest()
    summary = RunSummary(run_id=plan.run_id, inputs_seen=plan.n_inputs, inputs_already_ingested=plan.n_known,
                         recovered=list(recovered or []), warnings=list(warnings or []))
    paths = [Path(p) for p in sorted(shard_paths)]
    g = gather(plan, paths, summary)
    ids = DocIds(out, m)
    bp_state = find_templates(g.batches(paths, paragraphs=False), ids, out, m, config, plan.staging / "profiles")
    index = load_index(out, m, config, bands)
    session = DedupSession(index, DEDUP_CHUNK, keep_entries=False)
    now = datetime.now(UTC)
    with BackgroundWrites() as writes:  # (the parts and state files are written while the next work goes on)
        sink = Rows(out, plan, summary, now, writes)
        spilled = dedup_and_write(lambda: g.batches(paths), ids, bp_state, session, sink,
                                  config.dedup.keep == "longest")
        sink.finish(session.replaced)
        shard_steps = _band_shard_steps(bands, summary)  # (the lookups are done: the tables go)
        index.release_bands()
        renames, parts = write_tables(out, m, plan, sink.writers, g.rejections, writes)
        runs = [dict(r) for r in m.runs]
        if session.replaced:
            renames.extend(rewrite_corpus_parts(out, runs, {(d, p) for d, p, _, _ in session.replaced}))
        new_m = write_state(out, m, plan, g.ledger_rows, sink.doc_ids(), bp_state, index, config, spilled, writes)
    summary.seconds = time.time() - t0
    summary.steps = {"finalize": time.time() - t_fin, **shard_steps}
    summary.parts = parts
    new_m.runs = [*runs, {"run_id": plan.run_id, "seq": plan.seq, "finished_at": now.isoformat(), "parts": parts,
                          "dechaff": __version__, "summary": {k: v for k, v in summary.to_dict().items()
                                                              if k not in ("parts", "recovered")}}]
    commit(out, new_m, renames)
    return summary


def _band_shard_steps(bands: PartitionedBands | None, summary: RunSummary) -> dict[str, float]:
    """With the band tables in shards, how long the finalize step waited on them and how long the busiest
    worked (asked once the lookups are done), or the warning that they were lost."""
    if bands is None:
        return {}
    if bands.lost is not None:
        summary.warnings.append(f"the index's band shards were lost during the finalize step ({bands.lost}); "
                                "their tables were built in the finalize process and the run went on there")
        return {}
    steps = {"waiting on the band shards": bands.waited}
    try:
        steps["the busiest band shard"] = max(bands.busy())
    except Exception as e:  # (a worker lost after the last lookup: its work is done, the run goes on)
        summary.warnings.append(f"a band shard did not say how long it worked ({type(e).__name__}: {e})")
    return steps


class Rows:
    """Where a run's decisions become rows: the audit of every removal, a corpus row for every document
    that kept something (both to part writers), the summary's counts, the doc ids of every input."""

    def __init__(self, out: OutputDir, plan: RunPlan, summary: RunSummary, now: datetime,
                 writes: BackgroundWrites | None = None) -> None:
        self.out, self.plan, self.summary, self.now = out, plan, summary, now
        self.audit = Audit(plan.run_id)
        self.writers = {t: PartWriter(out, t, plan, writes) for t in ("corpus", "removed")}
        self.ids: list[pl.DataFrame] = []  # (input, doc_id) of every document, a frame a batch

    def batch(self, docs: list[Document], decisions: list[Decision],
              kept_of: list[list[tuple[Paragraph, str]]] | None = None) -> None:
        """A batch's dedup decisions (one per kept paragraph) applied, every removal recorded, a corpus row
        for every document that kept something; the doc ids of every input noted (for the ledger).
        ``kept_of``: each document's kept paragraphs with their texts, as handed to the dedup stage
        (:func:`kept_paragraphs`; read again when not given)."""
        if kept_of is None:
            kept_of = kept_paragraphs(docs)
        owners = [p for kt in kept_of for p, _t in kt]
        for p, dec in zip(owners, decisions, strict=True):
            if not dec.keep:
                p.decision = dec
        summary, audit = self.summary, self.audit
        cols: dict[str, list] = {c: [] for c in ("doc_id", "source", "url", "title", "text", "n_paragraphs",
                                                 "n_removed", "kept_paragraphs", "content_sha256", "encoding")}
        sizes: list[int] = []
        for d, kt in zip(docs, kept_of, strict=True):
            kept = [(p, t) for p, t in kt if p.decision.keep]
            # (a paragraph kept whole loses nothing: only the others are handed to the audit)
            n_removed = sum(audit.record_paragraph(p) for p in d.paragraphs
                            if not p.decision.keep or p.line_decisions is not None)
            summary.paragraphs_read += len(d.paragraphs)
            summary.paragraphs_kept += len(kept)
            if not kept:
                summary.documents_emptied += 1
                continue
            text = "\n\n".join(t for _p, t in kept)
            for c, v in zip(cols.values(), (d.doc_id, d.source, d.url, d.title, text, len(d.paragraphs), n_removed,
                                            [p.index for p, _t in kept], d.content_sha256, d.encoding), strict=True):
                c.append(v)
            sizes.append(len(text))
        summary.documents_read += len(docs)
        summary.documents_kept += len(sizes)
        self.writers["corpus"].add_columns(cols, sizes, {"run_id": self.plan.run_id, "ingested_at": self.now})
        self.writers["removed"].add_columns(*audit.take_columns())
        self.ids.append(pl.DataFrame({"input": [d.input for d in docs], "doc_id": [d.doc_id for d in docs]},
                                     schema={"input": pl.String, "doc_id": pl.String}))

    def doc_ids(self) -> pl.DataFrame:
        """The doc ids of every input, in order: columns ``input`` and ``doc_ids`` (a list)."""
        return (pl.concat([pl.DataFrame(schema={"input": pl.String, "doc_id": pl.String}), *self.ids])
                .group_by("input", maintain_order=True).agg(pl.col("doc_id").alias("doc_ids")))

    def finish(self, replaced: list[tuple[str, int, str, Decision]]) -> None:
        """The last rows: with keep = "longest", kept paragraphs of earlier runs that a longer copy
        replaced; and the summary's removal counts."""
        for doc_id, para, text, dec in replaced:
            self.audit.record(doc_id, para, text, dec)
        self.writers["removed"].add_columns(*self.audit.take_columns())
        self.summary.earlier_paragraphs_replaced = len(replaced)
        self.summary.removed_by_reason = dict(sorted(self.audit.by_reason.items()))


def dedup_and_write(batches: Callable[[], Iterator[list[Document]]], ids: DocIds, bp_state: BoilerplateState,
                    session: DedupSession, sink: Rows, longest: bool) -> list[str]:
    """Pass two (and three with keep = "longest"): the kept paragraphs of every staged batch (``batches()``
    reads them again from the start) deduplicated in chunks across batches; a batch's rows written once
    its chunk is decided. Returns the index segments spilled."""
    spilled: list[str] = []  # index segments of this run written before the end (committed with the run)
    # batches whose decisions are not all made yet: (documents, first run position, kept paragraphs, those
    # paragraphs with their texts)
    waiting: deque[tuple[list[Document], int, int, list[list[tuple[Paragraph, str]]]]] = deque()
    sizes: list[int] = []  # kept paragraphs of every batch

    def write_decided() -> None:
        while waiting and waiting[0][1] + waiting[0][2] <= session.n_decided:
            docs, start, n, kept_of = waiting.popleft()
            sink.batch(docs, session.decided(start, n), kept_of)
            session.release(start + n)

    for docs in marked_batches(batches(), ids, bp_state):
        kept_of = kept_paragraphs(docs)
        items = [Item(d.doc_id, p.index, t, p.lsh, p.tokens) for d, kt in zip(docs, kept_of, strict=True) for p, t in kt]
        session.add(items)
        spill(session.index, sink.out, sink.plan, spilled)
        if not longest:  # (keep = "longest": a later chunk may revise any decision; rows wait for pass three)
            waiting.append((docs, sum(sizes), len(items), kept_of))
            write_decided()
        sizes.append(len(items))
    session.finish()
    write_decided()
    if longest:
        start = 0
        for docs, n in zip(marked_batches(batches(), ids, bp_state), sizes, strict=True):  # every decision known
            sink.batch(docs, session.decided(start, n))
            start += n
    return spilled


def settle_pieces(plan: RunPlan, g: Gathered) -> None:
    """A file read in pieces (by several shards) is one input again, as if one shard had read it: one
    ledger row with the documents of every piece; if a piece found the file changed (the next run tries
    again: no row) or failed as a whole (truncated, a line over the cap), the whole file goes, with one
    rejection and without its records' own (the documents of its other pieces are dropped)."""
    if not plan.pieces:
        return
    rows: dict[str, list[dict]] = {}
    for r in g.ledger_rows:
        if r["source"] in plan.pieces:
            rows.setdefault(r["source"], []).append(r)
    failed: dict[str, tuple[str, str, str]] = {}
    for rel, spans in plan.pieces.items():
        mine = rows.get(rel, [])
        whole = [r for r in g.rejections if r[0] == rel]
        retried = [r for r in whole if not r[2]]
        if retried or any(r["status"] == "rejected" for r in mine) or len(mine) < len(spans):
            failed[rel] = (retried or whole)[0]
            g.dropped.add(rel)
            continue
        mine[0]["n_documents"] = sum(r["n_documents"] for r in mine)
    merged: list[dict] = []
    for r in g.ledger_rows:
        rel = r["source"]
        if rel in plan.pieces and (r is not rows[rel][0] or (rel in failed and not failed[rel][2])):
            continue  # (a later piece's row, merged into the first; or a file the next run reads again)
        if rel in failed:
            r.update(status="rejected", n_documents=0)
        merged.append(r)
    g.ledger_rows = merged
    if failed:
        rejections: list[tuple[str, str, str]] = []
        told: set[str] = set()
        for r in g.rejections:
            rel = r[0] if r[0] in failed else r[0].rsplit(":", 1)[0]
            if rel not in failed:
                rejections.append(r)
            elif rel not in told:  # (one rejection for the file, where its first was)
                rejections.append(failed[rel])
                told.add(rel)
        g.rejections = rejections


def gather(plan: RunPlan, paths: list[Path], summary: RunSummary) -> Gathered:
    """The inputs rejected before reading, then every shard's rejections and ledger rows in order."""
    g = Gathered(rejections=list(plan.pre_rejected),
                 ledger_rows=[{"source": s, "content_sha256": sha, "status": "rejected", "n_documents": 0}
                              for s, _e, sha in plan.pre_rejected if sha]
                 + [{"source": s, "content_sha256": sha, "status": "seen", "n_documents": 0} for s, sha in plan.restat])
    for p in paths:
        meta = read_shard_meta(p)
        g.rejections.extend(meta.rejections)
        g.ledger_rows.extend(meta.ledger)
        g.dropped.update(meta.dropped)
    settle_pieces(plan, g)
    g.retried = sum(1 for _s, _e, sha in g.rejections if not sha)
    summary.inputs_new = plan.n_new + len(plan.pre_rejected)
    summary.inputs_rejected = sum(1 for r in g.ledger_rows if r["status"] == "rejected") + g.retried
    summary.records_rejected = len(g.rejections) - summary.inputs_rejected
    return g


class DocIds:
    """Doc ids unique across the corpus: one already taken gets its content hash appended (a changed
    file). Assigned in the first pass over the batches and replayed in the later ones. The ids taken are
    held as 64-bit hashes (the corpus's in a sorted array, 8 bytes each; the run's in a set), not as
    strings: two ids with one hash (about one chance in 10^12 at a million ids) only cost the later one an
    unneeded rename, never a clash."""

    def __init__(self, out: OutputDir, m: Manifest) -> None:
        old = pl.read_parquet(out.root / m.ledger, columns=["doc_ids"])["doc_ids"].explode().drop_nulls() \
            if m.ledger else pl.Series([], dtype=pl.String)
        self.old = np.sort(_id_hashes(old))
        self.run: set[int] = set()
        self.renamed: dict[tuple[int, int], str] = {}  # (batch, document) -> its new id

    def _taken(self, h: int) -> bool:
        pos = int(np.searchsorted(self.old, np.uint64(h)))
        return h in self.run or (pos < len(self.old) and int(self.old[pos]) == h)

    def assign(self, batch: int, docs: list[Document]) -> None:
        arr = _id_hashes(pl.Series([d.doc_id for d in docs], dtype=pl.String))
        # the corpus's ids looked up for the whole batch at once (the run's change as the batch goes)
        in_old = find_sorted(arr, self.old)[1].tolist()
        for i, (d, h) in enumerate(zip(docs, arr.tolist(), strict=True)):
            if h in self.run or in_old[i]:
                base = f"{d.doc_id}~{d.content_sha256[:8]}"
                new, k = base, 1
                while self._taken(h := _id_hash(new)):
                    k += 1
                    new = f"{base}.{k}"
                self.renamed[(batch, i)] = new
                _rename(d, new)
            self.run.add(h)

    def replay(self, batch: int, docs: list[Document]) -> None:
        for i, d in enumerate(docs):
            new = self.renamed.get((batch, i))
            if new is not None:
                _rename(d, new)


def _id_hashes(ids: pl.Series) -> np.ndarray:
    return ids.hash(seed=0).to_numpy()


def _id_hash(doc_id: str) -> int:
    return int(_id_hashes(pl.Series([doc_id], dtype=pl.String))[0])


def _rename(d: Document, new: str) -> None:
    d.doc_id = new
    for p in d.paragraphs:
        p.doc_id = new


def find_templates(batches: Iterator[list[Document]], ids: DocIds, out: OutputDir, m: Manifest,
                   config: Config, spool: Path) -> BoilerplateState:
    """Pass one: ids assigned and site-template counts taken batch by batch (the documents' profiles
    written to ``spool`` as they come); the templates judged once, against what earlier runs saw (the
    state is returned updated)."""
    def state_file(name: str | None) -> Path | None:
        return out.root / name if name else None

    obs = Observer(BoilerplateState.load(state_file(m.boilerplate), state_file(m.boilerplate_templates),
                                         [out.root / p for p in m.boilerplate_docs]), spool=spool)
    for k, docs in enumerate(batches):
        ids.assign(k, docs)
        obs.add(docs)
    return obs.judge(config.boilerplate_min_docs)


def marked_batches(batches: Iterator[list[Document]], ids: DocIds,
                   bp_state: BoilerplateState) -> Iterator[list[Document]]:
    """Every batch's documents in order, with their ids, site templates and emptied paragraphs decided."""
    for k, docs in enumerate(batches):
        ids.replay(k, docs)
        mark(docs, bp_state.templates)
        settle_emptied(docs)
        yield docs


def spill(index: DedupIndex, out: OutputDir, plan: RunPlan, spilled: list[str]) -> None:
    """This run's index entries, past ``SPILL_ENTRIES``, written as a segment of their own (under a name
    the manifest does not hold yet: a run that dies leaves it to recovery), so that their texts leave
    memory; later lookups of them read the segment, as they read earlier runs' entries."""
    if len(index.pending) < SPILL_ENTRIES:
        return
    name = f"_state/index/seg-{plan.seq:06d}-{plan.run_id}-{len(spilled):03d}"
    if index.write_pending(out.root / name):
        spilled.append(name)


def settle_emptied(docs: list[Document]) -> None:
    """Paragraphs whose every line went (to chrome or template rules) are removed as empty."""
    for d in docs:
        for p in d.paragraphs:
            dec = emptied(p)
            if dec is not None:
                p.decision = dec


def load_index(out: OutputDir, m: Manifest, config: Config, bands: PartitionedBands | None = None) -> DedupIndex:
    """The persisted index (band keys stored under other signature settings recomputed from the texts),
    its band tables in ``bands`` when given."""
    stale = m.index_params is not None and m.index_params != config.dedup.signature_fields()
    return DedupIndex.load(config.dedup, [out.root / s for s in m.index_segments], recompute=stale, bands=bands)


class PartWriter:
    """One table's rows of a run, written as parts of at most ``PART_ROWS`` rows / ``PART_BYTES`` of text
    under temporary names (the commit renames them; with ``writes``, a part is written there while the
    caller goes on: wait for them before the commit). The rows of each call wait as a polars frame (a
    dict a row would cost more than the row's own text, and Python strings of web text, wide characters
    and all, twice the memory of their UTF-8); a column given one value for every row of a call
    (``const``, or null) is repeated there (a timestamp a row cost a microsecond to convert)."""

    def __init__(self, out: OutputDir, table: str, plan: RunPlan, writes: BackgroundWrites | None = None) -> None:
        self.out, self.table, self.seq, self.rid = out, table, plan.seq, plan.run_id
        self.writes = writes or InlineWrites()
        self.schema = TABLES[table]
        self.n = 0
        self.bytes = 0
        self.renames: list[tuple[Path, Path]] = []
        self.parts: list[str] = []
        self.frames: list[pl.DataFrame] = []  # the rows of the part being filled

    def add_columns(self, cols: dict[str, list], sizes: list[int], const: dict | None = None) -> None:
        """Rows given as columns (``sizes``: each row's text length; ``const``: columns with one value for
        every row; a column in neither is null), cut into parts as if added one by one: a part ends
        with the row that makes it ``PART_ROWS`` rows or ``PART_BYTES`` of text."""
        const = const or {}
        n, start = len(sizes), 0
        while start < n:
            end = start
            while end < n and self.n < PART_ROWS and self.bytes < PART_BYTES:
                self.n += 1
                self.bytes += sizes[end]
                end += 1
            whole = start == 0 and end == n
            self.frames.append(self._frame({c: v if whole else v[start:end] for c, v in cols.items()}, end - start,
                                           const))
            if self.n >= PART_ROWS or self.bytes >= PART_BYTES:
                self.flush()
            start = end

    def _frame(self, cols: dict[str, list], k: int, const: dict) -> pl.DataFrame:
        series = []
        for c, t in self.schema.items():
            if c not in cols:
                series.append(pl.repeat(const.get(c), k, dtype=t, eager=True).alias(c))
            elif isinstance(t, pl.List):
                series.append(_list_series(c, cols[c], t))
            else:
                series.append(pl.Series(c, cols[c], dtype=t, strict=False))
        return pl.DataFrame(series)

    def add_many(self, rows: list[dict]) -> None:
        """Rows given as dicts (a column missing from a row is null there)."""
        self.add_columns({c: [r.get(c) for r in rows] for c in self.schema}, [len(r.get("text") or "") for r in rows])

    def flush(self, empty: bool = False) -> None:
        """Write the rows held as a part (``empty``: also when there are none)."""
        if not self.n and not empty:
            return
        k = len(self.parts)
        name = f"part-{self.seq:06d}-{self.rid}.parquet" if k == 0 else f"part-{self.seq:06d}-{self.rid}-{k:04d}.parquet"
        final = self.out.table_dir(self.table) / name
        df = pl.concat(self.frames) if self.frames else pl.DataFrame(schema=self.schema)
        self.writes.submit(write_parquet_tmp, df, final)
        self.renames.append((parquet_tmp_name(final), final))
        self.parts.append(f"{self.table}/{final.name}")
        self.frames = []
        self.n, self.bytes = 0, 0


def _list_series(name: str, values: list[list | None], dtype: pl.List) -> pl.Series:
    """A list column from Python lists: their items as one flat column, grouped back by row (polars builds
    a Series for each list it is handed: 4 us a row). Rows that are null or empty take the slow way."""
    lengths = np.fromiter((-1 if v is None else len(v) for v in values), dtype=np.int64, count=len(values))
    if not len(values) or int(lengths.min()) < 1:
        return pl.Series(name, values, dtype=dtype)
    flat = pl.Series("v", [x for v in values for x in v], dtype=dtype.inner)
    rows = pl.Series("r", np.repeat(np.arange(len(values)), lengths))
    return pl.DataFrame([rows, flat]).group_by("r", maintain_order=True).agg("v")["v"].rename(name)


def write_tables(out: OutputDir, m: Manifest, plan: RunPlan, writers: dict[str, PartWriter],
                 rejections: list[tuple[str, str, str]],
                 writes: BackgroundWrites | None = None) -> tuple[list[tuple[Path, Path]], list[str]]:
    """The last parts of every table (the first run writes every table, rows or not: an empty folder fails
    its readers); returns the renames and the parts (with ``writes``, some may still be being written)."""
    rejected = PartWriter(out, "rejected", plan, writes)
    rejected.add_many([{"source": s, "error": e, "content_sha256": sha or None, "run_id": plan.run_id}
                       for s, e, sha in rejections])
    have = {p.split("/")[0] for p in m.parts}
    renames: list[tuple[Path, Path]] = []
    parts: list[str] = []
    for w in (writers["corpus"], writers["removed"], rejected):
        w.flush(empty=not w.parts and w.table not in have)
        renames.extend(w.renames)
        parts.extend(w.parts)
    return renames, parts


def write_state(out: OutputDir, m: Manifest, plan: RunPlan, ledger_rows: list[dict],
                doc_ids: pl.DataFrame, bp_state: BoilerplateState, index: DedupIndex,
                config: Config, spilled: list[str], writes: BackgroundWrites | None = None) -> Manifest:
    """The state files of the run under new names (the ledger of every input so far with its doc ids, the
    boilerplate state, the new index segment); returns the manifest that names them (runs not set). With
    ``writes``, the ledger and boilerplate files are written there while the index segment is written
    here: wait for them before the commit."""
    write = (writes or InlineWrites()).submit
    seq, rid = plan.seq, plan.run_id
    for r in ledger_rows:
        r["doc_ids"] = None  # (joined from ``doc_ids`` below)
        r["run_id"] = rid
        r["size"], r["mtime_ns"] = plan.stats.get(r["source"], (None, None))
    ledger = (pl.DataFrame(ledger_rows, schema=LEDGER_SCHEMA).drop("doc_ids")
              .join(doc_ids, left_on="source", right_on="input", how="left", maintain_order="left")
              .with_columns(pl.col("doc_ids").fill_null(pl.lit([], dtype=pl.List(pl.String))))
              .select(list(LEDGER_SCHEMA)))
    if m.ledger:
        ledger = pl.concat([pl.read_parquet(out.root / m.ledger), ledger], how="diagonal_relaxed")
    names = {k: f"_state/{k}-{seq:06d}{STATE_SUFFIX}"
             for k in ("ledger", "boilerplate", "boilerplate-templates", "boilerplate-docs")}
    write(atomic_write_parquet, ledger, out.root / names["ledger"])
    write(atomic_write_parquet, bp_state.counts.frame(), out.root / names["boilerplate"])
    write(atomic_write_parquet, bp_state.templates_frame(), out.root / names["boilerplate-templates"])
    # the profiles: earlier runs' parts stay, the run's own are a new part, with the last parts less than
    # twice as large (rewriting them all at every run was the largest cost of a scheduled run on a large
    # corpus)
    profile_parts = list(m.boilerplate_docs)
    if bp_state.profiles.n_new:
        k = parts_to_merge([part_rows(out.root / p) for p in profile_parts], bp_state.profiles.n_new)
        merged, profile_parts = profile_parts[len(profile_parts) - k:], profile_parts[:len(profile_parts) - k]
        write(bp_state.profiles.write_new, out.root / names["boilerplate-docs"], [out.root / p for p in merged])
        profile_parts.append(names["boilerplate-docs"])
    rewritten = {f.relative_to(out.root).as_posix()
                 for f in index.write_rederived()}  # (before the commit: the manifest then names the new settings)
    segments = [*m.index_segments, *spilled]
    seg = f"_state/index/seg-{seq:06d}-{rid}"
    if index.write_pending(out.root / seg):
        segments.append(seg)
    return Manifest(ledger=names["ledger"], boilerplate=names["boilerplate"],
                    boilerplate_templates=names["boilerplate-templates"], boilerplate_docs=profile_parts,
                    index_params=config.dedup.signature_fields(), index_segments=segments, index_size=index.size,
                    next_seq=seq + 1,
                    # the checksums of the files committed before that this run did not rewrite: the commit
                    # computes only the others' (re-reading the whole corpus at every run grew with it)
                    files={rel: v for rel, v in m.files.items() if rel not in rewritten})


def commit(out: OutputDir, m: Manifest, renames: list[tuple[Path, Path]]) -> None:
    """The commit (the manifest replaced, then the parts renamed), the cleanup after it, the dataset card."""
    out.commit(m, renames)
    out.recover()  # drop the previous state versions and the staging files
    for f in out.reading_dir.glob("*.json"):  # (a dead run's, of inputs this run did not read: known, gone)
        f.unlink(missing_ok=True)
    card.write(out.root, m.runs)  # (derived from the manifest: the next run writes it again)
