"""Cross-document boilerplate: the template of a site, told apart from content that repeats.

A paragraph or line that recurs across the documents of one site (:attr:`Document.site`) is
**template boilerplate** only when its repetition looks like a template:

1. it recurs in at least ``min_docs`` documents of the site that are *otherwise different*: documents
   that are near-duplicates of each other (syndicated copies of one story, edited versions, reposts)
   count once, whatever their number; and
2. it stands where a template stands: in the run of repeated (or short) lines that opens or closes
   the document (a header; a bio, newsletter box and footer after the body), or, for a short line of
   at most ``SHORT_WORDS`` words ("Advertisement", a box title), anywhere.

Every copy of a template in the run is removed (reason ``boilerplate``, rule ``boilerplate.template``,
with the evidence: where it stands, in how many different documents, which ones). Anything else that
repeats (a story syndicated on one site, a background paragraph several articles reuse in their bodies)
is content: the dedup stage keeps its earliest copy and points the others at it. So no paragraph loses
every copy unless it is a template by this rule.

Texts are compared normalised as the dedup stage normalises them (case, punctuation, digits folded
to 0), so a footer with this year's date is one template. What keeps local versions of one story (the
same paragraph with other numbers) from being one template is the near-duplicate test: their
documents are copies of each other and count once; the dedup stage then keeps every version, since
the same words with other numbers are not a copy.

Across runs the output's state keeps the counts of documents per (site, text), the templates found,
and a profile of every document (the keys of its first and last ``EDGE_LINES`` lines, its short lines,
and a sketch of its words), so a later run judges a repeat with every copy seen so far. What a
committed run decided stays: when a text becomes a template with a later run's copies, its copies in
earlier runs stay as they were (the first kept, the others duplicates of it) and the new copies are
removed as boilerplate.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from dechaff.dedup.normalise import normalize_bytes
from dechaff.dedup.shingle import cum_blocks, grams, tokenize
from dechaff.model import BOILERPLATE, KEEP, Decision, Document, Paragraph

SHORT_WORDS = 6  # a line this short is a label, a box title, a date: it may sit anywhere in a template
EDGE_LINES = 8  # a template stands within this many lines of the start or the end of a document
SKETCH = 64  # word pairs kept per document (the smallest hashes) to tell near-duplicate documents
NEAR_JACCARD = 0.5  # documents sharing this share of their word pairs are versions of one text...
NEAR_CONTAINED = 0.8  # ...or when this share of the shorter one is in the longer one
RULE = "boilerplate.template"


def _keys(site: str, texts: Sequence[str]) -> list[int]:
    """64-bit keys of normalised texts within a site; 0 for texts with no words."""
    norm = normalize_bytes(texts).tobytes().split(b"\n") if texts else []
    out = []
    prefix = site.encode("utf-8") + b"\x00"
    for t in norm:
        t = b" ".join(t.split())
        if not t:
            out.append(0)
            continue
        out.append(int.from_bytes(hashlib.blake2b(prefix + t, digest_size=8).digest(), "little") or 1)
    return out


class BoilerplateCounts:
    """Sorted arrays of (key, number of documents) with an in-run delta."""

    def __init__(self, keys: np.ndarray | None = None, counts: np.ndarray | None = None) -> None:
        self.keys = keys if keys is not None else np.zeros(0, np.uint64)
        self.counts = counts if counts is not None else np.zeros(0, np.uint32)

    @classmethod
    def load(cls, path: Path | None) -> BoilerplateCounts:
        if path is None or not Path(path).exists():
            return cls()
        df = pl.read_parquet(path)
        return cls(df["key"].to_numpy().astype(np.uint64), df["n_docs"].to_numpy().astype(np.uint32))

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        if len(self.keys) == 0:
            return np.zeros(len(keys), np.uint32)
        pos = np.searchsorted(self.keys, keys)
        pos_c = np.minimum(pos, len(self.keys) - 1)
        hit = self.keys[pos_c] == keys
        return np.where(hit, self.counts[pos_c], 0).astype(np.uint32)

    def merged(self, delta: Counter) -> BoilerplateCounts:
        if not delta:
            return self
        dk = np.fromiter(delta.keys(), dtype=np.uint64, count=len(delta))
        dc = np.fromiter(delta.values(), dtype=np.uint32, count=len(delta))
        keys = np.concatenate((self.keys, dk))
        counts = np.concatenate((self.counts, dc))
        order = np.argsort(keys, kind="stable")
        keys, counts = keys[order], counts[order]
        uniq, start = np.unique(keys, return_index=True)
        return BoilerplateCounts(uniq, np.add.reduceat(counts, start).astype(np.uint32))

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame({"key": self.keys, "n_docs": self.counts})


# ---------------------------------------------------------------------------------------- profiles
@dataclass(slots=True)
class Profile:
    """What the boilerplate stage keeps of a document to judge repeats in later documents: its first
    and last lines (each ``(line key, paragraph key, short)``), the keys of its short lines, and a
    sketch of its word pairs."""

    doc_id: str
    site: str
    head: list[tuple[int, int, bool]]
    tail: list[tuple[int, int, bool]]
    short: list[int]
    sketch: np.ndarray  # uint32, sorted: the smallest SKETCH word-pair hashes
    n_pairs: int

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


def near_duplicates(a: Profile, b: Profile) -> bool:
    """Whether two documents are versions of one text (estimated from their sketches)."""
    if not len(a.sketch) or not len(b.sketch):
        return False
    union = np.union1d(a.sketch, b.sketch)[:SKETCH]
    both = np.intersect1d(a.sketch, b.sketch, assume_unique=True)
    j = float(np.isin(union, both, assume_unique=True).sum()) / len(union)
    contained = j * (a.n_pairs + b.n_pairs) / (1 + j) / max(min(a.n_pairs, b.n_pairs), 1)
    return j >= NEAR_JACCARD or contained >= NEAR_CONTAINED


def _sketches(texts: Sequence[str], block_words: int = 1 << 20) -> list[tuple[np.ndarray, int]]:
    """Per text: the smallest SKETCH hashes of its distinct word pairs (uint32, sorted) and how many
    word pairs it has. Works through the texts in blocks of about ``block_words`` words (memory stays
    bounded); only hashes small enough to be among a text's smallest are sorted."""
    out: list[tuple[np.ndarray, int]] = []
    words = np.cumsum(np.fromiter((t.count(" ") + 1 for t in texts), dtype=np.int64, count=len(texts)))
    for i, j in cum_blocks(words, block_words):
        out.extend(_sketch_block(texts[i:j]))
    return out


