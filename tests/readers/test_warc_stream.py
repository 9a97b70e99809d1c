"""Streamed WARC: framed a record at a time from the inflated stream, whatever the chunk boundaries; a record
over the cap is rejected alone; a file larger than the cap is read; bombs stay out."""

from __future__ import annotations

import gzip
import io

import pytest

from dechaff.readers import RawInput, ReadError, ReadResult, read_input
from dechaff.readers.warc import _warc_frames, read_warc
from tests.readers.test_readers import _warc


def _page(k: int, size: int = 300) -> tuple[str, str, str]:
    body = " ".join(f"word{k}x{i}" for i in range(size // 8))
    return (f"https://s.example/{k}", f"<html><body><article><p>Page {k}. {body}</p></article></body></html>",
            "text/html")


def _messy() -> bytes:
    good = [_warc([_page(k)]) for k in range(6)]
    no_length = _warc([_page(90)]).replace(b"Content-Length", b"Content-Lenxth", 1)
    wrong_length = _warc([_page(91)]).replace(b"Content-Length: ", b"Content-Length: 1", 1)
    return (b"\r\n" + good[0] + b"\x00 garbage between records\r\n\r\n" + good[1] + no_length + good[2]
            + wrong_length + good[3] + b"   \r\n" + good[4] + good[5][:-40])  # (the last one cut short)


@pytest.mark.parametrize("size", [1, 3, 7, 64, 1000, 1 << 20])
def test_frames_do_not_depend_on_the_chunks(size):
    data = _messy()
    whole = list(_warc_frames(iter([data]), 1 << 30))
    chunked = list(_warc_frames(iter([data[i:i + size] for i in range(0, len(data), size)]), 1 << 30))
    assert chunked == whole
    errors = [e for _o, _r, e in whole if e]
    assert len(errors) == 4 and len(whole) == 9  # garbage, no length, wrong length, cut short; 5 good
    assert all(data[o:o + len(r)] == r for o, r, e in whole if e is None)


def test_a_record_over_the_cap_is_rejected_alone_and_the_rest_read(tmp_path):
    big = _warc([_page(50, size=40_000)])
    data = _warc([_page(1)]) + big + _warc([_page(2)]) + _warc([_page(3)])
    res = ReadResult()
    read_warc(RawInput(tmp_path / "w.warc", "w.warc"), iter([data[i:i + 4096] for i in range(0, len(data), 4096)]),
              res, cap=20_000)
    assert [d.url for d in res.documents] == [f"https://s.example/{k}" for k in (1, 2, 3)]
    (rej,) = res.rejections
    assert rej.source == "w.warc#2" and "longer than the cap" in rej.error


def test_a_warc_gz_larger_than_the_cap_is_read_and_a_bomb_is_not(tmp_path):
    pages = [_page(k, size=30_000) for k in range(120)]  # (~3.6 MB inflated: over a cap of 1 MB)
    (tmp_path / "big.warc.gz").write_bytes(b"".join(_warc([p], gz=True) for p in pages))
    r = read_input(RawInput(tmp_path / "big.warc.gz", "big.warc.gz"), max_decompressed_bytes=1 << 20)
    assert not r.rejections and len(r.documents) == 120
    bomb = gzip.compress(_warc([_page(0)]) + b" " * (80 << 20))  # (whitespace after a record: 80 MB from 80 KB)
    (tmp_path / "bomb.warc.gz").write_bytes(bomb)
    r = read_input(RawInput(tmp_path / "bomb.warc.gz", "bomb.warc.gz"))
    assert not r.documents and "decompression bomb" in r.rejections[0].error


def test_not_a_warc_is_said_at_once():
    with pytest.raises(ReadError, match="not a WARC"):
        list(_warc_frames(iter([b"   \n", b"hello, not a warc"]), 1 << 20))
    assert list(_warc_frames(iter([b" " * 100, _warc([_page(1)])]), 1 << 20))[0][2] is None
    assert io  # (used by the helpers' WARC writer)
