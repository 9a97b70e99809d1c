"""WARC inputs: HTML response records, framed by their own lengths so that one broken record does not
hide the rest.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import zlib
from collections.abc import Callable, Iterable, Iterator

from dechaff.model import Document
from dechaff.readers.decode import decode_html
from dechaff.readers.discover import doc_id_for
from dechaff.readers.inflate import inflate_limit, too_large
from dechaff.readers.types import RawInput, ReadError, ReadResult, Rejection, html_document, site_of


def read_warc(item: RawInput, chunks: Iterable[bytes], res: ReadResult, cap: int,
              emit: Callable[[Document], None] | None = None) -> None:
    """HTML response records of a WARC stream (``chunks``: its inflated content, see
    :func:`dechaff.readers.stream.stream_chunks`), handed to ``emit`` one by one (by default appended to
    ``res.documents``). Every record becomes a document or a rejection (record number, byte offset,
    reason): each is framed here by its own ``Content-Length`` before warcio parses it alone, so a record
    whose length is missing or wrong is rejected by itself and reading resumes at the next ``WARC/1.x``
    header (never swallowing the records after it), in one pass. Only one record is held at a time; one
    longer than ``cap`` is rejected alone and skipped."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    emit = emit or res.documents.append
    for n, (start, record, error) in enumerate(_warc_frames(iter(chunks), cap), start=1):
        if error is not None:
            res.rejections.append(Rejection(f"{item.rel}#{n}", f"record {n} (byte {start}): {error}"))
            continue
        warn = io.StringIO()
        try:
            with contextlib.redirect_stderr(warn):
                for rec in ArchiveIterator(io.BytesIO(record), arc2warc=True, ensure_http_headers=True):
                    _warc_record(item, rec, n, res, cap, emit)
                    break  # (one record: the frame holds exactly one)
        except (ArchiveLoadFailed, ValueError, EOFError, OSError, zlib.error, IndexError) as e:
            res.rejections.append(Rejection(f"{item.rel}#{n}", f"record {n} (byte {start}): invalid WARC record ({e})"))


_WARC_START = re.compile(rb"\nWARC/1\.[01]\r?\n")
_CONTENT_LENGTH = re.compile(rb"(?im)^content-length:[ \t]*(\d+)[ \t]*\r?$")
_MORE = (-1, -1, None)  # (_frame: the buffer ends too soon to tell)
_AFTER = 4 + 64  # bytes after a record's block that tell whether its length ends it (terminator, next header)
_WS = b" \t\n\r\x0b\x0c"


def _warc_frames(chunks: Iterator[bytes], cap: int) -> Iterator[tuple[int, bytes | None, str | None]]:
    """``(offset, record, error)`` of every record of the stream: ``record`` is one whole record's bytes, or
    ``error`` says why the record at ``offset`` cannot be framed (the next frame starts at the next
    header). The stream is held from the current record on, never more than about ``cap`` bytes of it."""
    buf, base, pos, eof = bytearray(), 0, 0, False  # base: the stream offset of buf[0]

    def more() -> None:  # (a bytearray grows in place: a long record is not copied at every chunk)
        nonlocal base, pos, eof
        del buf[:pos]
        base, pos = base + pos, 0
        chunk = next(chunks, None)
        if chunk is None:
            eof = True
        else:
            buf.extend(chunk)

    while not eof and len(buf.lstrip(_WS)) < 5:
        more()
    if not buf.lstrip(_WS).startswith(b"WARC/"):
        raise ReadError("not a WARC file (no WARC/1.x header at the start)")
    pos = len(buf) - len(buf.lstrip(_WS))
    while True:
        if pos >= len(buf):
            if eof:
                return
            more()
            continue
        frame = _frame(buf, pos, eof)
        start, stop, error = frame
        if frame is _MORE:  # (the record goes on past the buffer)
            if len(buf) - pos <= cap + _AFTER:
                more()
                continue
            # longer than the cap: rejected, and skipped to the next record header
            yield base + pos, None, f"invalid WARC record (longer than the cap of {cap:,} bytes: raise " \
                                    "max_decompressed_mb to read it)"
            pos += 1
            while True:
                nxt = _WARC_START.search(buf, pos)
                if nxt is not None or eof:
                    pos = nxt.start() + 1 if nxt else len(buf)
                    break
                pos = max(pos, len(buf) - 16)
                more()
        elif error is None:
            yield base + start, bytes(buf[start:stop]), None
            rest = buf[stop: stop + 64]
            pos = stop + (len(rest) - len(rest.lstrip(_WS)))
        else:
            yield base + start, None, error
            pos = stop


