#!/usr/bin/env python3
"""Chrome stripping on ../shared/data/wcxb-dev and ../shared/data/trafilatura-eval, scored with
../shared/tools/extraction_score.py.

Prints: token F1 / leak rates / pages per second for ``dechaff:clean_html`` (HTML in) and
``dechaff:clean_text`` (--input text), F1 per page type; the snippet precision / recall / F1 of
``clean_html`` on the multilingual article pages of trafilatura-eval (when present, with the
targets of issue #21: F1 >= 0.94 with P >= 0.93); and where the time of HTML extraction goes:
lxml's tree building, BeautifulSoup's tree building (over lxml) for comparison, and dechaff's extraction.

    python bench/bench_extract.py [--shared ../shared] [--limit N]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def score(shared: Path, extra: list[str], limit: int, data: str = "wcxb-dev") -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
        cmd = [sys.executable, str(shared / "tools/extraction_score.py"), "--data", str(shared / "data" / data),
               "--bootstrap", "0", "--json", tmp.name, *extra]
        if limit:
            cmd += ["--limit", str(limit)]
        line = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
        print(line)
        return json.loads(Path(tmp.name).read_text())


def timing(shared: Path, n: int) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(shared / "tools"))
    import lxml.html
    from bs4 import BeautifulSoup
    from extraction_score import decode_html

    from dechaff.html import extract_blocks

    pages = []
    for p in sorted((shared / "data/wcxb-dev/html").glob("*.html.gz"))[:n]:
        with gzip.open(p) as f:
            pages.append(decode_html(f.read()))
    t0 = time.perf_counter()
    for h in pages:
        with contextlib.suppress(Exception):  # unparsable pages cost what they cost
            lxml.html.document_fromstring(h)
    t_lxml = time.perf_counter() - t0
    t0 = time.perf_counter()
    for h in pages:
        BeautifulSoup(h, "lxml")
    t_bs4 = time.perf_counter() - t0
    t0 = time.perf_counter()
    for h in pages:
        extract_blocks(h)
    t_ours = time.perf_counter() - t0
    print(f"time per page over {len(pages)} pages: lxml tree {1000 * t_lxml / len(pages):.1f} ms, "
          f"BeautifulSoup(html, 'lxml') tree {1000 * t_bs4 / len(pages):.1f} ms, "
          f"dechaff extract_blocks (lxml tree + extraction) {1000 * t_ours / len(pages):.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--timing-pages", type=int, default=300)
    a = ap.parse_args()
    shared = Path(a.shared)
    if not (shared / "data/wcxb-dev").is_dir():
        sys.exit(f"no dev set at {shared}/data/wcxb-dev")
    for extra in (["--callable", "dechaff:clean_html"], ["--input", "text", "--callable", "dechaff:clean_text"]):
        r = score(shared, extra, a.limit)
        by = r.get("token_f1_by_page_type", {})
        print("  token F1 by page type: " + ", ".join(f"{k} {v[1]:.3f} (n={v[0]})" for k, v in by.items()))
        print(f"  empty outputs: {r.get('empty_outputs')}, errors: {r.get('errors')}")
    if (shared / "data/trafilatura-eval").is_dir():
        r = score(shared, ["--callable", "dechaff:clean_html"], a.limit, "trafilatura-eval")
        sn = r.get("snippet", {})
        print(f"  trafilatura-eval snippet P {sn.get('precision', float('nan')):.3f} R {sn.get('recall', float('nan')):.3f} "
              f"F1 {sn.get('f1', float('nan')):.3f} (targets: F1 >= 0.94, P >= 0.93; trafilatura 2.3.1: 0.928 / 0.909)")
    timing(shared, a.timing_pages)


if __name__ == "__main__":
    main()
