"""A run, as plain functions the Prefect flows call (and tests call directly).

``plan_run`` (under the output lock) finds the raw inputs not ingested yet and cuts them into shards;
``process_shard`` reads one shard and strips chrome (the parallel part: one task per shard);
``finalize_run`` applies cross-document boilerplate and deduplication in ingestion order, writes the
parts and commits them with the state (:mod:`dechaff.state`). ``run_local`` chains the three without
Prefect.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from dechaff import __version__, card
from dechaff.audit import Audit
from dechaff.boilerplate import BoilerplateState, detect
from dechaff.chrome import ChromeOptions, apply_chrome, load_patterns
from dechaff.config import Config
from dechaff.dedup import DedupIndex, Item, deduplicate
from dechaff.model import EMPTY, Decision, Document
from dechaff.readers import RawInput, ReadResult, Rejection, discover, read_input, sha256_file
from dechaff.staging import read_shard, write_shard
from dechaff.state import Manifest, OutputDir, StateError
from dechaff.writers import (
    STATE_SUFFIX,
    TABLES,
    atomic_write_parquet,
    frame,
    write_parquet_tmp,
)


class RawDirMissing(Exception):
    pass


@dataclass
class RunPlan:
    run_id: str
    seq: int
    raw_dir: str
    out_dir: str
    shards: list[list[tuple[str, str]]]  # (relative path, sha256)
    n_inputs: int
    n_known: int
    pre_rejected: list[tuple[str, str, str]] = field(default_factory=list)  # (source, error, sha256)
    paths: dict[str, str] = field(default_factory=dict)  # shown name -> hex bytes of a name not in UTF-8
    # inputs a previous run was reading when it died (sha -> its run id): read in a child process
    suspects: dict[str, str] = field(default_factory=dict)

    def input_path(self, rel: str) -> Path:
        real = os.fsdecode(bytes.fromhex(self.paths[rel])) if rel in self.paths else rel
        return Path(self.raw_dir) / real

    @property
    def staging(self) -> Path:
        return OutputDir(Path(self.out_dir)).staging_root / self.run_id

    @property
    def n_new(self) -> int:
        return sum(len(s) for s in self.shards)


@dataclass
class ShardResult:
    path: str
    n_files: int
    n_documents: int
    n_rejected: int


@dataclass
class RunSummary:
    run_id: str
    inputs_seen: int = 0
    inputs_already_ingested: int = 0
    inputs_new: int = 0
    inputs_rejected: int = 0
    records_rejected: int = 0
    documents_read: int = 0
    documents_kept: int = 0
    documents_emptied: int = 0
    paragraphs_read: int = 0
    paragraphs_kept: int = 0
    earlier_paragraphs_replaced: int = 0  # keep = "longest": removed from earlier runs' corpus parts
    removed_by_reason: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    recovered: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def lines(self) -> list[str]:
        rm = ", ".join(f"{k} {v}" for k, v in sorted(self.removed_by_reason.items())) or "none"
        return [
            f"run {self.run_id}: {self.inputs_seen} raw inputs, {self.inputs_already_ingested} already ingested, "
            f"{self.inputs_new} new",
            f"documents: {self.documents_read} read, {self.documents_kept} kept, "
            f"{self.documents_emptied} left empty (all paragraphs removed)",
            f"rejected: {self.inputs_rejected} inputs, {self.records_rejected} records inside containers",
            f"paragraphs: {self.paragraphs_read} read, {self.paragraphs_kept} kept; removed rows by reason: {rm}",
            *([f"earlier runs: {self.earlier_paragraphs_replaced} kept paragraphs replaced by longer copies"]
              if self.earlier_paragraphs_replaced else []),
            f"seconds: {self.seconds:.1f}",
        ]


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


# ---------------------------------------------------------------------------------------- plan
def plan_run(raw_dir: Path, out_dir: Path, config: Config, run_id: str | None = None) -> tuple[RunPlan, list[str]]:
    """Call with the output lock held. Recovers the output directory, then lists what is new."""
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    if not raw_dir.is_dir():
        raise RawDirMissing(f"raw directory {raw_dir} does not exist (or is not a directory)")
    out = OutputDir(out_dir)
    out.ensure()
    recovered = prepare_output(out)
    m = out.read_manifest()
    known = _known_inputs(out, m)
    died_on = _died_on(out)
    run_id = run_id or new_run_id()
    inputs, refused = discover(raw_dir, skip=out_dir)
    shards: list[list[tuple[str, str]]] = []
    cur: list[tuple[str, str]] = []
    cur_bytes = 0
    pre: list[tuple[str, str, str]] = [(r.source, r.error, "") for r in refused]
    paths: dict[str, str] = {}  # inputs whose name is not UTF-8: shown escaped, found by their bytes
    seen: dict[str, str] = {}
    n_known = 0
    limit = int(config.shard_mb * (1 << 20))
    for item in inputs:
        try:
            size = item.path.stat().st_size
            sha = sha256_file(item.path)
        except PermissionError:
            pre.append((item.rel, "cannot be read: permission denied", ""))
            continue
        except OSError as e:
            pre.append((item.rel, f"cannot be read: {e.strerror or e}", ""))
            continue
        if sha in known:
            n_known += 1
            continue
        if sha in seen:
            pre.append((item.rel, f"skipped: same content as {seen[sha]}, which is ingested in this run", sha))
            continue
        seen[sha] = item.rel
        real = item.path.relative_to(raw_dir).as_posix()
        if real != item.rel:
            paths[item.rel] = os.fsencode(real).hex()
        if cur and (cur_bytes + size > limit or len(cur) >= config.max_shard_files):
            shards.append(cur)
            cur, cur_bytes = [], 0
        cur.append((item.rel, sha))
        cur_bytes += size
    if cur:
        shards.append(cur)
    plan = RunPlan(run_id=run_id, seq=m.next_seq, raw_dir=str(raw_dir), out_dir=str(out_dir), shards=shards,
                   n_inputs=len(inputs) + len(refused), n_known=n_known, pre_rejected=pre, paths=paths,
                   suspects={sha: died_on[sha] for shard in shards for _rel, sha in shard if sha in died_on})
    return plan, recovered


def _died_on(out: OutputDir) -> dict[str, str]:
    """Inputs a previous run was reading when it died (their markers outlived it): sha -> run id.
    Called under the lock, before this run reads anything, so no marker is a live run's."""
    found: dict[str, str] = {}
    for f in out.reading_dir.glob("*.json") if out.reading_dir.is_dir() else ():
        try:
            found[f.stem] = json.loads(f.read_text()).get("run_id", "?")
        except (OSError, ValueError, AttributeError):
            found[f.stem] = "?"
    return found


