from __future__ import annotations

import random

import numpy as np
import pytest
from datasketch import MinHash

from dechaff.dedup import (
    BandIndex,
    DedupIndex,
    DedupParams,
    Item,
    band_keys,
    deduplicate,
    normalize,
    pair_intersections,
    shingle_hash32,
    shingle_many,
    shingles_of,
    signatures,
    tokenize,
    within_batch_candidates,
)
from dechaff.dedup.batch import DedupSession
from dechaff.dedup.minhash import permutations
from dechaff.model import Decision

P = DedupParams()
LONGEST = DedupParams(keep="longest")
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey", "xray", "yankee", "zulu", "river", "mountain", "valley", "forest", "ocean", "desert", "island", "harbor", "bridge", "tower", "castle", "garden", "market", "school"]


def para(seed: int, n: int = 60) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def test_normalisation():
    assert normalize("Hello, WORLD!  It's 2024…") == "hello world it s 0000"
    assert normalize("ﬁne Straße") == "fine strasse"
    assert normalize("中文文本") == "中 文 文 本"


def test_shingles_are_exact_sets_and_short_paragraphs_use_words():
    sh = shingle_many(["a b c d e f g h i", "a b c", "", "!!! ... ???"], P)
    assert list(sh.n_words) == [9, 3, 0, 0]
    assert len(sh.set(0)) == 7  # 9 words -> 7 distinct 3-grams
    assert len(sh.set(1)) == 3  # short: single words
    assert len(sh.set(2)) == 0 and len(sh.set(3)) == 0
    assert all(np.all(np.diff(sh.set(i).astype(np.float64)) > 0) for i in range(2))


def test_signatures_equal_datasketch_minhash():
    texts = [para(i) for i in range(5)]
    sh = shingle_many(texts, P)
    sig = signatures(sh, P)
    for i in range(len(texts)):
        m = MinHash(num_perm=P.num_perm, seed=P.seed, scheme=P.scheme, hashfunc=lambda v: int(v))
        m.update_batch(shingle_hash32(sh.set(i)).tolist())
        assert np.array_equal(m.hashvalues.astype(np.uint32), sig[i])


@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (64, 7), (256, 12345)])
def test_permutations_are_datasketchs(num_perm, seed):
    a, b = permutations(DedupParams(num_perm=num_perm, seed=seed))
    da, db = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    assert a.dtype == b.dtype == np.uint32
    assert np.array_equal(a, da) and np.array_equal(b, db)


def test_tokens_of_a_batch_equal_tokens_of_each_paragraph_alone():
    texts = ["Plain ASCII words, with punctuation!", "ünïcödé Straße ﬁne", "中文文本 mixed 日本語です",
             "a line\nbreak inside", "", "...", "supercalifragilisticexpialidocious-and-longer-token 42",
             "x" * 40, "tail"]
    whole = tokenize(texts)
    assert whole.n_words.tolist() == [len(normalize(t).split()) for t in texts]
    off = np.concatenate(([0], np.cumsum(whole.n_words)))
    for i, t in enumerate(texts):
        alone = tokenize([t])
        assert np.array_equal(alone.hashes, whole.hashes[off[i]: off[i + 1]]), t
        assert (whole.pid[off[i]: off[i + 1]] == i).all()


def test_shingles_do_not_depend_on_blocks_or_on_the_rows_asked_for():
    texts = [para(i, n) for i, n in enumerate([60, 3, 0, 12, 7, 1, 40, 9, 2, 30])]
    tok = tokenize(texts)
    whole = shingles_of(tok, np.arange(len(texts)), P)
    tiny_blocks = shingles_of(tok, np.arange(len(texts)), P, block=5)
    assert np.array_equal(whole.hashes, tiny_blocks.hashes) and np.array_equal(whole.offsets, tiny_blocks.offsets)
    rows = np.array([1, 3, 4, 8, 9])
    some = shingles_of(tok, rows, P, block=8)
    for k, r in enumerate(rows):
        assert np.array_equal(some.set(k), whole.set(r))
    assert some.n_words.tolist() == whole.n_words[rows].tolist()


def test_pair_intersections_equal_set_intersections():
    rng = random.Random(7)
    texts = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 50))) for _ in range(60)]
    sh = shingle_many(texts, P)
    qa = np.array([rng.randrange(60) for _ in range(300)])
    qb = np.array([rng.randrange(60) for _ in range(300)])
    qb[:20] = qa[:20]  # a set against itself
    want = [len(set(sh.set(a).tolist()) & set(sh.set(b).tolist())) for a, b in zip(qa, qb, strict=True)]
    assert pair_intersections(sh, qa, sh, qb).tolist() == want
    assert pair_intersections(sh, qa, sh, qb, budget=50).tolist() == want  # in many blocks
    assert [int(x) for x in pair_intersections(sh, qa[:20], sh, qb[:20])] == [len(sh.set(a)) for a in qa[:20]]
    assert len(pair_intersections(sh, qa[:0], sh, qb[:0])) == 0


def test_batching_does_not_change_signatures():
    texts = [para(i) for i in range(40)]
    whole = signatures(shingle_many(texts, P), P)
    parts = np.vstack([signatures(shingle_many(texts[i:i + 7], P), P) for i in range(0, 40, 7)])
    assert np.array_equal(whole, parts)
    assert np.array_equal(whole, signatures(shingle_many(texts, P), P, block=50))  # in cache-sized blocks


def _run(texts_by_doc: list[tuple[str, list[str]]], index: DedupIndex | None = None):
    items = [Item(d, i, t) for d, ts in texts_by_doc for i, t in enumerate(ts)]
    return items, deduplicate(items, index or DedupIndex(P))


def test_exact_edited_and_trimmed_copies_are_found_and_point_at_the_earliest():
    base = para(1, 80)
    words = base.split()
    edited = " ".join(w if k % 15 else w.upper() + "s" for k, w in enumerate(words))  # ~7% words changed
    trimmed = " ".join(words[20:60])
    u = [para(90 + k, 80) for k in range(4)]
    items, out = _run([("a", [base]), ("b", [base, u[0], u[1]]), ("c", [edited, u[2], trimmed, u[3]])])
    d = out.decisions
    assert d[0].keep and d[2].keep and d[3].keep and d[5].keep and d[7].keep
    for k, rule in ((1, "dedup.exact"), (4, "dedup.resemblance"), (6, "dedup.containment")):
        assert not d[k].keep, k
        assert d[k].rule == rule
        assert (d[k].duplicate_of_doc, d[k].duplicate_of_paragraph) == ("a", 0)
    assert out.new_entries == [0, 2, 3, 5, 7]


OTHER = ("A different paragraph written for the copy alone, about weather in the hills, trains running late "
         "and a festival that opens next week with music and food from many places.")


