"""``dechaff explain``: a document as read, its kept paragraphs in place and every removal with its
reason, rule and evidence (for a duplicate, the kept text it matched)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from dechaff.store import TABLES, OutputDir, StateError


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
