"""Staging round trip: what a shard stages is what the commit step reads back, decision for decision."""

from __future__ import annotations

from dechaff.boilerplate import observe_ahead
from dechaff.chrome import apply_chrome
from dechaff.model import Decision, Document, split_paragraphs
from dechaff.store.staging import ShardWriter, read_shard, read_shard_meta, shard_batches, write_shard

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
    observe_ahead(docs[:2])  # (what the shard step adds for the boilerplate stage; the third has none)
    docs[2].paragraphs[0].decision = Decision.drop("duplicate", "dedup.exact", "ev", duplicate_of_doc="d0",
                                                   duplicate_of_paragraph=0, similarity=1.0)
    assert any(p.line_decisions for p in docs[0].paragraphs)  # the page has line-level removals
    rejections = [("x.jsonl:2", "line 2: not valid JSON", "cd" * 32)]
    ledger = [{"source": "d0.txt", "content_sha256": "ab" * 32, "status": "ingested", "n_documents": 1}]
    write_shard(tmp_path / "shard", docs, rejections, ledger)
    assert not list((tmp_path / "shard").glob("*.pkl"))
    got, meta = read_shard(tmp_path / "shard")
    assert meta.rejections == rejections and meta.ledger == ledger and meta.dropped == []
    for a, b in zip(docs, got, strict=True):
        for f in ("doc_id", "source", "url", "title", "site", "content_sha256", "encoding", "fmt", "input",
                  "unit_keys", "sketch", "n_pairs"):
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


def _docs(n: int, inp: str = "a.jsonl") -> list[Document]:
    out = []
    for k in range(n):
        d = Document(doc_id=f"{inp}#{k}", source=f"{inp}:{k}", text=f"para {k} one\n\npara {k} two", input=inp)
        d.paragraphs = apply_chrome(d)
        out.append(d)
    return out


def test_a_shard_is_staged_in_batches_that_read_back_in_order(tmp_path):
    docs = _docs(25)
    write_shard(tmp_path / "s", docs, [], [], batch_paragraphs=6)  # two paragraphs a document
    assert len(list((tmp_path / "s").glob("docs-*.parquet"))) == 9  # batches of 3 documents, and one of 1
    batches = list(shard_batches(tmp_path / "s"))
    assert [len(b) for b in batches] == [3] * 8 + [1]
    assert [d.doc_id for b in batches for d in b] == [d.doc_id for d in docs]
    assert [[p.lines for p in d.paragraphs] for b in batches for d in b] == [[p.lines for p in d.paragraphs] for d in docs]


def test_a_dropped_input_is_not_read_back_whether_written_or_held(tmp_path):
    w = ShardWriter(tmp_path / "s", batch_paragraphs=4)
    for d in _docs(3, "a.jsonl") + _docs(3, "bad.jsonl"):
        w.add(d)  # (bad.jsonl's first two documents are written in batches by now, its third is held)
    w.drop_input("bad.jsonl")
    for d in _docs(2, "c.jsonl"):
        w.add(d)
    w.close([], [])
    assert read_shard_meta(tmp_path / "s").dropped == ["bad.jsonl"]
    got, _meta = read_shard(tmp_path / "s")
    assert [d.input for d in got] == ["a.jsonl"] * 3 + ["c.jsonl"] * 2
    # dropped elsewhere (another shard held a piece of the same file): left out too
    assert [d.input for b in shard_batches(tmp_path / "s", {"a.jsonl", "bad.jsonl"}) for d in b] == ["c.jsonl"] * 2


def test_documents_alone_when_they_carry_their_profile_else_with_their_paragraphs(tmp_path):
    from dechaff.boilerplate import observe_ahead

    ahead, plain = _docs(3, "a.jsonl"), _docs(2, "b.jsonl")
    observe_ahead(ahead)
    write_shard(tmp_path / "s", ahead + plain, [], [], batch_paragraphs=6)  # (a, a, a | b, b)
    light = list(shard_batches(tmp_path / "s", paragraphs=False))
    assert [[len(d.paragraphs) for d in b] for b in light] == [[0, 0, 0], [2, 2]]
    assert [d.edges for d in light[0]] == [d.edges for d in ahead] and light[1][0].edges is None


def test_the_tokens_computed_ahead_are_staged_and_read_back_with_their_paragraphs(tmp_path):
    """The shard step's tokens of each kept paragraph (``Paragraph.tokens``) are staged with its batch
    (``tokens-NNNNN.npy``, plain numbers) and read back as they were, row for row, also when a batch's
    documents were dropped before it was written; a batch whose tokens file is gone is an error naming it."""
    import numpy as np
    import pytest

    from dechaff.config import Config
    from dechaff.dedup import tokenize
    from dechaff.model import kept_paragraphs
    from dechaff.pipeline.shard import work_ahead

    cfg = Config()
    w = ShardWriter(tmp_path / "s", batch_paragraphs=5, prepare=lambda docs: work_ahead(docs, cfg))
    docs = _docs(3, "a.jsonl") + _docs(2, "bad.jsonl")
    for d in docs:
        w.add(d)
    w.drop_input("bad.jsonl")
    page = Document(doc_id="p", source="p.txt", text=PAGE, input="p.txt")
    page.paragraphs = apply_chrome(page)
    w.add(page)
    w.close([], [])
    assert len(list((tmp_path / "s").glob("tokens-*.npy"))) == 2
    got = [d for b in shard_batches(tmp_path / "s") for d in b]
    assert [d.doc_id for d in got] == ["a.jsonl#0", "a.jsonl#1", "a.jsonl#2", "p"]
    kept = [pt for kt in kept_paragraphs(got) for pt in kt]
    assert len(kept) >= 7 and all(p.tokens is not None for p, _t in kept)
    assert all(p.tokens is None for d in got for p in d.paragraphs if not p.kept)
    want = tokenize([t for _p, t in kept])
    starts = np.concatenate(([0], np.cumsum(want.n_words)))
    for k, (p, t) in enumerate(kept):
        st, row = p.tokens  # type: ignore[misc]
        assert st.chars[row] == len(t)
        n = st.tokens.n_words[row]
        assert np.array_equal(st.tokens.hashes[st.starts[row]: st.starts[row] + n], want.hashes[starts[k]: starts[k + 1]])
        assert (st.tokens.fp[row], st.tokens.wfp[row], st.tokens.dh[row]) == (want.fp[k], want.wfp[k], want.dh[k])
    victim = sorted((tmp_path / "s").glob("tokens-*.npy"))[-1]
    victim.unlink()
    with pytest.raises(OSError, match=victim.name):
        list(shard_batches(tmp_path / "s"))
