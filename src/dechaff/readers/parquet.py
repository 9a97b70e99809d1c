"""Parquet inputs: one document per row, read in batches; a row without text is rejected alone.
"""

from __future__ import annotations

import hashlib
import io

from dechaff.model import Document
from dechaff.readers.decode import strip_controls
from dechaff.readers.discover import doc_id_for
from dechaff.readers.types import (
    ParquetColumns,
    RawInput,
    ReadError,
    ReadResult,
    Rejection,
    html_document,
    site_of,
)

PARQUET_BATCH = 10_000  # rows read at a time from a Parquet input
def read_parquet(item: RawInput, data: bytes, res: ReadResult, cols: ParquetColumns) -> None:
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
            site = (row.get(cols.site) or "").strip() or site_of(url, item.rel)
            doc_id = row.get(cols.id) or f"{base}#{k}"
            sha = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
            if is_html:
                res.documents.append(html_document(doc_id, src, strip_controls(text), url, title, site, sha,
                                                    "utf-8", src, f"row {k}"))
            else:
                res.documents.append(Document(doc_id=doc_id, source=src, text=strip_controls(text), url=url,
                                              title=title, site=site, content_sha256=sha, encoding="utf-8"))


