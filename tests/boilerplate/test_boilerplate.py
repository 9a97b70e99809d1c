"""Cross-document boilerplate: site templates go, repeated content keeps one copy."""

from __future__ import annotations

import json
import random
import re

import numpy as np
import polars as pl
import pytest

from dechaff.boilerplate import BoilerplateState, Profile, detect, near_duplicates
from dechaff.config import Config
from dechaff.model import Document, split_paragraphs
from dechaff.pipeline import run_local

BIO = ("Jane Roe covers city hall for the Town Times. Before that she reported on schools and courts "
       "for a decade, and she still answers every letter from readers.")
FOOTER = "Town Times, 12 Market Street. All content copyright 2024."
BACKGROUND = ("The harbour bridge was built in 1931 by a private company and bought by the county after the "
              "war, when its tolls no longer paid for the repairs that the salt air made necessary.")

WORDS = ["harbour", "council", "budget", "school", "library", "road", "bridge", "market", "festival", "river", "storm", "election", "court", "hospital", "museum", "train", "airport", "farm", "factory", "theatre", "park", "stadium", "college", "police", "mayor", "teacher", "nurse", "driver", "baker", "farmer", "singer", "player", "coach", "judge", "doctor", "pilot", "sailor", "miner", "weaver", "potter", "garden", "orchard", "meadow", "forest", "valley", "canal", "tunnel", "station", "square", "tower", "castle", "chapel"]


def body(seed: int, n: int = 3) -> list[str]:
    """``n`` paragraphs of prose of their own (a different article for every seed)."""
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(45)).capitalize() + "." for _ in range(n)]


def title(seed: int) -> str:
    return " ".join(random.Random(seed).sample(WORDS, 4)).capitalize()


def article(seed: int, tail: list[str] = (), head: list[str] = (), middle: list[str] = ()) -> str:
    b = body(seed)
    return "\n\n".join([*head, title(seed), b[0], *middle, *b[1:], *tail]) + "\n"


def read(out):
    rm = pl.read_parquet(out / "removed" / "*.parquet")
    corpus = pl.read_parquet(out / "corpus" / "*.parquet")
    return rm, corpus


def kept_paragraphs(corpus: pl.DataFrame) -> list[str]:
    return [p for t in corpus["text"].to_list() for p in t.split("\n\n")]


# ---------------------------------------------------------------------------------------- wire story
SHARED = [
    "WASHINGTON (Wire) - Lawmakers agreed late on Tuesday to a budget that funds the government through "
    "the autumn, ending a standoff that had threatened to close federal offices this week.",
    "The deal, reached after three days of talks, keeps spending close to last year's level and sets "
    "aside new money for disaster relief in states hit by the spring floods.",
    "Leaders of both parties said they expected the measure to pass both chambers before the weekend, "
    "though several members said they would vote against it.",
    "The agreement does not settle the longer fight over the debt limit, which negotiators said they "
    "would take up again when Congress returns from its summer recess.",
    "Markets rose modestly on the news, with investors relieved that a shutdown had been avoided for now, "
    "analysts said in notes to clients on Wednesday morning.",
]
LOCAL = ("In our county, {a} federal workers would have been sent home without pay, and {b} local "
         "contractors depend on the programmes the budget keeps running, the county executive said.")
NUMBERS = [(1200, 35), (870, 12), (4100, 140), (95, 3), (2300, 61), (640, 18)]


def wire_versions() -> list[str]:
    return ["\n\n".join([*SHARED, LOCAL.format(a=a, b=b)]) for a, b in NUMBERS]


