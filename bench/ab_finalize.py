#!/usr/bin/env python3
"""A/B of the finalize step alone (boilerplate, dedup, write, commit) of two versions over one staged
corpus: the plan and the shard step run once (``--stage``, with this checkout's code), then each
version finalizes a fresh copy of that staged output, alternately, each in a fresh process pinned to
one core (``--cpu 0,1``: two; ``--band-threads 0 2``: each version with and without the finalize
step's band-table threads, which "auto" leaves off on one core). Prints every run's wall time, peak RSS, removals by reason, the cyclic collector's time by
generation (``gc.callbacks``) and a digest of the corpus and removed tables (equal digests: the same
rows, whatever the run's id and time), so that a change to the serial part is measured without the shard
step's noise (at 10M paragraphs the shard step is 290 s of a 690 s run).

    python bench/bench_scale.py --paragraphs 1000000 --keep /tmp/sc1m
    python bench/ab_finalize.py --stage --raw /tmp/sc1m/raw --work /tmp/fin1m
    git worktree add /tmp/old <commit>
    python bench/ab_finalize.py --work /tmp/fin1m --old-src /tmp/old/src [--rounds 2] [--cpu 1]
    python bench/ab_finalize.py --work /tmp/fin1m --cpu 0,1 --band-threads 0 2

Both versions must read the staging format of this checkout's shard step. The work folder is the
bench's own (the staged plan is pickled there).
"""

from __future__ import annotations

import argparse
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FINALIZE = """
import collections, gc, pickle, resource, sys, time
sys.path.insert(0, sys.argv[1])
from dechaff.config import Config
from dechaff.pipeline.finalize import finalize_run
plan, paths, recovered = pickle.loads(open(sys.argv[2], "rb").read())
spent, runs, started = collections.Counter(), collections.Counter(), [0.0]
def on_gc(phase, info):
    if phase == "start":
        started[0] = time.perf_counter()
    else:
        spent[info["generation"]] += time.perf_counter() - started[0]
        runs[info["generation"]] += 1
gc.callbacks.append(on_gc)
t = time.perf_counter()
threads = {} if sys.argv[3] == "-" else {"band_threads": int(sys.argv[3])}  # (versions before 615b514: "-")
s = finalize_run(plan, paths, Config(**threads), started=time.time(), recovered=recovered)
wall = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
gcs = ", ".join(f"gen{g} {spent[g]:.1f} s in {runs[g]:,}" for g in sorted(spent)) or "none"
removed = ", ".join(f"{k} {v:,}" for k, v in sorted(s.removed_by_reason.items()))
import polars as pl
digest = []
for table in ("corpus", "removed"):  # (rows sorted, the columns that name the run left out)
    df = pl.read_parquet(f"{plan.out_dir}/{table}/**/*.parquet").drop("run_id", "ingested_at", strict=False)
    digest.append(f"{table} {df.height:,} rows #{df.sort(df.columns).hash_rows(seed=1).sum() % 10**8:08d}")
waited = f"; waited on the band shards {s.steps['waiting on the band shards']:.1f} s" if len(s.steps) > 1 else ""
print(f"finalize {wall:.1f} s{waited}, peak RSS {peak:,} MiB, kept {s.paragraphs_kept:,}; removed: {removed}; "
      f"collections: {gcs}; {', '.join(digest)}")
"""


def stage(raw: Path, work: Path) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from dechaff.config import Config
    from dechaff.pipeline.plan import plan_run
    from dechaff.pipeline.shard import process_shard

    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    config = Config()
    t = time.perf_counter()
    plan, recovered = plan_run(raw, work / "pristine", config)
    paths = [process_shard(plan, i, config).path for i in range(len(plan.shards))]
    (work / "staged.pkl").write_bytes(pickle.dumps((plan, paths, recovered)))
    print(f"staged {len(paths)} shard(s) of {raw} in {time.perf_counter() - t:.0f} s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", required=True, type=Path)
    ap.add_argument("--stage", action="store_true", help="plan and run the shard step of --raw into --work")
    ap.add_argument("--raw", type=Path)
    ap.add_argument("--old-src", type=Path)
    ap.add_argument("--new-src", type=Path, default=ROOT / "src")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--cpu", default="0", help="the cores each run is pinned to (taskset -c: 0, or 0,1 for two)")
    ap.add_argument("--band-threads", type=int, nargs="+", metavar="N",
                    help="run each version with each of these band_threads settings (default: its own "
                         "default; \"auto\" is 0 on one core)")
    a = ap.parse_args()
    if a.stage:
        if a.raw is None:
            sys.exit("--stage needs --raw")
        stage(a.raw, a.work)
    if not (a.work / "staged.pkl").exists():
        sys.exit(f"{a.work}: nothing staged (run with --stage --raw RAW first)")
    srcs = [("new", a.new_src)] + ([("old", a.old_src)] if a.old_src else [])
    versions = [(f"{name}/t{n}" if a.band_threads else name, src, "-" if n is None else str(n))
                for name, src in srcs for n in (a.band_threads or [None])]
    out = a.work / "pristine"  # (the plan names this folder: each run finalizes a fresh copy of it)
    keep = a.work / "pristine.orig"
    if not keep.exists():
        shutil.copytree(out, keep)
    for k in range(a.rounds):
        for name, src, threads in versions[::-1] if k % 2 else versions:  # (ABBA: neither always goes first)
            shutil.rmtree(out)
            shutil.copytree(keep, out)
            res = subprocess.run(["taskset", "-c", a.cpu, sys.executable, "-c", FINALIZE, str(src),
                                  str(a.work / "staged.pkl"), threads], capture_output=True, text=True)
            if res.returncode:
                sys.exit(f"{name}: the finalize failed:\n{res.stderr[-2000:]}")
            print(f"round {k + 1} {name:>6}: {res.stdout.strip()}", flush=True)


if __name__ == "__main__":
    main()
