"""Near-duplicate paragraphs (and documents) with MinHash LSH.

Pipeline, all batch-vectorised with numpy over many paragraphs at once:

1. **normalise**: NFKC, casefold, digits -> 0, punctuation/underscores -> space; scripts written without
   spaces (Chinese, Japanese, Thai, Lao, Khmer, Myanmar) get a space around every character, so their
   "words" are characters.
2. **shingle**: word 3-grams; paragraphs with fewer than 8 words use single words. Tokens are hashed
   from their UTF-8 bytes, all at once (no Python loop per token): a token of up to 16 bytes packed
   into two 64-bit words and mixed, a longer one as a position-mixed sum of its bytes.
   Each paragraph's shingles form an exact set of 64-bit hashes.
3. **sign**: MinHash with datasketch's ``affine32`` permutation scheme (datasketch 2.0): the same
   permutations as ``datasketch.MinHash(num_perm, seed, scheme="affine32")``, applied to all
   paragraphs of a batch at once; a signature equals ``MinHash.update_batch`` over the shingle hashes
   (tested).
4. **index / query**: banded LSH (``bands`` x ``rows``, defaults from datasketch's
   ``_optimal_param``); each band is a sorted array of ``(band key << 32 | entry id)``, so a lookup is a
   ``searchsorted``. Only paragraphs that were *kept* enter the index.
5. **verify and resolve**: in ingestion order, each paragraph's candidates are taken in the order of
   their MinHash estimate (then earliest first); candidates that are no longer kept are skipped, and the
   first one that verifies on the real shingle sets — resemblance (Jaccard) or containment of the later
   paragraph in the earlier one (trimmed copies) — makes the paragraph its duplicate. Duplicates never
   become targets, so chains cannot grow clusters: every removed paragraph points at a kept one it
   really resembles. Candidates whose estimate is far below both thresholds are never verified.

A bucket shared by very many entries (a template line) contributes only its ``bucket_cap`` earliest
entries as candidates, which bounds the work per paragraph.
"""

from __future__ import annotations

import gc
import io
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from dechaff.model import DUPLICATE, DUPLICATE_DOCUMENT, KEEP, Decision
from dechaff.writers import STATE_SUFFIX

U64 = np.uint64
_M64 = (1 << 64) - 1


KEEP_POLICIES = ("earliest", "longest")


@dataclass(frozen=True)
class DedupParams:
    num_perm: int = 128
    bands: int = 42
    rows: int = 3
    seed: int = 1
    ngram: int = 3
    short_words: int = 8  # paragraphs with fewer words are shingled by ``short_ngram``-grams
    short_ngram: int = 1
    min_words: int = 5  # paragraphs with fewer words are never deduplicated (too short to mean copying)
    jaccard: float = 0.4  # verified resemblance (word 3-gram sets) that makes a duplicate...
    min_share: float = 0.6  # ...when at least this share of the later paragraph is in the earlier one
    containment: float = 0.8  # share of the later paragraph found in an earlier one
    min_containment_shingles: int = 6
    bucket_cap: int = 16
    max_chars: int = 1_000_000  # a longer paragraph (no real prose is) is compared on its first 1M chars
    doc_share: float = 0.5  # a document with MORE than this share copied from ONE earlier document
    scheme: str = "affine32"
    keep: str = "earliest"  # which copy of a paragraph stays: "earliest" or "longest"

    def __post_init__(self) -> None:
        if self.keep not in KEEP_POLICIES:
            raise ValueError(f"keep must be one of {', '.join(KEEP_POLICIES)}, not {self.keep!r}")

    def signature_fields(self) -> dict:
        """What persisted signatures depend on; a change invalidates stored band keys."""
        d = asdict(self)
        import datasketch

        return {k: d[k] for k in ("num_perm", "bands", "rows", "seed", "ngram", "short_words", "short_ngram", "scheme")} | {
            "datasketch": datasketch.__version__, "normalize": "nfkc-casefold-digit0-punct-bytes-v2",
            "token_hash": "pack16-top40-v5", "fingerprint": "fmix-sum-digits-v3"}


# ------------------------------------------------------------------------------------ normalisation
# ASCII bytes: letters and digits stay (capitals become small, digits become 0), everything else is a
# separator; \n separates paragraphs. Bytes >= 0x80 (UTF-8 sequences) are word bytes unless they encode
# punctuation (below).
_BYTE_MAP = bytes((b if (97 <= b <= 122 or b >= 128 or b == 10) else b + 32 if 65 <= b <= 90
                   else 48 if 48 <= b <= 57 else 32) for b in range(256))
# UTF-8 punctuation blocks turned into separators: (lead byte, second byte range, sequence length)
_PUNCT_SEQ = (
    (0xC2, 0xA0, 0xBF, 2),  # Latin-1 punctuation and symbols (« » ¡ ¿ § © ° ...)
    (0xC3, 0x97, 0x97, 2),  # ×
    (0xC3, 0xB7, 0xB7, 2),  # ÷
    (0xE2, 0x80, 0x81, 3),  # General Punctuation: dashes, quotes, ellipsis, bullets (U+2000-U+207F)
    (0xE3, 0x80, 0x80, 3),  # CJK symbols and punctuation (U+3000-U+303F)
    (0xD8, 0x8C, 0x9F, 2),  # Arabic comma, semicolon, question mark
    (0xE0, 0xA5, 0xA5, 3),  # Devanagari danda (U+0964-U+097F range, conservative)
)
# scripts written without spaces between words: every character is a token
_NOSPACE_LEAD = ((0xE3, 0x81, 0xBF), (0xE4, 0x80, 0xBF), (0xE5, 0x80, 0xBF), (0xE6, 0x80, 0xBF),
                 (0xE7, 0x80, 0xBF), (0xE8, 0x80, 0xBF), (0xE9, 0x80, 0xBF),  # kana, CJK ideographs
                 (0xE0, 0xB8, 0xBB),  # Thai, Lao
                 (0xE1, 0x80, 0x82), (0xE1, 0x9E, 0x9F))  # Myanmar, Khmer


def normalize_bytes(texts: Sequence[str], pad: int = 0) -> np.ndarray:
    """Normalise many paragraphs at once into one uint8 array: NFKC, casefold, digits -> 0,
    punctuation -> space, one ``\n`` between paragraphs, then ``pad`` spaces. Costs a few ms per MB.
    The array is read-only when every text is ASCII."""
    return _normalized(texts, pad)[0]


def _normalized(texts: Sequence[str], pad: int = 0) -> tuple[np.ndarray, bytes]:
    """:func:`normalize_bytes`, and the bytes it was mapped from (same length: the map is byte for
    byte), where the digits that the normalised form folds to 0 still have their values."""
    ascii_only = all(t.isascii() for t in texts)
    if any("\n" in t for t in texts):  # a line break inside a paragraph is a space
        texts = [t.replace("\n", " ") for t in texts]
    if pad and texts:  # trailing spaces, added to the last paragraph (copying it, not the whole batch)
        texts = [*texts[:-1], texts[-1] + " " * pad]
    if ascii_only:  # ASCII paragraphs need no Unicode work: the byte map lower-cases them
        raw = "\n".join(texts).encode("ascii")
    else:  # one paragraph at a time: no giant wide-character string to build and encode
        # (NFKC maps no character to a line break, so the folded paragraphs have none either)
        raw = b"\n".join(t.encode("ascii") if t.isascii() else
                         unicodedata.normalize("NFKC", t).casefold().encode("utf-8", errors="replace")
                         for t in texts)
    b = np.frombuffer(raw.translate(_BYTE_MAP), dtype=np.uint8)
    if ascii_only or not len(b):
        return b, raw
    b = b.copy()
    n = len(b)
    leads = np.flatnonzero(b >= 0xC0)  # first bytes of multi-byte characters
    lead_b = b[leads]
    for lead, lo, hi, size in _PUNCT_SEQ:
        pos = leads[lead_b == lead]
        pos = pos[pos < n - size + 1]
        if len(pos):
            sec = b[pos + 1]
            pos = pos[(sec >= lo) & (sec <= hi)]
            for k in range(size):
                b[pos + k] = 32
    return b, raw


def normalize(text: str) -> str:
    """The normalised form of one text (for humans and tests; the pipeline works on bytes)."""
    b = normalize_bytes([text])
    starts, ends = _token_bounds(b)
    return " ".join(b[s:e].tobytes().decode("utf-8", "replace") for s, e in zip(starts, ends, strict=True))


