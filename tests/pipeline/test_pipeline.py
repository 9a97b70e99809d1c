"""The foundation's acceptance points on the sample corpus, through the pure pipeline (no Prefect)."""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from dechaff.config import Config
from dechaff.explain import explain
from dechaff.model import split_paragraphs
from dechaff.pipeline import RawDirMissing, run_local
from tests.conftest import doc_path

FORBIDDEN = [
    "Exit mobile version", "Leave a Reply", "Fill in your details below", "You are commenting using your",
    "Connecting to %s", "Log Out /", "Click to enlarge", "Follow on Facebook",
    "More news and articles can be found", "DOD photo by", "All news", "Home World Eurasia",
]


def _norm(s: str) -> str:
    return " ".join(s.replace("\u00a0", " ").split())


def _tables(out: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    return pl.read_parquet(out / "corpus" / "*.parquet"), pl.read_parquet(out / "removed" / "*.parquet")


def _doc(corpus: pl.DataFrame, prefix: str) -> dict:
    return corpus.filter(pl.col("doc_id").str.starts_with(prefix)).row(0, named=True)


def test_chrome_strings_gone(sample_raw, out_dir):
    run_local(sample_raw, out_dir)
    corpus, _ = _tables(out_dir)
    assert corpus.height == 5
    text = _norm("\n".join(corpus["text"].to_list()))
    for s in FORBIDDEN:
        assert _norm(s) not in text, s


def test_repeated_block_removed_from_001_and_kept_in_000(sample_raw, out_dir):
    run_local(sample_raw, out_dir)
    corpus, removed = _tables(out_dir)
    d000 = split_paragraphs("000", doc_path(sample_raw, "000").read_text("utf-8"))
    d001 = split_paragraphs("001", doc_path(sample_raw, "001").read_text("utf-8"))
    start = next(p.index for p in d001 if p.raw_text.startswith("With the relentless efforts of the United States"))
    end = next(p.index for p in d001 if p.raw_text.startswith("These recent proposals build on earlier initiatives"))
    dups = removed.filter(pl.col("doc_id").str.starts_with("001") & (pl.col("reason") == "duplicate"))
    by_idx = {r["paragraph_index"]: r for r in dups.iter_rows(named=True)}
    k000 = _doc(corpus, "000")
    kept000 = dict(zip(k000["kept_paragraphs"], k000["text"].split("\n\n"), strict=True))
    for i in range(start, end + 1):
        assert i in by_idx, f"001 paragraph {i} not removed as duplicate: {d001[i].raw_text[:60]}"
        row = by_idx[i]
        assert row["duplicate_of_doc"].startswith("000")
        target = row["duplicate_of_paragraph"]
        # points at the paragraph of 000 that holds this text, and 000 kept it
        assert target in kept000
        assert _norm(d001[i].raw_text).split(" ")[-3:] == _norm(d000[target].raw_text).split(" ")[-3:]
        assert row["similarity"] > 0.5
    trimmed = next(r for r in by_idx.values() if r["text"].startswith("US intends to continue negotiations"))
    assert trimmed["rule"] == "dedup.containment"
    assert d000[trimmed["duplicate_of_paragraph"]].raw_text.startswith("During an interview")
    # caption and author bio repeated from 000 are gone from 001
    t001 = _doc(corpus, "001")["text"]
    assert "U.S. President Barack Obama with Russian President Dmitry Medvedev in 2009." not in t001
    assert "Mina Fabulous follows the news" not in t001
    assert "Mina Fabulous follows the news" in k000["text"]


# paragraphs of the sample that are page chrome, by document prefix -> paragraph indices (as read)
CHROME_PARAGRAPHS = {"000": set(), "001": {0, 49}, "002": set(range(22, 37)), "003": {0}, "004": {29, 30}}


def test_article_paragraphs_kept_verbatim(sample_raw, out_dir):
    run_local(sample_raw, out_dir)
    corpus, removed = _tables(out_dir)
    for prefix, chrome in CHROME_PARAGRAPHS.items():
        paras = split_paragraphs(prefix, doc_path(sample_raw, prefix).read_text("utf-8"))
        row = _doc(corpus, prefix)
        kept = dict(zip(row["kept_paragraphs"], row["text"].split("\n\n"), strict=True))
        rm = removed.filter(pl.col("doc_id") == row["doc_id"])
        dup_idx = set(rm.filter(pl.col("reason") == "duplicate")["paragraph_index"].to_list())
        whole = set(rm.filter(pl.col("line_index").is_null())["paragraph_index"].to_list())
        for p in paras:
            if p.index in chrome:
                assert p.index in whole, f"{prefix} [{p.index}] should be removed: {p.raw_text[:60]}"
            elif p.index in dup_idx:
                assert prefix == "001"
            else:
                assert p.index in kept, f"{prefix} [{p.index}] lost: {p.raw_text[:70]}"
                if p.index in whole:
                    pytest.fail(f"{prefix} [{p.index}] removed: {p.raw_text[:60]}")
                if prefix != "004" or p.index != 2:  # 004's caption block loses its credit lines only
                    assert kept[p.index] == p.raw_text
    cap = _doc(corpus, "004")
    kept = dict(zip(cap["kept_paragraphs"], cap["text"].split("\n\n"), strict=True))
    assert kept[2].splitlines() == ["Ministry of Defense Guest House in Moscow",
                                    kept[2].splitlines()[1]]
    assert kept[2].splitlines()[1].startswith("U.S. Defense Secretary Robert M. Gates")


def test_reader_comment_removed_by_default_kept_with_switch(sample_raw, tmp_path):
    comment = "We have at least the start of possible options for joint cooperation"
    run_local(sample_raw, tmp_path / "a")
    corpus, removed = _tables(tmp_path / "a")
    assert comment not in _doc(corpus, "002")["text"]
    assert removed.filter(pl.col("text").str.starts_with(comment))["reason"].to_list() == ["comment"]
    run_local(sample_raw, tmp_path / "b", Config(keep_comments=True))
    corpus, _ = _tables(tmp_path / "b")
    text = _doc(corpus, "002")["text"]
    assert comment in text
    assert "Leave a Reply" not in text and "Connecting to %s" not in text


def _snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != ".dechaff.lock"}


