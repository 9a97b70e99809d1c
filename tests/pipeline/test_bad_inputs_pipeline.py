"""A raw directory full of bad inputs: the run completes, every input is accounted for and the summary
counts reconcile with the inputs."""

from __future__ import annotations

import gzip
import json
import shutil

import polars as pl

from dechaff.pipeline import run_local
from tests.readers.test_readers import _warc


def _make(raw):
    raw.mkdir()
    (raw / "good.txt").write_text("A good title\n\nA perfectly fine paragraph of article text, with words.\n")
    (raw / "cp1252.txt").write_bytes("Un café à Paris, déjà vu, naïve résumé of things.".encode("cp1252"))
    (raw / "bom16.txt").write_bytes("A UTF-16 file with a byte order mark and text.".encode("utf-16"))
    (raw / "binary.txt").write_bytes(bytes(range(256)) * 50)
    (raw / "empty.txt").write_bytes(b"")
    (raw / "blank.md").write_bytes(b"   \n\n  ")
    (raw / "trunc.jsonl.gz").write_bytes(gzip.compress(b'{"text": "hi there"}\n' * 50)[:-10])
    (raw / "mixed.jsonl").write_text("\n".join([json.dumps({"id": "j1", "text": "JSON good line one."}),
                                                "{bad", json.dumps({"id": "j3", "other": 1}),
                                                json.dumps({"id": "j4", "text": "JSON good line four."})]))
    a = _warc([("http://w.example/1", "<p>A WARC page with some real content in it.</p>", "text/html")])
    b = _warc([("http://w.example/2", "<p>Another WARC page, about something else entirely.</p>", "text/html")])
    (raw / "w.warc").write_bytes(a + b"\x00 garbage\r\n\r\n" + b)
    (raw / "deep.html").write_text("<div>" * 50_000 + "deep but fine" + "</div>" * 50_000)
    (raw / "notes.pdf").write_bytes(b"%PDF-1.4")
    (raw / "zz-copy-of-good.txt").write_bytes((raw / "good.txt").read_bytes())


def test_every_input_is_accounted_for(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    _make(raw)
    s = run_local(raw, out)
    corpus = pl.read_parquet(out / "corpus" / "*.parquet")
    rejected = pl.read_parquet(out / "rejected" / "*.parquet")
    removed = pl.read_parquet(out / "removed" / "*.parquet") if list((out / "removed").glob("*.parquet")) else None
    files = {p.name for p in raw.iterdir()}
    # every file is in corpus/ (directly or through its records), removed/ or rejected/
    sources = set(corpus["source"].str.replace(r"[:#].*$", "").to_list()) | \
        set(rejected["source"].str.replace(r"[:#].*$", "").to_list())
    if removed is not None:
        sources |= set(removed["doc_id"].to_list())
    assert files <= sources | {"w.warc"}
    assert set(corpus["doc_id"]) >= {"good", "cp1252", "bom16", "j1", "j4", "deep"}
    assert corpus.filter(pl.col("doc_id").str.starts_with("w#")).height == 2
    errs = dict(zip(rejected["source"], rejected["error"], strict=True))
    assert "binary" in errs["binary.txt"] and "empty" in errs["empty.txt"] and "empty" in errs["blank.md"]
    assert "truncated" in errs["trunc.jsonl.gz"] and "unsupported" in errs["notes.pdf"]
    assert "same content as" in errs["zz-copy-of-good.txt"]
    assert {"mixed.jsonl:2", "mixed.jsonl:3", "w.warc#2"} <= set(errs)
    # the summary reconciles with the inputs
    assert s.inputs_seen == len(files) == s.inputs_new
    assert s.inputs_rejected == 6  # binary, empty, blank, trunc, notes.pdf, copy-of-good
    assert s.records_rejected == 3
    assert s.documents_read == corpus.height + s.documents_emptied
    assert rejected.height == s.inputs_rejected + s.records_rejected
    # a second run re-reads nothing: every input is known by its content hash
    again = run_local(raw, out)
    assert again.inputs_already_ingested == len(files) and again.inputs_new == 0
    shutil.rmtree(out)


def test_a_100mb_single_line_file_goes_through_the_pipeline(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    words = ["alpha", "beta", "gamma", "delta", "river", "stone", "cloud", "forest", "market", "harbour"]
    line = " ".join(words[(i * 7 + i // 10) % 10] for i in range(17_000_000))
    (raw / "huge.txt").write_text(line)
    (raw / "small.txt").write_text("A small document with an ordinary paragraph of text in it.\n")
    s = run_local(raw, tmp_path / "out")
    assert s.documents_kept == 2
    corpus = pl.read_parquet(tmp_path / "out" / "corpus" / "*.parquet")
    assert corpus.filter(pl.col("doc_id") == "huge")["text"][0] == line


def test_a_jsonl_found_truncated_after_its_documents_were_staged_loses_them_all(tmp_path, monkeypatch):
    """A large JSONL is staged as it is read (batches of 5,000 paragraphs here): when its end turns out to be
    truncated, its documents already written are dropped, those of the inputs around it are not."""
    import dechaff.store.staging as staging

    monkeypatch.setattr(staging, "BATCH_PARAGRAPHS", 5000)
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.jsonl").write_text("".join(json.dumps({"id": f"a{k}", "text": f"First file, document {k} says hello."})
                                         + "\n" for k in range(5)))
    body = "".join(json.dumps({"id": f"t{k}", "text": f"Record {k} of a long file that ends badly."}) + "\n"
                   for k in range(40_000))  # (2 MB: more than one inflated chunk is read)
    (raw / "b-trunc.jsonl.gz").write_bytes(gzip.compress(body.encode())[:-10])
    (raw / "c.jsonl").write_text(json.dumps({"id": "c0", "text": "The last file has one good document."}) + "\n")
    s = run_local(raw, tmp_path / "out")
    corpus = pl.read_parquet(tmp_path / "out" / "corpus" / "*.parquet")
    assert sorted(corpus["doc_id"]) == [*(f"a{k}" for k in range(5)), "c0"]
    assert s.documents_read == 6 and s.inputs_rejected == 1
    staged = list((tmp_path / "out").rglob("docs-*.parquet"))
    assert not staged  # (staging is gone after the commit)
    ledger = pl.read_parquet(next((tmp_path / "out" / "_state").glob("ledger-*.pq")))
    row = ledger.filter(pl.col("source") == "b-trunc.jsonl.gz").row(0, named=True)
    assert row["status"] == "rejected" and row["n_documents"] == 0 and row["doc_ids"] == []
