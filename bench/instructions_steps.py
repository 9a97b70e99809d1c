#!/usr/bin/env python3
"""Instructions of a run's two steps (the shard step, the finalize step) on generated bench paragraphs,
counted by valgrind's cachegrind: a figure that does not move with the machine's load, for comparing two
versions of the code where a step's wall time on this shared VM moves by a tenth from one run to the next.

    python bench/instructions_steps.py [--paragraphs 20000] [--finalize-paragraphs 100000] [--src DIR]

The shard step: ``process_shard`` of a one-shard plan of ``--paragraphs`` paragraphs (the Markov text of
``bench_scale.py``, its planted copies included). The finalize step: ``finalize_run`` (one thread: no
band threads) of ``--finalize-paragraphs`` paragraphs staged by this checkout's shard step, on a fresh copy
of the staged output each time. Each count is a run that does the step minus the same run that imports
the same modules, plans (and, for the finalize step, loads the staged plan) and does not. ``--src`` points
at another checkout's ``src`` (e.g. a ``git worktree`` of an older commit); its finalize step must read
this checkout's staging format. Needs valgrind and ``../shared`` (the dev sets the text is drawn from);
about a minute per step and version.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from ab_finalize import stage
from bench_instructions import count_instructions, need_valgrind

ROOT = Path(__file__).resolve().parent.parent

SHARD = r"""
import sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from dechaff.config import Config
from dechaff.pipeline.plan import plan_run
from dechaff.pipeline.shard import process_shard
plan, _recovered = plan_run(Path(sys.argv[2]), Path(tempfile.mkdtemp()) / "out", Config())
if len(plan.shards) != 1:
    sys.exit(f"{len(plan.shards)} shards: expected one")
if sys.argv[3] == "1":
    process_shard(plan, 0, Config())
"""

FINALIZE = r"""
import pickle, shutil, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from dechaff.config import Config
from dechaff.pipeline.finalize import finalize_run
work = Path(sys.argv[2])
shutil.rmtree(work / "pristine", ignore_errors=True)  # (the folder the plan names: a fresh copy each run)
shutil.copytree(work / "pristine.orig", work / "pristine")
plan, paths, recovered = pickle.loads((work / "staged.pkl").read_bytes())
if sys.argv[3] == "1":
    finalize_run(plan, paths, Config(band_threads=0), started=time.time(), recovered=recovered)
"""


def instructions(child: Path, src: Path, where: Path, run: bool) -> int:
    return count_instructions([str(child), str(src), str(where), "1" if run else "0"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--paragraphs", type=int, default=20_000, help="paragraphs of the shard step's run")
    ap.add_argument("--finalize-paragraphs", type=int, default=100_000, help="paragraphs of the finalize step's")
    ap.add_argument("--src", type=Path, default=ROOT / "src")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--steps", default="shard,finalize")
    args = ap.parse_args()
    need_valgrind()
    if not (args.shared / "data/wcxb-dev").is_dir():
        sys.exit(f"no dev sets under {args.shared}: the bench text is drawn from them")
    from bench_scale import generate  # (it puts this checkout's src first on the path)

    steps = args.steps.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        if "shard" in steps:
            raw = tmp_path / "shard-raw"
            generate(raw, args.paragraphs, "markov", args.shared)
            child = tmp_path / "shard.py"
            child.write_text(SHARD)
            n = instructions(child, args.src, raw, True) - instructions(child, args.src, raw, False)
            print(f"shard step: {n / 1e6:,.0f} M instructions for {args.paragraphs:,} paragraphs "
                  f"({n / args.paragraphs / 1e3:,.0f} k a paragraph; {args.src})", flush=True)
        if "finalize" in steps:
            raw, work = tmp_path / "finalize-raw", tmp_path / "finalize"
            generate(raw, args.finalize_paragraphs, "markov", args.shared)
            stage(raw, work)  # (as ab_finalize.py --stage does)
            shutil.copytree(work / "pristine", work / "pristine.orig")
            child = tmp_path / "finalize.py"
            child.write_text(FINALIZE)
            n = instructions(child, args.src, work, True) - instructions(child, args.src, work, False)
            print(f"finalize step: {n / 1e6:,.0f} M instructions for {args.finalize_paragraphs:,} paragraphs "
                  f"({n / args.finalize_paragraphs / 1e3:,.0f} k a paragraph; {args.src})", flush=True)


if __name__ == "__main__":
    main()
