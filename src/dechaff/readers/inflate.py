"""Decompression that stops at a cap and at a ratio (gzip, zstd): a bomb is rejected, not inflated. The
inputs are inflated as streams (:mod:`dechaff.readers.stream`, with ``zstd_pieces``); ``inflate_limit``
bounds a WARC record's HTTP ``Content-Encoding``.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from dechaff.readers.types import ReadError

INFLATE_RATIO = 100  # honest text compresses 3-20x: past this ratio (and INFLATE_FLOOR) it is a bomb
INFLATE_FLOOR = 64 << 20  # ...so small files may still expand to this much whatever their ratio


def inflate_limit(compressed: int, cap: int) -> int:
    """How far ``compressed`` bytes may expand: ``INFLATE_RATIO`` times, at least ``INFLATE_FLOOR``, never
    past ``cap`` (``max_decompressed_mb``)."""
    return min(cap, max(INFLATE_FLOOR, INFLATE_RATIO * compressed))


def too_large(what: str, limit: int, compressed: int, cap: int) -> str:
    why = (f"past the cap of {cap:,} bytes (raise max_decompressed_mb to read it)" if limit == cap else
           f"more than {INFLATE_RATIO}x its {compressed:,} compressed bytes (past {limit:,})")
    return f"{what} expands {why}: a decompression bomb?"


class _Overflow(ReadError):
    """Decompressed data past its limit."""

    def __init__(self, kind: str, cap: int) -> None:
        super().__init__(f"{kind} expands past the cap of {cap:,} bytes: a decompression bomb?")
        self.kind = kind


_ZSTD_STEP = 4096  # compressed bytes fed at a time: one step inflates to at most ~128 MiB


def zstd_pieces(raw: Iterator[bytes], name: str) -> Iterator[bytes]:
    """Inflated pieces of (possibly multi-frame) zstd data given as blocks; a frame cut short is an error."""
    import zstandard

    dctx = zstandard.ZstdDecompressor()
    dobj = dctx.decompressobj()
    in_frame = False
    try:
        for block in raw:
            pending = block
            while pending:
                piece, pending = pending[:_ZSTD_STEP], pending[_ZSTD_STEP:]
                while piece:
                    in_frame = True
                    out = dobj.decompress(piece)
                    if out:
                        yield out
                    piece = b""
                    if dobj.eof:  # a frame ended: the rest is the next frame
                        in_frame = False
                        piece = dobj.unused_data
                        dobj = dctx.decompressobj()
    except zstandard.ZstdError as e:
        raise ReadError(f"corrupt zstd data in {name}: {e}") from None
    if in_frame:
        raise ReadError(f"truncated zstd data in {name} (its last frame does not end)")


def gunzip_capped(data: bytes, cap: int, name: str) -> bytes:
    """Decompress (possibly multi-member) gzip data, refusing to expand past ``cap`` bytes."""
    out = bytearray()
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    buf = data
    try:
        while buf:
            chunk = d.decompress(buf, max(1, cap + 1 - len(out)))
            out += chunk
            if len(out) > cap:
                raise _Overflow("gzip", cap)
            buf = d.unconsumed_tail
            if d.eof:
                buf = d.unused_data
                if buf.strip(b"\x00"):
                    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                else:
                    break
        if not d.eof:
            raise ReadError(f"truncated or corrupt gzip data in {name}")
    except zlib.error as e:
        raise ReadError(f"corrupt gzip data: {e}") from None
    return bytes(out)