def _sketch_block(texts: Sequence[str]) -> list[tuple[np.ndarray, int]]:
    n = len(texts)
    tok = tokenize(texts)
    pid = np.repeat(np.arange(n, dtype=np.int64), tok.n_words)
    g, gp = grams(tok.hashes, pid, 2)
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


@dataclass(slots=True)
class _Unit:
    """A paragraph (``line`` None) or one line of a multi-line paragraph of a document, with its key."""

    para: Paragraph
    line: int | None
    key: int
    short: bool


def _units(doc: Document) -> tuple[list[_Unit], list[tuple[int, int, bool]], str]:
    """The document's kept paragraphs and lines as units; its kept lines in order as
    ``(line key, paragraph key, short)``; and its kept text (for the sketch)."""
    texts: list[str] = []
    where: list[tuple[Paragraph, int | None]] = []
    paras: list[str] = []
    for p in doc.paragraphs:
        if not p.kept:
            continue
        text = p.text
        paras.append(text)
        texts.append(text)
        where.append((p, None))
        if len(p.lines) > 1:
            for li, ln in enumerate(p.lines):
                if p.line_decisions is None or p.line_decisions[li].keep:
                    texts.append(ln)
                    where.append((p, li))
    units: list[_Unit] = []
    lines: list[tuple[int, int, bool]] = []
    pkey = 0
    for (p, li), k, t in zip(where, _keys(doc.site, texts), texts, strict=True):
        u = _Unit(p, li, k, len(t.split()) <= SHORT_WORDS)
        units.append(u)
        if li is not None:
            lines.append((k, pkey, u.short))
        else:
            pkey = k
            if len(p.lines) == 1:
                lines.append((k, k, u.short))
    return units, lines, "\n".join(paras)


