"""WARC inputs: HTML response records, framed by their own lengths so that one broken record does not
hide the rest.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import zlib
from collections.abc import Iterator

from dechaff.readers.decode import decode_html
from dechaff.readers.discover import doc_id_for
from dechaff.readers.inflate import decompress_capped, inflate_limit, too_large
from dechaff.readers.types import RawInput, ReadError, ReadResult, Rejection, html_document, site_of


def read_warc(item: RawInput, data: bytes, res: ReadResult, cap: int) -> None:
    """HTML response records. Every record becomes a document or a rejection (record number, byte
    offset, reason): each is framed here by its own ``Content-Length`` before warcio parses it alone, so
    a record whose length is missing or wrong is rejected by itself and reading resumes at the next
    ``WARC/1.x`` header (never swallowing the records after it), in one pass over the file."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    data = decompress_capped(data, cap, item.rel)
    if not data.lstrip().startswith(b"WARC/"):
        raise ReadError("not a WARC file (no WARC/1.x header at the start)")
    for n, (start, end, error) in enumerate(_warc_frames(data), start=1):
        if error is not None:
            res.rejections.append(Rejection(f"{item.rel}#{n}", f"record {n} (byte {start}): {error}"))
            continue
        warn = io.StringIO()
        try:
            with contextlib.redirect_stderr(warn):
                for rec in ArchiveIterator(io.BytesIO(data[start:end]), arc2warc=True, ensure_http_headers=True):
                    _warc_record(item, rec, n, res, cap)
                    break  # (one record: the frame holds exactly one)
        except (ArchiveLoadFailed, ValueError, EOFError, OSError, zlib.error, IndexError) as e:
            res.rejections.append(Rejection(f"{item.rel}#{n}", f"record {n} (byte {start}): invalid WARC record ({e})"))


_WARC_START = re.compile(rb"\nWARC/1\.[01]\r?\n")
_CONTENT_LENGTH = re.compile(rb"(?im)^content-length:[ \t]*(\d+)[ \t]*\r?$")


def _warc_frames(data: bytes) -> Iterator[tuple[int, int, str | None]]:
    """``(start, end, error)`` of every record: ``data[start:end]`` is one whole record, or ``error``
    says why the record at ``start`` cannot be framed (the next frame starts at the next header)."""
    pos = len(data) - len(data.lstrip())
    n = len(data)
    while pos < n:
        if not data.startswith(b"WARC/", pos):  # bytes between records
            nxt = _WARC_START.search(data, pos)
            stop = nxt.start() + 1 if nxt else n
            yield pos, stop, "invalid WARC record (bytes that are no record, between records)"
            pos = stop
            continue
        head_end = data.find(b"\r\n\r\n", pos)
        nxt = _WARC_START.search(data, pos + 1)
        if head_end < 0 or (nxt is not None and nxt.start() < head_end):
            stop = nxt.start() + 1 if nxt else n
            yield pos, stop, "invalid WARC record (its header block does not end)"
            pos = stop
            continue
        m = _CONTENT_LENGTH.search(data, pos, head_end + 2)
        end = head_end + 4 + int(m.group(1)) if m else -1
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
            yield pos, end + 4, None
            rest = data[end + 4: end + 4 + 64]
            pos = end + 4 + (len(rest) - len(rest.lstrip()))
            continue
        # resync at the next record header after this one's headers
        nxt = _WARC_START.search(data, head_end)
        stop = nxt.start() + 1 if nxt else n
        yield pos, stop, error
        pos = stop


def _warc_record(item: RawInput, rec, n: int, res: ReadResult, cap: int) -> None:
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
        res.documents.append(html_document(f"{doc_id_for(item.rel)}#{rid}", url or src, markup, url, None,
                                            site_of(url, item.rel), hashlib.sha256(body).hexdigest(), enc,
                                            src, f"record {n}"))
    except ReadError as e:
        res.rejections.append(Rejection(src, f"record {n}: {e}"))
