"""A document's profile: the keys of its first and last lines, its short lines, and a sketch of its
word pairs (the smallest hashes) that tells near-duplicate documents apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from dechaff.boilerplate.keys import EDGE_LINES, SHORT_WORDS, text_keys, text_keys_many
from dechaff.dedup.shingle import cum_blocks, grams, tokenize
from dechaff.model import Document, Paragraph

SKETCH = 64  # word pairs kept per document (the smallest hashes) to tell near-duplicate documents
NEAR_JACCARD = 0.5  # documents sharing this share of their word pairs are versions of one text...
NEAR_CONTAINED = 0.8  # ...or when this share of the shorter one is in the longer one
# ---------------------------------------------------------------------------------------- profiles
@dataclass(slots=True)
class Profile:
    """What the boilerplate stage keeps of a document to judge repeats in later documents: its first
    and last lines (each ``(line key, paragraph key, short)``), the keys of its short lines, and a
    sketch of its word pairs. Held packed (little-endian key bytes and short flags, about 700 bytes a
    document instead of ~3 KB of Python tuples): a run holds every document's profile, the corpus's
    included; :attr:`head`, :attr:`tail` and :attr:`short` unpack them."""

    doc_id: str
    site: str
    head_keys: bytes  # (line key, paragraph key) of each first line, as little-endian uint64
    head_short: bytes  # one flag a line
    tail_keys: bytes
    tail_short: bytes
    short_keys: bytes  # the keys of its short lines, little-endian uint64
    sketch: np.ndarray  # uint32, sorted: the smallest SKETCH word-pair hashes
    n_pairs: int

    @staticmethod
    def pack(lines: Sequence[tuple[int, int, bool]], short: Sequence[int]) -> tuple[bytes, bytes, bytes, bytes, bytes]:
        """The packed edges of a document whose kept lines are ``lines`` (``(line key, paragraph key,
        short)`` in order) and whose short units' keys are ``short``: head keys, head flags, tail keys,
        tail flags, short keys (``Document.edges``)."""
        def keys(seq: Sequence[tuple[int, int, bool]]) -> bytes:
            return np.array([k for x in seq for k in x[:2]], dtype="<u8").tobytes()

        head, tail = lines[:EDGE_LINES], lines[-EDGE_LINES:]
        return (keys(head), bytes(bool(x[2]) for x in head), keys(tail), bytes(bool(x[2]) for x in tail),
                np.array(short, dtype="<u8").tobytes())

    @property
    def head(self) -> list[tuple[int, int, bool]]:
        return window(np.frombuffer(self.head_keys, _U64LE), self.head_short)

    @property
    def tail(self) -> list[tuple[int, int, bool]]:
        return window(np.frombuffer(self.tail_keys, _U64LE), self.tail_short)

    @property
    def short(self) -> list[int]:
        return np.frombuffer(self.short_keys, _U64LE).tolist()

    def edge_keys(self, repeated: set[int]) -> tuple[set[int], set[int]]:
        """Keys standing in the runs of repeated or short lines that open and close the document."""
        start: set[int] = set()
        end: set[int] = set()
        for seq, found in ((self.head, start), (reversed(self.tail), end)):
            for lk, pk, short in seq:
                if not (short or lk in repeated or pk in repeated):
                    break
                found.add(lk)
                found.add(pk)
        return start, end


_U64LE = np.dtype("<u8")


class Sketched(Protocol):
    sketch: np.ndarray
    n_pairs: int


def sketch_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """The share of the SKETCH smallest values of the union of two sketches (sorted, distinct values) that
    both hold: one sort of both (a union, an intersection and a membership test sorted three times)."""
    m = np.concatenate((a, b))
    m.sort()
    first = np.ones(len(m), dtype=bool)  # the first copy of each value: the union, in order
    np.not_equal(m[1:], m[:-1], out=first[1:])
    both = np.zeros(len(m), dtype=bool)  # a value the next one repeats: held by both sketches
    np.equal(m[:-1], m[1:], out=both[:-1])
    held = both[first][:SKETCH]
    return float(held.sum()) / len(held) if len(held) else 0.0


def near_duplicates(a: Sketched, b: Sketched) -> bool:
    """Whether two documents are versions of one text (estimated from their sketches: a profile's, or
    what judging keeps of one)."""
    if not len(a.sketch) or not len(b.sketch):
        return False
    j = sketch_jaccard(a.sketch, b.sketch)
    contained = j * (a.n_pairs + b.n_pairs) / (1 + j) / max(min(a.n_pairs, b.n_pairs), 1)
    return j >= NEAR_JACCARD or contained >= NEAR_CONTAINED


def sketches(texts: Sequence[str], block_words: int = 1 << 20) -> list[tuple[np.ndarray, int]]:
    """Per text: the smallest SKETCH hashes of its distinct word pairs (uint32, sorted) and how many
    word pairs it has. Works through the texts in blocks of about ``block_words`` words (memory stays
    bounded); only hashes small enough to be among a text's smallest are sorted."""
    out: list[tuple[np.ndarray, int]] = []
    words = np.cumsum(np.fromiter((t.count(" ") + 1 for t in texts), dtype=np.int64, count=len(texts)))
    for i, j in cum_blocks(words, block_words):
        out.extend(_sketch_block(texts[i:j]))
    return out


