"""The bad-input matrix: one generated input per case; nothing crashes, every input is accounted for."""

from __future__ import annotations

import gzip
import io
import json
import os
from pathlib import Path

import pytest

from dechaff.config import Config
from dechaff.pipeline.shard import Cleaner
from dechaff.readers import RawInput, ReadError, decode_text, discover, gunzip_capped, read_input

TEXT = "Café naïve — “quoted” résumé. A paragraph of ordinary text.\n\nAnd a second paragraph.\n"


def _read(tmp_path: Path, name: str, data: bytes, **kw):
    """The input read, and its HTML extracted as the shard step does (readers themselves never extract)."""
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    res = read_input(RawInput(p, name), **kw)
    cleaner = Cleaner(Config())
    for d in res.documents:
        assert cleaner.clean(d) is None
    return res


def test_readers_return_html_as_markup_and_never_extract(tmp_path):
    html = b"<html><body><nav>Home News</nav><p>The story itself, long enough to be a paragraph.</p></body></html>"
    (tmp_path / "a.html").write_bytes(html)
    (doc,) = read_input(RawInput(tmp_path / "a.html", "a.html")).documents
    assert doc.fmt == "html" and doc.text == "" and doc.markup == html.decode() and doc.input == "a.html"
    assert doc.paragraphs == []
    assert Cleaner(Config()).clean(doc) is None  # the shard step's extraction
    assert doc.markup is None and "The story itself" in doc.text and "Home News" in doc.text
    nav = next(p for p in doc.paragraphs if p.raw_text == "Home News")
    assert nav.decision.rule == "html.nav"  # the block's structure decides its paragraph


@pytest.mark.parametrize("enc", ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"])
def test_text_encodings(tmp_path, enc):
    text = TEXT if enc not in ("latin-1",) else TEXT.replace("—", "-").replace("“", '"').replace("”", '"')
    r = _read(tmp_path, "a.txt", text.encode(enc))
    assert not r.rejections
    (doc,) = r.documents
    assert doc.text == text
    assert doc.encoding in {"utf-8": ("utf-8",), "utf-8-sig": ("utf-8-sig",), "utf-16": ("utf-16",),
                            "cp1252": ("cp1252",), "latin-1": ("cp1252",)}[enc]


def test_utf16_without_bom_and_control_characters(tmp_path):
    r = _read(tmp_path, "a.txt", "Plain text here, decoded without a BOM.".encode("utf-16-le"))
    assert r.documents[0].text.startswith("Plain text") and r.documents[0].encoding == "utf-16-le"
    r = _read(tmp_path, "b.txt", ("Some text " * 50 + "\x00\x07 with a NUL and a bell").encode())
    assert "\x00" not in r.documents[0].text and "\x07" not in r.documents[0].text


@pytest.mark.parametrize("name,data,cause", [
    ("bin.txt", bytes(range(256)) * 40, "binary"),
    ("empty.txt", b"", "empty"),
    ("blank.txt", b" \n\t\n  \n", "empty"),
    ("empty.html", b"", "empty"),
    ("trunc.jsonl.gz", gzip.compress(b'{"text": "hello world"}\n' * 100)[:-20], "truncated"),
    ("notgz.jsonl.gz", b"this is not gzip at all", "gzip"),
    ("empty.jsonl", b"\n\n", "empty"),
    ("notwarc.warc", b"hello, not a warc", "not a WARC"),
    ("data.xyz", b"whatever", "unsupported file type .xyz"),
])
def test_unreadable_inputs_are_rejected_with_the_cause(tmp_path, name, data, cause):
    r = _read(tmp_path, name, data)
    assert not r.documents
    (rej,) = r.rejections
    assert rej.source == name
    assert cause in rej.error


def test_jsonl_keeps_good_lines_and_rejects_bad_ones_with_line_numbers(tmp_path):
    lines = [json.dumps({"id": "x1", "text": "good one", "url": "https://www.example.org/a", "title": "T"}),
             "{not json",
             json.dumps({"id": "x2", "html": "<html><body><p>good two, from html</p></body></html>"}),
             json.dumps({"id": "x3", "body": "no text field"}),
             json.dumps(["not", "an", "object"]),
             "",
             json.dumps({"text": "no id"})]
    r = _read(tmp_path, "sub/d.jsonl", "\n".join(lines).encode())
    assert [d.doc_id for d in r.documents] == ["x1", "x2", "sub/d#7"]
    assert r.documents[0].site == "example.org" and r.documents[0].title == "T"
    assert r.documents[2].site == "sub/d.jsonl"  # no URL: the file is the site
    assert r.documents[1].text == "good two, from html"
    errs = {x.source: x.error for x in r.rejections}
    assert set(errs) == {"sub/d.jsonl:2", "sub/d.jsonl:4", "sub/d.jsonl:5"}
    assert "line 2: not valid JSON" in errs["sub/d.jsonl:2"]
    assert "no 'text' or 'html'" in errs["sub/d.jsonl:4"]


def test_jsonl_site_field_names_the_site(tmp_path):
    lines = [json.dumps({"id": "a", "text": "one", "site": "Town Times", "url": "https://cdn.example/x"}),
             json.dumps({"id": "b", "text": "two", "site": " "})]
    r = _read(tmp_path, "d.jsonl", "\n".join(lines).encode())
    assert [d.site for d in r.documents] == ["Town Times", "d.jsonl"]


def test_gzip_bomb_is_capped(tmp_path):
    bomb = gzip.compress(b"A" * (50 << 20))
    r = _read(tmp_path, "bomb.jsonl.gz", bomb, max_decompressed_bytes=1 << 20)
    assert "cap" in r.rejections[0].error and not r.documents
    with pytest.raises(ReadError, match="cap"):
        gunzip_capped(bomb, 1000, "x")
    assert gunzip_capped(gzip.compress(b"ab") + gzip.compress(b"cd"), 100, "x") == b"abcd"


def _warc(pages, gz=False) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=gz)
    for url, html, ctype in pages:
        hh = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
        w.write_record(w.create_warc_record(url, "response", payload=io.BytesIO(html.encode()), http_headers=hh))
    return buf.getvalue()