def test_a_document_mostly_copied_from_one_earlier_document_is_a_duplicate_document():
    a = [para(k, 50) for k in range(5)]
    b = [*a[:4], OTHER]  # four of five paragraphs copied, one new
    items, out = _run([("a", a), ("b", b)])
    d = out.decisions[5:]
    assert all(x.reason == "duplicate-document" and x.duplicate_of_doc == "a" for x in d[:4])
    assert [x.duplicate_of_paragraph for x in d[:4]] == [0, 1, 2, 3]
    # the new paragraph is a copy of nothing: it stays (and is a target for later copies)
    assert d[4].keep
    assert out.new_entries == [0, 1, 2, 3, 4, 9]


def test_lines_of_a_duplicate_document_point_at_their_counterpart_in_the_copied_document():
    body = [para(k, 50) for k in range(4)]
    a = ["Saturday 20 November", *body, "12 Guillermo Canas (Argentina)", "Home team wins"]
    # the copy: same short lines (one trimmed), one paragraph heavily edited, one new paragraph
    words = body[3].split()
    edited = " ".join(w if k % 3 else "zz" + w for k, w in enumerate(words))  # a third of the words changed
    b = ["Saturday 20 November", *body[:3], edited, "12 Guillermo Canas", OTHER]
    for run_in_two in (False, True):
        index = DedupIndex(P)
        if run_in_two:  # the copied document was deduplicated in an earlier run
            _run([("a", a)], index)
            items, out = _run([("b", b)], index)
            d = out.decisions
        else:
            items, out = _run([("a", a), ("b", b)], index)
            d = out.decisions[len(a):]
        assert all(x.reason == "duplicate-document" and x.duplicate_of_doc == "a" for x in d[:-1])
        assert [x.duplicate_of_paragraph for x in d[:-1]] == [0, 1, 2, 3, 4, 5], run_in_two
        assert d[-1].keep  # the new paragraph has no counterpart: not a copy
        assert "matches a paragraph 0" in d[0].evidence and d[0].similarity == 1.0


def test_short_and_degenerate_paragraphs_are_never_duplicates():
    junk = ["", "Yes.", "...", "12345 67890", "!!! ??? ...", "a", "The end."]
    items, out = _run([("a", junk), ("b", junk)])
    assert all(d.keep for d in out.decisions)


def test_non_latin_scripts_work_and_do_not_collide():
    zh1 = "北京是中华人民共和国的首都，也是全国的政治文化中心和国际交往中心，历史悠久。"
    zh2 = "上海位于长江入海口，是中国最大的经济中心城市和国际金融中心，港口繁忙。"
    th = "ประเทศไทยเป็นประเทศในเอเชียตะวันออกเฉียงใต้มีเมืองหลวงคือกรุงเทพมหานครและมีประชากรมาก"
    items, out = _run([("a", [zh1, th]), ("b", [zh2]), ("c", [zh1]), ("d", [th])])
    d = out.decisions
    assert d[2].keep  # a different Chinese paragraph is not a duplicate
    assert not d[3].keep and (d[3].duplicate_of_doc, d[3].duplicate_of_paragraph) == ("a", 0)
    assert not d[4].keep and (d[4].duplicate_of_doc, d[4].duplicate_of_paragraph) == ("a", 1)


def test_huge_paragraph_does_not_crash_or_swallow_others():
    huge = " ".join(WORDS[i % len(WORDS)] + str(i % 97) for i in range(100_000))
    items, out = _run([("a", [huge]), ("b", [para(5), para(6)])])
    assert all(d.keep for d in out.decisions)


def test_chains_do_not_grow_clusters():
    # p0 -> p1 -> p2 ... each shares ~60% with its neighbour; only direct matches to a KEPT paragraph count
    words = para(7, 400).split()
    chain = [" ".join(words[k * 40: k * 40 + 100]) for k in range(6)]
    items, out = _run([(f"d{k}", [t]) for k, t in enumerate(chain)])
    for k, d in enumerate(out.decisions):
        if not d.keep:
            target = int(d.duplicate_of_doc[1:])
            assert out.decisions[target].keep, "a duplicate must point at a kept paragraph"
            assert abs(target - k) == 1 or d.similarity >= P.jaccard


def test_common_buckets_are_capped():
    same = para(3)
    docs = [(f"d{k:03d}", [same]) for k in range(300)]
    items, out = _run(docs)
    assert out.decisions[0].keep
    assert all(not d.keep and d.duplicate_of_doc == "d000" for d in out.decisions[1:])
    assert out.pairs_checked <= 300 * P.bucket_cap


def test_index_persists_and_incremental_equals_single_run(tmp_path):
    docs = [(f"d{k}", [para(k % 7), para(100 + k)]) for k in range(20)]
    _, one = _run(docs)
    idx = DedupIndex(P)
    decisions = []
    for start in range(0, 20, 6):
        items = [Item(d, i, t) for d, ts in docs[start:start + 6] for i, t in enumerate(ts)]
        out = deduplicate(items, idx, chunk=4)  # chunks inside a run too
        decisions.extend(out.decisions)
        assert idx.write_pending(tmp_path / f"seg-{start}")
        idx = DedupIndex.load(P, idx.segments)
    assert decisions == one.decisions
    assert idx.nbytes() / idx.size <= 400


def test_segment_records_read_back_as_the_parquet_holds_them(tmp_path):
    """Entries of a stored segment are read record by record (the ones asked for only), the same as
    the segment's Parquet holds them; a segment without records (older) is read from its Parquet."""
    import shutil
    from pathlib import Path

    from dechaff.store.atomic import RECORDS_SUFFIX

    texts = [para(k) for k in range(30)] + ["Ünïcödé, 中文文本 and an emoji 🙂 in one paragraph of words."]
    docs = [("d\u00e9j\u00e0 vu", [texts[0]]), ("", [texts[1]]),
            *[(f"doc/{k}", [texts[k]]) for k in range(2, len(texts))]]
    idx = DedupIndex(P)
    deduplicate([Item(d, i, t) for d, ts in docs for i, t in enumerate(ts)], idx)
    assert idx.write_pending(tmp_path / "seg-a")
    deduplicate([Item("late", 3, para(500))], idx)
    assert idx.write_pending(tmp_path / "seg-b")
    idx = DedupIndex.load(P, idx.segments)
    want = np.array([idx.size - 1, 0, 1, 17, 30, 17], dtype=np.int64)  # (both segments, repeated, unordered)
    got = idx.fetch(want)
    expected = {0: ("d\u00e9j\u00e0 vu", 0, texts[0]), 1: ("", 0, texts[1]), 17: ("doc/17", 0, texts[17]),
                30: ("doc/30", 0, texts[30]), idx.size - 1: ("late", 3, para(500))}
    assert got == expected
    for base in idx.segments:  # the same from the Parquet alone
        for f in Path(base).parent.glob(f"{Path(base).name}{RECORDS_SUFFIX}.*"):
            shutil.move(f, tmp_path / f"moved-{f.name}")
    assert DedupIndex.load(P, idx.segments).fetch(want) == expected


