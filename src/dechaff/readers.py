"""Readers: raw inputs (files under the raw directory) to :class:`~dechaff.model.Document` objects.

Supported: ``.txt``/``.md`` (UTF-8, BOMs, else detected encoding), ``.html``/``.htm`` (beautifulsoup4's
encoding detection, lxml for the tree), ``.jsonl`` and its ``.gz``/``.zst`` forms (one object per line
with ``text`` or ``html``; optional ``id``, ``url``, ``title``, ``site``), ``.parquet`` (one document per
row; column names in :class:`ParquetColumns`), ``.warc`` and its ``.gz``/``.zst`` forms (HTML response
records). Compressed inputs expand at most to ``max_decompressed_bytes``.

A reader never raises for bad input: a file that cannot be read becomes a :class:`Rejection` naming the
file and the cause; in a container (JSONL, WARC) a bad line or record is rejected alone and the good ones
are kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from dechaff.model import Document

TEXT_EXT = (".txt", ".md")
HTML_EXT = (".html", ".htm")
JSONL_EXT = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".ndjson")
WARC_EXT = (".warc", ".warc.gz", ".warc.zst")
PARQUET_EXT = (".parquet",)
SUPPORTED = TEXT_EXT + HTML_EXT + JSONL_EXT + WARC_EXT + PARQUET_EXT
PARQUET_BATCH = 10_000  # rows read at a time from a Parquet input

DEFAULT_MAX_DECOMPRESSED = 2 << 30  # 2 GiB: a gzip member expanding past this is a bomb, not a corpus


class ReadError(Exception):
    """An input that cannot be read; the message is for the user and names the cause."""


@dataclass(frozen=True, slots=True)
class ParquetColumns:
    """The columns of a Parquet input (``[parquet]`` in ``dechaff.toml``): ``text`` or ``html`` holds the
    document; ``id``, ``url``, ``title``, ``site`` are read when the file has them."""

    text: str = "text"
    html: str = "html"
    id: str = "id"
    url: str = "url"
    title: str = "title"
    site: str = "site"


@dataclass(frozen=True, slots=True)
class RawInput:
    """One file found under the raw directory. ``rel`` is its POSIX path relative to the raw dir."""

    path: Path
    rel: str

    @property
    def kind(self) -> str | None:
        name = self.rel.lower()
        for kind, exts in (("jsonl", JSONL_EXT), ("warc", WARC_EXT), ("parquet", PARQUET_EXT), ("html", HTML_EXT),
                           ("text", TEXT_EXT)):
            if name.endswith(exts):
                return kind
        return None

    @property
    def site(self) -> str:
        """The raw subfolder: files in one folder are taken to come from one site."""
        parent = str(PurePosixPath(self.rel).parent)
        return "" if parent == "." else parent


@dataclass(frozen=True, slots=True)
class Rejection:
    source: str
    error: str


@dataclass(slots=True)
class ReadResult:
    documents: list[Document] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    # the input could not be read now (it vanished, or changed since it was listed): the next run
    # tries again, so it must not be recorded as ingested or rejected for its content
    retry: bool = False


def discover(raw_dir: Path, skip: Path | None = None) -> tuple[list[RawInput], list[Rejection]]:
    """Every regular file under ``raw_dir`` (recursively, hidden files and folders skipped), sorted by
    relative path: that order is the ingestion order. What is not read, and why: symlinks that lead out
    of ``raw_dir`` (files or folders), symlinked folders (never followed: loops), FIFOs, sockets and
    devices (reading them hangs or never ends). A symlink to a regular file inside ``raw_dir`` is read.
    ``skip``: a folder inside ``raw_dir`` to leave out (the output folder, when it sits there)."""
    raw_dir = Path(raw_dir)
    root_real = os.path.realpath(raw_dir)
    skip_real = os.path.realpath(skip) if skip is not None else None
    found: list[RawInput] = []
    refused: list[Rejection] = []
    for root, dirs, files in os.walk(raw_dir, followlinks=False):
        keep = []
        for d in sorted(dirs):
            p = Path(root) / d
            if d.startswith(".") or (skip_real is not None and os.path.realpath(p) == skip_real):
                continue
            if p.is_symlink():
                refused.append(Rejection(_rel(p, raw_dir), "skipped: a symlinked folder (not followed)"))
                continue
            keep.append(d)
        dirs[:] = keep
        for name in files:
            if name.startswith("."):
                continue
            p = Path(root) / name
            rel = _rel(p, raw_dir)
            why = _not_a_regular_file(p, root_real)
            if why:
                refused.append(Rejection(rel, f"skipped: {why}; not read"))
            else:
                found.append(RawInput(p, rel))
    found.sort(key=lambda r: r.rel)
    refused.sort(key=lambda r: r.source)
    return found, refused


def _rel(p: Path, raw_dir: Path) -> str:
    """A path relative to the raw dir, as text; a file name that is not valid UTF-8 keeps its bytes as
    backslash escapes (``caf\\xe9.txt``), so that it can be written and read back."""
    rel = p.relative_to(raw_dir).as_posix()
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _not_a_regular_file(p: Path, root_real: str) -> str | None:
    """Why ``p`` must not be opened, or None for a regular file (or a symlink to one inside the raw dir)."""
    try:
        st = os.lstat(p)
        if stat.S_ISLNK(st.st_mode):
            target = os.path.realpath(p)
            if os.path.commonpath([target, root_real]) != root_real:
                return f"a symlink to {target}, outside the raw folder"
            st = os.stat(p)
    except (OSError, ValueError) as e:
        return f"cannot be examined ({getattr(e, 'strerror', None) or e})"
    if stat.S_ISREG(st.st_mode):
        return None
    kind = ("a FIFO" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
            else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a regular file")
    return kind if not stat.S_ISDIR(st.st_mode) else "a symlinked folder (not followed)"


def open_regular(path: Path):
    """Open ``path`` for reading only if it is a regular file when opened (a FIFO put in its place
    after discovery would block the run): O_NONBLOCK for the open, then a check of what was opened."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file (it changed since the run listed it)")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open_regular(path) as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def doc_id_for(rel: str) -> str:
    """A file's doc_id: its relative path without the format extension (``news/000_x.txt`` ->
    ``news/000_x``)."""
    low = rel.lower()
    for ext in sorted(SUPPORTED, key=len, reverse=True):
        if low.endswith(ext):
            return rel[: -len(ext)]
    return rel


