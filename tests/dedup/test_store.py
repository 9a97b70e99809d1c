"""The persistent index's segments on disk (``dechaff.dedup.store``): the entries read back by number."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from dechaff.dedup import DedupIndex, DedupParams, Item, deduplicate
from dechaff.store.manifest import ENTRIES_BLOB, ENTRIES_TABLE, SEGMENT_SUFFIXES

P = DedupParams()
SUFFIXES = ("", "s", "ing", "er", "est", "ly", "ful", "ness", "ism", "ist", "ize", "ward", "able", "ment", "dom")
WORDS = ("Straße", "naïve", "東京", "río", "café", "zürich", "ångström", "kraków", "ελλάδα", "москва", "plain", "words")


def _paragraph(k: int) -> str:
    # (digits are folded by normalisation: the words differ by their letters)
    rng = random.Random(k)
    return " ".join(rng.choice(WORDS) + rng.choice(SUFFIXES) for _ in range(14))


def _index_in_segments(tmp_path: Path, runs: int = 3, docs_per_run: int = 5) -> DedupIndex:
    idx = DedupIndex(P)
    for r in range(runs):
        items = [Item(f"döc-{r}-{d}", i, _paragraph(100 * r + 10 * d + i))
                 for d in range(docs_per_run) for i in range(3)]
        deduplicate(items, idx)
        assert idx.write_pending(tmp_path / f"seg-{r}")
        idx = DedupIndex.load(P, idx.segments)
    return idx


def test_entries_read_by_number_equal_the_segment_tables(tmp_path):
    idx = _index_in_segments(tmp_path)
    n = idx.size
    assert n >= 30 and len(idx.segments) == 3
    ids = np.array([n - 1, 0, n // 2, 3, n // 2, n - 2, 16], dtype=np.int64)  # across segments, unordered, repeated
    mapped = idx.fetch(ids)
    for seg in idx.segments:
        assert Path(f"{seg}{ENTRIES_TABLE}").exists() and Path(f"{seg}{ENTRIES_BLOB}").exists()
    # a segment written before these files existed is scanned: the same answers
    for seg in idx.segments:
        Path(f"{seg}{ENTRIES_TABLE}").unlink()
        Path(f"{seg}{ENTRIES_BLOB}").unlink()
    scanned = DedupIndex.load(P, idx.segments).fetch(ids)
    assert mapped == scanned
    assert sorted(mapped) == sorted(set(ids.tolist()))
    doc, para, text = mapped[0]
    assert doc == "döc-0-0" and para == 0 and text == _paragraph(0)


def test_a_new_run_deduplicates_against_old_segments_the_same_with_or_without_their_entry_files(tmp_path):
    later = [Item("later", i, _paragraph(10 * d + i) + " and a few more words") for d in range(5) for i in range(3)]
    outs = []
    for drop in (False, True):
        idx = _index_in_segments(tmp_path / str(drop))
        if drop:
            for seg in idx.segments:
                Path(f"{seg}{ENTRIES_TABLE}").unlink()
            idx = DedupIndex.load(P, idx.segments)
        outs.append(deduplicate(list(later), idx).decisions)
    assert outs[0] == outs[1]
    assert sum(not d.keep for d in outs[0]) >= 10  # the copies were found through the old segments


def test_a_segment_of_no_entries_has_empty_entry_files(tmp_path):
    idx = DedupIndex(P)
    idx.add_copiers([("a", 0, "b")])  # something to write, but no entry
    assert idx.write_pending(tmp_path / "seg-0")
    idx = DedupIndex.load(P, idx.segments)
    assert idx.size == 0 and idx.fetch(np.zeros(0, np.int64)) == {}
    assert Path(f"{tmp_path / 'seg-0'}{ENTRIES_BLOB}").stat().st_size == 0


def test_the_manifest_names_every_segment_file():
    assert ENTRIES_TABLE in SEGMENT_SUFFIXES and ENTRIES_BLOB in SEGMENT_SUFFIXES