def test_second_run_changes_nothing(sample_raw, out_dir):
    run_local(sample_raw, out_dir)
    before = {k: v for k, v in _snapshot(out_dir).items() if not k.startswith("_state")}
    s = run_local(sample_raw, out_dir)
    assert s.inputs_already_ingested == 5 and s.inputs_new == 0 and s.documents_read == 0
    after = {k: v for k, v in _snapshot(out_dir).items() if not k.startswith("_state")}
    assert before == after
    corpus, removed = _tables(out_dir)
    assert corpus.height == 5


def test_sixth_file_is_added_alone_and_deduplicated_against_the_first_five(sample_raw, out_dir):
    run_local(sample_raw, out_dir)
    corpus1, removed1 = _tables(out_dir)
    src003 = split_paragraphs("003", doc_path(sample_raw, "003").read_text("utf-8"))
    copied = src003[9].raw_text  # a long paragraph of 003, copied with a small edit
    edited = copied.replace("Antonov said", "Antonov told reporters")
    new = ("Russia and NATO resume talks\n\nA brand new paragraph about a meeting in Brussels that nobody "
           "has written before, with details of the agenda and the delegations.\n\n" + edited +
           "\n\nAnother original closing paragraph about what comes next in the negotiations.\n")
    (sample_raw / "005_new.txt").write_text(new, encoding="utf-8")
    s = run_local(sample_raw, out_dir)
    assert s.inputs_new == 1 and s.documents_read == 1
    corpus2, removed2 = _tables(out_dir)
    assert corpus2.height == 6
    assert corpus2.filter(pl.col("doc_id") != "005_new").equals(corpus1)
    rows = removed2.filter(pl.col("doc_id") == "005_new")
    assert rows.height == 1
    r = rows.row(0, named=True)
    assert r["reason"] == "duplicate" and r["duplicate_of_doc"].startswith("003") and r["duplicate_of_paragraph"] == 9
    assert removed2.filter(pl.col("doc_id") != "005_new").equals(removed1)


def test_explain_shows_removed_block_with_matches(sample_raw, out_dir):
    run_local(sample_raw, out_dir)
    d001 = _tables(out_dir)[0].filter(pl.col("doc_id").str.starts_with("001"))["doc_id"][0]
    text = explain(out_dir, d001)
    assert "REMOVED [duplicate / dedup.containment] matches 000_" in text
    assert "kept there: During an interview" in text
    assert "REMOVED [chrome / pattern.mobile.toggle]" in text
    assert text.index("[39]") < text.index("[40]") < text.index("[48]")
    with pytest.raises(KeyError):
        explain(out_dir, "no-such-doc")


def test_missing_raw_dir_is_a_clear_error(tmp_path):
    with pytest.raises(RawDirMissing, match="does not exist"):
        run_local(tmp_path / "nope", tmp_path / "out")