# ----------------------------------------------------------------------------------------- decoding
def _control_ratio(text: str) -> float:
    if not text:
        return 0.0
    sample = text[:65536]
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\n\r\t\f\v") or ch == "\ufffd")
    return bad / len(sample)


def decode_text(data: bytes) -> tuple[str, str]:
    """Bytes of a text file to ``(text, encoding)``. UTF-8 first (with or without BOM), UTF-16/32 by BOM,
    then charset detection. Binary data raises :class:`ReadError`."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    for bom, enc in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                     (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as e:
                raise ReadError(f"starts with a {enc} byte-order mark but does not decode as {enc}: {e}") from None
    head = data[:65536]
    if b"\x00" in head:
        utf16 = _utf16_without_bom(head)
        if utf16:
            try:
                return _strip_controls(data.decode(utf16)), utf16
            except UnicodeDecodeError:
                pass
        if head.count(b"\x00") > len(head) // 100:
            raise ReadError("binary data (NUL bytes), not text")
    try:
        text, enc = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, enc = _decode_legacy(data)
    if _control_ratio(text) > 0.05:
        raise ReadError(f"binary data, not text (too many control characters as {enc})")
    return _strip_controls(text), enc


# single-byte codepages of Latin-script languages: detection cannot tell them apart on short texts, and
# Windows-1252 is by far the most common of them on the web (HTML5 reads latin-1 as cp1252 too)
_LATIN_FAMILY = {"cp1250", "cp1252", "cp1254", "cp1257", "latin_1", "iso8859_1", "iso8859_2", "iso8859_3",
                 "iso8859_4", "iso8859_9", "iso8859_10", "iso8859_13", "iso8859_14", "iso8859_15",
                 "iso8859_16", "mac_latin2", "mac_roman", "mac_iceland", "mac_turkish", "cp775", "cp850",
                 "cp437", "cp858"}


def _decode_legacy(data: bytes) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 1 << 20]).best()
    if best is None:
        raise ReadError("binary data or an unknown text encoding (not UTF-8, no encoding detected)")
    enc = best.encoding
    if enc in _LATIN_FAMILY:
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode(enc), enc
    except (UnicodeDecodeError, LookupError):
        raise ReadError(f"does not decode as its detected encoding {enc}") from None


def _utf16_without_bom(head: bytes) -> str | None:
    even, odd = head[0::2], head[1::2]
    if len(head) >= 4:
        if odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
            return "utf-16-be"
    return None


def _strip_controls(text: str) -> str:
    """NULs and other C0 controls (but tab/newlines) carry no text; drop them. Lone surrogates (a JSON
    ``"\\udcff"``) are no text either, and no UTF-8 can hold them: they are kept as escapes."""
    return _clean(text.translate(_CONTROLS))


def _clean(text: str) -> str:
    """``text`` as valid Unicode: lone surrogates become their backslash escapes (``\\udcff``)."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