def _known_inputs(out: OutputDir, m: Manifest) -> set[str]:
    if not m.ledger:
        return set()
    df = pl.read_parquet(out.root / m.ledger, columns=["content_sha256"])
    return set(df["content_sha256"].drop_nulls().to_list())


def prepare_output(out: OutputDir) -> list[str]:
    """Call with the output lock held, before reading the manifest to change it: finish or roll back an
    interrupted commit, check that every committed file is there with its size, and the state files with
    their checksums (:class:`StateError` naming them otherwise: nothing is written or deleted), and bring
    parts of older schemas up to date.
    Returns what it did."""
    done = out.recover()
    problems = out.check(state_checksums=True)  # (parts by size: a run does not read them)
    if problems:
        raise StateError(f"{out.root}: committed files are missing or damaged: {'; '.join(problems[:10])}"
                         f"{f' (and {len(problems) - 10} more)' if len(problems) > 10 else ''}. Nothing was "
                         "changed; restore them from a backup (`dechaff verify` checks every file)")
    return done + _upgrade_parts(out)


def _upgrade_parts(out: OutputDir) -> list[str]:
    """Committed parts written by an older dechaff, whose table has gained columns since (``removed``'s
    ``duplicate_of_document``), are written again with today's schema (new columns null) and swapped
    in by a commit of their own, so every part of a table reads as one dataset. Returns what it did."""
    m = out.read_manifest()
    renames: list[tuple[Path, Path]] = []
    swap: dict[str, str] = {}
    for rel in m.parts:
        table = rel.split("/")[0]
        schema = TABLES.get(table)
        path = out.root / rel
        if schema is None or not path.exists() or dict(pl.read_parquet_schema(path)) == schema:
            continue
        df = pl.read_parquet(path)
        df = df.with_columns(pl.lit(None, dtype=t).alias(c) for c, t in schema.items() if c not in df.columns)
        stem = re.sub(r"-u\d{6}$", "", path.stem)
        final = path.parent / f"{stem}-u{m.next_seq:06d}.parquet"
        renames.append((write_parquet_tmp(df.select(list(schema)).cast(schema), final), final))
        swap[rel] = f"{table}/{final.name}"
    if not swap:
        return []
    for r in m.runs:
        r["parts"] = [swap.get(p, p) for p in r.get("parts", [])]
    out.commit(m, renames)
    out.recover()
    return [f"upgraded {old} to today's schema ({new})" for old, new in swap.items()]


