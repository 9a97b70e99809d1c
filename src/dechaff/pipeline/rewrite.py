"""keep = "longest": kept paragraphs of earlier runs that a longer copy replaced are removed from
their corpus parts (each part written again, swapped in by the run's commit)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from dechaff.store import OutputDir, StateError, write_parquet_tmp


def rewrite_corpus_parts(out: OutputDir, runs: list[dict], drop: set[tuple[str, int]]) -> list[tuple[Path, Path]]:
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