def _token_bounds(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end offsets of the tokens in normalised bytes: runs of word bytes, except that every
    character of a script written without spaces (CJK, Thai...) is a token of its own."""
    n = len(b)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    tok = (b != 32) & (b != 10)
    nospace = np.zeros(0, np.int64)
    if int(b.max()) >= 0xC0:
        leads = np.flatnonzero(b >= 0xC0)
        lead_b = b[leads]
        found = []
        for l0, lo, hi in _NOSPACE_LEAD:
            pos = leads[lead_b == l0]
            pos = pos[pos < n - 2]
            if len(pos):
                sec = b[pos + 1]
                found.append(pos[(sec >= lo) & (sec <= hi)])
        if found:
            nospace = np.unique(np.concatenate(found))
    if len(nospace) == 0:  # tokens are the runs of word bytes
        edges = np.flatnonzero(tok[1:] != tok[:-1]) + 1  # alternately a token's start and its end
        if tok[0]:
            edges = np.concatenate(([0], edges))
        if tok[-1]:
            edges = np.concatenate((edges, [n]))
        return edges[0::2].astype(np.int64), edges[1::2].astype(np.int64)
    start = tok.copy()
    start[1:] &= ~tok[:-1]
    end = tok.copy()
    end[:-1] &= ~tok[1:]
    start[nospace] = True  # a character of these scripts starts a token...
    end[nospace + 2] = True  # ...and ends one
    after = nospace + 3
    after = after[after < n]
    start[after] |= tok[after]
    before = nospace - 1
    before = before[before >= 0]
    end[before] |= tok[before]
    return np.flatnonzero(start), np.flatnonzero(end) + 1


# ------------------------------------------------------------------------------------ hashing
def _fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser, IN PLACE on ``h`` (a temporary of the caller), which it returns."""
    t = np.empty_like(h)
    with np.errstate(over="ignore"):
        for mult in (0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53):
            np.right_shift(h, U64(33), out=t)
            h ^= t
            h *= U64(mult)
        np.right_shift(h, U64(33), out=t)
        h ^= t
    return h


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, IN PLACE on ``h`` (a temporary of the caller), which it returns."""
    t = np.empty_like(h)
    with np.errstate(over="ignore"):
        for shift, mult in ((16, 0x85EBCA6B), (13, 0xC2B2AE35)):
            np.right_shift(h, np.uint32(shift), out=t)
            h ^= t
            h *= np.uint32(mult)
        np.right_shift(h, np.uint32(16), out=t)
        h ^= t
    return h


_LOW40 = U64((1 << 40) - 1)


@dataclass(slots=True)
class Shingled:
    """Shingle sets of a batch: paragraph ``i`` owns ``hashes[offsets[i]:offsets[i+1]]`` (sorted, unique
    40-bit values), and has ``n_words[i]`` normalised words."""

    hashes: np.ndarray  # uint64 (40-bit values)
    offsets: np.ndarray  # int64, len n+1
    n_words: np.ndarray  # int64

    def set(self, i: int) -> np.ndarray:
        return self.hashes[self.offsets[i]: self.offsets[i + 1]]

    def __len__(self) -> int:
        return len(self.n_words)


_BYTE_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], dtype=U64)


def _token_hashes(b: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """64-bit hash of every token. Tokens of up to 16 bytes (nearly all words) are packed into two
    little-endian words and mixed; longer ones are hashed byte by byte (position-mixed sum)."""
    n = len(starts)
    if n == 0:
        return np.zeros(0, U64)
    lens = ends - starts
    if len(b) - int(ends[-1]) >= 16:  # already padded (tokenize): no copy
        pad = b
    else:
        pad = np.zeros(len(b) + 16, dtype=np.uint8)
        pad[: len(b)] = b
    # every token's first 16 bytes as two little-endian words, bytes past its end masked off;
    # ``words[i]`` is the 8 bytes starting at byte i (an unaligned view, no copy)
    words = np.ndarray(shape=(len(pad) - 8,), dtype="<u8", buffer=pad, strides=(1,))
    w0 = words[starts]
    w0 &= _BYTE_MASKS[np.minimum(lens, 8)]
    with np.errstate(over="ignore"):
        w0 *= U64(0x9E3779B97F4A7C15)
        lg = np.flatnonzero(lens > 8)  # (the second word of a shorter token is 0: it adds nothing)
        if len(lg):
            w1 = words[starts[lg] + 8]
            w1 &= _BYTE_MASKS[np.minimum(lens[lg] - 8, 8)]
            w1 *= U64(0xC2B2AE3D27D4EB4F)
            w0[lg] ^= w1
        w0 ^= lens.astype(U64) * U64(0xD6E8FEB86659FD93)
        out = _fmix64(w0)
    li = np.flatnonzero(lens > 16)
    if len(li):
        st, en = starts[li], ends[li]
        idx = _ranges(st, en - st)
        rel = (idx - np.repeat(st, en - st)).astype(U64)
        with np.errstate(over="ignore"):
            v = _fmix64(b[idx].astype(U64) * U64(0x9E3779B97F4A7C15) + rel * U64(0xC2B2AE3D27D4EB4F))
            seg = np.concatenate(([0], np.cumsum(en - st)[:-1]))
            out[li] = _fmix64(np.add.reduceat(v, seg) ^ (en - st).astype(U64) * U64(0xD6E8FEB86659FD93))
    return out


def _grams(th: np.ndarray, pid: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of the word k-grams that do not cross a paragraph boundary, with their paragraph."""
    if k <= 1:
        return th, pid
    if len(th) < k:
        return np.zeros(0, U64), np.zeros(0, np.int64)
    valid = pid[: len(pid) - k + 1] == pid[k - 1:]
    with np.errstate(over="ignore"):
        g = th[: len(th) - k + 1].copy()
        for j in range(1, k):
            part = th[j: len(th) - k + 1 + j]
            g = (g * U64(0x100000001B3)) ^ ((part << U64(j * 7)) | (part >> U64(64 - j * 7)))
        g = _fmix64(g)
    return g[valid], pid[: len(pid) - k + 1][valid]


def _blocks(cum: np.ndarray, budget: int, max_items: int = 1 << 62) -> Iterator[tuple[int, int]]:
    """Consecutive ranges ``i:j`` of items whose sizes (``cum``: their running total) add up to about
    ``budget``, at least one item and at most ``max_items`` each: the cache-sized blocks the batch
    functions below work through (their results never depend on the blocks)."""
    n, i = len(cum), 0
    while i < n:
        base = int(cum[i - 1]) if i else 0
        j = min(max(int(np.searchsorted(cum, base + budget, side="right")), i + 1), i + max_items)
        yield i, j
        i = j


@dataclass(slots=True)
class Tokens:
    """The normalised words of a batch: paragraph ``i`` has ``n_words[i]`` tokens, whose hashes follow
    those of paragraph ``i - 1`` in ``hashes``, and the fingerprint ``fp[i]`` (see :func:`fingerprints`).
    ``wfp[i]`` is the fingerprint of its words with every number as one placeholder, ``dh[i]`` a hash of its numbers'
    digits (0: none; dates left out): two paragraphs with the same ``wfp`` and different ``dh`` say the
    same thing with other numbers (see :func:`numbers_differ`)."""

    hashes: np.ndarray  # uint64
    n_words: np.ndarray  # int64
    fp: np.ndarray  # uint64
    wfp: np.ndarray  # uint64
    dh: np.ndarray  # uint64

    @property
    def pid(self) -> np.ndarray:
        """The paragraph of every token (ascending)."""
        return np.repeat(np.arange(len(self.n_words), dtype=np.int64), self.n_words)


def tokenize(texts: Sequence[str], block_chars: int = 1 << 18) -> Tokens:
    """The normalised words of many paragraphs. Works through them in blocks of about ``block_chars``
    characters (whole paragraphs; the result does not depend on it) so that the byte and token arrays
    of a block stay in the CPU cache."""
    n = len(texts)
    if n >= 1 << 23:
        raise ValueError("tokenize at most 8M paragraphs per batch")
    hashes: list[np.ndarray] = []
    n_words: list[np.ndarray] = []
    fps: list[np.ndarray] = []
    wfps: list[np.ndarray] = []
    dhs: list[np.ndarray] = []
    chars = np.cumsum(np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=n))
    for i, j in _blocks(chars, block_chars):
        th, nw, fp, wfp, dh = _tokenize_block(texts[i:j])
        hashes.append(th)
        n_words.append(nw)
        fps.append(fp)
        wfps.append(wfp)
        dhs.append(dh)
    if not hashes:
        return Tokens(*(np.zeros(0, t) for t in (U64, np.int64, U64, U64, U64)))
    return Tokens(*(np.concatenate(x) for x in (hashes, n_words, fps, wfps, dhs)))


def _tokenize_block(texts: Sequence[str]) -> tuple[np.ndarray, ...]:
    """Token hashes and word counts of the paragraphs, their fingerprints (numbers included), the
    fingerprints of their words without the numbers, and the hashes of their numbers (see :class:`Tokens`)."""
    b, raw = _normalized(texts, pad=16)
    starts, ends = _token_bounds(b)
    th = _token_hashes(b, starts, ends)
    # paragraph p's tokens start between the (p-1)th and the pth line break
    breaks = np.flatnonzero(b == 10)
    cuts = np.searchsorted(starts, breaks)
    nw = np.diff(np.concatenate(([0], cuts, [len(starts)]))).astype(np.int64)
    sums = _fingerprint_sums(th, nw)
    folded = _finish(sums.copy(), nw)
    none = np.zeros(len(nw), dtype=U64)
    d = np.flatnonzero(b == 48)  # every digit (a 0 in the normalised bytes): few, so the work below is small
    if not len(d):
        return th, nw, folded, folded, none
    dtok = np.searchsorted(starts, d, side="right") - 1  # the token of each digit (ascending)
    run = np.flatnonzero(np.concatenate(([True], dtok[1:] != dtok[:-1])))
    toks = dtok[run]  # the tokens with digits...
    n_digits = np.diff(np.append(run, len(d)))
    numeric = toks[n_digits == (ends - starts)[toks]]  # ...and those made of digits only: numbers

    def tpar(ids: np.ndarray) -> np.ndarray:  # the paragraph of tokens
        return np.searchsorted(breaks, starts[ids])

    wfp = _numbers_as_one(th, nw, sums, numeric, tpar(numeric))
    # the digits' values, in order, per paragraph (digit runs told apart: "1 23" is not "12 3"), except
    # those of dates: a date is the slot of a line ("first published on 9 January 2005"), not its fact
    date = _date_tokens(th, tpar, toks, numeric)
    if len(date):
        is_date = np.zeros(len(th), dtype=bool)
        is_date[date] = True
        d = d[~is_date[dtok]]
        if not len(d):
            return th, nw, folded, wfp, none
    r = np.frombuffer(raw, dtype=np.uint8)
    run_start = np.ones(len(d), dtype=bool)
    run_start[1:] = d[1:] != d[:-1] + 1
    dpar = np.searchsorted(breaks, d)  # the paragraph of each digit
    first = np.flatnonzero(np.concatenate(([True], dpar[1:] != dpar[:-1])))
    rank = np.arange(len(d)) - np.repeat(first, np.diff(np.append(first, len(d))))
    with np.errstate(over="ignore"):
        v = _fmix64((r[d].astype(U64) | (run_start.astype(U64) << U64(8)) | (rank.astype(U64) << U64(9)))
                    * U64(0x9E3779B97F4A7C15))
        dh = none.copy()
        dh[dpar[first]] = np.add.reduceat(v, first)
        has = dh != 0
        fp = folded.copy()
        fp[has] = _fmix64(folded[has] ^ dh[has])
    return th, nw, fp, wfp, dh


def _numbers_as_one(th: np.ndarray, nw: np.ndarray, sums: np.ndarray, numeric: np.ndarray,
                    npar: np.ndarray) -> np.ndarray:
    """The fingerprints of the paragraphs with every number (token ids ``numeric``, in paragraphs
    ``npar``, ascending) replaced by one placeholder: the fingerprint sums are additive, so only the
    numbers' terms are taken out and the placeholder's put in."""
    if not len(numeric):
        return _finish(sums.copy(), nw)
    first_tok = np.concatenate(([0], np.cumsum(nw)[:-1]))
    pos = (numeric - first_tok[npar]).astype(U64) + U64(1)
    runs = np.flatnonzero(np.concatenate(([True], npar[1:] != npar[:-1])))
    with np.errstate(over="ignore"):
        delta = _fmix64(_NUMBER ^ (pos * _GOLD)) - _fmix64(th[numeric] ^ (pos * _GOLD))
        out = sums.copy()
        out[npar[runs]] += np.add.reduceat(delta, runs)
    return _finish(out, nw)


_MONTHS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec "
    "januar februar märz mai juni juli oktober dezember "  # German
    "janvier février mars avril juin juillet août septembre octobre novembre décembre "  # French
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre "  # Spanish
    "janeiro fevereiro março maio junho julho setembro outubro novembro dezembro "  # Portuguese
    "gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre "  # Italian
    "januari februari maart mei augustus")  # Dutch
