"""The one place where removal decisions become audit rows (``removed/``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from dechaff.model import Decision, Paragraph


@dataclass
class Audit:
    run_id: str
    rows: list[dict] = field(default_factory=list)
    by_reason: Counter = field(default_factory=Counter)

    def record(self, doc_id: str, paragraph_index: int, text: str, d: Decision,
               line_index: int | None = None) -> None:
        if d.keep:
            raise ValueError("only removals are recorded")
        self.rows.append({
            "doc_id": doc_id, "paragraph_index": paragraph_index, "line_index": line_index, "text": text,
            "reason": d.reason, "rule": d.rule, "evidence": d.evidence, "duplicate_of_doc": d.duplicate_of_doc,
            "duplicate_of_paragraph": d.duplicate_of_paragraph, "similarity": d.similarity,
            "duplicate_of_document": d.duplicate_of_document,
            "run_id": self.run_id,
        })
        self.by_reason[d.reason] += 1

    def take_rows(self) -> list[dict]:
        """The rows recorded since the last call (handed to a part writer: a run's rows are not held)."""
        rows, self.rows = self.rows, []
        return rows

    def record_paragraph(self, p: Paragraph) -> int:
        """Record what the paragraph loses (all of it, or single lines); returns rows written."""
        if not p.decision.keep:
            self.record(p.doc_id, p.index, p.raw_text, p.decision)
            return 1
        n = 0
        if p.line_decisions is not None:
            for li, (ln, d) in enumerate(zip(p.lines, p.line_decisions, strict=True)):
                if not d.keep:
                    self.record(p.doc_id, p.index, ln, d, line_index=li)
                    n += 1
        return n
