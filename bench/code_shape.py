#!/usr/bin/env python3
"""The shape of the package: file count, largest and median file (lines), average cyclomatic complexity
and the most complex functions (radon's measure; ``pip install radon``).

    python bench/code_shape.py [--src src/dechaff] [--top 5]
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", default=str(ROOT / "src/dechaff"))
    ap.add_argument("--top", type=int, default=5)
    a = ap.parse_args()
    src = Path(a.src)
    files = sorted(src.rglob("*.py"))
    lines = {f: len(f.read_text(encoding="utf-8").splitlines()) for f in files}
    big = max(lines, key=lines.__getitem__)
    print(f"{len(files)} files, {sum(lines.values()):,} lines; largest {big.relative_to(src)} ({lines[big]:,}); "
          f"median {statistics.median(lines.values()):.0f} lines")
    try:
        from radon.complexity import cc_visit
    except ImportError:
        print("(radon not installed: no complexity figures)")
        return
    blocks = []
    for f in files:
        for b in cc_visit(f.read_text(encoding="utf-8")):
            blocks.append((b.complexity, f"{f.relative_to(src)}:{b.fullname}"))
    # functions, methods and classes, as `radon cc -a` averages them
    funcs = [c for c, _ in blocks]
    print(f"{len(funcs)} blocks, average cyclomatic complexity {statistics.mean(funcs):.2f}")
    for c, name in sorted(blocks, reverse=True)[: a.top]:
        print(f"  {c:3d}  {name}")


if __name__ == "__main__":
    main()