def _sketch_block(texts: Sequence[str]) -> list[tuple[np.ndarray, int]]:
    tok = tokenize(texts)
    return sketches_of_tokens(tok.hashes, tok.n_words)


def sketches_of_tokens(hashes: np.ndarray, n_words: np.ndarray) -> list[tuple[np.ndarray, int]]:
    """:func:`sketches` of texts already tokenized: text ``i`` has the ``n_words[i]`` token hashes
    (``Tokens.hashes``) after those of text ``i - 1``."""
    n = len(n_words)
    pid = np.repeat(np.arange(n, dtype=np.int64), n_words)
    g, gp = grams(hashes, pid, 2)
    h = (g >> np.uint64(32)).astype(np.uint32)
    n_pairs = np.bincount(gp, minlength=n)
    # a text's SKETCH smallest hashes are almost surely below 8 * SKETCH / n_pairs of the range
    limit = np.minimum(8 * SKETCH * (1 << 32) / np.maximum(n_pairs, 1), (1 << 32) - 1).astype(np.uint64)
    small = h.astype(np.uint64) <= limit[gp]
    sk = _bottom(h[small], gp[small], n)
    redo = [k for k in range(n) if len(sk[k]) < SKETCH and limit[k] < (1 << 32) - 1]
    if redo:  # (too few below the limit: the whole text, exactly)
        sel = np.isin(gp, redo)
        full = _bottom(h[sel], gp[sel], n)
        for k in redo:
            sk[k] = full[k]
    return [(sk[k], int(n_pairs[k])) for k in range(n)]


