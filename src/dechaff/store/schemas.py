"""Every table dechaff writes, its schema in one place: the output tables (``corpus``, ``removed``,
``rejected``), the ledger of inputs, and the staging tables of a run's shards."""

from __future__ import annotations

import polars as pl

CORPUS_SCHEMA = {
    "doc_id": pl.String, "source": pl.String, "url": pl.String, "title": pl.String, "text": pl.String,
    "n_paragraphs": pl.Int32, "n_removed": pl.Int32, "kept_paragraphs": pl.List(pl.Int32),
    "content_sha256": pl.String, "encoding": pl.String, "run_id": pl.String,
    "ingested_at": pl.Datetime("us", "UTC"),
}
REMOVED_SCHEMA = {
    "doc_id": pl.String, "paragraph_index": pl.Int32, "line_index": pl.Int32, "text": pl.String,
    "reason": pl.String, "rule": pl.String, "evidence": pl.String, "duplicate_of_doc": pl.String,
    "duplicate_of_paragraph": pl.Int32, "similarity": pl.Float64, "run_id": pl.String,
    "duplicate_of_document": pl.String,
}
REJECTED_SCHEMA = {"source": pl.String, "error": pl.String, "content_sha256": pl.String, "run_id": pl.String}

TABLES = {"corpus": CORPUS_SCHEMA, "removed": REMOVED_SCHEMA, "rejected": REJECTED_SCHEMA}

LEDGER_SCHEMA = {"source": pl.String, "content_sha256": pl.String, "status": pl.String, "n_documents": pl.Int64,
                 "doc_ids": pl.List(pl.String), "run_id": pl.String,
                 # as listed by the run that read it: a file whose path, size and mtime agree is known unread
                 "size": pl.Int64, "mtime_ns": pl.Int64}

# staging (a run's shards): documents without their text, paragraphs with their decisions
STAGING_DOC_FIELDS = ("doc_id", "source", "url", "title", "site", "content_sha256", "encoding", "fmt", "input")
STAGING_DECISION = {"keep": pl.Boolean, "reason": pl.String, "rule": pl.String, "evidence": pl.String,
                    "duplicate_of_doc": pl.String, "duplicate_of_paragraph": pl.Int32, "similarity": pl.Float64,
                    "duplicate_of_document": pl.String}
# a paragraph's lines as one text joined by newlines (a line never holds one): flat strings are many times
# cheaper to build and read than lists of strings
STAGING_PARAGRAPHS = {"doc": pl.Int32, "index": pl.Int32, "text": pl.String, **STAGING_DECISION,
                      "line_keep": pl.List(pl.Boolean), "line_reason": pl.List(pl.String),
                      "line_rule": pl.List(pl.String), "line_evidence": pl.List(pl.String),
                      "lsh_fp": pl.UInt64, "lsh_keys": pl.Binary,  # (Paragraph.lsh)
                      # (Paragraph.tokens: its number of tokens, whose hashes follow those of the rows before it
                      # in the batch's tokens-NNNNN.npy, its fingerprints and the length of its text then)
                      "tok_n": pl.Int64, "tok_fp": pl.UInt64, "tok_wfp": pl.UInt64, "tok_dh": pl.UInt64,
                      "tok_chars": pl.Int64}


def frame(table: str, rows: list[dict]) -> pl.DataFrame:
    """A DataFrame of ``rows`` with the table's exact schema (also when empty)."""
    schema = TABLES[table]
    if not rows:
        return pl.DataFrame(schema=schema)
    return pl.DataFrame(rows, schema=schema, strict=False)
