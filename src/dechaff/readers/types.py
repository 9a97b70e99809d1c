"""What readers take and give: the raw input, the result of reading it, rejections; the document a
record becomes.
"""

from __future__ import annotations

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
class Span:
    """A piece of a large plain JSONL file, read by its own shard task: the bytes ``[start, end)`` (whole
    lines: ``start`` is a line's first byte), whose first line is line ``first_line`` of the file. A piece
    cannot check the file's hash, so it checks the ``size`` and ``mtime_ns`` the run listed instead."""

    start: int
    end: int
    first_line: int
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class RawInput:
    """One file found under the raw directory. ``rel`` is its POSIX path relative to the raw dir; ``span``:
    only this piece of it is read (see :class:`Span`)."""

    path: Path
    rel: str
    span: Span | None = None

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
    # documents were handed to the caller one by one (``read_input(on_document=...)``), then the input failed
    # as a whole: the caller throws away what it was handed
    discard: bool = False
    n_documents: int = 0  # documents read (handed over, or in ``documents``)



def html_document(doc_id: str, source: str, markup: str, url: str | None, title: str | None,
                   site: str, sha: str, enc: str | None, ref: str, record: str = "") -> Document:
    """An HTML document as read: its markup, extracted later by the shard step (readers never extract)."""
    return Document(doc_id=doc_id, source=source, text="", url=url, title=title, site=site, content_sha256=sha,
                    encoding=enc, fmt="html", markup=markup, ref=ref, record=record)


def site_of(url: str | None, fallback: str) -> str:
    if url:
        host = urlsplit(url).hostname
        if host:
            return host.removeprefix("www.")
    return fallback