@pytest.mark.parametrize("gz", [False, True])
def test_warc_reads_html_responses(tmp_path, gz):
    data = _warc([("https://news.example.com/a", "<html><head><title>A</title></head><body><article><p>Story "
                   "text, long enough to be the article body of this page.</p></article></body></html>",
                   "text/html; charset=utf-8"),
                  ("https://news.example.com/logo.png", "PNG", "image/png")], gz)
    r = _read(tmp_path, "c.warc.gz" if gz else "c.warc", data)
    (doc,) = r.documents
    assert doc.url == "https://news.example.com/a" and doc.site == "news.example.com" and doc.title == "A"
    assert "Story text" in doc.text and not r.rejections


def test_warc_invalid_record_among_good_ones(tmp_path):
    a = _warc([("http://a.example/1", "<p>First page with a paragraph of content.</p>", "text/html")])
    b = _warc([("http://b.example/2", "<p>Second page with a paragraph of content.</p>", "text/html")])
    r = _read(tmp_path, "m.warc", a + b"\x00\x01 total garbage\r\n\r\n" + b)
    assert [d.url for d in r.documents] == ["http://a.example/1", "http://b.example/2"]
    (rej,) = r.rejections
    assert rej.source == "m.warc#2" and "invalid WARC record" in rej.error


def test_deeply_nested_html_keeps_its_text(tmp_path):
    html = "<html><body>" + "<div>" * 100_000 + "deep text" + "</div>" * 100_000 + "<p>after it</p></body></html>"
    r = _read(tmp_path, "deep.html", html.encode())
    assert "deep text" in r.documents[0].text and "after it" in r.documents[0].text