_MONTH_HASHES: np.ndarray | None = None


def _month_hashes() -> np.ndarray:
    global _MONTH_HASHES
    if _MONTH_HASHES is None:
        b = normalize_bytes([_MONTHS])
        starts, ends = _token_bounds(b)
        _MONTH_HASHES = np.unique(_token_hashes(b, starts, ends))
    return _MONTH_HASHES


def _date_tokens(th: np.ndarray, tpar: Callable[[np.ndarray], np.ndarray], toks: np.ndarray,
                 numeric: np.ndarray) -> np.ndarray:
    """Which of the tokens with digits ``toks`` are part of a date: next to a month name in the same
    paragraph ("9 January", "Jan 9th"), or a number right after such a token ("January 9, 2005")."""
    n = len(th)
    months = _month_hashes()

    def month(ids: np.ndarray) -> np.ndarray:
        x = th[ids]
        return months[np.minimum(np.searchsorted(months, x), len(months) - 1)] == x

    prev = toks[toks > 0]
    prev = prev[month(prev - 1)]
    prev = prev[tpar(prev - 1) == tpar(prev)]
    nxt = toks[toks < n - 1]
    nxt = nxt[month(nxt + 1)]
    nxt = nxt[tpar(nxt + 1) == tpar(nxt)]
    date = np.union1d(prev, nxt)
    if len(date):  # a year after a day: "January 9, 2005"
        after = date[date < n - 1] + 1
        after = after[np.isin(after, numeric)]
        date = np.union1d(date, after[tpar(after) == tpar(after - 1)])
    return date


def numbers_differ(wfp_a: np.ndarray, dh_a: np.ndarray, wfp_b: np.ndarray, dh_b: np.ndarray) -> np.ndarray:
    """Pairs of paragraphs that read the same but for their numbers ("rose to 12" / "rose to 15"): not
    copies of each other, whatever their similarity (local versions of a wire story, daily figures).
    Dates do not count ("first published on 9 January" / "... 18 January" are one line)."""
    return (wfp_a == wfp_b) & (dh_a != dh_b)


def fingerprints(tok: Tokens) -> np.ndarray:
    """A 64-bit hash of every paragraph's normalised word sequence and of its digits: paragraphs with
    the same normalised text and the same numbers (an exact copy up to case and punctuation) have the
    same fingerprint."""
    return tok.fp


_GOLD = U64(0x9E3779B97F4A7C15)
_NUMBER = U64(0x6A09E667F3BCC909)  # what stands for every number in the fingerprint without numbers


def _fingerprints(th: np.ndarray, n_words: np.ndarray) -> np.ndarray:
    return _finish(_fingerprint_sums(th, n_words), n_words)


def _fingerprint_sums(th: np.ndarray, n_words: np.ndarray) -> np.ndarray:
    """Per paragraph, the sum of its tokens' hashes mixed with their positions (before :func:`_finish`)."""
    n = len(n_words)
    fp = np.zeros(n, dtype=U64)
    if len(th) == 0:  # (no words: every fingerprint is 0)
        return fp
    first = np.concatenate(([0], np.cumsum(n_words)[:-1]))
    pos = (np.arange(len(th)) - np.repeat(first, n_words)).astype(U64)  # within the paragraph
    nz = np.flatnonzero(n_words > 0)
    with np.errstate(over="ignore"):
        v = _fmix64(th ^ ((pos + U64(1)) * _GOLD))
        fp[nz] = np.add.reduceat(v, first[nz])
    return fp


def _finish(sums: np.ndarray, n_words: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return _fmix64(sums ^ (n_words.astype(U64) * U64(0xC2B2AE3D27D4EB4F)))


def shingles_of(tok: Tokens, rows: np.ndarray, params: DedupParams, block: int = 1 << 17) -> Shingled:
    """The shingle sets of paragraphs ``rows`` (ascending) of a tokenized batch, in that order. Whole
    paragraphs go through in blocks of about ``block`` tokens, so that the arrays stay in the CPU cache
    (the result does not depend on it)."""
    n = len(rows)
    if n == 0:
        return Shingled(np.zeros(0, U64), np.zeros(1, np.int64), np.zeros(0, np.int64))
    tok_off = np.concatenate(([0], np.cumsum(tok.n_words)))
    n_words = tok.n_words[rows]
    hashes: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    for i, j in _blocks(np.cumsum(n_words), block):
        r0, r1 = int(rows[i]), int(rows[j - 1])
        if r1 - r0 == j - 1 - i:  # consecutive paragraphs: their tokens are one slice
            th = tok.hashes[tok_off[r0]: tok_off[r1 + 1]]
        else:
            th = tok.hashes[_ranges(tok_off[rows[i:j]], n_words[i:j])]
        h, c = _shingle_block(th, n_words[i:j], params)
        hashes.append(h)
        counts.append(c)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.concatenate(counts), out=offsets[1:])
    return Shingled(np.concatenate(hashes), offsets, n_words)


def _shingle_block(th: np.ndarray, n_words: np.ndarray, params: DedupParams) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique shingles (40-bit) of consecutive paragraphs with these token hashes and word
    counts, and how many each paragraph has."""
    n = len(n_words)
    pid = np.repeat(np.arange(n, dtype=np.int64), n_words)
    gram_h, gram_p = _grams(th, pid, params.ngram)
    short_h, short_p = _grams(th, pid, params.short_ngram)
    long_par = n_words >= params.short_words
    # paragraphs too short for even one short n-gram fall back to single words
    tiny = n_words < max(params.short_ngram, 1)
    sel_g = long_par[gram_p]
    sel_s = ~long_par[short_p] & ~tiny[short_p]
    sel_u = tiny[pid]
    # one sortable key per shingle: paragraph id in the top 24 bits, the shingle's top 40 hash bits below
    key = np.concatenate(((gram_p[sel_g].astype(U64) << U64(40)) | (gram_h[sel_g] >> U64(24)),
                          (short_p[sel_s].astype(U64) << U64(40)) | (short_h[sel_s] >> U64(24)),
                          (pid[sel_u].astype(U64) << U64(40)) | (th[sel_u] >> U64(24))))
    key.sort()
    if len(key):
        keep = np.ones(len(key), dtype=bool)
        keep[1:] = key[1:] != key[:-1]
        key = key[keep]
    counts = np.bincount((key >> U64(40)).astype(np.int64), minlength=n)
    return key & _LOW40, counts


def shingle_many(texts: Sequence[str], params: DedupParams) -> Shingled:
    return shingles_of(tokenize(texts), np.arange(len(texts)), params)


# ------------------------------------------------------------------------------------ MinHash
_PERM_CACHE: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def permutations(params: DedupParams) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's own permutations for (num_perm, seed, scheme)."""
    key = (params.num_perm, params.seed, params.scheme)
    if key not in _PERM_CACHE:
        from datasketch import MinHash

        m = MinHash(num_perm=params.num_perm, seed=params.seed, scheme=params.scheme)
        a, b = m.permutations
        _PERM_CACHE[key] = (np.asarray(a, dtype=np.uint32), np.asarray(b, dtype=np.uint32))
    return _PERM_CACHE[key]


def shingle_hash32(h40: np.ndarray) -> np.ndarray:
    """The 32-bit value a shingle contributes to MinHash (what datasketch's ``hashfunc`` would return)."""
    return (h40 >> U64(8)).astype(np.uint32)


def signatures(sh: Shingled, params: DedupParams, block: int = 1 << 17) -> np.ndarray:
    """MinHash signatures (n x num_perm, uint32) of every paragraph; empty sets get the max value.
    Whole paragraphs go through in blocks of about ``block`` shingles, all permutations per block, so
    the working buffer stays in the CPU cache."""
    n = len(sh)
    a, b = permutations(params)
    sig = np.full((n, params.num_perm), np.uint32(0xFFFFFFFF), dtype=np.uint32)
    counts = np.diff(sh.offsets)
    nonempty = np.flatnonzero(counts > 0)
    if len(nonempty) == 0:
        return sig
    hv = _fmix32(shingle_hash32(sh.hashes))
    starts, ends = sh.offsets[nonempty], sh.offsets[nonempty + 1]
    out = np.empty((params.num_perm, len(nonempty)), dtype=np.uint32)  # one contiguous row per permutation
    buf = np.empty(block + int(counts.max()), dtype=np.uint32)
    with np.errstate(over="ignore"):
        for i, j in _blocks(ends, block):  # (``ends`` is the running total of the set sizes)
            s0, s1 = int(starts[i]), int(ends[j - 1])
            h, B, seg = hv[s0:s1], buf[: s1 - s0], starts[i:j] - s0
            for k in range(params.num_perm):
                np.multiply(h, a[k], out=B)
                np.add(B, b[k], out=B)
                np.minimum.reduceat(B, seg, out=out[k, i:j])
    sig[nonempty] = out.T
    return sig


def band_keys(sig: np.ndarray, params: DedupParams) -> np.ndarray:
    """(n x bands) uint32 bucket keys: each band's ``rows`` values mixed into one number."""
    r, nb = params.rows, params.bands
    with np.errstate(over="ignore"):
        # value j of every band is column j of a strided view: one contiguous n x bands array per j
        acc = sig[:, 0: nb * r: r].astype(U64)
        acc += U64(0x9E3779B97F4A7C15)
        for j in range(1, r):
            acc *= U64(0x100000001B3)
            x = sig[:, j: nb * r: r].astype(U64)
            x += U64(j + 1) * U64(0x9E3779B97F4A7C15)
            acc ^= x
        acc += np.arange(nb, dtype=U64) * U64(0xD6E8FEB86659FD93)
        acc = _fmix64(acc)
    return (acc >> U64(32)).astype(np.uint32)


