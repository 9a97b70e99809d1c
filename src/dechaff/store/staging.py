"""A shard's staging: what the read-and-strip step hands to the commit step, as Parquet tables.

Parquet, not pickle: staging sits in the output folder while a run goes on, and loading a pickle that
someone swapped in runs their code. A shard is a folder of batches and four small tables:

- ``docs-NNNNN.parquet`` (one row per document), ``paragraphs-NNNNN.parquet`` (one row per paragraph,
  with its decision and its lines' decisions) and ``tokens-NNNNN.npy`` (the token hashes of its kept
  paragraphs, which the dedup stage takes instead of tokenizing them again: ``dedup.StagedTokens``; plain
  numbers, loaded without pickle): the shard's documents in batches of about
  ``BATCH_PARAGRAPHS`` paragraphs, written as the shard goes, so that neither the shard step nor the
  commit step ever holds a whole shard (a shard is as large as ``shard_mb`` of raw text, or one piece of
  a large file);
- ``rejections``, ``ledger``, and ``dropped``: inputs whose documents, already written to batches, must
  not be read after all (the input turned out to be truncated, or changed while it was read);
- the ``done`` marker, last. Every file is written under a temporary name and renamed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from dechaff.dedup.shingle import StagedTokens, Tokens, gather_staged
from dechaff.model import KEEP, Decision, Document, Paragraph
from dechaff.store.atomic import atomic_write_bytes, atomic_write_npy, atomic_write_parquet
from dechaff.store.schemas import STAGING_DECISION, STAGING_DOC_FIELDS, STAGING_PARAGRAPHS

BATCH_PARAGRAPHS = 20_000  # paragraphs of a staging batch (the most a shard holds in memory at once)

# (not the text: from here on a document is its paragraphs)
_DOC_FIELDS = {**dict.fromkeys(STAGING_DOC_FIELDS, pl.String), "unit_keys": pl.List(pl.UInt64), "sketch": pl.Binary,
               "n_pairs": pl.Int64}
_EDGES = ("head", "head_short", "tail", "tail_short", "short")  # (Document.edges, a column each)
_DOC_SCHEMA = {**_DOC_FIELDS, **dict.fromkeys(_EDGES, pl.Binary)}
_PARA_SCHEMA = STAGING_PARAGRAPHS
_REJECTIONS = {"source": pl.String, "error": pl.String, "sha": pl.String}
_LEDGER = {"source": pl.String, "content_sha256": pl.String, "status": pl.String, "n_documents": pl.Int64}


@dataclass
class ShardMeta:
    """What a shard says besides its documents."""

    rejections: list[tuple[str, str, str]] = field(default_factory=list)  # (source, error, sha256 or "")
    ledger: list[dict] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # inputs whose staged documents are not to be read


class ShardWriter:
    """A shard's documents staged in batches as they come (``add``), then its meta (``close``)."""

    def __init__(self, path: Path, batch_paragraphs: int | None = None,
                 prepare: Callable[[list[Document]], None] | None = None) -> None:
        """``prepare``: called with every batch before it is written (to add what later steps need)."""
        self.path, self.batch_paragraphs, self.prepare = path, batch_paragraphs or BATCH_PARAGRAPHS, prepare
        path.mkdir(parents=True, exist_ok=True)
        self.docs: list[Document] = []
        self.held = 0  # paragraphs in ``docs``
        self.batches = 0
        self.written: set[str] = set()  # inputs with documents in written batches
        self.dropped: list[str] = []

    def add(self, doc: Document) -> None:
        self.docs.append(doc)
        self.held += len(doc.paragraphs)
        if self.held >= self.batch_paragraphs:
            self.flush()

    def drop_input(self, rel: str) -> None:
        """The documents of ``rel`` added so far are not to be read: those still held are forgotten, those
        already written are listed as dropped."""
        self.docs = [d for d in self.docs if d.input != rel]
        self.held = sum(len(d.paragraphs) for d in self.docs)
        if rel in self.written:
            self.dropped.append(rel)

    def flush(self) -> None:
        if not self.docs:
            return
        if self.prepare is not None:
            self.prepare(self.docs)
        _write_batch(self.path, self.batches, self.docs)
        self.written.update(d.input for d in self.docs)
        self.batches += 1
        self.docs, self.held = [], 0

    def close(self, rejections: list[tuple[str, str, str]], ledger: list[dict]) -> None:
        self.flush()
        atomic_write_parquet(pl.DataFrame(rejections, schema=_REJECTIONS, orient="row"),
                             self.path / "rejections.parquet")
        atomic_write_parquet(pl.DataFrame(ledger, schema=_LEDGER), self.path / "ledger.parquet")
        atomic_write_parquet(pl.DataFrame({"input": self.dropped}, schema={"input": pl.String}),
                             self.path / "dropped.parquet")
        atomic_write_bytes(self.path / "done", b"")