# ---------------------------------------------------------------------------------------- shards
def process_shard(plan: RunPlan, shard_no: int, config: Config) -> ShardResult:
    """Read the shard's inputs and decide chrome; writes a staging file and returns its path."""
    patterns = load_patterns(config.chrome_patterns)
    opts = ChromeOptions(keep_comments=config.keep_comments)
    docs: list[Document] = []
    rejections: list[tuple[str, str, str]] = []
    ledger: list[dict] = []
    reading = OutputDir(Path(plan.out_dir)).reading_dir
    reading.mkdir(parents=True, exist_ok=True)
    for rel, sha in plan.shards[shard_no]:
        # a marker while the input is read: if the process is killed on it (out of memory), the next run
        # finds the marker and reads the input in a process of its own (see _read_isolated)
        marker = reading / f"{sha}.json"
        marker.write_text(json.dumps({"source": rel, "run_id": plan.run_id, "pid": os.getpid()}))
        try:
            item = RawInput(plan.input_path(rel), rel)
            if sha in plan.suspects:
                res = _read_isolated(item, sha, config, patterns, opts, plan.suspects[sha])
            else:
                res = _read_and_strip(item, sha, config, patterns, opts)
        finally:  # (runs on any exception, Ctrl-C included; not when the process is killed)
            marker.unlink(missing_ok=True)
        docs.extend(res.documents)
        rejections.extend((r.source, r.error, "" if res.retry else sha) for r in res.rejections)
        if res.retry:
            continue  # (not in the ledger: the next run tries it again)
        whole_file_rejected = not res.documents and any(r.source == rel for r in res.rejections)
        ledger.append({"source": rel, "content_sha256": sha, "status": "rejected" if whole_file_rejected
                       else "ingested", "n_documents": len(res.documents)})
    path = plan.staging / f"shard-{shard_no:05d}"
    write_shard(path, docs, rejections, ledger)
    return ShardResult(str(path), len(plan.shards[shard_no]), len(docs),
                       sum(1 for row in ledger if row["status"] == "rejected"))


def _read_and_strip(item: RawInput, sha: str, config: Config, patterns, opts: ChromeOptions) -> ReadResult:
    res = read_input(item, content_sha256=sha, max_decompressed_bytes=config.max_decompressed_bytes,
                     keep_comments=config.keep_comments, parquet_columns=config.parquet)
    for d in res.documents:
        d.input = item.rel
        d.paragraphs = apply_chrome(d, patterns, opts)
        d.hints = None
    return res


ISOLATED_MEMORY = 4 << 30  # address space a suspect input may add in its child process (beside the cap)


def _read_isolated(item: RawInput, sha: str, config: Config, patterns, opts: ChromeOptions,
                   died_in: str) -> ReadResult:
    """Read an input that a previous run died on (out of memory, killed) in a forked child process
    with a memory limit: if it kills the child too, it is rejected; if the earlier death was not its
    doing (a kill -9 of the whole run), it is read as usual. Either way this run goes on."""
    import multiprocessing
    import resource

    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)

    def child() -> None:
        # on top of what the process maps already (a fork has its parent's address space)
        with open("/proc/self/status") as f:
            mapped = next((int(ln.split()[1]) << 10 for ln in f if ln.startswith("VmSize")), 0)
        limit = mapped + ISOLATED_MEMORY + 3 * config.max_decompressed_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        try:
            send.send(_read_and_strip(item, sha, config, patterns, opts))
        except MemoryError:
            send.send(None)

    proc = ctx.Process(target=child, daemon=True)
    proc.start()
    send.close()
    try:
        res = recv.recv()
    except EOFError:  # the child died before it could answer
        res = None
    proc.join()
    if isinstance(res, ReadResult):
        return res
    why = "out of memory" if res is None or proc.exitcode in (-9, None) else f"exit code {proc.exitcode}"
    out = ReadResult()
    out.rejections.append(Rejection(item.rel, f"rejected: reading it killed run {died_in}, and a process of its "
                                              f"own this time ({why}); it is not read again unless it changes"))
    return out


