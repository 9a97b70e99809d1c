#!/usr/bin/env python3
"""Which extraction rules cost recall and which buy precision, on ../shared/data/wcxb-dev.

For every block the extractor drops, counts how many of its tokens belong to the page's true main
content (recall lost) and how many do not (chrome removed), per rule; the same for kept blocks.

    python bench/diagnose_extract.py [--limit N] [--input html|text]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
TOK = re.compile(r"\w+")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--input", choices=("html", "text"), default="html")
    ap.add_argument("--type", help="only this page type")
    a = ap.parse_args()
    data = Path(a.shared) / "data/wcxb-dev"
    sys.path.insert(0, str(Path(a.shared) / "tools"))
    from extraction_score import decode_html, html_to_fulltext

    from dechaff.chrome import ChromeParams, classify_lines
    from dechaff.html import extract_blocks

    gt = json.loads((data / "ground-truth.json").read_text())
    ids = sorted(gt)[: a.limit or None]
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # rule -> [true tokens, chrome tokens]
    for pid in ids:
        if a.type and gt[pid].get("page_type") != a.type:
            continue
        truth = Counter(t.lower() for t in TOK.findall(gt[pid].get("articleBody") or ""))
        with gzip.open(data / "html" / f"{pid}.html.gz") as f:
            html = decode_html(f.read())
        if a.input == "html":
            blocks = [(b.text, b.decision) for b in extract_blocks(html).blocks]
        else:
            lines = html_to_fulltext(html).split("\n")
            blocks = list(zip(lines, classify_lines(lines, p=ChromeParams()), strict=True))
        for text, d in blocks:
            toks = [t.lower() for t in TOK.findall(text)]
            hit = 0
            for t in toks:
                if truth[t] > 0:
                    truth[t] -= 1
                    hit += 1
            key = ("KEEP " if d.keep else "DROP ") + (d.rule or "-")
            stats[key][0] += hit
            stats[key][1] += len(toks) - hit
    print(f"{'decision / rule':40s} {'true tokens':>12s} {'chrome tokens':>14s}")
    for k, (t, c) in sorted(stats.items(), key=lambda kv: -(kv[1][0] + kv[1][1])):
        print(f"{k:40s} {t:12,d} {c:14,d}")


if __name__ == "__main__":
    main()