def _write_batch(path: Path, k: int, docs: list[Document]) -> None:
    cols = {f: [getattr(d, f) for d in docs] for f in _DOC_FIELDS}
    for i, name in enumerate(_EDGES):
        cols[name] = [None if d.edges is None else d.edges[i] for d in docs]
    atomic_write_parquet(pl.DataFrame(cols, schema=_DOC_SCHEMA), path / f"docs-{k:05d}.parquet")
    owner = [i for i, d in enumerate(docs) for _p in d.paragraphs]
    paras = [p for d in docs for p in d.paragraphs]
    texts = ["\n".join(p.lines) for p in paras]
    if sum(t.count("\n") for t in texts) + len(texts) != sum(len(p.lines) for p in paras):
        raise ValueError("a paragraph line holds a newline: it cannot be staged as one text")
    cols: dict[str, list] = {"doc": owner, "index": [p.index for p in paras], "text": texts}
    decisions = [p.decision for p in paras]
    for name, values in zip(STAGING_DECISION, zip(*decisions, strict=True) if decisions else
                            [()] * len(STAGING_DECISION), strict=True):
        cols[name] = list(values)
    lds = [p.line_decisions for p in paras]
    for name, pos in (("line_keep", 0), ("line_reason", 1), ("line_rule", 2), ("line_evidence", 3)):
        cols[name] = [None if ld is None else [x[pos] for x in ld] for ld in lds]
    if any(ld is not None and any(x[4:] != KEEP[4:] for x in ld) for ld in lds):
        raise ValueError("line decisions carry no duplicate fields at staging")
    cols["lsh_fp"] = [None if p.lsh is None else p.lsh[0] for p in paras]
    cols["lsh_keys"] = [None if p.lsh is None else p.lsh[1] for p in paras]
    with_tokens = [r for r, p in enumerate(paras) if p.tokens is not None]
    staged = gather_staged([paras[r].tokens for r in with_tokens])  # type: ignore[misc]
    t = staged.tokens
    for name, values in (("tok_n", t.n_words), ("tok_fp", t.fp), ("tok_wfp", t.wfp), ("tok_dh", t.dh),
                         ("tok_chars", staged.chars)):
        col: list[int | None] = [None] * len(paras)
        for r, v in zip(with_tokens, values.tolist(), strict=True):
            col[r] = v
        cols[name] = col
    atomic_write_npy(path / f"tokens-{k:05d}.npy", np.ascontiguousarray(t.hashes, dtype="<u8"))
    atomic_write_parquet(pl.DataFrame(cols, schema=_PARA_SCHEMA), path / f"paragraphs-{k:05d}.parquet")


def write_shard(path: Path, docs: Iterable[Document], rejections: list[tuple[str, str, str]],
                ledger: list[dict], batch_paragraphs: int | None = None) -> None:
    """Stage a shard's documents (with their chrome decisions), rejections and ledger rows in ``path``."""
    w = ShardWriter(path, batch_paragraphs)
    for d in docs:
        w.add(d)
    w.close(rejections, ledger)


def _check_done(path: Path) -> None:
    if not (path / "done").exists():
        raise FileNotFoundError(f"{path}: staging incomplete (no done marker)")


def _read(f: Path) -> pl.DataFrame:
    """A staged table; one that cannot be read is an error naming it (the reader's own does not)."""
    try:
        return pl.read_parquet(f)
    except (pl.exceptions.PolarsError, OSError) as e:
        raise OSError(f"{f}: a staged file that cannot be read ({type(e).__name__}: {e})") from e


def read_shard_meta(path: Path) -> ShardMeta:
    """The rejections, ledger rows and dropped inputs of a staged shard (without its documents)."""
    _check_done(path)
    rejections = [tuple(r) for r in _read(path / "rejections.parquet").iter_rows()]
    ledger = _read(path / "ledger.parquet").to_dicts()
    dropped = _read(path / "dropped.parquet")["input"].to_list()
    return ShardMeta(rejections, ledger, dropped)  # type: ignore[arg-type]