# ---------------------------------------------------------------------------------------- finalize
def finalize_run(plan: RunPlan, shard_paths: list[str], config: Config, started: float | None = None,
                 recovered: list[str] | None = None) -> RunSummary:
    """Boilerplate, dedup, write and commit. Call with the output lock held."""
    t0 = started or time.time()
    out = OutputDir(Path(plan.out_dir))
    m = out.read_manifest()
    summary = RunSummary(run_id=plan.run_id, inputs_seen=plan.n_inputs, inputs_already_ingested=plan.n_known,
                         recovered=list(recovered or []))
    docs: list[Document] = []
    rejections: list[tuple[str, str, str]] = list(plan.pre_rejected)
    ledger_rows: list[dict] = [{"source": s, "content_sha256": sha, "status": "rejected", "n_documents": 0}
                               for s, _e, sha in plan.pre_rejected if sha]
    retried = sum(1 for _s, _e, sha in plan.pre_rejected if not sha)  # inputs the next run tries again
    for p in sorted(shard_paths):
        d, r, lrows = read_shard(Path(p))
        docs.extend(d)
        rejections.extend(r)
        ledger_rows.extend(lrows)
        retried += sum(1 for _s, _e, sha in r if not sha)
    summary.inputs_new = plan.n_new + len(plan.pre_rejected)
    summary.inputs_rejected = sum(1 for r in ledger_rows if r["status"] == "rejected") + retried
    summary.records_rejected = len(rejections) - summary.inputs_rejected

    # doc ids: unique across the corpus (a changed file gets its content hash appended)
    old_docs = pl.read_parquet(out.root / m.ledger, columns=["doc_ids"])["doc_ids"].explode().drop_nulls() \
        if m.ledger else pl.Series([], dtype=pl.String)
    taken = set(old_docs.to_list())
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

    # cross-document boilerplate
    def state_file(name: str | None) -> Path | None:
        return out.root / name if name else None

    bp_state = BoilerplateState.load(state_file(m.boilerplate), state_file(m.boilerplate_templates),
                                     state_file(m.boilerplate_docs))
    bp_state, _n_bp = detect(docs, bp_state, config.boilerplate_min_docs)

    # dedup in ingestion order against the persisted index
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

    # rows
    now = datetime.now(UTC)
    audit = Audit(plan.run_id)
    corpus_rows: list[dict] = []
    doc_ids_by_source: dict[str, list[str]] = {}
    for d in docs:
        kept = [p for p in d.paragraphs if p.kept]
        n_removed = 0
        for p in d.paragraphs:
            if p.decision.keep and not p.text.strip():
                p.decision = Decision.drop(EMPTY, "structure.empty", "nothing left after line removals")
            n_removed += audit.record_paragraph(p)
        summary.documents_read += 1
        summary.paragraphs_read += len(d.paragraphs)
        summary.paragraphs_kept += len(kept)
        doc_ids_by_source.setdefault(d.input, []).append(d.doc_id)
        if not kept:
            summary.documents_emptied += 1
            continue
        summary.documents_kept += 1
        corpus_rows.append({
            "doc_id": d.doc_id, "source": d.source, "url": d.url, "title": d.title,
            "text": "\n\n".join(p.text for p in kept), "n_paragraphs": len(d.paragraphs), "n_removed": n_removed,
            "kept_paragraphs": [p.index for p in kept], "content_sha256": d.content_sha256,
            "encoding": d.encoding, "run_id": plan.run_id, "ingested_at": now,
        })
    # keep = "longest": kept paragraphs of earlier runs that a longer copy replaced
    for doc_id, para, text, dec in outcome.replaced:
        audit.record(doc_id, para, text, dec)
    summary.earlier_paragraphs_replaced = len(outcome.replaced)
    summary.removed_by_reason = dict(sorted(audit.by_reason.items()))

    # write everything under names nothing refers to yet
    seq, rid = plan.seq, plan.run_id
    renames: list[tuple] = []
    parts: list[str] = []
    tables = {"corpus": corpus_rows, "removed": audit.rows,
              "rejected": [{"source": s, "error": e, "content_sha256": sha or None, "run_id": rid}
                           for s, e, sha in rejections]}
    have = {p.split("/")[0] for p in m.parts}
    for table, rows in tables.items():
        if not rows and table in have:
            continue  # (the first run writes every table, rows or not: an empty folder fails its readers)
        final = out.table_dir(table) / f"part-{seq:06d}-{rid}.parquet"
        tmp = write_parquet_tmp(frame(table, rows), final)
        renames.append((tmp, final))
        parts.append(f"{table}/{final.name}")
    runs = [dict(r) for r in m.runs]
    if outcome.replaced:
        renames.extend(_rewrite_corpus_parts(out, runs, {(d, p) for d, p, _, _ in outcome.replaced}))
    # ledger: every input seen so far, with the doc ids it produced
    for r in ledger_rows:
        r["doc_ids"] = doc_ids_by_source.get(r["source"], [])
        r["run_id"] = rid
    new_ledger = pl.DataFrame(ledger_rows, schema={"source": pl.String, "content_sha256": pl.String,
                                                   "status": pl.String, "n_documents": pl.Int64,
                                                   "doc_ids": pl.List(pl.String), "run_id": pl.String})
    if m.ledger:
        new_ledger = pl.concat([pl.read_parquet(out.root / m.ledger), new_ledger], how="vertical_relaxed")
    ledger_name = f"_state/ledger-{seq:06d}{STATE_SUFFIX}"
    atomic_write_parquet(new_ledger, out.root / ledger_name)
    bp_name = f"_state/boilerplate-{seq:06d}{STATE_SUFFIX}"
    atomic_write_parquet(bp_state.counts.frame(), out.root / bp_name)
    bp_templates = f"_state/boilerplate-templates-{seq:06d}{STATE_SUFFIX}"
    atomic_write_parquet(bp_state.templates_frame(), out.root / bp_templates)
    bp_docs = f"_state/boilerplate-docs-{seq:06d}{STATE_SUFFIX}"
    atomic_write_parquet(bp_state.profiles_frame(), out.root / bp_docs)
    index.write_rederived()  # (before the commit: the manifest then names the new settings)
    segments = list(m.index_segments)
    seg = f"_state/index/seg-{seq:06d}-{rid}"
    if index.write_pending(out.root / seg):
        segments.append(seg)
    summary.seconds = time.time() - t0
    summary.parts = parts
    run_rec = {"run_id": rid, "seq": seq, "finished_at": now.isoformat(), "parts": parts,
               "dechaff": __version__, "summary": {k: v for k, v in summary.to_dict().items()
                                                    if k not in ("parts", "recovered")}}
    new_m = Manifest(runs=[*runs, run_rec], ledger=ledger_name, boilerplate=bp_name,
                     boilerplate_templates=bp_templates, boilerplate_docs=bp_docs,
                     index_params=params.signature_fields(), index_segments=segments,
                     index_size=index.size, next_seq=seq + 1)
    out.commit(new_m, renames)
    out.recover()  # drop the previous state versions and the staging files
    for f in out.reading_dir.glob("*.json"):  # (a dead run's, of inputs this run did not read: known, gone)
        f.unlink(missing_ok=True)
    card.write(out.root, new_m.runs)  # (derived from the manifest: the next run writes it again)
    return summary


