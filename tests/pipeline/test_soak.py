"""Hostile-input soak: 200 inputs, a third of them bad in every way issue 20 lists, mixed with good ones.
Every good input reaches the corpus, every bad one has its rejected/ row, and the run ends (it runs in a
child process with a time-out as a guard against a hang; its speed and memory are bench_hostile.py's)."""

from __future__ import annotations

import subprocess
import sys

import polars as pl

from tests.pipeline.hostile_corpus import build


def test_two_hundred_hostile_and_good_inputs(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "clean"
    exp = build(raw, n=200, seed=3, bomb_mb=20)
    code = ("from pathlib import Path; from dechaff.config import Config; from dechaff.pipeline import run_local; "
            f"s = run_local(Path({str(raw)!r}), Path({str(out)!r}), Config(max_decompressed_mb=16)); "
            "print(s.documents_read)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=600, capture_output=True)
    corpus = pl.read_parquet(out / "corpus" / "*.parquet")
    rejected = pl.read_parquet(out / "rejected" / "*.parquet")
    ids = set(corpus["doc_id"].to_list())
    missing = {d for d in exp.good_docs if not (d in ids or (d.endswith("#") and any(i.startswith(d) for i in ids)))}
    assert not missing
    sources = set(rejected["source"].to_list())
    assert exp.bad_inputs <= sources, exp.bad_inputs - sources
    assert exp.bad_records <= sources, exp.bad_records - sources
    assert "SECRET" not in "".join(corpus["text"].to_list())
    assert not any("WARC-" in t for t in corpus["text"].to_list())
    assert len(exp.bad_inputs) > 40 and len(exp.good_docs) > 150  # (the mix is what it says)