_CONTROLS = {c: None for c in range(32) if chr(c) not in "\n\r\t\f"}


def decode_html(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """HTML bytes to ``(markup, encoding)`` with beautifulsoup4's UnicodeDammit (BOM, HTTP charset,
    ``<meta charset>``, then detection)."""
    from bs4.dammit import UnicodeDammit

    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReadError("binary data (NUL bytes), not HTML")
    known = [declared] if declared else []
    dammit = UnicodeDammit(data, known_definite_encodings=known, is_html=True)
    if dammit.unicode_markup is None:
        raise ReadError("cannot determine the character encoding of this HTML")
    return _strip_controls(dammit.unicode_markup), dammit.original_encoding or "unknown"


INFLATE_RATIO = 100  # honest text compresses 3-20x: past this ratio (and INFLATE_FLOOR) it is a bomb
INFLATE_FLOOR = 64 << 20  # ...so small files may still expand to this much whatever their ratio


def inflate_limit(compressed: int, cap: int) -> int:
    """How far ``compressed`` bytes may expand: ``INFLATE_RATIO`` times, at least ``INFLATE_FLOOR``, never
    past ``cap`` (``max_decompressed_mb``)."""
    return min(cap, max(INFLATE_FLOOR, INFLATE_RATIO * compressed))


def _too_large(what: str, limit: int, compressed: int, cap: int) -> str:
    why = (f"past the cap of {cap:,} bytes (raise max_decompressed_mb to read it)" if limit == cap else
           f"more than {INFLATE_RATIO}x its {compressed:,} compressed bytes (past {limit:,})")
    return f"{what} expands {why}: a decompression bomb?"


def decompress_capped(data: bytes, cap: int, name: str) -> bytes:
    """gzip or zstd data (told by the name's extension or the magic bytes) decompressed, refusing to
    expand past :func:`inflate_limit`; other data as it is."""
    low = name.lower()
    limit = inflate_limit(len(data), cap)
    try:
        if low.endswith(".gz") or data[:2] == b"\x1f\x8b":
            return gunzip_capped(data, limit, name)
        if low.endswith(".zst") or data[:4] == b"\x28\xb5\x2f\xfd":
            return unzstd_capped(data, limit, name)
    except _Overflow as e:
        raise ReadError(_too_large(e.kind, limit, len(data), cap)) from None
    return data


class _Overflow(ReadError):
    """Decompressed data past its limit."""

    def __init__(self, kind: str, cap: int) -> None:
        super().__init__(f"{kind} expands past the cap of {cap:,} bytes: a decompression bomb?")
        self.kind = kind


_ZSTD_STEP = 4096  # compressed bytes fed at a time: one step expands to at most ~128 MiB, then the cap is checked


def unzstd_capped(data: bytes, cap: int, name: str) -> bytes:
    """Decompress (possibly multi-frame) zstd data, refusing to expand past ``cap`` bytes; a truncated
    frame is an error."""
    import zstandard

    dctx = zstandard.ZstdDecompressor()
    out = bytearray()
    dobj = dctx.decompressobj()
    pending = b""
    pos = 0
    try:
        while pos < len(data) or pending:
            if pending:
                chunk, pending = pending, b""
            else:
                chunk, pos = data[pos: pos + _ZSTD_STEP], pos + _ZSTD_STEP
            out += dobj.decompress(chunk)
            if len(out) > cap:
                raise _Overflow("zstd", cap)
            if dobj.eof:  # a frame ended: the rest is the next frame
                pending = dobj.unused_data
                dobj = dctx.decompressobj()
                if not pending and pos >= len(data):
                    return bytes(out)
    except zstandard.ZstdError as e:
        raise ReadError(f"corrupt zstd data in {name}: {e}") from None
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


# ----------------------------------------------------------------------------------------- readers
def read_input(item: RawInput, *, content_sha256: str | None = None,
               max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED, keep_comments: bool = False,
               parquet_columns: ParquetColumns | None = None) -> ReadResult:
    """Read one raw input. Never raises for bad content: failures come back as rejections.
    ``keep_comments`` goes to the HTML extractor (reader comment sections are kept, not labelled)."""
    res = ReadResult()
    kind = item.kind
    if kind is None:
        suffix = PurePosixPath(item.rel).suffix or "(none)"
        res.rejections.append(Rejection(item.rel, f"skipped: unsupported file type {suffix}; "
                                                  f"dechaff reads {', '.join(SUPPORTED)}"))
        return res
    try:
        with open_regular(item.path) as f:
            data = f.read()
    except PermissionError:
        res.rejections.append(Rejection(item.rel, "cannot be read: permission denied"))
        res.retry = True
        return res
    except OSError as e:
        res.rejections.append(Rejection(item.rel, f"cannot be read: {e.strerror or e}"))
        res.retry = True
        return res
    sha = hashlib.sha256(data).hexdigest()  # what is stored is what was read
    if content_sha256 is not None and sha != content_sha256:
        res.rejections.append(Rejection(item.rel, "changed while the run was reading it (its content is not "
                                                  "what the run listed); the next run reads it"))
        res.retry = True
        return res
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
            res.documents.append(_html_document(doc_id_for(item.rel), item.rel, markup, None, None,
                                                item.site, sha, enc, keep_comments))
        elif kind == "jsonl":
            _read_jsonl(item, decompress_capped(data, max_decompressed_bytes, item.rel), res, keep_comments)
        elif kind == "parquet":
            _read_parquet(item, data, res, parquet_columns or ParquetColumns(), keep_comments)
        elif kind == "warc":
            _read_warc(item, data, res, max_decompressed_bytes, keep_comments)
    except ReadError as e:
        res.documents.clear()
        res.rejections.append(Rejection(item.rel, str(e)))
    except RecursionError:
        res.documents.clear()
        res.rejections.append(Rejection(item.rel, "markup nested too deeply to parse"))
    return res


def _html_document(doc_id: str, source: str, markup: str, url: str | None, title: str | None,
                   site: str, sha: str, enc: str | None, keep_comments: bool = False) -> Document:
    from dechaff.extract import extract_blocks

    page = extract_blocks(markup, url=url, keep_comments=keep_comments)
    pieces = page.all_blocks()  # with the chrome cut out of blocks, so that the audit records it too
    doc = Document(doc_id=doc_id, source=source, text="\n\n".join(t for t, _d in pieces),
                   url=url, title=title or page.title, site=site, content_sha256=sha, encoding=enc, fmt="html")
    doc.hints = [d for _t, d in pieces]
    return doc


def _site_of(url: str | None, fallback: str) -> str:
    if url:
        host = urlsplit(url).hostname
        if host:
            return host.removeprefix("www.")
    return fallback


def _read_jsonl(item: RawInput, data: bytes, res: ReadResult, keep_comments: bool = False) -> None:
    base = doc_id_for(item.rel)
    n_lines = 0
    for lineno, raw in enumerate(io.BytesIO(data), start=1):
        if not raw.strip():
            continue
        n_lines += 1
        src = f"{item.rel}:{lineno}"
        try:
            obj = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            res.rejections.append(Rejection(src, f"line {lineno}: not valid JSON ({e})"))
            continue
        if not isinstance(obj, dict):
            res.rejections.append(Rejection(src, f"line {lineno}: expected a JSON object, got {type(obj).__name__}"))
            continue
        text, html = obj.get("text"), obj.get("html")
        if not isinstance(text, str) and not isinstance(html, str):
            res.rejections.append(Rejection(src, f"line {lineno}: no 'text' or 'html' string field"))
            continue
        url = _clean(obj["url"]) if isinstance(obj.get("url"), str) else None
        title = _clean(obj["title"]) if isinstance(obj.get("title"), str) else None
        doc_id = _clean(str(obj["id"])) if obj.get("id") not in (None, "") else f"{base}#{lineno}"
        sha = hashlib.sha256(raw.rstrip(b"\r\n")).hexdigest()
        # the record's own site, else its URL's host, else the file: one JSONL file is one site
        site = _clean(obj["site"].strip()) if isinstance(obj.get("site"), str) and obj["site"].strip() else \
            _site_of(url, item.rel)
        if isinstance(text, str):
            if not text.strip():
                res.rejections.append(Rejection(src, f"line {lineno}: empty 'text'"))
                continue
            res.documents.append(Document(doc_id=doc_id, source=src, text=_strip_controls(text), url=url,
                                          title=title, site=site, content_sha256=sha, encoding="utf-8"))
        else:
            try:
                res.documents.append(_html_document(doc_id, src, _strip_controls(html), url, title, site,
                                                    sha, "utf-8", keep_comments))
            except RecursionError:
                res.rejections.append(Rejection(src, f"line {lineno}: markup nested too deeply to parse"))
    if n_lines == 0:
        raise ReadError("empty file (no JSON lines)")


def _read_parquet(item: RawInput, data: bytes, res: ReadResult, cols: ParquetColumns,
                  keep_comments: bool = False) -> None:
    """One document per row, read ``PARQUET_BATCH`` rows at a time; a row without text is rejected
    alone (``<file>#<row>``, rows counted from 0, as its doc id when it has no id)."""
    import polars as pl

    if not data:
        raise ReadError("empty file (no rows)")
    try:
        lf = pl.scan_parquet(io.BytesIO(data))
        schema = lf.collect_schema()
        n_rows = lf.select(pl.len()).collect().item()
    except Exception as e:  # noqa: BLE001 - whatever polars says of a file that is not Parquet
        raise ReadError(f"not a readable Parquet file ({str(e).splitlines()[0][:200]})") from None
    body = next((c for c in (cols.text, cols.html) if c in schema), None)
    if body is None:
        raise ReadError(f"no column {cols.text!r} or {cols.html!r} (columns: {', '.join(schema.names()[:20])}); "
                        "set [parquet] text = \"...\" in dechaff.toml")
    is_html = body == cols.html and cols.text not in schema
    wanted = [c for c in (body, cols.id, cols.url, cols.title, cols.site) if c in schema]
    if n_rows == 0:
        raise ReadError("empty file (no rows)")
    base = doc_id_for(item.rel)
    for start in range(0, n_rows, PARQUET_BATCH):
        batch = lf.select([pl.col(c).cast(pl.String, strict=False) for c in wanted]) \
            .slice(start, PARQUET_BATCH).collect()
        for k, row in enumerate(batch.iter_rows(named=True), start=start):
            src = f"{item.rel}#{k}"
            text = row.get(body)
            if not isinstance(text, str) or not text.strip():
                res.rejections.append(Rejection(src, f"row {k}: no text in column {body!r}"))
                continue
            url, title = row.get(cols.url) or None, row.get(cols.title) or None
            site = (row.get(cols.site) or "").strip() or _site_of(url, item.rel)
            doc_id = row.get(cols.id) or f"{base}#{k}"
            sha = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
            if is_html:
                try:
                    res.documents.append(_html_document(doc_id, src, _strip_controls(text), url, title, site, sha,
                                                        "utf-8", keep_comments))
                except RecursionError:
                    res.rejections.append(Rejection(src, f"row {k}: markup nested too deeply to parse"))
            else:
                res.documents.append(Document(doc_id=doc_id, source=src, text=_strip_controls(text), url=url,
                                              title=title, site=site, content_sha256=sha, encoding="utf-8"))


def _read_warc(item: RawInput, data: bytes, res: ReadResult, cap: int, keep_comments: bool = False) -> None:
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
                    _warc_record(item, rec, n, res, cap, keep_comments)
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


def _warc_record(item: RawInput, rec, n: int, res: ReadResult, cap: int, keep_comments: bool = False) -> None:
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
        res.rejections.append(Rejection(src, f"record {n}: {_too_large('the payload', limit, int(rec.length or 0), cap)}"))
        return
    declared = None
    if "charset=" in ctype.lower():
        declared = ctype.lower().split("charset=")[-1].split(";")[0].strip() or None
    rid = (rec.rec_headers.get_header("WARC-Record-ID") or f"{n}").strip("<>").removeprefix("urn:uuid:")
    try:
        markup, enc = decode_html(body, declared)
        res.documents.append(_html_document(f"{doc_id_for(item.rel)}#{rid}", url or src, markup, url, None,
                                            _site_of(url, item.rel), hashlib.sha256(body).hexdigest(), enc,
                                            keep_comments))
    except ReadError as e:
        res.rejections.append(Rejection(src, f"record {n}: {e}"))
    except RecursionError:
        res.rejections.append(Rejection(src, f"record {n}: markup nested too deeply to parse"))
