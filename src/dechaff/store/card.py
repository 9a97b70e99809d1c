"""The output directory's dataset card (``<out>/README.md``), written at each commit.

Its YAML header names the three tables as ``datasets`` configs, so the output folder loads in one line::

    datasets.load_dataset("clean")               # the corpus (the default config)
    datasets.load_dataset("clean", "removed")    # the audit
    datasets.load_dataset("clean", "rejected")   # inputs that could not be read

The body gives each table's schema and the counts of the runs so far.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from dechaff.store.atomic import atomic_write_bytes
from dechaff.store.schemas import TABLES

DESCRIPTIONS = {
    "corpus": "one row per kept document: its kept paragraphs, in order, joined by a blank line",
    "removed": "one row per removed paragraph, or per removed line of a paragraph that keeps other lines",
    "rejected": "one row per input (or JSONL line / WARC record) that could not be read",
}
COLUMNS = {
    "doc_id": "the document's id (file path without extension; JSONL: its `id`, else `<file>#<line>`)",
    "source": "where it was read: path relative to the raw folder, `file.jsonl:LINE`, or the URL",
    "url": "the page's URL, when known", "title": "the page's title, when known",
    "text": "the kept text (corpus) or the removed text (removed)",
    "n_paragraphs": "paragraphs as read", "n_removed": "rows this document has in removed",
    "kept_paragraphs": "paragraph_index of each paragraph in text, in order",
    "content_sha256": "SHA-256 of the raw input (the file, JSONL line or WARC payload)",
    "encoding": "the character encoding the input was decoded with",
    "run_id": "the run that wrote the row", "ingested_at": "when that run wrote it (UTC)",
    "paragraph_index": "0-based position of the paragraph in the document as read",
    "line_index": "null: the whole paragraph; else the 0-based line within it",
    "reason": "chrome, comment, boilerplate, duplicate, duplicate-document or empty",
    "rule": "the detector that removed it", "evidence": "why the rule fired",
    "duplicate_of_doc": "duplicates: the document of the kept paragraph it matched",
    "duplicate_of_paragraph": "duplicates: that kept paragraph's paragraph_index",
    "duplicate_of_document": "duplicate-document rows: the kept document the document copies",
    "similarity": "verified Jaccard or containment of the match",
    "error": "the cause, in words",
}


def _dtype(dt: object) -> str:
    return {pl.String: "string", pl.Int32: "int32", pl.Int64: "int64", pl.Float64: "float64"}.get(
        dt, str(dt).lower())  # type: ignore[call-overload]


def render(name: str, runs: list[dict]) -> str:
    """The card's text for an output folder called ``name`` with these runs (manifest records)."""
    lines = ["---", f"pretty_name: {name}", "configs:"]
    for i, table in enumerate(TABLES):
        lines += [f"- config_name: {table}", *(["  default: true"] if i == 0 else []),
                  "  data_files:", "  - split: train", f"    path: {table}/*.parquet"]
    lines += ["---", "", f"# {name}", "",
              "A text corpus cleaned and deduplicated by dechaff: every "
              "removed paragraph or line is in `removed`, with the reason, the rule and the evidence.", "",
              "```python", "import datasets", f'corpus = datasets.load_dataset("{name}")            # or "removed", '
              '"rejected"', "import polars as pl", f'df = pl.scan_parquet("{name}/corpus/*.parquet")', "```", ""]
    for table, schema in TABLES.items():
        lines += [f"## `{table}`", "", DESCRIPTIONS[table] + ".", "", "| column | type | meaning |",
                  "|---|---|---|"]
        lines += [f"| `{c}` | {_dtype(t)} | {COLUMNS.get(c, '')} |" for c, t in schema.items()]
        lines.append("")
    lines += ["## Runs", "", "| run | finished (UTC) | documents read | kept | paragraphs read | kept | removed rows |",
              "|---|---|---|---|---|---|---|"]
    total = [0, 0, 0, 0, 0]
    runs = [r for r in runs if (r.get("summary") or {}).get("inputs_new")]  # (runs with nothing new: noise)
    shown = runs[-50:]
    for r in runs:
        s = r.get("summary") or {}
        vals = [s.get("documents_read", 0), s.get("documents_kept", 0), s.get("paragraphs_read", 0),
                s.get("paragraphs_kept", 0), sum((s.get("removed_by_reason") or {}).values())]
        total = [a + b for a, b in zip(total, vals, strict=True)]
        if r in shown:
            lines.append(f"| {r.get('run_id', '')} | {str(r.get('finished_at', ''))[:19]} | "
                         + " | ".join(f"{v:,}" for v in vals) + " |")
    lines.append(f"| **all {len(runs)} runs with new inputs** | | " + " | ".join(f"**{v:,}**" for v in total) + " |")
    if len(runs) > len(shown):
        lines.append(f"\n(the last {len(shown)} runs are listed; `_state/manifest.json` has them all)")
    warned = [(r.get("run_id", ""), w) for r in shown for w in (r.get("summary") or {}).get("warnings") or []]
    if warned:  # (what went wrong in a run and was worked around: nothing lost, but a reader may ask)
        lines += ["", "Warnings of these runs (worked around; no data lost):", ""]
        lines += [f"- {run}: {w}" for run, w in warned]
    return "\n".join(lines) + "\n"


def write(root: Path, runs: list[dict]) -> None:
    atomic_write_bytes(Path(root) / "README.md", render(Path(root).resolve().name, runs).encode("utf-8"))
