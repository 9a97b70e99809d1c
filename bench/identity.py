#!/usr/bin/env python3
"""Behaviour identity between two versions of dechaff: snapshot what one version decides, compare.

A snapshot holds, for every page of ../shared/data/wcxb-dev, every block and every inline cut of
``extract_blocks`` (text, keep, reason, rule, evidence) and the ``clean_text`` output of the page's text
rendering; and the corpus and removed tables of three whole runs without Prefect (the wcxb pages as HTML
files, the same pages as text files, dedup-dev as one JSONL), sorted, with the columns that name the run
(run_id, ingested_at) left out.

    python bench/identity.py snapshot DIR [--src SRC]   # SRC: the src/ of another checkout (git worktree)
    python bench/identity.py snapshot DIR --max-shard-files 50   # the runs cut into many shards
    python bench/identity.py compare DIR_A DIR_B        # prints every difference (first 20 per part)

Used for the #16 redesign: snapshot before (a worktree of the old commit), snapshot after, compare.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("blocks", "clean_text", "run-html", "run-text", "run-dedup")


def _extract_api():
    try:  # the package layout after #16
        from dechaff.html import extract_blocks
    except ImportError:
        from dechaff.extract import extract_blocks
    from dechaff import clean_text
    return extract_blocks, clean_text


def _pages(shared: Path, limit: int) -> list[tuple[str, str]]:
    sys.path.insert(0, str(shared / "tools"))
    from extraction_score import decode_html

    out = []
    for p in sorted((shared / "data/wcxb-dev/html").glob("*.html.gz"))[: limit or None]:
        with gzip.open(p) as f:
            out.append((p.name.removesuffix(".html.gz"), decode_html(f.read())))
    return out


def _write(path: Path, rows) -> int:
    n = 0
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")
            n += 1
    return n


def _tables(out: Path) -> list[dict]:
    import polars as pl

    rows: list[dict] = []
    for table in ("corpus", "removed"):
        files = sorted((out / table).glob("*.parquet"))
        if not files:
            continue
        df = pl.concat([pl.read_parquet(f) for f in files], how="diagonal_relaxed")
        df = df.drop([c for c in ("run_id", "ingested_at") if c in df.columns])
        df = df.sort(df.columns, nulls_last=True)
        rows.extend({"table": table, **r} for r in df.iter_rows(named=True))
    return rows


SHARD_FILES: int | None = None  # --max-shard-files: many shards, to check that shard boundaries change nothing


def _run(raw: Path, out: Path) -> list[dict]:
    from dechaff.config import Config
    try:
        from dechaff.pipeline import run_local
    except ImportError:
        from dechaff.pipeline import run_local
    run_local(raw, out, Config(max_shard_files=SHARD_FILES) if SHARD_FILES else Config())
    return _tables(out)


def snapshot(dest: Path, shared: Path, limit: int) -> None:
    import polars as pl
    dest.mkdir(parents=True, exist_ok=True)
    pages = _pages(shared, limit)
    from extraction_score import html_to_fulltext

    extract_blocks, clean_text = _extract_api()

    def blocks():
        for name, html in pages:
            page = extract_blocks(html)
            yield {"page": name, "title": page.title,
                   "blocks": [[t, d.keep, d.reason, d.rule, d.evidence] for t, d in page.all_blocks()]}

    print("blocks:", _write(dest / "blocks.jsonl.gz", blocks()))
    texts = [(name, html_to_fulltext(html)) for name, html in pages]
    print("clean_text:", _write(dest / "clean_text.jsonl.gz",
                                ({"page": n, "out": clean_text(t)} for n, t in texts)))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for kind, docs in (("html", [(n, h) for n, h in pages]), ("text", texts)):
            raw = work / f"raw-{kind}"
            raw.mkdir()
            for n, body in docs:
                (raw / f"{n}.{'html' if kind == 'html' else 'txt'}").write_text(body, encoding="utf-8")
            print(f"run-{kind}:", _write(dest / f"run-{kind}.jsonl.gz", _run(raw, work / f"out-{kind}")))
        raw = work / "raw-dedup"
        raw.mkdir()
        docs = pl.read_parquet(shared / "data/dedup-dev/corpus_docs.parquet")
        with open(raw / "dedup-dev.jsonl", "w", encoding="utf-8") as f:
            for doc_id, text in docs.select("doc_id", "text").iter_rows():
                f.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")
        print("run-dedup:", _write(dest / "run-dedup.jsonl.gz", _run(raw, work / "out-dedup")))


def compare(a: Path, b: Path) -> int:
    bad = 0
    for part in PARTS:
        with gzip.open(a / f"{part}.jsonl.gz", "rt", encoding="utf-8") as fa, \
                gzip.open(b / f"{part}.jsonl.gz", "rt", encoding="utf-8") as fb:
            la, lb = fa.read().split("\n"), fb.read().split("\n")
        diffs = [(i, x, y) for i, (x, y) in enumerate(zip(la, lb, strict=False)) if x != y]
        extra = abs(len(la) - len(lb))
        print(f"{part}: {len(la):,} vs {len(lb):,} rows, {len(diffs):,} differ" + (f", {extra} unmatched" if extra else ""))
        for i, x, y in diffs[:20]:
            print(f"  row {i}:\n    A {x[:600]}\n    B {y[:600]}")
        bad += len(diffs) + extra
    print("IDENTICAL" if not bad else f"{bad} differences")
    return 1 if bad else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("snapshot")
    s.add_argument("dest")
    s.add_argument("--src", default=str(ROOT / "src"))
    s.add_argument("--shared", default=str(ROOT.parent / "shared"))
    s.add_argument("--limit", type=int, default=0)
    s.add_argument("--max-shard-files", type=int, default=0, help="cut the runs into shards of this many files")
    s.add_argument("--spill", type=int, default=0, help="write the index entries of a run as segments of this many")
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    args = ap.parse_args()
    if args.cmd == "snapshot":
        sys.path.insert(0, args.src)
        import dechaff
        global SHARD_FILES
        SHARD_FILES = args.max_shard_files or None
        if args.spill:
            import dechaff.pipeline.finalize as fin
            fin.SPILL_ENTRIES = args.spill
        print("dechaff from", Path(dechaff.__file__).parent, f"(shards of {SHARD_FILES} files)" if SHARD_FILES else "")
        snapshot(Path(args.dest), Path(args.shared), args.limit)
    else:
        sys.exit(compare(Path(args.a), Path(args.b)))


if __name__ == "__main__":
    main()