# ---------------------------------------------------------------------------------------- local
def _rewrite_corpus_parts(out: OutputDir, runs: list[dict], drop: set[tuple[str, int]]) -> list[tuple[Path, Path]]:
    """Remove paragraphs ``drop`` (doc_id, paragraph_index) from the corpus parts of earlier runs:
    each affected part is written again under its own name (to a temporary name first); the commit
    records its new size and checksum and renames it over the old one, an atomic swap, so a reader
    never sees both (a crash after the commit is rolled forward by recovery). Returns the renames."""
    docs = sorted({d for d, _ in drop})
    corpus = [p for r in runs for p in r.get("parts", []) if p.startswith("corpus/")]
    if not corpus:
        return []
    hits = (pl.scan_parquet([out.root / p for p in corpus], include_file_paths="_file")
            .filter(pl.col("doc_id").is_in(docs)).select("_file").unique().collect()["_file"].to_list())
    renames: list[tuple[Path, Path]] = []
    for f in sorted(hits):
        old = Path(f)
        df = pl.read_parquet(old)
        rows = []
        for row in df.iter_rows(named=True):
            kp = row["kept_paragraphs"]
            if any((row["doc_id"], k) in drop for k in kp):
                paras = row["text"].split("\n\n")
                if len(paras) != len(kp):
                    raise StateError(f"{old}: document {row['doc_id']} does not split into its kept paragraphs")
                keep = [(k, t) for k, t in zip(kp, paras, strict=True) if (row["doc_id"], k) not in drop]
                if not keep:
                    continue  # nothing of the document is left
                row["n_removed"] += len(kp) - len(keep)
                row["kept_paragraphs"] = [k for k, _ in keep]
                row["text"] = "\n\n".join(t for _, t in keep)
            rows.append(row)
        renames.append((write_parquet_tmp(pl.DataFrame(rows, schema=df.schema), old), old))
    return renames


