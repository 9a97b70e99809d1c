"""Large plain JSONL files cut into pieces at line starts, so that one file of many gigabytes is read by
many shard tasks (in parallel, each streaming its byte range) instead of one.

The cut points are found while the file is hashed (the run reads every new file once for its hash
anyway): the first line start at or after every multiple of the piece size, with its line number, so
that a piece's records get the ids, sources and line numbers they get when the file is read whole.
Compressed files are not cut (a gzip or zstd stream cannot be entered in the middle): they are read by
one task, streamed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from dechaff.readers.discover import open_regular
from dechaff.readers.stream import CHUNK, compression
from dechaff.readers.types import RawInput


def splittable(item: RawInput) -> bool:
    """A JSONL input that may be cut (by its name: plain, not compressed; the content is checked too)."""
    return item.kind == "jsonl" and item.rel.lower().endswith((".jsonl", ".ndjson"))


def hash_and_split(path: Path, piece_bytes: int) -> tuple[str, list[tuple[int, int]]]:
    """The file's sha256 and the pieces it is cut into, as (start byte, number of the first line), the first
    being (0, 1). One piece when the file is no larger than ``piece_bytes`` or is compressed after all."""
    h = hashlib.sha256()
    starts = [(0, 1)]
    target = piece_bytes
    offset = 0  # bytes before ``chunk``
    lines = 0  # newlines before ``chunk``
    compressed = False
    with open_regular(path) as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
            if offset == 0 and compression(chunk[:4], "") != "plain":
                compressed = True
            if not compressed:
                while offset + len(chunk) >= target:  # the next cut lies in this chunk (or after it)
                    nl = chunk.find(b"\n", max(target - offset - 1, 0))
                    if nl < 0:  # no line ends in the rest of the chunk: look in the next one
                        target = offset + len(chunk)
                        break
                    cut = offset + nl + 1
                    starts.append((cut, lines + chunk.count(b"\n", 0, nl) + 2))
                    target = cut + piece_bytes
                lines += chunk.count(b"\n")
            offset += len(chunk)
    if compressed:
        return h.hexdigest(), [(0, 1)]
    if starts[-1][0] >= offset:  # (a cut at the very end: no piece after it)
        starts.pop()
    return h.hexdigest(), starts
