"""The shard step (the parallel part of a run: one task per shard of raw files): read each input,
extract its HTML, decide its chrome, and stage the result as Parquet.

An input a previous run died on (its marker outlived the run) is read in a forked child process with a
memory limit, so that no run dies twice on one input.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from dechaff.boilerplate import observe_ahead
from dechaff.chrome import ChromeParams, PatternSet, apply_chrome, as_pattern_set, load_patterns
from dechaff.config import Config
from dechaff.dedup import lsh_ahead_tokens
from dechaff.html import HtmlParams, extract_blocks
from dechaff.model import Document, kept_paragraphs
from dechaff.pipeline.heap import frozen_heap
from dechaff.pipeline.types import RunPlan, ShardResult
from dechaff.readers import RawInput, ReadResult, Rejection, read_input
from dechaff.store import OutputDir
from dechaff.store.staging import ShardWriter


class Cleaner:
    """What the shard step does to every document: HTML extraction (``html``), then the line rules
    (``chrome``), with the run's settings. One per shard (the pattern file is read once)."""

    def __init__(self, config: Config) -> None:
        self.patterns: PatternSet = as_pattern_set(load_patterns(config.chrome_patterns))
        self.chrome = ChromeParams(keep_comments=config.keep_comments)
        self.html = HtmlParams(chrome=self.chrome)

    def clean(self, doc: Document) -> Rejection | None:
        """Extract (HTML) and decide the document's paragraphs in place; a rejection for a document that
        cannot be extracted."""
        hints = None
        if doc.markup is not None:
            try:
                page = extract_blocks(doc.markup, url=doc.url, keep_comments=self.chrome.keep_comments,
                                     params=self.html, patterns=self.patterns)
            except RecursionError:
                where = f"{doc.record}: " if doc.record else ""
                return Rejection(doc.ref or doc.source, f"{where}markup nested too deeply to parse")
            pieces = page.all_blocks()  # with the chrome cut out of blocks, so that the audit records it too
            doc.text = "\n\n".join(t for t, _d in pieces)
            doc.title = doc.title or page.title
            doc.markup = None
            hints = [d for _t, d in pieces]
        doc.paragraphs = apply_chrome(doc, self.patterns, self.chrome, hints)
        return None


def work_ahead(docs: list[Document], config: Config) -> None:
    """What the finalize step would do per document, done here, where it runs in parallel: the boilerplate
    keys, sketch and profile of each document, the dedup fingerprint, band keys and tokens of each kept
    paragraph (staged with them; the finalize step checks they still fit the text). The kept paragraphs
    are tokenized once for all of it."""
    kept = [pt for kt in kept_paragraphs(docs) for pt in kt]
    ahead, tokens = lsh_ahead_tokens([t for _p, t in kept], config.dedup)
    for r, ((p, _t), lsh) in enumerate(zip(kept, ahead, strict=True)):
        p.lsh = lsh
        p.tokens = None if tokens is None else (tokens, r)
    observe_ahead(docs, None if tokens is None else (tokens.tokens.hashes, tokens.tokens.n_words))


def read_and_clean(item: RawInput, sha: str, config: Config, cleaner: Cleaner,
                   keep: Callable[[Document], None] | None = None) -> ReadResult:
    """Read an input and clean its documents. With ``keep``, each cleaned document is handed to it as soon
    as it is read (see ``read_input``'s ``on_document``; ``res.n_documents`` then counts those handed over);
    else they are collected in ``res.documents``."""
    rejected: list[Rejection] = []
    kept: list[Document] = []

    def clean(d: Document) -> None:
        rejection = cleaner.clean(d)
        if rejection is not None:
            rejected.append(rejection)
        elif keep is not None:
            keep(d)
        else:
            kept.append(d)

    res = read_input(item, content_sha256=sha, max_decompressed_bytes=config.max_decompressed_bytes,
                     parquet_columns=config.parquet, on_document=clean)
    if not res.discard and not res.retry:
        res.rejections.extend(rejected)
    res.documents = kept
    res.n_documents = res.n_documents - len(rejected) if keep is not None else len(kept)
    return res


@frozen_heap
def process_shard(plan: RunPlan, shard_no: int, config: Config) -> ShardResult:
    """Read the shard's inputs and decide chrome; stages its documents batch by batch as they are read
    (a shard is never held whole) and returns the staging path."""
    cleaner = Cleaner(config)
    rejections: list[tuple[str, str, str]] = []
    ledger: list[dict] = []
    reading = OutputDir(Path(plan.out_dir)).reading_dir
    reading.mkdir(parents=True, exist_ok=True)
    path = plan.staging / f"shard-{shard_no:05d}"
    writer = ShardWriter(path, prepare=lambda docs: work_ahead(docs, config))
    n_docs = 0
    for rel, sha, piece in plan.shards[shard_no]:
        # a marker while the input is read: if the process is killed on it (out of memory), the next run
        # finds the marker and reads the input in a process of its own (see read_isolated)
        marker = reading / (f"{sha}.json" if piece is None else f"{sha}.{piece}.json")
        marker.write_text(json.dumps({"source": rel, "run_id": plan.run_id, "pid": os.getpid()}))
        try:
            item = plan.raw_input(rel, piece)
            if sha in plan.suspects:
                res = read_isolated(item, sha, config, cleaner, plan.suspects[sha])
                for d in res.documents:
                    writer.add(d)
            else:
                res = read_and_clean(item, sha, config, cleaner, writer.add)
        finally:  # (runs on any exception, Ctrl-C included; not when the process is killed)
            marker.unlink(missing_ok=True)
        if res.discard:
            writer.drop_input(rel)
        rejections.extend((r.source, r.error, "" if res.retry else sha) for r in res.rejections)
        if res.retry:
            continue  # (not in the ledger: the next run tries it again)
        n = 0 if res.discard else res.n_documents
        n_docs += n
        whole_file_rejected = not n and any(r.source == rel for r in res.rejections)
        ledger.append({"source": rel, "content_sha256": sha, "status": "rejected" if whole_file_rejected
                       else "ingested", "n_documents": n})
    writer.close(rejections, ledger)
    return ShardResult(str(path), len(plan.shards[shard_no]), n_docs,
                       sum(1 for row in ledger if row["status"] == "rejected"))


ISOLATED_MEMORY = 4 << 30  # address space a suspect input may add in its child process (beside the cap)


def read_isolated(item: RawInput, sha: str, config: Config, cleaner: Cleaner, died_in: str) -> ReadResult:
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
            send.send(read_and_clean(item, sha, config, cleaner))
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
