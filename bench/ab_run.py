#!/usr/bin/env python3
"""A/B of two versions on one raw folder: ``run_local`` of each, alternately, each in a fresh process pinned
to one core, for ``--rounds`` rounds; prints every run's wall time split into the shard step (parallel with
more cores) and the rest (plan and finalize: the serial part).

    git worktree add /tmp/old <commit>
    python bench/bench_scale.py --paragraphs 100000 --keep /tmp/sc100
    python bench/ab_run.py --old-src /tmp/old/src --raw /tmp/sc100/raw [--rounds 3] [--cpu 0]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ONE = """
import shutil, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import dechaff.pipeline.runner as runner
from dechaff.config import Config
spent = 0.0
real = runner.shards_in_turn
def timed(*a, **k):
    global spent
    t = time.perf_counter(); r = real(*a, **k); spent += time.perf_counter() - t; return r
runner.shards_in_turn = timed
out = Path(tempfile.mkdtemp())
t = time.perf_counter()
s = runner.run_local(Path(sys.argv[2]), out / "o", Config())
wall = time.perf_counter() - t
print(f"wall {wall:.1f} s = shard step {spent:.1f} s + plan and finalize {wall - spent:.1f} s "
      f"({s.paragraphs_read:,} paragraphs)")
shutil.rmtree(out)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old-src", required=True, type=Path)
    ap.add_argument("--new-src", type=Path, default=ROOT / "src")
    ap.add_argument("--raw", required=True, type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cpu", type=int, default=0)
    a = ap.parse_args()
    for k in range(a.rounds):
        for name, src in (("old", a.old_src), ("new", a.new_src)):
            out = subprocess.run(["taskset", "-c", str(a.cpu), sys.executable, "-c", ONE, str(src), str(a.raw)],
                                 check=True, capture_output=True, text=True).stdout.strip()
            print(f"round {k + 1} {name}: {out}", flush=True)


if __name__ == "__main__":
    main()
