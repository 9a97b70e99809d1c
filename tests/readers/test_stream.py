"""Streamed JSONL: read, hashed and inflated a chunk at a time; bombs stopped by the ratio and the line
guards, not by a cap on the whole file."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import random

import pytest
import zstandard

from dechaff.readers import RawInput, ReadError, read_input
from dechaff.readers.stream import _lines, stream_lines

WORDS = (["council", "budget", "library", "school", "road", "debate", "funding", "members", "town", "centre", "river", "bridge", "market", "harbour", "weather", "election", "result"])


def _honest_jsonl(n: int, seed: int = 1) -> bytes:
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        text = " ".join(rnd.choice(WORDS) for _ in range(60)) + f" {i}."
        rows.append(json.dumps({"id": f"d{i}", "text": text}))
    return ("\n".join(rows) + "\n").encode()


def test_lines_are_cut_across_chunk_boundaries_and_kept_whole():
    chunks = [b"ab", b"c\nde", b"f", b"", b"\n\ng", b"hi"]
    assert list(_lines(iter(chunks), 100)) == [b"abc\n", b"def\n", b"\n", b"ghi"]


def test_a_line_longer_than_the_cap_is_refused_before_it_is_held():
    chunks = (b"x" * 1000 for _ in range(100))
    with pytest.raises(ReadError, match="longer than the cap"):
        list(_lines(chunks, 10_000))


@pytest.mark.parametrize("cut", [1, 7, 50, 64, 65, 1000])
def test_the_line_cap_is_exact_however_the_stream_is_chunked(cut):
    """A line of exactly the cap (its newline included) is read, one byte more is refused: within one
    chunk, across chunks, and as the last line without a newline."""
    def chunked(data: bytes) -> list[bytes]:
        return [data[i:i + cut] for i in range(0, len(data), cut)]

    ok = b"a\n" + b"x" * 63 + b"\n" + b"y" * 64
    assert list(_lines(iter(chunked(ok)), 64)) == [b"a\n", b"x" * 63 + b"\n", b"y" * 64]
    for bad in (b"a\n" + b"x" * 64 + b"\n" + b"b\n", b"a\n" + b"y" * 65):
        with pytest.raises(ReadError, match="longer than the cap of 64 bytes"):
            list(_lines(iter(chunked(bad)), 64))


@pytest.mark.parametrize("codec", ["gzip", "zstd", "plain"])
def test_an_honest_file_larger_than_the_cap_is_read_whole_and_hashed(tmp_path, codec):
    data = _honest_jsonl(6000)  # ~2.6 MB inflated, read with a cap of 1 MiB (a line is far below it)
    name = {"gzip": "big.jsonl.gz", "zstd": "big.jsonl.zst", "plain": "big.jsonl"}[codec]
    blob = {"gzip": gzip.compress, "zstd": zstandard.ZstdCompressor().compress, "plain": bytes}[codec](data)
    assert len(data) > 2 << 20
    p = tmp_path / name
    p.write_bytes(blob)
    r = read_input(RawInput(p, name), content_sha256=hashlib.sha256(blob).hexdigest(),
                   max_decompressed_bytes=1 << 20)
    assert not r.rejections and len(r.documents) == 6000
    assert r.documents[-1].doc_id == "d5999" and r.documents[0].input == name


def test_multi_member_gzip_and_multi_frame_zstd_join_lines_across_members(tmp_path):
    a, b = b'{"text": "first document of a long', b' run of words"}\n{"text": "second one"}\n'
    for name, blob in (("m.jsonl.gz", gzip.compress(a) + gzip.compress(b)),
                       ("m.jsonl.zst", zstandard.ZstdCompressor().compress(a) + zstandard.ZstdCompressor().compress(b))):
        (tmp_path / name).write_bytes(blob)
        r = read_input(RawInput(tmp_path / name, name))
        assert [d.text for d in r.documents] == ["first document of a long run of words", "second one"], name


def test_a_truncated_zstd_or_gzip_file_is_rejected(tmp_path):
    data = _honest_jsonl(2000)
    for name, blob in (("t.jsonl.zst", zstandard.ZstdCompressor().compress(data)), ("t.jsonl.gz", gzip.compress(data))):
        (tmp_path / name).write_bytes(blob[: len(blob) // 2])
        r = read_input(RawInput(tmp_path / name, name))
        assert not r.documents and "truncated" in r.rejections[0].error, name
        assert len(r.rejections) == 1  # the file, not its records


def test_a_file_that_changed_since_it_was_listed_is_left_for_the_next_run(tmp_path):
    data = _honest_jsonl(50)
    p = tmp_path / "c.jsonl"
    p.write_bytes(data)
    r = read_input(RawInput(p, "c.jsonl"), content_sha256=hashlib.sha256(b"what it was").hexdigest())
    assert r.retry and not r.documents and "changed while the run was reading it" in r.rejections[0].error


def test_the_hash_covers_the_whole_file_even_after_a_rejection(tmp_path):
    bomb = gzip.compress(b" " * (70 << 20)) + b"trailing bytes after the member"
    sink = hashlib.sha256()
    with pytest.raises(ReadError):
        list(stream_lines(io.BytesIO(bomb), "b.jsonl.gz", len(bomb), 1 << 30, sink))
    p = tmp_path / "b.jsonl.gz"
    p.write_bytes(bomb)
    r = read_input(RawInput(p, "b.jsonl.gz"), content_sha256=hashlib.sha256(bomb).hexdigest())
    assert not r.retry and "more than 100x" in r.rejections[0].error  # the listed hash matched: a bomb
