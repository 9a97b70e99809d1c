"""Hostile inputs: nothing read from outside raw/, nothing that hangs, names and text that are not valid
Unicode kept readable. Each of these failed on dechaff 0.1 (issue 20)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import polars as pl

from dechaff.pipeline import run_local
from dechaff.store import OutputDir

PAGE = ("A page of ordinary prose about the harbour board, which met on Tuesday to weigh the cost of "
        "dredging the channel before the autumn storms.\n")


def _tables(out):
    return (pl.read_parquet(out / "corpus" / "*.parquet"), pl.read_parquet(out / "rejected" / "*.parquet"))


def test_symlinks_out_of_raw_are_never_read(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("root:$6$secret-hash:19000:0:99999:7:::\n" * 3)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "other.txt").write_text(PAGE)
    (raw / "page.txt").write_text(PAGE)
    os.symlink(secret, raw / "x.txt")
    os.symlink(tmp_path / "elsewhere", raw / "linked-folder")
    os.symlink(raw / "page.txt", raw / "alias.txt")  # inside raw/: read (and found to be the same content)
    run_local(raw, tmp_path / "out")
    corpus, rejected = _tables(tmp_path / "out")
    assert "secret-hash" not in "".join(corpus["text"].to_list())
    errors = dict(zip(rejected["source"].to_list(), rejected["error"].to_list(), strict=True))
    assert "outside the raw folder" in errors["x.txt"] and str(secret) in errors["x.txt"]
    assert "symlinked folder" in errors["linked-folder"]
    assert "same content as" in errors["page.txt"] or "same content as" in errors["alias.txt"]
    assert corpus.height == 1


def test_fifos_and_devices_do_not_hang_the_run(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "page.txt").write_text(PAGE)
    os.mkfifo(raw / "pipe.txt")
    os.mkfifo(raw / "pipe.noext")
    os.symlink("/dev/zero", raw / "zero.jsonl")
    code = ("import sys; from pathlib import Path; from dechaff.pipeline import run_local; "
            f"run_local(Path({str(raw)!r}), Path({str(tmp_path / 'out')!r}))")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)  # (hung forever on 0.1)
    corpus, rejected = _tables(tmp_path / "out")
    errors = dict(zip(rejected["source"].to_list(), rejected["error"].to_list(), strict=True))
    assert "a FIFO" in errors["pipe.txt"] and "a FIFO" in errors["pipe.noext"]
    assert "outside the raw folder" in errors["zero.jsonl"]
    assert corpus["doc_id"].to_list() == ["page"]


def test_an_output_folder_inside_raw_is_not_read(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "page.txt").write_text(PAGE)
    out = raw / "clean"
    run_local(raw, out)
    (raw / "page2.txt").write_text(PAGE.replace("Tuesday", "Friday"))
    s = run_local(raw, out)
    assert s.inputs_seen == 2 and s.inputs_rejected == 0 and s.documents_read == 1


def test_file_names_that_are_not_utf8_are_read_and_shown_escaped(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    name = os.fsdecode(b"caf\xe9.txt")
    (raw / name).write_text(PAGE)
    s = run_local(raw, tmp_path / "out")
    assert s.documents_read == 1
    corpus, _ = _tables(tmp_path / "out")
    assert corpus["doc_id"].to_list() == ["caf\\xe9"] and corpus["source"].to_list() == ["caf\\xe9.txt"]
    assert run_local(raw, tmp_path / "out").inputs_already_ingested == 1


def test_lone_surrogates_in_jsonl_are_kept_escaped(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "d.jsonl").write_text("\n".join([
        json.dumps({"id": "s\udcff", "text": "Broken \udcff character in an otherwise ordinary line of text.",
                    "title": "T\ud800"}),
        json.dumps({"id": "good", "text": PAGE})]) + "\n")
    s = run_local(raw, tmp_path / "out")
    assert s.documents_read == 2
    corpus, _ = _tables(tmp_path / "out")
    row = corpus.filter(pl.col("doc_id") == "s\\udcff").row(0, named=True)
    assert "Broken \\udcff character" in row["text"] and row["title"] == "T\\ud800"


def _warc_gzip_payload(inflated: bytes) -> bytes:
    """A WARC response whose HTTP body is sent with Content-Encoding: gzip."""
    import gzip
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=False)
    hh = StatusAndHeaders("200 OK", [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
                          protocol="HTTP/1.1")
    w.write_record(w.create_warc_record("https://bomb.example/", "response",
                                        payload=io.BytesIO(gzip.compress(inflated)), http_headers=hh))
    good = io.BytesIO()
    WARCWriter(good, gzip=False).write_record(WARCWriter(good).create_warc_record(
        "https://ok.example/", "response", payload=io.BytesIO(f"<p>{PAGE}</p>".encode()),
        http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")))
    return buf.getvalue() + good.getvalue()


def test_a_content_encoding_bomb_in_a_warc_is_rejected_alone(tmp_path):
    from dechaff.readers import RawInput, read_input

    p = tmp_path / "b.warc"
    p.write_bytes(_warc_gzip_payload(b"<p>" + b"A" * (20 << 20) + b"</p>"))
    r = read_input(RawInput(p, "b.warc"), max_decompressed_bytes=1 << 20)  # (0.1 inflated it whole)
    assert "past the cap of 1,048,576 bytes" in r.rejections[0].error and r.rejections[0].source.startswith("b.warc#1")
    assert [d.url for d in r.documents] == ["https://ok.example/"]
    # under the default cap, the ratio stops it: 100 MB from ~100 KB
    p.write_bytes(_warc_gzip_payload(b"<p>" + b"A" * (100 << 20) + b"</p>"))
    r = read_input(RawInput(p, "b.warc"))
    assert "more than 100x" in r.rejections[0].error and len(r.documents) == 1


def test_a_whole_file_bomb_is_stopped_by_its_ratio(tmp_path):
    import gzip

    from dechaff.readers import RawInput, read_input

    p = tmp_path / "z.jsonl.gz"
    p.write_bytes(gzip.compress(b" " * (100 << 20)))
    r = read_input(RawInput(p, "z.jsonl.gz"))
    assert not r.documents and "more than 100x" in r.rejections[0].error


def test_many_corrupt_warc_blocks_each_get_a_row(tmp_path):
    from dechaff.readers import RawInput, read_input
    from tests.readers.test_readers import _warc

    good = _warc([("http://a.example/1", "<p>First page with a paragraph of content.</p>", "text/html")])
    p = tmp_path / "m.warc"
    p.write_bytes(b"".join(good + b"\x00 garbage block\r\n\r\n" for _ in range(300)))
    r = read_input(RawInput(p, "m.warc"))
    assert len(r.documents) == 300 and len(r.rejections) == 300


def test_an_input_that_killed_a_run_is_rejected_by_the_next_one(tmp_path, monkeypatch):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    (raw / "a.txt").write_text(PAGE)
    (raw / "killer.txt").write_text(PAGE.replace("Tuesday", "Monday"))
    (raw / "z.txt").write_text(PAGE.replace("Tuesday", "Sunday"))
    # a run whose process is killed while it reads killer.txt (as the OOM killer does)
    code = f"""
