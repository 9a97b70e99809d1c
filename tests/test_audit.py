"""The audit: every removal becomes one row of ``removed/`` with what, why, which rule and, for a
duplicate, the kept paragraph it matched."""

from __future__ import annotations

import polars as pl
import pytest

from dechaff.audit import Audit
from dechaff.model import KEEP, Decision, Paragraph
from dechaff.store.schemas import REMOVED_SCHEMA


def test_removals_become_rows_of_the_removed_table_in_the_order_recorded():
    audit = Audit("run-1")
    chrome = Decision.drop("chrome", "pattern.nav.menu", "matches 'menu'")
    dup = Decision.drop("duplicate", "dedup.near", "jaccard 0.91", duplicate_of_doc="d0", duplicate_of_paragraph=3,
                        similarity=0.91)
    whole = Paragraph("d1", 0, ["Home", "News"], decision=chrome)
    lines = Paragraph("d1", 1, ["Share this", "A kept line", "Tweet"],
                      line_decisions=[chrome, KEEP, Decision.drop("chrome", "feature.share-line", "share words")])
    kept = Paragraph("d1", 2, ["Nothing removed here."])
    copied = Paragraph("d2", 0, ["Copied text."], decision=dup)
    assert [audit.record_paragraph(p) for p in (whole, lines, kept, copied)] == [1, 2, 0, 1]
    cols, sizes = audit.take_columns()
    df = pl.DataFrame(cols, schema=REMOVED_SCHEMA)
    assert df.select("doc_id", "paragraph_index", "line_index", "text", "rule").rows() == [
        ("d1", 0, None, "Home\nNews", "pattern.nav.menu"), ("d1", 1, 0, "Share this", "pattern.nav.menu"),
        ("d1", 1, 2, "Tweet", "feature.share-line"), ("d2", 0, None, "Copied text.", "dedup.near")]
    assert df.row(3, named=True) == {
        "doc_id": "d2", "paragraph_index": 0, "line_index": None, "text": "Copied text.", "reason": "duplicate",
        "rule": "dedup.near", "evidence": "jaccard 0.91", "duplicate_of_doc": "d0", "duplicate_of_paragraph": 3,
        "similarity": 0.91, "run_id": "run-1", "duplicate_of_document": None}
    assert df["evidence"].to_list()[:3] == ["matches 'menu'", "matches 'menu'", "share words"]
    assert sizes == [len(t) for t in cols["text"]]
    assert audit.by_reason == {"chrome": 3, "duplicate": 1}
    # taken once: the next take holds only what came after
    audit.record("d3", 5, "later", chrome, line_index=1)
    cols, sizes = audit.take_columns()
    assert cols["doc_id"] == ["d3"] and cols["line_index"] == [1] and sizes == [5]
    assert audit.by_reason == {"chrome": 4, "duplicate": 1}
    cols, sizes = audit.take_columns()
    assert set(cols) == set(REMOVED_SCHEMA) and all(v == [] for v in cols.values()) and sizes == []


def test_only_removals_are_recorded():
    with pytest.raises(ValueError, match="only removals"):
        Audit("run-1").record("d", 0, "text", KEEP)