def shard_batches(path: Path, dropped: set[str] | frozenset[str] = frozenset(),
                  paragraphs: bool = True) -> Iterator[list[Document]]:
    """The documents of a staged shard, batch by batch, with their chrome decisions; documents of the
    ``dropped`` inputs left out. ``paragraphs`` False: the documents alone (cheap: what the boilerplate
    stage's counting pass reads), when they carry what it needs (``Document.edges``, ``unit_keys``)."""
    _check_done(path)
    for docs_file in sorted(path.glob("docs-*.parquet")):
        k = docs_file.stem.split("-")[1]
        docs = _read_docs(_read(docs_file))
        if not paragraphs and all(d.edges is not None and d.unit_keys is not None for d in docs):
            yield [d for d in docs if d.input not in dropped] if dropped else docs
            continue  # (a batch staged without them is read whole)
        _read_paragraphs(_read(path / f"paragraphs-{k}.parquet"), docs, path / f"tokens-{k}.npy")
        yield [d for d in docs if d.input not in dropped] if dropped else docs


def _read_docs(df: pl.DataFrame) -> list[Document]:
    """A batch's documents (without paragraphs), built from columns (a dict a row cost twice as much)."""
    edges = [None if e[0] is None else e for e in zip(*(df[c].to_list() for c in _EDGES), strict=True)]
    return [Document(doc_id, source, "", url=url, title=title, site=site, content_sha256=sha, encoding=enc, fmt=fmt,
                     input=inp, unit_keys=keys, sketch=sketch, n_pairs=n_pairs, edges=e)
            for (doc_id, source, url, title, site, sha, enc, fmt, inp, keys, sketch, n_pairs), e
            in zip(zip(*(df[c].to_list() for c in _DOC_FIELDS), strict=True), edges, strict=True)]


def _read_paragraphs(pf: pl.DataFrame, docs: list[Document], tokens_file: Path) -> None:
    """A batch's paragraphs, with their decisions and the tokens staged with them (``tokens_file``),
    appended to their documents. Built from columns: the decisions that are ``KEEP`` (most) are told by
    polars and shared, the others built one by one."""
    n = pf.height
    keep_default = pf.select(pl.all_horizontal(
        [pl.col(c).eq_missing(v) for c, v in zip(STAGING_DECISION, KEEP, strict=True)])).to_series()
    decisions = [KEEP] * n
    others = pf.filter(~keep_default).select(list(STAGING_DECISION))
    for r, dec in zip(keep_default.not_().arg_true().to_list(), map(Decision._make, others.rows()), strict=True):
        decisions[r] = dec
    owners = [docs[i] for i in pf["doc"].to_list()]
    lsh = [None if keys is None else (fp, keys) for fp, keys in zip(pf["lsh_fp"].to_list(), pf["lsh_keys"].to_list(),
                                                                     strict=True)]
    tokens = _read_tokens(pf, tokens_file)
    paras = [Paragraph(d.doc_id, index, text.split("\n"), decision, None, ah, tk) for d, index, text, decision, ah, tk
             in zip(owners, pf["index"].to_list(), pf["text"].to_list(), decisions, lsh, tokens, strict=True)]
    lined = pf.select(pl.arg_where(pl.col("line_keep").is_not_null())).to_series().to_list()
    if lined:
        cols = [pf[c].gather(lined).to_list() for c in ("line_keep", "line_reason", "line_rule", "line_evidence")]
        for r, lk, lr, lu, le in zip(lined, *cols, strict=True):
            paras[r].line_decisions = [KEEP if keep else Decision(False, reason, rule, evidence)
                                       for keep, reason, rule, evidence in zip(lk, lr, lu, le, strict=True)]
    for d, p in zip(owners, paras, strict=True):
        d.paragraphs.append(p)


def _read_tokens(pf: pl.DataFrame, tokens_file: Path) -> list[tuple[StagedTokens, int] | None]:
    """Each paragraph's staged tokens (the batch's, and its row in them), or None."""
    rows = pf.select(pl.arg_where(pl.col("tok_n").is_not_null())).to_series().to_numpy()
    out: list[tuple[StagedTokens, int] | None] = [None] * pf.height
    if not len(rows):
        return out
    try:
        hashes = np.load(tokens_file, allow_pickle=False)
        st = pf.select("tok_n", "tok_fp", "tok_wfp", "tok_dh", "tok_chars")[rows]
        staged = StagedTokens(Tokens(hashes.astype(np.uint64, copy=False), *(st[c].to_numpy() for c in (
            "tok_n", "tok_fp", "tok_wfp", "tok_dh"))), st["tok_chars"].to_numpy())
    except (OSError, ValueError) as e:
        raise OSError(f"{tokens_file}: a staged file that cannot be read ({type(e).__name__}: {e})") from e
    for i, r in enumerate(rows.tolist()):
        out[r] = (staged, i)
    return out


def read_shard(path: Path) -> tuple[list[Document], ShardMeta]:
    """A staged shard whole: its documents (without those of its own dropped inputs) and its meta."""
    meta = read_shard_meta(path)
    return [d for batch in shard_batches(path, set(meta.dropped)) for d in batch], meta