def _edited_copies(n_docs: int, seed: int) -> list[tuple[str, list[str]]]:
    """Documents that copy (whole, trimmed, edited or with other numbers) a few of the same paragraphs."""
    rng = random.Random(seed)
    base = [para(700 + k, rng.choice([6, 9, 30, 60])) for k in range(10)]
    docs = []
    for d in range(n_docs):
        ts = []
        for _ in range(3):
            t = rng.choice(base)
            r = rng.random()
            ts.append(t if r < 0.3 else t[: len(t) * 3 // 4] if r < 0.55 else
                      t.replace("alpha", "zulu") + " more" if r < 0.8 else f"In {1990 + d} " + t)
        docs.append((f"d{d:02d}", [*ts, para(1900 + d, 40)]))
    return docs


@pytest.mark.parametrize("params", [P, LONGEST], ids=["earliest", "longest"])
def test_entries_verified_on_stored_shingles_decide_as_texts_shingled_again(params, tmp_path, monkeypatch):
    """Earlier runs' entries are verified on the shingle sets stored with their segment, and their texts
    are read only for the pairs that may hold: decided exactly as one run over everything, and as
    segments stored without shingles (an older version's), whose entries are read and shingled again.
    With keep = "longest" the replacements of earlier runs' entries must agree too."""
    import dechaff.dedup.store as store
    from dechaff.store.atomic import SHINGLES_SUFFIX

    docs = _edited_copies(40, 5)
    one = deduplicate([Item(d, i, t) for d, ts in docs for i, t in enumerate(ts)], DedupIndex(params), chunk=12)
    fetched: list[int] = []
    real_fetch = store.DedupIndex.fetch
    monkeypatch.setattr(store.DedupIndex, "fetch",
                        lambda self, ids: (fetched.append(int(np.sum(np.asarray(ids) < self.committed))),
                                           real_fetch(self, ids))[1])

    def by_runs(stored: bool) -> list:  # (decisions, and the replaced entries of earlier runs)
        idx, decisions = DedupIndex(params), []
        for k, start in enumerate(range(0, len(docs), 8)):
            items = [Item(d, i, t) for d, ts in docs[start:start + 8] for i, t in enumerate(ts)]
            out = deduplicate(items, idx, chunk=12)
            decisions.extend([*out.decisions, *out.replaced])
            assert idx.write_pending(tmp_path / f"{stored}-seg-{k}")
            for f in tmp_path.glob(f"{stored}-seg-{k}{SHINGLES_SUFFIX}.*"):
                if not stored:
                    f.unlink()
            idx = DedupIndex.load(params, idx.segments)
            assert idx.seg_shingled == [stored] * (k + 1)
        return decisions

    with_shingles = by_runs(True)
    read_with = sum(fetched)
    fetched.clear()
    without = by_runs(False)
    assert with_shingles == without
    if params.keep != "longest":  # (across runs, a longer copy replaces an earlier run's entry: not a decision)
        assert with_shingles == one.decisions
    else:
        assert any(isinstance(d, tuple) for d in with_shingles)
    assert sum(isinstance(d, Decision) and not d.keep for d in with_shingles) > 20
    assert 0 < read_with < sum(fetched), (read_with, sum(fetched))


def test_stored_shingles_read_back_as_the_texts_give_them(tmp_path):
    """What :meth:`DedupIndex.shingles` gives for stored and pending entries equals the shingle sets,
    word fingerprints and number hashes of their texts; entries of a segment stored without shingles
    are not found (their texts are shingled again); a damaged shingle file names itself."""
    from dechaff.dedup.store import entry_shingles, read_shingles
    from dechaff.store import StateError
    from dechaff.store.atomic import SHINGLES_SUFFIX

    texts = [para(k, 5 + k % 40) for k in range(30)] + ["Ünïcödé, 中文文本 with 12 numbers and 3 more."]
    idx = DedupIndex(P)
    deduplicate([Item(f"doc/{k}", 0, t) for k, t in enumerate(texts[:20])], idx)
    assert idx.write_pending(tmp_path / "seg-a")
    deduplicate([Item(f"doc/{k}", 0, t) for k, t in enumerate(texts[20:25], 20)], idx)
    assert idx.write_pending(tmp_path / "seg-b")
    idx = DedupIndex.load(P, idx.segments)
    deduplicate([Item(f"doc/{k}", 0, t) for k, t in enumerate(texts[25:], 25)], idx)  # pending
    ids = np.array([0, 3, 19, 20, 24, 25, idx.size - 1], dtype=np.int64)
    found, got = idx.shingles(ids)
    metas = idx.fetch(ids)
    want = entry_shingles([metas[e][2] for e in ids.tolist()], P)
    assert found.all() and len(got) == len(ids)
    assert np.array_equal(got.sh.offsets, want.sh.offsets) and np.array_equal(got.sh.hashes, want.sh.hashes)
    assert np.array_equal(got.sh.n_words, want.sh.n_words)
    assert np.array_equal(got.wfp, want.wfp) and np.array_equal(got.dh, want.dh) and want.dh[-1] != 0
    for f in tmp_path.glob(f"seg-b{SHINGLES_SUFFIX}.*"):
        f.unlink()
    found, got = DedupIndex.load(P, idx.segments).shingles(ids)
    assert found.tolist() == [True, True, True, False, False, False, False] and len(got) == 3
    hashes = tmp_path / f"seg-a{SHINGLES_SUFFIX}.npy"
    hashes.write_bytes(hashes.read_bytes()[:200])
    with pytest.raises(StateError) as e:
        read_shingles(tmp_path / "seg-a", np.array([0, 19]))
    assert hashes.name in str(e.value) and "damaged" in str(e.value)


def test_shingles_stored_under_other_settings_are_not_used_and_are_written_again(tmp_path):
    """Under other signature settings a segment's stored shingles are not used (its entries are
    shingled again from their texts), and the rederived files replace them, as the texts give them."""
    from dataclasses import replace

    from dechaff.dedup.store import entry_shingles, read_shingles

    texts = [para(k, 12 + k) for k in range(12)]
    idx = DedupIndex(P)
    deduplicate([Item(f"doc/{k}", 0, t) for k, t in enumerate(texts)], idx)
    assert idx.write_pending(tmp_path / "seg")
    other = replace(P, ngram=4)
    idx = DedupIndex.load(other, idx.segments, recompute=True)
    assert idx.seg_shingled == [False] and not idx.shingles(np.arange(idx.size))[0].any()
    written = idx.write_rederived()
    assert {f.name for f in written} >= {"seg.sh.npy", "seg.sh.rows.npy"}
    got = read_shingles(tmp_path / "seg", np.arange(len(texts)))
    want = entry_shingles(texts, other)
    assert np.array_equal(got.sh.hashes, want.sh.hashes) and np.array_equal(got.sh.offsets, want.sh.offsets)
    assert not np.array_equal(want.sh.hashes, entry_shingles(texts, P).sh.hashes)
    assert DedupIndex.load(other, idx.segments).seg_shingled == [True]


def test_segment_records_cut_short_or_emptied_are_reported_damaged_naming_the_file(tmp_path):
    """Records are read from a mapping of the file: a file cut short, or emptied (which cannot be
    mapped), gives the damaged-file error with its name, not a crash or wrong text."""
    from dechaff.dedup.store import read_records
    from dechaff.store import StateError
    from dechaff.store.atomic import RECORDS_SUFFIX

    idx = DedupIndex(P)
    deduplicate([Item(f"doc/{k}", 0, para(k)) for k in range(5)], idx)
    base = tmp_path / "seg"
    assert idx.write_pending(base)
    bin_ = tmp_path / f"seg{RECORDS_SUFFIX}.bin"
    rows = np.arange(5)
    assert [r[0] for r in read_records(base, rows)] == [f"doc/{k}" for k in range(5)]
    assert read_records(base, rows[:0]) == []
    for cut in (bin_.stat().st_size // 2, 0):
        bin_.write_bytes(bin_.read_bytes()[:cut])
        with pytest.raises(StateError) as e:
            read_records(base, rows)
        assert bin_.name in str(e.value) and "damaged" in str(e.value)


def test_band_index_built_at_once_equals_one_built_part_by_part():
    """Loading builds each band's table at once; adding the parts one by one merged them in: the
    same entries in the same order, and the same candidates (caps included) for any query."""
    rng = np.random.default_rng(7)
    parts = [rng.integers(0, 40, size=(n, 6), dtype=np.uint32) for n in (50, 0, 300, 20, 700, 5)]
    one_by_one = BandIndex(6)
    first = 0
    for keys in parts:
        one_by_one.add(keys, first)
        first += keys.shape[0]
    built = BandIndex.build(iter(parts), 6, first)
    assert built.size == one_by_one.size == first
    for j in range(6):
        assert np.array_equal(built.tables[j], np.sort(np.concatenate((one_by_one.tables[j], one_by_one.fresh[j]))))
    queries = rng.integers(0, 40, size=(200, 6), dtype=np.uint32)
    for cap in (1, 3, 16):
        a, b = built.candidates(queries, cap), one_by_one.candidates(queries, cap)
        assert sorted(zip(*a, strict=True)) == sorted(zip(*b, strict=True)) and len(a[0]) > 0
    with pytest.raises(ValueError):
        BandIndex.build(iter(parts), 6, first - 1)


def test_band_index_and_batch_candidates_agree():
    rng = np.random.default_rng(0)
    keys = rng.integers(0, 5, size=(50, 4), dtype=np.uint32)
    bi = BandIndex(4)
    bi.add(keys[:30], 0)
    q, e = bi.candidates(keys[30:], cap=1000)
    brute = {(i - 30, j) for i in range(30, 50) for j in range(30) if np.any(keys[i] == keys[j])}
    assert set(zip(q.tolist(), e.tolist(), strict=True)) == brute
    q, e = within_batch_candidates(keys, cap=1000)
    brute = {(i, j) for i in range(50) for j in range(i) if np.any(keys[i] == keys[j])}
    assert set(zip(q.tolist(), e.tolist(), strict=True)) == brute


@pytest.mark.parametrize("values", [3, 40, 1 << 32])
def test_batch_candidates_pair_each_row_with_the_cap_earliest_of_its_buckets(values):
    """Dense buckets, sparse ones, and bands where no two rows share a bucket: each row is paired with
    the ``cap`` earliest rows before it in each of its buckets, once however many bands they share."""
    rng = np.random.default_rng(values % 997)
    keys = rng.integers(0, values, size=(120, 5), dtype=np.uint64).astype(np.uint32)
    keys[:, 4] = np.arange(120)  # (a band of distinct buckets)
    if values > 1000:
        keys[[7, 50, 90, 100], 2] = 9  # (a single shared bucket among random ones)
    cap = 2
    want = set()
    for j in range(keys.shape[1]):
        for i in range(len(keys)):
            before = [r for r in range(i) if keys[r, j] == keys[i, j]]
            want |= {(i, r) for r in before[:cap]}
    q, e = within_batch_candidates(keys, cap=cap)
    got = list(zip(q.tolist(), e.tolist(), strict=True))
    assert len(got) == len(set(got)) and set(got) == want and want


@pytest.mark.parametrize("merge_ratio", [1, 8])
def test_band_index_added_in_chunks_gives_the_earliest_entries_of_each_bucket(merge_ratio):
    """Entries added chunk by chunk sit in two runs (the merged tables and the fresh ones): a lookup
    still gives, per band, the ``cap`` earliest entries of the bucket, as one table would."""
    rng = np.random.default_rng(1)
    keys = rng.integers(0, 4, size=(90, 3), dtype=np.uint32)
    bi = BandIndex(3, merge_ratio=merge_ratio)
    for lo, hi in ((0, 40), (40, 45), (45, 52), (52, 70)):
        bi.add(keys[lo:hi], lo)
    if merge_ratio == 1:
        assert len(bi.fresh[0]) == 30 and len(bi.tables[0]) == 40  # (both runs hold entries)
    cap = 5
    q, e = bi.candidates(keys[70:], cap=cap)
    brute = set()
    for i in range(70, 90):
        for j in range(3):
            same = [x for x in range(70) if keys[x, j] == keys[i, j]][:cap]
            brute |= {(i - 70, x) for x in same}
    assert set(zip(q.tolist(), e.tolist(), strict=True)) == brute
    assert bi.size == 70 and bi.nbytes() == 70 * 3 * 8


def _fmix64_ref(h: int) -> int:
    m = (1 << 64) - 1
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & m
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & m
    return h ^ (h >> 33)


def test_band_keys_shape_and_formula():
    """Band keys are persisted in the index: they must keep following their formula, written out
    here in plain Python (a faster implementation must not change a stored key)."""
    sig = signatures(shingle_many([para(1), para(2, 7), "x y z w v"], P), P)
    keys = band_keys(sig, P)
    assert keys.shape == (3, P.bands)
    m = (1 << 64) - 1
    for i in range(3):
        for b in range(P.bands):
            acc = 0
            for j in range(P.rows):
                acc = ((acc * 0x100000001B3) & m) ^ ((int(sig[i, b * P.rows + j]) + (j + 1) * 0x9E3779B97F4A7C15) & m)
            acc = _fmix64_ref((acc + b * 0xD6E8FEB86659FD93) & m)
            assert int(keys[i, b]) == acc >> 32
    with pytest.raises(ValueError):
        BandIndex(2).add(np.zeros((1, 2), np.uint32), 5)


def test_token_hashes_follow_their_formula():
    """Token hashes feed the persisted fingerprints and band keys: the formula, in plain Python, for
    short (one word), medium (two words) and long (byte sum) tokens."""
    m = (1 << 64) - 1

    def ref(w: bytes) -> int:
        if len(w) <= 16:
            w0 = int.from_bytes(w[:8], "little")
            w1 = int.from_bytes(w[8:16], "little")
            h = ((w0 * 0x9E3779B97F4A7C15) & m) ^ ((w1 * 0xC2B2AE3D27D4EB4F) & m)
            return _fmix64_ref(h ^ ((len(w) * 0xD6E8FEB86659FD93) & m))
        total = 0
        for i, c in enumerate(w):
            total = (total + _fmix64_ref((c * 0x9E3779B97F4A7C15 + i * 0xC2B2AE3D27D4EB4F) & m)) & m
        return _fmix64_ref(total ^ ((len(w) * 0xD6E8FEB86659FD93) & m))

    words = ["a", "eighteen", "ninebytes", "abcdefghijklmnop", "abcdefghijklmnopq", "über", "x" * 40]
    tok = tokenize([" ".join(words)])
    expect = [ref(w.encode()) for w in normalize(" ".join(words)).split()]
    assert tok.hashes.tolist() == expect


def test_a_copy_of_a_document_whose_paragraph_was_kept_elsewhere_is_still_its_copy(tmp_path):
    # x (a mosaic) came first and holds t's first paragraph; t keeps only its second; d copies t whole
    x = [para(10, 50), para(11, 50), para(12, 50), para(0, 50)]
    t = [para(0, 50), para(1, 50)]
    d = [para(0, 50), para(1, 50)]
    for split in (False, True):
        index = DedupIndex(P)
        if split:  # x and t in an earlier run, read back from disk
            _run([("x", x), ("t", t)], index)
            assert index.write_pending(tmp_path / "seg-1")
            index = DedupIndex.load(P, index.segments)
            _, out = _run([("d", d)], index)
            dec = out.decisions
        else:
            _, out = _run([("x", x), ("t", t), ("d", d)], index)
            dec = out.decisions[6:]
            assert out.decisions[4].duplicate_of_doc == "x" and out.decisions[5].keep  # t is kept
        assert all(z.reason == "duplicate-document" for z in dec), split
        assert "2 of 2 paragraphs" in dec[0].evidence and dec[0].evidence.endswith("duplicate t")


def _kept(items, decisions) -> set[tuple[str, int]]:
    return {(it.doc_id, it.paragraph_index) for it, d in zip(items, decisions, strict=True) if d.keep}


def test_keep_longest_a_longer_later_copy_replaces_the_kept_one():
    short = para(5, 40)
    longer = short + " " + para(6, 25)  # the same paragraph with a sentence added
    docs = [("a", [short, para(20, 50)]), ("b", [para(21, 50), longer, para(22, 50)]), ("c", [short])]
    items, out = _run(docs, DedupIndex(LONGEST))
    d = out.decisions
    assert not d[0].keep and (d[0].duplicate_of_doc, d[0].duplicate_of_paragraph) == ("b", 1)
    assert d[0].evidence.startswith("replaced by a longer copy")
    assert d[3].keep
    # a later exact copy of the replaced paragraph points at what replaced it
    assert not d[5].keep and (d[5].duplicate_of_doc, d[5].duplicate_of_paragraph) == ("b", 1)
    # the default keeps the earliest
    _, out = _run(docs)
    assert out.decisions[0].keep and not out.decisions[3].keep and not out.decisions[5].keep


def test_keep_longest_replaces_across_runs_and_equals_one_run(tmp_path):
    short = para(5, 40)
    longer = para(7, 10) + " " + short + " " + para(6, 25)  # the short one is inside it
    docs = [("a", [short, para(20, 50)]), ("b", [para(21, 50), longer]), ("c", [short, para(23, 50)]),
            ("d", [para(24, 50), longer + " " + para(8, 30)])]
    items, one = _run(docs, DedupIndex(LONGEST))
    whole = _kept(items, one.decisions)
    assert ("d", 1) in whole and ("a", 0) not in whole and ("b", 1) not in whole
    # the same documents in two runs, the index read back from disk in between
    idx = DedupIndex(LONGEST)
    it1, out1 = _run(docs[:2], idx)
    assert idx.write_pending(tmp_path / "seg-1")
    idx = DedupIndex.load(LONGEST, idx.segments)
    it2, out2 = _run(docs[2:], idx)
    assert {(d, p) for d, p, _, _ in out2.replaced} == {("b", 1)}  # a's was replaced in run 1 already
    kept = (_kept(it1, out1.decisions) | _kept(it2, out2.decisions)) - {(d, p) for d, p, _, _ in out2.replaced}
    assert kept == whole
    # and a third run still sees the chain: an exact copy of a's paragraph points at d's
    assert idx.write_pending(tmp_path / "seg-2")
    idx = DedupIndex.load(LONGEST, idx.segments)
    _, out3 = _run([("e", [short])], idx)
    assert (out3.decisions[0].duplicate_of_doc, out3.decisions[0].duplicate_of_paragraph) == ("d", 1)


def test_keep_longest_a_duplicate_document_replaces_nothing():
    a = [para(k, 40) for k in range(3)]
    b = [p + " and one more closing word" for p in a]  # every paragraph a little longer
    items, out = _run([("a", a), ("b", b)], DedupIndex(LONGEST))
    assert all(d.keep for d in out.decisions[:3])
    assert all(d.reason == "duplicate-document" and d.duplicate_of_doc == "a" for d in out.decisions[3:])
    assert [d.duplicate_of_paragraph for d in out.decisions[3:]] == [0, 1, 2]


def test_keep_policy_is_validated():
    with pytest.raises(ValueError, match="keep must be one of"):
        DedupParams(keep="shortest")


def test_a_paragraph_with_several_earlier_candidates_in_the_index():
    """Two kept paragraphs of an earlier run that each share most of a new paragraph: both are its
    candidates (more index candidates than new paragraphs in the batch), and it matches one of them."""
    rng = random.Random(3)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6)) for _ in range(5000)]
    x = [rng.choice(vocab) for _ in range(100)]
    a = x[:75] + [rng.choice(vocab) for _ in range(25)]
    b = [rng.choice(vocab) for _ in range(30)] + x[30:]
    idx = DedupIndex(P)
    first = deduplicate([Item("a", 0, " ".join(a)), Item("b", 0, " ".join(b))], idx)
    assert [d.keep for d in first.decisions] == [True, True]
    (d,) = deduplicate([Item("x", 0, " ".join(x))], idx).decisions
    # (a one-paragraph document that is a copy is a duplicate document; it keeps its verified match)
    assert not d.keep and d.duplicate_of_doc in {"a", "b"} and d.duplicate_of_paragraph == 0
    assert d.similarity is not None and d.similarity >= P.jaccard


