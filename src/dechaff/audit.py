"""The one place where removal decisions become audit rows (``removed/``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from dechaff.model import Decision, Paragraph

_DECISION_COLUMNS = Decision._fields[1:]  # what a row copies of its decision: every field but ``keep``


@dataclass
class Audit:
    """The removals recorded since the last :meth:`take_columns`: a tuple of where and what a row, and its
    decision as given (turned into columns when taken: a dict a row cost more than the row's text)."""

    run_id: str
    by_reason: Counter = field(default_factory=Counter)
    _where: list[tuple[str, int, int | None, str]] = field(default_factory=list, init=False, repr=False)
    _decisions: list[Decision] = field(default_factory=list, init=False, repr=False)

    def record(self, doc_id: str, paragraph_index: int, text: str, d: Decision,
               line_index: int | None = None) -> None:
        if d.keep:
            raise ValueError("only removals are recorded")
        self._where.append((doc_id, paragraph_index, line_index, text))
        self._decisions.append(d)

    def take_columns(self) -> tuple[dict[str, list], list[int]]:
        """The rows recorded since the last call as columns of the ``removed`` table (``run_id`` included),
        and each row's text length (handed to a part writer: a run's rows are not held)."""
        where, decisions = self._where, self._decisions
        self._where, self._decisions = [], []
        n = len(where)
        ids, paras, lines, texts = (list(c) for c in zip(*where, strict=True)) if n else ([], [], [], [])
        cols: dict[str, list] = {"doc_id": ids, "paragraph_index": paras, "line_index": lines, "text": texts}
        for name, values in zip(_DECISION_COLUMNS, list(zip(*decisions, strict=True))[1:] if n else
                                [()] * len(_DECISION_COLUMNS), strict=True):
            cols[name] = list(values)
        cols["run_id"] = [self.run_id] * n
        self.by_reason.update(cols["reason"])
        return cols, [len(t) for t in texts]

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
