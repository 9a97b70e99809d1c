#!/usr/bin/env python3
"""The dedup stage of two versions of dechaff, timed alternately in one process on the dedup-dev
paragraphs (pinned to one core): this checkout's against another checkout's (a ``git worktree``), whose
package is loaded under another name. Prints the median paragraphs/s of each and their ratio, and checks
that both decide the same.

    git worktree add /tmp/base <commit>
    python bench/ab_dedup.py --old-src /tmp/base/src [--repeat 7]
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent


def load_renamed(src: Path, name: str, tmp: Path):
    """The ``dechaff`` package under ``src``, copied and imported as ``name``."""
    dst = tmp / name
    shutil.copytree(src / "dechaff", dst)
    for f in dst.rglob("*.py"):
        text = f.read_text(encoding="utf-8")
        f.write_text(re.sub(r"\bdechaff\.", f"{name}.", re.sub(r"\bfrom dechaff import", f"from {name} import",
                                                                 text)), encoding="utf-8")
    sys.path.insert(0, str(tmp))
    return importlib.import_module(f"{name}.dedup")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old-src", required=True)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--repeat", type=int, default=7)
    a = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    sys.path.insert(0, str(ROOT / "src"))
    import dechaff.dedup as new

    with tempfile.TemporaryDirectory() as tmp:
        old = load_renamed(Path(a.old_src), "dechaff_old", Path(tmp))
        paras = pl.read_parquet(Path(a.shared) / "data/dedup-dev/corpus_paragraphs.parquet")
        rows = list(paras.select("doc_id", "para_idx", "text").iter_rows())
        runs = {"old": old, "new": new}
        for mod in runs.values():  # warm-up: imports, permutations, allocator
            mod.deduplicate([mod.Item(*r) for r in rows[:1000]], mod.DedupIndex(mod.DedupParams()))
        times: dict[str, list[float]] = {k: [] for k in runs}
        out = {}
        for _ in range(a.repeat):
            for k, mod in runs.items():
                items = [mod.Item(*r) for r in rows]
                t0 = time.perf_counter()
                res = mod.deduplicate(items, mod.DedupIndex(mod.DedupParams()))
                times[k].append(time.perf_counter() - t0)
                out[k] = [tuple(d) for d in res.decisions]
        n = len(rows)
        for k in runs:
            med = statistics.median(times[k])
            print(f"{k}: {n / med:,.0f} paragraphs/s (median of {a.repeat}: {med:.3f} s; "
                  f"runs {', '.join(f'{t:.3f}' for t in times[k])})")
        ratio = statistics.median(times["new"]) / statistics.median(times["old"])
        print(f"new / old time: {ratio:.3f} ({(ratio - 1) * 100:+.1f}%); same decisions: {out['old'] == out['new']}")


if __name__ == "__main__":
    main()