def run_local(raw_dir: Path, out_dir: Path, config: Config | None = None,
              progress: Callable[[int, int], None] | None = None) -> RunSummary:
    """One run without Prefect (tests, library use): plan, every shard in turn, finalize."""
    config = config or Config()
    t0 = time.time()
    out = OutputDir(Path(out_dir))
    with out.lock(config.lock_wait_seconds):
        plan, recovered = plan_run(raw_dir, out_dir, config)
        paths = []
        for i in range(len(plan.shards)):
            paths.append(process_shard(plan, i, config).path)
            if progress:
                progress(i + 1, len(plan.shards))
        return finalize_run(plan, paths, config, started=t0, recovered=recovered)


# ---------------------------------------------------------------------------------------- explain
def explain(out_dir: Path, doc_id: str) -> str:
    """The document as read: kept paragraphs as they are, each removal in place with reason and rule."""
    out = OutputDir(Path(out_dir))
    if not out.manifest_path.exists():
        raise StateError(f"{out_dir} holds no dechaff output (no {out.manifest_path.name})")
    corpus = _scan(out, "corpus").filter(pl.col("doc_id") == doc_id).collect()
    removed = _scan(out, "removed").filter(pl.col("doc_id") == doc_id).collect()
    if corpus.is_empty() and removed.is_empty():
        ids = _scan(out, "corpus").select("doc_id").collect()["doc_id"]
        close = [i for i in ids.to_list() if doc_id in i][:5]
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"no document {doc_id!r} in {out_dir}{hint}")
    entries: list[tuple[int, int, str]] = []  # (paragraph, order, text)
    if not corpus.is_empty():
        row = corpus.row(0, named=True)
        header = f"{doc_id}  source={row['source']}  run={row['run_id']}"
        for idx, text in zip(row["kept_paragraphs"], row["text"].split("\n\n"), strict=False):
            entries.append((idx, 0, text))
    else:
        header = f"{doc_id}  (nothing kept: every paragraph was removed)"
    copied = removed["duplicate_of_document"].drop_nulls().unique().sort().to_list()
    if copied:
        header += f"\n  a duplicate document: copies {', '.join(copied)}"
    targets = _kept_paragraphs(out, removed["duplicate_of_doc"].drop_nulls().unique().to_list())
    for r in removed.sort("paragraph_index", "line_index", nulls_last=False).iter_rows(named=True):
        where = "" if r["line_index"] is None else f" line {r['line_index']}"
        why = r["evidence"]
        if r["duplicate_of_doc"] is not None:
            para = "" if r["duplicate_of_paragraph"] is None else f" paragraph {r['duplicate_of_paragraph']}"
            sim = "" if r["similarity"] is None else f", similarity {r['similarity']:.3f}"
            why = f"matches {r['duplicate_of_doc']}{para}{sim}"
            if r["reason"] != "duplicate":
                why = f"{r['evidence']}; {why}"
            kept_text = targets.get((r["duplicate_of_doc"], r["duplicate_of_paragraph"]))
            if kept_text:
                why += "\n      kept there: " + (kept_text if len(kept_text) <= 160 else kept_text[:157] + "...")
        body = "\n".join("    | " + ln for ln in r["text"].splitlines()) or "    |"
        entries.append((r["paragraph_index"], 1, f"  - REMOVED{where} [{r['reason']} / {r['rule']}] {why}\n{body}"))
    entries.sort(key=lambda e: (e[0], e[1]))
    lines = [header, ""]
    for idx, kind, text in entries:
        lines.append(f"[{idx}] {text}" if kind == 0 else f"[{idx}]{text[1:]}")
        lines.append("")
    return "\n".join(lines)


def _kept_paragraphs(out: OutputDir, doc_ids: list[str]) -> dict[tuple[str, int], str]:
    """(doc_id, paragraph_index) -> kept text, for the given documents."""
    if not doc_ids:
        return {}
    df = _scan(out, "corpus").filter(pl.col("doc_id").is_in(doc_ids)).select(
        "doc_id", "kept_paragraphs", "text").collect()
    found: dict[tuple[str, int], str] = {}
    for doc_id, idxs, text in df.iter_rows():
        for i, t in zip(idxs, text.split("\n\n"), strict=False):
            found[(doc_id, i)] = t
    return found


def _scan(out: OutputDir, table: str) -> pl.LazyFrame:
    files = sorted(str(p) for p in out.table_dir(table).glob("*.parquet"))
    if not files:
        return pl.LazyFrame(schema=TABLES[table])
    return pl.scan_parquet(files)

