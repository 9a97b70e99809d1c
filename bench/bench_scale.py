#!/usr/bin/env python3
"""Scale: a synthetic corpus of N paragraphs (default 1,000,000) through the whole pipeline.

Generates documents of 10 paragraphs (random letter words from a 20k vocabulary, ~60 words each) as JSONL
files in a raw directory, with 15% of paragraphs copied (exact or with a few words changed) from
earlier documents, runs the pipeline once (``run_local``: the functions the flow's tasks call, without
Prefect), and prints wall time, peak RSS, and the RAM the persisted dedup index takes per paragraph.

    python bench/bench_scale.py [--paragraphs 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def generate(raw: Path, n_par: int, seed: int = 5) -> int:
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocab = np.array(["".join(letters[rng.integers(0, 26, size=int(rng.integers(2, 10)))]) for _ in range(20_000)])
    per_doc, per_file = 10, 10_000
    n_docs = n_par // per_doc
    raw.mkdir(parents=True, exist_ok=True)
    made: list[str] = []
    copies = 0
    f = None
    for d in range(n_docs):
        if d % per_file == 0:
            if f:
                f.close()
            f = open(raw / f"part-{d // per_file:04d}.jsonl", "w", encoding="utf-8")  # noqa: SIM115
        paras = []
        words = vocab[rng.integers(0, len(vocab), size=(per_doc, 60))]
        for k in range(per_doc):
            if made and rng.random() < 0.15:
                src = made[int(rng.integers(0, len(made)))].split()
                if rng.random() < 0.5:
                    for _ in range(3):
                        src[int(rng.integers(0, len(src)))] = str(vocab[int(rng.integers(0, len(vocab)))])
                paras.append(" ".join(src) + ".")
                copies += 1
            else:
                p = " ".join(words[k]) + "."
                paras.append(p)
                if len(made) < 200_000:
                    made.append(p[:-1])
        f.write(json.dumps({"id": f"d{d:07d}", "text": "\n\n".join(paras)}) + "\n")
    if f:
        f.close()
    return copies


def _rss() -> str:
    with open("/proc/self/status") as f:
        st = dict(ln.split(":", 1) for ln in f)
    return f"RSS {int(st['VmRSS'].split()[0]) >> 10:,} MiB, peak so far {int(st['VmHWM'].split()[0]) >> 10:,} MiB"


def _watch_phases() -> None:
    """Print the memory after the shard tasks, the template pass, the dedup-and-write pass and the commit."""
    import dechaff.pipeline.finalize as fin
    import dechaff.pipeline.runner as runner

    def wrap(mod, name: str, label: str, before: bool = False) -> None:
        real = getattr(mod, name)

        def f(*args, **kw):
            if before:
                print(f"  {label}: {_rss()}", flush=True)
            out = real(*args, **kw)
            if not before:
                print(f"  {label}: {_rss()}", flush=True)
            return out
        setattr(mod, name, f)

    wrap(runner, "shards_in_turn", "after the shard tasks")
    wrap(fin, "find_templates", "after the template pass")
    wrap(fin, "write_tables", "after the dedup and write passes", before=True)
    wrap(fin, "commit", "after the state files, before the commit", before=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--paragraphs", type=int, default=1_000_000)
    ap.add_argument("--keep", help="work directory to keep")
    ap.add_argument("--phases", action="store_true", help="print RSS and peak RSS after each phase of the run")
    a = ap.parse_args()
    work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="dechaff-scale-"))
    t0 = time.perf_counter()
    copies = generate(work / "raw", a.paragraphs)
    gen = time.perf_counter() - t0

    from dechaff.config import Config
    from dechaff.dedup import DedupIndex
    from dechaff.pipeline import run_local
    from dechaff.store import OutputDir

    if a.phases:
        _watch_phases()
    t0 = time.perf_counter()
    s = run_local(work / "raw", work / "clean", Config())
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    m = OutputDir(work / "clean").read_manifest()
    idx = DedupIndex.load(Config().dedup, [work / "clean" / x for x in m.index_segments])
    print(f"generated {a.paragraphs:,} paragraphs ({copies:,} planted copies) in {gen:.0f} s")
    print(f"pipeline: {wall:.0f} s wall = {s.paragraphs_read / wall:,.0f} paragraphs/s; peak RSS {peak:,.0f} MiB")
    print(f"removed by reason: {s.removed_by_reason}")
    print(f"dedup index: {idx.size:,} kept paragraphs, {idx.nbytes() / max(idx.size, 1):.0f} bytes each in RAM")
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