import os, signal
from pathlib import Path
import dechaff.pipeline.shard as P
from dechaff.pipeline import run_local
real = P.read_input
def read_input(item, **kw):
    if item.rel == "killer.txt":
        os.kill(os.getpid(), signal.SIGKILL)
    return real(item, **kw)
P.read_input = read_input
run_local(Path({str(raw)!r}), Path({str(out)!r}))
"""
    r = subprocess.run([sys.executable, "-c", code], timeout=120)
    assert r.returncode == -9
    # the next run reads it in a process of its own, where it kills again: rejected, the run goes on
    import dechaff.pipeline.shard as P

    real = P.read_input

    def read_input(item, **kw):
        if item.rel == "killer.txt":
            os.kill(os.getpid(), signal.SIGKILL)
        return real(item, **kw)

    monkeypatch.setattr(P, "read_input", read_input)
    s = run_local(raw, out)
    assert s.documents_read == 2 and s.inputs_rejected == 1
    _, rejected = _tables(out)
    (error,) = rejected.filter(pl.col("source") == "killer.txt")["error"].to_list()
    assert "reading it killed run" in error and "a process of its own" in error
    assert not list((out / "_state" / "reading").glob("*.json"))
    s = run_local(raw, out)  # and it stays known: not read, not rejected again
    assert s.inputs_already_ingested == 3 and s.inputs_rejected == 0


def test_an_input_that_changes_or_vanishes_during_the_run_is_read_by_the_next_one(tmp_path):
    from dechaff.config import Config
    from dechaff.pipeline import finalize_run, plan_run, process_shard

    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    (raw / "a.txt").write_text(PAGE)
    (raw / "grows.txt").write_text(PAGE.replace("Tuesday", "Monday"))
    (raw / "goes.txt").write_text(PAGE.replace("Tuesday", "Sunday"))
    cfg = Config()
    with OutputDir(out).lock():
        plan, rec = plan_run(raw, out, cfg)
        (raw / "grows.txt").write_text(PAGE.replace("Tuesday", "Monday") + "\nAppended after planning.\n")
        (raw / "goes.txt").unlink()
        paths = [process_shard(plan, i, cfg).path for i in range(len(plan.shards))]
        s = finalize_run(plan, paths, cfg, recovered=rec)
    assert s.documents_read == 1 and s.inputs_rejected == 2
    _, rejected = _tables(out)
    errors = dict(zip(rejected["source"].to_list(), rejected["error"].to_list(), strict=True))
    assert "changed while the run was reading it" in errors["grows.txt"]
    assert "cannot be read" in errors["goes.txt"]
    (raw / "goes.txt").write_text(PAGE.replace("Tuesday", "Sunday"))
    s = run_local(raw, out)  # both read now, the grown file with the text it has
    assert s.documents_read == 2
    corpus, _ = _tables(out)
    assert "Appended after planning." in corpus.filter(pl.col("doc_id") == "grows")["text"][0]


def test_an_input_read_when_a_run_was_killed_is_read_by_the_next_one(tmp_path):
    """A kill -9 of the whole run is not the input's doing: read in a process of its own, it is kept."""
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    (raw / "a.txt").write_text(PAGE)
    (raw / "b.txt").write_text(PAGE.replace("Tuesday", "Monday"))
    from dechaff.readers import sha256_file

    marker = out / "_state" / "reading" / f"{sha256_file(raw / 'b.txt')}.json"
    marker.parent.mkdir(parents=True)
    marker.write_text(json.dumps({"source": "b.txt", "run_id": "dead-run", "pid": 1}))
    s = run_local(raw, out)
    assert s.documents_read == 2 and s.inputs_rejected == 0
    assert not marker.exists()