@pytest.mark.parametrize("with_urls", [False, True])
def test_six_versions_of_a_wire_story_keep_one_copy_of_each_shared_paragraph_and_every_local_one(
        tmp_path, with_urls):
    raw = tmp_path / "raw"
    raw.mkdir()
    with open(raw / "papers.jsonl", "w") as f:
        for k, text in enumerate(wire_versions()):
            rec = {"id": f"paper{k}", "text": text}
            if with_urls:
                rec["url"] = f"https://news.example.com/2024/budget-deal-{k}"
            f.write(json.dumps(rec) + "\n")
    s = run_local(raw, tmp_path / "out", Config())
    rm, corpus = read(tmp_path / "out")
    assert "boilerplate" not in s.removed_by_reason
    kept = kept_paragraphs(corpus)
    for p in SHARED:
        assert kept.count(p) == 1, p  # one copy, the earliest...
    assert corpus.filter(pl.col("doc_id") == "paper0")["text"][0].startswith(SHARED[0])
    for a, b in NUMBERS:  # ...and every local paragraph, though they differ only in their numbers
        assert LOCAL.format(a=a, b=b) in kept
    # every removed copy points at the kept one
    dup = rm.filter(pl.col("text").is_in(SHARED))
    assert dup.height == 25 and set(dup["duplicate_of_doc"].to_list()) == {"paper0"}


# ---------------------------------------------------------------------------------------- templates
def _write_site(raw, with_urls: bool, docs: list[str], site: str = "towntimes", start: int = 0):
    """The documents as pages of one site: files in a folder, or JSONL records with URLs on one host."""
    if with_urls:
        with open(raw / f"{site}-{start}.jsonl", "w") as f:
            for k, text in enumerate(docs, start):
                f.write(json.dumps({"id": f"{site}/s{k}", "url": f"https://www.{site}.example/news/{k}",
                                    "text": text}) + "\n")
    else:
        (raw / site).mkdir(parents=True, exist_ok=True)
        for k, text in enumerate(docs, start):
            (raw / site / f"s{k}.txt").write_text(text)


@pytest.mark.parametrize("with_urls", [False, True])
def test_a_bio_and_footer_after_the_body_of_six_articles_are_removed_from_all(tmp_path, with_urls):
    raw = tmp_path / "raw"
    raw.mkdir()
    _write_site(raw, with_urls, [article(i, tail=[BIO, FOOTER]) for i in range(6)])
    run_local(raw, tmp_path / "out", Config(boilerplate_min_docs=5))
    rm, corpus = read(tmp_path / "out")
    bp = rm.filter(pl.col("reason") == "boilerplate")
    assert sorted(bp.filter(pl.col("text") == BIO)["doc_id"].to_list()) == [f"towntimes/s{i}" for i in range(6)]
    assert bp.filter(pl.col("text") == FOOTER).height == 6
    assert set(bp["rule"].to_list()) == {"boilerplate.template"}
    site = "towntimes.example" if with_urls else "towntimes"
    ev = bp["evidence"][0]
    assert f"template of site {site}: closes 6 documents, at least 5 of them different pages" in ev
    assert "towntimes/s0" in ev
    assert BIO not in "".join(corpus["text"].to_list()) and corpus.height == 6


