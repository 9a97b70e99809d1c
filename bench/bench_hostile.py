#!/usr/bin/env python3
"""Hostile-input soak: N inputs (default 200), a third of them bad in every way issue 20 lists (FIFOs,
symlinks out of raw/ and to /dev/zero, gzip/zstd/Content-Encoding bombs under the default cap, broken
WARC framing, binary, empty, undecodable names, lone surrogates), mixed with good ones, through one run
with the default settings. Prints wall time, peak RSS of the run, and whether every good input reached
the corpus and every bad one rejected/.

    python bench/bench_hostile.py [--inputs 200] [--bomb-mb 1500] [--seed 1]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inputs", type=int, default=200)
    ap.add_argument("--bomb-mb", type=int, default=1500, help="what each bomb would inflate to")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    import polars as pl

    from tests.pipeline.hostile_corpus import build

    work = Path(tempfile.mkdtemp(prefix="dechaff-hostile-"))
    t0 = time.time()
    exp = build(work / "raw", n=a.inputs, seed=a.seed, bomb_mb=a.bomb_mb)
    print(f"built {a.inputs} inputs ({len(exp.bad_inputs)} bad inputs, {len(exp.bad_records)} bad records "
          f"inside good files, bombs of {a.bomb_mb} MB) in {time.time() - t0:.0f} s; work dir {work}")
    # the run's own peak RSS: VmHWM, read in the run's process (ru_maxrss survives execve on Linux, so a
    # child forked from this process, which built the bombs, would report this process's peak)
    code = ("from pathlib import Path; from dechaff.pipeline import run_local; "
            f"run_local(Path({str(work / 'raw')!r}), Path({str(work / 'clean')!r})); "
            "print([ln.split()[1] for ln in open('/proc/self/status') if ln.startswith('VmHWM')][0])")
    t0 = time.time()
    r = subprocess.run([sys.executable, "-c", code], check=True, timeout=3600, capture_output=True, text=True)
    secs = time.time() - t0
    rss = int(r.stdout.split()[-1]) / 1024
    corpus = pl.read_parquet(work / "clean" / "corpus" / "*.parquet")
    sources = set(pl.read_parquet(work / "clean" / "rejected" / "*.parquet")["source"].to_list())
    ids = set(corpus["doc_id"].to_list())
    missing = [d for d in exp.good_docs if not (d in ids or (d.endswith("#") and any(i.startswith(d) for i in ids)))]
    unrejected = (exp.bad_inputs | exp.bad_records) - sources
    print(f"run: {secs:.1f} s wall, peak RSS {rss:,.0f} MiB; {len(exp.good_docs) - len(missing)} of "
          f"{len(exp.good_docs)} good documents in the corpus, {len(exp.bad_inputs | exp.bad_records) - len(unrejected)}"
          f" of {len(exp.bad_inputs | exp.bad_records)} bad inputs/records rejected")
    if missing or unrejected:
        print("missing:", sorted(missing)[:10], "not rejected:", sorted(unrejected)[:10])


if __name__ == "__main__":
    main()
