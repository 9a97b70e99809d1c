"""A shard's staging: what the read-and-strip step hands to the commit step, as Parquet tables.

Parquet, not pickle: staging sits in the output folder while a run goes on, and loading a pickle that
someone swapped in runs their code. A shard is a folder of four tables: ``docs`` (one row per document),
``paragraphs`` (one row per paragraph, with its decision and its lines' decisions), ``rejections`` and
``ledger``; each is written under a temporary name and renamed, the folder's ``done`` marker last.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from dechaff.model import KEEP, Decision, Document, Paragraph
from dechaff.store.atomic import atomic_write_bytes, atomic_write_parquet
from dechaff.store.schemas import STAGING_DECISION, STAGING_DOC_FIELDS, STAGING_PARAGRAPHS

_DOC_FIELDS = STAGING_DOC_FIELDS  # (not the text: from here on a document is its paragraphs)
_PARA_SCHEMA = STAGING_PARAGRAPHS


def write_shard(path: Path, docs: list[Document], rejections: list[tuple[str, str, str]],
                ledger: list[dict]) -> None:
    """Stage a shard's documents (with their chrome decisions), rejections and ledger rows in ``path``."""
    path.mkdir(parents=True, exist_ok=True)
    atomic_write_parquet(pl.DataFrame({f: [getattr(d, f) for d in docs] for f in _DOC_FIELDS},
                                      schema=dict.fromkeys(_DOC_FIELDS, pl.String)), path / "docs.parquet")
    rows: dict[str, list] = {k: [] for k in _PARA_SCHEMA}
    for k, d in enumerate(docs):
        for p in d.paragraphs:
            rows["doc"].append(k)
            rows["index"].append(p.index)
            rows["lines"].append(p.lines)
            for name, value in zip(STAGING_DECISION, p.decision, strict=True):
                rows[name].append(value)
            ld = p.line_decisions
            for name, pos in (("line_keep", 0), ("line_reason", 1), ("line_rule", 2), ("line_evidence", 3)):
                rows[name].append(None if ld is None else [x[pos] for x in ld])
            if ld is not None and any(x[4:] != KEEP[4:] for x in ld):
                raise ValueError("line decisions carry no duplicate fields at staging")
    atomic_write_parquet(pl.DataFrame(rows, schema=_PARA_SCHEMA), path / "paragraphs.parquet")
    atomic_write_parquet(pl.DataFrame(rejections, schema={"source": pl.String, "error": pl.String,
                                                          "sha": pl.String}, orient="row"),
                         path / "rejections.parquet")
    atomic_write_parquet(pl.DataFrame(ledger, schema={"source": pl.String, "content_sha256": pl.String,
                                                      "status": pl.String, "n_documents": pl.Int64}),
                         path / "ledger.parquet")
    atomic_write_bytes(path / "done", b"")


def read_shard(path: Path) -> tuple[list[Document], list[tuple[str, str, str]], list[dict]]:
    """The documents, rejections and ledger rows :func:`write_shard` staged."""
    rejections, ledger = read_shard_meta(path)
    return read_shard_docs(path), rejections, ledger


def read_shard_meta(path: Path) -> tuple[list[tuple[str, str, str]], list[dict]]:
    """The rejections and ledger rows of a staged shard (without its documents)."""
    if not (path / "done").exists():
        raise FileNotFoundError(f"{path}: staging incomplete (no done marker)")
    rejections = [tuple(r) for r in pl.read_parquet(path / "rejections.parquet").iter_rows()]
    ledger = pl.read_parquet(path / "ledger.parquet").to_dicts()
    return rejections, ledger  # type: ignore[return-value]


def read_shard_docs(path: Path) -> list[Document]:
    """The documents of a staged shard, with their chrome decisions."""
    if not (path / "done").exists():
        raise FileNotFoundError(f"{path}: staging incomplete (no done marker)")
    docs = [Document(text="", **row) for row in pl.read_parquet(path / "docs.parquet").iter_rows(named=True)]
    for row in pl.read_parquet(path / "paragraphs.parquet").iter_rows(named=True):
        d = docs[row["doc"]]
        decision = Decision(*(row[k] for k in STAGING_DECISION))
        lines = None
        if row["line_keep"] is not None:
            lines = [KEEP if keep else Decision(False, reason, rule, evidence) for keep, reason, rule, evidence in
                     zip(row["line_keep"], row["line_reason"], row["line_rule"], row["line_evidence"], strict=True)]
        d.paragraphs.append(Paragraph(d.doc_id, row["index"], row["lines"],
                                      KEEP if decision == KEEP else decision, lines))
    return docs
