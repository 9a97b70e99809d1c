"""The finalize step of a run (one task, under the output lock, in ingestion order): gather the shards,
give documents corpus-unique ids, find site templates, deduplicate against the persistent index, write
every table and state file under names nothing refers to yet, and commit them with the manifest.

Each step below is a function of its own; the decisions are the stages' (``boilerplate``, ``dedup``,
``chrome.lines.emptied``), this module only applies and records them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from dechaff import __version__
from dechaff.audit import Audit
from dechaff.boilerplate import BoilerplateState, detect
from dechaff.chrome.lines import emptied
from dechaff.config import Config
from dechaff.dedup import DedupIndex, DedupOutcome, Item, deduplicate
from dechaff.model import Document
from dechaff.pipeline.rewrite import rewrite_corpus_parts
from dechaff.pipeline.types import RunPlan, RunSummary
from dechaff.store import (
    LEDGER_SCHEMA,
    STATE_SUFFIX,
    Manifest,
    OutputDir,
    atomic_write_parquet,
    card,
    frame,
    write_parquet_tmp,
)
from dechaff.store.staging import read_shard


@dataclass
class Gathered:
    """The shards of a run, read back: documents, rejections and ledger rows in ingestion order."""

    docs: list[Document] = field(default_factory=list)
    rejections: list[tuple[str, str, str]] = field(default_factory=list)  # (source, error, sha256 or "")
    ledger_rows: list[dict] = field(default_factory=list)
    retried: int = 0  # inputs the next run tries again


def finalize_run(plan: RunPlan, shard_paths: list[str], config: Config, started: float | None = None,
                 recovered: list[str] | None = None) -> RunSummary:
    """Boilerplate, dedup, write and commit. Call with the output lock held."""
    t0 = started or time.time()
    out = OutputDir(Path(plan.out_dir))
    m = out.read_manifest()
    summary = RunSummary(run_id=plan.run_id, inputs_seen=plan.n_inputs, inputs_already_ingested=plan.n_known,
                         recovered=list(recovered or []))
    g = gather(plan, shard_paths, summary)
    unique_doc_ids(g.docs, out, m)
    bp_state = find_templates(g.docs, out, m, config)
    settle_emptied(g.docs)
    index, outcome = deduplicate_run(g.docs, out, m, config)
    now = datetime.now(UTC)
    audit = Audit(plan.run_id)
    corpus_rows, doc_ids_by_input = document_rows(g.docs, audit, summary, plan.run_id, now)
    for doc_id, para, text, dec in outcome.replaced:  # keep = "longest": earlier runs' paragraphs replaced
        audit.record(doc_id, para, text, dec)
    summary.earlier_paragraphs_replaced = len(outcome.replaced)
    summary.removed_by_reason = dict(sorted(audit.by_reason.items()))
    renames, parts = write_tables(out, m, plan, corpus_rows, audit.rows, g.rejections)
    runs = [dict(r) for r in m.runs]
    if outcome.replaced:
        renames.extend(rewrite_corpus_parts(out, runs, {(d, p) for d, p, _, _ in outcome.replaced}))
    new_m = write_state(out, m, plan, g.ledger_rows, doc_ids_by_input, bp_state, index, config)
    summary.seconds = time.time() - t0
    summary.parts = parts
    new_m.runs = [*runs, {"run_id": plan.run_id, "seq": plan.seq, "finished_at": now.isoformat(), "parts": parts,
                          "dechaff": __version__, "summary": {k: v for k, v in summary.to_dict().items()
                                                              if k not in ("parts", "recovered")}}]
    commit(out, new_m, renames)
    return summary


def gather(plan: RunPlan, shard_paths: list[str], summary: RunSummary) -> Gathered:
    """The inputs rejected before reading, then every shard in order; counts inputs and rejections."""
    g = Gathered(rejections=list(plan.pre_rejected),
                 ledger_rows=[{"source": s, "content_sha256": sha, "status": "rejected", "n_documents": 0}
                              for s, _e, sha in plan.pre_rejected if sha]
                 + [{"source": s, "content_sha256": sha, "status": "seen", "n_documents": 0} for s, sha in plan.restat],
                 retried=sum(1 for _s, _e, sha in plan.pre_rejected if not sha))
    for p in sorted(shard_paths):
        d, r, lrows = read_shard(Path(p))
        g.docs.extend(d)
        g.rejections.extend(r)
        g.ledger_rows.extend(lrows)
        g.retried += sum(1 for _s, _e, sha in r if not sha)
    summary.inputs_new = plan.n_new + len(plan.pre_rejected)
    summary.inputs_rejected = sum(1 for r in g.ledger_rows if r["status"] == "rejected") + g.retried
    summary.records_rejected = len(g.rejections) - summary.inputs_rejected
    return g


def unique_doc_ids(docs: list[Document], out: OutputDir, m: Manifest) -> None:
    """Doc ids unique across the corpus: one already taken gets its content hash appended (a changed file)."""
    old = pl.read_parquet(out.root / m.ledger, columns=["doc_ids"])["doc_ids"].explode().drop_nulls() \
        if m.ledger else pl.Series([], dtype=pl.String)
    taken = set(old.to_list())
    for d in docs:
        if d.doc_id in taken:
            base = f"{d.doc_id}~{d.content_sha256[:8]}"
            new, k = base, 1
            while new in taken:
                k += 1
                new = f"{base}.{k}"
            d.doc_id = new
            for p in d.paragraphs:
                p.doc_id = new
        taken.add(d.doc_id)


def find_templates(docs: list[Document], out: OutputDir, m: Manifest, config: Config) -> BoilerplateState:
    """Cross-document site templates, against what earlier runs saw (the state is returned updated)."""
    def state_file(name: str | None) -> Path | None:
        return out.root / name if name else None

    state = BoilerplateState.load(state_file(m.boilerplate), state_file(m.boilerplate_templates),
                                  state_file(m.boilerplate_docs))
    state, _n = detect(docs, state, config.boilerplate_min_docs)
    return state


def settle_emptied(docs: list[Document]) -> None:
    """Paragraphs whose every line went (to chrome or template rules) are removed as empty."""
    for d in docs:
        for p in d.paragraphs:
            dec = emptied(p)
            if dec is not None:
                p.decision = dec


def deduplicate_run(docs: list[Document], out: OutputDir, m: Manifest,
                    config: Config) -> tuple[DedupIndex, DedupOutcome]:
    """The kept paragraphs, in ingestion order, against the persisted index; their decisions applied."""
    params = config.dedup
    # band keys stored under other signature settings are recomputed from the stored texts
    stale = m.index_params is not None and m.index_params != params.signature_fields()
    index = DedupIndex.load(params, [out.root / s for s in m.index_segments], recompute=stale)
    items: list[Item] = []
    owners: list = []
    for d in docs:
        for p in d.paragraphs:
            if p.kept:
                items.append(Item(d.doc_id, p.index, p.text))
                owners.append(p)
    outcome = deduplicate(items, index)
    for p, dec in zip(owners, outcome.decisions, strict=True):
        if not dec.keep:
            p.decision = dec
    return index, outcome


def document_rows(docs: list[Document], audit: Audit, summary: RunSummary, run_id: str,
                  now: datetime) -> tuple[list[dict], dict[str, list[str]]]:
    """Every removal recorded, a corpus row for every document that kept something; the doc ids of
    every input (for the ledger)."""
    corpus_rows: list[dict] = []
    doc_ids_by_input: dict[str, list[str]] = {}
    for d in docs:
        kept = [p for p in d.paragraphs if p.kept]
        n_removed = sum(audit.record_paragraph(p) for p in d.paragraphs)
        summary.documents_read += 1
        summary.paragraphs_read += len(d.paragraphs)
        summary.paragraphs_kept += len(kept)
        doc_ids_by_input.setdefault(d.input, []).append(d.doc_id)
        if not kept:
            summary.documents_emptied += 1
            continue
        summary.documents_kept += 1
        corpus_rows.append({
            "doc_id": d.doc_id, "source": d.source, "url": d.url, "title": d.title,
            "text": "\n\n".join(p.text for p in kept), "n_paragraphs": len(d.paragraphs), "n_removed": n_removed,
            "kept_paragraphs": [p.index for p in kept], "content_sha256": d.content_sha256,
            "encoding": d.encoding, "run_id": run_id, "ingested_at": now,
        })
    return corpus_rows, doc_ids_by_input


def write_tables(out: OutputDir, m: Manifest, plan: RunPlan, corpus_rows: list[dict], removed_rows: list[dict],
                 rejections: list[tuple[str, str, str]]) -> tuple[list[tuple[Path, Path]], list[str]]:
    """The run's parts under temporary names (renamed by the commit); returns the renames and the parts."""
    seq, rid = plan.seq, plan.run_id
    renames: list[tuple[Path, Path]] = []
    parts: list[str] = []
    tables = {"corpus": corpus_rows, "removed": removed_rows,
              "rejected": [{"source": s, "error": e, "content_sha256": sha or None, "run_id": rid}
                           for s, e, sha in rejections]}
    have = {p.split("/")[0] for p in m.parts}
    for table, rows in tables.items():
        if not rows and table in have:
            continue  # (the first run writes every table, rows or not: an empty folder fails its readers)
        final = out.table_dir(table) / f"part-{seq:06d}-{rid}.parquet"
        renames.append((write_parquet_tmp(frame(table, rows), final), final))
        parts.append(f"{table}/{final.name}")
    return renames, parts