def test_another_site_quoting_the_bio_twice_keeps_one_copy(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _write_site(raw, False, [article(i, tail=[BIO, FOOTER]) for i in range(6)])
    (raw / "other").mkdir()
    for i in range(2):
        (raw / "other" / f"o{i}.txt").write_text(article(100 + i, tail=[BIO]))
    run_local(raw, tmp_path / "out", Config(boilerplate_min_docs=5))
    rm, corpus = read(tmp_path / "out")
    other = rm.filter(pl.col("doc_id").str.starts_with("other/"))
    assert other["reason"].to_list() == ["duplicate"]  # the second copy only; the first is kept
    assert BIO in corpus.filter(pl.col("doc_id") == "other/o0")["text"][0]


@pytest.mark.parametrize("with_urls", [False, True])
def test_a_background_paragraph_reused_inside_six_articles_is_content_kept_once(tmp_path, with_urls):
    raw = tmp_path / "raw"
    raw.mkdir()
    _write_site(raw, with_urls, [article(i, middle=[BACKGROUND], tail=[FOOTER]) for i in range(6)])
    run_local(raw, tmp_path / "out", Config(boilerplate_min_docs=5))
    rm, corpus = read(tmp_path / "out")
    assert kept_paragraphs(corpus).count(BACKGROUND) == 1
    assert BACKGROUND in corpus.filter(pl.col("doc_id") == "towntimes/s0")["text"][0]
    copies = rm.filter(pl.col("text") == BACKGROUND)
    assert copies["reason"].to_list() == ["duplicate"] * 5
    assert set(copies["duplicate_of_doc"].to_list()) == {"towntimes/s0"}
    # the footer closes every page: still a template
    assert rm.filter(pl.col("text") == FOOTER)["reason"].to_list() == ["boilerplate"] * 6


def test_a_header_line_and_a_short_box_between_sections_are_templates(tmp_path):
    header = "The Town Times, serving the valley and its nine villages"
    box = "From the Town Times archive"
    raw = tmp_path / "raw"
    raw.mkdir()
    _write_site(raw, False, [article(i, head=[header], middle=[box]) for i in range(6)])
    run_local(raw, tmp_path / "out", Config(boilerplate_min_docs=5))
    rm, _ = read(tmp_path / "out")
    assert rm.filter(pl.col("text") == header)["reason"].to_list() == ["boilerplate"] * 6
    assert "opens 6 documents" in rm.filter(pl.col("text") == header)["evidence"][0]
    assert rm.filter(pl.col("text") == box)["reason"].to_list() == ["boilerplate"] * 6


def test_below_the_threshold_nothing_is_boilerplate(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for i in range(4):
        (raw / f"s{i}.txt").write_text(article(i, tail=[FOOTER]))
    s = run_local(raw, tmp_path / "out", Config(boilerplate_min_docs=5))
    assert "boilerplate" not in s.removed_by_reason


def test_near_duplicate_pages_count_once(tmp_path):
    # one story reposted six times with the site footer, plus two other pages: three different pages
    raw = tmp_path / "raw"
    raw.mkdir()
    story = article(7, tail=[FOOTER])
    _write_site(raw, False, [story.replace("\n\n", f"\n\nUpdated {k}\n\n", 1) for k in range(6)]
                + [article(8, tail=[FOOTER]), article(9, tail=[FOOTER])])
    run_local(raw, tmp_path / "out", Config(boilerplate_min_docs=5))
    rm, corpus = read(tmp_path / "out")
    assert "boilerplate" not in rm["reason"].to_list()
    assert kept_paragraphs(corpus).count(FOOTER) == 1  # dedup keeps the first copy


def test_incremental_the_sixth_copy_arriving_later(tmp_path):
    """Earlier runs' decisions stand: with min_docs 6, five pages with the footer keep its first copy
    (the others are duplicates of it); the run that brings the sixth page finds the template and removes
    the footer from the new page; every later page loses it as boilerplate too."""
    raw = tmp_path / "raw"
    raw.mkdir()
    cfg = Config(boilerplate_min_docs=6)
    _write_site(raw, False, [article(i, tail=[BIO, FOOTER]) for i in range(5)])
    run_local(raw, tmp_path / "out", cfg)
    rm, corpus = read(tmp_path / "out")
    assert "boilerplate" not in rm["reason"].to_list()
    assert kept_paragraphs(corpus).count(FOOTER) == 1
    _write_site(raw, False, [article(5, tail=[BIO, FOOTER])], start=5)
    run_local(raw, tmp_path / "out", cfg)
    _write_site(raw, False, [article(6, tail=[FOOTER])], start=6)
    run_local(raw, tmp_path / "out", cfg)
    rm, corpus = read(tmp_path / "out")
    for doc in ("towntimes/s5", "towntimes/s6"):
        mine = rm.filter((pl.col("doc_id") == doc) & (pl.col("text") == FOOTER))
        assert mine["reason"].to_list() == ["boilerplate"], doc
    assert "closes 6 documents" in rm.filter(pl.col("doc_id") == "towntimes/s5")["evidence"][0]
    assert kept_paragraphs(corpus).count(FOOTER) == 1  # the copy committed by the first run stays


# ---------------------------------------------------------------------------------------- invariant
def test_no_paragraph_loses_every_copy_unless_it_is_a_template(tmp_path):
    """A random site: articles, syndicated copies (some with local paragraphs), shared background
    paragraphs in bodies, templates at the edges. Every paragraph text is in the corpus unless every
    copy of it went as boilerplate by the template rule (or as chrome)."""
    rng = random.Random(5)
    shared = [body(1000 + k, 1)[0] for k in range(4)]
    templates = [FOOTER, BIO]
    docs: list[str] = []
    for i in range(40):
        kind = rng.random()
        if kind < 0.3 and docs:  # a repost of an earlier page, maybe with a local paragraph
            base = rng.choice(docs)
            docs.append(base + (f"\n\nLocal note {rng.randrange(10)}: " + body(5000 + i, 1)[0]
                                if rng.random() < 0.5 else ""))
            continue
        mid = [rng.choice(shared)] if rng.random() < 0.5 else []
        tail = rng.sample(templates, rng.randrange(3))
        docs.append(article(i, middle=mid, tail=tail))
    raw = tmp_path / "raw"
    raw.mkdir()
    _write_site(raw, False, docs)
    run_local(raw, tmp_path / "out", Config(boilerplate_min_docs=5))
    rm, corpus = read(tmp_path / "out")
    kept = set(kept_paragraphs(corpus))
    texts = {p.text for d in docs for p in split_paragraphs("x", d)}
    for t in texts:
        if t in kept:
            continue
        reasons = set(rm.filter(pl.col("text") == t)["reason"].to_list())
        assert reasons <= {"boilerplate", "chrome"}, (t, reasons)
        assert reasons != {"boilerplate"} or t in templates, t
    # duplicates point at kept paragraphs
    for d, p in rm.filter(pl.col("reason") == "duplicate").select("duplicate_of_doc",
                                                                   "duplicate_of_paragraph").iter_rows():
        row = corpus.filter(pl.col("doc_id") == d)
        assert row.height == 1 and p in row["kept_paragraphs"][0]


# ---------------------------------------------------------------------------------------- units
def _docs(texts: list[str], site: str = "s") -> list[Document]:
    out = []
    for k, t in enumerate(texts):
        d = Document(doc_id=f"d{k}", source=f"d{k}", text=t, site=site)
        d.paragraphs = split_paragraphs(d.doc_id, t)
        out.append(d)
    return out


def test_profiles_round_trip_and_templates_persist(tmp_path):
    docs = _docs([article(i, tail=[FOOTER]) for i in range(5)])
    state, n = detect(docs, BoilerplateState.empty(), 5)
    assert n == 5 and len(state.templates) == 1
    for name, frame in (("t", state.templates_frame()), ("p", state.profiles_frame()),
                        ("c", state.counts.frame())):
        frame.write_parquet(tmp_path / f"{name}.parquet")
    again = BoilerplateState.load(tmp_path / "c.parquet", tmp_path / "t.parquet", [tmp_path / "p.parquet"])
    assert again.templates == state.templates
    assert [(p.doc_id, p.head, p.tail, p.short, p.sketch.tolist(), p.n_pairs) for p in again.profiles] == \
        [(p.doc_id, p.head, p.tail, p.short, p.sketch.tolist(), p.n_pairs) for p in state.profiles]
    # a known template: one more page loses it at once
    more = _docs([article(50, tail=[FOOTER])])
    _, n = detect(more, again, 5)
    assert n == 1 and more[0].paragraphs[-1].decision.rule == "boilerplate.template"


def test_profiles_spool_to_files_and_only_witnesses_are_read_back(tmp_path, monkeypatch):
    """A run's profiles go to spool files as they come (none held past a batch); reading them back gives
    them all in order, ``touching`` only those holding a wanted key at an edge or as a short line, and
    ``write_new`` one file that loads as the same profiles; the judged templates are those of profiles held."""
    import dechaff.boilerplate.state as bstate
    from dechaff.boilerplate.detect import Observer
    from dechaff.boilerplate.state import profiles_of

    texts = [article(i, tail=[FOOTER] if i % 3 else [BIO, FOOTER]) for i in range(11)]
    held_state, _ = detect(_docs(texts), BoilerplateState.empty(), 3)
    monkeypatch.setattr(bstate, "PROFILE_BATCH", 4)
    obs = Observer(BoilerplateState.empty(), spool=tmp_path / "spool")
    docs = _docs(texts)
    for k in range(0, len(docs), 2):
        obs.add(docs[k: k + 2])
    assert len(obs.profiles.files) == 2 and len(obs.profiles.held) == 3  # (4 + 4 spooled, 3 held)
    state = obs.judge(3)
    assert state.templates == held_state.templates and len(state.templates) >= 2

    def rows(ps):
        return [(p.doc_id, p.head, p.tail, p.short, p.sketch.tolist(), p.n_pairs) for p in ps]

    assert rows(state.profiles) == rows(held_state.profiles) and len(state.profiles) == 11
    bio_key = next(k for k, ev in state.templates.items() if "opens" not in ev and k in
                   {lk for p in held_state.profiles for lk, _pk, _s in p.tail if p.doc_id == "d0"})
    witnesses = [p for df in state.profiles.touching(np.array([bio_key], dtype=np.uint64)) for p in profiles_of(df)]
    assert [p.doc_id for p in witnesses] == [p.doc_id for p in held_state.profiles
                                             if bio_key in {k for t in p.tail for k in t[:2]}]
    assert 0 < len(witnesses) < 11
    state.profiles.write_new(tmp_path / "all.pq")
    assert not list(tmp_path.glob(".*"))  # (no temporary file left beside it)
    assert rows(BoilerplateState.load(None, None, [tmp_path / "all.pq"]).profiles) == rows(held_state.profiles)


def test_near_duplicates_of_the_sketch():
    a, b, c = _docs([article(1), article(1).replace("Harbour", "Harbor") + "\n\nA line added.", article(2)])
    state, _ = detect([a, b, c], BoilerplateState.empty(), 5)
    pa, pb, pc = state.profiles
    assert isinstance(pa, Profile)
    assert near_duplicates(pa, pb) and not near_duplicates(pa, pc)
    assert re.fullmatch(r"d\d", pa.doc_id)


def test_what_the_shard_step_computes_ahead_is_what_the_counting_pass_computes():
    """observe_ahead (run in the shard step, in parallel) stores each document's unit keys and sketch; the
    profiles, counts, templates and marks are those of documents without them."""
    import copy

    from dechaff.boilerplate import observe_ahead
    from dechaff.chrome import apply_chrome

    texts = [article(i, middle=[body(900, 1)[0]] if i % 2 else [], tail=[BIO, FOOTER][2 - i % 3:]) + "\n\nShare this:"
             for i in range(12)]
    plain = _docs(texts)
    for d in plain:
        d.paragraphs = apply_chrome(d)  # (with line decisions: the units are the kept lines)
    ahead = copy.deepcopy(plain)
    observe_ahead(ahead)
    assert all(d.unit_keys and d.sketch and d.n_pairs for d in ahead)
    s1, n1 = detect(plain, BoilerplateState.empty(), 5)
    s2, n2 = detect(ahead, BoilerplateState.empty(), 5)
    assert n1 == n2 > 0 and s1.templates == s2.templates
    assert [(p.head, p.tail, p.short, p.sketch.tolist(), p.n_pairs) for p in s1.profiles] == \
        [(p.head, p.tail, p.short, p.sketch.tolist(), p.n_pairs) for p in s2.profiles]
    assert [[p.decision for p in d.paragraphs] for d in plain] == [[p.decision for p in d.paragraphs] for d in ahead]


def test_sketches_from_the_dedup_stages_tokens_are_those_of_the_documents_texts():
    """The shard step tokenizes the kept paragraphs once, for the dedup keys and the documents' sketches:
    the same sketches (and keys, profiles) as tokenizing each document's text, with numbers, dates,
    other scripts, line decisions, and documents left with nothing."""
    import copy

    from dechaff.boilerplate import observe_ahead
    from dechaff.chrome import apply_chrome
    from dechaff.dedup import lsh_ahead
    from dechaff.dedup.types import DedupParams
    from dechaff.model import KEEP, Decision
    from dechaff.pipeline.shard import work_ahead

    texts = [article(i, tail=[BIO, FOOTER][2 - i % 3:]) + "\n\nShare this:" for i in range(6)]
    texts += ["Prices rose 12% to 3,400 on 9 January 2005.\nA second line of 7 words here.\n\nFollow us on Twitter",
              "東京の天気は晴れです。明日も晴れるでしょう。\n\nÜber die Straße, naïve café – «quoted» text.",
              "Share this:", "", "One.\n\n\n\nTwo words"]
    docs = _docs(texts)
    for d in docs:
        d.paragraphs = apply_chrome(d)
    two = docs[6].paragraphs[0]  # (a line of a kept paragraph removed: its units are its kept lines)
    assert len(two.lines) == 2 and two.decision.keep
    two.line_decisions = [KEEP, Decision.drop("chrome", "test.line")]
    assert any(not any(p.kept for p in d.paragraphs) for d in docs)
    once = copy.deepcopy(docs)
    work_ahead(once, Config())
    twice = copy.deepcopy(docs)
    observe_ahead(twice)
    kept = [p for d in twice for p in d.paragraphs if p.kept_text() is not None]
    for p, lsh in zip(kept, lsh_ahead([p.kept_text() for p in kept], DedupParams()), strict=True):
        p.lsh = lsh
    assert sum(1 for d in once if d.n_pairs) >= 8
    for a, b in zip(once, twice, strict=True):
        assert (a.unit_keys, a.sketch, a.n_pairs, a.edges) == (b.unit_keys, b.sketch, b.n_pairs, b.edges), a.doc_id
        assert [p.lsh for p in a.paragraphs] == [p.lsh for p in b.paragraphs]


def test_sketch_jaccard_is_the_share_of_the_smallest_union_values_both_sketches_hold():
    from dechaff.boilerplate.profile import SKETCH, sketch_jaccard

    rng = np.random.default_rng(7)
    for _ in range(300):
        pool = rng.choice(1 << 12, size=int(rng.integers(2, 200)), replace=False).astype(np.uint32)
        a = np.unique(rng.choice(pool, size=int(rng.integers(1, min(len(pool), SKETCH) + 1)), replace=False))
        b = np.unique(rng.choice(pool, size=int(rng.integers(1, min(len(pool), SKETCH) + 1)), replace=False))
        union = sorted(set(a.tolist()) | set(b.tolist()))[:SKETCH]
        want = sum(1 for v in union if v in set(a.tolist()) & set(b.tolist())) / len(union)
        assert sketch_jaccard(a, b) == pytest.approx(want)


def test_text_keys_of_a_batch_are_each_documents_own():
    """Keys computed for many documents at once are those of each document alone (texts with line
    breaks, blanks only, none at all, and other scripts among them)."""
    from dechaff.boilerplate.keys import text_keys, text_keys_many

    groups = [("a.example", ["Über uns", "Straße\nund Weg", "  ", ""]), ("b.example", []),
              ("a.example", ["Über uns", "ﬁne print 2024"]), ("", ["\u212aelvin — x"])]
    many = text_keys_many(groups)
    assert many == [text_keys(site, texts) for site, texts in groups]
    assert many[0][0] == many[2][0] != 0 and many[0][2] == many[0][3] == 0 and many[1] == []


def test_text_keys_stay_the_keys_earlier_runs_stored():
    """A key is the hash of the site and the text's normalised words joined by one space (the counts and
    templates of earlier runs are stored under it): texts with runs of spaces and punctuation between,
    before and after their words, in several scripts, keep that definition when computed in a batch."""
    import hashlib

    from dechaff.boilerplate.keys import text_keys_many
    from dechaff.dedup.normalise import normalize_bytes

    def reference(site: str, text: str) -> int:
        t = b" ".join(normalize_bytes([text]).tobytes().split())
        return int.from_bytes(hashlib.blake2b(site.encode() + b"\x00" + t, digest_size=8).digest(), "little") or 1 \
            if t else 0

    rng = random.Random(5)
    pieces = ["a", "Bc", " ", "  ", "\t", "\n", ".", ", ", " - ", "\u2014", "é", "7", "中文", "\u00a0"]
    groups = [(f"s{k % 3}.example", ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 9)))
                                     for _ in range(rng.randint(0, 5))]) for k in range(300)]
    got = text_keys_many(groups)
    assert got == [[reference(site, t) for t in texts] for site, texts in groups]
    assert [text_keys_many([g])[0] for g in groups] == got  # (each group alone: its texts open the batch)
    assert sum(k == 0 for ks in got for k in ks) > 10 and sum(k != 0 for ks in got for k in ks) > 100