def test_the_most_similar_candidate_is_the_match_and_its_similarity_is_exact():
    """A new paragraph near two kept ones: it points at the more similar (here the later) one, with the
    Jaccard of the two word 3-gram sets themselves, not an estimate."""
    rng = random.Random(5)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6)) for _ in range(5000)]
    x = [rng.choice(vocab) for _ in range(100)]
    far = x[:65] + [rng.choice(vocab) for _ in range(35)]  # Jaccard with x 0.47: a duplicate alone
    near = [rng.choice(vocab) for _ in range(10)] + x[10:]  # 0.81; and far and near are not copies
    idx = DedupIndex(P)
    first = deduplicate([Item("far", 0, " ".join(far)), Item("other", 0, para(1)),
                         Item("near", 0, " ".join(near))], idx)
    assert [d.keep for d in first.decisions] == [True, True, True]
    d, own = deduplicate([Item("x", 0, " ".join(x)), Item("x", 1, para(2))], idx).decisions
    assert own.keep  # (so x is not a duplicate document: the paragraph's own match is reported)

    def grams(ws: list[str]) -> set[tuple[str, ...]]:
        return {tuple(ws[i: i + 3]) for i in range(len(ws) - 2)}

    exact = len(grams(x) & grams(near)) / len(grams(x) | grams(near))
    assert not d.keep and d.duplicate_of_doc == "near" and d.rule == "dedup.resemblance"
    assert d.similarity == pytest.approx(exact, abs=5e-5)  # (reported to 4 decimals)