def _frame(data: bytes | bytearray, pos: int, eof: bool) -> tuple[int, int, str | None]:
    """The record at ``pos`` of ``data``: ``(pos, end, None)`` when ``data[pos:end]`` is one whole record,
    ``(pos, stop, error)`` when it cannot be framed (``stop``: the next record header), or ``_MORE`` when
    ``data`` ends before that can be told (and is not the end of the stream: ``eof`` False)."""
    n = len(data)
    if not data.startswith(b"WARC/", pos):  # bytes between records
        if not eof and n - pos < 5:
            return _MORE
        nxt = _WARC_START.search(data, pos)
        if nxt is None and not eof:
            return _MORE
        stop = nxt.start() + 1 if nxt else n
        return pos, stop, "invalid WARC record (bytes that are no record, between records)"
    head_end = data.find(b"\r\n\r\n", pos)
    nxt = _WARC_START.search(data, pos + 1)
    if head_end < 0 and nxt is None and not eof:
        return _MORE
    if head_end < 0 or (nxt is not None and nxt.start() < head_end):
        stop = nxt.start() + 1 if nxt else n
        return pos, stop, "invalid WARC record (its header block does not end)"
    m = _CONTENT_LENGTH.search(data, pos, head_end + 2)
    end = head_end + 4 + int(m.group(1)) if m else -1
    if m is not None and not eof and n < end + _AFTER:
        return _MORE
    if m is None:
        error = "invalid WARC record (no Content-Length)"
    elif end > n:
        error = f"invalid WARC record (its Content-Length {int(m.group(1)):,} runs past the end of the file)"
    elif not data.startswith(b"\r\n\r\n", end) or not (
            end + 4 >= n or data[end + 4:end + 4 + 64].lstrip().startswith(b"WARC/")
            or _WARC_START.search(data, head_end, end) is None):
        # (the block must end in its terminator, and be followed by a record or the end of the file,
        # unless it holds no record header: a too-long length swallows the next record's)
        error = f"invalid WARC record (its Content-Length {int(m.group(1)):,} does not end it)"
    else:
        return pos, end + 4, None
    # resync at the next record header after this one's headers
    nxt = _WARC_START.search(data, head_end)
    if nxt is None and not eof:
        return _MORE
    return pos, nxt.start() + 1 if nxt else n, error


def _warc_record(item: RawInput, rec, n: int, res: ReadResult, cap: int, emit: Callable[[Document], None]) -> None:
    if rec.rec_type != "response":
        return
    url = rec.rec_headers.get_header("WARC-Target-URI")
    src = f"{item.rel}#{n}" if not url else f"{item.rel}#{n} {url}"
    ctype = (rec.http_headers.get_header("Content-Type") if rec.http_headers else "") or ""
    if "html" not in ctype.lower():
        return
    limit = inflate_limit(int(rec.length or 0), cap)  # (its HTTP Content-Encoding inflates it here)
    try:
        body = rec.content_stream().read(limit + 1)
    except Exception as e:  # noqa: BLE001 - any decoding failure of one record rejects that record
        res.rejections.append(Rejection(src, f"record {n}: cannot read the payload ({e})"))
        return
    if len(body) > limit:
        res.rejections.append(Rejection(src, f"record {n}: {too_large('the payload', limit, int(rec.length or 0), cap)}"))
        return
    declared = None
    if "charset=" in ctype.lower():
        declared = ctype.lower().split("charset=")[-1].split(";")[0].strip() or None
    rid = (rec.rec_headers.get_header("WARC-Record-ID") or f"{n}").strip("<>").removeprefix("urn:uuid:")
    try:
        markup, enc = decode_html(body, declared)
        emit(html_document(f"{doc_id_for(item.rel)}#{rid}", url or src, markup, url, None, site_of(url, item.rel),
                           hashlib.sha256(body).hexdigest(), enc, src, f"record {n}"))
    except ReadError as e:
        res.rejections.append(Rejection(src, f"record {n}: {e}"))