# ---------------------------------------------------------------------------------------- state
@dataclass
class BoilerplateState:
    """What the boilerplate stage carries from run to run (see the module docstring)."""

    counts: BoilerplateCounts
    templates: dict[int, str]  # key -> the evidence that made it a template
    profiles: list[Profile]

    @classmethod
    def empty(cls) -> BoilerplateState:
        return cls(BoilerplateCounts(), {}, [])

    @classmethod
    def load(cls, counts: Path | None, templates: Path | None, profiles: Path | None) -> BoilerplateState:
        st = cls(BoilerplateCounts.load(counts), {}, [])
        if templates is not None and Path(templates).exists():
            df = pl.read_parquet(templates)
            st.templates = dict(zip(df["key"].cast(pl.UInt64).to_list(), df["evidence"].to_list(), strict=True))
        if profiles is not None and Path(profiles).exists():
            u64 = np.dtype("<u8")
            for row in pl.read_parquet(profiles).iter_rows():
                doc_id, site, n_pairs, head, head_short, tail, tail_short, short, sketch = row
                st.profiles.append(Profile(
                    doc_id, site, _window(np.frombuffer(head, u64), head_short),
                    _window(np.frombuffer(tail, u64), tail_short), np.frombuffer(short, u64).tolist(),
                    np.frombuffer(sketch, np.dtype("<u4")).astype(np.uint32), n_pairs))
        return st

    def templates_frame(self) -> pl.DataFrame:
        return pl.DataFrame({"key": pl.Series(list(self.templates), dtype=pl.UInt64),
                             "evidence": pl.Series(list(self.templates.values()), dtype=pl.String)})

    def profiles_frame(self) -> pl.DataFrame:
        """One row per document; keys and sketches as little-endian arrays in binary columns (one value
        a row would cost a hundred rows a document; nested lists are slow to build)."""
        ps = self.profiles

        def keys(seq: list[tuple[int, int, bool]]) -> bytes:
            return np.array([k for x in seq for k in x[:2]], dtype="<u8").tobytes()

        def flags(seq: list[tuple[int, int, bool]]) -> bytes:
            return bytes(bool(x[2]) for x in seq)

        return pl.DataFrame({
            "doc_id": pl.Series([p.doc_id for p in ps], dtype=pl.String),
            "site": pl.Series([p.site for p in ps], dtype=pl.String),
            "n_pairs": pl.Series([p.n_pairs for p in ps], dtype=pl.Int64),
            "head": pl.Series([keys(p.head) for p in ps], dtype=pl.Binary),
            "head_short": pl.Series([flags(p.head) for p in ps], dtype=pl.Binary),
            "tail": pl.Series([keys(p.tail) for p in ps], dtype=pl.Binary),
            "tail_short": pl.Series([flags(p.tail) for p in ps], dtype=pl.Binary),
            "short": pl.Series([np.array(p.short, dtype="<u8").tobytes() for p in ps], dtype=pl.Binary),
            "sketch": pl.Series([p.sketch.astype("<u4").tobytes() for p in ps], dtype=pl.Binary),
        })


def _window(keys: np.ndarray, short: bytes) -> list[tuple[int, int, bool]]:
    k = keys.tolist()
    return [(k[2 * i], k[2 * i + 1], bool(f)) for i, f in enumerate(short)]


# ---------------------------------------------------------------------------------------- detect
class _Clusters:
    """Counts the different documents (near-duplicates counted once) among the profiles that hold a
    text, stopping at ``need``; remembers the document pairs it compared."""

    def __init__(self, need: int) -> None:
        self.need = need
        self._near: dict[tuple[int, int], bool] = {}

    def count(self, members: list[tuple[int, Profile]]) -> tuple[int, list[str]]:
        leaders: list[tuple[int, Profile]] = []
        for i, p in members:
            for j, q in leaders:
                pair = (j, i)
                near = self._near.get(pair)
                if near is None:
                    near = self._near[pair] = near_duplicates(p, q)
                if near:
                    break
            else:
                leaders.append((i, p))
                if len(leaders) >= self.need:
                    break
        return len(leaders), [p.doc_id for _, p in leaders]