LOCAL = "In {town} the council counted {a} new homes this year and {b} families still on its waiting list."


def test_the_same_words_with_other_numbers_are_not_duplicates():
    # local versions of one wire paragraph: only the numbers differ (and with them their digit counts);
    # each document has a paragraph of its own, so none is a duplicate document
    versions = [LOCAL.format(town="Ashford", a=a, b=b) for a, b in ((12, 340), (7, 1200), (12, 341), (310, 9))]
    same = LOCAL.format(town="Ashford", a=12, b=340).upper()  # an exact copy up to case
    items, out = _run([(f"d{k}", [para(200 + k), t]) for k, t in enumerate([*versions, same])])
    d = out.decisions[1::2]
    assert all(x.keep for x in d[:4])
    assert not d[4].keep and d[4].rule == "dedup.exact" and (d[4].duplicate_of_doc, d[4].duplicate_of_paragraph) \
        == ("d0", 1)
    # a real edit of the words is still a near-duplicate, numbers or not
    edited = LOCAL.format(town="Ashford", a=12, b=340).replace("still", "are still")
    items, out = _run([("a", [para(300), versions[0]]), ("b", [para(301), edited])])
    assert out.decisions[3].rule == "dedup.resemblance"


def test_documents_that_differ_only_in_their_numbers_are_not_duplicate_documents():
    # templated pages (a report per town, a notice per file number): every paragraph the same words with
    # other numbers. The document-level alignment honours the veto too: nothing is removed. With one
    # word changed as well, the veto no longer applies and the later page is a copy, paragraph by paragraph
    head = "Notice {n} of the county register, filed under number {n} on behalf of the planning office."
    docs = [(f"n{k}", [head.format(n=n), LOCAL.format(town="Ashford", a=n % 97, b=n)])
            for k, n in enumerate((1796344381939065704, 1796344084919861370, 4411))]
    _, out = _run(docs)
    assert all(d.keep for d in out.decisions)
    edited = [head.format(n=5).replace("county", "city"), LOCAL.format(town="Ashford", a=7, b=99).replace("still", "yet")]
    _, out = _run([("a", [head.format(n=4), LOCAL.format(town="Ashford", a=7, b=98)]), ("b", edited)])
    assert [d.reason for d in out.decisions[2:]] == ["duplicate-document"] * 2


