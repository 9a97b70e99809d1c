"""Where the finalize step's dedup time goes, chunk by chunk: a whole ``run_local`` of a raw folder, or
the finalize step alone over a corpus ``bench/ab_finalize.py --stage`` staged, with timers around the
dedup stage's functions; one line a chunk (index size, chunk seconds, candidate pairs and plausible
ones per distinct text, seconds per function), and their sums over the run at the end. Functions nest
(``find_candidates`` holds the band lookups, the fetch of old texts, their tokens and signatures, the
agreement and the intersections).

    python bench/dedup_phases.py RAW [--out DIR]
    python bench/dedup_phases.py --staged WORK     # WORK: python bench/ab_finalize.py --stage --raw RAW --work WORK

(RAW: e.g. the raw/ of ``bench_scale.py --keep DIR``. At 10M paragraphs, ``--staged`` skips the ~6
minutes of the shard step.)
"""

from __future__ import annotations

import argparse
import collections
import pickle
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("raw", type=Path, nargs="?")
    ap.add_argument("--out", type=Path, help="output folder (default: a temporary one, removed)")
    ap.add_argument("--staged", type=Path, help="finalize the corpus staged in this work folder instead")
    a = ap.parse_args()
    if (a.raw is None) == (a.staged is None):
        ap.error("give RAW or --staged WORK")

    import dechaff.dedup.align as align  # noqa: F401 - (loaded before batch binds its names)
    import dechaff.dedup.batch as batch
    import dechaff.dedup.candidates as cand
    import dechaff.dedup.lsh as lsh
    import dechaff.dedup.resolve as resolve
    import dechaff.dedup.store as store
    from dechaff.config import Config
    from dechaff.pipeline import run_local

    acc: collections.Counter = collections.Counter()

    def timed(owner: object, name: str, label: str) -> None:
        real = getattr(owner, name, None)
        if real is None:  # (a version without that step)
            return

        def f(*args, **kw):
            t = time.perf_counter()
            try:
                return real(*args, **kw)
            finally:
                acc[label] += time.perf_counter() - t
        setattr(owner, name, f)

    for owner, name, label in [
        (batch, "tokenize", "chunk tokens"),
        (lsh.BandIndex, "candidates", "band lookups"), (cand, "within_batch_candidates", "pairs in chunk"),
        (cand, "_old_side", "old side (all)"), (store.DedupIndex, "fetch", "old texts"), (cand, "tokenize", "old tokens"),
        (cand, "entry_shingles", "old tokens"), (store.DedupIndex, "shingles", "stored shingles"),
        (cand, "signatures", "signatures"), (cand, "_agreement", "agreement"),
        (cand, "pair_intersections", "intersections"), (resolve.Resolver, "run", "resolution"),
        (store.DedupIndex, "copiers", "copiers"), (batch, "align_copies", "alignment"),
        (store.DedupIndex, "add_pending", "index add"),
    ]:
        timed(owner, name, label)
    pairs: collections.Counter = collections.Counter()  # (the chunk's distinct texts, their pairs, plausible)
    timed_candidates = batch.find_candidates

    def counted(sub, *args, **kw):  # (a generator: it never yields here, the tables are in this process)
        t = time.perf_counter()
        c = yield from timed_candidates(sub, *args, **kw)
        acc["candidates (all)"] += time.perf_counter() - t
        pairs.update(reps=len(sub), pairs=c.checked, plausible=len(c.cq))
        return c
    batch.find_candidates = counted
    real_chunk = batch.DedupSession._decide  # (one chunk, decided at once with the tables here)
    run_total: collections.Counter = collections.Counter()

    def chunk(self, end):
        acc.clear()
        pairs.clear()
        t = time.perf_counter()
        out = real_chunk(self, end)
        total = time.perf_counter() - t
        run_total.update(acc)
        run_total["chunks"] += total
        reps = max(pairs["reps"], 1)
        print(f"index {self.index.size:>10,}  chunk {total:5.2f} s  pairs/text {pairs['pairs'] / reps:5.1f}  "
              f"plausible/text {pairs['plausible'] / reps:4.1f}  " +
              "  ".join(f"{k} {v:.2f}" for k, v in acc.most_common()), flush=True)
        return out
    batch.DedupSession._decide = chunk
    if a.staged is not None:  # (the folder the staged plan names, fresh from its copy: see ab_finalize.py)
        from dechaff.pipeline.finalize import finalize_run

        shutil.rmtree(a.staged / "pristine", ignore_errors=True)
        shutil.copytree(a.staged / "pristine.orig", a.staged / "pristine")
        plan, paths, recovered = pickle.loads((a.staged / "staged.pkl").read_bytes())
        finalize_run(plan, paths, Config(), recovered=recovered)
    else:
        out = a.out or Path(tempfile.mkdtemp(prefix="dechaff-phases-")) / "clean"
        try:
            run_local(a.raw, out, Config())
        finally:
            if a.out is None:
                shutil.rmtree(out.parent, ignore_errors=True)
    print("all chunks: " + "  ".join(f"{k} {v:.1f}" for k, v in run_total.most_common()))


if __name__ == "__main__":
    main()
