#!/usr/bin/env python3
"""What a scheduled run costs when little is new: one new input written into a raw folder that an
output already holds (e.g. the corpus of ``bench_scale.py --keep DIR``), then ``run_local`` of it,
in a fresh process pinned to one core; prints the wall time, the index load within it and the peak
RSS. ``--old-src`` alternates with another version (a ``git worktree``); each run adds its own new
file, so every run has the same work. When the two versions keep their state in different formats,
``--old-out`` gives the old one a copy of its own (``cp -al`` of the raw folder and the output will do:
dechaff replaces files, it does not write into them).

    python bench/bench_scale.py --paragraphs 10000000 --keep /tmp/g10
    python bench/bench_incremental.py --raw /tmp/g10/raw --out /tmp/g10/clean [--old-src /tmp/old/src] [--rounds 2]
        [--old-raw /tmp/g10o/raw --old-out /tmp/g10o/clean]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ONE = """
import resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import dechaff.pipeline.finalize as fin
from dechaff.config import Config
from dechaff.pipeline import run_local
spent = 0.0
real = fin.load_index
def timed(*a, **k):
    global spent
    t = time.perf_counter(); r = real(*a, **k); spent += time.perf_counter() - t; return r
fin.load_index = timed
raw, out, name = Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
(raw / name).write_text(f"A new page, {name}\\n\\nIts one paragraph is its own: {name}, long enough to be kept "
                        "and to be an entry of the index.\\n")
t = time.perf_counter()
s = run_local(raw, out, Config())
print(f"{time.perf_counter() - t:.1f} {spent:.1f} {s.documents_read} "
      f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}")
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--raw", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True, help="the output that already holds --raw")
    ap.add_argument("--old-src", type=Path, help="another version's src/, run alternately")
    ap.add_argument("--old-raw", type=Path, help="the old version's raw folder (default --raw)")
    ap.add_argument("--old-out", type=Path, help="the old version's output (default --out)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--cpu", type=int, default=0)
    a = ap.parse_args()
    versions = [("this", ROOT / "src", a.raw, a.out)]
    if a.old_src:
        versions.append(("old", a.old_src, a.old_raw or a.raw, a.old_out or a.out))
    for _label, _src, raw, out in versions:
        if not (out / "_state" / "manifest.json").exists():
            sys.exit(f"{out}: no committed output (run dechaff on {raw} first)")
    for r in range(a.rounds):
        for label, src, raw, out in versions:
            name = f"bench-new-{time.time_ns()}.txt"
            res = subprocess.run(["taskset", "-c", str(a.cpu), sys.executable, "-c", ONE, str(src), str(raw),
                                  str(out), name], capture_output=True, text=True)
            if res.returncode:
                sys.exit(f"{label}: the run failed:\n{res.stderr[-2000:]}")
            wall, load, read, peak = res.stdout.split()[-4:]
            print(f"round {r + 1} {label:>4}: {wall} s wall, index load {load} s, {read} document(s) read, "
                  f"peak RSS {int(peak):,} MiB", flush=True)


if __name__ == "__main__":
    main()
