"""``read_input``: one raw input read into documents and rejections.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import PurePosixPath

from dechaff.model import Document
from dechaff.readers.decode import decode_html, decode_text
from dechaff.readers.discover import doc_id_for, open_regular
from dechaff.readers.jsonl import read_jsonl
from dechaff.readers.parquet import read_parquet
from dechaff.readers.stream import stream_chunks, stream_lines
from dechaff.readers.types import (
    DEFAULT_MAX_DECOMPRESSED,
    SUPPORTED,
    ParquetColumns,
    RawInput,
    ReadError,
    ReadResult,
    Rejection,
    Span,
    html_document,
)
from dechaff.readers.warc import read_warc


# ----------------------------------------------------------------------------------------- readers
def read_input(item: RawInput, *, content_sha256: str | None = None,
               max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED,
               parquet_columns: ParquetColumns | None = None,
               on_document: Callable[[Document], None] | None = None) -> ReadResult:
    """Read one raw input. Never raises for bad content: failures come back as rejections. HTML comes
    back as markup (``Document.markup``): the shard step extracts it. ``content_sha256``: what the run
    listed; an input that no longer hashes to it is left for the next run.

    ``on_document``: the documents are handed to it one by one instead of being collected in
    ``res.documents``; a JSONL input's as they are read, so that a large file is never held. If the input
    then fails as a whole (truncated, or changed while it was read), ``res.discard`` is set: the documents
    handed over must be thrown away."""
    res = ReadResult()
    kind = item.kind
    if kind is None:
        suffix = PurePosixPath(item.rel).suffix or "(none)"
        res.rejections.append(Rejection(item.rel, f"skipped: unsupported file type {suffix}; "
                                                  f"dechaff reads {', '.join(SUPPORTED)}"))
        return res
    emitted = 0

    def emit(d: Document) -> None:
        nonlocal emitted
        d.input = item.rel
        emitted += 1
        on_document(d)  # type: ignore[misc]

    try:
        if item.span is not None:
            if not _read_span(item, max_decompressed_bytes, res, emit if on_document else None):
                return _retry(res, item.rel, "changed while the run was reading it (its size or mtime is not "
                                             "what the run listed); the next run reads it", emitted)
            sha = content_sha256  # (a piece cannot check the file's hash: its size and mtime were checked)
        elif kind in ("jsonl", "warc"):
            sha = _read_streamed(item, max_decompressed_bytes, res, emit if on_document else None)
        else:
            sha = _read_whole(item, kind, content_sha256, max_decompressed_bytes, parquet_columns, res)
    except PermissionError:
        return _retry(res, item.rel, "cannot be read: permission denied", emitted)
    except OSError as e:
        return _retry(res, item.rel, f"cannot be read: {e.strerror or e}", emitted)
    if content_sha256 is not None and sha != content_sha256:
        return _retry(res, item.rel, "changed while the run was reading it (its content is not what the run "
                                     "listed); the next run reads it", emitted)
    if emitted and any(r.source == item.rel for r in res.rejections):
        res.discard = True  # (rejected whole after some of its documents were handed over)
    for d in res.documents:
        d.input = item.rel
    if on_document is not None:
        docs, res.documents = res.documents, []
        for d in docs:
            emit(d)
    res.n_documents = emitted if on_document is not None else len(res.documents)
    return res


def _read_whole(item: RawInput, kind: str, expected: str | None, cap: int, columns: ParquetColumns | None,
                res: ReadResult) -> str:
    """A text, HTML or Parquet input read whole; returns its hash (nothing is parsed when it is not
    the ``expected`` one)."""
    with open_regular(item.path) as f:
        data = f.read()
    sha = hashlib.sha256(data).hexdigest()  # what is stored is what was read
    if expected is not None and sha != expected:
        return sha
    try:
        if kind == "text":
            if not data.strip():
                raise ReadError("empty file (no text)")
            text, enc = decode_text(data)
            if not text.strip():
                raise ReadError("empty file (whitespace only)")
            res.documents.append(Document(doc_id=doc_id_for(item.rel), source=item.rel, text=text,
                                          site=item.site, content_sha256=sha, encoding=enc, fmt="text"))
        elif kind == "html":
            if not data.strip():
                raise ReadError("empty file (no HTML)")
            markup, enc = decode_html(data)
            res.documents.append(html_document(doc_id_for(item.rel), item.rel, markup, None, None,
                                               item.site, sha, enc, item.rel))
        elif kind == "parquet":
            read_parquet(item, data, res, columns or ParquetColumns())
    except ReadError as e:
        res.documents.clear()
        res.rejections.append(Rejection(item.rel, str(e)))
    return sha


def _read_streamed(item: RawInput, cap: int, res: ReadResult, emit: Callable[[Document], None] | None) -> str:
    """A JSONL or WARC input read, hashed and inflated a chunk at a time (see :mod:`dechaff.readers.stream`),
    its documents handed to ``emit`` as they come (else collected); returns the hash of the whole file."""
    hasher = hashlib.sha256()
    with open_regular(item.path) as f:
        size = os.fstat(f.fileno()).st_size
        try:
            if item.kind == "warc":
                read_warc(item, stream_chunks(f, item.rel, size, hasher), res, cap, emit)
            else:
                read_jsonl(item, stream_lines(f, item.rel, size, cap, hasher), res, emit)
        except ReadError as e:
            _reject_whole(res, item.rel, str(e))
        for rest in iter(lambda: f.read(1 << 20), b""):  # (the hash covers the whole file)
            hasher.update(rest)
    return hasher.hexdigest()


def _read_span(item: RawInput, cap: int, res: ReadResult, emit: Callable[[Document], None] | None) -> bool:
    """A piece of a plain JSONL input (``item.span``), streamed; False when the file is no longer the one the
    run listed (size or mtime), before or after reading."""
    span = item.span
    assert span is not None
    with open_regular(item.path) as f:
        if not _as_listed(os.fstat(f.fileno()), span):
            return False
        f.seek(span.start)
        try:
            read_jsonl(item, stream_lines(_Upto(f, span.end - span.start), item.rel, span.size, cap, _NoHash()),
                       res, emit, first_line=span.first_line, whole=False)
        except ReadError as e:
            _reject_whole(res, item.rel, str(e))
        return _as_listed(os.fstat(f.fileno()), span) and _as_listed(os.stat(item.path), span)


def _as_listed(st: os.stat_result, span: Span) -> bool:
    return st.st_size == span.size and st.st_mtime_ns == span.mtime_ns


class _Upto:
    """The next ``n`` bytes of ``f`` and no more."""

    def __init__(self, f, n: int) -> None:
        self.f, self.left = f, n

    def read(self, n: int = -1) -> bytes:
        n = self.left if n is None or n < 0 else min(n, self.left)
        b = self.f.read(n) if n else b""
        self.left -= len(b)
        return b

    def readable(self) -> bool:
        return True


class _NoHash:
    def update(self, _b: bytes) -> None:
        pass


def _reject_whole(res: ReadResult, rel: str, why: str) -> None:
    """The whole input is rejected: nothing of it is kept, and its records' own rejections would only be
    noise."""
    res.documents.clear()
    res.rejections[:] = [Rejection(rel, why)]


def _retry(res: ReadResult, rel: str, why: str, emitted: int = 0) -> ReadResult:
    """The input could not be read now: nothing of it is kept, and the next run tries again."""
    _reject_whole(res, rel, why)
    res.retry = True
    res.discard = emitted > 0
    return res
