#!/usr/bin/env python3
"""Near-duplicate detection on ../shared/data/dedup-dev, measured through the whole pipeline.

1. quality: the dev corpus as one JSONL in a raw directory, ``dechaff run`` (the real CLI, Prefect and
   all, or ``--local`` for the same pipeline without Prefect), then ``removed/`` mapped to the dev set's
   paragraph ids (``<doc_id>-p<paragraph_index:03d>``) and scored with ../shared/tools/dedup_score.py at
   paragraph and document level;
2. speed: the same paragraphs through dechaff's dedup (normalise, shingle, sign, index, query, verify,
   resolve) and through a plain datasketch baseline (``MinHash`` per paragraph + ``MinHashLSH`` insert and
   query, word 5-grams, no verification), side by side in one process on one core.

    python bench/bench_dedup.py [--shared ../shared] [--local] [--skip-quality] [--skip-speed]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent


def build_raw(shared: Path, raw: Path) -> int:
    docs = pl.read_parquet(shared / "data/dedup-dev/corpus_docs.parquet")
    raw.mkdir(parents=True, exist_ok=True)
    with open(raw / "dedup-dev.jsonl", "w", encoding="utf-8") as f:
        for doc_id, text in docs.select("doc_id", "text").iter_rows():
            f.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")
    return docs.height


def run_pipeline(raw: Path, out: Path, local: bool) -> float:
    t0 = time.perf_counter()
    if local:
        sys.path.insert(0, str(ROOT / "src"))
        from dechaff.config import Config
        from dechaff.pipeline import run_local

        run_local(raw, out, Config.load())  # ./dechaff.toml, as `dechaff run` reads it
    else:
        env = dict(os.environ, PREFECT_HOME=str(out.parent / "prefect-home"))
        subprocess.run(["dechaff", "run", "--raw", str(raw), "--out", str(out)], check=True, env=env)
    return time.perf_counter() - t0


def predictions(out: Path, work: Path) -> tuple[Path, Path]:
    rm = pl.read_parquet(out / "removed" / "*.parquet")
    pid = lambda d, p: f"{d}-p{p:03d}"  # noqa: E731
    rows = []
    dup = rm.filter(pl.col("duplicate_of_paragraph").is_not_null())
    for d, p, td, tp in dup.select("doc_id", "paragraph_index", "duplicate_of_doc",
                                   "duplicate_of_paragraph").iter_rows():
        rows.append({"id": pid(d, p), "dup_of": pid(td, tp)})
    # boilerplate: every copy is removed; cluster copies by their normalised text
    bp = rm.filter((pl.col("reason") == "boilerplate") & pl.col("line_index").is_null())
    first: dict[str, str] = {}
    for d, p, t in bp.select("doc_id", "paragraph_index", "text").iter_rows():
        key = re.sub(r"\W+", " ", t.lower()).strip()
        rows.append({"id": pid(d, p), "dup_of": first.setdefault(key, pid(d, p))})
    para = work / "pred_paragraphs.parquet"
    pl.DataFrame(rows, schema={"id": pl.String, "dup_of": pl.String}).write_parquet(para)
    # the document a duplicate-document copies
    docs = (rm.filter(pl.col("reason") == "duplicate-document").group_by("doc_id")
            .agg(pl.col("duplicate_of_document").first().alias("dup_of"))
            .rename({"doc_id": "id"}))
    doc = work / "pred_docs.parquet"
    docs.write_parquet(doc)
    return para, doc


def score(shared: Path, pred: Path, level: str) -> str:
    r = subprocess.run([sys.executable, str(shared / "tools/dedup_score.py"), "--truth-dir",
                        str(shared / "data/dedup-dev"), "--level", level, str(pred)],
                       capture_output=True, text=True, check=True)
    return r.stdout


def speed(shared: Path, limit: int | None, repeat: int) -> None:
    # one core means one core: pin the process (numpy, polars and BLAS threads included) to one CPU
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    sys.path.insert(0, str(ROOT / "src"))
    from datasketch import MinHash, MinHashLSH

    from dechaff.dedup import DedupIndex, DedupParams, Item, deduplicate

    paras = pl.read_parquet(shared / "data/dedup-dev/corpus_paragraphs.parquet")
    if limit:
        paras = paras.head(limit)
    texts = paras["text"].to_list()
    ids = paras["para_id"].to_list()
    n = len(texts)

    def baseline(ids: list[str], texts: list[str]) -> int:
        """datasketch as its README shows it."""
        lsh = MinHashLSH(threshold=0.5, num_perm=128)
        found = 0
        for pid, t in zip(ids, texts, strict=True):
            w = t.lower().split()
            sh = {" ".join(w[i:i + 5]).encode() for i in range(max(1, len(w) - 4))}
            m = MinHash(num_perm=128)
            m.update_batch(list(sh))
            found += bool(lsh.query(m))
            lsh.insert(pid, m)
        return found

    # the whole dedup stage, paragraphs grouped in their documents as the pipeline hands them over
    items = [Item(d, i, t) for d, i, t in paras.select("doc_id", "para_idx", "text").iter_rows()]
    # warm-up on 1,000 paragraphs: imports, datasketch's permutations, allocator (one-time costs)
    baseline(ids[:1000], texts[:1000])
    deduplicate(items[:1000], DedupIndex(DedupParams()))
    base_t, ours_t = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        found = baseline(ids, texts)
        base_t.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        out = deduplicate(items, DedupIndex(DedupParams()))
        ours_t.append(time.perf_counter() - t0)
    base, ours = sorted(base_t)[len(base_t) // 2], sorted(ours_t)[len(ours_t) // 2]
    dups = sum(not d.keep for d in out.decisions)
    print(f"speed on {n:,} dev paragraphs, one core (median of {repeat}; first timed run in brackets):")
    print(f"  datasketch baseline (MinHash + MinHashLSH, word 5-grams, no verification): "
          f"{base:.2f} s = {n / base:,.0f} paragraphs/s [{n / base_t[0]:,.0f}] ({found:,} with a candidate)")
    print(f"  dechaff dedup (normalise, shingle, sign, index, query, verify, resolve):    "
          f"{ours:.2f} s = {n / ours:,.0f} paragraphs/s [{n / ours_t[0]:,.0f}] "
          f"({dups:,} duplicates, {out.pairs_checked:,} pairs verified)")
    print(f"  speed-up: {base / ours:.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--local", action="store_true", help="run the pipeline without Prefect")
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--limit", type=int, help="speed: only the first N paragraphs")
    ap.add_argument("--repeat", type=int, default=3, help="speed: timed runs of each (median reported)")
    ap.add_argument("--keep", help="keep the work directory here")
    a = ap.parse_args()
    shared = Path(a.shared)
    if not (shared / "data/dedup-dev").is_dir():
        sys.exit(f"no dev set at {shared}/data/dedup-dev")
    if not a.skip_quality:
        work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="dechaff-bench-"))
        n = build_raw(shared, work / "raw")
        secs = run_pipeline(work / "raw", work / "clean", a.local)
        para, doc = predictions(work / "clean", work)
        print(f"pipeline: {n:,} documents in {secs:.1f} s ({'run_local' if a.local else 'dechaff run'}), "
              f"work dir {work}")
        print(score(shared, para, "paragraph"))
        print(score(shared, doc, "doc"))
    if not a.skip_speed:
        speed(shared, a.limit, a.repeat)


if __name__ == "__main__":
    main()
