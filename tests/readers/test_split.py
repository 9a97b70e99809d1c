"""Cutting a large plain JSONL into pieces at line starts, while hashing it."""

from __future__ import annotations

import gzip
import json

import pytest

import dechaff.readers.split as split
from dechaff.readers import RawInput, hash_and_split, sha256_file, splittable


def _file(tmp_path):
    lines = [json.dumps({"id": i, "text": "x" * (i % 50)}) + "\n" for i in range(1000)]
    lines[10] = "\n"  # (a blank line counts as a line)
    f = tmp_path / "a.jsonl"
    f.write_text("".join(lines))
    return f, f.read_bytes()


@pytest.mark.parametrize("chunk", [1, 5, 64, 1 << 20])
@pytest.mark.parametrize("piece", [1, 7, 100, 5000])
def test_cuts_are_the_first_line_starts_past_every_piece_size(tmp_path, monkeypatch, chunk, piece):
    monkeypatch.setattr(split, "CHUNK", chunk)  # (cuts found across chunk ends too)
    f, data = _file(tmp_path)
    sha, cuts = hash_and_split(f, piece)
    assert sha == sha256_file(f)
    assert cuts[0] == (0, 1)
    for start, line in cuts:
        assert start == 0 or data[start - 1:start] == b"\n"  # a line's first byte
        assert data[:start].count(b"\n") + 1 == line  # the number of that line
    starts = [s for s, _ in cuts]
    assert all(s < len(data) for s in starts)
    for a, b in zip(starts, starts[1:], strict=False):
        t = a + piece
        assert b == (t if data[t - 1:t] == b"\n" else data.index(b"\n", t - 1) + 1)
    assert len(cuts) > 1 if piece < 5000 else len(cuts) >= 1


def test_a_file_ending_in_a_line_without_newline_and_a_small_file(tmp_path):
    f = tmp_path / "b.jsonl"
    f.write_bytes(b'{"text": "a"}\n{"text": "b"}\n{"text": "c"}')
    assert hash_and_split(f, 10)[1] == [(0, 1), (14, 2), (28, 3)]
    assert hash_and_split(f, 1 << 20)[1] == [(0, 1)]


def test_compressed_content_is_never_cut_whatever_its_name(tmp_path):
    f = tmp_path / "z.jsonl"
    f.write_bytes(gzip.compress(b'{"text": "hello"}\n' * 10_000))
    assert hash_and_split(f, 100)[1] == [(0, 1)]
    assert splittable(RawInput(f, "z.jsonl")) and splittable(RawInput(f, "d/x.ndjson"))
    assert not splittable(RawInput(f, "z.jsonl.gz")) and not splittable(RawInput(f, "z.warc"))