def test_numbers_told_apart_against_the_index_of_an_earlier_run():
    index = DedupIndex(P)
    _run([("a", [para(400), LOCAL.format(town="Dover", a=3, b=40)])], index)
    _, out = _run([("b", [para(401), LOCAL.format(town="Dover", a=4, b=40)]),
                   ("c", [para(402), LOCAL.format(town="Dover", a=3, b=40)])], index)
    assert out.decisions[1].keep
    assert out.decisions[3].rule == "dedup.exact" and out.decisions[3].duplicate_of_doc == "a"


def test_tokens_fingerprints_include_the_digits():
    tok = tokenize(["Rose to 12 in May", "rose to 15 in may", "Rose to 12, in May!", "Rose to 1 2 in May"])
    assert tok.fp[0] != tok.fp[1] and tok.fp[0] == tok.fp[2] and tok.fp[0] != tok.fp[3]
    assert tok.wfp[0] == tok.wfp[1]  # the same words, a number in the same place
    assert tok.wfp[0] != tok.wfp[3]  # two numbers where there was one


def test_dates_are_not_the_numbers_that_tell_paragraphs_apart():
    line = "This story was first published on {d} and has been updated with reporting from our business desk."
    dates = ["9 January 2005", "18 January 2005", "January 18, 2004", "9 janvier 2005"]
    tok = tokenize([line.format(d=d) for d in dates] + [line.format(d="9 January 2005").replace("business", "12")])
    assert tok.dh[0] == tok.dh[1] == tok.dh[2] == 0  # only date digits: no numbers of its own
    assert tok.dh[4] != 0
    # a republication line with another date is a copy; counts still tell versions apart
    items, out = _run([("a", [para(500), line.format(d=dates[0])]), ("b", [para(501), line.format(d=dates[1])])])
    assert not out.decisions[3].keep and out.decisions[3].duplicate_of_doc == "a"


