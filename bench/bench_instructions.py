#!/usr/bin/env python3
"""Instructions per page of ``dechaff.clean_html`` (and ``clean_text``) on WCXB dev pages, counted by
valgrind's cachegrind: a figure that does not move with the machine's load, for comparing two versions
of the code where wall-clock pages/s on a shared VM vary by a third from one run to the next.

    python bench/bench_instructions.py [--shared ../shared] [--pages 100] [--src DIR]

Counts a run that cleans N pages (every 12th dev page, after a warm-up on 5 others) minus the same run
that loads them and cleans none, so the interpreter's start, the imports, reading and decoding the
pages and the one-time pattern compilation are left out. ``--src`` points
at another checkout's ``src`` (e.g. a ``git worktree`` of an older commit) to measure that code.
Needs ``valgrind`` (``apt-get install -y valgrind``); about 2 minutes per mode for 100 pages.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import gzip, sys
sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2] + "/tools")
from extraction_score import decode_html, html_to_fulltext
import dechaff
paths = sorted((__import__("pathlib").Path(sys.argv[2]) / "data/wcxb-dev/html").glob("*.html.gz"))
mode, n, run = sys.argv[3], int(sys.argv[4]), sys.argv[5] == "1"
def load(p):
    h = decode_html(gzip.open(p).read())
    return h if mode == "html" else html_to_fulltext(h)
warm = [load(p) for p in paths[1::50][:5]]
pages = [load(p) for p in paths[::12][:n]]
fn = dechaff.clean_html if mode == "html" else dechaff.clean_text
for x in warm:
    fn(x)
if run:
    for x in pages:
        fn(x)
"""


def count_instructions(args: list[str]) -> int:
    """Instructions of ``python args...`` under valgrind's cachegrind."""
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", sys.executable, *args]
    # a fixed hash seed: set and dict orders (and so the instruction count) otherwise move by ~1.5%; polars
    # on one thread: its pool's idle threads spin for longer when the machine is busy, and count
    env = dict(os.environ, PYTHONHASHSEED="0", POLARS_MAX_THREADS="1")
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    m = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode or not m:
        raise RuntimeError(f"the run failed under valgrind, or gave no count:\n{done.stderr[-3000:]}")
    return int(m.group(1).replace(",", ""))


def need_valgrind() -> None:
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install -y valgrind)")


def instructions(src: Path, shared: Path, mode: str, n: int, run: bool, child: Path) -> int:
    return count_instructions([str(child), str(src), str(shared), mode, str(n), "1" if run else "0"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--pages", type=int, default=100)
    ap.add_argument("--src", type=Path, default=ROOT / "src")
    ap.add_argument("--modes", default="html,text")
    args = ap.parse_args()
    need_valgrind()
    if not (args.shared / "data/wcxb-dev/html").is_dir():
        sys.exit(f"no WCXB dev pages under {args.shared}/data/wcxb-dev")
    with tempfile.TemporaryDirectory() as tmp:
        child = Path(tmp) / "child.py"
        child.write_text(CHILD)
        for mode in args.modes.split(","):
            base = instructions(args.src, args.shared, mode, args.pages, False, child)
            total = instructions(args.src, args.shared, mode, args.pages, True, child)
            print(f"clean_{mode}: {(total - base) / args.pages / 1e6:.1f} M instructions per page "
                  f"({args.pages} dev pages, {args.src})")


if __name__ == "__main__":
    main()