def _judge(keys: set[int], state: BoilerplateState, counts: BoilerplateCounts, min_docs: int,
           sites: dict[int, str]) -> dict[int, str]:
    """Which of ``keys`` (texts of this run's documents seen in ``min_docs`` documents or more) are
    templates, with the evidence; every profile (earlier runs' and this run's) is a witness."""
    profiles = state.profiles
    if not keys:
        return {}
    # every text seen in min_docs documents may extend a run of template lines
    flat = np.fromiter((k for p in profiles for seq in (p.head, p.tail) for x in seq for k in x[:2]),
                       dtype=np.uint64)
    known = flat[counts.lookup(flat) >= min_docs] if len(flat) else flat
    repeated = set(known.tolist())
    edge: dict[int, list[tuple[int, Profile]]] = {}  # text -> the documents it opens or closes
    n_start: Counter = Counter()
    n_end: Counter = Counter()
    short: dict[int, list[tuple[int, Profile]]] = {}
    for i, p in enumerate(profiles):
        start, end = p.edge_keys(repeated)
        for k in (start | end) & keys:
            edge.setdefault(k, []).append((i, p))
            n_start[k] += k in start
            n_end[k] += k in end
        for k in keys.intersection(p.short):
            short.setdefault(k, []).append((i, p))
    clusters = _Clusters(min_docs)
    found: dict[int, str] = {}
    for k in sorted(keys):
        site = sites.get(k) or "(raw root)"
        n, ids = clusters.count(edge.get(k, []))
        if n >= min_docs:
            ns, ne = n_start[k], n_end[k]
            where = " and ".join(x for x in (f"opens {ns}" if ns else "", f"closes {ne}" if ne else "") if x)
            found[k] = (f"template of site {site}: {where} documents, at least {n} of them different pages "
                        f"({', '.join(ids[:3])}...)")
            continue
        if len(short.get(k, ())) >= min_docs:
            n, ids = clusters.count(short[k])
            if n >= min_docs:
                found[k] = (f"template of site {site}: a short line in {len(short[k])} documents, at least {n} "
                            f"of them different pages ({', '.join(ids[:3])}...)")
    return found


def detect(docs: Sequence[Document], state: BoilerplateState, min_docs: int) -> tuple[BoilerplateState, int]:
    """Count this run's documents into ``state``, find the templates among the texts they repeat, and
    mark every copy of a template in ``docs`` (in place). Returns the new state and the removals."""
    prepared = [_units(d) for d in docs]
    sketches = _sketches([text for _, _, text in prepared])
    delta: Counter = Counter()
    sites: dict[int, str] = {}
    profiles: list[Profile] = []
    for doc, (units, lines, _), (sketch, n_pairs) in zip(docs, prepared, sketches, strict=True):
        for k in {u.key for u in units} - {0}:
            delta[k] += 1
            sites[k] = doc.site
        profiles.append(Profile(doc.doc_id, doc.site, lines[:EDGE_LINES], lines[-EDGE_LINES:],
                                sorted({u.key for u in units if u.short and u.key}), sketch, n_pairs))
    counts = state.counts.merged(delta)
    new_state = BoilerplateState(counts, dict(state.templates), [*state.profiles, *profiles])
    # the texts to judge: repeated often enough in this run's documents, not known templates yet
    run_keys = np.fromiter(delta.keys(), dtype=np.uint64, count=len(delta))
    often = run_keys[counts.lookup(run_keys) >= min_docs] if len(run_keys) else run_keys
    todo = set(often.tolist()) - set(state.templates)
    new_state.templates.update(_judge(todo, new_state, counts, min_docs, sites))
    templates = new_state.templates
    removed = 0
    if not templates:
        return new_state, 0
    for units, _, _ in prepared:
        for u in units:
            ev = templates.get(u.key)
            if ev is None:
                continue
            p = u.para
            d = Decision.drop(BOILERPLATE, RULE, ev)
            if u.line is None:
                if p.decision.keep:
                    p.decision = d
                    removed += 1
            elif p.decision.keep:
                if p.line_decisions is None:
                    p.line_decisions = [KEEP] * len(p.lines)
                if p.line_decisions[u.line].keep:
                    p.line_decisions[u.line] = d
                    removed += 1
                if all(not x.keep for x in p.line_decisions):
                    p.decision, p.line_decisions = d, None
    return new_state, removed
