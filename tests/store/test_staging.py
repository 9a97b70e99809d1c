"""Staging round trip: what a shard stages is what the commit step reads back, decision for decision."""

from __future__ import annotations

from dechaff.chrome import apply_chrome
from dechaff.model import Decision, Document, split_paragraphs
from dechaff.store.staging import read_shard, write_shard

PAGE = """Home | News | Sport

A paragraph of an article about the harbour board, which met on Tuesday.
Share this: Facebook Twitter

Leave a Reply

Your email address will not be published.

Another paragraph, with a "quote" and ünïcödé and a lone line."""


def test_documents_and_decisions_survive_staging(tmp_path):
    docs = []
    for k in range(3):
        d = Document(doc_id=f"d{k}", source=f"d{k}.txt", text=PAGE, url=None if k else "https://x.example/a",
                     title="T" if k == 1 else None, site="s", content_sha256="ab" * 32, encoding="utf-8", input=f"d{k}.txt")
        d.paragraphs = apply_chrome(d)
        docs.append(d)
    docs[2].paragraphs[0].decision = Decision.drop("duplicate", "dedup.exact", "ev", duplicate_of_doc="d0",
                                                   duplicate_of_paragraph=0, similarity=1.0)
    assert any(p.line_decisions for p in docs[0].paragraphs)  # the page has line-level removals
    rejections = [("x.jsonl:2", "line 2: not valid JSON", "cd" * 32)]
    ledger = [{"source": "d0.txt", "content_sha256": "ab" * 32, "status": "ingested", "n_documents": 1}]
    write_shard(tmp_path / "shard", docs, rejections, ledger)
    assert not list((tmp_path / "shard").glob("*.pkl"))
    got, rej, led = read_shard(tmp_path / "shard")
    assert rej == rejections and led == ledger
    for a, b in zip(docs, got, strict=True):
        for f in ("doc_id", "source", "url", "title", "site", "content_sha256", "encoding", "fmt", "input"):
            assert getattr(a, f) == getattr(b, f), f
        assert [(p.index, p.lines, p.decision, p.line_decisions) for p in a.paragraphs] == \
            [(p.index, p.lines, p.decision, p.line_decisions) for p in b.paragraphs]
    assert split_paragraphs("x", "a\n\nb")  # (the model the rows rebuild)


def test_an_unfinished_shard_is_not_read(tmp_path):
    import pytest

    write_shard(tmp_path / "s", [], [], [])
    (tmp_path / "s" / "done").unlink()
    with pytest.raises(FileNotFoundError, match="incomplete"):
        read_shard(tmp_path / "s")
