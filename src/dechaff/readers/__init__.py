"""Readers: raw inputs (files under the raw directory) to :class:`~dechaff.model.Document` objects.

Supported: ``.txt``/``.md`` (UTF-8, BOMs, else detected encoding), ``.html``/``.htm`` (beautifulsoup4's
encoding detection, lxml for the tree), ``.jsonl`` and its ``.gz``/``.zst`` forms (one object per line
with ``text`` or ``html``; optional ``id``, ``url``, ``title``, ``site``), ``.parquet`` (one document per
row; column names in :class:`ParquetColumns`), ``.warc`` and its ``.gz``/``.zst`` forms (HTML response
records). Compressed inputs expand at most to ``max_decompressed_bytes``.

A reader never raises for bad input: a file that cannot be read becomes a :class:`Rejection` naming the
file and the cause; in a container (JSONL, WARC) a bad line or record is rejected alone and the good ones
are kept.

The package: ``discover`` (which files are inputs), ``decode`` (bytes to text), ``inflate`` (capped
decompression), ``stream`` (JSONL and WARC read a chunk at a time), ``split`` (a large plain JSONL cut into pieces
for several shard tasks), ``jsonl``, ``parquet``, ``warc`` (containers), ``read`` (``read_input``), ``types``.
Readers decode and open containers; they never extract: HTML comes back as markup
(``Document.markup``) and the shard step (``dechaff.pipeline.shard``) extracts it.
"""

from __future__ import annotations

from dechaff.readers.decode import decode_html, decode_text
from dechaff.readers.discover import discover, doc_id_for, open_regular, sha256_file
from dechaff.readers.inflate import gunzip_capped, inflate_limit
from dechaff.readers.read import read_input
from dechaff.readers.split import hash_and_split, splittable
from dechaff.readers.types import (
    DEFAULT_MAX_DECOMPRESSED,
    SUPPORTED,
    ParquetColumns,
    RawInput,
    ReadError,
    ReadResult,
    Rejection,
    Span,
    site_of,
)

__all__ = [
    "DEFAULT_MAX_DECOMPRESSED",
    "SUPPORTED",
    "ParquetColumns",
    "RawInput",
    "ReadError",
    "ReadResult",
    "Rejection",
    "Span",
    "decode_html",
    "decode_text",
    "discover",
    "doc_id_for",
    "gunzip_capped",
    "hash_and_split",
    "inflate_limit",
    "open_regular",
    "read_input",
    "sha256_file",
    "site_of",
    "splittable",
]