def write_state(out: OutputDir, m: Manifest, plan: RunPlan, ledger_rows: list[dict],
                doc_ids_by_input: dict[str, list[str]], bp_state: BoilerplateState, index: DedupIndex,
                config: Config) -> Manifest:
    """The state files of the run under new names (the ledger of every input so far with its doc ids, the
    boilerplate state, the new index segment); returns the manifest that names them (runs not set)."""
    seq, rid = plan.seq, plan.run_id
    for r in ledger_rows:
        r["doc_ids"] = doc_ids_by_input.get(r["source"], [])
        r["run_id"] = rid
        r["size"], r["mtime_ns"] = plan.stats.get(r["source"], (None, None))
    ledger = pl.DataFrame(ledger_rows, schema=LEDGER_SCHEMA)
    if m.ledger:
        ledger = pl.concat([pl.read_parquet(out.root / m.ledger), ledger], how="diagonal_relaxed")
    names = {k: f"_state/{k}-{seq:06d}{STATE_SUFFIX}"
             for k in ("ledger", "boilerplate", "boilerplate-templates", "boilerplate-docs")}
    atomic_write_parquet(ledger, out.root / names["ledger"])
    atomic_write_parquet(bp_state.counts.frame(), out.root / names["boilerplate"])
    atomic_write_parquet(bp_state.templates_frame(), out.root / names["boilerplate-templates"])
    atomic_write_parquet(bp_state.profiles_frame(), out.root / names["boilerplate-docs"])
    index.write_rederived()  # (before the commit: the manifest then names the new settings)
    segments = list(m.index_segments)
    seg = f"_state/index/seg-{seq:06d}-{rid}"
    if index.write_pending(out.root / seg):
        segments.append(seg)
    return Manifest(ledger=names["ledger"], boilerplate=names["boilerplate"],
                    boilerplate_templates=names["boilerplate-templates"], boilerplate_docs=names["boilerplate-docs"],
                    index_params=config.dedup.signature_fields(), index_segments=segments, index_size=index.size,
                    next_seq=seq + 1)


def commit(out: OutputDir, m: Manifest, renames: list[tuple[Path, Path]]) -> None:
    """The commit (the manifest replaced, then the parts renamed), the cleanup after it, the dataset card."""
    out.commit(m, renames)
    out.recover()  # drop the previous state versions and the staging files
    for f in out.reading_dir.glob("*.json"):  # (a dead run's, of inputs this run did not read: known, gone)
        f.unlink(missing_ok=True)
    card.write(out.root, m.runs)  # (derived from the manifest: the next run writes it again)