def test_batches_give_the_same_corpus_as_one_run(sample_raw, tmp_path):
    run_local(sample_raw, tmp_path / "one")
    staged = tmp_path / "staged"
    staged.mkdir()
    files = sorted(sample_raw.iterdir())
    for batch in (files[:2], files[2:3], files[3:]):
        for f in batch:
            shutil.copy(f, staged / f.name)
        run_local(staged, tmp_path / "many")
    cols = ["doc_id", "text", "kept_paragraphs"]
    a = pl.read_parquet(tmp_path / "one" / "corpus" / "*.parquet").select(cols).sort("doc_id")
    b = pl.read_parquet(tmp_path / "many" / "corpus" / "*.parquet").select(cols).sort("doc_id")
    assert a.equals(b)
    rcols = ["doc_id", "paragraph_index", "line_index", "reason", "rule", "duplicate_of_doc", "duplicate_of_paragraph"]
    ra = pl.read_parquet(tmp_path / "one" / "removed" / "*.parquet").select(rcols).sort(rcols[:3])
    rb = pl.read_parquet(tmp_path / "many" / "removed" / "*.parquet").select(rcols).sort(rcols[:3])
    assert ra.equals(rb)


def test_comment_switch_also_applies_to_html_pages(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    body = ("<p>The council approved the new budget on Tuesday after a long debate about school funding "
            "and the future of the library.</p><p>The mayor said the first projects would begin in the "
            "spring, with monthly reports on spending.</p>")
    comment = "I think this is a great decision for the town and its schools, well done to everyone."
    (raw / "p.html").write_text(f"<html><body><article>{body}</article><div id='comments' class='comments'>"
                                f"<h2>2 Comments</h2><div class='comment'><p>{comment}</p></div></div>"
                                "<form id='commentform'><p>Leave a Reply</p></form></body></html>")
    run_local(raw, tmp_path / "a")
    run_local(raw, tmp_path / "b", Config(keep_comments=True))
    a = pl.read_parquet(tmp_path / "a" / "corpus" / "*.parquet")["text"][0]
    b = pl.read_parquet(tmp_path / "b" / "corpus" / "*.parquet")["text"][0]
    assert comment not in a and comment in b and "Leave a Reply" not in b
    rm = pl.read_parquet(tmp_path / "a" / "removed" / "*.parquet")
    assert rm.filter(pl.col("text") == comment)["reason"].to_list() == ["comment"]


def test_chrome_cut_out_of_an_html_paragraph_is_in_the_audit(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    body = ("<p>The council approved the new budget on Tuesday after a long debate about school funding "
            "and the future of the library <button>Add to cart</button> in the town.</p><p>The mayor said the "
            "first projects would begin in the spring, with monthly reports on spending.</p>")
    (raw / "p.html").write_text(f"<html><body><article>{body}</article></body></html>")
    run_local(raw, tmp_path / "out")
    text = pl.read_parquet(tmp_path / "out" / "corpus" / "*.parquet")["text"][0]
    assert "future of the library in the town." in text and "Add to cart" not in text
    rm = pl.read_parquet(tmp_path / "out" / "removed" / "*.parquet")
    assert rm.filter(pl.col("text") == "Add to cart")["rule"].to_list() == ["html.button"]


PROSE_WORDS = ["the", "council", "said", "river", "bridge", "repairs", "would", "start", "in", "spring", "after", "engineers", "found", "cracks", "in", "two", "supports", "while", "residents", "asked", "for", "a", "temporary", "ferry", "and", "shops", "feared", "fewer", "visitors", "during", "the", "busy", "season", "which", "usually", "brings", "crowds", "to", "the", "old", "market", "square"]


def _prose(seed: int, sentences: int = 3) -> str:
    rng = random.Random(seed)
    words = PROSE_WORDS
    return " ".join(" ".join(rng.choice(words) for _ in range(14)).capitalize() + "." for _ in range(sentences))


def test_keep_longest_replaces_paragraphs_of_earlier_runs_and_equals_one_run(tmp_path):
    cfg = replace(Config(), dedup=replace(Config().dedup, keep="longest"))
    short = _prose(1)
    docs = {"a.txt": [short, _prose(2)], "b.txt": [_prose(3), short + " " + _prose(4, 2)],
            "c.txt": [_prose(5), short]}
    raw = tmp_path / "raw"
    raw.mkdir()
    for name, paras in docs.items():
        (raw / name).write_text("\n\n".join(paras) + "\n", encoding="utf-8")
    run_local(raw, tmp_path / "one", cfg)
    staged = tmp_path / "staged"
    staged.mkdir()
    for name in docs:  # one file per run
        shutil.copy(raw / name, staged / name)
        run_local(staged, tmp_path / "many", cfg)
    cols = ["doc_id", "text", "kept_paragraphs"]
    one = pl.read_parquet(tmp_path / "one" / "corpus" / "*.parquet").select(cols).sort("doc_id")
    many = pl.read_parquet(tmp_path / "many" / "corpus" / "*.parquet").select(cols).sort("doc_id")
    assert one.equals(many)
    a = _doc(one, "a")
    assert a["kept_paragraphs"] == [1] and short not in a["text"]  # replaced by b's longer copy
    assert short in _doc(one, "b")["text"]
    _corpus, removed = _tables(tmp_path / "many")
    row = removed.filter(pl.col("doc_id").str.starts_with("a")).row(0, named=True)
    assert row["evidence"].startswith("replaced by a longer copy")
    assert row["duplicate_of_doc"].startswith("b") and row["duplicate_of_paragraph"] == 1
    runs = [r["run_id"] for r in json.loads((tmp_path / "many" / "_state" / "manifest.json").read_text())["runs"]]
    assert row["run_id"] == runs[1]  # recorded by the run that found the longer copy (b's, the 2nd run)
    c = removed.filter(pl.col("doc_id").str.starts_with("c")).row(0, named=True)
    assert c["duplicate_of_doc"].startswith("b") and c["run_id"] == runs[2]  # an exact copy of a's: b's
    # the earlier run's corpus part was rewritten in place (an atomic swap under its own name)
    parts = sorted(p.name for p in (tmp_path / "many" / "corpus").glob("*.parquet"))
    assert len(parts) == 3 and not list((tmp_path / "many" / "corpus").glob(".*"))


ARTICLE = ("{n}. The harbour board met on a wet Tuesday to weigh the cost of dredging the channel before the "
           "autumn storms, and the ferry company asked for a decision within the month.")


def _changed_input_keeps_unique_ids(raw, out, name: str, write) -> None:
    """An input ingested, then changed and ingested again: the re-read documents get new ids (``~sha8``),
    so none of them is a duplicate of itself and every doc id is one document."""
    write(raw / name, [ARTICLE.format(n=k) for k in range(2)])
    run_local(raw, out)
    write(raw / name, [ARTICLE.format(n=k) for k in range(3)])
    run_local(raw, out)
    corpus, removed = _tables(out)
    assert removed.filter(pl.col("duplicate_of_doc") == pl.col("doc_id")).is_empty()
    per_run = corpus.group_by("doc_id").agg(pl.col("run_id").n_unique().alias("runs"))
    assert per_run["runs"].max() == 1, per_run
    assert any("~" in d for d in removed["doc_id"].to_list() + corpus["doc_id"].to_list())


def test_a_changed_warc_ingested_again_gets_new_doc_ids(tmp_path):
    from tests.readers.test_readers import _warc

    records: dict[int, bytes] = {}  # the same record (and WARC-Record-ID) each time: records appended

    def write(path, texts):
        for k, t in enumerate(texts):
            records.setdefault(k, _warc([(f"https://a.example/{k}", f"<html><body><p>{t}</p></body></html>",
                                          "text/html")]))
        path.write_bytes(b"".join(records[k] for k in range(len(texts))))

    raw = tmp_path / "raw"
    raw.mkdir()
    _changed_input_keeps_unique_ids(raw, tmp_path / "out", "crawl.warc", write)


def test_a_changed_file_with_a_colon_in_its_name_gets_new_doc_ids(tmp_path):
    def write(path, texts):
        path.write_text("\n\n".join(texts) + "\n", encoding="utf-8")

    raw = tmp_path / "raw"
    raw.mkdir()
    _changed_input_keeps_unique_ids(raw, tmp_path / "out", "notes:2024#draft.txt", write)


def test_the_summary_lines_give_the_finalize_steps_seconds_when_measured():
    from dechaff.pipeline.types import RunSummary

    s = RunSummary(run_id="r", seconds=12.34, removed_by_reason={"duplicate": 3})
    assert s.lines()[-1] == "seconds: 12.3"
    s.steps = {"finalize": 8.0, "waiting on the band shards": 2.25}
    assert s.lines()[-1] == "seconds: 12.3 (finalize 8.0, waiting on the band shards 2.2)"
    assert s.to_dict()["steps"] == {"finalize": 8.0, "waiting on the band shards": 2.25}