def _bottom(h: np.ndarray, owner: np.ndarray, n: int) -> list[np.ndarray]:
    """Per owner (0..n-1): its SKETCH smallest distinct values of ``h``, sorted."""
    key = np.sort((owner.astype(np.uint64) << np.uint64(32)) | h.astype(np.uint64))
    if len(key):
        keep = np.ones(len(key), dtype=bool)
        keep[1:] = key[1:] != key[:-1]
        key = key[keep]
    who = (key >> np.uint64(32)).astype(np.int64)
    low = (key & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    off = np.searchsorted(who, np.arange(n + 1))
    return [low[off[k]: min(off[k + 1], off[k] + SKETCH)] for k in range(n)]


def _unit_texts(doc: Document) -> tuple[list[str], list[tuple[Paragraph, int | None]], list[str]]:
    """The texts of the document's units (kept paragraphs, and the kept lines of multi-line ones), where
    each stands, and the kept paragraphs' texts."""
    texts: list[str] = []
    where: list[tuple[Paragraph, int | None]] = []
    paras: list[str] = []
    for p in doc.paragraphs:
        if not p.decision.keep:
            continue
        text = p.text  # (``p.kept``, without making the text twice)
        if not text.strip():
            continue
        paras.append(text)
        texts.append(text)
        where.append((p, None))
        if len(p.lines) > 1:
            for li, ln in enumerate(p.lines):
                if p.line_decisions is None or p.line_decisions[li].keep:
                    texts.append(ln)
                    where.append((p, li))
    return texts, where, paras


def _shorts(texts: list[str]) -> list[bool]:
    # (at most SHORT_WORDS splits: a long paragraph's words are not all cut apart to be counted)
    return [len(t.split(None, SHORT_WORDS)) <= SHORT_WORDS for t in texts]


def _kept_lines(where: list[tuple[Paragraph, int | None]], keys: Sequence[int], shorts: list[bool]
                ) -> list[tuple[int, int, bool]]:
    """The document's kept lines in order as ``(line key, paragraph key, short)``, from its units."""
    lines: list[tuple[int, int, bool]] = []
    pkey = 0
    for (p, li), k, short in zip(where, keys, shorts, strict=True):
        if li is not None:
            lines.append((k, pkey, short))
        else:
            pkey = k
            if len(p.lines) == 1:
                lines.append((k, k, short))
    return lines


def units_of(doc: Document) -> list[tuple[Paragraph, int | None, int]]:
    """The document's kept paragraphs and lines as units ``(paragraph, line or None, key)``, with the keys
    :func:`observe_ahead` stored with the document when it has them (its decisions unchanged since)."""
    texts, where, _paras = _unit_texts(doc)
    keys = doc.unit_keys if doc.unit_keys is not None and len(doc.unit_keys) == len(texts) \
        else text_keys(doc.site, texts)
    return [(p, li, k) for (p, li), k in zip(where, keys, strict=True)]


def observe_ahead(docs: Sequence[Document], tokens: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """Store with each document what the boilerplate stage's counting pass needs of it (the keys of its
    units, the sketch of its word pairs, the packed edges of its profile), so that the shard step, which
    runs in parallel, does that work instead of the serial finalize, whose counting pass then reads no
    paragraph. Call when the document's chrome decisions are final. ``tokens``: the token hashes of the
    documents' kept paragraphs, in order, and each kept paragraph's number of tokens (``Tokens.hashes``
    and ``Tokens.n_words`` of them, which the dedup stage's work ahead computes anyway): a document's
    sketch is taken from them instead of tokenizing its text again."""
    if not docs:
        return
    prepared = [_unit_texts(d) for d in docs]
    keys = text_keys_many([(d.site, t[0]) for d, t in zip(docs, prepared, strict=True)])
    if tokens is None:
        sketched = sketches(["\n".join(t[2]) for t in prepared])
    else:  # (a document's tokens are its paragraphs' tokens, one after the other)
        per_doc = np.fromiter((len(t[2]) for t in prepared), dtype=np.int64, count=len(prepared))
        if int(per_doc.sum()) != len(tokens[1]):
            raise ValueError("tokens of another number of kept paragraphs than the documents have")
        ends = np.cumsum(np.concatenate(([0], tokens[1])))[np.cumsum(per_doc)]
        sketched = sketches_of_tokens(tokens[0], np.diff(np.concatenate(([0], ends))))
    for d, (texts, where, _p), (sk, n), d_keys in zip(docs, prepared, sketched, keys, strict=True):
        d.unit_keys = d_keys
        shorts = _shorts(texts)
        d.edges = Profile.pack(_kept_lines(where, d_keys, shorts),
                               sorted({k for k, short in zip(d_keys, shorts, strict=True) if short and k}))
        d.sketch, d.n_pairs = sk.astype("<u4").tobytes(), n


def profile_of(doc: Document) -> Profile:
    """The profile :func:`observe_ahead` stored with the document, under its id now."""
    assert doc.edges is not None and doc.sketch is not None
    return Profile(doc.doc_id, doc.site, *doc.edges, np.frombuffer(doc.sketch, "<u4").astype(np.uint32), doc.n_pairs)


def window(keys: np.ndarray, short: bytes) -> list[tuple[int, int, bool]]:
    k = keys.tolist()
    return [(k[2 * i], k[2 * i + 1], bool(f)) for i, f in enumerate(short)]


