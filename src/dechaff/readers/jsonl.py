"""JSONL inputs: one document per line with ``text`` or ``html``; a bad line is rejected alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable

from dechaff.model import Document
from dechaff.readers.decode import clean_field, strip_controls
from dechaff.readers.discover import doc_id_for
from dechaff.readers.types import RawInput, ReadError, ReadResult, Rejection, html_document, site_of


def read_jsonl(item: RawInput, lines: Iterable[bytes], res: ReadResult,
               emit: Callable[[Document], None] | None = None, first_line: int = 1, whole: bool = True) -> None:
    """One document per line of ``lines`` (streamed: see :mod:`dechaff.readers.stream`), handed to ``emit``
    as it is read (by default appended to ``res.documents``). ``first_line``: the number of the first line
    of ``lines`` in the file, and ``whole`` False, for a piece of a file (which may hold no record)."""
    base = doc_id_for(item.rel)
    emit = emit or res.documents.append
    n_lines = 0
    for lineno, raw in enumerate(lines, start=first_line):
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
        url = clean_field(obj["url"]) if isinstance(obj.get("url"), str) else None
        title = clean_field(obj["title"]) if isinstance(obj.get("title"), str) else None
        doc_id = clean_field(str(obj["id"])) if obj.get("id") not in (None, "") else f"{base}#{lineno}"
        sha = hashlib.sha256(raw.rstrip(b"\r\n")).hexdigest()
        # the record's own site, else its URL's host, else the file: one JSONL file is one site
        site = clean_field(obj["site"].strip()) if isinstance(obj.get("site"), str) and obj["site"].strip() else \
            site_of(url, item.rel)
        if isinstance(text, str):
            if not text.strip():
                res.rejections.append(Rejection(src, f"line {lineno}: empty 'text'"))
                continue
            emit(Document(doc_id=doc_id, source=src, text=strip_controls(text), url=url, title=title, site=site,
                          content_sha256=sha, encoding="utf-8"))
        else:
            emit(html_document(doc_id, src, strip_controls(html), url, title, site, sha, "utf-8", src,
                               f"line {lineno}"))
    if n_lines == 0 and whole:
        raise ReadError("empty file (no JSON lines)")