def _records(n: int) -> list[bytes]:
    from tests.readers.test_readers import _warc

    return [_warc([(f"http://a.example/{k}", f"<p>Page {k} with a paragraph of content for the reader.</p>",
                    "text/html")]) for k in range(n)]


def _with_length(rec: bytes, change) -> bytes:
    import re

    return re.sub(rb"Content-Length: (\d+)\r\n", lambda m: change(int(m.group(1))), rec, count=1)


def test_every_warc_record_is_a_document_or_a_rejection(tmp_path):
    """0.1 lost 44 of 50 records after one without Content-Length (no rejection), and a too-long length
    swallowed the next record, whose WARC headers ended up in the corpus as text."""
    from dechaff.readers import RawInput, read_input

    recs = _records(50)
    cases = {"no Content-Length": _with_length(recs[5], lambda n: b""),
             "does not end it": _with_length(recs[5], lambda n: b"Content-Length: %d\r\n" % (n + 2000)),
             "does not end": _with_length(recs[5], lambda n: b"Content-Length: %d\r\n" % (n - 30)),
             "runs past the end": _with_length(recs[5], lambda n: b"Content-Length: %d\r\n" % (n + 10 ** 9))}
    for why, bad in cases.items():
        p = tmp_path / "w.warc"
        tail = recs[6:] if why != "runs past the end" else []
        p.write_bytes(b"".join([*recs[:5], bad, *tail]))
        r = read_input(RawInput(p, "w.warc"))
        assert len(r.documents) + len(r.rejections) == 6 + len(tail), why
        (rej,) = r.rejections
        assert rej.source == "w.warc#6" and why in rej.error and "byte " in rej.error, rej
        assert not any("WARC-" in d.text for d in r.documents), why


def test_a_warc_record_whose_payload_holds_a_warc_header_line_is_read_whole(tmp_path):
    from dechaff.readers import RawInput, read_input
    from tests.readers.test_readers import _warc

    inner = "<pre>\nWARC/1.0\r\nWARC-Type: response\r\n</pre><p>A page quoting a WARC header, then prose.</p>"
    p = tmp_path / "q.warc"
    p.write_bytes(_warc([("http://q.example/", inner, "text/html")]) + b"".join(_records(2)))
    r = read_input(RawInput(p, "q.warc"))
    assert len(r.documents) == 3 and not r.rejections
