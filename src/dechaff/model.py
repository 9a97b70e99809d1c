"""The one document / paragraph / decision model every stage shares.

A :class:`Document` is what a reader produced from one raw input (a file, a JSONL line, a WARC record).
Its text is split into :class:`Paragraph` objects (blocks separated by blank lines); ``Paragraph.index``
is the 0-based position in the document *as read*, before any removal, and every audit row keys on it.

Every removal decision is a :class:`Decision` (keep or drop, with reason, rule and evidence). Decisions
become :class:`Removal` rows through exactly one place, :class:`dechaff.audit.Audit`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from dechaff.dedup.shingle import StagedTokens

# Reasons written to removed/.reason
CHROME = "chrome"
COMMENT = "comment"
BOILERPLATE = "boilerplate"
DUPLICATE = "duplicate"
DUPLICATE_DOCUMENT = "duplicate-document"
EMPTY = "empty"

REASONS = (CHROME, COMMENT, BOILERPLATE, DUPLICATE, DUPLICATE_DOCUMENT, EMPTY)


class Decision(NamedTuple):
    """Keep or drop one paragraph (or one line of it), with why. Immutable (``KEEP`` is shared); a
    named tuple because the dedup stage makes tens of thousands per second (3x cheaper to build than
    a frozen dataclass).

    ``evidence`` is a short human-readable string: the matched pattern, the feature values, the
    repeat count, the similarity... whatever lets a reader of the audit check the call.
    """

    keep: bool
    reason: str = ""
    rule: str = ""
    evidence: str = ""
    duplicate_of_doc: str | None = None
    duplicate_of_paragraph: int | None = None
    similarity: float | None = None
    duplicate_of_document: str | None = None  # duplicate-document: the kept document this one copies

    @staticmethod
    def drop(reason: str, rule: str, evidence: str = "", **match: object) -> Decision:
        return Decision(False, reason, rule, evidence, **match)  # type: ignore[arg-type]


KEEP = Decision(True)


def _joined(lines: list[str]) -> str:
    """Lines as one text (a paragraph's text is asked for several times a run, and most are one line)."""
    return lines[0] if len(lines) == 1 else "\n".join(lines)


@dataclass(slots=True)
class Paragraph:
    """One block of a document. ``lines`` are the block's lines; ``line_decisions`` the per-line
    verdicts of the chrome stage (a paragraph can lose single lines and keep the rest)."""

    doc_id: str
    index: int
    lines: list[str]
    decision: Decision = KEEP
    line_decisions: list[Decision] | None = None
    # what the dedup stage derives from the text, computed ahead where it runs in parallel (the shard
    # step: ``dedup.lsh_ahead``): (fingerprint of the normalised text, its LSH band keys); the dedup
    # stage uses it only while the fingerprint is that of the text it decides
    lsh: tuple[int, bytes] | None = None
    # its tokens, computed there too (``dedup.StagedTokens`` of its batch, its row), taken by the dedup
    # stage while the text it decides has the length of the text they are the tokens of
    tokens: tuple[StagedTokens, int] | None = None

    @property
    def raw_text(self) -> str:
        return _joined(self.lines)

    @property
    def text(self) -> str:
        """The paragraph as it will be written: only the kept lines."""
        if self.line_decisions is None:
            return _joined(self.lines)
        return "\n".join(ln for ln, d in zip(self.lines, self.line_decisions, strict=True) if d.keep)

    @property
    def kept(self) -> bool:
        return self.kept_text() is not None

    def kept_text(self) -> str | None:
        """The text of a kept paragraph (``kept``, the text joined once); None for one that is not."""
        if not self.decision.keep:
            return None
        text = self.text
        return text if text and not text.isspace() else None


@dataclass(slots=True)
class Document:
    """One document as read. ``site`` groups documents for cross-document boilerplate (site
    templates): a JSONL record's ``site`` field, else the URL's host (``www.`` dropped), else, for a
    record of a JSONL or WARC file, that file, and for a loose text or HTML file, the raw subfolder it
    sits in (the files of one folder are taken to be pages of one site)."""

    doc_id: str
    source: str
    text: str
    url: str | None = None
    title: str | None = None
    site: str = ""
    content_sha256: str = ""
    encoding: str | None = None
    fmt: str = "text"  # text | html (what the text was extracted from)
    input: str = ""  # the raw file it was read from (relative to the raw dir), for the ledger
    # html as read (``text`` is empty until the shard step extracts it; readers never extract)
    markup: str | None = None
    ref: str = ""  # where its reader found it, for errors: the file, file:line, file#row, file#record url
    record: str = ""  # the same in words: "line 12", "row 3", "record 4" ("" for a whole file)
    paragraphs: list[Paragraph] = field(default_factory=list)
    # what the boilerplate stage's counting pass needs, computed by the shard step (in parallel, staged with
    # the document: ``boilerplate.profile.observe_ahead``): the keys of its kept paragraphs and lines, the
    # sketch of its word pairs (uint32, little-endian) with their number, and the packed parts of its
    # profile (head keys, head short flags, tail keys, tail short flags, short keys: see ``Profile``)
    unit_keys: list[int] | None = None
    sketch: bytes | None = None
    n_pairs: int = 0
    edges: tuple[bytes, bytes, bytes, bytes, bytes] | None = None


_BLANK_LINE = re.compile(r"\n[ \t\r\f\v\u00a0]*\n")


def kept_paragraphs(docs: list[Document]) -> list[list[tuple[Paragraph, str]]]:
    """Each document's kept paragraphs with their texts (each text joined once): what the dedup stage
    decides, and what the corpus row is made of."""
    return [[(p, t) for p in d.paragraphs if (t := p.kept_text()) is not None] for d in docs]


def split_paragraphs(doc_id: str, text: str) -> list[Paragraph]:
    """Split on blank lines (a line of white space only is blank). Each line is trimmed of the white
    space around it and blank lines inside a block go; a block with no line left is no paragraph."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out: list[Paragraph] = []
    for block in _BLANK_LINE.split(text):
        lines = [s for ln in block.split("\n") if (s := ln.strip())]
        if lines:
            out.append(Paragraph(doc_id=doc_id, index=len(out), lines=lines))
    return out