def test_permission_denied_is_a_rejection(tmp_path, monkeypatch):
    p = tmp_path / "x.txt"
    p.write_text("hello")

    def deny(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("dechaff.readers.read.open_regular", deny)
    r = read_input(RawInput(p, "x.txt"))
    assert r.rejections[0].error == "cannot be read: permission denied"


def test_discover_recurses_skips_hidden_and_survives_symlink_loops(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.txt").write_text("x")
    (tmp_path / "top.html").write_text("<p>y</p>")
    (tmp_path / ".hidden.txt").write_text("h")
    os.symlink(tmp_path / "a", tmp_path / "a" / "b" / "loop")
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling.txt")
    found, refused = discover(tmp_path)
    assert [r.rel for r in found] == ["a/b/x.txt", "top.html"]
    # a symlinked folder is never followed, a dangling link never opened: each gets a row
    assert {r.source: r.error.split(" (")[0] for r in refused} == {
        "a/b/loop": "skipped: a symlinked folder", "dangling.txt": "skipped: cannot be examined"}
    r = read_input(RawInput(tmp_path / "dangling.txt", "dangling.txt"))
    assert r.rejections[0].error.startswith("cannot be read")


def test_huge_single_line_file(tmp_path):
    line = ("word " * 20_000_000).encode()  # 100 MB, one line
    r = _read(tmp_path, "huge.txt", line)
    assert len(r.documents[0].text) == len(line)


def test_decode_text_rejects_binary():
    with pytest.raises(ReadError, match="binary"):
        decode_text(b"\x00\x00\x00\x01" * 1000)


# ---------------------------------------------------------------------------------------- Parquet, zstd
def _parquet(frame) -> bytes:
    buf = io.BytesIO()
    frame.write_parquet(buf)
    return buf.getvalue()


def test_parquet_one_document_per_row_and_bad_rows_rejected_alone(tmp_path):
    import polars as pl

    df = pl.DataFrame({"id": ["a", None, "c", "d"], "text": ["First document.", "Second one.", None, "  "],
                       "url": ["https://www.example.org/a", None, None, None], "title": ["A", None, None, None],
                       "extra": [1, 2, 3, 4]})
    r = _read(tmp_path, "sub/set.parquet", _parquet(df))
    assert [d.doc_id for d in r.documents] == ["a", "sub/set#1"]  # the id column, else <file>#<row>
    assert [d.source for d in r.documents] == ["sub/set.parquet#0", "sub/set.parquet#1"]
    assert r.documents[0].site == "example.org" and r.documents[0].title == "A"
    assert r.documents[1].site == "sub/set.parquet"
    assert {x.source: x.error for x in r.rejections} == {"sub/set.parquet#2": "row 2: no text in column 'text'",
                                                          "sub/set.parquet#3": "row 3: no text in column 'text'"}


def test_parquet_columns_are_settable_and_html_is_extracted(tmp_path):
    import polars as pl

    from dechaff.readers import ParquetColumns

    df = pl.DataFrame({"key": ["k1"], "content": ["<html><body><article><p>A paragraph of the page, long enough "
                                                   "to be the content of it.</p></article></body></html>"]})
    r = _read(tmp_path, "h.parquet", _parquet(df), parquet_columns=ParquetColumns(html="content", id="key"))
    (doc,) = r.documents
    assert doc.doc_id == "k1" and doc.fmt == "html" and "A paragraph of the page" in doc.text
    r = _read(tmp_path, "h.parquet", _parquet(df))  # default names: no text column
    assert not r.documents and "no column 'text' or 'html'" in r.rejections[0].error
    assert "content" in r.rejections[0].error  # the columns it has are named


@pytest.mark.parametrize("data,msg", [(b"PAR1 not really", "not a readable Parquet file"), (b"", "empty file")])
def test_parquet_that_is_not_one_is_rejected(tmp_path, data, msg):
    r = _read(tmp_path, "x.parquet", data)
    assert not r.documents and msg in r.rejections[0].error


def test_zstd_jsonl_and_warc(tmp_path):
    import zstandard

    z = zstandard.ZstdCompressor()
    lines = "\n".join(json.dumps({"id": f"z{k}", "text": f"Document {k} of the zstd file."}) for k in range(3))
    r = _read(tmp_path, "d.jsonl.zst", z.compress(lines.encode()))
    assert [d.doc_id for d in r.documents] == ["z0", "z1", "z2"] and not r.rejections
    # two frames, as concatenated files have
    r = _read(tmp_path, "e.jsonl.zst", z.compress(lines.encode() + b"\n") + z.compress(lines.replace("z", "y").encode()))
    assert len(r.documents) == 6
    warc = _warc([("https://a.example/1", "<html><body><p>A page in a zstd WARC, with a sentence.</p></body></html>",
                   "text/html")])
    r = _read(tmp_path, "c.warc.zst", z.compress(warc))
    assert len(r.documents) == 1 and r.documents[0].url == "https://a.example/1"
    r = _read(tmp_path, "bad.jsonl.zst", z.compress(lines.encode())[:-5])
    assert not r.documents and "zstd" in r.rejections[0].error


def test_zstd_bomb_is_capped(tmp_path):
    import zstandard

    bomb = zstandard.ZstdCompressor(level=3).compress(b"A" * (50 << 20))
    r = _read(tmp_path, "bomb.jsonl.zst", bomb, max_decompressed_bytes=1 << 20)
    assert not r.documents and "cap" in r.rejections[0].error
