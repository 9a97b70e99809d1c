"""Streaming reads for JSONL and WARC inputs (plain, gzip, zstd): the file is read, hashed and inflated a
chunk at a time, so neither the compressed file nor its inflated content is ever held whole.

Bombs are stopped by two guards instead of a cap on the whole file: the inflated stream may not grow past
``INFLATE_RATIO`` times the file's size (at least ``INFLATE_FLOOR``: honest text compresses 3-20x), and no
single line or WARC record may be longer than ``max_decompressed_mb`` (a record, not the file). A
legitimate 3 GB ``.jsonl.gz`` or ``.warc.gz`` is read; 2 MB that inflate to 2 GB are not.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from dechaff.readers.inflate import INFLATE_FLOOR, INFLATE_RATIO, zstd_pieces
from dechaff.readers.types import ReadError

CHUNK = 1 << 20  # inflated bytes taken at a time


class _Hashing:
    """A read-only file object that hashes what is read through it."""

    def __init__(self, f: BinaryIO, hasher) -> None:
        self.f, self.hasher = f, hasher

    def read(self, n: int = -1) -> bytes:
        b = self.f.read(n)
        self.hasher.update(b)
        return b

    def readable(self) -> bool:
        return True


def compression(head: bytes, name: str) -> str:
    """``gzip``, ``zstd`` or ``plain``: by the name's extension or the first bytes (``head``, 4 of them)."""
    low = name.lower()
    if low.endswith(".gz") or head[:2] == b"\x1f\x8b":
        return "gzip"
    if low.endswith(".zst") or head[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    return "plain"


def stream_chunks(f: BinaryIO, name: str, size: int, hasher) -> Iterator[bytes]:
    """The content of ``f`` (``size`` bytes on disk) a chunk at a time, inflated when it is gzip or zstd
    (several concatenated members included); every byte read is fed to ``hasher``. Raises
    :class:`ReadError` for corrupt or truncated data, or a bomb (inflating past ``INFLATE_RATIO`` times
    the file's size, and ``INFLATE_FLOOR``)."""
    raw = _Hashing(f, hasher)
    head = raw.read(4)
    kind = compression(head, name)
    src = _Prefixed(head, raw)
    try:
        if kind == "gzip":
            reader = gzip.GzipFile(fileobj=src, mode="rb")
            chunks: Iterator[bytes] = iter(lambda: reader.read(CHUNK), b"")
        else:
            chunks = iter(lambda: src.read(CHUNK), b"")
            if kind == "zstd":
                chunks = zstd_pieces(chunks, name)
        if kind == "plain":
            yield from chunks
            return
        limit = max(INFLATE_FLOOR, INFLATE_RATIO * size)
        total = 0
        for chunk in chunks:
            total += len(chunk)
            if total > limit:
                raise ReadError(f"{kind} data expands more than {INFLATE_RATIO}x its {size:,} compressed bytes "
                                f"(past {limit:,}): a decompression bomb?")
            yield chunk
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise ReadError(f"truncated or corrupt gzip data in {name} ({e})") from None


def stream_lines(f: BinaryIO, name: str, size: int, max_line: int, hasher) -> Iterator[bytes]:
    """The lines of ``f`` (see :func:`stream_chunks`). Raises :class:`ReadError` for corrupt or truncated
    data, a bomb, or a line longer than ``max_line`` bytes."""
    return _lines(stream_chunks(f, name, size, hasher), max_line)


class _Prefixed:
    """``head`` (already read, to sniff the format) then the rest of ``raw``."""

    def __init__(self, head: bytes, raw: _Hashing) -> None:
        self.head, self.raw = head, raw

    def read(self, n: int = -1) -> bytes:
        if self.head:
            if n is None or n < 0:
                out, self.head = self.head + self.raw.read(), b""
                return out
            out, self.head = self.head[:n], self.head[n:]
            return out if len(out) == n else out + self.raw.read(n - len(out))
        return self.raw.read(n)

    def readable(self) -> bool:
        return True


def _lines(chunks: Iterator[bytes], max_line: int) -> Iterator[bytes]:
    """Lines (with their newline) from a stream of chunks. A line spread over many chunks is joined once
    (its pieces are kept in a list, not re-copied per chunk). A line of more than ``max_line`` bytes (its
    newline included) is refused, however the stream is cut into chunks, and before more than one chunk
    past the cap is held."""
    parts: list[bytes] = []  # the pieces of an unfinished line
    held = 0
    for chunk in chunks:
        start = 0
        nl = chunk.find(b"\n")
        if nl >= 0 and parts:
            _check(held + nl + 1, max_line)
            parts.append(chunk[: nl + 1])
            yield b"".join(parts)
            parts, held, start = [], 0, nl + 1
            nl = chunk.find(b"\n", start)
        while nl >= 0:
            _check(nl + 1 - start, max_line)
            yield chunk[start: nl + 1]
            start = nl + 1
            nl = chunk.find(b"\n", start)
        if start < len(chunk):
            parts.append(chunk[start:])
            held += len(chunk) - start
            _check(held, max_line)
    if parts:
        yield b"".join(parts)


def _check(line_bytes: int, max_line: int) -> None:
    if line_bytes > max_line:
        raise ReadError(f"a line longer than the cap of {max_line:,} bytes (raise max_decompressed_mb "
                        f"to read it): a decompression bomb, or not JSONL?")