def test_profile_parts_stay_few_and_each_profile_is_rewritten_a_few_times():
    """``parts_to_merge`` over many runs of various sizes (the same, random, one large then small, slowly
    shrinking, growing): the parts stay at most about log2(corpus / run) in number, each profile is
    rewritten about log1.5(corpus / run) times in all (never at every run), and only the newest parts
    are merged (the order of the profiles is kept)."""
    import math

    from dechaff.boilerplate.state import parts_to_merge

    rng = random.Random(7)
    patterns = ([1] * 1000, [rng.randint(1, 50) for _ in range(1000)], [5000] + [3] * 500,
                list(range(1000, 0, -1)), list(range(1, 1001)))
    for sizes_of_runs in patterns:
        parts: list[list[int]] = []  # each part: the run number of each of its profiles, in order
        rewrites = [0] * len(sizes_of_runs)
        most = 0
        for run, n in enumerate(sizes_of_runs):
            k = parts_to_merge([len(p) for p in parts], n)
            merged = [r for p in parts[len(parts) - k:] for r in p]
            for r in set(merged):
                rewrites[r] += 1
            parts = parts[:len(parts) - k] + [merged + [run] * n]
            most = max(most, len(parts))
            assert all(len(a) >= 2 * len(b) for a, b in zip(parts, parts[1:], strict=False))
        ratio = sum(sizes_of_runs) / min(sizes_of_runs)
        assert [r for p in parts for r in p] == [r for r, n in enumerate(sizes_of_runs) for _ in range(n)]
        assert most <= math.log2(ratio) + 2, (sizes_of_runs[:3], most)
        assert max(rewrites) <= math.log(ratio, 1.5) + 2, (sizes_of_runs[:3], max(rewrites))
    assert parts_to_merge([5000, 20, 3], 1) == 0 and parts_to_merge([5000, 20, 3], 2) == 1
    assert parts_to_merge([5000, 20, 3], 9) == 2 and parts_to_merge([], 4) == 0