@pytest.mark.parametrize("params", [P, LONGEST], ids=["earliest", "longest"])
@pytest.mark.parametrize("batch", [1, 2, 3, 100])
def test_a_session_fed_batch_by_batch_decides_as_one_call(params, batch):
    """A run handed over shard by shard (DedupSession.add) is decided in the chunks one deduplicate() call
    would cut, so identically, including keep = "longest" replacing a paragraph of an earlier chunk."""
    short = para(5, 40)
    longer = para(7, 10) + " " + short + " " + para(6, 25)
    docs = [("a", [short, para(20, 50)]), ("b", [para(21, 50), longer]), ("c", [short, para(23, 50)]),
            ("d", [para(24, 50), longer + " " + para(8, 30)]), ("e", [para(20, 50), para(1, 30)]),
            ("f", [para(1, 30) + " with a few words added at the end"])]
    items = [Item(d, i, t) for d, ts in docs for i, t in enumerate(ts)]
    one = deduplicate(items, DedupIndex(params), chunk=3)
    session = DedupSession(DedupIndex(params), chunk=3)
    for start in range(0, len(docs), batch):
        session.add([Item(d, i, t) for d, ts in docs[start:start + batch] for i, t in enumerate(ts)])
    session.finish()
    assert session.decisions == one.decisions and session.new_entries == one.new_entries
    if params is LONGEST:  # the longer copies replaced paragraphs of earlier chunks
        assert any(d.evidence.startswith("replaced by a longer copy") for d in one.decisions)


@pytest.mark.parametrize("params", [P, LONGEST], ids=["earliest", "longest"])
def test_band_keys_computed_ahead_are_the_chunks_own_and_are_used(params, monkeypatch):
    """lsh_ahead (run by the shard step, in parallel) gives each text with enough words the fingerprint and
    band keys the dedup chunk would compute; items that carry them are decided identically, without the
    chunk signing them again; a stale one (its text changed since: another fingerprint) is not used."""
    import dechaff.dedup.batch as batch
    from dechaff.dedup import fingerprints, lsh_ahead

    short = para(5, 40)
    docs = [("a", [short, para(20, 50), "two words"]), ("b", [para(21, 50), para(7, 10) + " " + short]),
            ("c", [short, para(23, 50)]), ("d", [para(20, 50).replace("alpha", "omega"), ""])]
    texts = [t for _d, ts in docs for t in ts]
    ahead = lsh_ahead(texts, params)
    eligible = [t for t in texts if len(t.split()) >= params.min_words]
    assert [a is not None for a in ahead] == [t in eligible for t in texts] and 0 < len(eligible) < len(texts)
    sh = shingle_many(eligible, params)
    want = band_keys(signatures(sh, params), params)
    got = np.array([np.frombuffer(a[1], "<u4") for a in ahead if a is not None])
    assert np.array_equal(got, want)
    assert [a[0] for a in ahead if a is not None] == fingerprints(tokenize(eligible)).tolist()

    plain = [Item(d, i, t) for d, ts in docs for i, t in enumerate(ts)]
    one = deduplicate(plain, DedupIndex(params))
    signed: list[int] = []
    real = batch.signatures
    monkeypatch.setattr(batch, "signatures", lambda sh, p, **kw: (signed.append(len(sh)), real(sh, p, **kw))[1])
    with_keys = [Item(it.doc_id, it.paragraph_index, it.text, a) for it, a in zip(plain, ahead, strict=True)]
    two = deduplicate(with_keys, DedupIndex(params))
    assert two.decisions == one.decisions and two.new_entries == one.new_entries
    assert sum(not d.keep for d in one.decisions) >= 2 and signed == []
    # a stale fingerprint: its keys are not taken (keys of another text would give other candidates)
    wrong = ahead[4]
    assert wrong is not None
    stale = [Item(it.doc_id, it.paragraph_index, it.text, (wrong[0] ^ 1, ahead[0][1]) if k == 4 else it.lsh)  # type: ignore[index]
             for k, it in enumerate(with_keys)]
    three = deduplicate(stale, DedupIndex(params))
    assert three.decisions == one.decisions and signed == [1]


