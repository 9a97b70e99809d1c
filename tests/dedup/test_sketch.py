from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

import dechaff.dedup.candidates as candidates
from dechaff.dedup import DedupIndex, DedupParams, Item, deduplicate, pair_intersections, shingle_many
from dechaff.dedup.sketch import UNKNOWN_SIZE, WORDS, intersection_bound, sketch
from tests.dedup.test_dedup import LONGEST, para

P = DedupParams()


def _pairs(n: int, rng: random.Random) -> tuple[np.ndarray, np.ndarray]:
    qa = np.array([rng.randrange(n) for _ in range(3000)], dtype=np.int64)
    qb = np.array([rng.randrange(n) for _ in range(3000)], dtype=np.int64)
    return qa, qb


def test_the_bound_is_never_below_the_true_intersection_and_rules_out_unrelated_short_sets():
    """Over pairs of every kind (unrelated, copies, trimmed and edited copies, short and long, sets
    whose buckets saturate), the bound is at least the exact intersection; between unrelated short
    paragraphs it is far below their size (what lets a pair be ruled out), and where both sets fill
    the same bucket past what 2 bits count it falls back to the smaller size."""
    rng = random.Random(3)
    texts = []
    for k in range(300):
        base = para(k, rng.choice([6, 12, 30, 60, 400]))
        texts.append(base)
        words = base.split()
        texts.append(" ".join(words[: max(len(words) * 2 // 3, 5)]))  # trimmed
        texts.append(base.replace("alpha", "omega") + " and a tail")  # edited
    sh = shingle_many(texts, P)
    sk, sizes = sketch(sh)
    assert sk.shape == (len(texts), WORDS) and sizes.tolist() == np.diff(sh.offsets).tolist()
    qa, qb = _pairs(len(texts), rng)
    qa = np.concatenate((qa, np.arange(0, len(texts), 3)))  # and every paragraph against its trimmed copy
    qb = np.concatenate((qb, np.arange(1, len(texts), 3)))
    inter = pair_intersections(sh, qa, sh, qb)
    bound = intersection_bound(sk[qa], sizes[qa], sk[qb], sizes[qb])
    assert (bound >= inter).all() and (bound <= np.minimum(sizes[qa], sizes[qb])).all()
    assert (bound == inter).any() and (bound > inter).any()
    short = (sizes[qa] <= 30) & (sizes[qb] <= 30) & (inter == 0)
    assert short.sum() > 100 and np.median(bound[short] / np.minimum(sizes[qa], sizes[qb])[short]) < 0.5
    big = (sizes[qa] > 300) & (sizes[qb] > 300) & (qa != qb)
    assert big.any() and (bound[big] == np.minimum(sizes[qa], sizes[qb])[big]).all()  # (saturated buckets)


def _corpus() -> list[Item]:
    """Paragraphs of words of their own around a phrase of eight words shared with many others (so
    that band keys collide on pairs that are nowhere near a threshold), some of them copied later
    whole, trimmed or edited."""
    rng = random.Random(5)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6)) for _ in range(400)]
    phrases = [" ".join(rng.choice(words) for _ in range(8)) for _ in range(10)]

    def own(n: int) -> str:
        return " ".join(rng.choice(words) for _ in range(n))

    made: list[str] = []
    items = []
    for d in range(60):
        for i in range(5):
            if made and rng.random() < 0.15:
                t = rng.choice(made)
                r = rng.random()
                t = t if r < 0.4 else t[: len(t) * 3 // 4] if r < 0.7 else t.replace(t.split()[2], "zulu") + " more"
            else:
                t = f"{own(rng.randint(6, 14))} {rng.choice(phrases)} {own(rng.randint(6, 14))}"
            made.append(t)
            items.append(Item(f"d{d:02d}", i, t))
    return items


@pytest.mark.parametrize("params", [P, LONGEST], ids=["earliest", "longest"])
def test_pairs_ruled_out_by_the_sketches_change_no_decision(params, monkeypatch):
    """Deduplicated with the sketches and with them bounding nothing (every pair verified on its
    shingle sets), the decisions, the entries and the pairs checked are the same; with them, fewer
    index entries are read and shingled, and fewer pairs intersected."""
    items = _corpus()
    counted: dict[str, int] = {"texts": 0, "pairs": 0}
    real_tok, real_inter = candidates.tokenize, candidates.pair_intersections

    def tok(texts):
        counted["texts"] += len(texts)
        return real_tok(texts)

    def inter(sa, qa, sb, qb, *a):
        counted["pairs"] += len(qa)
        return real_inter(sa, qa, sb, qb, *a)

    monkeypatch.setattr(candidates, "tokenize", tok)
    monkeypatch.setattr(candidates, "pair_intersections", inter)
    with_sketches = deduplicate(items, DedupIndex(params), chunk=10)
    used = dict(counted)
    counted.update(texts=0, pairs=0)
    monkeypatch.setattr(candidates, "intersection_bound", lambda sa, la, sb, lb: np.minimum(la, lb).astype(np.int64))
    without = deduplicate(items, DedupIndex(params), chunk=10)
    assert with_sketches.decisions == without.decisions and with_sketches.new_entries == without.new_entries
    assert with_sketches.pairs_checked == without.pairs_checked and sum(not d.keep for d in without.decisions) > 20
    assert used["pairs"] < 0.7 * counted["pairs"], (used, counted)


def test_sketches_are_stored_with_the_segment_and_an_older_segment_is_never_ruled_out(tmp_path: Path):
    """The sketches travel with the index segment; a segment written before them (no sketch file) loads
    with sizes unknown, its entries never ruled out, and later runs decide the same either way; a
    segment whose band keys are derived again (other signature settings) gets its sketches derived
    and written too."""
    items = _corpus()
    first, later = items[:150], items[150:]
    index = DedupIndex(P)
    deduplicate(first, index, chunk=30)
    stored_sk, stored_size = (a.copy() for a in index.sketches(np.arange(index.size)))
    assert (stored_size != UNKNOWN_SIZE).all() and stored_sk.any()
    assert index.write_pending(tmp_path / "seg-1")
    sk_file = tmp_path / "seg-1.sketch.npy"
    assert sk_file.exists()
    loaded = DedupIndex.load(P, [tmp_path / "seg-1"])
    got_sk, got_size = loaded.sketches(np.arange(loaded.size))
    assert np.array_equal(got_sk, stored_sk) and np.array_equal(got_size, stored_size)
    one = deduplicate(later, loaded, chunk=30)

    saved = sk_file.read_bytes()
    sk_file.unlink()  # as written by dechaff before the sketches
    older = DedupIndex.load(P, [tmp_path / "seg-1"])
    assert (older.sketches(np.arange(older.size))[1] == UNKNOWN_SIZE).all()
    two = deduplicate(later, older, chunk=30)
    assert two.decisions == one.decisions and sum(not d.keep for d in one.decisions) > 10

    derived = DedupIndex.load(P, [tmp_path / "seg-1"], recompute=True)  # (settings changed: derived again)
    d_sk, d_size = derived.sketches(np.arange(derived.size))
    assert np.array_equal(d_sk, stored_sk) and np.array_equal(d_size, stored_size)
    assert sk_file in derived.write_rederived() and sk_file.read_bytes() == saved