def test_counts_merge_the_run_keys_into_the_sorted_counts():
    """``merged_arrays`` (a merge into the sorted counts) gives what counting every key afresh gives:
    keys new and known, repeated within the delta, unsorted, at both ends of the counts; ``lookup``
    (searched in key order) answers keys in the order asked."""
    from collections import Counter

    from dechaff.boilerplate.keys import BoilerplateCounts

    rng = np.random.default_rng(3)
    base = Counter(rng.integers(1, 1000, 3000).tolist())
    counts = BoilerplateCounts().merged(base)
    for delta_keys in (rng.integers(0, 1200, 500), np.array([999_999, 0, 5, 5]), np.array([], dtype=np.int64)):
        dc = rng.integers(1, 4, len(delta_keys))
        got = counts.merged_arrays(delta_keys.astype(np.uint64), dc.astype(np.uint32))
        want = Counter(base)
        for k, c in zip(delta_keys.tolist(), dc.tolist(), strict=True):
            want[k] += c
        assert got.keys.tolist() == sorted(want) and got.counts.tolist() == [want[k] for k in sorted(want)]
        assert got.keys.dtype == np.uint64 and got.counts.dtype == np.uint32
        asked = rng.integers(0, 1300, 700).astype(np.uint64)  # (unsorted, repeated, some never counted)
        assert got.lookup(asked).tolist() == [want.get(k, 0) for k in asked.tolist()]
    assert BoilerplateCounts().merged_arrays(np.array([7, 3], np.uint64), np.array([1, 2], np.uint32)).keys.tolist() \
        == [3, 7]