# ------------------------------------------------------------------------------------ index
class BandIndex:
    """Sorted per-band arrays of ``key << 32 | entry_id``; entry ids are ingestion order."""

    def __init__(self, bands: int) -> None:
        self.bands = bands
        self.tables: list[np.ndarray] = [np.zeros(0, U64) for _ in range(bands)]
        self.size = 0

    def add(self, keys: np.ndarray, first_id: int) -> None:
        """Add entries ``first_id ..`` with their (m x bands) keys."""
        m = keys.shape[0]
        if m == 0:
            return
        if first_id != self.size:
            raise ValueError(f"entries must be added in order: expected id {self.size}, got {first_id}")
        ids = np.arange(first_id, first_id + m, dtype=U64)
        comb = (keys.T.astype(U64) << U64(32)) | ids  # bands x m; unique values, so any sort will do
        if self.size == 0:
            comb.sort(axis=1)
            self.tables = list(comb)
        else:
            for j in range(self.bands):
                self.tables[j] = np.sort(np.concatenate((self.tables[j], comb[j])))
        self.size += m

    def nbytes(self) -> int:
        return sum(t.nbytes for t in self.tables)

    def candidates(self, keys: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
        """For each query row ``q`` (keys q x bands), entries sharing a bucket: pairs (query row, entry id),
        at most ``cap`` earliest entries per bucket, unique."""
        qs, es = [], []
        for j in range(self.bands):
            t = self.tables[j]
            if len(t) == 0:
                continue
            k = keys[:, j].astype(U64) << U64(32)
            lo = np.searchsorted(t, k, side="left")
            hi = np.searchsorted(t, k | U64(0xFFFFFFFF), side="right")
            cnt = np.minimum(hi - lo, cap)
            tot = int(cnt.sum())
            if tot == 0:
                continue
            q = np.repeat(np.arange(len(k)), cnt)
            base = np.repeat(lo - np.concatenate(([0], np.cumsum(cnt)[:-1])), cnt)
            pos = base + np.arange(tot)
            qs.append(q)
            es.append((t[pos] & U64(0xFFFFFFFF)).astype(np.int64))
        return _unique_pairs(qs, es)


def _unique_pairs(qs: list[np.ndarray], es: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    if not qs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    import polars as pl

    key = (np.concatenate(qs).astype(np.int64) << 32) | np.concatenate(es).astype(np.int64)
    key = pl.Series(key).unique().to_numpy()  # hash-based: much cheaper than sorting the repeats away
    return key >> 32, key & 0xFFFFFFFF


def within_batch_candidates(keys: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (later row, earlier row) among the rows of one batch sharing a bucket (``cap`` earliest)."""
    n = keys.shape[0]
    qs, es = [], []
    rows = np.arange(n, dtype=U64)
    idx = np.arange(n)
    for j in range(keys.shape[1]):
        comb = np.sort((keys[:, j].astype(U64) << U64(32)) | rows)
        k = comb >> U64(32)
        order = (comb & U64(0xFFFFFFFF)).astype(np.int64)
        grp_start = np.ones(n, dtype=bool)
        grp_start[1:] = k[1:] != k[:-1]
        gidx = np.maximum.accumulate(np.where(grp_start, idx, 0))
        m = np.minimum(idx - gidx, cap)
        tot = int(m.sum())
        if tot == 0:
            continue
        later = np.repeat(order, m)
        earlier = order[_ranges(gidx, m)]
        qs.append(later)
        es.append(earlier)
    return _unique_pairs(qs, es)


# ------------------------------------------------------------------------------------ verification
def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + n)`` for every (s, n), vectorised."""
    tot = int(lengths.sum())
    if tot == 0:
        return np.zeros(0, np.int64)
    shift = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return shift + np.arange(tot)


# ------------------------------------------------------------------------------------ persistent index
class DedupIndex:
    """The kept paragraphs of the corpus, for deduplicating new ones against them.

    In RAM: the per-band sorted arrays (``bands`` x 8 bytes per entry) and the sorted fingerprints of
    the entries' normalised texts (12 bytes per entry), for exact copies. On disk, one segment per run
    under the state directory: ``<name>.keys.npy`` (band keys), ``<name>.fp.npy`` (fingerprints) and
    ``<name>.pq`` (Parquet: entry id, doc_id, paragraph_index, text). Texts are read back only for
    candidates, to verify them.
    """

    def __init__(self, params: DedupParams) -> None:
        self.params = params
        self.band = BandIndex(params.bands)
        self.segments: list[Path] = []
        self.committed = 0  # entries stored on disk; the ones after are pending (this run's)
        self.pending: list[tuple[str, int, str]] = []
        self.pending_keys: list[np.ndarray] = []
        self.pending_fps: list[np.ndarray] = []
        # kept paragraphs too short to be entries (no band keys): stored for aligning duplicate documents
        self.pending_other: list[tuple[str, int, str]] = []
        self._pending_docs: dict[str, list[tuple[int, str]]] = {}
        # kept paragraph (doc, index) -> later kept documents that had a duplicate of it
        self.pending_copiers: dict[tuple[str, int], list[str]] = {}
        # keep = "longest": entries replaced by a longer copy -> (the replacing entry, rule, similarity)
        self.retired: dict[int, tuple[int, str, float]] = {}
        self.pending_retired: dict[int, tuple[int, str, float]] = {}
        # segments whose band keys and fingerprints were recomputed on load (other signature settings):
        # :meth:`write_rederived` stores them, so that the next run, under the new settings, reads them
        self.rederived: list[tuple[Path, np.ndarray, np.ndarray]] = []
        self._fp = np.zeros(0, U64)  # sorted fingerprints...
        self._fp_id = np.zeros(0, np.uint32)  # ...and their entry ids (earliest first among equals)

    @property
    def size(self) -> int:
        return self.band.size

    @classmethod
    def load(cls, params: DedupParams, segment_paths: Sequence[Path], recompute: bool = False) -> DedupIndex:
        idx = cls(params)
        for base in segment_paths:
            keys = np.load(f"{base}.keys.npy")
            fp_path = Path(f"{base}.fp.npy")
            fps = np.load(fp_path) if fp_path.exists() and not recompute else None
            if recompute or keys.ndim != 2 or keys.shape[1] != params.bands or fps is None:
                # signature settings changed (or an older segment): recompute from the stored texts
                # (band keys and fingerprints are derived data)
                import polars as pl

                df = pl.read_parquet(f"{base}{STATE_SUFFIX}", columns=["entry_id", "text"])
                texts = [_clip(t, params) for t in df.filter(pl.col("entry_id").is_not_null())["text"].to_list()]
                tok = tokenize(texts)
                keys = band_keys(signatures(shingles_of(tok, np.arange(len(texts)), params), params), params)
                fps = fingerprints(tok)
                idx.rederived.append((Path(base), keys, fps))
            idx._add(keys, fps)
            idx.segments.append(Path(base))
            ret = Path(f"{base}.retired{STATE_SUFFIX}")
            if ret.exists():
                import polars as pl

                for e, by, rule, sim in pl.read_parquet(ret).iter_rows():
                    idx.retired[e] = (by, rule, sim)
        idx.committed = idx.size
        return idx

    def add_pending(self, keys: np.ndarray, fps: np.ndarray, metas: list[tuple[str, int, str]],
                    others: Sequence[tuple[str, int, str]] = ()) -> None:
        """Entries kept by the current run: searchable at once, written by :meth:`write_pending`;
        ``others`` are kept paragraphs that are not entries (too short to deduplicate)."""
        self._add(keys, fps)
        self.pending.extend(metas)
        self.pending_keys.append(keys)
        self.pending_fps.append(fps)
        self.pending_other.extend(others)
        for d, p, t in (*metas, *others):
            self._pending_docs.setdefault(d, []).append((p, t))

    def retire(self, entry: int, by: int, rule: str, similarity: float) -> None:
        """Entry ``entry`` was replaced by the longer entry ``by`` (keep = "longest")."""
        self.retired[entry] = (by, rule, similarity)
        self.pending_retired[entry] = (by, rule, similarity)

    def final(self, entry: int) -> int:
        """The entry that stands for ``entry`` now: itself, or what replaced it (transitively)."""
        while entry in self.retired:
            entry = self.retired[entry][0]
        return entry

    def add_copiers(self, pairs: Sequence[tuple[str, int, str]]) -> None:
        """Record that document ``doc`` (kept) had a duplicate of kept paragraph (tdoc, tpara)."""
        for tdoc, tpara, doc in pairs:
            self.pending_copiers.setdefault((tdoc, tpara), []).append(doc)

    def copiers(self, targets: Sequence[tuple[str, int]]) -> dict[tuple[str, int], list[str]]:
        """For kept paragraphs, the kept documents that had a duplicate of them, earliest first."""
        found = {t: list(self.pending_copiers.get(t, ())) for t in targets}
        files = [f"{s}.copies{STATE_SUFFIX}" for s in self.segments if Path(f"{s}.copies{STATE_SUFFIX}").exists()]
        if targets and files:
            import polars as pl

            want = pl.DataFrame({"target_doc": [t[0] for t in targets],
                                 "target_paragraph": pl.Series([t[1] for t in targets], dtype=pl.Int32)})
            df = (pl.scan_parquet(files).join(want.lazy(), on=["target_doc", "target_paragraph"])
                  .select("target_doc", "target_paragraph", "doc_id").collect())
            old: dict[tuple[str, int], list[str]] = {}
            for d, p, c in df.iter_rows():
                old.setdefault((d, p), []).append(c)
            for t, cs in old.items():
                found[t] = cs + found[t]
        return found

    def doc_paragraphs(self, doc_ids: Sequence[str]) -> dict[str, list[tuple[int, str]]]:
        """The kept paragraphs (index, text) of earlier documents, in paragraph order."""
        gone = {self.pending[e - self.committed][:2] for e in self.retired if e >= self.committed}
        found = {d: sorted(x for x in self._pending_docs[d] if (d, x[0]) not in gone)
                 for d in doc_ids if d in self._pending_docs}
        want = [d for d in doc_ids if d not in found]
        if want and self.segments:
            import polars as pl

            retired = [e for e in self.retired if e < self.committed]
            df = (pl.scan_parquet([f"{s}{STATE_SUFFIX}" for s in self.segments])
                  .filter(pl.col("doc_id").is_in(want)
                          & (pl.col("entry_id").is_null() | ~pl.col("entry_id").is_in(retired)))
                  .select("doc_id", "paragraph_index", "text").sort("doc_id", "paragraph_index").collect())
            for d, p, t in df.iter_rows():
                found.setdefault(d, []).append((p, t))
        return found

    def _add(self, keys: np.ndarray, fps: np.ndarray) -> None:
        if keys.shape[0] != len(fps):
            raise ValueError("one fingerprint per entry")
        if keys.shape[0]:
            first = self.band.size
            self.band.add(keys, first)
            ids = np.concatenate((self._fp_id, np.arange(first, first + len(fps), dtype=np.uint32)))
            allfp = np.concatenate((self._fp, fps.astype(U64)))
            order = np.argsort(allfp, kind="stable")  # equal fingerprints stay in entry order
            self._fp, self._fp_id = allfp[order], ids[order]

    def exact(self, fps: np.ndarray) -> np.ndarray:
        """For each fingerprint, the earliest entry with the same normalised text, or -1."""
        pos = np.searchsorted(self._fp, fps)
        found = pos < len(self._fp)
        found[found] = self._fp[pos[found]] == fps[found]
        out = np.full(len(fps), -1, dtype=np.int64)
        out[found] = self._fp_id[pos[found]]
        return out

    def nbytes(self) -> int:
        return self.band.nbytes() + self._fp.nbytes + self._fp_id.nbytes

    def fetch(self, ids: np.ndarray) -> dict[int, tuple[str, int, str]]:
        """entry id -> (doc_id, paragraph_index, text): pending entries from memory, the others read
        from the segments on disk."""
        found = {int(e): self.pending[int(e) - self.committed] for e in ids if e >= self.committed}
        want = [int(e) for e in ids if e < self.committed]
        if not want or not self.segments:
            return found
        import polars as pl

        df = (pl.scan_parquet([f"{s}{STATE_SUFFIX}" for s in self.segments])
              .filter(pl.col("entry_id").is_in(want))
              .select("entry_id", "doc_id", "paragraph_index", "text").collect())
        found.update({e: (d, p, t) for e, d, p, t in df.iter_rows()})
        return found

    def write_rederived(self) -> None:
        """Replace the band keys and fingerprints of the segments recomputed on load (each file
        written to a temporary name, then renamed). Derived data: a crash half-way leaves files that the
        next run, still under the old settings in the manifest, recomputes again."""
        from dechaff.writers import atomic_write_bytes

        for base, keys, fps in self.rederived:
            for suffix, arr in ((".keys.npy", np.ascontiguousarray(keys, dtype=np.uint32)),
                                (".fp.npy", np.ascontiguousarray(fps, dtype=U64))):
                buf = io.BytesIO()
                np.save(buf, arr)
                atomic_write_bytes(Path(f"{base}{suffix}"), buf.getvalue())
        self.rederived = []

    def write_pending(self, base: Path) -> bool:
        """Write the pending entries as a segment (``<base>.pq`` and ``<base>.keys.npy``, each
        written to a temporary name and renamed); the caller commits it through the manifest.
        Returns False when there was nothing to write."""
        if not (self.pending or self.pending_other or self.pending_copiers or self.pending_retired):
            return False
        import polars as pl

        from dechaff.writers import atomic_write_bytes, atomic_write_parquet

        first_id = self.committed
        rows = self.pending + self.pending_other
        doc_ids, para_idx, texts = (list(x) for x in zip(*rows, strict=True)) if rows else ([], [], [])
        keys = np.vstack([np.zeros((0, self.params.bands), np.uint32), *self.pending_keys])
        fps = np.concatenate([np.zeros(0, U64), *self.pending_fps])
        entry = [*range(first_id, first_id + len(self.pending)), *([None] * len(self.pending_other))]

        df = pl.DataFrame({"entry_id": pl.Series(entry, dtype=pl.Int64),
                           "doc_id": doc_ids, "paragraph_index": pl.Series(para_idx, dtype=pl.Int32),
                           "text": texts}, schema_overrides={"doc_id": pl.String, "text": pl.String})
        atomic_write_parquet(df, Path(f"{base}{STATE_SUFFIX}"))
        buf = io.BytesIO()
        np.save(buf, np.ascontiguousarray(keys, dtype=np.uint32))
        atomic_write_bytes(Path(f"{base}.keys.npy"), buf.getvalue())
        buf = io.BytesIO()
        np.save(buf, np.ascontiguousarray(fps, dtype=U64))
        atomic_write_bytes(Path(f"{base}.fp.npy"), buf.getvalue())
        cp = [(d, p, c) for (d, p), cs in self.pending_copiers.items() for c in cs]
        atomic_write_parquet(pl.DataFrame(cp, schema={"target_doc": pl.String, "target_paragraph": pl.Int32,
                                                      "doc_id": pl.String}, orient="row"),
                             Path(f"{base}.copies{STATE_SUFFIX}"))
        if self.pending_retired:
            ret = [(e, by, rule, sim) for e, (by, rule, sim) in sorted(self.pending_retired.items())]
            atomic_write_parquet(pl.DataFrame(ret, schema={"entry_id": pl.Int64, "by_entry": pl.Int64,
                                                           "rule": pl.String, "similarity": pl.Float64},
                                              orient="row"), Path(f"{base}.retired{STATE_SUFFIX}"))
        self.segments.append(Path(base))
        self.committed = self.size
        self.pending, self.pending_keys, self.pending_fps = [], [], []
        self.pending_other, self._pending_docs, self.pending_copiers = [], {}, {}
        self.pending_retired = {}
        return True


@dataclass(slots=True)
class Item:
    """One paragraph offered to the deduplicator, in ingestion order."""

    doc_id: str
    paragraph_index: int
    text: str


@dataclass(slots=True)
class DedupOutcome:
    decisions: list[Decision]  # aligned with the items
    new_entries: list[int]  # items that entered the index, in order
    pairs_checked: int = 0
    # keep = "longest": paragraphs of EARLIER runs replaced by a longer copy in this one
    # (doc_id, paragraph_index, text, decision); the caller removes them from the earlier output
    replaced: list[tuple[str, int, str, Decision]] = field(default_factory=list)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The resolution allocates many small acyclic objects (decisions, tuples); the cyclic garbage
    collector would walk the whole heap several times for nothing. Paused, then restored."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def deduplicate(items: Sequence[Item], index: DedupIndex, chunk: int = 100_000) -> DedupOutcome:
    """Decide every item against the index and the items before it, in ingestion order. Items of one
    document must be contiguous. Works through the items in chunks of about ``chunk`` paragraphs (cut
    at document boundaries) so memory stays bounded; the paragraphs it keeps are added to ``index`` as
    pending entries (:meth:`DedupIndex.write_pending` stores them)."""
    with _gc_paused():
        return _deduplicate(items, index, chunk)


def _deduplicate(items: Sequence[Item], index: DedupIndex, chunk: int) -> DedupOutcome:
    decisions: list[Decision] = []
    new_entries: list[int] = []
    replaced: list[tuple[str, int, str, Decision]] = []
    item_of_entry: dict[int, int] = {}  # entries created by this call -> item
    checked = 0
    start = 0
    n = len(items)
    while start < n:
        end = min(start + chunk, n)
        while end < n and items[end].doc_id == items[end - 1].doc_id:
            end += 1
        part = items[start:end]
        out, keys, fps, entry_items = _dedup_chunk(part, index)
        # kept paragraphs too short to be entries are stored too (duplicate documents align with them)
        others = [(part[k].doc_id, part[k].paragraph_index, part[k].text) for k in out.others]
        first = index.size
        index.add_pending(keys, fps, [(part[i].doc_id, part[i].paragraph_index, part[i].text)
                                      for i in entry_items], others)
        item_of_entry.update({first + m: start + i for m, i in enumerate(entry_items)})
        decisions.extend(out.decisions)
        for e, (doc, para, text, dec) in out.replaced_entries.items():
            if e in item_of_entry:  # an earlier chunk of this call
                decisions[item_of_entry[e]] = dec
            else:
                replaced.append((doc, para, text, dec))
        new_entries.extend(start + i for i in out.new_entries)
        checked += out.pairs_checked
        start = end
    return DedupOutcome(decisions, new_entries, checked, replaced)


@dataclass(slots=True)
class _ChunkOutcome:
    decisions: list[Decision]
    new_entries: list[int]  # kept items
    pairs_checked: int
    replaced_entries: dict[int, tuple[str, int, str, Decision]]  # index entries replaced in this chunk
    others: list[int]  # kept items with words but too short to be entries


def _clip(text: str, params: DedupParams) -> str:
    return text if len(text) <= params.max_chars else text[: params.max_chars]


@dataclass(slots=True)
class _Candidates:
    """Candidate targets of the chunk's distinct paragraphs (``reps``), sorted by query, then by MinHash
    estimate (best first), then by ingestion order. A target is a row of ``osh`` (an index entry) when
    ``is_old``, else another rep."""

    cq: np.ndarray
    is_old: np.ndarray
    tgt: np.ndarray
    score: np.ndarray
    order: np.ndarray
    coff: np.ndarray  # candidates of rep s: coff[s]:coff[s+1]
    inter: np.ndarray  # exact shingle intersection of the pair
    tsize: np.ndarray  # shingle count of the target
    osh: Shingled
    old_ids: np.ndarray  # osh row -> entry id
    old_meta: dict[int, tuple[str, int, str]]


def _candidates(sub: Shingled, sig: np.ndarray, keys: np.ndarray, index: DedupIndex,
                wfp: np.ndarray, dh: np.ndarray) -> _Candidates:
    """``wfp`` and ``dh``: the word fingerprints and number hashes of the rows of ``sub`` (see :class:`Tokens`)."""
    params = index.params
    cap = params.bucket_cap
    oq, oe = index.band.candidates(keys, cap)
    nq, ne = within_batch_candidates(keys, cap)
    uniq_old = np.unique(oe)
    old_meta = index.fetch(uniq_old)
    uniq_old = np.array([e for e in uniq_old.tolist() if e in old_meta], dtype=np.int64)
    otok = tokenize([_clip(old_meta[e][2], params) for e in uniq_old.tolist()])
    osh = shingles_of(otok, np.arange(len(uniq_old)), params)
    osig = signatures(osh, params)
    known = np.isin(oe, uniq_old)
    oq, oe = oq[known], oe[known]
    orow = np.searchsorted(uniq_old, oe)
    size_new, size_old = np.diff(sub.offsets), np.diff(osh.offsets)
    cq = np.concatenate((oq, nq))
    is_old = np.concatenate((np.ones(len(oq), bool), np.zeros(len(nq), bool)))
    tgt = np.concatenate((orow, ne))
    order = np.concatenate((oe, index.size + ne))  # ingestion order of the targets
    j_est = np.concatenate((_agreement(sig, oq, osig, orow), _agreement(sig, nq, sig, ne)))
    la = size_new[cq]
    lb = np.concatenate((size_old[orow], size_new[ne]))
    c_est = np.minimum(j_est * (la + lb) / np.maximum(la, 1) / (1 + j_est), 1.0)
    plausible = (j_est >= params.jaccard - 0.15) | ((c_est >= params.containment - 0.25)
                                                     & (la >= params.min_containment_shingles))
    cq, is_old, tgt, order = cq[plausible], is_old[plausible], tgt[plausible], order[plausible]
    score = np.maximum(j_est, c_est)[plausible]
    lb = lb[plausible]
    srt = np.lexsort((order, -score, cq))
    cq, is_old, tgt, order, score, lb = cq[srt], is_old[srt], tgt[srt], order[srt], score[srt], lb[srt]
    coff = np.searchsorted(cq, np.arange(len(sub) + 1))
    # every candidate pair verified on the real shingle sets, in one vectorised pass
    inter = np.zeros(len(cq), dtype=np.int64)
    o = np.flatnonzero(is_old)
    inter[o] = pair_intersections(sub, cq[o], osh, tgt[o])
    w = np.flatnonzero(~is_old)
    inter[w] = pair_intersections(sub, cq[w], sub, tgt[w])
    # the same words with other numbers are not a copy, however similar
    veto = np.zeros(len(cq), dtype=bool)
    veto[o] = numbers_differ(wfp[cq[o]], dh[cq[o]], otok.wfp[tgt[o]], otok.dh[tgt[o]])
    veto[w] = numbers_differ(wfp[cq[w]], dh[cq[w]], wfp[tgt[w]], dh[tgt[w]])
    inter[veto] = 0
    return _Candidates(cq, is_old, tgt, score, order, coff, inter, lb, osh, uniq_old, old_meta)
def _dedup_chunk(items: Sequence[Item], index: DedupIndex
                 ) -> tuple[_ChunkOutcome, np.ndarray, np.ndarray, list[int]]:
    """One chunk against the index; returns the outcome, and the band keys, fingerprints and items of
    its new index entries.

    Exact copies (same normalised text) of a kept paragraph are found by fingerprint; only the first
    occurrence of each distinct text is shingled, signed and looked up in the LSH index. A later
    occurrence whose first one was not kept (it was itself a near-duplicate, or in a duplicate document)
    takes the first one's candidates, plus the paragraphs between them that listed the first one."""
    params = index.params
    n = len(items)
    decisions: list[Decision] = [KEEP] * n
    if n == 0:
        return _ChunkOutcome(decisions, [], 0, {}, []), np.zeros((0, params.bands), np.uint32), np.zeros(0, U64), []
    tok = tokenize([_clip(it.text, params) for it in items])
    elig = np.flatnonzero(tok.n_words >= max(params.min_words, 1))
    efp = fingerprints(tok)[elig]
    old_exact = index.exact(efp)
    _, first_of, group = np.unique(efp, return_index=True, return_inverse=True)
    group = group.ravel()
    is_rep = np.zeros(len(elig), dtype=bool)
    is_rep[first_of] = True
    is_rep &= old_exact < 0
    reps = np.flatnonzero(is_rep)  # eligible rows that need shingles: first of their text in the chunk
    srow = np.full(len(elig), -1, dtype=np.int64)
    srow[reps] = np.arange(len(reps))
    srow = srow[first_of[group]]  # every occurrence shares its first occurrence's shingles
    sub = shingles_of(tok, elig[reps], params)
    sig = signatures(sub, params)
    keys = band_keys(sig, params)
    cand = _candidates(sub, sig, keys, index, tok.wfp[elig[reps]], tok.dh[elig[reps]])
    # exact copies of replaced entries stand for what replaced them
    finals = {int(e): index.final(int(e)) for e in np.unique(old_exact[old_exact >= 0])}
    want = np.array(sorted(set(finals) | set(finals.values())), dtype=np.int64)
    cand.old_meta.update(index.fetch(want[~np.isin(want, cand.old_ids)]))
    res = _Resolver(items, elig, group, reps, srow, sub, cand, params, index)
    res.old_copiers = index.copiers(sorted({(d, p) for d, p, _ in cand.old_meta.values()}))
    res.run(old_exact, finals, decisions)
    index.add_copiers([(d, p, c) for (d, p), cs in res.local_copiers.items() for c in cs])
    _align(items, decisions, res.copies, res.doc_range, index, tok)
    _keep_unmatched(decisions, res)
    # new entries: the kept rows and the rows replaced by a longer copy in this chunk (kept for a while,
    # so a later exact copy of them finds what replaced them, in this run or a later one)
    kept = np.array(res.kept, dtype=bool)
    entry_rows = np.flatnonzero(kept | res.was_replaced)
    first = index.size
    entry_of = {int(r): first + m for m, r in enumerate(entry_rows)}
    for r_t, (r_k, rule, sim) in res.replaced_rows.items():
        index.retire(entry_of[r_t], entry_of[r_k], rule, sim)
    replaced_entries: dict[int, tuple[str, int, str, Decision]] = {}
    for e, (r_k, rule, sim) in res.retired_now.items():
        index.retire(e, entry_of[r_k], rule, sim)
        d, p, t = cand.old_meta[e]
        replaced_entries[e] = (d, p, t, res.replacement_decision(r_k, rule, sim))
    kept_rows = np.flatnonzero(kept)
    short = np.flatnonzero((tok.n_words > 0) & (tok.n_words < max(params.min_words, 1))).tolist()
    others = [k for k in short if decisions[k].keep]
    return (_ChunkOutcome(decisions, elig[kept_rows].tolist(), res.checked, replaced_entries, others),
            keys[srow[entry_rows]], efp[entry_rows], [int(elig[r]) for r in entry_rows])


def _keep_unmatched(decisions: list[Decision], res: _Resolver) -> None:
    """A paragraph of a duplicate document with no match of its own and no counterpart in the document
    it copies (a local paragraph added to a syndicated story) is not a copy of anything: it stays, so
    that no paragraph loses every copy. (Its document's other paragraphs are still duplicates.)"""
    for i, j, _tdoc in res.copies:
        for k in range(i, j):
            d = decisions[k]
            if d.reason == DUPLICATE_DOCUMENT and d.duplicate_of_paragraph is None:
                decisions[k] = KEEP
                r = int(np.searchsorted(res.elig, k))
                if r < len(res.elig) and res.elig_l[r] == k:
                    res.kept[r] = True


_MAX_COPIERS = 16


class _Resolver:
    """Decides the chunk's eligible paragraphs in ingestion order, one document at a time.

    With keep = "longest", a paragraph that matches a kept one and is longer (or contains it) replaces
    it, once its own document is known not to be a duplicate document: the kept one becomes its
    duplicate — in this chunk directly, in earlier chunks and runs through the index (``retired``)."""

    def __init__(self, items: Sequence[Item], elig: np.ndarray, group: np.ndarray, reps: np.ndarray,
                 srow: np.ndarray, sub: Shingled, cand: _Candidates, params: DedupParams,
                 index: DedupIndex) -> None:
        self.items, self.elig, self.group, self.reps = items, elig, group, reps
        self.srow, self.sub, self.cand, self.params = srow, sub, cand, params
        self.index = index
        self.longest = params.keep == "longest"
        self.kept = [True] * len(elig)  # (a list: cheaper than a numpy array item by item)
        self.was_replaced = np.zeros(len(elig), dtype=bool)
        self.kept_first: dict[int, int] = {}  # text group -> its first kept row
        self.replaced_group: dict[int, int] = {}  # text group -> its row that a longer copy replaced
        self.replaced_rows: dict[int, tuple[int, str, float]] = {}  # row -> (replacing row, rule, sim)
        self.retired_now: dict[int, tuple[int, str, float]] = {}  # index entry -> (replacing row, ...)
        self.copies: list[tuple[int, int, str]] = []  # duplicate documents (items i:j) and what they copy
        self.doc_range: dict[str, tuple[int, int]] = {}  # the chunk's documents: doc_id -> items i:j
        # kept paragraph -> kept documents that had a duplicate of it (earlier runs / this chunk)
        self.old_copiers: dict[tuple[str, int], list[str]] = {}
        self.local_copiers: dict[tuple[str, int], list[str]] = {}
        self.checked = len(cand.cq)  # every candidate pair is verified (in _candidates)
        # what each verified pair says, read from the query's side (forward) and, for pairs of this
        # chunk, from the target's side (a later copy of the target meets the query as a back candidate)
        size = np.diff(sub.offsets)
        code_f, sim_f = _verdicts(cand.inter, size[cand.cq], cand.tsize, params, self.longest)
        code_b = np.zeros(len(cand.cq), dtype=np.int8)  # (index entries are never back candidates)
        sim_b = np.zeros(len(cand.cq), dtype=np.float64)
        new = np.flatnonzero(~cand.is_old)
        code_b[new], sim_b[new] = _verdicts(cand.inter[new], size[cand.tgt[new]], size[cand.cq[new]], params,
                                            self.longest)
        # a paragraph's candidates that verify, best first: own[ooff[s]:ooff[s + 1]]
        own = np.flatnonzero(code_f > 0)
        ooff = np.searchsorted(own, cand.coff)
        self.own_l, self.ooff, self.n_own = own.tolist(), ooff.tolist(), np.diff(ooff)
        # plain lists: indexing them is several times cheaper than numpy scalars
        self.cq_l, self.is_old_l, self.tgt_l = cand.cq.tolist(), cand.is_old.tolist(), cand.tgt.tolist()
        self.score_l, self.order_l = cand.score.tolist(), cand.order.tolist()
        self.code_f, self.sim_f = code_f.tolist(), sim_f.tolist()
        self.code_b, self.sim_b = code_b, sim_b
        self.srow_l = srow.tolist()
        self.reps_l, self.group_l, self.elig_l = reps.tolist(), group.tolist(), elig.tolist()
        self._rev: tuple[list[int], list[int], list[int]] | None = None  # back candidates (built when needed)
        self._code_b_l: list[int] = []
        self._sim_b_l: list[float] = []

    # ---------------------------------------------------------------- targets
    def _row_target(self, r: int) -> tuple[str, int, int]:
        """(doc, paragraph, row) of what stands for row ``r`` now (itself, or what replaced it)."""
        while r in self.replaced_rows:
            r = self.replaced_rows[r][0]
        it = self.items[self.elig_l[r]]
        return it.doc_id, it.paragraph_index, r

    def _exact_hit(self, e: int, finals: dict[int, int], g: int) -> tuple | None:
        """An exact copy of index entry ``e``, or, with e < 0, of the row of group ``g`` that a longer
        copy replaced (run() resolves the plain case, a kept earlier row of the group, itself)."""
        if e >= 0:
            if e in self.retired_now:
                doc, para, r = self._row_target(self.retired_now[e][0])
                od, op, _ = self.cand.old_meta[e]
                return doc, para, "dedup.exact", 1.0, ("row", r), f"of {od} paragraph {op}, since replaced by"
            f = finals[e]
            if f in self.retired_now:
                doc, para, r = self._row_target(self.retired_now[f][0])
                od, op, _ = self.cand.old_meta[e]
                return doc, para, "dedup.exact", 1.0, ("row", r), f"of {od} paragraph {op}, since replaced by"
            doc, para, _ = self.cand.old_meta[f]
            if f != e:
                od, op, _ = self.cand.old_meta[e]
                return doc, para, "dedup.exact", 1.0, ("old", f), f"of {od} paragraph {op}, since replaced by"
            return doc, para, "dedup.exact", 1.0, ("old", e), ""
        if g in self.replaced_group:
            first = self.items[self.elig_l[self.replaced_group[g]]]
            doc, para, r = self._row_target(self.replaced_group[g])
            return (doc, para, "dedup.exact", 1.0, ("row", r),
                    f"of {first.doc_id} paragraph {first.paragraph_index}, since replaced by")
        return None

    # ---------------------------------------------------------------- resolution
    def run(self, old_exact: np.ndarray, finals: dict[int, int], decisions: list[Decision]) -> None:
        items = self.items
        elig, group = self.elig, self.group
        elig_l, group_l, old_l = self.elig_l, self.group_l, old_exact.tolist()
        n, n_rows = len(items), len(elig_l)
        # the documents: items dstart:dend, their eligible rows rstart:rend
        doc_ids = [it.doc_id for it in items]
        ids = np.array(doc_ids, dtype=object)
        new_doc = np.ones(n, dtype=bool)
        new_doc[1:] = ids[1:] != ids[:-1]
        dstart = np.flatnonzero(new_doc)
        dend = np.append(dstart[1:], n)
        rstart, rend = np.searchsorted(elig, dstart), np.searchsorted(elig, dend)
        lens = np.fromiter((len(items[k].text) for k in elig_l), dtype=np.int64, count=n_rows)
        row_doc = np.repeat(np.arange(len(dstart)), rend - rstart)
        total_l = np.bincount(row_doc, weights=lens, minlength=len(dstart)).astype(np.int64).tolist()
        n_elig_l = (rend - rstart).tolist()
        dstart_l, dend_l, rstart_l, rend_l = dstart.tolist(), dend.tolist(), rstart.tolist(), rend.tolist()
        self.doc_range = {doc_ids[a]: (a, b) for a, b in zip(dstart_l, dend_l, strict=True)}
        # rows that can match something: exact copies of an index entry, later occurrences of a text in
        # the chunk, rows with a verified candidate. Every other row is the first occurrence of its text with
        # nothing to match: it is kept, and nothing earlier can depend on it, so it is recorded up front.
        need = old_exact >= 0
        rows = np.flatnonzero(self.srow >= 0)
        s = self.srow[rows]
        need[rows] |= (self.n_own[s] > 0) | (self.reps[s] != rows)
        trivial = np.flatnonzero(~need)
        self.kept_first.update(zip(group[trivial].tolist(), trivial.tolist(), strict=True))
        irows = np.flatnonzero(need)
        ioff, iend = np.searchsorted(irows, rstart).tolist(), np.searchsorted(irows, rend).tolist()
        irows_l = irows.tolist()
        doc_share = self.params.doc_share
        lens_l = lens.tolist()
        kept, kept_first, replaced_group = self.kept, self.kept_first, self.replaced_group
        for d in range(len(dstart_l)):
            if ioff[d] == iend[d]:
                continue
            doc_id = doc_ids[dstart_l[d]]
            matches: list[tuple[str, int, int]] = []
            matched_len = 0
            pending: dict[int, tuple] = {}  # keep = "longest": row -> the shorter kept match it replaces
            for r in irows_l[ioff[d]: iend[d]]:
                k = elig_l[r]
                g = group_l[r]
                e = old_l[r]
                if e < 0 and (tr := kept_first.get(g)) is not None:  # an exact copy of a kept row
                    it = items[elig_l[tr]]
                    hit = it.doc_id, it.paragraph_index, "dedup.exact", 1.0, ("row", tr), ""
                elif e >= 0 or g in replaced_group:
                    hit = self._exact_hit(e, finals, g)
                else:
                    hit = self._near(r)
                if hit is None:
                    kept_first[g] = r
                else:
                    tdoc, tpara, rule, sim, target, via = hit
                    if self.longest and rule != "dedup.exact" and self._longer(k, target, rule, sim):
                        pending[r] = hit  # stays kept; replaces the target if its document stays
                        kept_first[g] = r
                    else:
                        kept[r] = False
                        name = _RULE_NAMES[rule]
                        ev = (f"{name} {via} {tdoc} paragraph {tpara}" if via else
                              f"{name} {sim:.3f} with {tdoc} paragraph {tpara}")
                        # (positional: the hottest line of the loop)
                        decisions[k] = Decision(False, DUPLICATE, rule, ev, tdoc, int(tpara), round(sim, 4))
                    if tdoc != doc_id:
                        ln = lens_l[r]
                        matches.append((tdoc, int(tpara), ln))
                        matched_len += ln
            # (no earlier document can hold more of it than all its matches together)
            is_copy = (min(matched_len / total_l[d], len(matches) / n_elig_l[d]) > doc_share
                       and self._document(dstart_l[d], dend_l[d], rstart_l[d], rend_l[d], matches,
                                          total_l[d], n_elig_l[d], decisions, pending))
            if not is_copy:
                for tdoc, tpara, _ in matches:  # a kept document: it holds copies of these paragraphs
                    self.local_copiers.setdefault((tdoc, tpara), []).append(doc_id)
                for rr, hit in pending.items():
                    self._replace(rr, hit, decisions)

    def _longer(self, k: int, target: tuple[str, int], rule: str, sim: float) -> bool:
        """keep = "longest": does item ``k`` replace its match (a longer text, or one containing it)?"""
        if rule == "dedup.contained":
            return True
        kind, t = target
        if kind == "row":
            other = self.items[self.elig_l[t]].text
        else:  # an index entry (an LSH candidate row of ``osh``)
            other = self.cand.old_meta[int(self.cand.old_ids[t])][2]
        return len(self.items[k].text) > len(other)

    def _replace(self, r: int, hit: tuple, decisions: list[Decision]) -> None:
        """Row ``r`` (kept) replaces the shorter paragraph it matched."""
        _tdoc, _tpara, rule, sim, (kind, t), _via = hit
        rule = "dedup.containment" if rule == "dedup.contained" else rule
        if kind == "row":
            if not self.kept[t]:
                return  # another paragraph of this document replaced it already
            self.kept[t] = False
            self.was_replaced[t] = True
            self.replaced_rows[t] = (r, rule, sim)
            g = self.group_l[t]
            if self.kept_first.get(g) == t:
                del self.kept_first[g]
                self.replaced_group[g] = t
            decisions[self.elig_l[t]] = self.replacement_decision(r, rule, sim)
        else:
            e = int(self.cand.old_ids[t]) if kind == "osh" else t
            if e not in self.retired_now:
                self.retired_now[e] = (r, rule, sim)

    def replacement_decision(self, r: int, rule: str, sim: float) -> Decision:
        it = self.items[self.elig_l[r]]
        doc, para = it.doc_id, it.paragraph_index
        return Decision.drop(DUPLICATE, rule, f"replaced by a longer copy: {rule.split('.')[1]} {sim:.3f} with "
                             f"{doc} paragraph {para}", duplicate_of_doc=doc, duplicate_of_paragraph=int(para),
                             similarity=round(sim, 4))

    def _document(self, i: int, j: int, r0: int, r1: int, matches: list[tuple[str, int, int]],
                  total: int, n_elig: int, decisions: list[Decision], pending: dict[int, tuple]) -> bool:
        """Whether items i:j are mostly a copy of one earlier document. A paragraph counts for the
        document it matched and for every kept document that had a duplicate of the same paragraph
        (a copy of a copy matches whichever copy was kept first), unless more than ``_MAX_COPIERS``
        did. "Mostly" must hold both by paragraphs
        and by text length, so one long copied quote does not make a whole article a copy."""
        doc_id = self.items[i].doc_id
        dup_len: dict[str, int] = {}
        dup_n: dict[str, int] = {}
        for tdoc, _tpara, ln in matches:  # (matches are in other documents)
            if tdoc in dup_n:
                dup_n[tdoc] += 1
                dup_len[tdoc] += ln
            else:
                dup_n[tdoc] = 1
                dup_len[tdoc] = ln
        direct = dict(dup_n)
        oc, lc = self.old_copiers, self.local_copiers
        if oc or lc:
            for tdoc, tpara, ln in matches:
                key = (tdoc, tpara)
                if key in oc or key in lc:
                    more = [*oc.get(key, ()), *lc.get(key, ())]
                    if len(more) > _MAX_COPIERS:  # a paragraph copied everywhere (a template) says little
                        continue
                    for c in set(more) - {tdoc, doc_id}:
                        dup_len[c] = dup_len.get(c, 0) + ln
                        dup_n[c] = dup_n.get(c, 0) + 1
        tdoc = (next(iter(dup_n)) if len(dup_n) == 1 else
                max(dup_len, key=lambda t: (dup_n[t], direct.get(t, 0), dup_len[t], t)))
        share = min(dup_len[tdoc] / total, dup_n[tdoc] / n_elig)
        if share <= self.params.doc_share:  # "mostly": more than half, by count and by length
            return False
        ev = (f"{dup_n[tdoc]} of {n_elig} paragraphs ({dup_len[tdoc] / total:.0%} of the text) "
              f"duplicate {tdoc}")
        self.copies.append((i, j, tdoc))
        row_of_item = {self.elig_l[r]: r for r in range(r0, r1)} if pending else {}
        for k in range(i, j):
            d = decisions[k]
            hit = pending.get(row_of_item.get(k, -1))
            if hit is not None:  # a longer copy that would have replaced its match: it points at it
                d = Decision.drop(DUPLICATE, "", "", duplicate_of_doc=hit[0], duplicate_of_paragraph=int(hit[1]),
                                  similarity=round(hit[3], 4))
            # a paragraph keeps its own verified match (which may be in another document);
            # the others point at the document this one copies
            matched = d.duplicate_of_paragraph is not None
            decisions[k] = (Decision(False, DUPLICATE_DOCUMENT, "dedup.document", ev, d.duplicate_of_doc,
                                     d.duplicate_of_paragraph, d.similarity, tdoc) if matched else
                            Decision(False, DUPLICATE_DOCUMENT, "dedup.document", ev, tdoc, None, round(share, 4),
                                     tdoc))
        for r in range(r0, r1):
            if self.kept[r]:
                self.kept[r] = False
                g = self.group_l[r]
                if self.kept_first.get(g) == r:
                    del self.kept_first[g]
        return True

    def _candidate_list(self, r: int) -> list[int]:
        """The verified candidates of row ``r``, best first: indices into the candidate arrays, ``~c``
        (negative) for a back candidate ``c``, whose target is its query paragraph."""
        s = self.srow_l[r]
        own = self.own_l[self.ooff[s]: self.ooff[s + 1]]
        if self.reps_l[s] == r:
            return own
        # a later occurrence of the same text: also the paragraphs after the first occurrence (and
        # before this one) that had the first occurrence as a verified candidate
        if self._rev is None:
            # back candidates by target: those of target s are idx[off[s]:off[s + 1]], in the order of
            # their query (stable sort of candidates sorted by query), so their query rows ascend too
            cand = self.cand
            new = np.flatnonzero(self.code_b > 0)
            o = np.argsort(cand.tgt[new], kind="stable")
            off = np.searchsorted(cand.tgt[new][o], np.arange(len(self.reps_l) + 1))
            self._rev = (new[o].tolist(), off.tolist(), self.reps[cand.cq[new[o]]].tolist())
            self._code_b_l, self._sim_b_l = self.code_b.tolist(), self.sim_b.tolist()
        idx, off, qrow = self._rev
        back = idx[off[s]: bisect_left(qrow, r, off[s], off[s + 1])]  # queries before row r
        if not back:
            return own
        score, order, cq = self.score_l, self.order_l, self.cq_l
        # a back candidate's target is its query paragraph: its order is the query's own
        key = {c: (-score[c], order[c]) for c in own}
        key.update({~c: (-score[c], order[c] - s + cq[c]) for c in back})
        return sorted(key, key=key.__getitem__)

    def _near(self, r: int) -> tuple | None:
        """The first verified candidate of row ``r`` whose target still stands, as a hit."""
        cand = self.cand
        retired, retired_before = self.retired_now, self.index.retired
        for c in self._candidate_list(r):
            if c < 0:  # a back candidate
                c = ~c
                tr = self.reps_l[self.cq_l[c]]
                code, sim = self._code_b_l[c], self._sim_b_l[c]
            elif self.is_old_l[c]:
                t = self.tgt_l[c]
                if (retired or retired_before) and (int(cand.old_ids[t]) in retired
                                                    or int(cand.old_ids[t]) in retired_before):
                    continue
                meta = cand.old_meta[int(cand.old_ids[t])]
                return meta[0], meta[1], _RULES[self.code_f[c]], self.sim_f[c], ("osh", t), ""
            else:
                tr = self.reps_l[self.tgt_l[c]]
                code, sim = self.code_f[c], self.sim_f[c]
            if not self.kept[tr]:
                # the target's first occurrence was dropped; a later kept copy of it stands in
                tr = self.kept_first.get(self.group_l[tr], r)
                if tr >= r:
                    continue
            it = self.items[self.elig_l[tr]]
            return it.doc_id, it.paragraph_index, _RULES[code], sim, ("row", tr), ""
        return None


_RULES = ("", "dedup.containment", "dedup.resemblance", "dedup.contained")
_RULE_NAMES = {r: r.split(".")[1] for r in (*_RULES[1:], "dedup.exact")}


def _verdicts(inter: np.ndarray, la: np.ndarray, lb: np.ndarray, params: DedupParams, longest: bool
              ) -> tuple[np.ndarray, np.ndarray]:
    """What a verified pair says about paragraph a (``la`` shingles) against an earlier paragraph b
    (``lb``) sharing ``inter`` shingles: an index into ``_RULES`` (0: not a duplicate) and the
    similarity. A shorter paragraph inside a longer one is containment (a trimmed copy); otherwise
    resemblance (Jaccard, with at least ``min_share`` of a in b); with keep = "longest", b inside a
    longer a is "contained" (the kept one is a trimmed copy of this one)."""
    code = np.zeros(len(inter), dtype=np.int8)
    sim = np.zeros(len(inter), dtype=np.float64)
    if len(inter) == 0:
        return code, sim
    with np.errstate(divide="ignore", invalid="ignore"):
        share_a = inter / la
        share_b = inter / lb
        jac = inter / (la + lb - inter)
    minc = params.min_containment_shingles
    for k, ok, value in (
            (3, longest & (share_b >= params.containment) & (lb >= minc) & (lb < la), share_b),
            (2, (jac >= params.jaccard) & (share_a >= params.min_share), jac),
            (1, (share_a >= params.containment) & (la >= minc) & (la < lb), share_a)):
        ok &= inter > 0
        code[ok] = k  # (the first rule that holds wins: assigned last)
        sim[ok] = value[ok]
    return code, sim


_WORDS = DedupParams(ngram=1, short_ngram=1)  # shingles that are single words: word sets


def _align(items: Sequence[Item], decisions: list[Decision], copies: list[tuple[int, int, str]],
           local: dict[str, tuple[int, int]], index: DedupIndex, tok: Tokens) -> None:
    """Point every paragraph of a duplicate document that has no verified match of its own (short
    lines, heavily edited paragraphs) at its counterpart among the kept paragraphs of the document it
    copies, when there is one: same normalised words (similarity = word-set Jaccard >= 0.5, or one
    contained in the other for >= 90% of at least 3 words). One-to-one, best pairs first. This only
    names the matched paragraph in the audit; the whole document is dropped either way. ``tok`` holds
    the words of ``items``; only paragraphs of earlier runs are tokenized here."""
    # the paragraphs to point somewhere, by duplicate document
    todo = [(tdoc, queries) for i, j, tdoc in copies
            if (queries := [k for k in range(i, j) if decisions[k].duplicate_of_paragraph is None])]
    if not todo:
        return
    earlier = index.doc_paragraphs(sorted({t for t, _ in todo if t not in local}))
    old_texts: list[str] = []
    # every (query, target) pair of every job: query item, target (item of this chunk, or paragraph
    # of ``old_texts``), the target's paragraph index, the job
    pq: list[int] = []
    pt: list[int] = []
    p_old: list[bool] = []
    p_para: list[int] = []
    p_job: list[int] = []
    for n_job, (tdoc, queries) in enumerate(todo):
        if tdoc in local:
            a, b = local[tdoc]
            targets = [m for m in range(a, b) if decisions[m].keep]
            paras = [items[m].paragraph_index for m in targets]
            is_old = False
        else:
            old = earlier.get(tdoc, [])
            targets = list(range(len(old_texts), len(old_texts) + len(old)))
            paras = [p for p, _ in old]
            old_texts.extend(t for _, t in old)
            is_old = True
        for q in queries:
            pq.extend([q] * len(targets))
            pt.extend(targets)
            p_para.extend(paras)
        p_old.extend([is_old] * (len(queries) * len(targets)))
        p_job.extend([n_job] * (len(queries) * len(targets)))
    if not pq:
        return
    # word sets (sorted unique 40-bit word hashes) and the intersections of all pairs at once
    q_arr, t_arr, old_arr = np.array(pq), np.array(pt), np.array(p_old, dtype=bool)
    job = np.array(p_job)
    local_rows = np.unique(np.concatenate((q_arr, t_arr[~old_arr])))
    loc = shingles_of(tok, local_rows, _WORDS)
    loc_size = np.diff(loc.offsets)
    qi = np.searchsorted(local_rows, q_arr)
    la = loc_size[qi]
    inter = np.zeros(len(q_arr), dtype=np.int64)
    lb = np.zeros(len(q_arr), dtype=np.int64)
    w = np.flatnonzero(~old_arr)
    ti = np.searchsorted(local_rows, t_arr[w])
    inter[w] = pair_intersections(loc, qi[w], loc, ti)
    lb[w] = loc_size[ti]
    veto = np.zeros(len(q_arr), dtype=bool)
    veto[w] = numbers_differ(tok.wfp[q_arr[w]], tok.dh[q_arr[w]], tok.wfp[t_arr[w]], tok.dh[t_arr[w]])
    o = np.flatnonzero(old_arr)
    if len(o):
        otok = tokenize(old_texts)
        osets = shingles_of(otok, np.arange(len(old_texts)), _WORDS)
        inter[o] = pair_intersections(loc, qi[o], osets, t_arr[o])
        lb[o] = np.diff(osets.offsets)[t_arr[o]]
        veto[o] = numbers_differ(tok.wfp[q_arr[o]], tok.dh[q_arr[o]], otok.wfp[t_arr[o]], otok.dh[t_arr[o]])
    inter[veto] = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        jac = inter / (la + lb - inter)
        small = np.minimum(la, lb)
        good = (la > 0) & (inter > 0) & ((jac >= 0.5) | ((small >= 3) & (inter / small >= 0.9)))
    # one-to-one within each job, best pairs first (then query, then target order)
    g = np.flatnonzero(good)
    g = g[np.lexsort((g, -jac[g], job[g]))]
    used_q: set[int] = set()
    used_t: set[tuple[int, int]] = set()
    for c, n_job, sim in zip(g.tolist(), job[g].tolist(), jac[g].tolist(), strict=True):
        k, tkey = pq[c], (n_job, pt[c])
        if k in used_q or tkey in used_t:
            continue
        used_q.add(k)
        used_t.add(tkey)
        d = decisions[k]
        tdoc, tpara = d.duplicate_of_doc, p_para[c]
        decisions[k] = Decision.drop(
            DUPLICATE_DOCUMENT, d.rule, f"{d.evidence}; matches {tdoc} paragraph {tpara} "
            f"(word overlap {sim:.2f})", duplicate_of_doc=tdoc, duplicate_of_paragraph=int(tpara),
            similarity=round(sim, 4), duplicate_of_document=d.duplicate_of_document)


def pair_intersections(sa: Shingled, qa: np.ndarray, sb: Shingled, qb: np.ndarray,
                       budget: int = 1 << 17) -> np.ndarray:
    """Exact shingle-set intersection sizes of the pairs (set ``qa[i]`` of ``sa``, set ``qb[i]`` of ``sb``),
    vectorised: each side's sets, tagged with their pair number, are already sorted, so one merge (a
    stable sort of two sorted runs is linear) puts equal shingles of a pair next to each other. Pairs
    go through in blocks of about ``budget`` shingles (cache-sized)."""
    n = len(qa)
    out = np.zeros(n, dtype=np.int64)
    if n == 0:
        return out
    la = sa.offsets[qa + 1] - sa.offsets[qa]
    lb = sb.offsets[qb + 1] - sb.offsets[qb]
    for lo, hi in _blocks(np.cumsum(la + lb), budget, max_items=1 << 23):  # (pair tags take 24 bits)
        tag = np.arange(hi - lo, dtype=U64) << U64(40)
        ka = sa.hashes[_ranges(sa.offsets[qa[lo:hi]], la[lo:hi])] | np.repeat(tag, la[lo:hi])
        kb = sb.hashes[_ranges(sb.offsets[qb[lo:hi]], lb[lo:hi])] | np.repeat(tag, lb[lo:hi])
        both = np.concatenate((ka, kb))
        both.sort(kind="stable")
        same = both[1:][both[1:] == both[:-1]]
        out[lo:hi] = np.bincount((same >> U64(40)).astype(np.int64), minlength=hi - lo)
    return out


def _agreement(sig_a: np.ndarray, qa: np.ndarray, sig_b: np.ndarray, eb: np.ndarray,
               chunk: int = 1 << 17) -> np.ndarray:
    """Share of equal MinHash values (the Jaccard estimate) of the pairs, in chunks to bound memory."""
    out = np.zeros(len(qa))
    for s in range(0, len(qa), chunk):
        out[s: s + chunk] = (sig_a[qa[s: s + chunk]] == sig_b[eb[s: s + chunk]]).mean(axis=1)
    return out