@pytest.mark.parametrize("params", [P, LONGEST], ids=["earliest", "longest"])
def test_entries_reached_again_are_taken_from_the_last_chunk(params, monkeypatch):
    """A chunk takes what it needs of the index entries the last chunk reached (their texts, shingles,
    fingerprints) from that chunk instead of reading them again: decided exactly as when
    every chunk reads its entries afresh, and the taking does happen."""
    import dechaff.dedup.candidates as candidates

    rng = random.Random(11)
    base = [para(300 + k, rng.choice([6, 9, 30, 60])) for k in range(8)]
    docs = []
    for d in range(30):  # every document copies (whole, trimmed or edited) a few of the same 8 paragraphs
        ts = []
        for _ in range(4):
            t = rng.choice(base)
            r = rng.random()
            ts.append(t if r < 0.4 else t[: len(t) * 3 // 4] if r < 0.7 else t.replace("alpha", "zulu") + " more")
        docs.append((f"d{d:02d}", [*ts, para(900 + d, 40)]))
    items = [Item(d, i, t) for d, ts in docs for i, t in enumerate(ts)]
    with_memo = deduplicate(items, DedupIndex(params), chunk=10)
    read: list[int] = []  # (entries whose shingle sets the candidates' side read from the index)
    real_shingles = DedupIndex.shingles
    monkeypatch.setattr(DedupIndex, "shingles", lambda self, ids: (read.append(len(ids)), real_shingles(self, ids))[1])
    real = candidates._old_side

    def afresh(index, oe):
        index.last_old = None
        return real(index, oe)

    monkeypatch.setattr(candidates, "_old_side", afresh)
    fresh = deduplicate(items, DedupIndex(params), chunk=10)
    assert fresh.decisions == with_memo.decisions and fresh.new_entries == with_memo.new_entries
    assert fresh.pairs_checked == with_memo.pairs_checked and sum(not d.keep for d in fresh.decisions) > 30
    afresh_reads = sum(read)
    read.clear()
    monkeypatch.setattr(candidates, "_old_side", real)
    again = deduplicate(items, DedupIndex(params), chunk=10)
    assert again.decisions == with_memo.decisions and sum(read) < afresh_reads, (sum(read), afresh_reads)


def test_entry_meta_finds_rows_held_out_of_id_order():
    """The entries a chunk reached are held by row, the ones met before first: looked up by entry id
    whatever the order of the rows, with the entries fetched later in the chunk beside them."""
    from dechaff.dedup.candidates import EntryMeta

    ids = np.array([40, 7, 99, 12], dtype=np.int64)
    docs, texts = np.empty(4, dtype=object), np.empty(4, dtype=object)
    docs[:] = ["d40", "d7", "d99", "d12"]
    texts[:] = ["forty", "seven", "ninety-nine", "twelve"]
    meta = EntryMeta(ids, docs, np.array([4, 0, 9, 1]), texts)
    assert [meta[e] for e in (7, 12, 40, 99)] == [("d7", 0, "seven"), ("d12", 1, "twelve"),
                                                   ("d40", 4, "forty"), ("d99", 9, "ninety-nine")]
    assert meta.of_row(2) == ("d99", 9, "ninety-nine") and meta.row(12) == 3 and meta.row(13) == -1
    assert 8 not in meta and 100 not in meta and 0 not in meta
    with pytest.raises(KeyError):
        meta[8]
    meta.update({8: ("d8", 2, "eight")})
    assert 8 in meta and meta[8] == ("d8", 2, "eight") and meta[7] == ("d7", 0, "seven")


def test_entry_meta_carries_what_the_last_chunk_read_and_fill_reads_only_the_rest():
    """A chunk's entries take the texts the last chunk read of them (rows in any order); the entries
    the last chunk had not read, or did not reach, are read by :meth:`EntryMeta.fill`, and only they."""
    from dechaff.dedup.candidates import EntryMeta

    def meta(ids):
        n = len(ids)
        return EntryMeta(np.array(ids, dtype=np.int64), np.full(n, None, dtype=object), np.full(n, -1),
                         np.full(n, None, dtype=object))

    def fetch(ids):
        asked.append(ids.tolist())
        return {e: (f"d{e}", e % 5, f"text {e}") for e in ids.tolist()}

    asked: list[list[int]] = []
    prev = meta([30, 5, 17, 8])
    prev.fill(np.array([5, 30]), fetch)  # (17 and 8 reached, not read)
    now = meta([17, 2, 30, 5, 40])
    now.carry(prev)
    now.fill(np.array([2, 5, 17, 30, 40]), fetch)
    assert asked == [[5, 30], [2, 17, 40]]
    assert [now[e] for e in (2, 5, 17, 30, 40)] == [(f"d{e}", e % 5, f"text {e}") for e in (2, 5, 17, 30, 40)]
    empty = meta([])
    empty.carry(prev)
    now.carry(None)
    assert now[30] == ("d30", 0, "text 30")


def test_copiers_of_stored_segments_and_pending_ones_earliest_first(tmp_path):
    """Who copied a kept paragraph: the stored segments' tables (a segment written after a lookup is
    read at the next one), then the pending ones, earliest first; a pair
    of another paragraph of the same document, or another document, is not mixed in."""
    index = DedupIndex(P)
    index.add_copiers([("a", 0, "c1"), ("a", 1, "c2"), ("b", 0, "c3")])
    assert index.write_pending(tmp_path / "seg-1")
    index.add_copiers([("a", 0, "c4")] + [(f"t{k}", k % 3, f"x{k}") for k in range(500)])
    assert index.write_pending(tmp_path / "seg-2")
    index.add_copiers([("a", 0, "c5"), ("b", 1, "c6")])
    assert index.copiers([("a", 0), ("b", 0), ("b", 1), ("z", 0)]) == {
        ("a", 0): ["c1", "c4", "c5"], ("b", 0): ["c3"], ("b", 1): ["c6"], ("z", 0): []}
    assert index.write_pending(tmp_path / "seg-3")  # (after a lookup: read at the next one)
    index.add_copiers([("a", 0, "c7")])
    assert index.copiers([("a", 0), ("b", 1), ("t7", 1)]) == {
        ("a", 0): ["c1", "c4", "c5", "c7"], ("b", 1): ["c6"], ("t7", 1): ["x7"]}
    again = DedupIndex.load(P, index.segments)  # (a later run: the same from disk alone)
    assert again.copiers([("a", 0), ("t499", 1)]) == {("a", 0): ["c1", "c4", "c5"], ("t499", 1): ["x499"]}


@pytest.mark.parametrize("params", [P, LONGEST], ids=["earliest", "longest"])
def test_tokens_computed_ahead_are_the_chunks_own_and_are_used(params, monkeypatch):
    """lsh_ahead_tokens (the shard step) gives the tokens tokenize would; tokens_of takes them for every
    text of the length they were computed for, over several staged batches, and tokenizes only the others
    (not staged, or a text that lost a line since): the same tokens, so the same decisions, and the texts
    that had tokens ahead are not tokenized again."""
    import dechaff.dedup.shingle as shingle
    from dechaff.dedup import lsh_ahead_tokens, tokens_of

    short = para(5, 40)
    docs = [("a", [short, para(20, 50), "two words", "1 2 3 on 9 January 2005"]),
            ("b", [para(21, 50), para(7, 10) + " " + short, "Ünïcödé 東京 text"]),
            ("c", [short, para(23, 50) + " rose to 12"]), ("d", [para(20, 50).replace("alpha", "omega"), para(3, 9)])]
    plain = [Item(d, i, t) for d, ts in docs for i, t in enumerate(ts)]
    texts = [it.text for it in plain]
    first, second = lsh_ahead_tokens(texts[:5], params)[1], lsh_ahead_tokens(texts[5:], params)[1]
    assert first is not None and second is not None
    ahead = [(first, k) for k in range(5)] + [(second, k) for k in range(len(texts) - 5)]
    want = tokenize(texts)
    now = list(texts)
    now[6] = texts[6][: len(texts[6]) // 2]  # (a text that lost a line since: its length tells)
    tokenized: list[int] = []
    real = shingle.tokenize
    monkeypatch.setattr(shingle, "tokenize", lambda ts, *a: (tokenized.append(len(ts)), real(ts, *a))[1])
    for k, got in enumerate([tokens_of(texts, ahead), tokens_of(now, [None if k == 2 else a for k, a in enumerate(ahead)]),
                             tokens_of(now, [None] * len(now))]):
        ref = want if k == 0 else real(now if k else texts)
        for f in ("hashes", "n_words", "fp", "wfp", "dh"):
            assert np.array_equal(getattr(got, f), getattr(ref, f)), (k, f)
    assert tokenized == [2, len(texts)]  # (nothing, then texts 2 and 6, then all)

    one = deduplicate(plain, DedupIndex(params))
    tokenized.clear()
    two = deduplicate([Item(it.doc_id, it.paragraph_index, it.text, None, a) for it, a in zip(plain, ahead, strict=True)],
                      DedupIndex(params))
    assert two.decisions == one.decisions and two.new_entries == one.new_entries
    assert sum(not d.keep for d in one.decisions) >= 2 and tokenized == []
    # they are what decides: the tokens of a copy of a/1 as long as c/1 make c/1 a copy of a/1 (or, keeping
    # the longest, a/1 a copy of c/1)
    k = 8
    assert plain[k].doc_id == "c" and one.decisions[k].keep and one.decisions[1].keep
    fake = lsh_ahead_tokens([texts[1] + " " + "z" * (len(texts[k]) - len(texts[1]) - 1)], params)[1]
    three = deduplicate([Item(it.doc_id, it.paragraph_index, it.text, None, (fake, 0) if j == k else a)
                         for j, (it, a) in enumerate(zip(plain, ahead, strict=True))], DedupIndex(params))
    copy, of = (1, "c") if params is LONGEST else (k, "a")
    assert not three.decisions[copy].keep and three.decisions[copy].duplicate_of_doc == of
