"""Cross-document boilerplate: repeats within one site, counted across runs."""

from __future__ import annotations

import random

import polars as pl

from dechaff.config import Config
from dechaff.pipeline import run_local

BIO = ("Jane Roe covers city hall for the Town Times. Before that she reported on schools and courts "
       "for a decade, and she still answers every letter from readers.")
FOOTER = "Town Times, 12 Market Street. All content copyright 2024."


WORDS = ["harbour", "council", "budget", "school", "library", "road", "bridge", "market", "festival", "river",
         "storm", "election", "court", "hospital", "museum", "train", "airport", "farm", "factory", "theatre",
         "park", "stadium", "college", "police"]


def _doc(i: int, extra: list[str]) -> str:
    rng = random.Random(i)
    body = [" ".join(rng.sample(WORDS, 4)).capitalize(),
            " ".join(rng.choice(WORDS) for _ in range(40)).capitalize() + "."]
    return "\n\n".join(body + extra) + "\n"


def test_site_repeats_are_boilerplate_everywhere_and_counts_persist(tmp_path):
    raw = tmp_path / "raw"
    (raw / "towntimes").mkdir(parents=True)
    (raw / "other").mkdir()
    for i in range(6):
        (raw / "towntimes" / f"s{i}.txt").write_text(_doc(i, [BIO, FOOTER]))
    for i in range(2):  # another site quotes the bio twice: a duplicate there, not boilerplate
        (raw / "other" / f"o{i}.txt").write_text(_doc(100 + i, [BIO]))
    run_local(raw, tmp_path / "out", Config(boilerplate_min_docs=5))
    rm = pl.read_parquet(tmp_path / "out" / "removed" / "*.parquet")
    corpus = pl.read_parquet(tmp_path / "out" / "corpus" / "*.parquet")
    bp = rm.filter(pl.col("reason") == "boilerplate")
    assert sorted(bp.filter(pl.col("text") == BIO)["doc_id"].to_list()) == [f"towntimes/s{i}" for i in range(6)]
    assert bp.filter(pl.col("text") == FOOTER).height == 6
    assert "recurs in 6 documents of site towntimes" in bp["evidence"][0]
    other = rm.filter(pl.col("doc_id").str.starts_with("other/"))
    assert other["reason"].to_list() == ["duplicate"]  # the second copy only; the first is kept
    assert BIO in corpus.filter(pl.col("doc_id") == "other/o0")["text"][0]
    # a later run on the same site: one new page with the footer is enough, the counts persisted
    (raw / "towntimes" / "s9.txt").write_text(_doc(9, [FOOTER]))
    run_local(raw, tmp_path / "out", Config(boilerplate_min_docs=5))
    rm = pl.read_parquet(tmp_path / "out" / "removed" / "*.parquet")
    assert rm.filter((pl.col("doc_id") == "towntimes/s9") & (pl.col("text") == FOOTER))["reason"].to_list() \
        == ["boilerplate"]


def test_below_the_threshold_nothing_is_boilerplate(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for i in range(4):
        (raw / f"s{i}.txt").write_text(_doc(i, [FOOTER]))
    s = run_local(raw, tmp_path / "out", Config(boilerplate_min_docs=5))
    assert "boilerplate" not in s.removed_by_reason
